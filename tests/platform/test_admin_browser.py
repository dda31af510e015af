"""Admin walkthrough in a real browser: headless Chromium from Debian's packages
(``chromium``, ``chromium-driver``) driven by Selenium against pytest-django's
``live_server``. A staff user logs in through the login form, opens a campaign whose
run is in progress, sees its counts and credits held, cancels it with the run admin's
action (run cancelled, credits released) and tops up an account with the user admin's
action. Each step is saved as a screenshot under ``artifacts/screenshots/``.

The browser is never downloaded: the system ``chromium`` and ``chromedriver`` are
named explicitly and Selenium Manager is kept offline. When they are missing the test
fails (it is never skipped); ``.ci/run`` installs them.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import LedgerEntry, User
from campaigns.models import Run
from campaigns.services.run import run_begin
from tests.support.factories import PASSWORD, UserFactory
from tests.support.factories_campaigns import campaign_with_recipients

CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
RECIPIENTS = 12

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(tmp_path, monkeypatch):
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"headless browser not installed: {', '.join(missing)} missing. "
            "Install Debian's packages: apt-get install -y chromium chromium-driver "
            "(.ci/run does this in CI).",
            pytrace=False,
        )
    monkeypatch.setenv("SE_OFFLINE", "1")  # Selenium Manager must never download a driver or browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def shots(capsys):
    """``shots(name)`` saves a full-page screenshot of the current page and prints its path."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    taken: list[Path] = []

    def shoot(driver, name: str) -> Path:
        size = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        png = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 4000), "scale": 1},
            },
        )
        path = SCREENSHOTS / f"{len(taken) + 1:02d}-{name}.png"
        path.write_bytes(base64.b64decode(png["data"]))
        taken.append(path)
        with capsys.disabled():  # shown also when pytest captures output (CI logs)
            print(f"\nscreenshot: {path}")
        return path

    return shoot


def wait_for(driver, css: str, timeout: float = 10):
    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def text_of(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text.strip()


def assert_styled_admin_page(driver) -> None:
    """The admin's own CSS loaded (static files served): the header has its colour, and no
    error page is shown."""
    assert "Server Error" not in driver.title and "Page not found" not in driver.title, driver.title
    background = driver.execute_script("return getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "admin CSS did not load"


def assert_on_screen(driver, css: str) -> None:
    """Every element matching ``css`` lies inside the viewport and is not scrolled out of its
    overflowing container (so the screenshot shows it)."""
    hidden = driver.execute_script(
        """
        return [...document.querySelectorAll(arguments[0])].filter(el => {
            const box = el.getBoundingClientRect();
            let clip = {left: 0, right: window.innerWidth};
            for (let up = el.parentElement; up; up = up.parentElement) {
                if (getComputedStyle(up).overflowX !== 'visible') {
                    const r = up.getBoundingClientRect();
                    clip = {left: Math.max(clip.left, r.left), right: Math.min(clip.right, r.right)};
                }
            }
            return box.width === 0 || box.left < clip.left || box.right > clip.right;
        }).map(el => el.className);""",
        css,
    )
    assert not hidden, f"not visible on screen: {hidden}"


def run_action(driver, selected: list[int], action: str) -> None:
    """Ticks the rows ``selected`` in a changelist, picks ``action`` and presses Go."""
    for pk in selected:
        driver.find_element(By.CSS_SELECTOR, f'input[name="_selected_action"][value="{pk}"]').click()
    Select(driver.find_element(By.CSS_SELECTOR, 'select[name="action"]')).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, 'button[name="index"]').click()


def test_staff_cancels_a_run_and_tops_up_an_account(browser, shots, live_server, purge_broker):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    owner = UserFactory(email="owner@example.com", credits=1000)
    campaign = campaign_with_recipients(owner, RECIPIENTS, name="Monsoon reminder", message="Rain is coming")
    run = run_begin(user=owner, campaign_id=campaign.pk)  # no worker: the run stays in progress
    owner.refresh_from_db()
    assert (run.state, owner.credits, owner.credits_held) == ("running", 1000 - RECIPIENTS, RECIPIENTS)

    # 1. Log in through the admin login form.
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    wait_for(browser, "#login-form")
    assert_styled_admin_page(browser)
    browser.find_element(By.ID, "id_username").send_keys(staff.email)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    shots(browser, "login")
    browser.find_element(By.CSS_SELECTOR, '#login-form input[type="submit"]').click()
    wait_for(browser, "#user-tools")
    assert browser.current_url == f"{live_server.url}/admin/"
    assert text_of(browser, "#content h1") == "Operations"
    assert text_of(browser, "#site-name") == "Tingting" and "Django" not in browser.title + text_of(browser, "body")
    shots(browser, "dashboard")

    # 2. The campaign: its recipients and the run in progress, linked to the run admin.
    browser.get(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    wait_for(browser, ".field-runs")
    assert_styled_admin_page(browser)
    assert text_of(browser, ".field-runs .readonly").startswith(f"1 run(s), run {run.pk} in progress (running)")
    numbers = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.field-number")]
    assert len(numbers) == RECIPIENTS and numbers[0] == "+9779800000000"
    statuses = {cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.field-status")}
    assert statuses == {"Queued"}
    shots(browser, "campaign-with-run-in-progress")

    # 3. The run admin: counts per status and credits held.
    browser.find_element(By.LINK_TEXT, "view runs").click()
    wait_for(browser, "#result_list")
    assert_styled_admin_page(browser)
    row = f'#result_list input[value="{run.pk}"]'
    wait_for(browser, row)
    cells = {
        name: text_of(browser, f"#result_list td.field-{name}")
        for name in ("state", "queued", "in_flight", "done", "credits_held", "credits_charged")
    }
    assert cells == {
        "state": "Running",
        "queued": str(RECIPIENTS),
        "in_flight": "0",
        "done": "0",
        "credits_held": str(RECIPIENTS),
        "credits_charged": "0",
    }
    assert_on_screen(
        browser,
        "#result_list td.field-state, #result_list td.field-bar, "
        "#result_list td.field-queued, #result_list td.field-credits_held",
    )
    shots(browser, "run-in-progress")

    # 4. Cancel it with the admin's action: cancelled, every recipient terminated, credits released.
    run_action(browser, [run.pk], "cancel_runs")
    wait_for(browser, "ul.messagelist li.success")
    assert text_of(browser, "ul.messagelist li.success") == "Cancelled 1 run(s)."
    cells = {
        name: text_of(browser, f"#result_list td.field-{name}")
        for name in ("state", "queued", "done", "credits_held", "credits_charged")
    }
    assert cells == {
        "state": "Cancelled",
        "queued": "0",
        "done": str(RECIPIENTS),
        "credits_held": "0",
        "credits_charged": "0",
    }
    assert_on_screen(browser, "#result_list td.field-state, #result_list td.field-credits_held")
    shots(browser, "run-cancelled")
    run.refresh_from_db()
    owner.refresh_from_db()
    assert run.state == Run.State.CANCELLED
    assert set(run.attempts.values_list("status", flat=True)) == {"terminated"}
    assert (owner.credits, owner.credits_held) == (1000, 0)
    release = LedgerEntry.objects.get(user=owner, idempotency_key=f"run:{run.pk}:cancel")
    assert (release.kind, release.amount, release.held_after) == ("release", RECIPIENTS, 0)

    # 5. Top up the owner's account with the user admin's action.
    browser.get(f"{live_server.url}/admin/accounts/user/?q={owner.email}")
    wait_for(browser, "#result_list")
    assert_styled_admin_page(browser)
    assert text_of(browser, "#result_list td.field-credits") == "1000"
    run_action(browser, [owner.pk], "top_up")
    wait_for(browser, "#id_amount")
    assert_styled_admin_page(browser)
    assert f"{owner.email} (1000 available)" in text_of(browser, "#content")
    browser.find_element(By.ID, "id_amount").send_keys("500")
    browser.find_element(By.ID, "id_note").send_keys("walkthrough top-up")
    shots(browser, "top-up-form")
    browser.find_element(By.CSS_SELECTOR, '#content form input[type="submit"]').click()
    wait_for(browser, "ul.messagelist li.success")
    assert text_of(browser, "ul.messagelist li.success") == "Topped up 1 account(s)."
    assert text_of(browser, "#result_list td.field-credits") == "1500"
    assert text_of(browser, "#result_list td.field-credits_held") == "0"
    assert_on_screen(browser, "#result_list td.field-credits")
    shots(browser, "topped-up")
    owner.refresh_from_db()
    assert (owner.credits, owner.credits_held) == (1500, 0)
    entry = LedgerEntry.objects.filter(user=owner).order_by("-id").first()
    assert (entry.kind, entry.amount, entry.credits_after, entry.note) == ("topup", 500, 1500, "walkthrough top-up")
    assert User.objects.get(pk=staff.pk).last_login is not None  # logged in through the form
