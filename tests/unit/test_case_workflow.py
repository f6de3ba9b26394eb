"""The case's stage machine, routing and deadline clock, without infrastructure."""

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.common.events import ConclusionKind, Stage
from services.tracker.domain import (
    TRANSITIONS,
    DeadlinePolicy,
    IllegalTransition,
    OverdueKind,
    RoutingRule,
    RoutingTable,
    RoutingTableError,
    check_transition,
    overdue_kinds,
    public_status,
    route,
    timeline_entry,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TABLE = RoutingTable.from_toml(
    (Path(__file__).parents[2] / "services/tracker/routing.toml").read_text()
)


def test_a_case_can_go_from_submission_to_closure_through_every_stage():
    path = [
        Stage.SUBMITTED,
        Stage.RECEIVED,
        Stage.CLASSIFIED,
        Stage.ASSIGNED,
        Stage.INVESTIGATING,
        Stage.AWAITING_REPORTER,
        Stage.INVESTIGATING,
        Stage.CONCLUDED,
        Stage.CLOSED,
    ]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)


def test_an_illegal_transition_is_refused_naming_the_allowed_ones():
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Stage.ASSIGNED, Stage.CLOSED)
    assert refused.value.allowed == [Stage.ASSIGNED, Stage.INVESTIGATING, Stage.CONCLUDED]
    with pytest.raises(IllegalTransition):
        check_transition(Stage.CLOSED, Stage.INVESTIGATING)


def test_every_workflow_stage_is_in_the_machine_and_audit_stages_are_not():
    assert Stage.SAMPLED_FOR_VERIFICATION not in TRANSITIONS
    assert set(TRANSITIONS) == set(Stage) - {
        Stage.SAMPLED_FOR_VERIFICATION,
        Stage.VERIFIED,
        Stage.VERIFICATION_FAILED,
        Stage.COULD_NOT_VERIFY,
    }


def test_a_case_goes_to_the_team_of_its_province():
    decision = route(TABLE, "hunan", "changsha", official_involvement=False)
    assert (decision.team, decision.province, decision.rule) == (
        "inspection-hunan",
        "hunan",
        RoutingRule.REGION,
    )


def test_a_city_with_its_own_team_gets_its_cases():
    decision = route(TABLE, "guangdong", "shenzhen", official_involvement=False)
    assert decision.team == "inspection-shenzhen"


def test_official_involvement_in_a_province_goes_to_the_central_team():
    decision = route(TABLE, "hunan", "changsha", official_involvement=True)
    assert decision.team == "central-inspection"
    assert decision.province is None  # Hunan's own investigators may not read it
    assert decision.rule == RoutingRule.OFFICIAL_INVOLVEMENT
    assert "inspection-hunan" in decision.reason


def test_official_involvement_in_a_city_with_its_own_team_goes_to_the_province():
    decision = route(TABLE, "guangdong", "shenzhen", official_involvement=True)
    assert (decision.team, decision.province) == ("inspection-guangdong", "guangdong")


def test_a_case_is_never_routed_to_the_team_covering_the_implicated_officials():
    shared = RoutingTable.from_toml(
        '[central]\nteam = "central"\n[provinces.a]\nteam = "t"\n'
        '[provinces.a.cities]\nx = "t"\n'  # one team covers both levels
    )
    assert route(shared, "a", "x", official_involvement=True).team == "central"


def test_a_report_without_a_known_region_goes_to_the_central_team():
    decision = route(TABLE, None, None, official_involvement=False)
    assert (decision.team, decision.rule) == ("central-inspection", RoutingRule.NO_REGION)


def test_a_routing_table_without_a_central_team_is_refused():
    with pytest.raises(RoutingTableError):
        RoutingTable.from_toml('[provinces.a]\nteam = "t"\n')


def _case(**fields):
    policy = DeadlinePolicy()
    opening = policy.on_opening(T0, T0 + timedelta(seconds=1))
    case = {
        "state": "received",
        "acknowledged_at": opening["acknowledged_at"],
        "due": {"acknowledgement": opening["due.acknowledgement"]},
    }
    case["due"]["feedback"] = opening["due.feedback"]
    case.update(fields)
    return case


def test_feedback_is_overdue_three_months_after_acknowledgement_on_a_fake_clock():
    case = _case()
    assert overdue_kinds(case, T0 + timedelta(days=89)) == []
    assert overdue_kinds(case, T0 + timedelta(days=91)) == [OverdueKind.FEEDBACK]


def test_a_stage_change_seen_by_the_reporter_counts_as_feedback():
    policy = DeadlinePolicy()
    case = _case()
    change = policy.on_feedback(T0 + timedelta(days=60), Stage.INVESTIGATING)
    case["due"]["feedback"] = change["due.feedback"]
    assert overdue_kinds(case, T0 + timedelta(days=91)) == []
    assert overdue_kinds(case, T0 + timedelta(days=151)) == [OverdueKind.FEEDBACK]


def test_an_unacknowledged_report_is_overdue_after_seven_days():
    case = _case(acknowledged_at=None)
    assert overdue_kinds(case, T0 + timedelta(days=6)) == []
    assert overdue_kinds(case, T0 + timedelta(days=8)) == [OverdueKind.ACKNOWLEDGEMENT]


def test_a_concluded_case_owes_no_more_feedback_and_a_closed_one_nothing():
    policy = DeadlinePolicy()
    assert policy.on_feedback(T0, Stage.CONCLUDED)["due.feedback"] is None
    assert (
        overdue_kinds(_case(state="closed", acknowledged_at=None), T0 + timedelta(days=400)) == []
    )


def test_deadlines_are_configurable():
    policy = DeadlinePolicy(acknowledgement=timedelta(days=3), feedback=timedelta(days=30))
    assert policy.on_opening(T0, T0)["due.feedback"] == T0 + timedelta(days=30)


def test_the_reporter_sees_every_workflow_stage_in_both_languages_and_never_the_audit():
    timeline = [
        timeline_entry("e1", Stage.SUBMITTED, T0),
        timeline_entry("e2", Stage.RECEIVED, T0 + timedelta(seconds=1)),
        timeline_entry("e3", Stage.CLASSIFIED, T0 + timedelta(seconds=2)),
        timeline_entry("e4", Stage.ASSIGNED, T0 + timedelta(seconds=3), team="inspection-hunan"),
        timeline_entry("e5", Stage.INVESTIGATING, T0 + timedelta(days=1)),
        timeline_entry("e6", Stage.SAMPLED_FOR_VERIFICATION, T0 + timedelta(days=2)),
        timeline_entry("e7", Stage.AWAITING_REPORTER, T0 + timedelta(days=3)),
        timeline_entry("e8", Stage.INVESTIGATING, T0 + timedelta(days=4)),
        timeline_entry(
            "e9", Stage.CONCLUDED, T0 + timedelta(days=5), conclusion=ConclusionKind.DUPLICATE
        ),
    ]
    status = public_status(timeline)
    assert [s.stage for s in status.history] == [
        Stage.SUBMITTED,
        Stage.RECEIVED,
        Stage.CLASSIFIED,
        Stage.ASSIGNED,
        Stage.INVESTIGATING,
        Stage.AWAITING_REPORTER,
        Stage.INVESTIGATING,
        Stage.CONCLUDED,
    ]
    assert status.label == {"en": "Joined an existing investigation", "zh": "已并入现有调查"}
    assert "inspection-hunan" not in status.model_dump_json()
    assert status.can_send_messages is False
