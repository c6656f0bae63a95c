"""`emis api` started for real on a free port, over a copy of the portal's test release.

The copy (``api_home``) holds only what the API may read, each release's ``open/`` folder:
the restricted bundle stays behind in ``portal_home``, where the tests read the suppressed
amounts that must never come out. ``second_release`` adds a release the tests switch
``current`` to, as `emis publish` does (a link renamed over the old one).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.portal_fixtures import PortalHome
from warehouse.release.publish import switch_current

EMIS_BIN = Path(sys.executable).with_name("emis")
SECOND = "2099-01-01.1"  # sorts after the test release


@dataclass
class ApiServer:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_open(release: Path, releases: Path, release_id: str) -> Path:
    """``release``'s open bundle (nothing else) as ``releases/<release_id>``."""
    target = releases / release_id
    shutil.copytree(release / "open", target / "open")
    return target


def start_api(home: Path, log: Path, *extra: str, env: dict | None = None) -> ApiServer:
    port = free_port()
    env = {**os.environ, "EMIS_HOME": str(home), "EMIS_WAREHOUSE": str(home / "none.duckdb"),
           **(env or {})}  # fmt: skip
    handle = log.open("w")
    process = subprocess.Popen(
        [str(EMIS_BIN), "api", "--host", "127.0.0.1", "--port", str(port), *extra],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emis api exited with {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return ApiServer(url, home, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"emis api did not become ready: {log.read_text()}")


def stop(server: ApiServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def api_home(portal_home: PortalHome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("api") / "home"
    releases = home / "releases"
    releases.mkdir(parents=True)
    copy_open(portal_home.release, releases, portal_home.release_id)
    switch_current(releases, portal_home.release_id)
    return home


@pytest.fixture(scope="session")
def api(api_home: Path) -> Iterator[ApiServer]:
    """The API on the test release, without a rate limit (the tests send bursts)."""
    server = start_api(api_home, api_home.parent / "api.log", "--rate-limit", "0")
    yield server
    stop(server)
