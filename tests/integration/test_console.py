"""The console on the real tracker and database: accounts from the command and the accounts
page, signing in with password and TOTP, the session cookie, CSRF, lockout and disabling."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing

import httpx
import pyotp
import pytest

from deploy.local.stack import Stack
from tests.integration.helpers import mongo_client, wait_until
from tests.integration.helpers_console import (
    PASSWORD,
    console_tracker,
    create_account,
    hidden,
    sign_in,
    sign_in_with_code,
    staff_command,
)


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Stack]:
    with console_tracker(stack) as own:
        yield own


def test_the_command_refuses_an_unknown_province_naming_the_valid_ones(stack: Stack) -> None:
    done = staff_command(
        stack,
        "create",
        *("--account", "inv-nowhere", "--name", "Nobody", "--role", "investigator"),
        *("--province", "atlantis", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 2
    assert "atlantis" in done.stderr and "hunan" in done.stderr
    assert "inv-nowhere" not in staff_command(stack, "list").stdout


def test_create_prints_a_first_password_once_and_list_shows_the_account(stack: Stack) -> None:
    done = staff_command(
        stack, "create", "--account", "clerk-li", "--name", "Li", "--role", "clerk"
    )
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip()
    assert len(password) >= 12
    stored = mongo_client(stack)["staff"]["console_accounts"].find_one({"_id": "clerk-li"})
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    assert password not in str(stored)
    listing = staff_command(stack, "list").stdout
    assert "clerk-li" in listing and "clerk" in listing and "enrolling" in listing


def test_signing_in_sets_a_strict_httponly_cookie_and_pages_are_not_stored(console: Stack) -> None:
    create_account(console, "sup-cookie", "supervisor")
    client, _ = sign_in(console, "sup-cookie")
    with closing(client):
        cookie = next(c for c in client.cookies.jar if c.name == "tipline_console")
        assert cookie.path == "/console"
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert cookie.get_nonstandard_attr("SameSite").lower() == "strict"
        page = client.get("/console/queue")
        assert page.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        # The session's secret is not what the database keeps.
        sessions = mongo_client(console)["staff"]["console_sessions"]
        assert sessions.find_one({"_id": cookie.value}) is None
        assert sessions.count_documents({"account_id": "sup-cookie"}) == 1
        # Nor the person's staff token: it is sealed under a key only the cookie gives ...
        row = sessions.find_one({"account_id": "sup-cookie"})
        assert row is not None and "token" not in row and row["token_sealed"]
        assert b"eyJ" not in bytes(row["token_sealed"])  # no JWT in clear
    # ... and the console still calls another service with it on the person's behalf: an
    # auditor's page checks the chain through audit's API with the auditor's own token.
    create_account(console, "aud-cookie", "auditor")
    auditor, _ = sign_in(console, "aud-cookie")
    with closing(auditor):
        audit = auditor.get("/console/audit?lang=en")
        assert audit.status_code == 200 and 'id="chain" data-intact="yes"' in audit.text


def test_a_token_the_other_services_refuse_ends_the_session_and_asks_to_sign_in_again(
    console: Stack,
) -> None:
    create_account(console, "sup-revoked", "supervisor")
    client, _ = sign_in(console, "sup-revoked")
    sessions = mongo_client(console)["staff"]["console_sessions"]
    with closing(client):
        assert client.get("/console/insights?lang=en").status_code == 200
        row = sessions.find_one({"account_id": "sup-revoked"})
        assert row is not None
        command = [sys.executable, "-m", "services.common.tokens", "revoke"]
        revoked = subprocess.run(
            [*command, "--token-id", row["token_id"]],
            env={"MONGODB_URI": console.mongodb_uri, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert revoked.returncode == 0, revoked.stderr
        # The classifier re-reads the revoked tokens every few seconds; until then it accepts.
        wait_until(
            lambda: 'id="sign-in-again"' in client.get("/console/insights?lang=en").text,
            30,
            "the sign-in page asking to sign in again",
        )
        assert sessions.count_documents({"account_id": "sup-revoked"}) == 0
        assert "tipline_console" not in {c.name for c in client.cookies.jar}
        queue = client.get("/console/queue?lang=en")
        assert 'name="password"' in queue.text and 'id="sign-out"' not in queue.text


def test_a_form_without_the_sessions_csrf_token_is_refused(console: Stack) -> None:
    create_account(console, "admin-csrf", "administrator")
    client, _ = sign_in(console, "admin-csrf")
    with closing(client):
        page = client.get("/console/accounts")
        assert page.status_code == 200 and 'id="accounts"' in page.text
        refused = client.post(
            "/console/accounts",
            data={"account": "evil-1", "name": "Evil", "role": "supervisor", "csrf": "forged"},
        )
        assert refused.status_code == 403
        assert "evil-1" not in staff_command(console, "list").stdout


def test_an_administrator_creates_an_account_in_the_console_checked_against_the_table(
    console: Stack,
) -> None:
    create_account(console, "admin-page", "administrator")
    client, _ = sign_in(console, "admin-page")
    with closing(client):
        csrf = hidden(client.get("/console/accounts?lang=en").text, "csrf")
        form = {"csrf": csrf, "account": "inv-page", "name": "Zhao Min", "role": "investigator"}
        refused = client.post("/console/accounts", data={**form, "province": "atlantis"})
        assert refused.status_code == 422
        assert "atlantis" in refused.text and "hunan" in refused.text
        made = client.post(
            "/console/accounts", data={**form, "province": "hunan", "team": "inspection-hunan"}
        )
        assert made.status_code == 200
        assert 'id="first-password"' in made.text
        row = mongo_client(console)["staff"]["console_accounts"].find_one({"_id": "inv-page"})
        assert row is not None and row["provinces"] == ["hunan"]


def test_other_roles_may_not_open_the_accounts_page(console: Stack) -> None:
    create_account(console, "sup-not-admin", "supervisor")
    client, _ = sign_in(console, "sup-not-admin")
    with closing(client):
        assert client.get("/console/accounts").status_code == 403


def test_repeated_wrong_passwords_lock_the_account(console: Stack) -> None:
    create_account(console, "sup-locked", "supervisor")
    with httpx.Client(base_url=console.url("tracker"), timeout=15) as client:
        for _ in range(5):
            page = client.get("/console/sign-in?lang=en").text
            answer = client.post(
                "/console/sign-in",
                data={"pre": hidden(page, "pre"), "account": "sup-locked", "password": "nope!!"},
            )
            assert answer.status_code == 401
        page = client.get("/console/sign-in?lang=en").text
        answer = client.post(
            "/console/sign-in",
            data={"pre": hidden(page, "pre"), "account": "sup-locked", "password": PASSWORD},
        )
        assert answer.status_code == 401 and 'id="sign-in-error"' in answer.text
    assert "locked" in staff_command(console, "list").stdout.split("sup-locked")[1].split("\n")[0]
    assert staff_command(console, "enable", "--account", "sup-locked").returncode == 0


def test_disabling_an_account_ends_its_session_at_once(console: Stack) -> None:
    create_account(console, "sup-gone", "supervisor")
    client, _ = sign_in(console, "sup-gone")
    with closing(client):
        assert 'id="sign-out"' in client.get("/console/queue").text
        assert staff_command(console, "disable", "--account", "sup-gone").returncode == 0
        after = client.get("/console/queue")
        assert 'id="sign-in"' in after.text and 'id="sign-out"' not in after.text


def test_signing_out_ends_the_session(console: Stack) -> None:
    create_account(console, "sup-out", "supervisor")
    client, _ = sign_in(console, "sup-out")
    with closing(client):
        csrf = hidden(client.get("/console/queue").text, "csrf")
        client.post("/console/sign-out", data={"csrf": csrf})
        assert 'id="sign-in"' in client.get("/console/queue").text


def test_the_totp_secret_is_kept_sealed_and_signing_in_with_a_code_still_works(
    console: Stack,
) -> None:
    create_account(console, "sup-sealed", "supervisor")
    client, secret = sign_in(console, "sup-sealed")
    client.close()
    row = mongo_client(console)["staff"]["console_accounts"].find_one({"_id": "sup-sealed"})
    assert row is not None and "totp_secret" not in row
    assert secret not in str(row) and secret.encode() not in bytes(row["totp_sealed"])
    assert row["data_key"]["kid"]  # the account's own data key, wrapped by the keyring
    with closing(sign_in_with_code(console, "sup-sealed", _next_code(secret))):
        pass


def test_a_secret_enrolled_before_sealing_still_signs_in_and_is_sealed_on_first_read(
    console: Stack,
) -> None:
    create_account(console, "sup-legacy", "supervisor")
    client, secret = sign_in(console, "sup-legacy")
    client.close()
    accounts = mongo_client(console)["staff"]["console_accounts"]
    # What an earlier release kept: the secret in plain text, no data key.
    accounts.update_one(
        {"_id": "sup-legacy"},
        {"$set": {"totp_secret": secret}, "$unset": {"totp_sealed": "", "data_key": ""}},
    )
    with closing(sign_in_with_code(console, "sup-legacy", _next_code(secret))):
        pass
    row = accounts.find_one({"_id": "sup-legacy"})
    assert row is not None and "totp_secret" not in row and secret not in str(row)
    assert row["totp_sealed"] and row["data_key"]


def _next_code(secret: str) -> str:
    """The next time step's code: enrolment used this one, and the next is accepted too."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)
