"""The console in a real browser (Debian's Chromium, headless, through Debian's chromedriver):
a supervisor's morning from sign-in with password and TOTP to a question the reporter sees, and
an investigator refused a case of another province. Screenshots go to test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from deploy.local.stack import Stack
from tests.integration.helpers import REPORT, report_id_of, submit, wait_for_stage
from tests.integration.helpers_console import PASSWORD, console_tracker, create_account
from tests.integration.test_channels_browser import (
    ARTIFACTS,
    _is_gone,
    browser,  # noqa: F401  (the fixture)
    check_status,
    click_and_wait_for_the_next_page,
    wait_for,
)

WIDTH = 1280
QUESTION = "Which street is the shop on, and since when?"
PURPOSE = "Checking the street named before a visit"


@pytest.fixture(scope="module")
def console(stack: Stack) -> Iterator[Stack]:
    with console_tracker(stack) as own:
        yield own


def shot(driver: WebDriver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(WIDTH, max(800, int(height) + 120))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(WIDTH, 900)


def click(driver: WebDriver, css: str) -> None:
    click_and_wait_for_the_next_page(driver, driver.find_element(By.CSS_SELECTOR, css))


def sign_in(driver: WebDriver, console: Stack, account: str, screenshot: str | None = None) -> None:
    """Password first; at the first sign-in the enrolment page, its key into an authenticator
    (pyotp here), and the app's code."""
    driver.get(f"{console.url('tracker')}/console/sign-in?lang=en")
    wait_for(driver, "#account").send_keys(account)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    if screenshot:
        shot(driver, screenshot)
    click(driver, "#sign-in")
    secret = wait_for(driver, "#totp-secret").text.strip()
    assert (
        driver.find_element(By.CSS_SELECTOR, "img.qr")
        .get_attribute(
            "src",
        )
        .startswith("data:image/svg+xml")
    )
    driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
    click(driver, "#enrol")
    wait_for(driver, "#sign-out")


def test_a_supervisors_morning_in_the_console(browser: WebDriver, console: Stack) -> None:  # noqa: F811
    browser.set_window_size(WIDTH, 900)
    code = submit(console, REPORT).json()["tracking_code"]
    wait_for_stage(console, code, "assigned")
    report_id = report_id_of(console, code, held_by="tracker")
    create_account(console, "sup-morning", "supervisor")

    sign_in(browser, console, "sup-morning", screenshot="console-sign-in")
    assert "/console/queue" in browser.current_url

    # The queue, filtered to Hunan's assigned cases; the filter is in the address.
    Select(browser.find_element(By.ID, "f-province")).select_by_value("hunan")
    Select(browser.find_element(By.ID, "f-stage")).select_by_value("assigned")
    Select(browser.find_element(By.ID, "f-sort")).select_by_value("newest")
    click(browser, "#apply-filters")
    for part in ("province=hunan", "stage=assigned", "sort=newest"):
        assert part in browser.current_url
    wait_for(browser, f'tr[data-report-id="{report_id}"]')
    shot(browser, "console-queue")
    # The keyboard: ? shows the help, j moves to the first case, Enter opens it.
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("?")
    assert browser.find_element(By.ID, "keys-help").is_displayed()
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr[data-report-id]")
    ours = [r.get_attribute("data-report-id") for r in rows].index(report_id)
    for _ in range(ours + 1):  # to whatever has focus, as a person's keyboard does
        ActionChains(browser).send_keys("j").perform()
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "case-link"
    assert focused.get_attribute("href").split("?")[0].endswith(report_id)
    old_page = browser.find_element(By.TAG_NAME, "html")
    focused.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda _: _is_gone(old_page))

    # The case: state a purpose and read the narrative.
    assert wait_for(browser, "#report-id").text == report_id
    browser.find_element(By.ID, "purpose").send_keys(PURPOSE)
    click(browser, "#open-button")
    assert "村霸强收保护费" in wait_for(browser, "#narrative").text

    # Assign it to another team, start the investigation, ask the reporter.
    Select(browser.find_element(By.ID, "assign-team")).select_by_value("inspection-hubei")
    browser.find_element(By.ID, "assign-reason").send_keys("Hubei's team has room this week")
    click(browser, "#assign-button")
    team = wait_for(browser, "#case-team")
    assert team.get_attribute("data-team") == "inspection-hubei"
    assert team.text in ("湖北巡查组", "Hubei inspection team")  # its name, not its code
    click(browser, "#investigate-button")
    browser.find_element(By.ID, "question-text").send_keys(QUESTION)
    click(browser, "#question-button")
    assert wait_for(browser, "#case-stage").get_attribute("data-stage") == "awaiting_reporter"
    shot(browser, "console-case")

    # Chinese, on the same page.
    click(browser, "#switch-language")
    assert wait_for(browser, "#report-id").text == report_id
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert "湖北巡查组" in wait_for(browser, "#case-team").text
    shot(browser, "console-case-zh")
    # The same queue view in Chinese, and the regional load the supervisor starts from.
    browser.get(f"{console.url('tracker')}/console/queue?province=hunan&sort=newest&lang=zh")
    wait_for(browser, f'tr[data-report-id="{report_id}"]')
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    shot(browser, "console-queue-zh")
    for lang in ("zh", "en"):
        browser.get(f"{console.url('tracker')}/console/load?lang={lang}")
        assert wait_for(browser, 'a[href*="/console/queue?"]').is_displayed()  # figures link
        shot(browser, f"console-load-{lang}")

    # The reporter sees the question on the status page.
    browser.get(f"{console.url('tracker')}/status?lang=en")
    check_status(browser, code)
    assert QUESTION in wait_for(browser, "#messages").text

    # An investigator of another province is refused the case, as if it did not exist.
    browser.delete_all_cookies()
    create_account(console, "inv-sichuan", "investigator", "--province", "sichuan")
    sign_in(browser, console, "inv-sichuan")
    assert report_id not in browser.page_source  # not in their queue
    browser.get(f"{console.url('tracker')}/console/cases/{report_id}?lang=en")
    assert wait_for(browser, "#forbidden").is_displayed()
    assert "村霸" not in browser.page_source
    session = {"tipline_console": browser.get_cookie("tipline_console")["value"]}
    answer = httpx.get(
        f"{console.url('tracker')}/console/cases/{report_id}", cookies=session, timeout=10
    )
    assert answer.status_code == 403

    # An auditor finds the supervisor's read, with its purpose, in the report's access log.
    browser.delete_all_cookies()
    create_account(console, "aud-morning", "auditor")
    sign_in(browser, console, "aud-morning")
    assert wait_for(browser, "#chain").get_attribute("data-intact") == "yes"
    deadline = time.monotonic() + 30
    while True:
        field = wait_for(browser, "#report")
        field.clear()
        field.send_keys(report_id)
        click(browser, "#show-access")
        rows = browser.find_elements(By.CSS_SELECTOR, '#access tr[data-staff="sup-morning"]')
        if any(PURPOSE in r.text for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert any(PURPOSE in r.text for r in rows), "the supervisor's read is not in the log"
    assert "村霸" not in browser.page_source
    shot(browser, "console-audit")


def test_a_clerk_signs_in_at_the_console_and_goes_on_to_staff_entry(
    browser: WebDriver,  # noqa: F811
    console: Stack,
) -> None:
    browser.set_window_size(WIDTH, 900)
    browser.delete_all_cookies()
    create_account(console, "clerk-browser", "clerk")
    sign_in(browser, console, "clerk-browser")
    # The queue is not a clerk's; their first page hands them on to intake's staff entry.
    browser.get(f"{console.url('tracker')}/console/queue?lang=en")
    assert wait_for(browser, "#forbidden").is_displayed()
    browser.get(f"{console.url('tracker')}/console/?lang=zh")
    assert wait_for(browser, "#go-to-staff-entry").is_displayed()
    shot(browser, "console-clerk-zh")
    browser.get(f"{console.url('tracker')}/console/?lang=en")
    click(browser, "#go-to-staff-entry")  # a form to another origin, allowed on this page only
    wait_for(browser, "#source_reference").send_keys("CALL-2026-12-04-003")
    assert browser.current_url.startswith(f"{console.url('intake')}/staff/entry")
    browser.find_element(By.ID, "narrative").send_keys(REPORT["narrative"])
    click(browser, "#report-form button[type=submit]")
    code = wait_for(browser, "#tracking-code").text.strip()
    report_id = report_id_of(console, code)
    # The phone report reaches the office's cases, found by its id.
    wait_for_stage(console, code, "assigned")
    assert report_id_of(console, code, held_by="tracker") == report_id
