"""Admin walkthroughs in a real browser: headless Chromium from Debian's packages
(``chromium``, ``chromium-driver``) driven by Selenium against pytest-django's
``live_server``.

The first: a staff user logs in through the login form, opens a campaign whose run is
in progress, sees its counts and credits held, cancels it with the run admin's action
(run cancelled, credits released) and tops up an account with the user admin's action.

The second, a campaign's whole life with a real worker: the front page; create a
2,000-recipient campaign from a file; the caller-ID picker offers only the owner's
numbers, and another account's number posted through the form gets the API's error;
test voice plays (its source answers audio/wav); begin shows the hold and takes it,
the same the API's begin takes for the same recipients and message; the bar advances
without a reload; pause (the API's progress says paused), resume, cancel; the reports
download; a recipient's tags as text; no horizontal scrolling at 1280 px on the front
page, the lists and pages of campaigns, runs and recipients.

Each step is saved as a screenshot under ``artifacts/screenshots/`` (made by the run,
not kept in git: ``artifacts/`` is ignored).

The browser is never downloaded: the system ``chromium`` and ``chromedriver`` are
named explicitly and Selenium Manager is kept offline. When they are missing the test
fails (it is never skipped); ``.ci/run`` installs them.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import LedgerEntry, User
from campaigns.models import Run
from campaigns.services.begin import run_begin
from tests.support.clients import client_for
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
def shots(capsys, request):
    """``shots(name)`` saves a full-page screenshot of the current page and prints its
    path (``<test>-NN-<name>.png``; the test's earlier screenshots are removed first)."""
    prefix = request.node.name.removeprefix("test_")[:40]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{prefix}-*.png"):
        old.unlink()
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
        path = SCREENSHOTS / f"{prefix}-{len(taken) + 1:02d}-{name}.png"
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
    run_action(browser, [run.pk], "cancel_selected")
    wait_for(browser, "ul.messagelist li.success")
    assert text_of(browser, "ul.messagelist li.success") == "Campaign cancelled."
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


# --- A campaign's whole life from the console, with a real worker -----------------------

SIZE = 2000
# Two UCS-2 segments: the hold is twice the recipients, computed by the begin service.
ALERT = "मनसुन सूचना: भोलि ठूलो पानी पर्नेछ। नदी किनार नजानुहोस्, सुरक्षित ठाउँमा बस्नुहोस्।"
SLOW_WORKER = {"SMS_BACKEND": "tests.support.fake_providers.SlowSmsBackend", "FAKE_PROVIDER_LATENCY": "0.04"}


def assert_fits_1280(driver) -> None:
    """No horizontal scrolling: the page's scrolling element is no wider than its box."""
    width, client, inner = driver.execute_script(
        "const page = document.scrollingElement;return [page.scrollWidth, page.clientWidth, window.innerWidth]"
    )
    assert inner == 1280, inner
    assert width <= client, f"{driver.current_url}: {width}px wide in a {client}px box"


def live_done(driver) -> int:
    return int(text_of(driver, '.field-live_progress [data-tt="done"]'))


def api_state(owner, campaign) -> str:
    body = client_for(owner).get(f"/api/system/campaigns/{campaign.pk}/progress/").json()
    return body["data"]["progress"]["state"]


def fetch_content_type(driver, url: str) -> str:
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status + ' ' + r.headers.get('content-type')))",
        url,
    )


def click_through(driver, css: str) -> None:
    """Clicks what submits or links, and waits until the page it leaves is gone (so the
    next look is at the new page, never at the old one's copy of an element)."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(page))


def click_and_wait_message(driver, css: str) -> str:
    """Clicks a control and returns the message of the page it leads to."""
    click_through(driver, css)
    return wait_for(driver, "ul.messagelist li").text.strip()


def test_staff_runs_a_campaigns_whole_life_from_the_console(
    browser, shots, live_server, settings, tmp_path, celery_worker_slow
):
    from campaigns.models import Campaign
    from phonenumbers_app.models import PhoneNumber
    from tests.support.runs_checks import assert_settled, wait_finished
    from tests.support.workers import wait_until

    settings.RUN_CHUNK_SIZE = 100
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    owner = UserFactory(email="owner@example.com", credits=20000)
    other = UserFactory(email="other@example.com")
    for phone, who, voice, sms in (
        ("+9779851000001", owner, False, True),
        ("+9779851000002", owner, True, False),
        ("+9779851000003", other, True, True),
        ("+9779851000004", None, True, True),
    ):
        PhoneNumber.objects.create(phone_number=phone, owner=who, rate=1, has_voice=voice, has_sms=sms)
    upload = tmp_path / "recipients.csv"
    names = ["राम", "सीता", "हरि", "गीता"]
    upload.write_text(
        "number,name\n" + "".join(f"98{index:08d},{names[index % 4]}\n" for index in range(SIZE)), encoding="utf-8"
    )

    # 1. Log in: the operator's front page.
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    wait_for(browser, "#login-form")
    browser.find_element(By.ID, "id_username").send_keys(staff.email)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, '#login-form input[type="submit"]').click()
    wait_for(browser, "#panel-today")
    for panel in ("today", "in-progress", "credits", "providers", "stuck", "messages", "otp"):
        assert browser.find_element(By.ID, f"panel-{panel}").is_displayed(), panel
    assert text_of(browser, "#site-name") == "Tingting"
    assert_fits_1280(browser)
    shots(browser, "front-page")

    # 2. Create the campaign with its recipients file.
    browser.get(f"{live_server.url}/admin/campaigns/campaign/add/")
    wait_for(browser, "#id_name")
    browser.find_element(By.ID, "id_owner").send_keys(str(owner.pk))
    browser.find_element(By.ID, "id_name").send_keys("Monsoon alert")
    Select(browser.find_element(By.ID, "id_services")).select_by_value("SMS")
    browser.find_element(By.ID, "id_send_to_number_file").send_keys(str(upload))
    assert_fits_1280(browser)
    shots(browser, "create")
    click_through(browser, 'input[name="_continue"]')
    wait_for(browser, ".field-live_progress")
    assert "Recipients imported: 2000 added, 0 duplicates, 0 invalid." in text_of(browser, "ul.messagelist")
    campaign = Campaign.objects.get(name="Monsoon alert")
    assert campaign.recipients.count() == SIZE

    # 3. The caller-ID picker offers only the owner's SMS numbers. Another account's
    # number posted through the form (a box added to the page) gets the API's error.
    offered = [box.get_attribute("value") for box in browser.find_elements(By.CSS_SELECTOR, "#id_user_phone input")]
    assert offered == ["+9779851000001"]
    browser.execute_script(
        "const box = document.querySelector('#id_user_phone input').cloneNode();"
        "box.id = 'tt-foreign'; box.value = arguments[0]; box.checked = true;"
        "document.querySelector('#id_user_phone').appendChild(box);",
        "+9779851000003",
    )
    click_through(browser, 'input[name="_continue"]')
    refused = wait_for(browser, "ul.messagelist li.error").text.strip()
    api = client_for(owner).patch(
        f"/api/system/campaigns/{campaign.pk}/update/", {"user_phone": ["+9779851000003"]}, format="json"
    )
    assert api.status_code == 400 and refused == api.json()["message"]
    assert "'+9779851000003' is not one of your numbers with sms capability." in refused
    assert not campaign.user_phone.exists()
    shots(browser, "foreign-number-refused")
    browser.find_element(By.CSS_SELECTOR, '#id_user_phone input[value="+9779851000001"]').click()
    click_through(browser, 'input[name="_continue"]')
    wait_for(browser, "ul.messagelist li.success")
    assert [n.phone_number for n in campaign.user_phone.all()] == ["+9779851000001"]
    assert_fits_1280(browser)
    shots(browser, "campaign-page")

    # 4. Test voice: the player gets a WAV.
    message = browser.find_element(By.NAME, "tt_voice_message")
    message.clear()
    message.send_keys("नमस्ते, भोलि पानी पर्छ।")
    Select(browser.find_element(By.NAME, "tt_voice_input")).select_by_value("np_binod")
    browser.find_element(By.ID, "tt-voice-play").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "tt-voice-audio").get_attribute("src"))
    source = browser.find_element(By.ID, "tt-voice-audio").get_attribute("src")
    assert fetch_content_type(browser, source) == "200 audio/wav"
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return document.getElementById('tt-voice-audio').duration > 0")
    )
    shots(browser, "test-voice")

    # 5. Begin: the hold is shown before confirming, and it is what is held.
    click_through(browser, "#tt-begin")
    wait_for(browser, "#tt-begin-form")
    browser.find_element(By.ID, "id_message").send_keys(ALERT)
    assert browser.find_element(By.ID, "tt-confirm").get_attribute("disabled")
    browser.find_element(By.ID, "tt-preview").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "tt-hold").get_attribute("data-hold"))
    shown = int(browser.find_element(By.ID, "tt-hold").get_attribute("data-hold"))
    assert text_of(browser, "#tt-hold") == f"Holds {shown} credits for {SIZE} recipient(s); 20000 available."
    assert_fits_1280(browser)
    shots(browser, "begin-with-hold")
    click_through(browser, "#tt-confirm")
    wait_for(browser, ".field-live_progress")
    run = Run.objects.get(campaign=campaign)
    assert text_of(browser, "ul.messagelist li.success") == (
        f"Campaign is running!! {shown} credits on hold for Monsoon alert campaign."
    )
    hold = LedgerEntry.objects.get(user=owner, idempotency_key=f"run:{run.pk}:hold")
    assert shown == hold.amount == run.hold_amount == 2 * SIZE
    # The API's begin of the same recipients and message (scheduled, so the worker leaves
    # it alone) holds the same; cancelling it gives the credits back.
    twin = campaign_with_recipients(owner, SIZE, name="Twin", services="SMS")
    api = client_for(owner)
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    begun = api.post(
        f"/api/system/campaigns/{twin.pk}/begin/", {"message": ALERT, "schedule_date": tomorrow}, format="json"
    )
    assert begun.status_code == 200, begun.content
    assert Run.objects.get(campaign=twin).hold_amount == shown
    assert api.post(f"/api/system/campaigns/{twin.pk}/cancel/", format="json").status_code == 200

    # 6. Watch: the bar advances without a reload.
    browser.execute_script("window.ttSamePage = true")
    first = live_done(browser)
    WebDriverWait(browser, 60).until(lambda d: live_done(d) > first + 20)
    assert browser.execute_script("return window.ttSamePage") is True
    assert_fits_1280(browser)
    shots(browser, "bar-advancing")

    # 6b. The campaign list's compact bar advances too (one request for the page's rows).
    browser.get(f"{live_server.url}/admin/campaigns/campaign/")
    bar = f'.tt-progress[data-tt-key="{campaign.pk}"] [data-tt="done"]'
    listed = int(text_of(browser, bar))
    WebDriverWait(browser, 60).until(lambda d: int(text_of(d, bar)) > listed + 20)
    assert_fits_1280(browser)
    shots(browser, "list-bar-advancing")
    browser.get(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    wait_for(browser, ".field-live_progress")

    # 7. Pause: the API's progress says paused and nothing new is claimed.
    assert click_and_wait_message(browser, "#tt-pause") == "Monsoon alert: Campaign paused."
    assert api_state(owner, campaign) == "paused"
    wait_until(
        lambda: not run.attempts.filter(status__in=("sending",)).exists(), timeout=30, message="claims to settle"
    )
    paused_at = run.attempts.exclude(status="queued").count()
    assert 0 < paused_at < SIZE
    assert text_of(browser, ".field-live_progress .tt-state") == "Paused"
    shots(browser, "paused")

    # 8. Resume: running again, the bar moves on.
    assert click_and_wait_message(browser, "#tt-resume") == "Monsoon alert: Campaign resumed."
    assert api_state(owner, campaign) == "running"
    resumed = live_done(browser)
    WebDriverWait(browser, 60).until(lambda d: live_done(d) > resumed + 20)
    assert run.attempts.exclude(status="queued").count() > paused_at
    shots(browser, "resumed")

    # 9. Cancel: the rest is terminated, its credits released; the books balance.
    assert click_and_wait_message(browser, "#tt-cancel") == "Monsoon alert: Campaign cancelled."
    assert api_state(owner, campaign) == "cancelled"
    run = wait_finished(run, timeout=60)
    outcome = assert_settled(run, owner)
    assert 0 < outcome["terminated"] < SIZE and sum(outcome.values()) == SIZE
    page = browser.find_element(By.TAG_NAME, "html")
    browser.refresh()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))
    wait_for(browser, ".field-live_progress")
    assert text_of(browser, '.field-live_progress [data-tt="credits.held"]') == "0"
    assert browser.find_elements(By.ID, "tt-begin"), "a finished campaign offers a re-run"
    shots(browser, "cancelled")

    # 10. The report downloads.
    for extension, expected in (
        ("xlsx", "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "200 text/csv; charset=utf-8"),
    ):
        href = browser.find_element(By.ID, f"tt-report-{extension}").get_attribute("href")
        assert fetch_content_type(browser, href) == expected

    # 11. A recipient: tags as text, its attempt.
    recipient = campaign.recipients.order_by("id").first()
    browser.get(f"{live_server.url}/admin/campaigns/recipient/{recipient.pk}/change/")
    wait_for(browser, ".field-tag_values")
    assert text_of(browser, ".field-tag_values table") == "tags_name राम"
    assert f"run {run.pk}" in text_of(browser, ".field-attempt_history")
    assert_fits_1280(browser)
    shots(browser, "recipient")

    # 12. The lists: compact bars, no horizontal scrolling.
    for path in ("/admin/campaigns/campaign/", "/admin/campaigns/run/", f"/admin/campaigns/run/{run.pk}/change/"):
        browser.get(f"{live_server.url}{path}")
        wait_for(browser, ".tt-progress")
        assert_fits_1280(browser)
    shots(browser, "run-page")
    browser.get(f"{live_server.url}/admin/campaigns/recipient/?campaign__id__exact={campaign.pk}")
    wait_for(browser, "#result_list td.field-tags_text")
    assert_fits_1280(browser)
    shots(browser, "recipients-list")
    browser.get(f"{live_server.url}/admin/")
    wait_for(browser, "#panel-today")
    assert_fits_1280(browser)


@pytest.fixture
def celery_worker_slow(transactional_db, purge_broker):
    """A real worker whose simulated SMS provider answers after 40 ms, so a run of
    2,000 lasts long enough to be watched, paused, resumed and cancelled."""
    from tests.support.workers import running_worker

    with running_worker(concurrency=2, env=SLOW_WORKER) as worker:
        yield worker
