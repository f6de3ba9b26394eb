"""Staff accounts and signing in to the console: plain use cases given their stores and clock.

An account has an id (what the person types to sign in), a display name, one role, and for
investigators the provinces and teams they may see, checked against the routing table. The
password is kept as an Argon2id hash; the second factor is a TOTP secret the person enrols by
QR code at their first sign-in, kept sealed by the store (`stores.AccountStore`). Failed
sign-ins are throttled per client, and an account locks after `lockout_after` failures in a
row until an administrator enables it again.

A session is a random secret in the person's cookie; the store keeps only its SHA-256, with
the CSRF token of its forms and when it was last used. The person's own staff token, which the
console uses on their behalf, is kept sealed under a key derived from that cookie secret: the
sessions collection alone yields no usable token. It ends after `idle` without use, after
`lifetime` at most, at sign-out, and at once when the account is disabled or reset.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.auth import Principal, Role
from services.common.crypto import DataKey
from services.common.throttle import FailureThrottle
from services.common.tokens import scope_ids
from services.tracker.domain import RoutingTable, as_utc

ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 200
TOTP_ISSUER = "Tipline"

# Argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile).
HASHER = PasswordHasher()


class AccountProblem(Exception):
    """A field of an account that cannot be accepted; `reason` names what would be."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class SignInRefused(Exception):
    """Wrong account, password or code, or a locked or disabled account. `why` is for the
    audit of the office's own log, never shown: every refusal reads the same to the person."""

    def __init__(self, why: str, locked: bool = False) -> None:
        self.why = why
        self.locked = locked
        super().__init__(why)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    role: Role
    provinces: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    password_hash: str = ""
    totp_secret: str | None = None
    totp_confirmed: bool = False
    totp_last_step: int = -1  # the last time step used, so one code signs in once
    failures: int = 0
    locked: bool = False
    disabled: bool = False
    created_at: datetime | None = None

    def to_document(self) -> dict[str, Any]:
        """Everything but the TOTP secret, which the store keeps sealed."""
        return {
            "_id": self.id,
            "name": self.name,
            "role": self.role.value,
            "provinces": sorted(self.provinces),
            "teams": sorted(self.teams),
            "password_hash": self.password_hash,
            "totp_confirmed": self.totp_confirmed,
            "totp_last_step": self.totp_last_step,
            "failures": self.failures,
            "locked": self.locked,
            "disabled": self.disabled,
            "created_at": self.created_at,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Account:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            role=Role(doc["role"]),
            provinces=frozenset(doc.get("provinces") or ()),
            teams=frozenset(doc.get("teams") or ()),
            password_hash=doc.get("password_hash", ""),
            totp_confirmed=bool(doc.get("totp_confirmed")),
            totp_last_step=int(doc.get("totp_last_step", -1)),
            failures=int(doc.get("failures", 0)),
            locked=bool(doc.get("locked")),
            disabled=bool(doc.get("disabled")),
            created_at=as_utc(doc["created_at"]) if doc.get("created_at") else None,
        )

    @property
    def state(self) -> str:
        if self.disabled:
            return "disabled"
        if self.locked:
            return "locked"
        return "active" if self.totp_confirmed else "enrolling"

    def principal(self, token_id: str, expires_at: datetime) -> Principal:
        return Principal(
            subject=self.id,
            role=self.role,
            token_id=token_id,
            expires_at=expires_at,
            provinces=self.provinces,
            teams=self.teams,
        )


@dataclass(frozen=True)
class Session:
    id_hash: str
    account_id: str
    csrf: str
    created_at: datetime
    last_seen: datetime
    token: str | None = None  # the person's own staff token, for the other services' APIs
    token_id: str = ""
    token_sealed: bytes | None = None  # what the store keeps instead of `token`


class Accounts(Protocol):
    async def get(self, account_id: str) -> Account | None: ...

    async def insert(self, account: Account) -> bool: ...

    async def replace(self, account: Account) -> None:
        """Writes everything but the TOTP secret."""
        ...

    async def set_totp_secret(self, account_id: str, secret: str | None) -> None:
        """Keeps the secret (sealed, in the real store), or clears it."""
        ...

    async def all(self) -> list[Account]: ...


class Sessions(Protocol):
    async def insert(self, session: Session) -> None: ...

    async def get(self, id_hash: str) -> Session | None: ...

    async def touch(self, id_hash: str, at: datetime) -> None: ...

    async def delete(self, id_hash: str) -> None: ...

    async def delete_for(self, account_id: str) -> list[str]:
        """Ends every session of the account; returns the staff token ids they held."""
        ...


# Issues a signed-in person's own staff token: (token, token id), or None when the console has
# no signing key (then the pages that read from intake and the classifier say so).
TokenIssuer = Callable[[Account, timedelta], Awaitable[tuple[str, str] | None]]
TokenRevoker = Callable[[str], Awaitable[None]]  # by token id


async def _no_tokens(account: Account, lifetime: timedelta) -> None:
    return None


async def _nothing_to_revoke(token_id: str) -> None:
    return None


@dataclass
class Console:
    """What the account and sign-in use cases are given."""

    accounts: Accounts
    sessions: Sessions
    routing: RoutingTable
    clock: Callable[[], datetime]
    throttle: FailureThrottle = field(default_factory=FailureThrottle)
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)
    lockout_after: int = 5
    issue_token: TokenIssuer = _no_tokens
    revoke_token: TokenRevoker = _nothing_to_revoke
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


# -- checks -----------------------------------------------------------------------------------


def scope_problems(
    table: RoutingTable, role: Role, provinces: Iterable[str], teams: Iterable[str]
) -> list[AccountProblem]:
    """What is wrong with a role's scope, naming the routing table's valid ids."""
    provinces, teams = sorted(set(provinces)), sorted(set(teams))
    known_provinces, known_teams = scope_ids(table)
    problems = []
    unknown = [p for p in provinces if p not in known_provinces]
    if unknown:
        problems.append(
            AccountProblem(
                "province",
                f"unknown {', '.join(unknown)}; the routing table's provinces are: "
                + ", ".join(known_provinces),
            )
        )
    unknown = [t for t in teams if t not in known_teams]
    if unknown:
        problems.append(
            AccountProblem(
                "team",
                f"unknown {', '.join(unknown)}; the routing table's teams are: "
                + ", ".join(known_teams),
            )
        )
    if role is Role.INVESTIGATOR and not (provinces or teams):
        problems.append(AccountProblem("province", "an investigator needs a province or a team"))
    if role is not Role.INVESTIGATOR and (provinces or teams):
        problems.append(
            AccountProblem("province", f"only investigators have a scope; a {role.value} has none")
        )
    return problems


def password_problem(password: str) -> AccountProblem | None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return AccountProblem(
            "password", f"between {MIN_PASSWORD} and {MAX_PASSWORD} characters, please"
        )
    return None


def new_password() -> str:
    """A first password an administrator hands over (the person changes nothing: the second
    factor they enrol is what keeps a leaked first password from being enough)."""
    return secrets.token_urlsafe(15)


def session_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_key(secret: str) -> DataKey:
    """Seals the session's staff token; only the cookie's holder can derive it."""
    key = hmac.new(secret.encode(), b"tipline console session token", hashlib.sha256).digest()
    return DataKey(session_hash(secret), key)


def _sealed(session: Session, secret: str) -> Session:
    if session.token is None:
        return session
    sealed = _token_key(secret).seal("token", session.token.encode())
    return replace(session, token=None, token_sealed=sealed)


def _opened(session: Session, secret: str) -> Session:
    if session.token_sealed is None:
        return session
    token = _token_key(secret).open("token", session.token_sealed).decode()
    return replace(session, token=token, token_sealed=None)


# -- the administrator's use cases ------------------------------------------------------------


async def create_account(
    c: Console,
    account_id: str,
    name: str,
    role: Role,
    password: str,
    provinces: Iterable[str] = (),
    teams: Iterable[str] = (),
) -> Account:
    problems = []
    if not ACCOUNT_ID.match(account_id):
        problems.append(
            AccountProblem("account", "2 to 63 lower-case letters, digits, '.', '_' or '-'")
        )
    if not 1 <= len(name.strip()) <= 100:
        problems.append(AccountProblem("name", "1 to 100 characters"))
    problems += scope_problems(c.routing, role, provinces, teams)
    problem = password_problem(password)
    if problem:
        problems.append(problem)
    if problems:
        raise problems[0]
    account = Account(
        id=account_id,
        name=name.strip(),
        role=role,
        provinces=frozenset(provinces),
        teams=frozenset(teams),
        password_hash=HASHER.hash(password),
        created_at=c.clock(),
    )
    if not await c.accounts.insert(account):
        raise AccountProblem("account", f"an account named {account_id} exists already")
    return account


async def _existing(c: Console, account_id: str) -> Account:
    account = await c.accounts.get(account_id)
    if account is None:
        raise AccountProblem("account", f"no account named {account_id}")
    return account


async def end_sessions(c: Console, account_id: str) -> None:
    for token_id in await c.sessions.delete_for(account_id):
        if not token_id.startswith("console:"):
            await c.revoke_token(token_id)


async def disable_account(c: Console, account_id: str) -> Account:
    """Disabled now: every session of it ends and its staff tokens are revoked."""
    account = replace(await _existing(c, account_id), disabled=True)
    await c.accounts.replace(account)
    await end_sessions(c, account_id)
    return account


async def enable_account(c: Console, account_id: str) -> Account:
    """Enabled again, and unlocked after failed sign-ins."""
    account = replace(await _existing(c, account_id), disabled=False, locked=False, failures=0)
    await c.accounts.replace(account)
    return account


async def reset_account(c: Console, account_id: str, password: str) -> Account:
    """A new password and a new second factor to enrol; every session of it ends."""
    problem = password_problem(password)
    if problem:
        raise problem
    account = replace(
        await _existing(c, account_id),
        password_hash=HASHER.hash(password),
        totp_secret=None,
        totp_confirmed=False,
        totp_last_step=-1,
        locked=False,
        failures=0,
    )
    await c.accounts.replace(account)
    await c.accounts.set_totp_secret(account_id, None)
    await end_sessions(c, account_id)
    return account


# -- signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A password was right and the account has no second factor yet: enrol one."""

    account: Account
    uri: str  # otpauth://, for the QR code
    secret: str  # the same, to type into an app by hand


@dataclass(frozen=True)
class SignedIn:
    session: Session
    secret: str  # for the cookie; the store keeps only its hash
    account: Account


def _totp(account: Account) -> pyotp.TOTP:
    assert account.totp_secret is not None
    return pyotp.TOTP(account.totp_secret, issuer=TOTP_ISSUER, name=account.id)


def _code_step(account: Account, code: str, now: datetime) -> int | None:
    """The time step a code is valid for (this one or its neighbours), else None."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()) or account.totp_secret is None:
        return None
    totp = _totp(account)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


async def _refuse(c: Console, client: str, account: Account | None, why: str) -> SignInRefused:
    c.throttle.failed(client)
    if account is None or account.disabled:
        return SignInRefused(why)
    failures = account.failures + 1
    locked = account.locked or failures >= c.lockout_after
    await c.accounts.replace(replace(account, failures=failures, locked=locked))
    return SignInRefused(why, locked=locked)


async def sign_in(
    c: Console, account_id: str, password: str, code: str, client_address: str | None
) -> SignedIn | Enrolment:
    """Checks the password and the code. An account without a second factor gets an
    enrolment instead of a session. Raises SignInRefused, the same for every cause."""
    client = c.throttle.client(client_address)
    delay = c.throttle.delay_for(client)
    if delay:
        await c.sleep(delay)
    account = await c.accounts.get(account_id.strip().lower())
    if account is None:
        HASHER.hash(password)  # the same work as for a real account: timing tells nothing
        raise await _refuse(c, client, None, "no such account")
    try:
        HASHER.verify(account.password_hash, password)
        password_ok = True
    except (VerificationError, InvalidHashError):
        password_ok = False
    if account.disabled or account.locked:
        raise await _refuse(c, client, account, account.state)
    if not password_ok:
        raise await _refuse(c, client, account, "wrong password")
    if not account.totp_confirmed:
        return await start_enrolment(c, account)
    now = c.clock()
    step = _code_step(account, code, now)
    if step is None or step <= account.totp_last_step:
        raise await _refuse(c, client, account, "wrong or reused code")
    account = replace(account, failures=0, totp_last_step=step)
    await c.accounts.replace(account)
    return await open_session(c, account)


async def start_enrolment(c: Console, account: Account) -> Enrolment:
    if account.totp_secret is None:
        account = replace(account, totp_secret=pyotp.random_base32())
        await c.accounts.set_totp_secret(account.id, account.totp_secret)
    return Enrolment(account, _totp(account).provisioning_uri(), account.totp_secret or "")


async def confirm_enrolment(
    c: Console, account_id: str, code: str, client_address: str | None
) -> SignedIn:
    """The first code from the person's app confirms the second factor and signs them in."""
    client = c.throttle.client(client_address)
    account = await c.accounts.get(account_id)
    if account is None or account.totp_confirmed or account.totp_secret is None:
        # Not counted against the account: anyone may post an account id here.
        raise await _refuse(c, client, None, "no enrolment pending")
    if account.disabled or account.locked:
        raise await _refuse(c, client, account, account.state)
    step = _code_step(account, code, c.clock())
    if step is None:
        raise await _refuse(c, client, account, "wrong code")
    account = replace(account, totp_confirmed=True, totp_last_step=step, failures=0)
    await c.accounts.replace(account)
    return await open_session(c, account)


async def open_session(c: Console, account: Account) -> SignedIn:
    now = c.clock()
    secret = secrets.token_urlsafe(32)
    issued = await c.issue_token(account, c.lifetime)
    session = Session(
        id_hash=session_hash(secret),
        account_id=account.id,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        last_seen=now,
        token=issued[0] if issued else None,
        token_id=issued[1] if issued else f"console:{session_hash(secret)[:16]}",
    )
    await c.sessions.insert(_sealed(session, secret))
    return SignedIn(session, secret, account)


@dataclass(frozen=True)
class Current:
    """The person behind a request: their account, session, and the Principal the tracker's
    use cases are given."""

    account: Account
    session: Session
    principal: Principal


async def current(c: Console, secret: str | None) -> Current | None:
    """The live session of this cookie, used now; None when there is none, it idled out or
    outlived its lifetime, or its account was disabled."""
    if not secret:
        return None
    id_hash = session_hash(secret)
    session = await c.sessions.get(id_hash)
    if session is None:
        return None
    now = c.clock()
    account = await c.accounts.get(session.account_id)
    if (
        now - session.last_seen > c.idle
        or now - session.created_at > c.lifetime
        or account is None
        or account.disabled
        or account.locked
        or not account.totp_confirmed
    ):
        await _end(c, session)
        return None
    await c.sessions.touch(id_hash, now)
    principal = account.principal(session.token_id, session.created_at + c.lifetime)
    return Current(account, _opened(session, secret), principal)


async def sign_out(c: Console, secret: str | None) -> None:
    if not secret:
        return
    session = await c.sessions.get(session_hash(secret))
    if session is not None:
        await _end(c, session)


async def _end(c: Console, session: Session) -> None:
    await c.sessions.delete(session.id_hash)
    if session.token is not None or session.token_sealed is not None:
        await c.revoke_token(session.token_id)
