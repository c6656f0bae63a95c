"""Sign-off in headless Chromium, on a copy of the test home served by its own `emis portal`:
the school head creates a signing key, the district head registers it, the school head signs
the certificate (explaining each blocking issue), the district head sees it signed and
countersigns the district. Screenshots of each step go to var/screenshots/signoff_*.png."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.browser.certify_demo import certificates
from tests.browser.conftest import EMIS_BIN, _free_port, _wait_healthy, screenshot, settle
from tests.portal_fixtures import OWN_DISTRICT, OWN_SCHOOL, PASSWORD, PortalHome

pytestmark = pytest.mark.browser
PASSWORD_FIELD = "Password (unlocks your key)"
CENSUS = "2025-09-15"  # the latest census date the tiny export of 2025 covers


@pytest.fixture(scope="module")
def signoff_home(portal_home: PortalHome, tmp_path_factory) -> PortalHome:
    """A copy of the test home (signing changes it); the district head's key registered by
    the ministry beforehand (the ministry's part is not what this test drives)."""
    from dashboards import auth
    from signoff import workflow

    home = tmp_path_factory.mktemp("signoff-browser") / "home"
    shutil.copytree(portal_home.home, home, symlinks=True)
    district = auth.get_account(home, "district.user")
    key = workflow.create_key(home, district, PASSWORD)
    workflow.register_key(home, auth.get_account(home, "ministry.user"), key.key_id, {})
    return PortalHome(home, (home / "releases" / "current").resolve())


@pytest.fixture(scope="module")
def signoff_url(signoff_home: PortalHome, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("signoff-portal-log") / "portal.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(EMIS_BIN), "portal", "--port", str(port), "--address", "127.0.0.1"],
            env=os.environ | signoff_home.env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def open_signoff(browser, url: str, username: str):
    """A fresh browser session signed in as ``username``, on the sign-off page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto("/login?lang=en")
    settle(page, 'input[type="password"]')
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as")
    page.get_by_role("link", name="Data sign-off").click()
    settle(page, "h1:has-text('Data sign-off')")
    return context, page


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_a_school_head_signs_and_the_district_head_countersigns(browser, signoff_url, signoff_home):
    from signoff import store

    # 1. The school head: the certificate, no key yet; creates one with the portal password.
    context, page = open_signoff(browser, signoff_url, "school.user")
    assert OWN_SCHOOL in main_text(page) and "Not signed" in main_text(page)
    screenshot(page, "signoff_1_school_certificate")
    page.get_by_role("textbox", name=PASSWORD_FIELD).fill(PASSWORD)
    page.get_by_role("button", name="Create my signing key").click()
    page.wait_for_selector("text=waiting for registration")
    settle(page, "text=waiting for registration")
    context.close()

    # 2. The district head registers it (the key waits in the district's list).
    context, page = open_signoff(browser, signoff_url, "district.user")
    page.wait_for_selector("text=Keys waiting for registration")
    # The waiting key is the school head's (the table is a canvas: read the store).
    from signoff import store as keys_store

    [waiting] = [k for k in keys_store.keys(signoff_home.home) if not k.registered_at]
    assert (waiting.username, waiting.organization_id) == ("school.user", OWN_SCHOOL)
    page.get_by_role("button", name="Register key").click()
    # The confirmation outlives the page's rerun on the new state (no key waits any more).
    settle(page, '[data-testid="stAlertContentSuccess"]:has-text("Key registered")')
    assert "school.user" not in main_text(page)
    screenshot(page, "signoff_2_district_registered_key")
    context.close()

    # 3. The school head signs, explaining each blocking issue in a note.
    context, page = open_signoff(browser, signoff_url, "school.user")
    page.wait_for_selector("text=is registered")
    [own] = [c for c in certificates(signoff_home.home) if c["organization_id"] == OWN_SCHOOL]
    for rule in sorted(own["quality"]["blocking"]):  # each note waits for its own field
        page.get_by_role("textbox", name=f"Note explaining: {rule}").fill(
            "The duplicate was removed in the register; the next export fixes it"
        )
    page.get_by_role("textbox", name=PASSWORD_FIELD).fill(PASSWORD)
    screenshot(page, "signoff_3_school_ready_to_sign")
    page.get_by_role("button", name="Sign the certificate").click()
    page.wait_for_selector('[data-testid="stAlertContentSuccess"]:has-text("Signed")')
    settle(page, "text=Certificate SHA-256")
    screenshot(page, "signoff_4_school_signed")
    context.close()

    # 4. The district head sees it signed and countersigns the district.
    context, page = open_signoff(browser, signoff_url, "district.user")
    settle(page, '[data-testid="stDataFrame"]')
    assert "1 / " in main_text(page)
    screenshot(page, "signoff_5_district_status")
    page.get_by_role("textbox", name=PASSWORD_FIELD).fill(PASSWORD)
    page.get_by_role("button", name="Countersign the district").click()
    page.wait_for_selector('[data-testid="stMetricValue"]:has-text("valid")')
    settle(page, '[data-testid="stMetricValue"]:has-text("valid")')
    assert page.get_by_role("textbox", name=PASSWORD_FIELD).input_value() == ""
    screenshot(page, "signoff_6_district_countersigned")
    context.close()

    # The store holds both signatures, made through the browser.
    assert OWN_SCHOOL in store.latest_signatures(signoff_home.home, "organization", CENSUS)
    assert OWN_DISTRICT in store.latest_signatures(signoff_home.home, "district", CENSUS)


def test_a_district_head_reads_no_other_district(browser, signoff_url):
    context, page = open_signoff(browser, signoff_url, "district.user")
    text = main_text(page)
    assert "Aytmatov" in text and "ORG000012" not in text  # OTHER_SCHOOL, in Talas City
    context.close()
