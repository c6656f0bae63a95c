"""SDMX REST over real HTTP, read as clients read it: pysdmx's REST service and readers, and
the ``sdmx1`` package, against the open bundle's own SDMX-CSV file."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.api.conftest import ApiServer
from tests.portal_fixtures import PortalHome

pytestmark = pytest.mark.slow

FLOW = "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0"
DIMENSIONS = ["INDICATOR", "ACADEMIC_YEAR", "REF_DATE", "GEO_LEVEL", "REF_AREA", "SEX", "LEVEL",
              "GRADE", "LOCALITY", "OWNERSHIP", "LANGUAGE", "ORG_TYPE", "DISABILITY", "SETTING",
              "SUBJECT"]  # fmt: skip
# Learners by sex at oblast level (other breakdowns any): ``*`` and empty parts are wildcards.
KEY = "learners.*.*.oblast.*.F+M........."


def bundle_sdmx(portal_home: PortalHome) -> pd.DataFrame:
    """The open bundle's SDMX-CSV file: what every answer must agree with."""
    return pd.read_csv(
        portal_home.release / "open" / "sdmx" / "observations.sdmx.csv",
        dtype=str,
        keep_default_na=False,
    )


def expected(portal_home: PortalHome, **codes) -> pd.DataFrame:
    frame = bundle_sdmx(portal_home)
    for dimension, allowed in codes.items():
        frame = frame[frame[dimension].isin(allowed)]
    return frame


def as_table(frame: pd.DataFrame) -> set[tuple]:
    """Rows as (key..., value, status), values as numbers, empty as None."""
    frame = frame.reset_index() if "INDICATOR" not in frame.columns else frame
    values = pd.to_numeric(frame["OBS_VALUE"].replace("", None), errors="coerce")
    statuses = frame["OBS_STATUS"].fillna("").astype(str).replace("nan", "")
    return {
        (*key, None if pd.isna(value) else round(float(value), 6), status or None)
        for key, value, status in zip(
            frame[DIMENSIONS].astype(str).itertuples(index=False, name=None),
            values,
            statuses,
            strict=True,
        )
    }


def rest_service(api: ApiServer, data_format, structure_format):
    from pysdmx.api.qb import ApiVersion, RestService

    return RestService(
        f"{api.url}/sdmx/v2",
        ApiVersion.V2_0_0,
        data_format=data_format,
        structure_format=structure_format,
        timeout=30,
    )


def data_query(key: str, **options):
    from pysdmx.api.qb import DataContext, DataQuery

    return DataQuery(
        context=DataContext.DATAFLOW, agency_id="KG_MOES", resource_id="EMIS", version="1.0",
        key=key, **options,
    )  # fmt: skip


@pytest.mark.parametrize("data_format", ["SDMX_CSV_2_0_0", "SDMX_ML_3_0", "SDMX_ML_2_1_STR"])
def test_pysdmx_reads_data_by_key(api: ApiServer, portal_home: PortalHome, data_format: str):
    from pysdmx.api.qb import DataFormat, StructureFormat
    from pysdmx.io import read_sdmx

    service = rest_service(api, DataFormat[data_format], StructureFormat.SDMX_ML_3_0)
    message = read_sdmx(io.BytesIO(service.data(data_query(KEY))))
    (dataset,) = message.data
    want = expected(portal_home, INDICATOR=["learners"], GEO_LEVEL=["oblast"], SEX=["F", "M"])
    assert len(want) > 10
    assert as_table(dataset.data) == as_table(want)
    assert want["OBS_STATUS"].eq("c").any()  # the check covers suppressed cells too


@pytest.mark.parametrize("structure_format", ["SDMX_ML_3_0", "SDMX_ML_2_1", "SDMX_JSON_2_0_0"])
def test_pysdmx_reads_structures(api: ApiServer, structure_format: str):
    from pysdmx.api.qb import DataFormat, StructureFormat, StructureQuery, StructureType
    from pysdmx.io import read_sdmx

    service = rest_service(api, DataFormat.SDMX_CSV_2_0_0, StructureFormat[structure_format])
    query = StructureQuery(
        artefact_type=StructureType.DATAFLOW,
        agency_id="KG_MOES",
        resource_id="EMIS",
        version="1.0",
    )
    url = query.get_url(service._api_version, True) + "?references=all"
    answer = service._RestService__fetch(url, StructureFormat[structure_format].value)
    message = read_sdmx(io.BytesIO(answer))
    kinds = {type(artefact).__name__ for artefact in message.structures}
    assert {"Dataflow", "DataStructureDefinition", "Codelist", "ConceptScheme"} <= kinds
    dsd = next(a for a in message.structures if type(a).__name__ == "DataStructureDefinition")
    assert [c.id for c in dsd.components.dimensions] == DIMENSIONS
    sex = next(a for a in message.structures if getattr(a, "id", "") == "CL_SEX")
    assert {code.id for code in sex.items} >= {"F", "M", "_T"}


def test_pysdmx_data_with_structure_from_the_server(api: ApiServer, portal_home: PortalHome):
    """pysdmx's get_datasets: data and its structure both fetched from the running server."""
    from pysdmx.io import get_datasets

    data_url = f"{api.url}{FLOW}/{KEY}?format=sdmx-ml"
    structure_url = f"{api.url}/sdmx/v2/structure/datastructure/KG_MOES/DSD_EMIS_EDUCATION/1.0"
    (dataset,) = get_datasets(data_url, structure_url + "?references=all")
    assert dataset.structure.id == "DSD_EMIS_EDUCATION"
    want = expected(portal_home, INDICATOR=["learners"], GEO_LEVEL=["oblast"], SEX=["F", "M"])
    assert as_table(dataset.data) == as_table(want)


def test_sdmx1_reads_structures_and_data(api: ApiServer, portal_home: PortalHome):
    import httpx
    import sdmx

    structure = httpx.get(
        f"{api.url}/sdmx/v2/structure/dataflow/KG_MOES/EMIS/1.0?references=all",
        headers={"Accept": "application/vnd.sdmx.structure+xml;version=2.1"},
    )
    message = sdmx.read_sdmx(io.BytesIO(structure.content))
    dsd = message.structure["DSD_EMIS_EDUCATION"]
    assert [d.id for d in dsd.dimensions.components] == DIMENSIONS
    assert "F" in message.codelist["CL_SEX"]
    data = httpx.get(
        f"{api.url}{FLOW}/{KEY}",
        headers={"Accept": "application/vnd.sdmx.structurespecificdata+xml;version=2.1"},
    )
    frame = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(data.content), structure=dsd).data[0],
                           attributes="o")  # fmt: skip
    want = expected(portal_home, INDICATOR=["learners"], GEO_LEVEL=["oblast"], SEX=["F", "M"])
    frame = frame.reset_index().rename(columns={"value": "OBS_VALUE"})
    assert as_table(frame) == as_table(want)


def test_key_forms_periods_and_filters(api: ApiServer, portal_home: PortalHome):
    everything = bundle_sdmx(portal_home)
    date = sorted(everything["REF_DATE"].unique())[0]
    with api.client(headers={"Accept": "text/csv"}) as client:

        def rows(url: str) -> pd.DataFrame:
            answer = client.get(url)
            assert answer.status_code == 200, answer.text
            return pd.read_csv(io.StringIO(answer.text), dtype=str, keep_default_na=False)

        two_keys = rows(f"{FLOW}/learners.*.*.national.KG.F.........,"
                        "teachers.*.*.national.KG.F.........")  # fmt: skip
        filtered = rows(f"{FLOW}/learners?c[SEX]=F&c[GEO_LEVEL]=national".replace(
            "learners", "learners" + ".*" * 14))  # fmt: skip
        period = rows(f"{FLOW}/*?startPeriod={date}&endPeriod={date}")
        v1 = rows("/sdmx/v1/data/KG_MOES,EMIS,1.0/learners.*.*.national.KG.F.........")
        everything_api = rows(f"{FLOW}/*")
    assert set(two_keys["INDICATOR"]) == {"learners", "teachers"}
    assert set(two_keys["SEX"]) == {"F"} and set(two_keys["REF_AREA"]) == {"KG"}
    assert set(filtered["SEX"]) == {"F"} and set(filtered["GEO_LEVEL"]) == {"national"}
    assert len(filtered) == len(v1) > 0
    assert set(period["REF_DATE"]) == {date}
    assert len(period) == (everything["REF_DATE"] == date).sum()
    assert as_table(everything_api) == as_table(everything)


def test_sdmx_json_data_all_dimensions_and_series(api: ApiServer, portal_home: PortalHome):
    with api.client(headers={"Accept": "application/vnd.sdmx.data+json;version=2.0.0"}) as client:
        flat = client.get(f"{FLOW}/{KEY}").json()
        series = client.get(f"{FLOW}/{KEY}?dimensionAtObservation=REF_AREA").json()
    want = as_table(
        expected(portal_home, INDICATOR=["learners"], GEO_LEVEL=["oblast"], SEX=["F", "M"])
    )
    assert decode_json(flat) == want
    assert decode_json(series) == want
    structure = series["data"]["structures"][0]["dimensions"]
    assert [d["id"] for d in structure["observation"]] == ["REF_AREA"]
    assert "series" in series["data"]["dataSets"][0]


def decode_json(message: dict) -> set[tuple]:
    """An SDMX-JSON 2.0 data message back to (key..., value, status) rows."""
    structure = message["data"]["structures"][0]
    series_dims = structure["dimensions"]["series"]
    obs_dims = structure["dimensions"]["observation"]
    attributes = [a["id"] for a in structure["attributes"]["observation"]]
    status_at = attributes.index("OBS_STATUS")
    status_values = structure["attributes"]["observation"][status_at]["values"]
    data_set = message["data"]["dataSets"][0]
    pairs = (
        [(series_key, data["observations"]) for series_key, data in data_set["series"].items()]
        if "series" in data_set
        else [("", data_set["observations"])]
    )
    rows = set()
    for series_key, observations in pairs:
        for obs_key, (value, *attrs) in observations.items():
            codes = {}
            for dims, key in ((series_dims, series_key), (obs_dims, obs_key)):
                for dim, position in zip(dims, key.split(":") if key else [], strict=True):
                    codes[dim["id"]] = dim["values"][int(position)]["id"]
            status = status_values[attrs[status_at]]["id"] or None
            value = None if value is None else round(float(value), 6)
            rows.add((*(codes[d] for d in DIMENSIONS), value, status))
    return rows


def test_structure_names_in_three_languages(api: ApiServer):
    names = {}
    with api.client() as client:
        for lang in ("ky", "ru", "en"):
            answer = client.get(
                f"/sdmx/v2/structure/codelist/KG_MOES/CL_SEX/1.0?format=json&lang={lang}"
            )
            assert answer.headers["content-language"] == lang
            (codelist,) = answer.json()["data"]["codelists"]
            names[lang] = {code["id"]: code["name"] for code in codelist["codes"]}
        by_header = client.get(
            "/sdmx/v2/structure/conceptscheme/KG_MOES/CS_EMIS/1.0",
            headers={"Accept-Language": "ru-RU,ru;q=0.9", "Accept": "application/xml"},
        )
    assert names["en"]["F"] == "Female"
    assert len({names[lang]["F"] for lang in names}) == 3  # three different words
    assert by_header.headers["content-language"] == "ru" and "Территория" in by_header.text


def test_content_negotiation(api: ApiServer):
    url = f"{FLOW}/{KEY}"
    cases = {
        "application/vnd.sdmx.data+csv;version=2.0.0": "application/vnd.sdmx.data+csv",
        "application/vnd.sdmx.data+json;version=2.0.0": "application/vnd.sdmx.data+json",
        "application/vnd.sdmx.data+xml;version=3.0.0": "application/vnd.sdmx.data+xml",
        "application/vnd.sdmx.structurespecificdata+xml;version=2.1":
            "application/vnd.sdmx.structurespecificdata+xml",
        "text/html, */*;q=0.1": "application/vnd.sdmx.data+csv",
    }  # fmt: skip
    with api.client() as client:
        for accept, media in cases.items():
            answer = client.get(url, headers={"Accept": accept})
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
        refused = client.get(url, headers={"Accept": "application/pdf"})
        old = client.get(url, headers={"Accept": "application/vnd.sdmx.data+json;version=1.0.0"})
    assert refused.status_code == 406 and refused.json()["error"]["code"] == "not_acceptable"
    assert old.status_code == 406


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{FLOW}/learners.2025-2026", 400),  # two of fifteen dimensions
        (f"{FLOW}/{KEY}?startPeriod=yesterday", 400),
        (f"{FLOW}/{KEY}?endPeriod=2025-13", 400),
        (f"{FLOW}/{KEY}?dimensionAtObservation=TIME_PERIOD", 400),
        (f"{FLOW}/{KEY}?c[COLOUR]=red", 400),
        (f"{FLOW}/{KEY}?bogus=1", 400),
        (f"{FLOW}/nothing" + ".*" * 14, 404),
        ("/sdmx/v2/data/dataflow/OTHER/EMIS/1.0/*", 404),
        ("/sdmx/v2/structure/dataflow/KG_MOES/OTHER/1.0", 404),
        ("/sdmx/v2/structure/hierarchy/KG_MOES/EMIS/1.0", 400),
        ("/sdmx/v2/structure/dataflow/KG_MOES/EMIS/1.0?references=cousins", 400),
    ],
)
def test_sdmx_errors(api: ApiServer, url: str, status: int):
    with api.client() as client:
        answer = client.get(url)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]
