"""The plain API over real HTTP: each query form, content negotiation, caching, errors."""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from tests.api.conftest import ApiServer
from tests.portal_fixtures import PortalHome

pytestmark = pytest.mark.slow


def open_rows(portal_home: PortalHome, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(portal_home.release / "open" / "open.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_indicators_in_three_languages(api: ApiServer, portal_home: PortalHome):
    with api.client() as client:
        answer = client.get("/api/v1/indicators")
    assert answer.status_code == 200
    body = answer.json()
    assert body["release"] == portal_home.release_id
    learners = next(row for row in body["indicators"] if row["indicator_id"] == "learners")
    for lang in ("ky", "ru", "en"):
        assert learners[f"name_{lang}"] and learners[f"definition_{lang}"]
        assert learners[f"note_{lang}"]  # the footnote: reference date and source
    expected = {row[0] for row in open_rows(portal_home, "select indicator_id from indicators")}
    assert {row["indicator_id"] for row in body["indicators"]} == expected


def test_territories_csv_by_accept_header(api: ApiServer):
    with api.client() as client:
        answer = client.get("/api/v1/territories", headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    levels = {row["geographic_level"] for row in rows}
    assert levels == {"national", "oblast", "district"}
    assert rows[0]["territory_code"] == "KG" and rows[0]["name_en"] == "Kyrgyz Republic"


def test_observations_match_the_open_bundle(api: ApiServer, portal_home: PortalHome):
    """One indicator by sex in every oblast: the same rows, values and symbols as the file."""
    expected = open_rows(
        portal_home,
        "select territory_code, sex, value, symbol from observations where indicator_id = "
        "'learners' and geographic_level = 'oblast' and sex not in ('_T', '_Z') and "
        + " and ".join(f"{c} in ('_T', '_Z')" for c in ("level", "grade", "locality",
                       "ownership", "language", "org_type", "disability", "setting", "subject"))
        + " order by all",
    )  # fmt: skip
    assert expected
    params = {"indicator": "learners", "level": "oblast", "breakdown": "sex"}
    with api.client() as client:
        body = client.get("/api/v1/observations", params=params).json()
    got = sorted(
        (row["territory_code"], row["sex"], row["value"], row["symbol"])
        for row in body["observations"]
    )
    assert got == sorted(expected)
    assert body["total"] == len(expected) and body["next"] is None


def test_filters_by_breakdown_code_territory_and_year(api: ApiServer, portal_home: PortalHome):
    ((year,),) = open_rows(portal_home, "select max(academic_year) from observations")
    params = {"indicator": "learners", "territory": "KG", "breakdown": "level,sex",
              "sex": "F", "education_level": "primary", "year": year}  # fmt: skip
    with api.client() as client:
        rows = client.get("/api/v1/observations", params=params).json()["observations"]
    assert rows
    assert {(r["territory_code"], r["sex"], r["level"], r["academic_year"]) for r in rows} == {
        ("KG", "F", "primary", year)
    }


def test_paging_walks_every_row_once(api: ApiServer, portal_home: PortalHome):
    ((count,),) = open_rows(
        portal_home, "select count(*) from observations where indicator_id = 'teachers'"
    )
    seen: list[tuple] = []
    url = "/api/v1/observations?indicator=teachers&page_size=7"
    with api.client() as client:
        while url:
            body = client.get(url).json()
            assert body["total"] == count
            seen += [tuple(row.values()) for row in body["observations"]]
            url = body["next"]
    assert len(seen) == count == len(set(seen))


def test_csv_page_carries_total_and_next_link(api: ApiServer):
    with api.client() as client:
        answer = client.get("/api/v1/observations?indicator=learners&page_size=5&format=csv")
    assert answer.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(answer.text)))) == 5
    assert int(answer.headers["x-total-count"]) > 5
    assert 'rel="next"' in answer.headers["link"] and "page=2" in answer.headers["link"]


def test_releases_and_changelog(api: ApiServer, portal_home: PortalHome):
    with api.client() as client:
        body = client.get("/api/v1/releases").json()
        (only,) = body["releases"]
        assert only["release_id"] == portal_home.release_id and only["current"]
        assert only["snapshot_date"] and only["published_at"]
        changes = client.get(only["changelog"]).json()
        missing = client.get("/api/v1/releases/1999-01-01.1/changelog")
    assert changes["release"] == portal_home.release_id
    assert changes["total"] == 0  # the first release: nothing before it to change
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_release"


def test_openapi_document_with_examples(api: ApiServer):
    with api.client() as client:
        document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in ("/api/v1/indicators", "/api/v1/territories", "/api/v1/observations",
                 "/api/v1/releases", "/sdmx/v2/data/dataflow/{agency}/{flow}/{version}/{key}",
                 "/sdmx/v2/structure/{kind}/{agency}/{ident}/{version}"):  # fmt: skip
        assert path in paths, path
    parameters = {p["name"]: p for p in paths["/api/v1/observations"]["get"]["parameters"]}
    assert parameters["indicator"]["schema"]["examples"] == ["learners"]


def test_caching_headers_and_304(api: ApiServer, portal_home: PortalHome):
    with api.client() as client:
        first = client.get("/api/v1/indicators")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert portal_home.release_id in etag
        assert first.headers["emis-release"] == portal_home.release_id
        assert "max-age" in first.headers["cache-control"]
        again = client.get("/api/v1/indicators", headers={"If-None-Match": etag})
        since = client.get("/api/v1/indicators", headers={"If-Modified-Since": modified})
        other = client.get("/api/v1/indicators", headers={"If-None-Match": 'W/"1999-01-01.1"'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert since.status_code == 304
    assert other.status_code == 200


def test_gzip_and_cors(api: ApiServer):
    with api.client() as client:
        zipped = client.get(
            "/api/v1/observations?indicator=learners", headers={"Accept-Encoding": "gzip"}
        )
        preflight = client.options(
            "/api/v1/observations",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
        )
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json()["observations"]  # httpx decompressed it
    assert zipped.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/observations?indicator=no_such_indicator", 404, "unknown_indicator"),
        ("/api/v1/observations?page_size=10001", 400, "page_too_large"),
        ("/api/v1/observations?page=0", 400, "bad_page"),
        ("/api/v1/observations?page=x", 400, "bad_integer"),
        ("/api/v1/observations?colour=red", 400, "unknown_parameter"),
        ("/api/v1/observations?level=planet", 400, "bad_level"),
        ("/api/v1/observations?year=2025", 400, "bad_year"),
        ("/api/v1/observations?breakdown=shoe_size", 400, "bad_breakdown"),
        ("/api/v1/observations?sex=F;drop", 400, "malformed_code"),
        ("/api/v1/observations?format=xlsx", 400, "bad_format"),
        ("/api/v1/nothing", 404, "not_found"),
    ],
)
def test_clear_json_errors(api: ApiServer, url: str, status: int, code: str):
    with api.client() as client:
        answer = client.get(url)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] == code and error["status"] == status
    assert "\n" not in error["message"] and "Traceback" not in answer.text


def test_methods_bodies_and_long_urls_refused(api: ApiServer):
    with api.client() as client:
        posted = client.post("/api/v1/indicators")
        body = client.request("GET", "/api/v1/indicators", content=b"x" * 100)
        long = client.get("/api/v1/observations?territory=" + "1" * 5000)
    assert posted.status_code == 405 and posted.json()["error"]["code"] == "method_not_allowed"
    assert body.status_code == 413
    assert long.status_code == 414
