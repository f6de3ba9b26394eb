"""The reporting website and the status page in a real browser: Debian's Chromium, headless,
driven through Debian's chromedriver. Screenshots go to test-artifacts/ (not committed)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from deploy.local.stack import Stack
from services.common import tracking_code
from tests.unit.test_evidence import jpeg_with_exif_and_gps

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NARRATIVE_ZH = "村霸强收保护费，不交就打人。镇上每家店每月都要交五百元。"
NARRATIVE_EN = "The village bully extorts protection money from every shop on the street."


# Sends reports without following each to its end: the next module starts with none in flight.
pytestmark = pytest.mark.usefixtures("all_classified_afterwards")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    # `.ci/run` installs both from Debian; a machine without them fails here, it does not skip.
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "apt-get install chromium chromium-driver"
    )
    profile = tempfile.mkdtemp(prefix="tipline-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=412,915",  # a common phone's viewport
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()  # ends the browser and the driver this fixture started
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: WebDriver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(412, max(915, int(height) + 120))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(412, 915)


def wait_for(driver: WebDriver, css: str, timeout: float = 15):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def wait_for_proof_of_work(driver: WebDriver) -> None:
    """The page's script does it while a person types (a person takes longer than this)."""
    WebDriverWait(driver, 15).until(
        lambda d: d.find_element(By.NAME, "pow_nonce").get_attribute("value")
    )


def fill_and_send(driver: WebDriver, narrative: str, city: str) -> str:
    driver.find_element(By.ID, "narrative").send_keys(narrative)
    driver.find_element(By.ID, "location-city").send_keys(city)
    wait_for_proof_of_work(driver)
    submit_and_wait_for_the_next_page(driver, "#report-form button[type=submit]")
    return wait_for(driver, "#tracking-code").text.strip()


def check_status(driver: WebDriver, code: str) -> str:
    field = wait_for(driver, "#code")
    field.clear()
    field.send_keys(code)
    submit_and_wait_for_the_next_page(driver, "#code-form button[type=submit]")
    return wait_for(driver, "#current-stage").get_attribute("data-stage") or ""


def submit_and_wait_for_the_next_page(driver: WebDriver, button: str) -> None:
    click_and_wait_for_the_next_page(driver, driver.find_element(By.CSS_SELECTOR, button))


def click_and_wait_for_the_next_page(driver: WebDriver, element: WebElement) -> None:
    """Clicks and waits until the old page is gone, so nothing is read from it by mistake."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 20).until(lambda _: _is_gone(old_page))


def _is_gone(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        # After a form posts to another origin (tracker -> intake), Chromium reports the old
        # page's nodes this way instead of as stale.
        return "does not belong to the document" in str(exc)
    return False


def follow_until_classified(driver: WebDriver, code: str) -> list[str]:
    """Checks again (as a reporter would press the button) until the report is classified."""
    deadline = time.monotonic() + 45
    seen: list[str] = []
    history: list[str] = []
    while time.monotonic() < deadline:
        seen.append(check_status(driver, code))
        history = [
            li.get_attribute("data-stage") or ""
            for li in driver.find_elements(By.CSS_SELECTOR, "ol.stages li")
        ]
        if "classified" in history:
            break
        time.sleep(0.3)
    assert "classified" in history, f"stages seen: {seen}"
    return history


def test_a_reporter_reports_in_chinese_keeps_the_code_and_follows_it(
    stack: Stack, browser: WebDriver
) -> None:
    browser.get(stack.url("intake") + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert "匿名举报" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "form-zh")

    code = fill_and_send(browser, NARRATIVE_ZH, "长沙")
    assert tracking_code.normalize(code) is not None
    assert "只显示这一次" in browser.page_source
    copy = browser.find_element(By.ID, "copy-code")
    copy.click()
    WebDriverWait(browser, 5).until(lambda d: copy.text == "已复制")
    # The code is not in the address bar, and the status link does not carry it either.
    assert code not in browser.current_url
    status_link = browser.find_element(By.ID, "status-link")
    assert code not in (status_link.get_attribute("href") or "")
    screenshot(browser, "done-zh")

    click_and_wait_for_the_next_page(browser, status_link)
    # What the copy button put on the clipboard is what the reporter pastes here.
    field = wait_for(browser, "#code")
    field.send_keys(Keys.CONTROL, "v")
    assert field.get_attribute("value") == code
    first = check_status(browser, code)
    assert first in ("received", "classified", "assigned")  # the tracker acknowledged it
    history = follow_until_classified(browser, code)
    # Routing may already have assigned it: the first three stages are what intake's part owes.
    assert history[:3] == ["submitted", "received", "classified"]
    assert "已分类" in browser.find_element(By.CSS_SELECTOR, "li[data-stage=classified]").text
    assert code not in browser.current_url
    # Adding information from the same page.
    browser.find_element(By.ID, "message-text").send_keys("他们每周五晚上在仓库收钱。")
    submit_and_wait_for_the_next_page(browser, "#add-information button[type=submit]")
    assert "已发送" in wait_for(browser, "#message-notice").text
    sent = browser.find_elements(By.CSS_SELECTOR, "#messages li[data-sender=reporter]")
    assert [m.text.splitlines()[1] for m in sent] == ["他们每周五晚上在仓库收钱。"]
    screenshot(browser, "status-zh")


def test_the_shortest_path_is_one_required_field_and_one_button(
    stack: Stack, browser: WebDriver
) -> None:
    browser.get(stack.url("intake") + "/?lang=zh")
    form = browser.find_element(By.ID, "report-form")
    required = form.find_elements(By.CSS_SELECTOR, "[required]")
    assert [field.get_attribute("name") for field in required] == ["narrative"]
    # Every field a person can fill has a label a screen reader announces.
    fillable = form.find_elements(
        By.CSS_SELECTOR, "input:not([type=hidden]):not([type=radio]), textarea"
    )
    labelled = {
        label.get_attribute("for") for label in browser.find_elements(By.CSS_SELECTOR, "label")
    }
    assert all(field.get_attribute("id") in labelled for field in fillable)
    visible = [f for f in fillable if f.is_displayed()]
    assert visible[0].get_attribute("id") == "narrative"
    assert len(visible) == 7  # 1 required, 6 optional; contact details stay folded away
    # From the keyboard: the skip link, the language switch, then straight into the narrative.
    focused = []
    for _ in range(3):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        active = browser.switch_to.active_element
        focused.append(active.get_attribute("id") or active.get_attribute("class"))
    assert focused[0] == "skip" and focused[2] == "narrative"


def test_a_reporter_switches_to_english_and_reports(stack: Stack, browser: WebDriver) -> None:
    browser.get(stack.url("intake") + "/")
    click_and_wait_for_the_next_page(browser, browser.find_element(By.LINK_TEXT, "English"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Report anonymously" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "form-en")

    code = fill_and_send(browser, NARRATIVE_EN, "Changsha")
    assert "shown only this once" in browser.page_source
    screenshot(browser, "done-en")
    click_and_wait_for_the_next_page(browser, browser.find_element(By.ID, "status-link"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    history = follow_until_classified(browser, code)
    assert history[:3] == ["submitted", "received", "classified"]
    assert (
        "Sorted for review"
        in browser.find_element(By.CSS_SELECTOR, "li[data-stage=classified]").text
    )
    screenshot(browser, "status-en")


def test_an_empty_narrative_is_shown_next_to_the_field(stack: Stack, browser: WebDriver) -> None:
    browser.get(stack.url("intake") + "/?lang=en")
    browser.find_element(By.ID, "location-city").send_keys("Changsha")
    wait_for_proof_of_work(browser)
    submit_and_wait_for_the_next_page(browser, "#report-form button[type=submit]")
    error = wait_for(browser, "#narrative-error")
    assert "required" in error.text
    narrative = browser.find_element(By.ID, "narrative")
    assert narrative.get_attribute("aria-invalid") == "true"
    assert "narrative-error" in (narrative.get_attribute("aria-describedby") or "")
    # What was typed elsewhere is kept, so nothing has to be typed twice.
    assert browser.find_element(By.ID, "location-city").get_attribute("value") == "Changsha"
    assert browser.find_elements(By.ID, "tracking-code") == []
    screenshot(browser, "form-error-en")


def test_a_mistyped_code_gets_the_typo_message(stack: Stack, browser: WebDriver) -> None:
    code = tracking_code.generate()
    symbols = list(code)
    symbols[0] = "1" if symbols[0] != "1" else "2"  # one wrong symbol: the check catches it
    browser.get(stack.url("tracker") + "/status?lang=zh")
    browser.find_element(By.ID, "code").send_keys("".join(symbols))
    submit_and_wait_for_the_next_page(browser, "#code-form button[type=submit]")
    error = wait_for(browser, "#code-error")
    assert "错字" in error.text
    assert browser.find_elements(By.ID, "current-stage") == []
    screenshot(browser, "status-typo-zh")


def test_a_clerk_signs_in_and_enters_a_phone_call(stack: Stack, browser: WebDriver) -> None:
    browser.get(stack.url("intake") + "/staff/entry?lang=en")
    assert "/staff/sign-in" in browser.current_url  # not signed in yet
    browser.find_element(By.ID, "token").send_keys(stack.staff_token("clerk", subject="clerk-3"))
    submit_and_wait_for_the_next_page(browser, "form button[type=submit]")
    wait_for(browser, "#source_reference").send_keys("CALL-2026-11-28-017")
    assert browser.find_element(By.CSS_SELECTOR, "input[value=phone]").is_selected()
    browser.find_element(By.ID, "narrative").send_keys(NARRATIVE_ZH)
    screenshot(browser, "staff-entry-en")
    submit_and_wait_for_the_next_page(browser, "#report-form button[type=submit]")
    code = wait_for(browser, "#tracking-code").text.strip()
    assert tracking_code.normalize(code) is not None
    assert "Give the reporter this tracking code" in browser.page_source
    screenshot(browser, "staff-done-en")
    # The token never reaches the page's scripts: the cookie is HttpOnly.
    assert "tipline_staff" not in browser.execute_script("return document.cookie")


def test_a_reporter_attaches_a_photo_on_the_done_page_and_later_from_the_status_page(
    stack: Stack, browser: WebDriver, tmp_path: Path
) -> None:
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(jpeg_with_exif_and_gps())
    browser.get(stack.url("intake") + "/?lang=zh")
    code = fill_and_send(browser, NARRATIVE_ZH, "岳阳")
    # Right under the code, with the code already in the form (hidden, not in any address).
    files = wait_for(browser, "#attach-form input[type=file]")
    assert (
        browser.find_element(By.CSS_SELECTOR, "#attach-form input[name=code]").get_attribute("type")
        == "hidden"
    )
    files.send_keys(str(photo))
    screenshot(browser, "done-attach-zh")
    submit_and_wait_for_the_next_page(browser, "#attach-form button[type=submit]")

    assert "文件已收到" in wait_for(browser, "h1").text
    listed = browser.find_element(By.ID, "attached-files").text
    assert "image/jpeg" in listed and "GPS 位置" in listed
    assert "现场照片" not in browser.page_source  # the name is stored sealed, never shown
    assert code not in browser.current_url
    screenshot(browser, "attached-zh")

    # Later, from the status page on the tracker: the form posts across to intake.
    browser.get(stack.url("tracker") + "/status?lang=zh")
    check_status(browser, code)
    wait_for(browser, "#attach-form input[type=file]").send_keys(str(photo))
    submit_and_wait_for_the_next_page(browser, "#attach-form button[type=submit]")
    assert "文件已收到" in wait_for(browser, "h1").text
    assert browser.current_url.startswith(stack.url("intake") + "/evidence")
    screenshot(browser, "attached-from-status-zh")


def test_the_language_switches_keep_the_code_on_screen_and_out_of_the_address(
    stack: Stack, browser: WebDriver
) -> None:
    browser.get(stack.url("intake") + "/?lang=zh")
    code = fill_and_send(browser, NARRATIVE_ZH, "长沙")
    # The code page: the switch shows the same code in English, by POST.
    submit_and_wait_for_the_next_page(browser, "#switch-language")
    assert wait_for(browser, "#tracking-code").text.strip() == code
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Your report was received" in browser.find_element(By.TAG_NAME, "h1").text
    assert code not in browser.current_url
    screenshot(browser, "done-switched-en")
    # The status page: the switch keeps the case shown, without typing the code again.
    browser.get(stack.url("tracker") + "/status?lang=en")
    assert check_status(browser, code)
    submit_and_wait_for_the_next_page(browser, "#switch-language")
    assert wait_for(browser, "#current-stage").get_attribute("data-stage")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert "目前状态" in browser.page_source
    assert code not in browser.current_url
    screenshot(browser, "status-switched-zh")


@pytest.mark.parametrize("service", ["intake", "classifier", "tracker", "audit"])
def test_the_api_documentation_works_without_internet(
    stack: Stack, browser: WebDriver, service: str
) -> None:
    """Swagger UI comes from the service itself (this machine reaches no CDN), and nothing on
    the page breaks its Content-Security-Policy: the browser's console stays clean."""
    browser.get_log("browser")  # what earlier pages logged is not this page's
    browser.get(stack.url(service) + "/docs")
    operations = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock")
    )
    assert len(operations) >= 4  # the service's routes and /healthz, /readyz, /metrics
    assert "/healthz" in browser.find_element(By.ID, "swagger-ui").text
    operations[0].find_element(By.CSS_SELECTOR, ".opblock-summary").click()  # opens its details
    wait_for(browser, ".opblock-body")
    problems = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert problems == []
    screenshot(browser, f"docs-{service}")
