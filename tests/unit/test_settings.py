import pytest
from pydantic import ValidationError

from services.common.settings import IntakeSettings, TrackerSettings


def test_outside_development_a_placeholder_secret_is_refused(monkeypatch):
    monkeypatch.setenv("TIPLINE_ENV", "production")
    monkeypatch.delenv("TRACKING_CODE_SECRET", raising=False)
    with pytest.raises(ValidationError, match="TRACKING_CODE_SECRET"):
        TrackerSettings()


def test_without_tipline_env_a_placeholder_secret_is_refused(monkeypatch):
    monkeypatch.delenv("TIPLINE_ENV", raising=False)
    monkeypatch.delenv("TRACKING_CODE_SECRET", raising=False)
    with pytest.raises(ValidationError, match="TRACKING_CODE_SECRET"):
        TrackerSettings()


def test_in_development_placeholder_secrets_are_allowed(monkeypatch):
    monkeypatch.setenv("TIPLINE_ENV", "development")
    monkeypatch.delenv("TRACKING_CODE_SECRET", raising=False)
    assert TrackerSettings().tracking_code_secret.get_secret_value()


def test_outside_development_real_secrets_are_accepted(monkeypatch):
    monkeypatch.setenv("TIPLINE_ENV", "production")
    monkeypatch.setenv("TRACKING_CODE_SECRET", "s" * 40)
    monkeypatch.setenv("INTERNAL_API_TOKEN", "t" * 40)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092, k2:9092")
    settings = IntakeSettings()
    assert settings.bootstrap_servers == ["k1:9092", "k2:9092"]
