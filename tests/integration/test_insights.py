"""The industry information section on the real servers: reports flow from intake through the
classifier into the read model; what the API answers matches what was classified; a campaign of
copies is one incident; small cells stay hidden, secondary ones too; spikes are found; analysts
see counts only.

The module runs its own stack with k = 3 (INSIGHTS_MIN_CELL), so its counts are exact. Events
the classifier and the tracker would publish are also published directly, dated in past months,
to build series no live submission could: they travel the same topic to the same consumer.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.stack import POLLING_CLIENT, Stack
from services.common import topics
from services.common.events import (
    STAGE_CHANGED_V1,
    Classification,
    ConclusionKind,
    Envelope,
    Stage,
    StageChanged,
    new_event,
)
from tests.integration.helpers import StartStack, metric, mongo_client, staff, submit, wait_until

K = 3
CONSTRUCTION = [
    "我在长沙一个楼盘工地上开塔吊，已经干了六年。包工头李德胜卷走了我们三十个人半年的工资，"
    "还找了几个混混守在工地门口，谁去要钱就打谁。",
    "钢筋班组是我带的，手下二十来个工人。西安那个安置房项目的老板拖欠工程款两年，"
    "我们去讨薪，他叫人把我的车砸了。",
    "县里一所学校的教学楼建设项目，去年招标被一伙人围标，不让外地公司进场，"
    "中标的那家在太原把材料偷工减料，墙都裂了。",
    "干装修十几年了。成都有一帮人垄断了小区的装修进场，不交两万块进场费就不让施工，"
    "上个月有个师傅不服被他们打断了腿。",
]
CAMPAIGN = (
    "我们是郑州一个高速公路项目部的农民工，工程老板拖欠我们一百多人的工资已经一年，"
    "还雇人威胁我们，谁敢上访就让谁在这一行干不下去。请政府帮我们讨回血汗钱！"
)
COPIES = 5
# Three separate reports naming one phone: one entity, three reports, in two provinces.
SHARED_PHONE = [
    "商砼站是我开的，在长沙给附近几个工地供应混凝土。有人打电话13912345678逼我每方多交二十块，"
    "不交就堵我的搅拌车。",
    "我哥在武汉开装修公司，最近总有人用13912345678这个号码打电话来要保护费，说不给就砸店。",
    "在长沙做防水工程的都知道我。一个号码13912345678天天发短信威胁，要我把工程让给他们。",
]


@pytest.fixture(scope="module")
def insights(start_stack: StartStack) -> Iterator[Stack]:
    tuning = {**POLLING_CLIENT, "INSIGHTS_MIN_CELL": str(K)}
    with start_stack("insights", tuning=tuning) as stack:
        yield stack


def get(
    stack: Stack,
    path: str,
    role: str = "analyst",
    provinces: tuple[str, ...] = (),
    **params: str,
) -> httpx.Response:
    headers = staff(stack, role, provinces=provinces)
    return httpx.get(f"{stack.url('classifier')}{path}", headers=headers, params=params, timeout=30)


def this_month() -> str:
    now = datetime.now(UTC)
    return f"{now.year:04d}-{now.month:02d}"


def publish(stack: Stack, events: list[Envelope], twice: bool = False) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for event in events * (2 if twice else 1):
                await producer.send(
                    topics.REPORT_STAGE, event.to_bytes(), key=event.subject.encode()
                )
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(send())


def classified(
    at: datetime,
    industry: str | None,
    province: str,
    *,
    official: bool = False,
    crime: str = "extortion_protection",
    report_id: str | None = None,
) -> Envelope:
    report_id = report_id or f"seed-{uuid.uuid4()}"
    result = Classification(
        crime_types=[crime],
        province=province,
        rules_version="seed",
        industry=industry,
        official_involvement=official,
        cluster_id=report_id,
    )
    stage = StageChanged(report_id=report_id, stage=Stage.CLASSIFIED, at=at, classification=result)
    return new_event(
        source="tipline/classifier", type=STAGE_CHANGED_V1, subject=report_id, data=stage
    )


def concluded(report_id: str, at: datetime, kind: ConclusionKind) -> Envelope:
    stage = StageChanged(report_id=report_id, stage=Stage.CONCLUDED, at=at, conclusion=kind)
    return new_event(source="tipline/tracker", type=STAGE_CHANGED_V1, subject=report_id, data=stage)


def applied_reports(stack: Stack) -> int:
    return mongo_client(stack)["classifier"]["insight_reports"].count_documents({})


def seed(stack: Stack, events: list[Envelope]) -> None:
    """Publishes and waits until the read model holds every seeded report."""
    ids = {e.subject for e in events}
    reports = mongo_client(stack)["classifier"]["insight_reports"]
    publish(stack, events)
    wait_until(
        lambda: (
            reports.count_documents({"_id": {"$in": sorted(ids)}, "state.month": {"$ne": None}})
            == len(ids)
        ),
        60,
        "the seeded reports in the read model",
    )


def industry_rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["industry"]: row for row in body["industries"]}


# --- live reports through intake and the classifier ----------------------------------------


@pytest.fixture(scope="module")
def submitted(insights: Stack) -> dict[str, Any]:
    """Four separate construction reports and a campaign of five copies, classified."""
    codes = []
    for narrative in CONSTRUCTION:
        codes.append(submit(insights, {"channel": "web", "narrative": narrative}).json())
    classifications = mongo_client(insights)["classifier"]["classifications"]
    body = {"channel": "qr", "campaign": "wage-poster", "narrative": CAMPAIGN}
    # The copies arrive at once, as a poster campaign's do: the classifier sifts them at the
    # same moment and they still end in one cluster.
    for _ in range(COPIES):
        codes.append(submit(insights, body).json())
    for narrative in SHARED_PHONE:
        codes.append(submit(insights, {"channel": "web", "narrative": narrative}).json())
    total = len(CONSTRUCTION) + COPIES + len(SHARED_PHONE)
    wait_until(lambda: classifications.count_documents({}) == total, 90, "all classified")
    wait_until(lambda: applied_reports(insights) == total, 60, "all in the read model")
    docs = list(classifications.find({}))
    return {"docs": docs, "campaign": [d for d in docs if d["_id"] in _campaign_ids(insights)]}


def _campaign_ids(stack: Stack) -> set[str]:
    reports = mongo_client(stack)["intake"]["reports"].find({"channel": "qr"}, {"_id": 1})
    return {str(r["_id"]) for r in reports}


def test_reports_of_known_industries_flow_through_and_the_counts_match(
    insights: Stack, submitted: dict[str, Any]
) -> None:
    docs = submitted["docs"]
    reports = Counter(d.get("industry") or "unknown" for d in docs)
    incidents = Counter(d.get("industry") or "unknown" for d in docs if d["cluster_id"] == d["_id"])
    answer = get(insights, "/v1/insights/industries", **{"from": this_month(), "to": this_month()})
    assert answer.status_code == 200, answer.text
    rows = industry_rows(answer.json())
    shown = [name for name, n in reports.items() if n >= K]
    assert shown, f"no industry reached k: {reports}"
    for name in shown:
        assert rows[name]["reports"] == reports[name]
        if incidents[name] >= K:
            assert rows[name]["incidents"] == incidents[name]
    assert answer.json()["total"]["reports"] == len(docs)


def test_a_campaign_of_copies_counts_as_one_incident(
    insights: Stack, submitted: dict[str, Any]
) -> None:
    campaign = submitted["campaign"]
    assert len(campaign) == COPIES
    assert len({d["cluster_id"] for d in campaign}) == 1, "the copies were not linked"
    founders = sum(1 for d in submitted["docs"] if d["cluster_id"] == d["_id"])
    answer = get(insights, "/v1/insights/industries", **{"from": this_month(), "to": this_month()})
    total = answer.json()["total"]
    assert total["reports"] == len(CONSTRUCTION) + COPIES + len(SHARED_PHONE)
    assert total["incidents"] == founders <= len(CONSTRUCTION) + 1 + len(SHARED_PHONE)


def test_a_recurring_entity_is_a_count_for_analysts_and_a_link_for_investigators_in_scope(
    insights: Stack, submitted: dict[str, Any]
) -> None:
    phone = [d for d in submitted["docs"] if d["_id"] in _reports_naming_a_phone(insights)]
    assert len(phone) == len(SHARED_PHONE)
    industry = phone[0]["industry"]
    assert all(d["industry"] == industry for d in phone), "the three were classified apart"
    listing = get(insights, f"/v1/insights/industries/{industry}/entities").json()
    (row,) = [r for r in listing["entities"] if r["kind"] == "phone"]
    provinces = {d["province"] for d in phone}
    assert row["reports"] == 3 and row["provinces"] == len(provinces)
    assert "13912345678" not in str(listing)
    assert get(insights, row["link"]).status_code == 403  # the analyst may not open it
    inside = sorted(provinces)[0]
    investigator = get(insights, row["link"], role="investigator", provinces=(inside,))
    assert investigator.status_code == 200, investigator.text
    opened = investigator.json()
    mine = [d for d in phone if d["province"] == inside]
    clusters = {f"/v1/staff/clusters/{d['cluster_id']}" for d in mine}
    assert {i["link"] for i in opened["incidents"]} == clusters
    assert sum(i["reports_in_your_scope"] for i in opened["incidents"]) == len(mine)
    outsider = get(insights, row["link"], role="investigator", provinces=("xinjiang",)).json()
    assert outsider["incidents"] == []
    assert outsider["incidents_outside_your_scope"] == len({d["cluster_id"] for d in phone})


def _reports_naming_a_phone(stack: Stack) -> set[str]:
    """Of this module's reports only SHARED_PHONE's name a phone: the classifier's index holds
    its hidden key for exactly those (intake keeps the narratives sealed)."""
    keyed = mongo_client(stack)["classifier"]["fingerprints"].find(
        {"keys": {"$regex": "^phone:"}}, {"_id": 1}
    )
    return {str(doc["_id"]) for doc in keyed}


def test_an_analyst_sees_counts_and_no_text_and_cannot_open_a_case(
    insights: Stack, submitted: dict[str, Any]
) -> None:
    month = {"from": this_month(), "to": this_month()}
    bodies = [
        get(insights, "/v1/insights/industries", **month).text,
        get(insights, "/v1/insights/industries/construction", **month).text,
        get(insights, "/v1/insights/industries/construction/entities").text,
        get(insights, "/v1/insights/hotspots", **month).text,
        get(insights, "/v1/insights/spikes", **month).text,
    ]
    for body in bodies:
        for phrase in ("李德胜", "工资", "郑州一个高速", "wage-poster", "塔吊"):
            assert phrase not in body
    report_id = submitted["docs"][0]["_id"]
    tracker = httpx.get(
        f"{insights.url('tracker')}/v1/cases/{report_id}",
        headers=staff(insights, "analyst"),
        timeout=10,
    )
    assert tracker.status_code == 403
    classification = get(insights, f"/v1/staff/reports/{report_id}/classification")
    assert classification.status_code == 403
    entity = get(insights, "/v1/insights/entities/anything")
    assert entity.status_code == 403


def test_the_api_refuses_bad_periods_unknown_industries_and_missing_tokens(insights: Stack) -> None:
    bad = get(insights, "/v1/insights/industries", **{"from": "2026-13", "to": "2026-12"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "from"
    unknown = get(
        insights, "/v1/insights/industries/piracy", **{"from": "2026-01", "to": "2026-02"}
    )
    assert unknown.status_code == 404
    anonymous = httpx.get(f"{insights.url('classifier')}/v1/insights/industries", timeout=10)
    assert anonymous.status_code == 401
    clerk = get(
        insights, "/v1/insights/industries", role="clerk", **{"from": "2026-01", "to": "2026-01"}
    )
    assert clerk.status_code == 403


# --- seeded months: suppression, outcomes, spikes, redelivery --------------------------------

JAN = datetime(2025, 1, 15, 10, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(insights: Stack) -> dict[str, list[Envelope]]:
    """January 2025: construction 25 (shanxi 20, hunan 1, hebei 4), healthcare 15,
    transport 12, mining 2; February: construction shanxi 2. Six of shanxi's are official."""
    shanxi = [classified(JAN, "construction", "shanxi", official=i < 6) for i in range(20)]
    events = [
        *shanxi,
        classified(JAN, "construction", "hunan"),
        *(classified(JAN, "construction", "hebei") for _ in range(4)),
        *(classified(JAN, "healthcare", "hebei") for _ in range(15)),
        *(classified(JAN, "transport", "hebei") for _ in range(12)),
        *(classified(JAN, "mining", "hebei") for _ in range(2)),
        *(classified(FEB, "construction", "shanxi") for _ in range(2)),
    ]
    seed(insights, events)
    # Ten of shanxi's concluded: six substantiated after 30 days, four not after 50.
    endings = [
        concluded(
            e.subject,
            JAN + timedelta(days=30 if i < 6 else 50, hours=1),
            ConclusionKind.SUBSTANTIATED if i < 6 else ConclusionKind.UNSUBSTANTIATED,
        )
        for i, e in enumerate(shanxi[:10])
    ]
    conclusions = mongo_client(insights)["classifier"]["insight_reports"]
    publish(insights, endings)
    wait_until(
        lambda: (
            conclusions.count_documents(
                {"state.conclusion": {"$ne": None}, "_id": {"$regex": "^seed-"}}
            )
            >= 10
        ),
        60,
        "the conclusions in the read model",
    )
    return {"shanxi": shanxi, "all": events}


def test_a_small_industry_is_hidden_and_the_next_smallest_too_beside_the_total(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    body = get(insights, "/v1/insights/industries", **{"from": "2025-01", "to": "2025-01"}).json()
    rows = industry_rows(body)
    assert rows["mining"]["reports"] is None and "reports" in rows["mining"]["suppressed"]
    assert rows["transport"]["reports"] is None  # else 54 - 25 - 15 - 12 would give mining's 2
    assert (rows["construction"]["reports"], rows["healthcare"]["reports"]) == (25, 15)
    assert body["total"]["reports"] == 54


def test_one_industrys_provinces_hide_the_small_one_and_its_protector(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    body = get(
        insights, "/v1/insights/industries/construction", **{"from": "2025-01", "to": "2025-01"}
    )
    assert body.status_code == 200, body.text
    provinces = {r["province"]: r for r in body.json()["provinces"]}
    assert provinces["shanxi"]["reports"] == 20
    assert provinces["hunan"]["reports"] is None
    assert provinces["hebei"]["reports"] is None  # 25 - 20 = 5 is all anyone can work out
    assert body.json()["reports"] == 25


def test_a_period_holding_a_small_month_is_hidden_whatever_its_sum(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    both = get(
        insights, "/v1/insights/industries/construction", **{"from": "2025-01", "to": "2025-02"}
    )
    provinces = {r["province"]: r for r in both.json()["provinces"]}
    # 22 in shanxi over the two months, but February's 2 would come out as 22 - 20.
    assert provinces["shanxi"]["reports"] is None
    assert both.json()["reports"] is None


def test_shares_outcomes_and_days_to_a_conclusion(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    body = get(
        insights, "/v1/insights/industries/construction", **{"from": "2025-01", "to": "2025-01"}
    ).json()
    assert body["official_share"] == round(6 / 25, 3)
    assert body["concluded"] == 10
    assert body["substantiation_rate"] == 0.6
    assert body["median_days_to_conclusion"] == 30
    assert {r["month"]: r["reports"] for r in body["trend"]} == {"2025-01": 25}


def test_csv_has_a_header_row_and_leaves_hidden_counts_empty(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    answer = get(
        insights, "/v1/insights/industries", format="csv", **{"from": "2025-01", "to": "2025-01"}
    )
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_name = {r["industry"]: r for r in rows}
    assert by_name["construction"]["reports"] == "25"
    assert by_name["mining"]["reports"] == ""
    assert "reports" in by_name["mining"]["suppressed"]


def test_a_redelivered_event_changes_nothing(
    insights: Stack, seeded: dict[str, list[Envelope]]
) -> None:
    before = get(
        insights, "/v1/insights/industries/construction", **{"from": "2025-01", "to": "2025-01"}
    ).json()
    repeats = metric(
        insights, "classifier", "tipline_events_duplicate_total", consumer="classifier-insights"
    )
    publish(insights, seeded["shanxi"][:5], twice=True)
    wait_until(
        lambda: (
            metric(
                insights,
                "classifier",
                "tipline_events_duplicate_total",
                consumer="classifier-insights",
            )
            >= repeats + 10
        ),
        60,
        "the repeats recognised",
    )
    after = get(
        insights, "/v1/insights/industries/construction", **{"from": "2025-01", "to": "2025-01"}
    ).json()
    assert after == before


def test_a_hotspot_is_a_province_far_above_its_expected_share(insights: Stack) -> None:
    """June 2024: five provinces with 5 reports in each of three industries, and hunan with
    20 in mining as well: expected 35 × 20 / 95 ≈ 7.4 there, far below 20."""
    at = datetime(2024, 6, 10, tzinfo=UTC)
    events = [
        classified(at, industry, province)
        for province in ("hunan", "hebei", "shanxi", "hubei", "jiangxi")
        for industry in ("construction", "transport", "healthcare")
        for _ in range(5)
    ]
    events += [classified(at, "mining", "hunan") for _ in range(20)]
    seed(insights, events)
    month = {"from": "2024-06", "to": "2024-06"}
    body = get(insights, "/v1/insights/hotspots", **month).json()
    assert [(r["province"], r["industry"]) for r in body["hotspots"]] == [("hunan", "mining")]
    (hotspot,) = body["hotspots"]
    assert (hotspot["incidents"], hotspot["expected"]) == (20, 7.4)


def test_a_spike_in_one_industry_is_flagged_in_its_month(insights: Stack) -> None:
    events = []
    for month in range(1, 13):  # education: 6 or 7 reports a month through 2023
        at = datetime(2023, month, 10, tzinfo=UTC)
        events += [classified(at, "education", "hubei") for _ in range(6 + month % 2)]
    events += [
        classified(datetime(2024, 1, 10, tzinfo=UTC), "education", "hubei") for _ in range(25)
    ]
    seed(insights, events)
    body = get(insights, "/v1/insights/spikes", **{"from": "2024-01", "to": "2024-01"}).json()
    assert body["method"] == "cusum"
    spikes = {(r["industry"], r["month"]): r for r in body["spikes"]}
    assert spikes[("education", "2024-01")]["incidents"] == 25
    quiet = get(
        insights, "/v1/insights/spikes", method="c2", **{"from": "2023-10", "to": "2023-12"}
    ).json()
    assert not [r for r in quiet["spikes"] if r["industry"] == "education"]
