"""The fault suite: during a stream of reports to 127.0.0.1, one process of the real system is
killed (or the database held down, or the broker restarted empty), and every report that got
its 201 must end classified exactly once: one case for its tracking code, one classification.

The system runs as `make run` runs it (deploy/local/faults.py: Tansu, SecantusDB on disk, the
four services, supervised); the stack stops exactly the processes it started, by pid, however
a case ends. Bounded: seven cases of 40 reports each, each waiting at most 3 minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.faults import FAULTS, down, run_fault, supervised_stack
from deploy.local.stack import Stack
from deploy.local.supervisor import Supervisor
from tests.integration.helpers import close_mongo_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Supervisor]]:
    log_dir = Path(tmp_path_factory.mktemp("logs-faults"))
    with supervised_stack(log_dir) as (stack, supervisor):
        try:
            yield stack, supervisor
        finally:
            close_mongo_client(stack)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_accepted_report_ends_classified_exactly_once(
    system: tuple[Stack, Supervisor], fault: str
):
    stack, supervisor = system
    tally = run_fault(stack, supervisor, fault)
    assert tally.accepted > 0, "no report was accepted at all"
    assert (tally.lost, tally.doubled) == (0, 0), tally
    assert tally.classified == tally.accepted
    assert down(stack) == [], "these did not come back within a minute of the fault"
