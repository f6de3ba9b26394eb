"""Make every secret and site-specific setting the Kubernetes manifests need, in one step.

    tipline-k8s-secrets --out DIR --kafka HOST:PORT \\
        --intake-url https://report.example.org --tracker-url https://track.example.org
    (MONGODB_URI from the environment, so its password stays out of the shell's history)

Writes, into DIR (created readable by its owner only; keep it out of the repository, in the
office's vault):

    tipline-site.json    the Secret `tipline-secrets` and the ConfigMap `tipline-site`, for
                         `kubectl apply -f DIR/tipline-site.json`
    keyring.json         the report-encryption keyring (the same JSON as in the Secret), for
                         `tipline-keys add/retire` when keys are rotated
    token-signing.pem    the private key that signs staff tokens (`tipline-token issue`);
                         it never goes into the cluster
    token-verifying.pem  its public half (also in the ConfigMap as TOKEN_PUBLIC_KEY)

It refuses to write into a DIR that already has these: a second TRACKING_CODE_SECRET would
make every tracking code issued so far unusable, a second LINKING_SECRET would unlink every
earlier report, and a second keyring could not open what the first sealed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.common.auth import new_key_pair
from services.common.crypto import Keyring

NAMESPACE = "tipline"
SECRET_NAME = "tipline-secrets"  # noqa: S105  (the Secret object's name, not a secret)
SITE_CONFIG_NAME = "tipline-site"
LABELS = {"app.kubernetes.io/part-of": "tipline"}
MANIFEST = "tipline-site.json"
KEYRING = "keyring.json"
SIGNING_KEY = "token-signing.pem"
VERIFYING_KEY = "token-verifying.pem"


def random_secret() -> str:
    """43 URL-safe characters (32 random bytes): above the services' 32-character minimum."""
    return secrets.token_urlsafe(32)


def site_manifest(
    *,
    mongodb_uri: str,
    kafka_bootstrap_servers: str,
    intake_public_url: str,
    tracker_public_url: str,
    keyring_json: str,
    token_public_key: str,
    wechat_token: str | None = None,
    weibo_app_secret: str | None = None,
) -> dict[str, Any]:
    """The Secret and ConfigMap (as one `List`) that the Deployments in deploy/k8s read."""
    secret_data = {
        # Intake and tracker: turns a tracking code into its lookup hash. Never change it.
        "TRACKING_CODE_SECRET": random_secret(),
        # Intake and classifier: what the classifier presents to intake's internal API.
        "INTERNAL_API_TOKEN": random_secret(),
        # Intake, classifier, tracker: the key-encryption keys wrapping every data key.
        "TIPLINE_KEYRING": keyring_json,
        # Classifier: the key under which entity values are hashed in its shared index.
        "LINKING_SECRET": random_secret(),
        # All four: it carries the database credentials.
        "MONGODB_URI": mongodb_uri,
    }
    # Intake, optional: a messaging-app webhook is offered only when its secret is set.
    if wechat_token:
        secret_data["WECHAT_TOKEN"] = wechat_token
    if weibo_app_secret:
        secret_data["WEIBO_APP_SECRET"] = weibo_app_secret
    metadata = {"namespace": NAMESPACE, "labels": LABELS}
    return {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": SECRET_NAME, **metadata},
                "type": "Opaque",
                "stringData": secret_data,
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": SITE_CONFIG_NAME, **metadata},
                "data": {
                    "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
                    "INTAKE_PUBLIC_URL": intake_public_url,
                    "TRACKER_PUBLIC_URL": tracker_public_url,
                    # Verifies staff tokens; not secret (only the signing half is).
                    "TOKEN_PUBLIC_KEY": token_public_key,
                },
            },
        ],
    }


def _public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) address")
    return value.rstrip("/")


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tipline-k8s-secrets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, required=True, help="a new folder, outside the repo")
    parser.add_argument("--kafka", required=True, help="KAFKA_BOOTSTRAP_SERVERS, host:port[,...]")
    parser.add_argument("--intake-url", type=_public_url, required=True, help="reporting site")
    parser.add_argument("--tracker-url", type=_public_url, required=True, help="status page")
    parser.add_argument(
        "--mongodb-uri",
        default=os.environ.get("MONGODB_URI"),
        help="default: $MONGODB_URI (better: the option would stay in the shell's history)",
    )
    parser.add_argument(
        "--wechat-token-env",
        metavar="NAME",
        help="offer the WeChat webhook, with the token in this environment variable",
    )
    parser.add_argument(
        "--weibo-secret-env",
        metavar="NAME",
        help="offer the Weibo webhook, with the app secret in this environment variable",
    )
    args = parser.parse_args(argv)
    if not args.mongodb_uri or not args.mongodb_uri.startswith(("mongodb://", "mongodb+srv://")):
        print("set MONGODB_URI (mongodb://USER:PASSWORD@HOST:27017/...)", file=sys.stderr)
        return 2
    optional = {}
    for name, env in (("wechat", args.wechat_token_env), ("weibo", args.weibo_secret_env)):
        if env is not None:
            value = os.environ.get(env, "").strip()
            if not value:
                print(f"{env} is not set (the {name} webhook's secret)", file=sys.stderr)
                return 2
            optional[name] = value

    out: Path = args.out
    existing = [n for n in (MANIFEST, KEYRING, SIGNING_KEY, VERIFYING_KEY) if (out / n).exists()]
    if existing:
        print(
            f"{out} already holds {', '.join(existing)}: not overwritten (new secrets would make "
            "every tracking code and sealed report so far unusable)",
            file=sys.stderr,
        )
        return 2
    out.mkdir(parents=True, exist_ok=True, mode=0o700)

    keyring_json = Keyring.new("kek-1").to_json()
    signing_pem, verifying_pem = new_key_pair()
    manifest = site_manifest(
        mongodb_uri=args.mongodb_uri,
        kafka_bootstrap_servers=args.kafka,
        intake_public_url=args.intake_url,
        tracker_public_url=args.tracker_url,
        keyring_json=keyring_json,
        token_public_key=verifying_pem.decode(),
        wechat_token=optional.get("wechat"),
        weibo_app_secret=optional.get("weibo"),
    )
    _write_private(out / KEYRING, keyring_json.encode())
    _write_private(out / SIGNING_KEY, signing_pem)
    (out / VERIFYING_KEY).write_bytes(verifying_pem)
    _write_private(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    print(
        f"wrote {out / MANIFEST} (Secret {SECRET_NAME}, ConfigMap {SITE_CONFIG_NAME}), "
        f"{out / KEYRING}, {out / SIGNING_KEY} (keep it off the cluster) and {out / VERIFYING_KEY}"
        f"\nnext: kubectl apply -f deploy/k8s/namespace.yaml && kubectl apply -f {out / MANIFEST}"
        " && kubectl apply -k deploy/k8s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
