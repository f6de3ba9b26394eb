"""Periods of whole months, as the API writes them (YYYY-MM)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 120


class BadPeriod(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    first: str
    last: str

    @staticmethod
    def parse(first: str | None, last: str | None) -> Period:
        for name, value in (("from", first), ("to", last)):
            if value is None or not MONTH.match(value):
                raise BadPeriod(name, "a month written YYYY-MM, such as 2026-10, is required")
        assert first is not None and last is not None
        if _index(first) > _index(last):
            raise BadPeriod("to", "must not be before `from`")
        if _index(last) - _index(first) >= MAX_MONTHS:
            raise BadPeriod("to", f"a period is at most {MAX_MONTHS} months")
        return Period(first, last)

    @property
    def months(self) -> list[str]:
        return [_month(i) for i in range(_index(self.first), _index(self.last) + 1)]

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = _index(self.last) - _index(self.first) + 1
        return Period(_month(_index(self.first) - length), _month(_index(self.first) - 1))

    def extended_back(self, months: int) -> Period:
        return Period(_month(_index(self.first) - months), self.last)

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first, "to": self.last}
