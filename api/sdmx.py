"""SDMX: the structures of the open bundle's observations and the data messages, written with
pysdmx wherever it writes the format (SDMX-CSV 2.0, SDMX-ML 3.0 and 2.1 data, SDMX-ML and
SDMX-JSON 2.0 structures); SDMX-JSON 2.0 *data*, which pysdmx does not write, is built here.

Ids are the open bundle's (``warehouse.release.bundle``): agency ``KG_MOES``, data structure
``DSD_EMIS_EDUCATION`` 1.0, and the dataflow ``EMIS`` over it. A suppressed observation has no
OBS_VALUE and carries its symbol in OBS_STATUS (``c``, ``z``, ``x``, ``low``, ``u``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from api.errors import ApiError, bad_request
from api.query import COLUMN, DIMENSIONS
from api.store import Snapshot
from warehouse.release.bundle import SDMX_AGENCY, SDMX_DSD

AGENCY = SDMX_AGENCY
DSD = SDMX_DSD
DATAFLOW = "EMIS"
VERSION = "1.0"
LANGS = ("en", "ru", "ky")
CONCEPT_SCHEME = "CS_EMIS"
ATTRIBUTES = ("UNIT_MEASURE", "OBS_STATUS")

# Media types (SDMX REST), best first for a client that accepts anything.
DATA_TYPES = {
    "application/vnd.sdmx.data+csv;version=2.0.0": "csv",
    "application/vnd.sdmx.data+json;version=2.0.0": "json",
    "application/vnd.sdmx.data+xml;version=3.0.0": "ml30",
    "application/vnd.sdmx.structurespecificdata+xml;version=2.1": "ml21",
    "text/csv": "csv",
    "application/json": "json",
    "application/xml": "ml30",
}
DATA_FORMATS = {"csv": "csv", "sdmx-csv": "csv", "json": "json", "sdmx-json": "json",
                "xml": "ml30", "sdmx-ml": "ml30", "structurespecificdata": "ml21"}  # fmt: skip
DATA_MEDIA = {
    "csv": "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
    "json": "application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8",
    "ml30": "application/vnd.sdmx.data+xml; version=3.0.0; charset=utf-8",
    "ml21": "application/vnd.sdmx.structurespecificdata+xml; version=2.1; charset=utf-8",
}
STRUCTURE_TYPES = {
    "application/vnd.sdmx.structure+xml;version=3.0.0": "ml30",
    "application/vnd.sdmx.structure+xml;version=2.1": "ml21",
    "application/vnd.sdmx.structure+json;version=2.0.0": "json",
    "application/xml": "ml30",
    "application/json": "json",
}
STRUCTURE_FORMATS = {"xml": "ml30", "sdmx-ml": "ml30", "sdmx-ml-2.1": "ml21",
                     "json": "json", "sdmx-json": "json"}  # fmt: skip
STRUCTURE_MEDIA = {
    "ml30": "application/vnd.sdmx.structure+xml; version=3.0.0; charset=utf-8",
    "ml21": "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8",
    "json": "application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8",
}
# Structure types of SDMX REST, and what each query returns here.
ARTEFACTS = ("dataflow", "datastructure", "codelist", "conceptscheme")
REFERENCES = ("none", "all", "children", "descendants", "parents", "parentsandsiblings")


def negotiate(accept: str | None, fmt: str | None, types: dict, formats: dict) -> str:
    """The format to answer in: ``format=`` first, else the first acceptable media type."""
    if fmt is not None:
        if fmt not in formats:
            raise bad_request("bad_format", f"format is one of {', '.join(formats)}")
        return formats[fmt]
    if not accept:
        return next(iter(types.values()))
    for part in accept.split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        version = next((o.split("=", 1)[1] for o in options if o.startswith("version=")), None)
        if media in ("*/*", "application/*"):
            return next(iter(types.values()))
        for known, name in types.items():
            known_media, _, known_version = known.partition(";version=")
            if media == known_media and (version is None or version == known_version):
                return name
    raise ApiError(406, "not_acceptable", f"can answer in: {', '.join(types)}")


# --- structures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Structures:
    dataflow: object
    dsd: object
    codelists: tuple
    concepts: object


_cache: dict[tuple[str, str], Structures] = {}
_cache_lock = threading.Lock()


def structures(snapshot: Snapshot, lang: str) -> Structures:
    """The dataflow, DSD, codelists and concept scheme of a release, named in ``lang``."""
    key = (str(snapshot.path), lang)
    with _cache_lock:
        if key not in _cache:
            if len(_cache) > 12:
                _cache.clear()
            _cache[key] = _build(snapshot, lang)
        return _cache[key]


def _names(snapshot: Snapshot, dimension: str, code: str, lang: str) -> str:
    return _labels(snapshot, lang)[dimension].get(code, code)


def _labels(snapshot: Snapshot, lang: str) -> dict[str, dict[str, str]]:
    """Every dimension's codes named in ``lang`` (cached per release and language)."""
    key = (str(snapshot.path), lang)
    found = _label_cache.get(key)
    if found is None:
        if len(_label_cache) > 12:
            _label_cache.clear()
        found = _label_cache[key] = {
            dimension: {code: _name(snapshot, dimension, code, lang)
                        for code in snapshot.codes[COLUMN[dimension]]}
            for dimension in DIMENSIONS
        }  # fmt: skip
    return found


_label_cache: dict[tuple[str, str], dict[str, dict[str, str]]] = {}


def _name(snapshot: Snapshot, dimension: str, code: str, lang: str) -> str:
    from dashboards import i18n

    if dimension == "INDICATOR":
        row = snapshot.indicators.loc[snapshot.indicators["indicator_id"] == code]
        return i18n.localized(row.iloc[0].to_dict(), "name", lang) if len(row) else code
    if dimension == "REF_AREA":
        row = snapshot.territories.loc[snapshot.territories["territory_code"] == code]
        return i18n.localized(row.iloc[0].to_dict(), "name", lang) if len(row) else code
    if dimension == "GEO_LEVEL":
        return i18n.text(f"level.{code}", lang)
    if dimension in ("ACADEMIC_YEAR", "REF_DATE"):
        return code
    return i18n.code_label(COLUMN[dimension], code, lang)


def _concept_name(concept: str, lang: str) -> str:
    from dashboards import i18n

    if concept in COLUMN and COLUMN[concept] in i18n.codes():
        return i18n.dimension_label(COLUMN[concept], lang)
    fallback = {
        "INDICATOR": ("Индикатор", "Показатель", "Indicator"),
        "ACADEMIC_YEAR": ("Окуу жылы", "Учебный год", "Academic year"),
        "REF_DATE": ("Эсептөө күнү", "Дата отсчёта", "Reference date"),
        "GEO_LEVEL": ("Аймактын деңгээли", "Уровень территории", "Territory level"),
        "REF_AREA": ("Аймак", "Территория", "Territory"),
        "OBS_VALUE": ("Маани", "Значение", "Value"),
        "UNIT_MEASURE": ("Өлчөө бирдиги", "Единица измерения", "Unit of measure"),
        "OBS_STATUS": ("Белги", "Условное обозначение", "Observation status (symbol)"),
    }
    names = fallback.get(concept)
    if names is None:
        return concept.replace("_", " ").title()
    return names[("ky", "ru", "en").index(lang)]


def _build(snapshot: Snapshot, lang: str) -> Structures:
    from pysdmx.model import Code, Codelist, Concept, ConceptScheme, Dataflow, DataType
    from pysdmx.model.dataflow import Component, Components, DataStructureDefinition, Role

    def urn(kind: str, ident: str) -> str:
        return f"urn:sdmx:org.sdmx.infomodel.{kind}={AGENCY}:{ident}({VERSION})"

    codelists = {}
    for dimension in DIMENSIONS:
        ident = f"CL_{dimension}"
        codelists[dimension] = Codelist(
            id=ident,
            agency=AGENCY,
            version=VERSION,
            name=_concept_name(dimension, lang),
            urn=urn("codelist.Codelist", ident),
            items=[
                Code(id=code, name=_names(snapshot, dimension, code, lang))
                for code in snapshot.codes[COLUMN[dimension]]
            ],
        )
    concept_ids = [*DIMENSIONS, "OBS_VALUE", *ATTRIBUTES]
    concepts = {
        ident: Concept(
            id=ident,
            name=_concept_name(ident, lang),
            urn=urn("conceptscheme.Concept", f"{CONCEPT_SCHEME}").replace(
                f"({VERSION})", f"({VERSION}).{ident}"
            ),
        )
        for ident in concept_ids
    }
    scheme = ConceptScheme(
        id=CONCEPT_SCHEME,
        agency=AGENCY,
        version=VERSION,
        name={"en": "EMIS concepts", "ru": "Понятия ИСУО", "ky": "БББМС түшүнүктөрү"}[lang],
        urn=urn("conceptscheme.ConceptScheme", CONCEPT_SCHEME),
        items=list(concepts.values()),
    )

    def component(ident, role, dtype=DataType.STRING, required=True, level=None, codes=None):
        return Component(
            id=ident, required=required, role=role, local_dtype=dtype,
            concept=concepts[ident], attachment_level=level, local_codes=codes,
        )  # fmt: skip

    dsd = DataStructureDefinition(
        id=DSD,
        agency=AGENCY,
        version=VERSION,
        name={
            "en": "EMIS education indicators of the Kyrgyz Republic",
            "ru": "Показатели образования Кыргызской Республики (ИСУО)",
            "ky": "Кыргыз Республикасынын билим берүү көрсөткүчтөрү (БББМС)",
        }[lang],
        urn=urn("datastructure.DataStructure", DSD),
        components=Components(
            [component(d, Role.DIMENSION, codes=codelists[d]) for d in DIMENSIONS]
            + [
                component("OBS_VALUE", Role.MEASURE, DataType.DOUBLE, required=False),
                component("UNIT_MEASURE", Role.ATTRIBUTE, level="O"),
                component("OBS_STATUS", Role.ATTRIBUTE, required=False, level="O"),
            ]
        ),
    )
    dataflow = Dataflow(
        id=DATAFLOW,
        agency=AGENCY,
        version=VERSION,
        name=dsd.name,
        urn=urn("datastructure.Dataflow", DATAFLOW),
        structure=dsd,
    )
    return Structures(dataflow, dsd, tuple(codelists.values()), scheme)


def structure_artefacts(
    snapshot: Snapshot, kind: str, agency: str, ident: str, version: str, references: str, lang
) -> list:
    """The artefacts a structure query asks for (``*`` and ``~``/``latest`` as wildcards)."""
    if kind not in (*ARTEFACTS, "*"):
        raise bad_request("bad_structure_type", f"structure type is one of {', '.join(ARTEFACTS)}")
    if references not in (
        "none",
        "all",
        "children",
        "descendants",
        "parents",
        "parentsandsiblings",
    ):
        raise bad_request("bad_references", "references is none, children, descendants or all")
    built = structures(snapshot, lang)

    def matches(artefact) -> bool:
        return (
            agency in ("*", "all", AGENCY)
            and ident in ("*", "all", artefact.id)
            and version in ("*", "~", "latest", "+", VERSION)
        )

    wide = references in ("all", "children", "descendants")
    chosen: list = []
    if kind in ("dataflow", "*") and matches(built.dataflow):
        chosen += [built.dataflow] + ([built.dsd, *built.codelists, built.concepts] if wide else [])
    if kind in ("datastructure", "*") and matches(built.dsd):
        chosen += [built.dsd] + ([*built.codelists, built.concepts] if wide else [])
        if references in ("all", "parents", "parentsandsiblings"):
            chosen.append(built.dataflow)
    if kind in ("codelist", "*"):
        chosen += [codelist for codelist in built.codelists if matches(codelist)]
    if kind in ("conceptscheme", "*") and matches(built.concepts):
        chosen.append(built.concepts)
    unique = list({id(artefact): artefact for artefact in chosen}.values())
    if not unique:
        raise ApiError(404, "NoResultsFound", "no structure matches the query")
    return unique


def write_structure(artefacts: list, fmt: str, snapshot: Snapshot) -> str:
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format

    formats = {
        "ml30": Format.STRUCTURE_SDMX_ML_3_0,
        "ml21": Format.STRUCTURE_SDMX_ML_2_1,
        "json": Format.STRUCTURE_SDMX_JSON_2_0_0,
    }
    text = write_sdmx(artefacts, formats[fmt], header=_header(snapshot), prettyprint=False)
    return _without_empty_groups(text) if fmt == "json" else text


def _without_empty_groups(text: str) -> str:
    """pysdmx writes ``"groups": []`` in a DSD's components, which the SDMX-JSON 2.0 schema
    forbids (a list there is non-empty): leave it out, as the schema means."""
    message = json.loads(text)
    for structure in message.get("data", {}).get("dataStructures", []):
        components = structure.get("dataStructureComponents", {})
        if components.get("groups") == []:
            del components["groups"]
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _header(snapshot: Snapshot):
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    return Header(
        id=f"EMIS_{snapshot.release_id.replace('.', '_').replace('-', '_')}",
        prepared=snapshot.published_at,
        sender=Organisation(id=AGENCY),
    )


# --- data -------------------------------------------------------------------------------


def prepare(snapshot: Snapshot) -> None:
    """What a release's first SDMX answers would otherwise wait for: its SDMX-CSV lines, its
    English labels and structures."""
    _csv_lines(snapshot)
    _labels(snapshot, "en")
    structures(snapshot, "en")


def sdmx_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Observations with SDMX component ids as columns: dimensions, OBS_VALUE, attributes."""

    def text(column: str) -> np.ndarray:  # codes are text already: no conversion
        return rows[column].to_numpy(dtype=object, na_value="")

    frame = pd.DataFrame({dim: text(COLUMN[dim]) for dim in DIMENSIONS}, dtype=object)
    frame["OBS_VALUE"] = rows["value"].to_numpy(dtype="float64")
    frame["UNIT_MEASURE"] = text("unit")
    frame["OBS_STATUS"] = text("symbol")
    return frame.reset_index(drop=True)


def write_data(rows: pd.DataFrame, fmt: str, snapshot: Snapshot, obs_dimension: str) -> str:
    if fmt == "csv":
        return data_csv(rows, snapshot)
    frame = sdmx_frame(rows)
    if fmt == "json":
        return data_json(frame, snapshot, obs_dimension)
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset

    built = structures(snapshot, "en")
    dataset = PandasDataset(structure=built.dsd.to_schema(), data=frame)
    target = Format.DATA_SDMX_ML_3_0 if fmt == "ml30" else Format.DATA_SDMX_ML_2_1_STR
    return write_sdmx(
        [dataset],
        target,
        header=_header(snapshot),
        prettyprint=False,
        dimension_at_observation={dataset.short_urn: obs_dimension},
    )


CSV_PREFIX = f"dataflow,{AGENCY}:{DATAFLOW}({VERSION}),I,"
CSV_HEADER = ",".join(["STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMENSIONS, "OBS_VALUE",
                       *ATTRIBUTES])  # fmt: skip


def data_csv(rows: pd.DataFrame, snapshot: Snapshot) -> str:
    """SDMX-CSV 2.0, as the bundle's ``sdmx/observations.sdmx.csv``: each observation's line
    is written once per release (pandas; for a plain table pysdmx's CSV writer gives the same
    text, slower) and an answer joins the lines it selects."""
    lines = _csv_lines(snapshot)
    return "\n".join([CSV_HEADER, *lines[rows.index.to_numpy()]]) + "\n"


_csv_cache: dict[str, np.ndarray] = {}
_csv_lock = threading.Lock()


def _csv_lines(snapshot: Snapshot) -> np.ndarray:
    key = str(snapshot.path)
    with _csv_lock:
        if key not in _csv_cache:
            _csv_cache.clear()  # one release at a time
            frame = sdmx_frame(snapshot.observations)
            text = frame.to_csv(index=False, header=False, lineterminator="\n")
            lines = np.array([CSV_PREFIX + line for line in text.splitlines()], dtype=object)
            assert len(lines) == len(snapshot.observations)
            _csv_cache[key] = lines
        return _csv_cache[key]


def data_json(frame: pd.DataFrame, snapshot: Snapshot, obs_dimension: str) -> str:
    """An SDMX-JSON 2.0 data message: values of each component listed once in the structure,
    observations keyed by their positions (``0:3:1...``); with a dimension at the observation
    level, series keyed by the other dimensions."""
    series_dims = [] if obs_dimension == "AllDimensions" else [
        d for d in DIMENSIONS if d != obs_dimension
    ]  # fmt: skip
    obs_dims = list(DIMENSIONS) if obs_dimension == "AllDimensions" else [obs_dimension]
    positions, values = {}, {}
    for column in (*DIMENSIONS, *ATTRIBUTES):
        codes, found = np.unique(frame[column].to_numpy(dtype=str), return_inverse=True)
        values[column] = list(codes)
        positions[column] = found.astype(str).tolist()

    labels = _labels(snapshot, "en")

    def dimension(ident: str) -> dict:
        return {
            "id": ident,
            "name": _concept_name(ident, "en"),
            "keyPosition": DIMENSIONS.index(ident),
            "values": [{"id": code, "name": labels[ident].get(code, code)}
                       for code in values[ident]],
        }  # fmt: skip

    def attribute(ident: str) -> dict:
        return {
            "id": ident,
            "name": _concept_name(ident, "en"),
            "relationship": {"observation": {}},
            "values": [{"id": code} if code else {"id": ""} for code in values[ident]],
        }

    observation_value = [None if v != v else v for v in frame["OBS_VALUE"].tolist()]  # NaN
    attrs = [positions[a] for a in ATTRIBUTES]
    obs_key = _join(positions, obs_dims)
    body = [
        [value, int(unit), int(status)]
        for value, unit, status in zip(observation_value, *attrs, strict=True)
    ]
    data_set: dict = {"structure": 0, "action": "Information"}
    if series_dims:
        series: dict = {}
        for series_key, key, row in zip(_join(positions, series_dims), obs_key, body, strict=True):
            series.setdefault(series_key, {"observations": {}})["observations"][key] = row
        data_set["series"] = series
    else:
        data_set["observations"] = dict(zip(obs_key, body, strict=True))
    message = {
        "meta": {
            "schema": "https://json.sdmx.org/2.0.0/sdmx-json-data-schema.json",
            "id": f"EMIS_{snapshot.release_id}",
            "prepared": snapshot.published_at.isoformat().replace("+00:00", "Z"),
            "test": False,
            "contentLanguages": ["en"],
            "sender": {"id": AGENCY},
        },
        "data": {
            "structures": [
                {
                    "structure": f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="
                    f"{AGENCY}:{DATAFLOW}({VERSION})",
                    "dimensions": {
                        "dataSet": [],
                        "series": [dimension(d) for d in series_dims],
                        "observation": [dimension(d) for d in obs_dims],
                    },
                    "measures": {"observation": [{"id": "OBS_VALUE", "name": "Value"}]},
                    "attributes": {
                        "dataSet": [],
                        "series": [],
                        "observation": [attribute(a) for a in ATTRIBUTES],
                    },
                }
            ],
            "dataSets": [data_set],
        },
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _join(positions: dict, dimensions: list[str]) -> list[str]:
    if not dimensions:
        return []
    return [":".join(key) for key in zip(*(positions[d] for d in dimensions), strict=True)]


def obs_dimension(raw: str | None) -> str:
    if raw is None or raw == "AllDimensions":
        return "AllDimensions"
    if raw not in DIMENSIONS:
        raise bad_request(
            "bad_dimension_at_observation",
            f"dimensionAtObservation is AllDimensions or one of {', '.join(DIMENSIONS)}",
        )
    return raw
