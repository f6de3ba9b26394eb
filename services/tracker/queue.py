"""The work queue's filters and sorts, as plain data and a MongoDB query. No I/O.

A filter is what a bookmarked address says (`?stage=assigned&province=hunan&overdue=1`); a bad
value is refused naming the field and what it accepts. The caller's scope is always part of
the query, so no filter can reach past it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.common.auth import Principal, Role
from services.common.events import Stage
from services.tracker.domain import overdue_filter

PRIORITIES = ("critical", "high", "normal", "low")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
SORTS = {
    # name: the MongoDB sort; ties fall back to the oldest first.
    "priority": [("priority_rank", 1), ("opened_at", 1)],
    "due": [("due.feedback", 1), ("opened_at", 1)],
    "age": [("opened_at", 1)],
    "newest": [("opened_at", -1)],
}
PAGE_SIZES = (25, 50, 100)
# The cluster-size choices the queue offers ("in a cluster of at least N reports"); the address
# may say any size from 2 up.
CLUSTER_SIZES = (2, 3, 5, 10)
WORK_STAGES = [s for s in Stage if s.rank <= Stage.CLOSED.rank]


class QueueProblem(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class QueueFilter:
    stage: str = ""
    team: str = ""
    province: str = ""
    crime_type: str = ""
    industry: str = ""
    priority: str = ""
    official: str = ""  # "yes", "no" or "" for either
    overdue: bool = False
    received_from: date | None = None
    cluster: int = 0  # at least this many reports in the case's cluster; 0 for any
    sort: str = "priority"
    page: int = 1
    size: int = PAGE_SIZES[0]

    def query_params(self, **changes: Any) -> dict[str, str]:
        """The address's query for this filter (with changes), leaving out the defaults."""
        values = {**asdict(self), **changes}
        default = asdict(QueueFilter())
        out = {}
        for name, value in values.items():
            if value == default[name] or value in ("", None, False):
                continue
            out[name] = "1" if value is True else str(value)
        return out


def parse_filter(params: Mapping[str, str]) -> QueueFilter:
    """The filter of an address; QueueProblem for a value it cannot mean."""
    text = {k: (params.get(k) or "").strip()[:100] for k in QueueFilter.__dataclass_fields__}
    if text["stage"] and text["stage"] not in {s.value for s in WORK_STAGES}:
        raise QueueProblem("stage", "one of " + ", ".join(s.value for s in WORK_STAGES))
    if text["priority"] and text["priority"] not in PRIORITIES:
        raise QueueProblem("priority", "one of " + ", ".join(PRIORITIES))
    if text["official"] not in ("", "yes", "no"):
        raise QueueProblem("official", "yes, no, or empty for either")
    sort = text["sort"] or "priority"
    if sort not in SORTS:
        raise QueueProblem("sort", "one of " + ", ".join(SORTS))
    received = None
    if text["received_from"]:
        try:
            received = date.fromisoformat(text["received_from"])
        except ValueError:
            raise QueueProblem("received_from", "a date like 2026-03-01") from None
    try:
        cluster = int(text["cluster"] or 0)
    except ValueError:
        raise QueueProblem("cluster", "a whole number from 2 up, or empty for any") from None
    if cluster == 1 or not 0 <= cluster <= 10_000:
        raise QueueProblem("cluster", "a whole number from 2 up, or empty for any")
    try:
        page = int(text["page"] or 1)
        size = int(text["size"] or PAGE_SIZES[0])
    except ValueError:
        raise QueueProblem("page", "a whole number") from None
    if page < 1 or page > 10_000:
        raise QueueProblem("page", "from 1 to 10000")
    if size not in PAGE_SIZES:
        raise QueueProblem("size", "one of " + ", ".join(map(str, PAGE_SIZES)))
    return QueueFilter(
        stage=text["stage"],
        team=text["team"],
        province=text["province"],
        crime_type=text["crime_type"],
        industry=text["industry"],
        priority=text["priority"],
        official=text["official"],
        overdue=text["overdue"] in ("1", "on", "yes", "true"),
        received_from=received,
        cluster=cluster,
        sort=sort,
        page=page,
        size=size,
    )


def scope_query(staff: Principal) -> dict[str, Any]:
    """The cases a person may see; supervisors see all. Mirrors `Principal.may_see`."""
    if staff.role is Role.SUPERVISOR:
        return {}
    if staff.role is not Role.INVESTIGATOR:
        return {"_id": {"$in": []}}
    return {
        "$or": [
            {"scope.province": {"$in": sorted(staff.provinces)}},
            {"scope.team": {"$in": sorted(staff.teams)}},
        ]
    }


def queue_query(
    staff: Principal,
    f: QueueFilter,
    now: datetime,
    *,
    without_stage: bool = False,
    clusters: Collection[str] | None = None,
) -> dict[str, Any]:
    """The filter and the person's scope as one query (`without_stage` for counts by stage).
    `clusters` are the clusters large enough for the cluster-size filter (the caller counts
    them, as the cases say); given, they replace `f.cluster`, for the counts per size."""
    parts: list[dict[str, Any]] = [scope_query(staff)]
    if f.stage and not without_stage:
        parts.append({"state": f.stage})
    if f.team:
        parts.append({"scope.team": f.team})
    if f.province:
        parts.append({"province": f.province})
    if f.crime_type:
        parts.append({"crime_types": f.crime_type})
    if f.industry:
        parts.append({"industry": f.industry})
    if f.priority:
        parts.append({"priority": f.priority})
    if f.official:
        parts.append({"official_involvement": f.official == "yes"})
    if f.overdue:
        parts.append(overdue_filter(now))
    if f.received_from is not None:
        start = datetime.combine(f.received_from, datetime.min.time(), tzinfo=UTC)
        parts.append({"opened_at": {"$gte": start}})
    if clusters is not None or f.cluster:
        parts.append({"cluster_id": {"$in": sorted(clusters or ())}})
    parts = [p for p in parts if p]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}
