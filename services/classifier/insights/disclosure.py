"""Disclosure control: small cells are suppressed, and so are the cells that would give them away.

The rules (after the practice of statistical offices: ONS, OECD):

1. **Primary suppression.** A count under k (INSIGHTS_MIN_CELL, 5 by default) and above zero
   is not shown. A count over a period is also hidden when any one month inside it is under k:
   otherwise the difference of two overlapping periods (January to March, January to February)
   would give away the small month.
2. **Secondary suppression.** Where a table shows a total, one hidden cell could be recovered as
   the total minus the cells shown. So whenever a group's hidden, non-zero part is a single cell,
   the next smallest non-zero cell is hidden too; when there is none, the total is hidden. The
   part of a total no row shows (reports with no city, say) counts as a hidden cell of its own.
   A hidden total needs nothing more: nothing can be subtracted from it. Because of the month
   rule a period's total is hidden whenever one of its months is, so a monthly trend never
   needs secondary suppression, and every period shows a month's count the same way.
3. **One answer everywhere.** A figure hidden in one table is hidden wherever it appears: an
   industry's total hidden in the overview is hidden in its own page, a province hidden in an
   industry's provinces hides that province's cities and its hotspot.
4. **Shares and changes** follow their counts: a share is shown only when its count and its
   complement are shown, a change only when both periods' counts are, a median only over at
   least k conclusions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MIN_CELL = 5


@dataclass(frozen=True)
class Count:
    """One number to publish: its value over the period, and the months it adds up from."""

    total: int
    months: tuple[int, ...] = ()

    @staticmethod
    def of(months: Sequence[int]) -> Count:
        return Count(sum(months), tuple(months))


def too_small(count: Count, k: int) -> bool:
    """Rule 1: under k, or made of a month under k."""
    return 0 < count.total < k or any(0 < m < k for m in count.months)


@dataclass(frozen=True)
class Protected:
    """Which cells of a group are hidden, and whether its total is."""

    hidden: tuple[bool, ...]
    total_hidden: bool


def protect(cells: Sequence[Count], k: int, total: Count | None = None) -> Protected:
    """Rules 1 and 2 for one group of cells that add up to `total` (when a total is shown).

    A total larger than the cells' sum leaves an unshown remainder, treated as a hidden cell."""
    hidden = [too_small(c, k) for c in cells]
    if total is None:
        return Protected(tuple(hidden), False)
    if too_small(total, k):  # a hidden total cannot be subtracted from: rule 1 is enough
        return Protected(tuple(hidden), True)
    remainder = max(total.total - sum(c.total for c in cells), 0)
    sensitive = any(hidden) or 0 < remainder < k
    hidden_parts = sum(1 for c, h in zip(cells, hidden, strict=True) if h and c.total > 0)
    hidden_parts += remainder > 0
    if not sensitive or hidden_parts != 1:
        return Protected(tuple(hidden), False)
    candidates = [
        (c.total, i)
        for i, (c, h) in enumerate(zip(cells, hidden, strict=True))
        if not h and c.total
    ]
    if not candidates:
        return Protected(tuple(hidden), True)
    hidden[min(candidates)[1]] = True
    return Protected(tuple(hidden), False)


def shown(count: Count, hidden: bool) -> int | None:
    return None if hidden else count.total


def share(part: Count, whole: Count, k: int, whole_hidden: bool = False) -> float | None:
    """Rule 3: part / whole, only when the part and what is left of the whole are shown."""
    rest = Count(whole.total - part.total)
    if whole_hidden or whole.total == 0 or too_small(whole, k):
        return None
    if too_small(Count(part.total), k) or too_small(rest, k):
        return None
    return round(part.total / whole.total, 3)


def change(current: int | None, previous: int | None) -> float | None:
    """Rule 3: the relative change, only when both counts are shown and the earlier is not 0."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / previous, 3)
