"""The queue and the case page on the real system: scope, filters in the address, CSV without
text, opening the report with a purpose through intake's API, assigning and asking the
reporter a question, and the 403 for a case outside the person's scope."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.stack import Stack
from tests.integration.helpers import (
    REPORT,
    report_id_of,
    submit,
    track,
    wait_for_stage,
    wait_until,
)
from tests.integration.helpers_console import console_tracker, create_account, hidden, sign_in

SICHUAN_REPORT = {
    "channel": "web",
    "narrative": "成都某区有人开设赌场，每晚聚赌，涉案金额很大。A casino runs every night.",
    "location": {"province": "四川", "city": "成都"},
}


# A story of this module's own (the sifting tests' reports must not find a cluster here first).
FIRST = {
    "channel": "web",
    "narrative": (
        "我要举报株洲荷塘区的地下赌场。每天晚上九点以后，一栋旧仓库里就开始聚赌，"
        "一晚输赢几十万。老板叫韦大勇，外号“胖虎”，放贷的电话是139 0733 2468。"
        "有人还不上钱，就被关在仓库里打。"
    ),
    "location": {"province": "湖南", "city": "株洲"},
}
PARAPHRASE = {
    "channel": "wechat",
    "narrative": (
        "我要举报株洲荷塘区的地下赌场。每天晚上九点以后，旧仓库里就开始聚赌，"
        "一晚上输赢几十万。老板叫韦大勇，外号“胖虎”，放贷电话是13907332468。"
        "还不上钱的人，就被关在仓库里打。"
    ),
}


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Stack]:
    with console_tracker(stack) as own:
        yield own


@pytest.fixture(scope="module")
def cases(console: Stack) -> dict[str, str]:
    """A Hunan case and a Sichuan case, both assigned; their ids and codes."""
    made: dict[str, str] = {}
    for name, report in (("hunan", REPORT), ("sichuan", SICHUAN_REPORT)):
        code = submit(console, report).json()["tracking_code"]
        wait_for_stage(console, code, "assigned")
        made[name] = report_id_of(console, code, held_by="tracker")
        made[f"{name}_code"] = code
    return made


@pytest.fixture(scope="module")
def supervisor(console: Stack) -> Iterator[httpx.Client]:
    create_account(console, "sup-cases", "supervisor")
    client, _ = sign_in(console, "sup-cases")
    with closing(client):
        yield client


@pytest.fixture(scope="module")
def hunan_investigator(console: Stack) -> Iterator[httpx.Client]:
    create_account(console, "inv-hunan", "investigator", "--province", "hunan")
    client, _ = sign_in(console, "inv-hunan")
    with closing(client):
        yield client


def shown_ids(page: str) -> set[str]:
    return set(re.findall(r'data-report-id="([^"]+)"', page))


def test_the_queue_shows_only_the_persons_scope(
    cases: dict[str, str], supervisor: httpx.Client, hunan_investigator: httpx.Client
) -> None:
    everything = shown_ids(supervisor.get("/console/queue?size=100&sort=newest").text)
    assert {cases["hunan"], cases["sichuan"]} <= everything
    mine = shown_ids(hunan_investigator.get("/console/queue?size=100").text)
    assert cases["hunan"] in mine and cases["sichuan"] not in mine


def test_filters_live_in_the_address_and_the_switch_keeps_them(
    cases: dict[str, str], supervisor: httpx.Client
) -> None:
    page = supervisor.get("/console/queue?province=sichuan&stage=assigned&lang=en")
    assert page.status_code == 200
    ids = shown_ids(page.text)
    assert cases["sichuan"] in ids and cases["hunan"] not in ids
    assert re.search(r'id="total">\d+<', page.text)
    switch = re.search(r'id="switch-language"[^>]*|href="([^"]+)" id="switch-language"', page.text)
    assert switch is not None
    link = re.search(r'href="([^"]+)" id="switch-language"', page.text)
    assert link and "province=sichuan" in link.group(1) and "lang=zh" in link.group(1)


def test_a_bad_filter_value_is_refused_naming_the_field(supervisor: httpx.Client) -> None:
    page = supervisor.get("/console/queue?priority=urgent&lang=en")
    assert page.status_code == 422
    assert "priority" in page.text and "critical" in page.text


def test_the_csv_export_follows_the_filter_and_has_no_report_text(
    cases: dict[str, str], supervisor: httpx.Client
) -> None:
    answer = supervisor.get("/console/queue.csv?province=hunan")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert cases["hunan"] in {r["report_id"] for r in rows}
    assert cases["sichuan"] not in {r["report_id"] for r in rows}
    assert "村霸" not in answer.text and "bully" not in answer.text


TAXONOMY = json.loads(Path("services/classifier/data/taxonomy.json").read_text(encoding="utf-8"))


def taxonomy_name(kind: str, code: str, lang: str) -> str:
    return next(e[lang] for e in TAXONOMY[kind] if e["id"] == code)


def test_the_queue_and_the_case_page_name_the_labels_in_both_languages(
    cases: dict[str, str], supervisor: httpx.Client
) -> None:
    rows = list(csv.DictReader(io.StringIO(supervisor.get("/console/queue.csv").text)))
    row = next(r for r in rows if r["report_id"] == cases["hunan"])
    crime_types = row["crime_types"].split(";")
    assert crime_types[0] and row["priority"]  # the CSV keeps the codes
    for lang in ("zh", "en"):
        queue = supervisor.get(f"/console/queue?size=100&lang={lang}").text
        case = supervisor.get(f"/console/cases/{cases['hunan']}?lang={lang}").text
        for code in crime_types:
            name = html.escape(taxonomy_name("crime_types", code, lang), quote=False)
            assert name in queue and name in case
            # The filter's option: the code in the address, the name on screen.
            assert re.search(
                rf'<option value="{code}"( selected)?>{re.escape(name)}</option>', queue
            )
        priority = taxonomy_name("priorities", row["priority"], lang)
        assert f"<dd>{priority}</dd>" in case
        if row["industry"]:
            industry = html.escape(taxonomy_name("industries", row["industry"], lang), quote=False)
            assert f"<dd>{industry}</dd>" in case
        # Provinces and teams by name too (the routing table's team for Hunan, as routed).
        province = {"zh": "湖南", "en": "Hunan"}[lang]
        team = {"zh": "湖南巡查组", "en": "Hunan inspection team"}[lang]
        assert f"<dd>{province}</dd>" in case and f">{team}</dd>" in case
        assert f'<option value="hunan">{province}</option>' in queue
        assert f'<option value="inspection-hunan">{team}</option>' in queue
        assert f"<td>{team}</td>" in queue and "<td>inspection-hunan</td>" not in queue


def test_a_case_outside_the_scope_gets_the_same_403_as_no_case(
    cases: dict[str, str], hunan_investigator: httpx.Client
) -> None:
    outside = hunan_investigator.get(f"/console/cases/{cases['sichuan']}")
    missing = hunan_investigator.get("/console/cases/no-such-case")
    assert outside.status_code == missing.status_code == 403
    assert "成都" not in outside.text
    assert hunan_investigator.get(f"/console/cases/{cases['hunan']}").status_code == 200


def test_an_investigator_may_not_assign_even_with_a_forged_form(
    cases: dict[str, str], hunan_investigator: httpx.Client
) -> None:
    page = hunan_investigator.get(f"/console/cases/{cases['hunan']}?lang=en").text
    assert 'id="refusal-assign"' in page  # the page says why
    answer = hunan_investigator.post(
        f"/console/cases/{cases['hunan']}/assign",
        data={"csrf": hidden(page, "csrf"), "team": "inspection-sichuan", "reason": "forged"},
    )
    assert answer.status_code == 403


def test_opening_the_report_needs_a_purpose_and_shows_the_narrative(
    cases: dict[str, str], supervisor: httpx.Client
) -> None:
    url = f"/console/cases/{cases['hunan']}"
    csrf = hidden(supervisor.get(url).text, "csrf")
    refused = supervisor.post(f"{url}/open", data={"csrf": csrf, "part": "content"})
    assert refused.status_code == 422 and "村霸" not in refused.text
    opened = supervisor.post(
        f"{url}/open",
        data={"csrf": csrf, "part": "content", "purpose": "Checking the place before a visit"},
    )
    assert opened.status_code == 200, opened.text
    assert "村霸强收保护费" in opened.text
    # Its language switch shows the case page again (nothing opened travels in an address).
    assert f'href="{url}?lang=zh" id="switch-language"' in opened.text


def test_assigning_and_asking_a_question_the_reporter_sees(
    cases: dict[str, str], supervisor: httpx.Client, console: Stack
) -> None:
    url = f"/console/cases/{cases['hunan']}"
    csrf = hidden(supervisor.get(url).text, "csrf")
    moved = supervisor.post(
        f"{url}/assign",
        data={"csrf": csrf, "team": "inspection-hubei", "reason": "Hubei team has capacity"},
    )
    assert moved.status_code == 200 and 'data-team="inspection-hubei">' in moved.text
    # Not investigating yet: asking is refused with the reason.
    refused = supervisor.post(f"{url}/question", data={"csrf": csrf, "text": "Which street?"})
    assert refused.status_code == 409 and 'id="refusal"' in refused.text
    # Why, in the page's language (the form says which).
    for lang, says in (("zh", "不能转到"), ("en", "cannot move to")):
        again = {"csrf": csrf, "text": "Which street?", "lang": lang}
        refusal = supervisor.post(f"{url}/question", data=again).text
        assert says in re.search(r'id="refusal"[^>]*>(.*?)</p>', refusal, re.S).group(1)
    wrong_team = {"csrf": csrf, "team": "no-such-team", "reason": "testing", "lang": "zh"}
    unknown = supervisor.post(f"{url}/assign", data=wrong_team)
    assert unknown.status_code == 422 and "路由表中没有这个组" in unknown.text
    supervisor.post(f"{url}/investigate", data={"csrf": csrf})
    asked = supervisor.post(
        f"{url}/question", data={"csrf": csrf, "text": "Which street is the shop on?"}
    )
    assert asked.status_code == 200 and 'id="notice"' in asked.text
    status: dict[str, Any] = track(console, cases["hunan_code"]).json()
    assert "Which street is the shop on?" in [m["text"] for m in status["messages"]]


def test_the_load_page_links_each_figure_to_its_queue_and_is_for_supervisors_only(
    cases: dict[str, str], supervisor: httpx.Client, hunan_investigator: httpx.Client
) -> None:
    page = supervisor.get("/console/load?lang=en")
    assert page.status_code == 200
    row = re.search(r'<tr data-province="sichuan" data-team="([^"]+)">(.*?)</tr>', page.text, re.S)
    assert row, "no row for Sichuan"
    link = re.search(r'href="([^"]+)" class="open-count">(\d+)<', row.group(2))
    assert link and int(link.group(2)) >= 1
    queue = supervisor.get(link.group(1).replace("&amp;", "&"))
    assert cases["sichuan"] in shown_ids(queue.text)
    assert hunan_investigator.get("/console/load").status_code == 403


def test_an_auditor_finds_the_supervisors_read_in_the_access_log(
    cases: dict[str, str], supervisor: httpx.Client, console: Stack
) -> None:
    url = f"/console/cases/{cases['sichuan']}"
    csrf = hidden(supervisor.get(url).text, "csrf")
    purpose = "Planning the visit to the casino named"
    opened = supervisor.post(
        f"{url}/open", data={"csrf": csrf, "part": "content", "purpose": purpose}
    )
    assert opened.status_code == 200
    create_account(console, "aud-cases", "auditor")
    auditor, _ = sign_in(console, "aud-cases")
    with closing(auditor):
        page = auditor.get("/console/audit?lang=en")
        assert page.status_code == 200 and 'data-intact="yes"' in page.text

        def read_is_logged() -> bool:
            found = auditor.get(f"/console/audit?report={cases['sichuan']}&lang=en").text
            # The content from intake, and its entities from the classifier: two reads.
            return (
                'data-staff="sup-cases"' in found
                and purpose in found
                and "classification-details" in found
            )

        wait_until(read_is_logged, 30, "the supervisor's read in the access log")
        # Everything the supervisor has read, each read linking to that report's access log.
        theirs = auditor.get("/console/audit?staff=sup-cases&lang=en")
        assert theirs.status_code == 200
        row = re.search(rf'<tr data-read-report="{cases["sichuan"]}">(.*?)</tr>', theirs.text, re.S)
        assert row and purpose in row.group(1)
        assert f'href="/console/audit?report={cases["sichuan"]}&amp;lang=en"' in row.group(1)
        assert "赌场" not in theirs.text
        assert auditor.get("/console/audit?staff=a%20b").status_code == 422
        assert "赌场" not in auditor.get(f"/console/audit?report={cases['sichuan']}").text
        assert auditor.get(url).status_code == 403  # auditors never open cases


def test_bulk_assignment_assigns_each_it_may_and_says_why_not_for_the_others(
    cases: dict[str, str], supervisor: httpx.Client, hunan_investigator: httpx.Client
) -> None:
    page = supervisor.get("/console/queue?province=sichuan&lang=en").text
    assert f'name="case" value="{cases["sichuan"]}" form="bulk"' in page
    form = {
        "csrf": hidden(page, "csrf"),
        "team": "inspection-chongqing",
        "reason": "Chongqing's team takes these",
        "back": hidden(page, "back"),
    }
    answer = supervisor.post(
        "/console/queue/assign",
        data={**form, "case": [cases["sichuan"], cases["hunan"]]},  # hunan awaits the reporter
    )
    assert answer.status_code == 200
    outcomes = dict(re.findall(r'data-report-id="([^"]+)" data-outcome="(\w+)"', answer.text))
    assert outcomes == {cases["sichuan"]: "done", cases["hunan"]: "refused"}
    assert "cannot move to assigned" in answer.text
    assert 'href="/console/queue?province=sichuan' in answer.text  # back to the same view
    case = supervisor.get(f"/console/cases/{cases['sichuan']}").text
    assert 'id="case-team" data-team="inspection-chongqing">' in case
    # Investigators have no bulk form, and a forged one is refused.
    investigator_page = hunan_investigator.get("/console/queue").text
    assert 'id="bulk"' not in investigator_page
    forged = hunan_investigator.post(
        "/console/queue/assign",
        data={**form, "csrf": hidden(investigator_page, "csrf"), "case": cases["hunan"]},
    )
    assert forged.status_code == 403


def test_the_case_page_shows_the_cluster_and_offers_its_cases_to_a_duplicate(
    console: Stack, supervisor: httpx.Client, cases: dict[str, str]
) -> None:
    ids = []
    for report in (FIRST, PARAPHRASE):
        code = submit(console, report).json()["tracking_code"]
        wait_for_stage(console, code, "assigned", timeout=60)
        ids.append(report_id_of(console, code, held_by="tracker"))
    first, again = ids
    url = f"/console/cases/{again}"
    page = supervisor.get(f"{url}?lang=en").text
    assert f'data-member="{first}"' in page and 'id="cluster"' in page
    assert "13807315566" not in page  # shared entities by kind only
    assert f'<option value="{first}">' in page  # the surviving case, offered
    # Its entities by kind, masked, until the content is opened with a purpose.
    masked = re.search(r'id="entities-masked">(.*?)</ul>', page, re.S)
    assert masked and 'data-kind="phone" data-count="1"' in masked.group(1)
    assert "2468" not in page and "韦大勇" not in page
    opened = supervisor.post(
        f"{url}/open",
        data={"csrf": hidden(page, "csrf"), "part": "content", "purpose": "Who runs the casino"},
    )
    assert opened.status_code == 200
    shown = re.search(r'id="entities-opened">(.*?)</table>', opened.text, re.S)
    assert shown and "+8613907332468" in shown.group(1)
    done = supervisor.post(
        f"{url}/conclude",
        data={
            "csrf": hidden(page, "csrf"),
            "outcome": "duplicate",
            "duplicate_of": first,
            "reason": "The same sand-mining gang, told again",
        },
    )
    assert done.status_code == 200 and 'data-stage="concluded"' in done.text
    assert f'href="/console/cases/{first}?lang=' in done.text
    # From the surviving case, the rest of the cluster at once: each told apart.
    code = submit(console, {**PARAPHRASE, "channel": "web"}).json()["tracking_code"]
    wait_for_stage(console, code, "assigned", timeout=60)
    third = report_id_of(console, code, held_by="tracker")
    # The queue's cluster-size filter finds the three, and nothing that stands alone.
    linked = supervisor.get("/console/queue?cluster=3&size=100&lang=en")
    assert linked.status_code == 200
    assert {first, again, third} <= shown_ids(linked.text)
    # The Sichuan story is this module's own and told once; the shared REPORT is not (other
    # modules send it too, so on a shared stack its cluster may well hold three).
    assert cases["sichuan"] not in shown_ids(linked.text)
    count = re.search(r'<option value="3" data-count="(\d+)" selected>', linked.text)
    assert count and int(count.group(1)) >= 3
    page = supervisor.get(f"/console/cases/{first}?lang=en").text
    assert f'name="case" value="{third}" form="duplicates-form"' in page
    answer = supervisor.post(
        f"/console/cases/{first}/duplicates",
        data={"csrf": hidden(page, "csrf"), "case": [third, again], "reason": "One gang"},
    )
    outcomes = dict(re.findall(r'data-report-id="([^"]+)" data-outcome="(\w+)"', answer.text))
    assert outcomes == {third: "done", again: "refused"}  # `again` was concluded already
    assert 'data-stage="concluded"' in supervisor.get(f"/console/cases/{third}").text
