"""The reporting website's form, as plain functions: form fields in, a report (or the problems
with each field) out. No I/O here; the same `ReportIn` validation as every other channel."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from services.common.events import Channel
from services.intake.reports.domain import CAMPAIGN_PATTERN, ReportIn

# Form inputs are named after the report's own fields, so a validation error's location is
# already the name of the input it belongs to.
TEXT_FIELDS = (
    "narrative",
    "location.province",
    "location.city",
    "location.details",
    "industry_hint",
    "contact.name",
    "contact.phone",
    "contact.email",
    "contact.messaging_handle",
    "source_reference",
)
LIST_FIELDS = ("people_involved", "organisations_involved")
# A date from <input type=date> is a day, not an instant: read it as midday China Standard
# Time, so the day stays the same day whatever zone later displays it.
DAY_TIME = "T12:00:00+08:00"


def report_data(
    form: Mapping[str, str], *, channel: Channel, language: str, campaign: str | None = None
) -> dict[str, Any]:
    """The JSON-shaped report a form describes; empty inputs are simply left out."""
    data: dict[str, Any] = {"channel": channel.value, "language": language}
    for name in TEXT_FIELDS:
        value = (form.get(name) or "").strip()
        if not value:
            continue
        parent, _, child = name.partition(".")
        if child:
            data.setdefault(parent, {})[child] = value
        else:
            data[parent] = value
    for name in LIST_FIELDS:
        entries = [line.strip() for line in (form.get(name) or "").splitlines() if line.strip()]
        if entries:
            data[name] = entries
    day = (form.get("incident_time") or "").strip()
    if day:
        data["incident_time"] = day + DAY_TIME if len(day) == 10 else day
    if campaign:
        data["campaign"] = campaign
    return data


def parse_report(data: dict[str, Any]) -> ReportIn | dict[str, dict[str, Any]]:
    """The report, or each field's first problem as {"field": {"type": ..., "ctx": ...}}."""
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, dict[str, Any]] = {}
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
            field = ".".join(location) or "narrative"
            problems.setdefault(field, {"type": error["type"], "ctx": error.get("ctx") or {}})
        return problems


def reason(problem: Mapping[str, Any], text: Mapping[str, str]) -> str:
    """A field's problem in the reader's language, never repeating what they typed."""
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "missing":
        return text["field_required"]
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return text["field_required"]
        return text["field_too_short"].format(min=ctx.get("min_length"))
    if kind in ("string_too_long", "too_long"):
        return text["field_too_long"].format(max=ctx.get("max_length"))
    if kind == "value_error" and "future" in str(ctx.get("error", "")):
        return text["field_future"]
    return text["field_invalid"]


def campaign_or_none(value: str | None) -> str | None:
    """A campaign tag from a QR link, kept only if it is a well-formed slug."""
    if value and len(value) <= 40 and re.fullmatch(CAMPAIGN_PATTERN, value):
        return value
    return None
