"""The portal in headless Chromium on a real release (tests/portal_fixtures.py): the explorer
draws a chart, the language switch changes the labels, a download delivers a file, signing in
works and the scope holds, a school profile shows a school picked by district and name, the
ministry downloads a state form filled from the release; screenshots of the key pages; public
pages ready within a few seconds once the app is warm."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import screenshot, settle
from tests.portal_fixtures import OTHER_DISTRICT, OTHER_SCHOOL, OWN_DISTRICT, OWN_SCHOOL, PASSWORD

pytestmark = pytest.mark.browser

CHART = ".js-plotly-plot"
TABLE = '[data-testid="stDataFrame"]'
EXPLORER = "/explorer?lang=en&explorer_indicator=learners&explorer_level=district&explorer_by=sex"
PUBLIC_PAGES = {
    "home": ("/?lang=en", '[data-testid="stMetric"]'),
    "explorer": (EXPLORER, CHART),
    "territory": ("/territory?lang=ru&territory_code=41707", TABLE),
    "school": (f"/school?lang=ky&school_id={OWN_SCHOOL}", CHART),
    "open_data": ("/open-data?lang=en", '[data-testid="stCode"]'),
    "methodology": ("/methodology?lang=en", '[data-testid="stExpander"]'),
}


def test_the_explorer_draws_a_chart_of_the_view_in_the_url(page):
    page.goto(EXPLORER)
    settle(page, CHART)
    assert page.locator(f"{CHART} .bars path").count() >= 4  # 2 districts x female/male
    assert page.get_by_text("Talas City").first.is_visible()
    screenshot(page, "explorer")


def test_the_language_switch_changes_the_labels(page):
    page.goto("/?lang=ru")
    settle(page, '[data-testid="stMetric"]')
    assert page.locator("h1").first.inner_text() == "Статистика образования Кыргызской Республики"
    page.get_by_role("radio", name="Eng").click()
    page.wait_for_function(
        "() => document.querySelector('h1')?.innerText.startsWith('Education statistics')"
    )
    assert "lang=en" in page.url
    assert page.get_by_text("Indicator explorer").first.is_visible()  # the navigation too
    page.wait_for_selector("text=What is new")  # the rerun has reached the release notes
    settle(page, '[data-testid="stMetric"]')
    screenshot(page, "home_en")


def test_a_download_delivers_what_is_shown(page):
    page.goto(EXPLORER)
    settle(page, CHART)
    with page.expect_download() as download:
        page.get_by_role("button", name="What is shown as CSV").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename == "learners_2025-2026_district_sex.csv"
    assert content.splitlines()[0] == "Code,Territory,Sex,Value,Symbol"
    assert len(content.splitlines()) == 5


def sign_in(page, username: str) -> None:
    page.goto("/login?lang=en")
    settle(page, 'input[type="password"]')
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as")


def test_sign_in_opens_the_district_page_and_the_scope_holds(page):
    sign_in(page, "district.user")
    page.get_by_role("link", name="District monitoring").click()
    settle(page, TABLE)
    page.wait_for_selector("text=Schools ranked")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert OWN_SCHOOL in page.content()
    assert OTHER_SCHOOL not in page.content() and OTHER_DISTRICT not in text
    assert page.get_by_role("link", name="Ministry").count() == 0
    screenshot(page, "district")
    # Editing the URL opens a new session: it is not signed in, and shows no restricted rows.
    page.goto(f"/district?lang=en&district_code={OTHER_DISTRICT}")
    settle(page, "h1")
    assert OTHER_SCHOOL not in page.content()
    assert "Schools ranked" not in page.content()


def test_a_school_profile_shows_a_school_picked_by_district_and_name(page):
    page.goto(f"/school?lang=ru&school_id={OWN_SCHOOL}")
    settle(page, CHART)
    heading = page.locator("h2").first
    assert heading.inner_text() == "Средняя общеобразовательная школа №2"
    main = page.locator('[data-testid="stMain"]').inner_text()
    for shown in ("Обучающиеся по классам и полу", "Учителя", "Инфраструктура", "Языки обучения"):
        assert shown in main, shown
    assert page.locator(f"{CHART} .bars path").count() >= 10  # grades x female/male
    screenshot(page, "school_profile")
    # Another district, then a school of it by name.
    page.locator('[data-testid="stSelectbox"]').nth(0).click()
    page.get_by_role("option", name=re.compile(OTHER_DISTRICT)).click()
    page.wait_for_function(f"() => location.search.includes('school_district={OTHER_DISTRICT}')")
    page.locator('[data-testid="stSelectbox"]').nth(1).click()
    page.get_by_role("option", name=re.compile("Университет №1")).click()
    page.wait_for_function(
        "() => document.querySelector('h2')?.innerText.startsWith('Университет №1')"
    )
    assert f"school_id={OTHER_SCHOOL}" in page.url


def test_the_ministry_downloads_a_state_form_filled_from_the_release(page):
    sign_in(page, "ministry.user")
    page.get_by_role("link", name="Ministry").click()
    settle(page, TABLE)
    page.locator('[data-testid="stSelectbox"]').nth(1).click()
    page.keyboard.type(OWN_DISTRICT)  # a long list: typing filters it
    page.get_by_role("option", name=re.compile(OWN_DISTRICT)).click()
    settle(page, TABLE)
    page.get_by_role("button", name="Generate").click()
    page.wait_for_selector("text=control ratios")
    screenshot(page, "ministry_form")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the form (XLSX)").click()
    assert download.value.suggested_filename.startswith(f"1-proftech_{OWN_DISTRICT}_")
    assert download.value.path().read_bytes()[:2] == b"PK"  # an XLSX (zip) workbook


def test_a_wrong_password_is_refused(page):
    page.goto("/login?lang=en")
    settle(page, 'input[type="password"]')
    page.get_by_role("textbox", name="Username").fill("ministry.user")
    page.get_by_role("textbox", name="Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Wrong username or password")


def test_every_public_page_renders(page):
    """Each public page reaches its content (speed is measured in benchmarks/portal.py, not
    asserted here: a busy test machine is not a slow portal)."""
    for name, (url, selector) in PUBLIC_PAGES.items():
        page.goto(url)
        seconds = settle(page, selector)
        print(f"{name}: ready in {seconds:.2f} s")
        screenshot(page, name)


def test_changing_a_breakdown_redraws_the_table(page):
    page.goto(EXPLORER)
    settle(page, CHART)
    started = time.perf_counter()
    page.locator('[data-testid="stMultiSelect"] input').click()
    page.get_by_role("option", name=re.compile("^Education level")).click()
    # The table is redrawn with the new breakdown's column (whatever disclosure control hid:
    # a suppressed cell has a row and its symbol, but no bar).
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"] [role=columnheader]')]"
        ".some(e => e.textContent.includes('Education level'))"
    )
    seconds = time.perf_counter() - started
    print(f"breakdown change: {seconds:.2f} s")
    assert "explorer_by=level" in page.url
