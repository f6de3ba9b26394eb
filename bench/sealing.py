"""What encryption at rest costs intake per report, measured in-process (`make bench` runs it).

Prints microseconds per report for: making and wrapping a data key and sealing a typical
report (what a submission adds), opening it again (what a staff read or the classifier's
content read adds), and re-wrapping its data key (what key rotation costs per report).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from services.common.crypto import Keyring
from services.intake.reports.domain import ReportIn, accept_report, open_report, seal_report

REPORTS = 3000
NARRATIVE = (
    "镇上的采砂船每天晚上十点以后出动，村霸带人守在河堤上，谁去拍照就被打。"
    "They collect 'protection fees' from every shop on the market street and the police "
    "station chief drinks with them every Friday. "
) * 6


def _per_report_us(action: Callable[[int], object]) -> tuple[float, float]:
    samples = []
    for i in range(REPORTS):
        start = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def main() -> None:
    keyring = Keyring.new("bench-1").with_new_key("bench-2")
    report = ReportIn.model_validate(
        {
            "channel": "web",
            "narrative": NARRATIVE,
            "location": {"province": "湖南", "city": "岳阳", "details": "洞庭湖边的三号码头"},
            "people_involved": ["王某", "李某"],
            "contact": {"phone": "+86 139 0000 1111"},
        }
    )

    def accept(i: int) -> object:
        return accept_report(
            report,
            keyring=keyring,
            secret=b"bench-secret-bench-secret-bench-secret",
            status_base_url="http://127.0.0.1:8082",
            idempotency_key=None,
            idempotency_ttl=timedelta(hours=24),
        )

    documents = [accept(i) for i in range(REPORTS)]
    stored = [new.document for new in documents]  # type: ignore[attr-defined]
    accept_p50, accept_p99 = _per_report_us(accept)
    open_p50, open_p99 = _per_report_us(
        lambda i: open_report(stored[i], keyring, ["content", "contact"])
    )
    rewrap_p50, rewrap_p99 = _per_report_us(
        lambda i: keyring.rewrap(stored[i]["data_key"], stored[i]["_id"])
    )
    seal_p50, seal_p99 = _per_report_us(
        lambda i: seal_report(report, keyring.new_data_key(f"report-{i}")[0])
    )
    size = len(NARRATIVE.encode())
    print(f"Encryption at rest ({REPORTS} reports, narrative {size:,} bytes), µs per report")
    for label, p50, p99 in (
        ("accept a report (all of it)", accept_p50, accept_p99),
        ("  of which: new data key, wrap, seal", seal_p50, seal_p99),
        ("open content and contact", open_p50, open_p99),
        ("re-wrap a data key (rotation)", rewrap_p50, rewrap_p99),
    ):
        print(f"  {label:<40} p50 {p50:6.0f}   p99 {p99:6.0f}")


if __name__ == "__main__":
    main()
