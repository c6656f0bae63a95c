"""The portal served by `emis portal` on the test release, driven by Debian's Chromium.

Without /usr/bin/chromium the browser tests skip locally but fail under CI=true (as the
PostgreSQL tests do): CI must not go green by skipping them. Never `playwright install`:
`.ci/run` installs Debian's chromium with apt.

Screenshots go to ``var/screenshots/`` (or $EMIS_SCREENSHOTS) and their paths are printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.portal_fixtures import PortalHome

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("EMIS_SCREENSHOTS") or REPO / "var" / "screenshots")
EMIS_BIN = Path(sys.executable).with_name("emis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emis portal exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the portal did not answer at {url}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"no {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: browser tests must run, not skip)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def portal_url(portal_home: PortalHome, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("portal-log") / "portal.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(EMIS_BIN), "portal", "--port", str(port), "--address", "127.0.0.1"],
            env=os.environ | portal_home.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
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


@pytest.fixture(scope="session")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, portal_url: str):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, base_url=portal_url
    )
    page = context.new_page()
    page.set_default_timeout(90_000)  # a busy CI machine; speed is benchmarked apart
    yield page
    context.close()


def settle(page, selector: str) -> float:
    """Wait until ``selector`` is shown and Streamlit has finished running; seconds taken."""
    started = time.perf_counter()
    page.wait_for_selector(selector)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
    return time.perf_counter() - started


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path
