"""Times in requests are ISO 8601 text only.

Pydantic also takes a number as seconds since 1970, so `incident_time: 0` or `as_of=0.5` would
silently mean January 1970. These types refuse a number (or text that is only a number) with a
reason that shows the expected form; everything else is pydantic's own date-time parsing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ISO_EXAMPLE = "2026-03-01T14:30:00+08:00"


def _text_not_number(value: object) -> object:
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise ValueError(f"must be an ISO 8601 date and time such as {ISO_EXAMPLE}, not a number")
    return value


IsoDatetime = Annotated[datetime, BeforeValidator(_text_not_number)]
IsoAwareDatetime = Annotated[AwareDatetime, BeforeValidator(_text_not_number)]
