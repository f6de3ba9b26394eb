"""Times in requests are ISO 8601 text only.

Pydantic also takes a number as seconds since 1970, so `incident_time: 0` or `as_of=0.5` would
silently mean January 1970. These types refuse a number (or text that is only a number) with a
reason that shows the expected form; everything else is pydantic's own date-time parsing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ISO_EXAMPLE = "2026-03-01T14:30:00+08:00"
EARLIEST_YEAR, LATEST_YEAR = 1900, 8999
# The same rule as the schema states it, so a generated request knows it too.
SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^(19[0-9]{2}|[2-8][0-9]{3})-",
    "examples": [ISO_EXAMPLE],
}


def _text_not_number(value: object) -> object:
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise ValueError(f"must be an ISO 8601 date and time such as {ISO_EXAMPLE}, not a number")
    return value


def _within_reason(value: datetime) -> datetime:
    # Far ends of the calendar overflow date arithmetic (a deadline 90 days before year 1).
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


IsoDatetime = Annotated[
    datetime,
    BeforeValidator(_text_not_number),
    AfterValidator(_within_reason),
    WithJsonSchema(SCHEMA),
]
IsoAwareDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_text_not_number),
    AfterValidator(_within_reason),
    WithJsonSchema(SCHEMA),
]
