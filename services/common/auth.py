"""Staff identity: signed, expiring bearer tokens with a role and a scope.

Tokens are JWTs signed with Ed25519 (EdDSA). Only the issuing command holds the private key;
services hold the public key, so a compromised service cannot mint tokens. A token names its
holder (`sub`), one role, and for investigators the provinces and teams they may see. Revoked
token ids are kept in the shared `staff` database and every service refreshes them every few
seconds.

401 means "who are you?" (no token, bad signature, expired, revoked); 403 means "you may not"
(wrong role, or a case outside an investigator's scope). Neither depends on whether the report
exists, so a token cannot be used to probe for reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pymongo.asynchronous.database import AsyncDatabase

from services.common.events import utcnow

log = logging.getLogger(__name__)

ISSUER = "tipline"
AUDIENCE = "tipline-staff"
ALGORITHM = "EdDSA"


class Role(StrEnum):
    CLERK = "clerk"  # enters phone and letter tips
    INVESTIGATOR = "investigator"  # works cases in their provinces or teams only
    SUPERVISOR = "supervisor"  # sees and steers every case
    AUDITOR = "auditor"  # reads the audit log, never report content
    ANALYST = "analyst"  # aggregates only, never report content
    ADMINISTRATOR = "administrator"  # manages the console's staff accounts, never cases


# Who may read a report's decrypted content (and its files); investigators within scope only.
CONTENT_READERS = (Role.INVESTIGATOR, Role.SUPERVISOR)


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    token_id: str
    expires_at: datetime
    provinces: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)

    def may_see(self, province: str | None, team: str | None) -> bool:
        """Supervisors see every case; investigators only cases in their province or team."""
        if self.role is Role.SUPERVISOR:
            return True
        if self.role is Role.INVESTIGATOR:
            return (province is not None and province in self.provinces) or (
                team is not None and team in self.teams
            )
        return False


class Unauthenticated(Exception):
    pass


def issue(
    private_key: Ed25519PrivateKey,
    *,
    subject: str,
    role: Role,
    lifetime: timedelta,
    provinces: Iterable[str] = (),
    teams: Iterable[str] = (),
    now: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    now = now or utcnow()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "role": role.value,
        "jti": str(uuid.uuid4()),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "provinces": sorted(set(provinces)),
        "teams": sorted(set(teams)),
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM), claims


def verify(token: str, public_key: Ed25519PublicKey, revoked: frozenset[str]) -> Principal:
    """The token's holder, or Unauthenticated with a reason that is safe to show."""
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the token is not valid") from exc
    if claims["jti"] in revoked:
        raise Unauthenticated("the token has been revoked")
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise Unauthenticated("the token names no known role") from exc
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        provinces=frozenset(claims.get("provinces") or ()),
        teams=frozenset(claims.get("teams") or ()),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token verifying key must be an Ed25519 public key")
    return key


def new_key_pair() -> tuple[bytes, bytes]:
    """PEM private and public keys, for `python -m services.common.tokens keys`."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


class TokenRegister:
    """Issued and revoked token ids in the shared `staff` database. Never the tokens."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.issued = db["issued_tokens"]
        self.revoked = db["revoked_tokens"]

    async def record_issue(self, claims: dict[str, Any]) -> None:
        await self.issued.insert_one(
            {
                "_id": claims["jti"],
                "subject": claims["sub"],
                "role": claims["role"],
                "provinces": claims["provinces"],
                "teams": claims["teams"],
                "issued_at": datetime.fromtimestamp(claims["iat"], UTC),
                "expires_at": datetime.fromtimestamp(claims["exp"], UTC),
            }
        )

    async def revoke(self, token_id: str) -> bool:
        record = await self.issued.find_one({"_id": token_id})
        if record is None:
            return False
        await self.revoked.update_one(
            {"_id": token_id},
            {"$set": {"revoked_at": utcnow(), "expires_at": record["expires_at"]}},
            upsert=True,
        )
        return True

    async def revoke_subject(self, subject: str) -> int:
        count = 0
        async for record in self.issued.find({"subject": subject}, {"_id": 1}):
            count += await self.revoke(record["_id"])
        return count

    async def revoked_ids(self) -> frozenset[str]:
        # Expired tokens fail on their own; only the still-valid revoked ones need listing.
        ids = await self.revoked.distinct("_id", {"expires_at": {"$gt": utcnow()}})
        return frozenset(str(i) for i in ids)


class StaffAuth:
    """Checks bearer tokens on staff endpoints; `require(...)` makes the FastAPI dependency."""

    def __init__(
        self,
        public_key: Ed25519PublicKey,
        register: TokenRegister | None,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.public_key = public_key
        self.register = register
        self.refresh_seconds = refresh_seconds
        self.revoked: frozenset[str] = frozenset()

    async def refresh_forever(self) -> None:
        while True:
            await self.refresh_once()
            await asyncio.sleep(self.refresh_seconds)

    async def refresh_once(self) -> None:
        if self.register is None:
            return
        try:
            self.revoked = await self.register.revoked_ids()
        except Exception as exc:  # keeps the last list; revocation waits for the database
            log.warning("revocation list not refreshed", extra={"error": type(exc).__name__})

    def authenticate(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("a bearer token is required")
        try:
            return verify(token.strip(), self.public_key, self.revoked)
        except Unauthenticated as exc:
            raise _unauthorized(str(exc)) from exc

    def check(self, authorization: str | None, roles: Iterable[Role]) -> Principal:
        """The token's holder if their role is one of `roles`; else 401 or 403 (HTTPException)."""
        allowed = frozenset(roles)
        principal = self.authenticate(authorization)
        if principal.role not in allowed:
            raise forbidden(
                f"the {principal.role.value} role may not do this; "
                f"it needs {' or '.join(sorted(r.value for r in allowed))}"
            )
        return principal

    def require(self, *roles: Role) -> Callable[[Request], Awaitable[Principal]]:
        async def dependency(request: Request, _token: StaffToken = None) -> Principal:
            principal = self.check(request.headers.get("authorization"), roles)
            request.state.principal = principal
            return principal

        return dependency


# Only documents the staff token in the OpenAPI (a bearer scheme on every staff route, which
# services/common/error_docs.py also gives 401 and 403); `StaffAuth.check` reads the header.
STAFF_TOKEN_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="staffToken",
    description="A staff token (`python -m services.common.tokens issue`)",
)
StaffToken = Annotated[HTTPAuthorizationCredentials | None, Depends(STAFF_TOKEN_SCHEME)]


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={"error": "unauthenticated", "reason": reason},
        headers={"WWW-Authenticate": 'Bearer realm="tipline-staff"'},
    )


def forbidden(reason: str) -> HTTPException:
    return HTTPException(status_code=403, detail={"error": "forbidden", "reason": reason})


def out_of_scope() -> HTTPException:
    # The same answer whether the report is outside the scope or does not exist at all.
    return forbidden("this report is outside your provinces and teams, or does not exist")


@contextlib.asynccontextmanager
async def refreshing(auth: StaffAuth) -> Any:
    await auth.refresh_once()
    task = asyncio.create_task(auth.refresh_forever())
    try:
        yield auth
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
