"""Staff accounts and signing in to the console, through in-memory stores and a clock the
test moves. The pages and the real database are covered by tests/integration/test_console.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from services.common.auth import Role
from services.common.throttle import FailureThrottle
from services.tracker.console import accounts
from services.tracker.console.accounts import Account, Session
from services.tracker.console.texts import CONSOLE_TEXTS
from services.tracker.domain import RoutingTable

ROUTING = RoutingTable.from_toml(
    (Path(__file__).parents[2] / "services" / "tracker" / "routing.toml").read_text()
)
PASSWORD = "correct horse battery"


class MemoryAccounts:
    def __init__(self) -> None:
        self.rows: dict[str, Account] = {}

    async def get(self, account_id: str) -> Account | None:
        return self.rows.get(account_id)

    async def insert(self, account: Account) -> bool:
        if account.id in self.rows:
            return False
        self.rows[account.id] = account
        return True

    async def replace(self, account: Account) -> None:
        # Like the real store: everything but the secret, which set_totp_secret writes.
        if account.id in self.rows:
            kept = self.rows[account.id].totp_secret
            self.rows[account.id] = replace(account, totp_secret=kept)

    async def set_totp_secret(self, account_id: str, secret: str | None) -> None:
        if account_id in self.rows:
            self.rows[account_id] = replace(self.rows[account_id], totp_secret=secret)

    async def all(self) -> list[Account]:
        return sorted(self.rows.values(), key=lambda a: a.id)


class MemorySessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    async def insert(self, session: Session) -> None:
        self.rows[session.id_hash] = session

    async def get(self, id_hash: str) -> Session | None:
        return self.rows.get(id_hash)

    async def touch(self, id_hash: str, at: datetime) -> None:
        self.rows[id_hash] = replace(self.rows[id_hash], last_seen=at)

    async def delete(self, id_hash: str) -> None:
        self.rows.pop(id_hash, None)

    async def delete_for(self, account_id: str) -> list[str]:
        ended = [s for s in self.rows.values() if s.account_id == account_id]
        for session in ended:
            del self.rows[session.id_hash]
        return [s.token_id for s in ended]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def console() -> accounts.Console:
    revoked: list[str] = []

    async def issue(account: Account, lifetime: timedelta) -> tuple[str, str]:
        return f"token-of-{account.id}", f"jti-{account.id}-{len(revoked)}"

    async def revoke(token_id: str) -> None:
        revoked.append(token_id)

    async def no_wait(seconds: float) -> None:
        return None

    c = accounts.Console(
        accounts=MemoryAccounts(),
        sessions=MemorySessions(),
        routing=ROUTING,
        clock=Clock(),
        throttle=FailureThrottle(free_failures=100),
        issue_token=issue,
        revoke_token=revoke,
        sleep=no_wait,
    )
    c.revoked = revoked  # type: ignore[attr-defined]
    return c


async def enrolled(c: accounts.Console, account_id: str = "sup-wang") -> tuple[str, str]:
    """An account that has enrolled its second factor; its TOTP secret and a session secret."""
    await accounts.create_account(c, account_id, "Wang Li", Role.SUPERVISOR, PASSWORD)
    enrolment = await accounts.sign_in(c, account_id, PASSWORD, "", "10.0.0.1")
    assert isinstance(enrolment, accounts.Enrolment)
    code = pyotp.TOTP(enrolment.secret).at(c.clock())
    done = await accounts.confirm_enrolment(c, account_id, code, "10.0.0.1")
    return enrolment.secret, done.secret


def later_code(c: accounts.Console, secret: str, clock: Clock, seconds: int = 60) -> str:
    clock.now += timedelta(seconds=seconds)
    return pyotp.TOTP(secret).at(clock.now)


async def test_an_unknown_province_or_team_is_refused_naming_the_valid_ones(
    console: accounts.Console,
) -> None:
    with pytest.raises(accounts.AccountProblem) as refused:
        await accounts.create_account(
            console, "inv-1", "Zhao", Role.INVESTIGATOR, PASSWORD, provinces=["atlantis"]
        )
    assert refused.value.field == "province"
    assert "atlantis" in refused.value.reason and "hunan" in refused.value.reason
    with pytest.raises(accounts.AccountProblem) as refused:
        await accounts.create_account(
            console, "inv-1", "Zhao", Role.INVESTIGATOR, PASSWORD, teams=["team-x"]
        )
    assert refused.value.field == "team" and "inspection-hunan" in refused.value.reason
    assert await console.accounts.get("inv-1") is None


async def test_a_password_is_stored_as_an_argon2id_hash_only(console: accounts.Console) -> None:
    account = await accounts.create_account(console, "sup-wang", "Wang", Role.SUPERVISOR, PASSWORD)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in json.dumps(account.to_document(), default=str)


async def test_the_first_sign_in_enrols_a_second_factor_then_needs_its_code(
    console: accounts.Console,
) -> None:
    secret, session_secret = await enrolled(console)
    who = await accounts.current(console, session_secret)
    assert who is not None and who.account.role is Role.SUPERVISOR
    assert who.session.token == "token-of-sup-wang"
    # The store holds the token sealed under the cookie's secret, never in clear.
    (kept,) = console.sessions.rows.values()  # type: ignore[attr-defined]
    assert kept.token is None and kept.token_sealed
    assert b"token-of-sup-wang" not in kept.token_sealed
    # Without the code, or with one already used, the password alone is not enough.
    with pytest.raises(accounts.SignInRefused):
        await accounts.sign_in(console, "sup-wang", PASSWORD, "", "10.0.0.1")
    code = later_code(console, secret, console.clock)  # type: ignore[arg-type]
    assert isinstance(
        await accounts.sign_in(console, "sup-wang", PASSWORD, code, "10.0.0.1"),
        accounts.SignedIn,
    )
    with pytest.raises(accounts.SignInRefused):
        await accounts.sign_in(console, "sup-wang", PASSWORD, code, "10.0.0.1")


async def test_repeated_failures_lock_the_account_until_an_administrator_enables_it(
    console: accounts.Console,
) -> None:
    secret, _ = await enrolled(console)
    for _ in range(console.lockout_after):
        with pytest.raises(accounts.SignInRefused):
            await accounts.sign_in(console, "sup-wang", "wrong password!", "", "10.0.0.9")
    code = later_code(console, secret, console.clock)  # type: ignore[arg-type]
    with pytest.raises(accounts.SignInRefused) as refused:
        await accounts.sign_in(console, "sup-wang", PASSWORD, code, "10.0.0.9")
    assert refused.value.locked
    await accounts.enable_account(console, "sup-wang")
    code = later_code(console, secret, console.clock)  # type: ignore[arg-type]
    assert isinstance(
        await accounts.sign_in(console, "sup-wang", PASSWORD, code, "10.0.0.9"),
        accounts.SignedIn,
    )


async def test_failed_sign_ins_from_one_client_are_slowed_down() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    c = accounts.Console(
        MemoryAccounts(), MemorySessions(), ROUTING, Clock(), FailureThrottle(), sleep=record
    )
    for _ in range(8):
        with pytest.raises(accounts.SignInRefused):
            await accounts.sign_in(c, "nobody", "guess guess guess", "", "10.0.0.7")
    assert waits and waits == sorted(waits)


async def test_disabling_ends_every_session_at_once_and_revokes_its_tokens(
    console: accounts.Console,
) -> None:
    _, session_secret = await enrolled(console)
    assert await accounts.current(console, session_secret) is not None
    await accounts.disable_account(console, "sup-wang")
    assert await accounts.current(console, session_secret) is None
    assert console.revoked  # type: ignore[attr-defined]


async def test_a_session_ends_after_the_idle_timeout(console: accounts.Console) -> None:
    _, session_secret = await enrolled(console)
    console.clock.now += console.idle - timedelta(seconds=1)  # type: ignore[attr-defined]
    assert await accounts.current(console, session_secret) is not None
    console.clock.now += console.idle + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert await accounts.current(console, session_secret) is None


async def test_a_reset_ends_sessions_and_asks_for_a_new_enrolment(
    console: accounts.Console,
) -> None:
    _, session_secret = await enrolled(console)
    await accounts.reset_account(console, "sup-wang", "another long password")
    assert await accounts.current(console, session_secret) is None
    again = await accounts.sign_in(console, "sup-wang", "another long password", "", "10.0.0.1")
    assert isinstance(again, accounts.Enrolment)


def test_every_console_text_exists_in_both_languages() -> None:
    assert set(CONSOLE_TEXTS["zh"]) == set(CONSOLE_TEXTS["en"])
    assert all(v.strip() for lang in CONSOLE_TEXTS.values() for v in lang.values())
    # Templates read `c.key`: a key named like a dict method would show the method instead.
    assert not [key for key in CONSOLE_TEXTS["en"] if hasattr(dict, key)]


async def test_codes_posted_to_an_enrolled_accounts_enrolment_do_not_lock_it(
    console: accounts.Console,
) -> None:
    await enrolled(console)
    for _ in range(console.lockout_after + 1):
        with pytest.raises(accounts.SignInRefused):
            await accounts.confirm_enrolment(console, "sup-wang", "000000", "10.0.0.66")
    account = await console.accounts.get("sup-wang")
    assert account is not None and not account.locked and account.failures == 0
