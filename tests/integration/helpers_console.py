"""The console's test helpers: a tracker that may issue staff tokens (a second instance on the
stack's servers), accounts made with the `tipline-staff` command, and signing in the way a
browser does, password and TOTP code included."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp

from deploy.local.stack import Stack
from tests.integration.helpers import second_instance

PASSWORD = "a long first password"


@contextlib.contextmanager
def console_tracker(stack: Stack) -> Iterator[Stack]:
    """A tracker whose console gives each signed-in person their own staff token."""
    signing = Path(stack.secrets["TIPLINE_KEYRING_FILE"]).parent / "token-signing.pem"
    settings = {
        "CONSOLE_SIGNING_KEY_FILE": str(signing),
        "CLASSIFIER_URL": stack.url("classifier"),
        "INTAKE_URL": stack.url("intake"),
        "AUDIT_URL": stack.url("audit"),
    }
    with second_instance(stack, "tracker", settings, name="tracker-console") as own:
        yield own


def staff_command(
    stack: Stack, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.tracker.console.commands", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"MONGODB_URI": stack.mongodb_uri, "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )


def create_account(stack: Stack, account: str, role: str, *scope: str) -> None:
    done = staff_command(
        stack,
        "create",
        "--account",
        account,
        "--name",
        f"Name of {account}",
        "--role",
        role,
        *scope,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def wait_for_next_code(secret: str, used: set[str]) -> str:
    """A TOTP code not used yet (one code signs in once): waits for the next step if needed."""
    totp = pyotp.TOTP(secret)
    while (code := totp.now()) in used:
        time.sleep(0.5)
    used.add(code)
    return code


def sign_in(stack: Stack, account: str) -> tuple[httpx.Client, str]:
    """A client signed in as `account` (enrolling its authenticator on the way), and the
    TOTP secret it enrolled."""
    client = httpx.Client(base_url=stack.url("tracker"), timeout=15, follow_redirects=True)
    page = client.get("/console/sign-in?lang=en").text
    answer = client.post(
        "/console/sign-in",
        data={"pre": hidden(page, "pre"), "account": account, "password": PASSWORD, "lang": "en"},
    )
    assert answer.status_code == 200, answer.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', answer.text)
    assert secret, "no enrolment page"
    done = client.post(
        "/console/enrol",
        data={
            "pre": hidden(answer.text, "pre"),
            "account": account,
            "code": pyotp.TOTP(secret.group(1)).now(),
            "lang": "en",
        },
    )
    assert done.status_code == 200 and 'id="sign-out"' in done.text, done.text
    return client, secret.group(1)


def sign_in_with_code(stack: Stack, account: str, code: str) -> httpx.Client:
    """A client signed in as an enrolled `account` with its password and a TOTP code."""
    client = httpx.Client(base_url=stack.url("tracker"), timeout=15, follow_redirects=True)
    page = client.get("/console/sign-in?lang=en").text
    answer = client.post(
        "/console/sign-in",
        data={
            "pre": hidden(page, "pre"),
            "account": account,
            "password": PASSWORD,
            "code": code,
            "lang": "en",
        },
    )
    assert answer.status_code == 200 and 'id="sign-out"' in answer.text, answer.text
    return client
