"""Certify the demo through the portal, in headless Chromium: every head of an organization
signs, each district head countersigns and the ministry countersigns the republic, all by
clicking, as people would. Afterwards `emis publish` records the coverage in a new release.

    python -m tests.browser.certify_demo var/demo        # after `make demo`

Accounts are added to the demo's account store when missing: ``head.orgnnnnnn`` (school),
``district.<code>``, ``ministry.head`` (signs) and ``ministry.keys`` (registers the ministry's
and the district heads' keys), all with one password (``--password``). Screenshots of each
kind of step go to var/screenshots/certify_*.png. Slow by design (a browser session a step):
a walk-through, not a test; `tests/browser/test_signoff.py` tests the same pages.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import pandas as pd

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    EMIS_BIN,
    _free_port,
    _wait_healthy,
    screenshot,
    settle,
)

PASSWORD_FIELD = "Password (unlocks your key)"
NOTE = "Explained to the district: the register is being corrected; the next export fixes it"


def certificates(home: Path) -> list[dict]:
    path = home / "releases" / "current" / "restricted" / "signoff_certificates.parquet"
    return [json.loads(text) for text in pd.read_parquet(path)["certificate"]]


def head(certificate: dict) -> str:
    """The username of an organization's head."""
    return f"head.{certificate['organization_id'].lower()}"


def add_accounts(home: Path, password: str, shipped: list[dict]) -> dict[str, list[str]]:
    """The demo's people, by role; added to the account store when missing."""
    from dashboards import auth

    people = {
        "school": [(head(c), {"organization_id": c["organization_id"]}) for c in shipped],
        "district": [(f"district.{code}", {"district_code": code})
                     for code in sorted({c["district_code"] for c in shipped})],
        "ministry": [("ministry.head", {}), ("ministry.keys", {})],
    }  # fmt: skip
    for role, accounts in people.items():
        for username, scope in accounts:
            if auth.get_account(home, username) is None:
                auth.add_user(home, username, role, password, **scope)
    return {role: [username for username, _ in accounts] for role, accounts in people.items()}


class Portal:
    """Browser sessions on the sign-off page of one running portal."""

    def __init__(self, browser, url: str, password: str, home: Path):
        self.browser, self.url, self.password, self.home = browser, url, password, home

    def session(self, username: str, step: str, action) -> None:
        context = self.browser.new_context(
            viewport={"width": 1400, "height": 1000}, base_url=self.url
        )
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto("/login?lang=en")
        settle(page, 'input[type="password"]')
        page.get_by_role("textbox", name="Username").fill(username)
        page.get_by_role("textbox", name="Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as")
        page.get_by_role("link", name="Data sign-off").click()
        settle(page, "h1:has-text('Data sign-off')")
        try:
            action(page)
        finally:
            screenshot(page, f"certify_{step}")
        context.close()
        print(f"{step}: {username}", flush=True)

    def create_key(self, page) -> None:
        page.get_by_role("textbox", name=PASSWORD_FIELD).fill(self.password)
        page.get_by_role("button", name="Create my signing key").click()
        settle(page, "text=waiting for registration")

    def register_waiting_keys(self, count: int):
        from signoff import store

        def registered() -> int:
            return sum(1 for key in store.keys(self.home) if key.registered_at)

        def action(page) -> None:
            for _ in range(count):  # the first waiting key is chosen; the list then shrinks
                before = registered()
                page.get_by_role("button", name="Register key").click()
                # The last confirmation stays shown: wait for the store, then the rerun.
                while registered() == before:
                    page.wait_for_timeout(200)
                settle(page, '[data-testid="stAlertContentSuccess"]:has-text("Key registered")')

        return action

    def sign(self, blocking_rules: list[str]):
        def action(page) -> None:
            for rule in blocking_rules:  # each note waits for its own field: they come late
                page.get_by_role("textbox", name=f"Note explaining: {rule}").fill(NOTE)
            page.get_by_role("textbox", name=PASSWORD_FIELD).fill(self.password)
            page.get_by_role("button", name="Sign the certificate").click()
            settle(page, '[data-testid="stAlertContentSuccess"]:has-text("Signed.")')

        return action

    def countersign(self, button: str):
        def action(page) -> None:
            page.get_by_role("textbox", name=PASSWORD_FIELD).fill(self.password)
            page.get_by_role("button", name=button).click()
            settle(page, '[data-testid="stAlertContentSuccess"]:has-text("Countersigned.")')

        return action


def certify(home: Path, password: str) -> None:
    from playwright.sync_api import sync_playwright

    from signoff import store

    if store.keys(home):
        raise SystemExit(
            f"{home} already has signing keys: the walk-through starts from none "
            f"(remove {home / 'signoff'} and {home / 'accounts' / 'keys'} first)"
        )
    shipped = certificates(home)
    people = add_accounts(home, password, shipped)
    schools_of = {d: [head(c) for c in shipped if c["district_code"] == d]
                  for d in {c["district_code"] for c in shipped}}  # fmt: skip
    port = _free_port()
    env = os.environ | {"EMIS_HOME": str(home), "EMIS_WAREHOUSE": ""}
    process = subprocess.Popen(
        [str(EMIS_BIN), "portal", "--port", str(port), "--address", "127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            portal = Portal(browser, url, password, home)
            for username in people["district"] + ["ministry.head"]:
                portal.session(username, "1_key_district_ministry", portal.create_key)
            waiting = len(people["district"]) + 1
            portal.session(
                "ministry.keys", "2_ministry_registers", portal.register_waiting_keys(waiting)
            )
            for username in people["school"]:
                portal.session(username, "3_key_school", portal.create_key)
            for district, heads in sorted(schools_of.items()):
                portal.session(f"district.{district}", "4_district_registers",
                               portal.register_waiting_keys(len(heads)))  # fmt: skip
            for certificate in shipped:
                blocking = sorted(certificate["quality"]["blocking"])
                portal.session(head(certificate), "5_school_signs", portal.sign(blocking))
            for username in people["district"]:
                portal.session(username, "6_district_countersigns",
                               portal.countersign("Countersign the district"))  # fmt: skip
            portal.session("ministry.head", "7_ministry_countersigns",
                           portal.countersign("Countersign the republic"))  # fmt: skip
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    for command in (["signoff", "status"], ["publish", "--accept-blocking",
                    "synthetic demo export: its planted defects are left in on purpose"],
                    ["signoff", "verify", str(home / "releases" / "current")]):  # fmt: skip
        subprocess.run([str(EMIS_BIN), *command], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, help="the demo's EMIS_HOME (var/demo)")
    parser.add_argument("--password", default="correct horse battery staple")
    arguments = parser.parse_args()
    certify(arguments.home.resolve(), arguments.password)


if __name__ == "__main__":
    main()
