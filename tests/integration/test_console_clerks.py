"""Clerks sign in with the same console accounts (password and TOTP), and the console hands
them on to intake's staff entry, signed in as themselves; the queue is not theirs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from deploy.local.stack import Stack
from tests.integration.helpers import mongo_client, report_id_of, staff, wait_until
from tests.integration.helpers_console import (
    console_tracker,
    create_account,
    hidden,
    sign_in,
    staff_command,
)

NARRATIVE = "来电反映：县交通局长收受砂石老板贿赂，放任超载车辆通行。电话记录于上午十点。"

# Reports entered here are followed to their case; the next module starts with none in flight.
pytestmark = pytest.mark.usefixtures("all_classified_afterwards")


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Stack]:
    with console_tracker(stack) as own:
        yield own


def _hand_off(client: httpx.Client, console: Stack) -> tuple[str, str]:
    """The clerk's console page: where its form posts, and the token it carries."""
    home = client.get("/console/?lang=en")
    assert home.status_code == 200, home.text
    action = re.search(r'<form method="post" action="([^"]+)" id="staff-entry-hand-off"', home.text)
    assert action, "no hand-off to staff entry"
    intake = console.url("intake")
    # Only this page's policy lets a form leave the console, and only for intake.
    assert f"form-action 'self' {intake}" in home.headers["content-security-policy"]
    assert home.headers["cache-control"] == "no-store"
    return action.group(1), hidden(home.text, "token")


def test_a_clerk_signs_in_at_the_console_and_enters_a_phone_report_on_staff_entry(
    console: Stack,
) -> None:
    create_account(console, "clerk-phone", "clerk")
    client, _ = sign_in(console, "clerk-phone")
    with closing(client):
        assert client.get("/console/queue").status_code == 403  # the queue is not a clerk's
        action, token = _hand_off(client, console)
    assert action == f"{console.url('intake')}/staff/sign-in"
    with httpx.Client(timeout=15) as browser:
        signed_in = browser.post(action, data={"token": token, "lang": "en"})
        assert signed_in.status_code == 303
        page = browser.get(f"{console.url('intake')}/staff/entry?lang=en")
        assert page.status_code == 200
        entered = browser.post(
            f"{console.url('intake')}/staff/entry",
            data={
                "channel": "phone",
                "source_reference": "CALL-2026-1204-07",
                "narrative": NARRATIVE,
                "lang": "en",
                "csrf": hidden(page.text, "csrf"),
            },
        )
    assert entered.status_code == 201, entered.text
    code = re.search(r'id="tracking-code"[^>]*>\s*([^<\s]+)\s*<', entered.text)
    assert code, "no tracking code for the reporter"
    report_id = report_id_of(console, code.group(1))
    stored = mongo_client(console)["intake"]["reports"].find_one({"_id": report_id})
    assert stored is not None and stored["channel"] == "phone"
    # The report reaches the office's cases: found by its id, as a supervisor would open it.
    supervisor = staff(console, "supervisor")
    tracker = console.url("tracker")

    def case_is_there() -> bool:
        answer = httpx.get(f"{tracker}/v1/cases/{report_id}", headers=supervisor, timeout=10)
        return answer.status_code == 200 and answer.json()["report_id"] == report_id

    wait_until(case_is_there, 60, "the clerk's phone report becoming a case")


def test_disabling_a_clerk_ends_their_staff_entry_sign_in_too(console: Stack) -> None:
    create_account(console, "clerk-gone", "clerk")
    client, _ = sign_in(console, "clerk-gone")
    with closing(client):
        action, token = _hand_off(client, console)
    with httpx.Client(timeout=15) as browser:
        assert browser.post(action, data={"token": token}).status_code == 303
        entry = f"{console.url('intake')}/staff/entry"
        assert browser.get(entry).status_code == 200
        assert staff_command(console, "disable", "--account", "clerk-gone").returncode == 0
        # Intake refreshes the revoked token ids every few seconds: then back to its sign-in.
        wait_until(lambda: browser.get(entry).status_code == 303, 30, "staff entry refusing")


def test_other_roles_get_no_hand_off_to_staff_entry(console: Stack) -> None:
    create_account(console, "sup-no-entry", "supervisor")
    client, _ = sign_in(console, "sup-no-entry")
    with closing(client):
        home = client.get("/console/?lang=en")
        assert 'id="staff-entry-hand-off"' not in home.text
        assert console.url("intake") not in home.headers["content-security-policy"]
