"""Classifier's staff API, served by the faust worker's own web server (one process).

GET  /v1/staff/reports/{report_id}/classification   the classification with every reason
POST /v1/staff/reports/{report_id}/classification   a person re-classifies; emitted as a stage
GET  /v1/staff/clusters/{cluster_id}                a cluster and its members

Every route needs a staff token (services/common/auth.py): investigators see reports of their
provinces, supervisors all. The classification's evidence phrases and entity values are sealed;
reading them needs a stated purpose (`X-Access-Purpose`) and is recorded in the audit log first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import faust
from fastapi import HTTPException
from faust.web import Request, Response, View
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.classifier import domain
from services.classifier.adapters import ClassificationStore, FingerprintIndex
from services.classifier.pipeline import open_details
from services.classifier.taxonomy import Taxonomy, region_id
from services.common import topics
from services.common.access import PURPOSE_HEADER, purpose_problem, record_access
from services.common.auth import Principal, Role, StaffAuth, out_of_scope
from services.common.crypto import Keyring
from services.common.events import Classification, utcnow
from services.common.kafka import publish
from services.common.runtime import ConsumerRuntime
from services.common.settings import ClassifierSettings

log = logging.getLogger(__name__)

# What a staff view shows of the stored document: never the internal bookkeeping or the sealed
# parts as they are stored (they are opened, audited, into `details`).
_HIDDEN = ("_id", "event_id", "data_key", "sealed_details")
SOURCE = "tipline/classifier"
READERS = (Role.INVESTIGATOR, Role.SUPERVISOR)


class Reclassification(BaseModel):
    """What a person may change; labels must be the taxonomy's. Omitted fields stay."""

    model_config = ConfigDict(extra="forbid")

    crime_types: list[str] | None = Field(default=None, min_length=1, max_length=12)
    industry: str | None = None
    province: str | None = None
    priority: Literal["critical", "high", "normal", "low"] | None = None
    official_involvement: bool | None = None
    reason: str = Field(min_length=3, max_length=1000)
    change_id: str | None = Field(default=None, min_length=8, max_length=100)

    @field_validator("crime_types")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a crime type is listed twice")
        return value


def label_problems(change: Reclassification, taxonomy: Taxonomy) -> list[dict[str, str]]:
    problems = []
    for label in change.crime_types or []:
        if label not in taxonomy.crime_types:
            problems.append({"field": "crime_types", "reason": "not a crime type of the taxonomy"})
    if change.industry is not None and change.industry not in taxonomy.industries:
        problems.append({"field": "industry", "reason": "not an industry of the taxonomy"})
    if change.province is not None and taxonomy.province_named(change.province) is None:
        problems.append({"field": "province", "reason": "not a province of the taxonomy"})
    return problems


def _kinds_only(link: dict[str, Any]) -> dict[str, Any]:
    return {**link, "shared_entities": [key.split(":")[0] for key in link["shared_entities"]]}


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
        for e in exc.errors()
    ]


def register(
    app: faust.App,
    settings: ClassifierSettings,
    taxonomy: Taxonomy,
    runtime: Callable[[], ConsumerRuntime | None],
    keyring: Keyring,
    staff_auth: StaffAuth,
) -> None:
    linking_secret = settings.linking_secret.get_secret_value().encode()

    def started() -> ConsumerRuntime | None:
        current = runtime()
        return current if current is not None and current.started.is_set() else None

    def staff_route(
        handler: Callable[..., Awaitable[Response]],
    ) -> Callable[..., Awaitable[Response]]:
        async def guarded(view: View, request: Request, **params: Any) -> Response:
            try:
                principal = staff_auth.check(request.headers.get("Authorization"), READERS)
                current = started()
                if current is None:
                    return view.json({"detail": "not ready"}, status=503)
                return await handler(view, request, current, principal, **params)
            except HTTPException as exc:  # 401, 403, 503 from the shared staff checks
                return view.json({"detail": exc.detail}, status=exc.status_code)

        return guarded

    def in_scope(principal: Principal, found: dict[str, Any] | None) -> bool:
        return found is not None and principal.may_see(found.get("province"), None)

    @staff_route
    async def get_classification(
        view: View,
        request: Request,
        current: ConsumerRuntime,
        principal: Principal,
        report_id: str,
    ) -> Response:
        purpose = request.headers.get(PURPOSE_HEADER)
        problem = purpose_problem(purpose)
        if problem is not None:
            return view.json({"detail": [{"field": PURPOSE_HEADER, "reason": problem}]}, status=422)
        found = await ClassificationStore(current.db).get(report_id)
        if found is None and principal.role is Role.SUPERVISOR:
            return view.json({"detail": "no classification for this report"}, status=404)
        if found is None or not in_scope(principal, found):
            raise out_of_scope()
        # Recorded first: if the audit log cannot take it, nothing is decrypted.
        await record_access(
            current.producer,
            source=SOURCE,
            principal=principal,
            report_id=report_id,
            fields=["classification-details"],
            purpose=(purpose or "").strip(),
        )
        body = {k: v for k, v in found.items() if k not in _HIDDEN}
        body["report_id"] = report_id
        body["cluster_id"] = await FingerprintIndex(current.db).cluster_of(report_id)
        body["details"] = open_details(found, keyring, linking_secret)
        body.pop("links", None)  # shown in `details`, with shared entities named
        log.info("classification read", extra={"report_id": report_id})
        return view.json(body)

    @staff_route
    async def post_classification(
        view: View,
        request: Request,
        current: ConsumerRuntime,
        principal: Principal,
        report_id: str,
    ) -> Response:
        try:
            change = Reclassification.model_validate(await request.json())
        except ValidationError as exc:
            return view.json({"detail": _problems(exc)}, status=422)
        except ValueError:
            return view.json(
                {"detail": [{"field": "body", "reason": "not a JSON object"}]}, status=422
            )
        problems = label_problems(change, taxonomy)
        if problems:
            return view.json({"detail": problems}, status=422)
        store = ClassificationStore(current.db)
        found = await store.get(report_id)
        if found is None and principal.role is Role.SUPERVISOR:
            return view.json({"detail": "no classification for this report"}, status=404)
        if found is None or not in_scope(principal, found):
            raise out_of_scope()
        changed = {
            name: getattr(change, name)
            for name in ("crime_types", "industry", "province", "priority", "official_involvement")
            if getattr(change, name) is not None
        }
        if change.province is not None:  # "Inner Mongolia", "inner_mongolia" or "内蒙古"
            changed["province"] = region_id(taxonomy.province_named(change.province) or "")
        before = Classification.model_validate(found)
        after = before.model_copy(update={**changed, "decided_by": "staff"})
        change_id = change.change_id or str(uuid.uuid4())
        at = utcnow()
        record = {
            "change_id": change_id,
            "at": at,
            "by": principal.subject,
            "reason": change.reason,
            "changed": sorted(changed),
            "before": {name: getattr(before, name) for name in changed},
            "after": changed,
        }
        updated = await store.reclassify(report_id, change_id, after, record)
        if updated is None:
            return view.json({"detail": "no classification for this report"}, status=404)
        assert current.producer is not None
        result = Classification.model_validate(updated)
        await publish(
            current.producer,
            topics.REPORT_STAGE,
            domain.classified_event(change_id, report_id, result, at, purpose="reclassified"),
        )
        log.info("report reclassified", extra={"report_id": report_id})
        body = {k: v for k, v in updated.items() if k not in _HIDDEN}
        return view.json({**body, "report_id": report_id}, status=200)

    @staff_route
    async def get_cluster(
        view: View,
        request: Request,
        current: ConsumerRuntime,
        principal: Principal,
        cluster_id: str,
    ) -> Response:
        members = await FingerprintIndex(current.db).members(cluster_id)
        store = ClassificationStore(current.db)
        shown, outside = [], 0
        for report_id in members:
            found = await store.get(report_id) or {}
            if not principal.may_see(found.get("province"), None):
                outside += 1  # counted, never shown: it belongs to another province's team
                continue
            shown.append(
                {
                    "report_id": report_id,
                    "crime_types": found.get("crime_types"),
                    "priority": found.get("priority"),
                    "classified_at": found.get("classified_at"),
                    # Counts per kind, never values (absent for reports sifted before them).
                    "entity_kinds": found.get("entity_kinds"),
                    # Shared entities by kind only here; their values are in the audited view.
                    "links": [
                        {
                            **link,
                            "shared_entities": [k.split(":")[0] for k in link["shared_entities"]],
                        }
                        for link in found.get("links", [])
                    ],
                }
            )
        if not shown:  # an unknown cluster and one wholly out of scope look the same
            if principal.role is Role.SUPERVISOR:
                return view.json({"detail": "no such cluster"}, status=404)
            raise out_of_scope()
        return view.json(
            {
                "cluster_id": cluster_id,
                "size": len(members),
                "members": shown,
                "members_outside_your_scope": outside,
            }
        )

    @app.page("/v1/staff/reports/{report_id}/classification")
    class ReportClassification(View):
        async def get(self, request: Request, report_id: str) -> Response:
            return await get_classification(self, request, report_id=report_id)

        async def post(self, request: Request, report_id: str) -> Response:
            return await post_classification(self, request, report_id=report_id)

    @app.page("/v1/staff/clusters/{cluster_id}")
    class Cluster(View):
        async def get(self, request: Request, cluster_id: str) -> Response:
            return await get_cluster(self, request, cluster_id=cluster_id)
