"""The API as a public service: a release switch under load, nothing suppressed obtainable,
fuzzed inputs never a 500, the rate limit, and an access log without addresses."""

from __future__ import annotations

import io
import random
import string
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.api.conftest import SECOND, ApiServer, copy_open, start_api, stop
from tests.portal_fixtures import PortalHome
from warehouse.release.publish import switch_current

pytestmark = pytest.mark.slow

KEY_COLUMNS = ["indicator_id", "academic_year", "reference_date", "geographic_level",
               "territory_code", "sex", "level", "grade", "locality", "ownership", "language",
               "org_type", "disability", "setting", "subject"]  # fmt: skip
SHIFT = 1_000_000  # added to the second release's learners, to tell the releases apart


# --- a release switch during a burst ----------------------------------------------------


def test_release_switch_during_a_burst(portal_home: PortalHome, tmp_path: Path):
    """Eight clients hammer two workers while `current` moves: no request fails, each answer
    is wholly one release (its figures and its header agree), and once a client has seen the
    new release it never sees the old one again."""
    home = tmp_path / "home"
    releases = home / "releases"
    first = portal_home.release_id
    copy_open(portal_home.release, releases, first)
    second = copy_open(portal_home.release, releases, SECOND)
    with duckdb.connect(str(second / "open" / "open.duckdb")) as con:
        con.execute(f"update observations set value = value + {SHIFT} "
                    "where indicator_id = 'learners' and value is not null")  # fmt: skip
    switch_current(releases, first)
    server = start_api(home, tmp_path / "api.log", "--rate-limit", "0", "--workers", "2")
    seen: list[list[tuple[int, str, str, bool]]] = [[] for _ in range(8)]
    stop_at = time.monotonic() + 60
    switched = threading.Event()
    done = threading.Event()

    def client_loop(index: int) -> None:
        url = "/api/v1/observations?indicator=learners&level=national&page_size=200"
        with server.client() as client:
            while time.monotonic() < stop_at and not done.is_set():
                answer = client.get(url)
                if answer.status_code != 200:
                    seen[index].append((answer.status_code, "", "", False))
                    continue
                body = answer.json()
                values = [r["value"] for r in body["observations"] if r["value"] is not None]
                shifted = all(v >= SHIFT for v in values) and bool(values)
                plain = all(v < SHIFT for v in values)
                release = body["release"]
                consistent = (shifted if release == SECOND else plain) and answer.headers[
                    "emis-release"
                ] == release
                seen[index].append((200, release, answer.headers["etag"], consistent))

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        switch_current(releases, SECOND)
        switched.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(log and log[-1][1] == SECOND for log in seen):
            time.sleep(0.2)
        time.sleep(0.5)
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop(server)
    answers = [entry for log in seen for entry in log]
    assert len(answers) > 50
    assert all(status == 200 for status, *_ in answers), {s for s, *_ in answers}
    assert all(consistent for *_, consistent in answers)
    for log in seen:
        releases_seen = [release for _, release, _, _ in log]
        assert releases_seen[0] == first and releases_seen[-1] == SECOND
        turn = releases_seen.index(SECOND)
        assert set(releases_seen[turn:]) == {SECOND}  # never back to the old release


# --- nothing suppressed comes out ---------------------------------------------------------


def suppressed_keys(portal_home: PortalHome) -> set[tuple]:
    """Every published row whose figures disclosure control hid (the restricted record)."""
    frame = pd.read_parquet(portal_home.release / "restricted" / "disclosure.parquet")
    frame = frame[frame["hidden"]]
    frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.date.astype(str)
    return set(frame[KEY_COLUMNS].astype(str).itertuples(index=False, name=None))


def test_no_suppressed_value_through_any_endpoint(api: ApiServer, portal_home: PortalHome):
    from pysdmx.io import read_sdmx

    hidden = suppressed_keys(portal_home)
    assert len(hidden) > 20
    with api.client() as client:
        pages, url = [], "/api/v1/observations?page_size=10000"
        while url:
            body = client.get(url).json()
            pages += body["observations"]
            url = body["next"]
        plain = pd.DataFrame(pages)
        plain_csv = pd.read_csv(
            io.StringIO(client.get("/api/v1/observations?page_size=10000&format=csv").text),
            dtype=str,
            keep_default_na=False,
        )
        flow = "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0/*"
        sdmx_csv = pd.read_csv(
            io.StringIO(client.get(flow, headers={"Accept": "text/csv"}).text),
            dtype=str,
            keep_default_na=False,
        )
        sdmx_xml = client.get(flow, headers={"Accept": "application/xml"}).content
        sdmx_json = client.get(flow, headers={"Accept": "application/json"}).json()
    plain_keys = list(plain[KEY_COLUMNS].astype(str).itertuples(index=False, name=None))
    assert hidden <= set(plain_keys)  # every suppressed row is there, with its symbol...
    for key, row in zip(plain_keys, plain.itertuples(), strict=True):
        if key in hidden:  # ...and no figure
            assert row.symbol == "c", key
            assert all(pd.isna(getattr(row, m)) for m in ("value", "numerator", "denominator"))
    csv_keys = plain_csv[KEY_COLUMNS].itertuples(index=False, name=None)
    for key, value, numerator, denominator in zip(
        csv_keys, plain_csv["value"], plain_csv["numerator"], plain_csv["denominator"],
        strict=True,
    ):  # fmt: skip
        if key in hidden:
            assert value == numerator == denominator == "", key
    from tests.api.test_sdmx import DIMENSIONS, decode_json

    for frame in (sdmx_csv, read_sdmx(io.BytesIO(sdmx_xml)).data[0].data):
        frame = frame.fillna("").astype(str)
        assert len(frame) == len(plain)
        for key, value, status in zip(
            frame[DIMENSIONS].itertuples(index=False, name=None),
            frame["OBS_VALUE"],
            frame["OBS_STATUS"],
            strict=True,
        ):
            if key in hidden:
                assert value in ("", "nan") and status == "c", key
    for *key, value, status in decode_json(sdmx_json):
        if tuple(key) in hidden:
            assert value is None and status == "c", key


# --- fuzzed inputs ------------------------------------------------------------------------

NASTY = ["", ".", "..", "*", "+", ",", "%00", "%ff", "é", "Кыргыз", "'; drop table x; --",
         "a" * 300, "../../etc/passwd", "[]", "{}", "null", "-1", "1e309", "NaN", " ",
         "c[SEX]", "\\", "%2e%2e", "<script>", "learners", "_T", "F+M", "2025-13-45"]  # fmt: skip


def fuzzed_urls(count: int, seed: int = 18) -> list[str]:
    pick = random.Random(seed)
    flow = "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0/"
    names = ["indicator", "year", "level", "territory", "breakdown", "page", "page_size",
             "sex", "education_level", "format", "reference_date", "startPeriod", "endPeriod",
             "dimensionAtObservation", "c[SEX]", "c[REF_AREA]", "references", "lang",
             "detail", "x"]  # fmt: skip

    def word() -> str:
        if pick.random() < 0.5:
            return pick.choice(NASTY)
        alphabet = string.ascii_letters + string.digits + "._-*+,~:;@$!()"
        return "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 40)))

    urls = []
    for _ in range(count):
        kind = pick.randrange(4)
        query = "&".join(f"{pick.choice(names)}={word()}" for _ in range(pick.randint(0, 4)))
        if kind == 0:
            parts = [word() for _ in range(pick.choice([1, 2, 14, 15, 15, 16]))]
            path = flow + ".".join(parts)
        elif kind == 1:
            path = "/api/v1/observations"
        elif kind == 2:
            path = f"/sdmx/v2/structure/{word()}/{word()}/{word()}/{word()}"
        else:
            path = f"/sdmx/v1/data/{word()}/{word()}"
        urls.append(path + (f"?{query}" if query else ""))
    return urls


def test_fuzzed_keys_and_parameters_never_fail_the_server(api: ApiServer):
    statuses: dict[int, int] = {}
    with api.client() as client:
        for url in fuzzed_urls(400):
            answer = client.get(url)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            assert answer.status_code < 500, (url, answer.text[:200])
            if answer.status_code >= 400:
                assert answer.json()["error"]["message"], url
            assert "Traceback" not in answer.text
        assert client.get("/readyz").status_code == 200
    assert statuses.get(400, 0) > 50  # the fuzz reaches the validation, not only 404s


# --- rate limit and access log --------------------------------------------------------------


def test_limits_and_access_log(api_home: Path, tmp_path: Path):
    """The rate limit (429 and Retry-After), the bound on SDMX-ML and SDMX-JSON answers, and
    an access log without client addresses."""
    log = tmp_path / "access.log"
    limits = {"EMIS_API_MAX_STRUCTURED": "100"}
    server = start_api(
        api_home, log, "--rate-limit", "2", "--burst", "3", "--access-log", env=limits
    )
    flow = "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0/learners" + ".*" * 14
    try:
        with server.client() as client:
            answers = [client.get("/api/v1/indicators") for _ in range(8)]
            health = [client.get("/healthz").status_code for _ in range(8)]
            time.sleep(2)  # the bucket refills
            too_many = client.get(flow, headers={"Accept": "application/xml"})
            time.sleep(1)
            as_csv = client.get(flow, headers={"Accept": "text/csv"})
    finally:
        stop(server)
    assert too_many.status_code == 413, too_many.text
    assert too_many.json()["error"]["code"] == "too_many_observations"
    assert as_csv.status_code == 200 and len(as_csv.text.splitlines()) > 101
    statuses = [answer.status_code for answer in answers]
    assert statuses[:3] == [200, 200, 200]
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited, statuses
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["error"]["code"] == "too_many_requests"
    assert set(health) == {200}  # probes are never limited
    text = log.read_text()
    assert '"GET /api/v1/indicators" 429' in text and '"GET /api/v1/indicators" 200' in text
    assert "127.0.0.1" not in text  # no client address in the log
