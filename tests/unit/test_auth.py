"""Staff tokens: who is let in, as what, and what they may see."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import HTTPException

from services.common.auth import Role, StaffAuth, Unauthenticated, issue, verify
from services.common.events import utcnow

KEY = Ed25519PrivateKey.generate()


def _token(role: Role = Role.INVESTIGATOR, **kwargs) -> str:  # type: ignore[no-untyped-def]
    kwargs.setdefault("lifetime", timedelta(hours=1))
    kwargs.setdefault("provinces", ["Hunan"])
    return issue(KEY, subject="inv-1", role=role, **kwargs)[0]


def test_a_valid_token_names_its_holder_role_and_scope() -> None:
    principal = verify(_token(teams=["t1"]), KEY.public_key(), frozenset())
    assert (principal.subject, principal.role) == ("inv-1", Role.INVESTIGATOR)
    assert principal.may_see("Hunan", None)
    assert principal.may_see(None, "t1")
    assert not principal.may_see("Guangdong", "t2")


def test_expired_forged_and_revoked_tokens_are_refused() -> None:
    expired = _token(lifetime=timedelta(hours=1), now=utcnow() - timedelta(hours=2))
    with pytest.raises(Unauthenticated, match="expired"):
        verify(expired, KEY.public_key(), frozenset())
    forged = issue(
        Ed25519PrivateKey.generate(), subject="x", role=Role.SUPERVISOR, lifetime=timedelta(hours=1)
    )[0]
    with pytest.raises(Unauthenticated, match="not valid"):
        verify(forged, KEY.public_key(), frozenset())
    token, claims = issue(KEY, subject="x", role=Role.SUPERVISOR, lifetime=timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="revoked"):
        verify(token, KEY.public_key(), frozenset({claims["jti"]}))


def test_a_token_with_an_altered_role_is_refused() -> None:
    header, payload, signature = _token().split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "supervisor"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated):
        verify(f"{header}.{altered}.{signature}", KEY.public_key(), frozenset())


def test_supervisors_see_everything_and_auditors_and_analysts_no_content() -> None:
    for role, sees in (
        (Role.SUPERVISOR, True),
        (Role.AUDITOR, False),
        (Role.ANALYST, False),
        (Role.CLERK, False),
    ):
        principal = verify(_token(role), KEY.public_key(), frozenset())
        assert principal.may_see("Hunan", "t1") is sees


def test_missing_header_is_401_and_says_so() -> None:
    auth = StaffAuth(KEY.public_key(), register=None)
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(HTTPException) as caught:
            auth.authenticate(header)
        assert caught.value.status_code == 401
        assert caught.value.detail["reason"] == "a bearer token is required"
