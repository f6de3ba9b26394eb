"""Every read of private data is stated, then recorded, before anything is decrypted.

A member of staff says why they read (the `X-Access-Purpose` header). The service publishes
an access event to the audit service and waits for Kafka to acknowledge it; only then does it
open the content. If the record cannot be written the read is refused (503): no unaudited
read, ever.
"""

from __future__ import annotations

import logging
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Header, HTTPException

from services.common import topics
from services.common.auth import Principal
from services.common.error_docs import REQUIRED_MARK
from services.common.events import ACCESS_RECORDED_V1, AccessRecorded, new_event, utcnow

log = logging.getLogger(__name__)

PURPOSE_HEADER = "X-Access-Purpose"
PURPOSE_MIN, PURPOSE_MAX = 8, 300


def purpose_problem(purpose: str | None) -> str | None:
    """Why a stated purpose is not acceptable, or None when it is."""
    if PURPOSE_MIN <= len((purpose or "").strip()) <= PURPOSE_MAX:
        return None
    return (
        f"state why you need to read this ({PURPOSE_MIN} to {PURPOSE_MAX} characters); "
        "reading private data without a purpose is refused"
    )


def stated_purpose(
    purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description="Why you need to read this report's private data; kept in the audit log.",
            # Checked below, so a missing or short purpose gets its own reason; documented as
            # required (services/common/error_docs.py reads the mark).
            json_schema_extra={
                "minLength": PURPOSE_MIN,
                "maxLength": PURPOSE_MAX,
                "pattern": r"^\S(.*\S)?$",
                REQUIRED_MARK: True,
            },
        ),
    ] = None,
) -> str:
    problem = purpose_problem(purpose)
    if problem is not None:
        raise HTTPException(status_code=422, detail=[{"field": PURPOSE_HEADER, "reason": problem}])
    return (purpose or "").strip()


async def record_access(
    producer: AIOKafkaProducer | None,
    *,
    source: str,
    principal: Principal | None = None,
    service: str | None = None,
    report_id: str,
    fields: list[str],
    purpose: str,
) -> None:
    """Publishes the access event and waits for the broker; raises 503 if it cannot.

    The reader is a member of staff (`principal`) or one of Tipline's own services (`service`,
    authenticated by its service token), such as the classifier reading what to classify."""
    if principal is not None:
        reader, role, token_id = principal.subject, principal.role.value, principal.token_id
    elif service is not None:
        reader, role, token_id = service, "service", "service-token"
    else:
        raise ValueError("an access has a reader: a principal or a service")
    event = new_event(
        source=source,
        type=ACCESS_RECORDED_V1,
        subject=report_id,
        data=AccessRecorded(
            report_id=report_id,
            staff=reader,
            role=role,
            token_id=token_id,
            fields=fields,
            purpose=purpose,
            at=utcnow(),
        ),
    )
    try:
        if producer is None:
            raise ConnectionError("kafka not reached yet")
        await producer.send_and_wait(topics.ACCESS, event.to_bytes(), key=report_id.encode())
    except Exception as exc:
        log.warning(
            "access not recorded; read refused",
            extra={"report_id": report_id, "error": type(exc).__name__},
        )
        raise HTTPException(
            status_code=503,
            detail={
                "error": "audit_unavailable",
                "reason": "the read could not be recorded in the audit log, so it was refused; "
                "try again shortly",
            },
        ) from exc
    log.info(
        "private data read",
        extra={"report_id": report_id, "staff": reader, "fields": fields},
    )
