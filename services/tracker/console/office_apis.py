"""Intake's and the classifier's staff APIs, called with the signed-in person's own token, so
every read there is scoped and audited exactly as a call from any other tool."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from services.common.access import PURPOSE_HEADER

log = logging.getLogger(__name__)


class ApiRefused(Exception):
    """The other service said no (its status is kept), or could not be reached (503)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


class TokenRefused(Exception):
    """The other service did not accept the person's token at all (401: revoked, or signed
    with a retired key). Not a refusal of one page: the session is of no use any more."""


def _checked(answer: httpx.Response) -> httpx.Response:
    if answer.status_code == 401:
        raise TokenRefused()
    if answer.status_code != 200:
        raise ApiRefused(answer.status_code, _reason(answer))
    return answer


@dataclass
class OfficeApis:
    intake_url: str
    classifier_url: str
    audit_url: str
    client: httpx.AsyncClient

    async def _get(
        self, url: str, token: str | None, purpose: str | None, params: Any = None
    ) -> dict[str, Any]:
        if token is None:
            raise ApiRefused(503, "no_token")
        headers = {"Authorization": f"Bearer {token}"}
        if purpose is not None:
            headers[PURPOSE_HEADER] = purpose
        try:
            answer = await self.client.get(url, headers=headers, params=params, timeout=15)
        except httpx.HTTPError as exc:
            log.warning("staff api unreachable", extra={"error": type(exc).__name__})
            raise ApiRefused(503, "unreachable") from exc
        body: dict[str, Any] = _checked(answer).json()
        return body

    async def report(
        self, token: str | None, report_id: str, parts: list[str], purpose: str
    ) -> dict[str, Any]:
        """The report's content and/or contact, opened by intake after it recorded the read."""
        url = f"{self.intake_url}/v1/staff/reports/{report_id}"
        return await self._get(url, token, purpose, [("part", p) for p in parts])

    async def classification(self, token: str | None, report_id: str, purpose: str) -> Any:
        url = f"{self.classifier_url}/v1/staff/reports/{report_id}/classification"
        return await self._get(url, token, purpose)

    async def cluster(self, token: str | None, cluster_id: str) -> dict[str, Any]:
        return await self._get(f"{self.classifier_url}/v1/staff/clusters/{cluster_id}", token, None)

    async def insights(
        self, token: str | None, path: str, params: dict[str, str]
    ) -> dict[str, Any]:
        """One of the classifier's `/v1/insights/...` answers (counts only, hidden ones null)."""
        return await self._get(f"{self.classifier_url}/v1/insights/{path}", token, None, params)

    async def insights_csv(self, token: str | None, path: str, params: dict[str, str]) -> str:
        """The same answer as the classifier's CSV (`?format=csv`), for a download."""
        if token is None:
            raise ApiRefused(503, "no_token")
        url = f"{self.classifier_url}/v1/insights/{path}"
        try:
            answer = await self.client.get(
                url,
                headers={"Authorization": f"Bearer {token}"},
                params={**params, "format": "csv"},
                timeout=15,
            )
        except httpx.HTTPError as exc:
            log.warning("staff api unreachable", extra={"error": type(exc).__name__})
            raise ApiRefused(503, "unreachable") from exc
        return _checked(answer).text

    async def chain_check(self, token: str | None) -> dict[str, Any]:
        return await self._get(f"{self.audit_url}/v1/audit/verify", token, None)

    async def report_access(self, token: str | None, report_id: str) -> dict[str, Any]:
        return await self._get(f"{self.audit_url}/v1/audit/reports/{report_id}/access", token, None)

    async def staff_access(
        self, token: str | None, staff: str, page: int, size: int
    ) -> dict[str, Any]:
        """Everything one person has read, newest first, one page of it."""
        url = f"{self.audit_url}/v1/audit/staff/{staff}/access"
        return await self._get(url, token, None, {"page": page, "size": size})


def _reason(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return str(answer.status_code)
    if isinstance(detail, dict):
        return str(detail.get("reason") or detail)
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return str(detail[0].get("reason"))
    return str(detail)
