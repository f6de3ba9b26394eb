"""The queue's filters as an address and as a query, and the moves a case page offers: pure
logic. The pages themselves run in tests/integration/test_console_cases.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from services.common.auth import Principal, Role
from services.common.events import Stage
from services.tracker.console.case_page import move_options
from services.tracker.console.pages import PAGES, page_of_form
from services.tracker.console.queue_page import href
from services.tracker.console.refusals import reason_words, refusal_words
from services.tracker.console.texts import CONSOLE_TEXTS, label_namer
from services.tracker.domain import IllegalTransition, RoutingTable
from services.tracker.queue import (
    PAGE_SIZES,
    PRIORITIES,
    SORTS,
    QueueFilter,
    QueueProblem,
    parse_filter,
    queue_query,
)
from services.tracker.workflow import QueuePage

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def person(role: Role, provinces: tuple[str, ...] = ()) -> Principal:
    return Principal("p", role, "t", NOW + timedelta(hours=1), provinces=frozenset(provinces))


def test_a_filter_survives_the_round_trip_through_its_address() -> None:
    f = parse_filter(
        {"stage": "assigned", "province": "hunan", "overdue": "1", "received_from": "2026-02-01"}
    )
    assert f.received_from == date(2026, 2, 1) and f.overdue
    assert parse_filter(f.query_params()) == f
    assert f.query_params(page=2)["page"] == "2"
    assert "sort" not in f.query_params()  # defaults stay out of the address


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "lost"), ("priority", "urgent"), ("sort", "name"), ("size", "7"), ("page", "0")],
)
def test_a_value_the_queue_cannot_mean_is_refused_naming_its_field(field: str, value: str) -> None:
    with pytest.raises(QueueProblem) as refused:
        parse_filter({field: value})
    assert refused.value.field == field


def test_the_cluster_size_filter_lives_in_the_address_and_narrows_to_large_clusters() -> None:
    f = parse_filter({"cluster": "3", "stage": "assigned"})
    assert f.cluster == 3 and f.query_params()["cluster"] == "3"
    assert parse_filter(f.query_params()) == f
    query = queue_query(person(Role.SUPERVISOR), f, NOW, clusters=["c2", "c1"])
    assert query == {"$and": [{"state": "assigned"}, {"cluster_id": {"$in": ["c1", "c2"]}}]}
    # No cluster large enough: the filter finds nothing rather than everything.
    nothing = queue_query(person(Role.SUPERVISOR), QueueFilter(cluster=3), NOW, clusters=[])
    assert nothing == {"cluster_id": {"$in": []}}
    for bad in ("1", "many", "-2"):
        with pytest.raises(QueueProblem) as refused:
            parse_filter({"cluster": bad})
        assert refused.value.field == "cluster"


def test_an_investigators_query_always_carries_their_scope() -> None:
    query = queue_query(person(Role.INVESTIGATOR, ("hunan",)), QueueFilter(province="sichuan"), NOW)
    scope = {"$or": [{"scope.province": {"$in": ["hunan"]}}, {"scope.team": {"$in": []}}]}
    assert query == {"$and": [scope, {"province": "sichuan"}]}
    assert queue_query(person(Role.SUPERVISOR), QueueFilter(), NOW) == {}
    assert queue_query(person(Role.AUDITOR), QueueFilter(), NOW) == {"_id": {"$in": []}}


def test_the_case_page_says_why_a_move_is_not_open() -> None:
    investigator = {m.name: m for m in move_options(Role.INVESTIGATOR, Stage.ASSIGNED)}
    assert investigator["assign"].refusal == "refused_role"
    assert investigator["investigate"].allowed
    assert investigator["question"].refusal == "refused_stage"
    supervisor = {m.name: m for m in move_options(Role.SUPERVISOR, Stage.INVESTIGATING)}
    assert supervisor["assign"].allowed and supervisor["question"].allowed
    assert supervisor["close"].refusal_args == ("investigating", "closed")


@pytest.mark.parametrize(
    ("posted_to", "page"),
    [
        ("/console/cases/abc/open", "/console/cases/abc"),
        ("/console/cases/abc/assign", "/console/cases/abc"),
        ("/console/accounts/inv-1/disable", "/console/accounts"),
        ("/console/queue/assign", "/console/queue"),
        ("/console/enrol", "/console/sign-in"),
    ],
)
def test_the_language_switch_of_a_forms_answer_shows_the_page_of_the_form(
    posted_to: str, page: str
) -> None:
    assert page_of_form(posted_to) == page


def render_queue(lang: str) -> str:
    """The queue page as the route renders it, for one classified case."""
    scope = {"type": "http", "method": "GET", "path": "/console/queue", "headers": []}
    scope["query_string"] = f"lang={lang}".encode()
    f = QueueFilter(crime_type="illegal_gambling")
    case = {
        "report_id": "r-1",
        "stage": "assigned",
        "priority": "high",
        "crime_types": ["extortion_protection", "violent_intimidation"],
        "industry": "other",
        "province": "hunan",
        "scope": {"team": "hunan"},
        "opened_at": NOW,
        "due": {},
        "overdue": [],
    }
    page = QueuePage(cases=[case], total=1, by_stage={"assigned": 1}, filter=f, as_of=NOW)
    who = SimpleNamespace(
        account=SimpleNamespace(name="Wang", role=Role.INVESTIGATOR), session=None
    )
    response = PAGES.pages.render(
        Request(scope),
        "queue.html",
        lang=lang,
        c=CONSOLE_TEXTS[lang],
        label=label_namer(lang),
        who=who,
        csrf="",
        problem=None,
        page=page,
        f=f,
        href=href,
        csv_href="/console/queue.csv",
        back="",
        stages=["assigned"],
        priorities=PRIORITIES,
        sorts=list(SORTS),
        sizes=PAGE_SIZES,
        provinces=["hunan"],
        teams=["hunan"],
        crime_types=["illegal_gambling", "extortion_protection"],
        industries=["other", "construction"],
    )
    return bytes(response.body).decode()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["敲诈勒索与收取保护费、暴力恐吓与伤害", "非法赌博", "建筑工程", ">高<", ">紧急<"]),
        (
            "en",
            [
                "Extortion and protection rackets, Violent intimidation and assault",
                "Illegal gambling",
                "Construction",
                ">High<",
                ">Critical<",
            ],
        ),
    ],
)
def test_the_queue_names_crime_types_industries_and_priorities_in_the_pages_language(
    lang: str, words: list[str]
) -> None:
    html = render_queue(lang)
    for word in words:
        assert word in html
    # What a person reads is a name; the filter's values (the address) stay the codes.
    assert "extortion_protection, violent_intimidation" not in html
    assert '<option value="illegal_gambling" selected>' in html
    assert '<option value="construction">' in html and '<option value="high">' in html


def test_a_code_the_taxonomy_does_not_know_is_shown_as_it_is() -> None:
    label = label_namer("en")
    assert label("crime_types", ["illegal_gambling", "retired_label"]) == (
        "Illegal gambling, retired_label"
    )
    assert label("industries", None) == "" and label("priorities", "low") == "Low"


def test_every_province_and_team_of_the_routing_table_has_a_name_in_both_languages() -> None:
    table = RoutingTable.from_toml(Path("services/tracker/routing.toml").read_text("utf-8"))
    for lang in ("zh", "en"):
        label = label_namer(lang, table)
        for jurisdiction in table.jurisdictions.values():
            assert label("regions", jurisdiction.id) != jurisdiction.id
            if jurisdiction.team:
                assert label("teams", jurisdiction.team) != jurisdiction.team
    assert label_namer("zh", table)("teams", "inspection-dalian") == "大连巡查组"
    assert label_namer("en", table)("regions", "liaoning/dalian") == "Dalian, Liaoning"
    assert label_namer("en", table)("teams", "a-team-of-another-table") == "a-team-of-another-table"


def raised_reasons(path: str, exception: str) -> list[str]:
    """The literal reasons a module gives `exception(field, reason)`, values filled in."""
    source = Path(path).read_text("utf-8")
    calls = re.findall(rf'{exception}\(\s*"\w+",\s*((?:f?"[^"]*"\s*)+),?\s*\)', source)
    return [re.sub(r"\{[^}]*\}", "3f9c", "".join(re.findall(r'"([^"]*)"', call))) for call in calls]


@pytest.mark.parametrize(
    "reason",
    raised_reasons("services/tracker/workflow.py", "InvalidField")
    + raised_reasons("services/tracker/console/case_page.py", "InvalidField")
    + raised_reasons("services/tracker/queue.py", "QueueProblem")
    + ["one of critical, high, normal, low"],  # built with join: not found literally
)
def test_every_reason_a_move_or_filter_is_refused_for_reads_in_chinese(reason: str) -> None:
    chinese = reason_words(reason, "zh")
    assert re.search(r"[\u4e00-\u9fff]", chinese), f"no Chinese for {reason!r}"
    assert reason[:12].lower() in reason_words(reason, "en").lower()  # the same reason


def test_a_refused_stage_is_told_with_the_stages_names() -> None:
    refused = IllegalTransition(Stage.RECEIVED, Stage.CONCLUDED)
    assert refusal_words(refused, "zh") == "处于“已受理”阶段的案件不能转到“已办结”。"
    assert refusal_words(refused, "en") == "A case that is received cannot move to concluded."
