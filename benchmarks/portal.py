"""Portal speed on a release: each public page's time to ready once warm, and an interaction
(adding a breakdown in the explorer), measured in headless Chromium.

    .venv/bin/python -m benchmarks.portal --home var/portal-bench [--runs 5]

``--home`` is an EMIS_HOME with a current release (national scale for the issue's targets:
pages ≤ 2 s warm, an interaction ≤ 500 ms). Prints the median and worst of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PAGES = {
    "home": ("/?lang=en", '[data-testid="stMetric"]'),
    "explorer": (
        "/explorer?lang=en&explorer_indicator=learners&explorer_level=district&explorer_by=sex",
        ".js-plotly-plot",
    ),
    "territory": ("/territory?lang=en&territory_code=41708", '[data-testid="stDataFrame"]'),
    "school": ("/school?lang=en", '[data-testid="stDataFrame"]'),
    "open_data": ("/open-data?lang=en", '[data-testid="stCode"]'),
    "methodology": ("/methodology?lang=en", '[data-testid="stExpander"]'),
}
TARGET_PAGE, TARGET_INTERACTION = 2.0, 0.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_portal(home: Path, port: int) -> subprocess.Popen:
    emis = Path(sys.executable).with_name("emis")
    process = subprocess.Popen(
        [str(emis), "portal", "--port", str(port), "--address", "127.0.0.1"],
        env=os.environ | {"EMIS_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the portal did not start")


def settle(page, selector: str) -> None:
    page.wait_for_selector(selector)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")


def page_time(page, url: str, selector: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    settle(page, selector)
    return time.perf_counter() - started


INTERACTIONS = {
    # the explorer's default level, and the heaviest view: every district by two breakdowns
    "breakdown, republic": "/explorer?lang=en&explorer_indicator=learners&explorer_by=sex",
    "breakdown, districts": PAGES["explorer"][0],
}


def interaction_time(page, url: str) -> float:
    """From choosing a second breakdown in the explorer to the chart's legend showing it."""
    page.goto(url)
    settle(page, ".js-plotly-plot")
    page.locator('[data-testid="stMultiSelect"] input').click()
    option = page.get_by_role("option", name="Education level")
    option.wait_for()
    started = time.perf_counter()
    option.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.legendtext, .xtick')]"
        ".some(e => /Primary/.test(e.textContent))"
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="EMIS_HOME with a release")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="save each page's picture here")
    args = parser.parse_args(argv)
    port = free_port()
    process = start_portal(args.home.resolve(), port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(
                viewport={"width": 1400, "height": 1000}, base_url=f"http://127.0.0.1:{port}"
            )
            page.set_default_timeout(60_000)
            print(f"{'page':<22} {'median s':>9} {'worst s':>8}  (warm; target ≤ {TARGET_PAGE} s)")
            for name, (url, selector) in PAGES.items():
                cold = page_time(page, url, selector)
                times = [page_time(page, url, selector) for _ in range(args.runs)]
                median, worst = statistics.median(times), max(times)
                print(f"{name:<22} {median:>9.2f} {worst:>8.2f}  cold {cold:.2f}")
                if args.screenshots:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(args.screenshots / f"{name}.png"), full_page=True)
            for name, url in INTERACTIONS.items():
                times = [interaction_time(page, url) for _ in range(args.runs)]
                print(
                    f"{name:<22} {statistics.median(times):>9.2f} {max(times):>8.2f}"
                    f"  target ≤ {TARGET_INTERACTION} s"
                )
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
