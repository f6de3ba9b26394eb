"""The Kubernetes manifests, as `kubectl apply -k deploy/k8s` would apply them, with what
`tipline-k8s-secrets` makes: valid against the Kubernetes API's schemas, and every secret and
setting each pod reads is there and accepted by its service's settings."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.common import k8s_secrets
from services.common.auth import load_public_key
from services.common.settings import (
    AuditSettings,
    ClassifierSettings,
    CommonSettings,
    IntakeSettings,
    TrackerSettings,
)

K8S = Path(__file__).parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37"  # the newest the schemas bundle; the manifests use only stable APIs
SETTINGS: dict[str, type[CommonSettings]] = {
    "intake": IntakeSettings,
    "classifier": ClassifierSettings,
    "tracker": TrackerSettings,
    "audit": AuditSettings,
}
SITE = [
    "--kafka",
    "tipline-kafka-bootstrap.kafka.svc.cluster.local:9092",
    "--intake-url",
    "https://report.example.org",
    "--tracker-url",
    "https://track.example.org/",
]
MONGODB_URI = "mongodb://tipline:pw@tipline-mongodb-svc.mongodb.svc.cluster.local:27017/"


def rendered_kustomization() -> list[dict[str, Any]]:
    """`kustomize build deploy/k8s`: the listed resources, in order. The kustomization holds
    nothing else (no patches or generators), which this asserts rather than ignores."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization) == {"apiVersion", "kind", "resources"}
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return documents


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "tipline-site"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MONGODB_URI", MONGODB_URI)
        assert k8s_secrets.main(["--out", str(out), *SITE]) == 0
    return out


def site_objects(site: Path) -> list[dict[str, Any]]:
    manifest = json.loads((site / k8s_secrets.MANIFEST).read_text())
    assert manifest["kind"] == "List"
    return list(manifest["items"])


def test_every_manifest_and_the_made_secret_match_the_kubernetes_schemas(site: Path) -> None:
    documents = rendered_kustomization() + site_objects(site)
    kinds = sorted({d["kind"] for d in documents})
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Namespace",
        "Secret",
        "Service",
    ]
    for document in documents:
        # strict: a misspelt or misplaced field is an error, not silently dropped.
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_a_misplaced_field_is_caught_by_the_schema_check() -> None:
    deployment = next(d for d in rendered_kustomization() if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["envFrm"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def pod_environment(deployment: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, str]:
    """What the kubelet would put in the container's environment; a missing ConfigMap, Secret
    or required key fails here as the pod would fail to start."""
    config_maps = {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"}
    secrets = {o["metadata"]["name"]: o["stringData"] for o in objects if o["kind"] == "Secret"}
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        name = source["configMapRef"]["name"]
        assert name in config_maps, f"{deployment['metadata']['name']} needs ConfigMap {name}"
        env.update(config_maps[name])
    for variable in container["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        values = secrets.get(reference["name"], {})
        if reference["key"] not in values:
            assert reference.get("optional"), f"{reference['key']} missing from the Secret"
            continue
        env[variable["name"]] = values[reference["key"]]
    return env


def test_each_pod_gets_every_secret_and_setting_its_service_needs(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = rendered_kustomization() + site_objects(site)
    deployments = {d["metadata"]["name"]: d for d in objects if d["kind"] == "Deployment"}
    assert set(deployments) == set(SETTINGS)
    for name, deployment in deployments.items():
        env = pod_environment(deployment, objects)
        assert env["TIPLINE_ENV"] == "production"  # so placeholders and short secrets fail
        with monkeypatch.context() as patch:
            for variable in list(os.environ):
                patch.delenv(variable)
            for key, value in env.items():
                patch.setenv(key, value)
            # Each service's own settings: they refuse missing, placeholder or short secrets.
            settings: Any = SETTINGS[name]()
        load_public_key(settings.public_key_pem())
        if name != "audit":
            settings.keyring()
        assert settings.mongodb_uri == MONGODB_URI
        assert settings.kafka_bootstrap_servers.endswith(".svc.cluster.local:9092")
    intake = pod_environment(deployments["intake"], objects)
    assert intake["TRACKER_PUBLIC_URL"] == "https://track.example.org"  # no trailing slash


def test_the_made_files_are_private_and_a_second_run_overwrites_nothing(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (k8s_secrets.MANIFEST, k8s_secrets.KEYRING, k8s_secrets.SIGNING_KEY):
        assert stat.S_IMODE((site / name).stat().st_mode) == 0o600
    before = (site / k8s_secrets.MANIFEST).read_bytes()
    monkeypatch.setenv("MONGODB_URI", MONGODB_URI)
    assert k8s_secrets.main(["--out", str(site), *SITE]) == 2
    assert "not overwritten" in capsys.readouterr().err
    assert (site / k8s_secrets.MANIFEST).read_bytes() == before


def test_the_secrets_are_random_and_the_keyring_matches_the_operators_copy(site: Path) -> None:
    secret = next(o for o in site_objects(site) if o["kind"] == "Secret")["stringData"]
    made = [secret[k] for k in ("TRACKING_CODE_SECRET", "INTERNAL_API_TOKEN", "LINKING_SECRET")]
    assert len(set(made)) == 3 and all(len(value) >= 32 for value in made)
    assert secret["TIPLINE_KEYRING"] == (site / k8s_secrets.KEYRING).read_text()


def test_without_a_database_address_nothing_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert k8s_secrets.main(["--out", str(tmp_path / "site"), *SITE]) == 2
    assert not (tmp_path / "site").exists()
