"""Configuration from the environment, one settings object per service.

Only KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI decide where the infrastructure is, so the same
code runs against Tansu + SecantusDB locally and Apache Kafka + MongoDB in containers.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.crypto import Keyring

# A placeholder secret is refused outside development, so a deployment cannot start
# with a value anyone can read in this repository.
DEVELOPMENT_ONLY_SECRET = "development-only-secret"  # noqa: S105


def _refuse_placeholder(environment: str, name: str, value: SecretStr) -> None:
    secret = value.get_secret_value()
    if environment != "development" and (secret == DEVELOPMENT_ONLY_SECRET or len(secret) < 32):
        raise ValueError(
            f"{name} must be a random value of at least 32 characters outside development"
        )


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # Fails closed: only an explicit TIPLINE_ENV=development accepts placeholder secrets.
    environment: str = Field(default="production", alias="TIPLINE_ENV")
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    mongodb_uri: str = Field(default="mongodb://127.0.0.1:27017/", alias="MONGODB_URI")
    topic_partitions: int = Field(default=6, ge=1, alias="TOPIC_PARTITIONS")
    topic_replication_factor: int = Field(default=1, ge=1, alias="TOPIC_REPLICATION_FACTOR")
    # Tansu answers InitProducerId with an error, so idempotent producers stay off by default;
    # consumers deduplicate by event id either way. Switch on against Apache Kafka.
    kafka_idempotent_producer: bool = Field(default=False, alias="KAFKA_IDEMPOTENT_PRODUCER")
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000, alias="KAFKA_SESSION_TIMEOUT_MS")
    # How long the broker may hold a fetch when nothing is waiting. Tansu holds it that long
    # even when data arrives meanwhile, so this bounds every event's delivery delay.
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=10, alias="KAFKA_FETCH_MAX_WAIT_MS")
    consumer_max_attempts: int = Field(default=3, ge=1, alias="CONSUMER_MAX_ATTEMPTS")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    http_host: str = Field(default="127.0.0.1", alias="HTTP_HOST")
    # How long a database operation waits for a reachable server before the request is
    # answered 503 (docs/limits.md): an outage answers as an outage, within about this long.
    mongodb_server_selection_timeout_ms: int = Field(
        default=1500, ge=100, alias="MONGODB_SERVER_SELECTION_TIMEOUT_MS"
    )
    # The Retry-After given with a 503 while the database is unreachable.
    outage_retry_after_seconds: int = Field(default=5, ge=1, alias="OUTAGE_RETRY_AFTER_SECONDS")
    # What one request may make a server hold, checked before the body is read (docs/limits.md).
    http_max_json_bytes: int = Field(default=256 * 1024, ge=1024, alias="HTTP_MAX_JSON_BYTES")
    # The reporting form takes up to 512 KB (a long narrative, urlencoded); pages that take
    # less (the status page) check their own smaller limit as they read.
    http_max_form_bytes: int = Field(default=512 * 1024, ge=1024, alias="HTTP_MAX_FORM_BYTES")
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024, alias="HTTP_MAX_HEADER_BYTES")
    http_header_timeout_seconds: float = Field(
        default=10, gt=0, alias="HTTP_HEADER_TIMEOUT_SECONDS"
    )
    http_body_timeout_seconds: float = Field(default=15, gt=0, alias="HTTP_BODY_TIMEOUT_SECONDS")
    http_max_connections_per_client: int = Field(
        default=64, ge=1, alias="HTTP_MAX_CONNECTIONS_PER_CLIENT"
    )
    http_max_requests_in_flight_per_client: int = Field(
        default=32, ge=1, alias="HTTP_MAX_REQUESTS_IN_FLIGHT_PER_CLIENT"
    )
    http_max_connections: int = Field(default=2048, ge=1, alias="HTTP_MAX_CONNECTIONS")

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]


class TrackingCodeSettings(CommonSettings):
    """Intake and tracker share the key that turns a tracking code into its lookup hash."""

    tracking_code_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_ONLY_SECRET), alias="TRACKING_CODE_SECRET"
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> TrackingCodeSettings:
        _refuse_placeholder(self.environment, "TRACKING_CODE_SECRET", self.tracking_code_secret)
        return self


class InternalApiSettings(CommonSettings):
    """The token the classifier presents to read a report's content from intake."""

    internal_api_token: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_ONLY_SECRET), alias="INTERNAL_API_TOKEN"
    )

    @model_validator(mode="after")
    def _refuse_placeholder_token(self) -> InternalApiSettings:
        _refuse_placeholder(self.environment, "INTERNAL_API_TOKEN", self.internal_api_token)
        return self


class KeyringSettings(CommonSettings):
    """Where the key-encryption keys come from: a file, or the same JSON in the environment."""

    keyring_file: Path | None = Field(default=None, alias="TIPLINE_KEYRING_FILE")
    keyring_json: SecretStr | None = Field(default=None, alias="TIPLINE_KEYRING")

    def keyring(self) -> Keyring:
        if self.keyring_json is not None:
            return Keyring.from_json(self.keyring_json.get_secret_value())
        if self.keyring_file is not None:
            return Keyring.from_file(self.keyring_file)
        raise ValueError(
            "no keyring: set TIPLINE_KEYRING_FILE (a path) or TIPLINE_KEYRING (its JSON); "
            "`tipline-keys new --file keyring.json` makes one"
        )


class StaffAuthSettings(CommonSettings):
    """Services verify staff tokens with the public key; only the issuing command signs."""

    token_public_key_file: Path | None = Field(default=None, alias="TOKEN_PUBLIC_KEY_FILE")
    token_public_key: str | None = Field(default=None, alias="TOKEN_PUBLIC_KEY")
    staff_database: str = Field(default="staff", alias="STAFF_DATABASE")
    token_revocation_refresh_seconds: float = Field(
        default=5.0, gt=0, alias="TOKEN_REVOCATION_REFRESH_SECONDS"
    )

    def public_key_pem(self) -> bytes:
        if self.token_public_key:
            return self.token_public_key.encode()
        if self.token_public_key_file is not None:
            return self.token_public_key_file.read_bytes()
        raise ValueError(
            "no token verifying key: set TOKEN_PUBLIC_KEY_FILE (a PEM file) or TOKEN_PUBLIC_KEY; "
            "`tipline-token keys --out DIR` makes a pair"
        )


class EvidenceSettings(CommonSettings):
    """Limits on the files a reporter attaches (intake). Sizes in bytes."""

    evidence_max_file_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1, alias="EVIDENCE_MAX_FILE_BYTES"
    )
    evidence_max_report_bytes: int = Field(
        default=500 * 1024 * 1024, ge=1, alias="EVIDENCE_MAX_REPORT_BYTES"
    )
    evidence_max_files_per_report: int = Field(
        default=20, ge=1, alias="EVIDENCE_MAX_FILES_PER_REPORT"
    )
    # PDF and office documents are rewritten whole, in memory: this bounds that memory.
    evidence_max_document_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, alias="EVIDENCE_MAX_DOCUMENT_BYTES"
    )
    # An upload still incomplete after this long was cut off; what it stored is removed.
    evidence_abandoned_after_minutes: float = Field(
        default=60, gt=0, alias="EVIDENCE_ABANDONED_AFTER_MINUTES"
    )


class LookupThrottleSettings(CommonSettings):
    """Failed tracking-code lookups a client may make before each further one waits."""

    lookup_free_failures: int = Field(default=5, ge=0, alias="LOOKUP_FREE_FAILURES")
    lookup_window_seconds: float = Field(default=900, gt=0, alias="LOOKUP_WINDOW_SECONDS")
    lookup_max_delay_seconds: float = Field(default=8.0, ge=0, alias="LOOKUP_MAX_DELAY_SECONDS")
    # Beyond this many failures in the window a client's lookups are refused (429) until the
    # oldest failure leaves the window; other clients are not affected.
    lookup_refuse_after_failures: int = Field(
        default=20, ge=1, alias="LOOKUP_REFUSE_AFTER_FAILURES"
    )


class ChannelSettings(CommonSettings):
    """The reporting website, QR codes, messaging-app webhooks and their abuse limits."""

    intake_public_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_PUBLIC_URL")
    # A webhook whose secret is not set answers 404: that channel is simply not offered.
    wechat_token: SecretStr | None = Field(default=None, alias="WECHAT_TOKEN")
    weibo_app_secret: SecretStr | None = Field(default=None, alias="WEIBO_APP_SECRET")
    web_submissions_per_hour: int = Field(default=20, ge=1, alias="WEB_SUBMISSIONS_PER_HOUR")
    web_submissions_per_hour_without_proof: int = Field(
        default=5, ge=1, alias="WEB_SUBMISSIONS_PER_HOUR_WITHOUT_PROOF"
    )
    proof_of_work_bits: int = Field(default=14, ge=1, le=24, alias="PROOF_OF_WORK_BITS")
    conversation_ttl_hours: int = Field(default=24, ge=1, alias="CONVERSATION_TTL_HOURS")

    @field_validator("wechat_token", "weibo_app_secret", mode="before")
    @classmethod
    def _empty_means_off(cls, value: object) -> object:
        # An empty secret would let anyone sign: empty (as compose passes an unset one) is off.
        return None if isinstance(value, str) and not value.strip() else value


class IntakeSettings(
    TrackingCodeSettings,
    InternalApiSettings,
    KeyringSettings,
    StaffAuthSettings,
    EvidenceSettings,
    LookupThrottleSettings,
    ChannelSettings,
):
    http_port: int = Field(default=8080, alias="INTAKE_PORT")
    database: str = Field(default="intake", alias="INTAKE_DATABASE")
    public_base_url: str = Field(default="http://127.0.0.1:8082", alias="TRACKER_PUBLIC_URL")
    outbox_poll_seconds: float = Field(default=1.0, gt=0, alias="OUTBOX_POLL_SECONDS")
    idempotency_ttl_hours: int = Field(default=24, ge=1, alias="IDEMPOTENCY_TTL_HOURS")
    # Reconciliation (services/intake/reports/reconcile.py): a report whose case has not
    # opened or been classified this long after it was accepted is published again.
    reconcile_after_seconds: float = Field(default=120.0, gt=0, alias="RECONCILE_AFTER_SECONDS")
    reconcile_every_seconds: float = Field(default=30.0, gt=0, alias="RECONCILE_EVERY_SECONDS")


class ClassifierSettings(InternalApiSettings, KeyringSettings, StaffAuthSettings):
    http_port: int = Field(default=8081, alias="CLASSIFIER_PORT")
    intake_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_URL")
    database: str = Field(default="classifier", alias="CLASSIFIER_DATABASE")
    # Entity values (phones, ID numbers, plates…) link reports only as keyed hashes under this
    # secret, so the shared index never holds them. Changing it unlinks every earlier report.
    linking_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_ONLY_SECRET), alias="LINKING_SECRET"
    )
    # The industry information section hides counts under this (docs/industry-insights.md).
    insights_min_cell: int = Field(default=5, ge=2, le=100, alias="INSIGHTS_MIN_CELL")

    @model_validator(mode="after")
    def _refuse_placeholder_linking_secret(self) -> ClassifierSettings:
        _refuse_placeholder(self.environment, "LINKING_SECRET", self.linking_secret)
        return self


class ConsoleSettings(CommonSettings):
    """The office's console, served by the tracker (docs/console.md)."""

    console_idle_minutes: float = Field(default=30, gt=0, alias="CONSOLE_IDLE_MINUTES")
    console_session_hours: float = Field(default=12, gt=0, le=24, alias="CONSOLE_SESSION_HOURS")
    console_lockout_failures: int = Field(default=5, ge=1, alias="CONSOLE_LOCKOUT_FAILURES")
    # The token signing key, so the console can give each signed-in person their own staff
    # token for intake's and the classifier's APIs. Unset: those reads are not offered.
    console_signing_key_file: Path | None = Field(default=None, alias="CONSOLE_SIGNING_KEY_FILE")
    classifier_url: str = Field(default="http://127.0.0.1:8081", alias="CLASSIFIER_URL")
    intake_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_URL")
    audit_url: str = Field(default="http://127.0.0.1:8083", alias="AUDIT_URL")


class TrackerSettings(
    TrackingCodeSettings,
    LookupThrottleSettings,
    KeyringSettings,
    StaffAuthSettings,
    ConsoleSettings,
):
    http_port: int = Field(default=8082, alias="TRACKER_PORT")
    # The status page links back to the reporting form.
    intake_public_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_PUBLIC_URL")
    database: str = Field(default="tracker", alias="TRACKER_DATABASE")
    # The routing table (services/tracker/routing.toml when unset).
    routing_file: Path | None = Field(default=None, alias="TRACKER_ROUTING_FILE")
    # The EU whistleblower directive's clock, configurable per office.
    acknowledgement_days: float = Field(default=7, gt=0, alias="ACKNOWLEDGEMENT_DAYS")
    feedback_days: float = Field(default=90, gt=0, alias="FEEDBACK_DAYS")
    # A cluster with this many open reports and none under investigation is flagged.
    idle_cluster_min_reports: int = Field(default=3, ge=2, alias="IDLE_CLUSTER_MIN_REPORTS")


class SampleSettings(CommonSettings):
    """The monthly sample's rule, randomness and reporting (docs/monthly-sample.md)."""

    # n = min(N, max(minimum, ceil(rate × N))), per province when stratified.
    sample_minimum: int = Field(default=20, ge=0, alias="SAMPLE_MINIMUM")
    sample_rate: str = Field(default="0.01", alias="SAMPLE_RATE")
    sample_stratify_by: str | None = Field(default=None, alias="SAMPLE_STRATIFY_BY")
    # Which public beacon seeds the draw, and how far after the commit its named round lies,
    # so the record is out before anyone can know the value.
    sample_beacon: str = Field(default="drand-quicknet", alias="SAMPLE_BEACON")
    sample_beacon_delay_seconds: float = Field(
        default=3600, ge=0, alias="SAMPLE_BEACON_DELAY_SECONDS"
    )
    # Months start at midnight in the office's time zone.
    sample_timezone: str = Field(default="UTC", alias="SAMPLE_TIMEZONE")
    # A province or crime type with fewer sampled reports shows no figures.
    sample_min_group: int = Field(default=5, ge=1, alias="SAMPLE_MIN_GROUP")

    @field_validator("sample_stratify_by", mode="before")
    @classmethod
    def _empty_means_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class AuditSettings(StaffAuthSettings, KeyringSettings, SampleSettings):
    http_port: int = Field(default=8083, alias="AUDIT_PORT")
    database: str = Field(default="audit", alias="AUDIT_DATABASE")
