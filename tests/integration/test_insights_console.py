"""The industry pages in the console on the real servers: an analyst signs in with their own
account, and what the pages show is what the classifier's read model holds (reports of known
industries flow through intake and the classifier; past months are seeded on the same topic),
hidden cells are shown as hidden (never as 0), the CSV download is the API's, both languages,
and an analyst cannot open a case. Then the same in Chromium, with screenshots.

The module runs its own stack with k = 3 (INSIGHTS_MIN_CELL), like test_insights.py, so its
counts are exact."""

from __future__ import annotations

import base64
import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from deploy.local.stack import POLLING_CLIENT, Stack
from services.common.events import ConclusionKind
from tests.integration.helpers import mongo_client, submit, wait_until
from tests.integration.helpers_console import console_tracker, create_account, sign_in
from tests.integration.test_channels_browser import (
    ARTIFACTS,
    browser,  # noqa: F401  (the fixture)
    click_and_wait_for_the_next_page,
    wait_for,
)
from tests.integration.test_console_browser import sign_in as browser_sign_in
from tests.integration.test_insights import (
    CONSTRUCTION,
    JAN,
    SHARED_PHONE,
    classified,
    concluded,
    publish,
    seed,
    this_month,
)

K = 3
JANUARY = {"from": "2025-01", "to": "2025-01"}
MARCH_2023 = JAN.replace(year=2023, month=3)
LIVE = len(CONSTRUCTION) + len(SHARED_PHONE)
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def stack(start_stack) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    tuning = {**POLLING_CLIENT, "INSIGHTS_MIN_CELL": str(K)}
    with start_stack("insight-pages", tuning=tuning) as own, console_tracker(own) as console:
        yield console


@pytest.fixture(scope="module")
def data(stack: Stack) -> dict[str, list[str]]:
    """Live: four construction reports and three naming one phone, through intake and the
    classifier. Seeded, January
    2025: construction 25 (shanxi 20, six with officials; hunan 1; hebei 4), healthcare 15,
    transport 12, mining 2; ten of shanxi's concluded (six substantiated after 30 days)."""
    for narrative in CONSTRUCTION + SHARED_PHONE:
        assert submit(stack, {"channel": "web", "narrative": narrative}).status_code == 201
    shanxi = [classified(JAN, "construction", "shanxi", official=i < 6) for i in range(20)]
    events = [
        *shanxi,
        classified(JAN, "construction", "hunan"),
        *(classified(JAN, "construction", "hebei") for _ in range(4)),
        *(classified(JAN, "healthcare", "hebei") for _ in range(15)),
        *(classified(JAN, "transport", "hebei") for _ in range(12)),
        *(classified(JAN, "mining", "hebei") for _ in range(2)),
    ]
    seed(stack, events)
    endings = [
        concluded(
            e.subject,
            JAN + timedelta(days=30 if i < 6 else 50, hours=1),
            ConclusionKind.SUBSTANTIATED if i < 6 else ConclusionKind.UNSUBSTANTIATED,
        )
        for i, e in enumerate(shanxi[:10])
    ]
    publish(stack, endings)
    db = mongo_client(stack)["classifier"]
    wait_until(
        lambda: db["insight_reports"].count_documents({"state.conclusion": {"$ne": None}}) >= 10,
        60,
        "the conclusions in the read model",
    )
    wait_until(
        lambda: (
            db["classifications"].count_documents({}) == LIVE
            and db["insight_reports"].count_documents({"_id": {"$not": re.compile("^seed-")}})
            == LIVE
        ),
        90,
        "the live reports classified and in the read model",
    )
    return {"live": [str(d["_id"]) for d in db["classifications"].find({})]}


@pytest.fixture(scope="module")
def analyst(stack: Stack) -> Iterator[httpx.Client]:
    create_account(stack, "ana-pages", "analyst")
    client, _ = sign_in(stack, "ana-pages")
    with closing(client):
        yield client


def cell(page: str, row_attr: str, css_class: str) -> str:
    """The text of one cell: the row `data-...="value"`, its cell of class `css_class`."""
    found = re.search(rf'<tr {row_attr}>.*?<td class="{css_class}">(.*?)</td>', page, re.DOTALL)
    assert found, f"no {css_class} in the row {row_attr}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_overview_shows_the_read_models_counts_and_hidden_cells_as_hidden(
    analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    page = analyst.get("/console/insights", params={**JANUARY, "lang": "en"})
    assert page.status_code == 200, page.text
    text = page.text
    assert cell(text, 'data-industry="construction"', "incidents") == "25"
    assert cell(text, 'data-industry="healthcare"', "incidents") == "15"
    # Mining's 2 is under k; transport's 12 is hidden with it, or the total would give it away.
    assert cell(text, 'data-industry="mining"', "incidents") == "hidden"
    assert cell(text, 'data-industry="transport"', "incidents") == "hidden"
    assert cell(text, 'data-industry="construction"', "official") == "24 %"
    heat = text[text.index('id="heat-map"') :]
    shanxi = re.search(r'<tr data-province="shanxi">(.*?)</tr>', heat, re.DOTALL)
    assert shanxi and re.search(r'data-industry="construction">20<', shanxi.group(1))
    hebei = re.search(r'<tr data-province="hebei">(.*?)</tr>', heat, re.DOTALL)
    assert hebei and re.search(
        r'heat-hidden" data-industry="construction"><span class="suppressed">hidden', hebei.group(1)
    )
    assert re.search(r"<script(?![^>]*\bsrc=)", text) is None  # no inline script


def test_live_reports_of_known_industries_show_on_the_page_with_their_counts(
    stack: Stack, analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    docs = list(mongo_client(stack)["classifier"]["classifications"].find({}))
    reports = Counter(d.get("industry") or "unknown" for d in docs)
    month = {"from": this_month(), "to": this_month(), "lang": "en"}
    text = analyst.get("/console/insights", params=month).text
    shown = [name for name, n in reports.items() if n >= K]
    assert shown, f"no industry reached k: {reports}"
    for name in shown:
        assert cell(text, f'data-industry="{name}"', "reports") == str(reports[name])


def test_an_industrys_page_shows_its_tables_charts_and_rates(
    analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    page = analyst.get(
        "/console/insights/industries/construction", params={**JANUARY, "lang": "en"}
    )
    assert page.status_code == 200, page.text
    text = page.text
    fact = lambda name: re.sub(  # noqa: E731
        r"<[^>]+>",
        "",
        re.search(rf'id="fact-{name}">(.*?)</dd>', text).group(1),  # type: ignore[union-attr]
    ).strip()
    assert (fact("incidents"), fact("official"), fact("substantiation")) == ("25", "24 %", "60 %")
    assert fact("median-days") == "30.0"
    assert cell(text, 'data-province="shanxi"', "incidents") == "20"
    assert cell(text, 'data-province="hebei"', "incidents") == "hidden"
    assert cell(text, 'data-month="2025-01"', "incidents") == "25"
    charts = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', text)
    assert len(charts) == 3, "crime types, provinces and the trend"
    for svg, alt in charts:
        body = base64.b64decode(svg).decode()
        assert "<script" not in body and "http://" not in body.split("-->")[-1]
        assert "the figures are in the table below" in alt


def test_the_csv_download_is_the_apis_with_hidden_counts_empty(
    analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    answer = analyst.get("/console/insights.csv", params=JANUARY)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = {r["industry"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows["construction"]["incidents"] == "25"
    assert rows["mining"]["incidents"] == "" and "incidents" in rows["mining"]["suppressed"]
    one = analyst.get("/console/insights/industries/construction.csv", params=JANUARY)
    assert one.status_code == 200 and one.text.startswith("table,name,province")


def test_the_pages_speak_chinese_and_the_switch_keeps_the_filters(
    analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    text = analyst.get("/console/insights", params={**JANUARY, "lang": "zh"}).text
    assert "行业信息" in text and cell(text, 'data-industry="mining"', "incidents") == "已隐藏"
    switch = re.search(r'<a href="([^"]+)" id="switch-language"', text)
    assert switch
    href = switch.group(1).replace("&amp;", "&")
    assert href.startswith("/console/insights?") and "from=2025-01" in href and "lang=en" in href


def test_reports_given_no_industry_are_a_named_row_with_a_page_of_their_own(
    stack: Stack, analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    """The classifier leaves a report's industry undecided when nothing in it says one, so any
    real system holds such reports. Once one did, the overview answered 404: its "unknown" row
    named an industry the per-industry API refused."""
    seed(stack, [classified(MARCH_2023, None, "hunan") for _ in range(K + 1)])
    march = {"from": "2023-03", "to": "2023-03"}
    english = analyst.get("/console/insights", params={**march, "lang": "en"})
    assert english.status_code == 200, english.text
    row = re.search(r'<tr data-industry="unknown">.*?</tr>', english.text, re.DOTALL)
    assert row and "Not decided" in row.group(0)
    assert cell(english.text, 'data-industry="unknown"', "incidents") == str(K + 1)
    chinese = analyst.get("/console/insights", params={**march, "lang": "zh"})
    assert chinese.status_code == 200 and "未判定" in chinese.text
    page = analyst.get("/console/insights/industries/unknown", params={**march, "lang": "en"})
    assert page.status_code == 200, page.text
    assert cell(page.text, 'data-province="hunan"', "incidents") == str(K + 1)


def test_a_bad_month_is_named_and_an_analyst_opens_no_case(
    stack: Stack, analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    bad = analyst.get(
        "/console/insights", params={"from": "2025-13", "to": "2025-12", "lang": "en"}
    )
    problem = re.search(r'id="filter-problem">(.*?)</p>', bad.text)
    assert bad.status_code == 422 and problem and "from" in problem.group(1)
    case = analyst.get(f"/console/cases/{data['live'][0]}")
    assert case.status_code == 403
    industry = analyst.get("/console/insights/industries/construction", params=JANUARY).text
    assert 'class="entity-link"' not in industry  # counts only, no link to open
    for phrase in ("李德胜", "工资", "塔吊"):
        assert phrase not in industry


def test_a_recurring_entity_is_a_count_for_analysts_and_opens_for_a_supervisor(
    stack: Stack, analyst: httpx.Client, data: dict[str, list[str]]
) -> None:
    industry = _phone_industry(stack)
    page = analyst.get(f"/console/insights/industries/{industry}", params={"lang": "en"}).text
    assert re.search(r"One phone number appears in 3 separate reports in 2 province", page)
    assert 'class="entity-link"' not in page and "13912345678" not in page
    create_account(stack, "sup-pages", "supervisor")
    client, _ = sign_in(stack, "sup-pages")
    with closing(client):
        page = client.get(f"/console/insights/industries/{industry}", params={"lang": "en"}).text
        link = re.search(
            r'<a href="(/console/insights/entities/[^"?]+)[^"]*" class="entity-link"', page
        )
        assert link, "no link for a supervisor"
        opened = client.get(link.group(1), params={"lang": "en"})
        assert opened.status_code == 200
        cases = re.findall(r'<a href="/console/cases/([^"?]+)', opened.text)
        assert cases and set(cases) <= set(data["live"])
        assert analyst.get(link.group(1)).status_code == 403
        assert client.get("/console/insights/entities/not-a-ref").status_code == 404


def _phone_industry(stack: Stack) -> str:
    docs = mongo_client(stack)["classifier"]["classifications"].find({})
    keyed = {
        str(d["_id"])
        for d in mongo_client(stack)["classifier"]["fingerprints"].find(
            {"keys": {"$regex": "^phone:"}}, {"_id": 1}
        )
    }
    (industry,) = {d["industry"] for d in docs if str(d["_id"]) in keyed}
    return str(industry)


def test_roles_without_the_aggregates_get_the_usual_403(
    stack: Stack, data: dict[str, list[str]]
) -> None:
    create_account(stack, "aud-pages", "auditor")
    client, _ = sign_in(stack, "aud-pages")
    with closing(client):
        assert client.get("/console/insights").status_code == 403
        assert client.get("/console/insights.csv").status_code == 403


def test_an_analyst_in_chromium_opens_the_overview_an_industry_and_downloads_csv(
    browser: WebDriver,  # noqa: F811
    stack: Stack,
    data: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    browser.set_window_size(1280, 900)
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    create_account(stack, "ana-browser", "analyst")
    browser_sign_in(browser, stack, "ana-browser")
    assert "/console/insights" in browser.current_url  # an analyst's first page
    base = stack.url("tracker")
    for lang in ("en", "zh"):
        browser.get(f"{base}/console/insights?from=2025-01&to=2025-01&lang={lang}")
        chart = wait_for(browser, "figure.chart img")
        assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
        assert browser.find_element(By.CSS_SELECTOR, '#industries tr[data-industry="mining"]')
        shot(browser, f"insights-overview-{lang}")
        link = browser.find_element(
            By.CSS_SELECTOR, '#industries tr[data-industry="construction"] a.industry-link'
        )
        click_and_wait_for_the_next_page(browser, link)
        assert "/console/insights/industries/construction" in browser.current_url
        assert "from=2025-01" in browser.current_url
        images = browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
        assert len(images) == 3
        for image in images:
            assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
        assert wait_for(browser, "#fact-incidents").text == "25"
        shot(browser, f"insights-industry-{lang}")
    browser.find_element(By.ID, "csv-industry").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(tmp_path.glob("*.csv")):
        time.sleep(0.2)
    (downloaded,) = list(tmp_path.glob("*.csv"))
    assert downloaded.name == "construction-2025-01_2025-01.csv"
    assert "total,construction,,25,25" in downloaded.read_text()


def shot(driver: WebDriver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, max(800, int(height) + 120))
    time.sleep(0.5)  # the page laid out again at the new height
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(1280, 900)
