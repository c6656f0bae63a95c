"""The files of a release.

``open/`` (published): ``open.duckdb`` with the tables, the same tables as Parquet and as CSV
(UTF-8 with a byte-order mark, so Excel opens Cyrillic), the observations as SDMX-CSV 2.0 with
their data structure definition (SDMX-ML 2.1, written and read back with pysdmx), a Frictionless
``datapackage.json``, the data guidance (``README.md``) and the data dictionary (dbt docs).
No row-level data: observations are aggregates after disclosure control, school profiles are
rounded and thresholded.

``restricted/`` (ministry and district staff only): the monitoring marts, the issues of the
latest load (record ids, no names), and the forms' inputs, from which any state form for any
date is filled.

Rows are sorted and files written with fixed settings, so the same warehouse gives the same
Parquet, CSV, SDMX and JSON bytes; only the ``release`` table and ``release.json`` carry the
publication time. (``open.duckdb`` holds the same rows, but DuckDB does not write a file
byte-for-byte the same twice.)
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.dbt_runner import DATA_DICTIONARY
from warehouse.read import BREAKDOWNS
from warehouse.release.cells import ROW_KEY

OBSERVATION_KEY = ROW_KEY  # an observation's key, in publication order
INDICATOR_COLUMNS = (
    "indicator_id", "unit", "is_share", "is_additive", "is_residual", "reference_date_rule",
    "source_code", "name_ky", "name_ru", "name_en", "definition_ky", "definition_ru",
    "definition_en", "formula",
)  # fmt: skip
SDMX_AGENCY = "KG_MOES"
SDMX_DSD = "DSD_EMIS_EDUCATION"


def write_open(folder: Path, disclosure, inputs, record: dict, data_dictionary: Path) -> None:
    """The open bundle; see the module docstring. ``data_dictionary``: the dbt docs page
    (``dbt_runner.generate_data_dictionary``)."""
    folder.mkdir(parents=True)
    tables = open_tables(disclosure, inputs, record)
    # Each file is written on its own, and DuckDB and Arrow write without holding Python's
    # lock: two threads wrote the national bundle's files in 1.2-1.4 s, one in 2.2-2.3 s.
    with ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(_write_database, tables, folder / "open.duckdb"),
            pool.submit(write_sdmx, tables["observations"], folder / "sdmx"),
        ]
        for name, table in sorted(tables.items(), key=lambda item: -len(item[1])):  # largest first
            jobs.append(pool.submit(_write_csv, table, folder / "csv" / f"{name}.csv"))
            jobs.append(pool.submit(_write_parquet, table, folder / "parquet" / f"{name}.parquet"))
        for job in jobs:
            job.result()  # the first failed write raises here
    (folder / "datapackage.json").write_text(
        json.dumps(datapackage(tables, record), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / "README.md").write_text(guidance(tables, record), encoding="utf-8")
    shutil.copyfile(data_dictionary, folder / DATA_DICTIONARY)


def open_tables(disclosure, inputs, record: dict) -> dict[str, pd.DataFrame]:
    observations = disclosure.observations.sort_values(list(OBSERVATION_KEY), kind="stable")
    observations = observations.reset_index(drop=True)
    observations["reference_date"] = pd.to_datetime(observations["reference_date"]).dt.date
    for column in ("numerator", "denominator", "value"):
        observations[column] = pd.to_numeric(observations[column], errors="coerce")
    indicators = inputs.indicators[[c for c in INDICATOR_COLUMNS if c in inputs.indicators]]
    territories = inputs.territories.sort_values("district_code").reset_index(drop=True)
    schools = disclosure.school_profiles.sort_values(
        ["academic_year", "organization_id", "measure", "level", "grade", "sex"], kind="stable"
    ).reset_index(drop=True)
    schools["reference_date"] = pd.to_datetime(schools["reference_date"]).dt.date
    return {
        "observations": observations,
        "indicators": indicators.sort_values("indicator_id").reset_index(drop=True),
        "territories": territories,
        "school_profiles": schools,
        "footnotes": pd.concat(
            [footnotes(inputs.indicators), population_footnotes(observations)], ignore_index=True
        ),
        "isced_mapping": isced_mapping(inputs.isced_mapping),
        "release": pd.DataFrame([_flat(record)]),
    }


def isced_mapping(mapping: pd.DataFrame | None) -> pd.DataFrame:
    """Level and grade codes of the observations with their ISCED 2011 level, sorted."""
    if mapping is None:
        return pd.DataFrame(columns=["level", "grade", "isced_level", "isced_programme"])
    order = mapping.assign(grade_order=pd.to_numeric(mapping["grade"], errors="coerce"))
    order = order.sort_values(["level", "grade_order", "grade"], na_position="last")
    return order.drop(columns="grade_order").reset_index(drop=True)


REFERENCE_DATES = {
    # rule: (en, ru, ky)
    "census_date": ("the census date, 15 September", "дата учёта, 15 сентября",
                    "эсепке алуу күнү, 15-сентябрь"),
    "infrastructure_survey": ("the infrastructure survey of the school year",
                              "обследование инфраструктуры учебного года",
                              "окуу жылынын инфраструктура изилдөөсү"),
    "month": ("each month of the school year", "каждый месяц учебного года",
              "окуу жылынын ар бир айы"),
    "term_end": ("the end of each quarter", "конец каждой четверти", "ар бир чейректин аягы"),
    "year_end": ("the end of the school year", "конец учебного года", "окуу жылынын аягы"),
}  # fmt: skip
SOURCE_WORDS = ("Source", "Источник", "Булагы")
DATE_WORDS = ("Reference date", "Дата отсчёта", "Эсептөө күнү")


def footnotes(indicators: pd.DataFrame) -> pd.DataFrame:
    """One note per indicator in three languages: its reference date and its source."""
    rows = []
    for row in indicators.sort_values("indicator_id").itertuples():
        rule = row.reference_date_rule
        dates = REFERENCE_DATES.get(rule, (rule, rule, rule))
        note = {"indicator_id": row.indicator_id}
        for index, language in enumerate(("en", "ru", "ky")):
            text = f"{DATE_WORDS[index]}: {dates[index]}."
            if isinstance(row.source_code, str) and row.source_code:
                text += f" {SOURCE_WORDS[index]}: {row.source_code}."
            note[f"note_{language}"] = text
        rows.append(note)
    return pd.DataFrame(rows)


POPULATION_WORDS = (
    ("{year}: population estimates of 1 January {used} (those of 1 January {wanted} were not "
     "loaded when the figures were made; they are revised when they are).",
     "{year}: оценки численности населения на 1 января {used} г. (оценки на 1 января {wanted} г. "
     "не были загружены; показатели будут пересчитаны после их загрузки).",
     "{year}: калктын 1-январь {used}-ж. карата баалоосу (1-январь {wanted}-ж. карата баалоо "
     "жүктөлө элек; жүктөлгөндө көрсөткүчтөр кайра эсептелет)."),
    ("{year}: not available, no population estimates are loaded for 1 January {wanted} or an "
     "earlier year.",
     "{year}: нет данных, оценки численности населения на 1 января {wanted} г. или ранее не "
     "загружены.",
     "{year}: маалымат жок, калктын 1-январь {wanted}-ж. же андан мурунку баалоосу жүктөлгөн "
     "эмес."),
)  # fmt: skip


def population_years(observations: pd.DataFrame) -> pd.DataFrame:
    """academic_year, wanted, used: the population estimates the ratios on population use
    (``used`` empty when none is loaded); the definition asks for 1 January of the school
    year's second calendar year."""
    if "population_year" not in observations:
        return pd.DataFrame(columns=["academic_year", "wanted", "used"])
    on_population = observations[observations["indicator_id"].isin(ON_POPULATION)]
    years = on_population.groupby("academic_year", as_index=False)["population_year"].max()
    years["wanted"] = years["academic_year"].str[:4].astype(int) + 1
    return years.rename(columns={"population_year": "used"})[["academic_year", "wanted", "used"]]


ON_POPULATION = ("ger", "ner", "aner", "preschool_coverage_pct", "out_of_school_rate",
                 "gross_intake_last_grade", "gpi_ger")  # fmt: skip


def _population_line(year) -> str:
    if pd.isna(year.used):
        return f"- {year.academic_year}: none loaded (asked for 1 January {year.wanted})"
    stand_in = f" (standing in for {year.wanted})" if int(year.used) < year.wanted else ""
    return f"- {year.academic_year}: estimates of 1 January {int(year.used)}{stand_in}"


def population_footnotes(observations: pd.DataFrame) -> pd.DataFrame:
    """A note in three languages for each ratio on population and academic year whose
    estimates are not those the definition asks for (an earlier year's, or none)."""
    rows = []
    for year in population_years(observations).itertuples():
        if pd.notna(year.used) and int(year.used) >= year.wanted:
            continue
        words = POPULATION_WORDS[0] if pd.notna(year.used) else POPULATION_WORDS[1]
        used = int(year.used) if pd.notna(year.used) else None
        for indicator_id in sorted(ON_POPULATION):
            note = {"indicator_id": indicator_id}
            for language, text in zip(("en", "ru", "ky"), words, strict=True):
                note[f"note_{language}"] = text.format(
                    year=year.academic_year, used=used, wanted=year.wanted
                )
            rows.append(note)
    return pd.DataFrame(rows, columns=["indicator_id", "note_en", "note_ru", "note_ky"])


def write_restricted(folder: Path, inputs, disclosure_record: pd.DataFrame | None = None) -> None:
    """The restricted bundle's tables (its form inputs are written while control runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = dict(inputs.restricted)
    if disclosure_record is not None:  # the amounts behind every suppressed cell
        tables["disclosure"] = disclosure_record
    for name, table in sorted(tables.items()):
        _write_parquet(table.reset_index(drop=True), folder / f"{name}.parquet")


def changelog(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """Observations added, removed or changed (value or symbol) since the previous release."""
    key = list(OBSERVATION_KEY)
    now = current[[*key, "value", "symbol"]].copy()
    now["reference_date"] = pd.to_datetime(now["reference_date"]).dt.date.astype(str)
    if previous is None:
        return now.assign(change="added").iloc[0:0]
    before = previous[[*key, "value", "symbol"]].copy()
    before["reference_date"] = pd.to_datetime(before["reference_date"]).dt.date.astype(str)
    merged = before.merge(now, on=key, how="outer", suffixes=("_before", "_now"), indicator=True)
    changed = (
        merged["_merge"].ne("both")
        | (
            merged["value_before"].ne(merged["value_now"])
            & ~(merged["value_before"].isna() & merged["value_now"].isna())
        )
        | merged["symbol_before"].fillna("").ne(merged["symbol_now"].fillna(""))
    )
    out = merged[changed].copy()
    out["change"] = out.pop("_merge").map(
        {"left_only": "removed", "right_only": "added", "both": "changed"}
    )
    return out.sort_values(key).reset_index(drop=True)


def write_manifest(folder: Path, record: dict, changes: pd.DataFrame) -> None:
    _write_csv(changes, folder / "changelog.csv")
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    manifest = record | {"changes": len(changes), "files": files}
    (folder / "release.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )


# --- SDMX -----------------------------------------------------------------------------------------


def write_sdmx(observations: pd.DataFrame, folder: Path) -> None:
    """SDMX-CSV 2.0 of the observations, and their data structure definition (SDMX-ML 2.1).

    The structure message's header is fixed (id, sender, preparation time), so the same
    structure gives the same bytes."""
    import datetime as dt

    from pysdmx.io import write_sdmx as pysdmx_write
    from pysdmx.io.format import Format
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    folder.mkdir(parents=True)
    dimensions = ["INDICATOR", "ACADEMIC_YEAR", "REF_DATE", "GEO_LEVEL", "REF_AREA",
                  *(name.upper() for name in BREAKDOWNS)]  # fmt: skip
    frame = pd.DataFrame(
        {
            "STRUCTURE": "datastructure",
            "STRUCTURE_ID": f"{SDMX_AGENCY}:{SDMX_DSD}(1.0)",
            "ACTION": "I",
            **dict(
                zip(dimensions, (observations[c].astype(str) for c in OBSERVATION_KEY), strict=True)
            ),
            "OBS_VALUE": observations["value"],
            "UNIT_MEASURE": observations["unit"],
            "OBS_STATUS": observations["symbol"].fillna(""),
        }
    )
    _write_csv(frame, folder / "observations.sdmx.csv", bom=False)
    pysdmx_write(
        [data_structure(dimensions)],
        Format.STRUCTURE_SDMX_ML_2_1,
        output_path=str(folder / "dsd.xml"),
        prettyprint=True,
        header=Header(
            id=f"{SDMX_DSD}_1_0",
            prepared=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),  # the structure's version date
            sender=Organisation(id=SDMX_AGENCY),
        ),
    )


def data_structure(dimensions: list[str]):
    from pysdmx.model import Concept, DataType
    from pysdmx.model.dataflow import Component, Components, DataStructureDefinition, Role

    def component(name: str, role: Role, dtype=DataType.STRING, required=True, level=None):
        return Component(
            id=name, required=required, role=role, local_dtype=dtype,
            concept=Concept(
                id=name,
                name=name.replace("_", " ").title(),
                urn="urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept="
                f"{SDMX_AGENCY}:CS_EMIS(1.0).{name}",
            ),
            attachment_level=level,
        )  # fmt: skip

    return DataStructureDefinition(
        id=SDMX_DSD,
        agency=SDMX_AGENCY,
        version="1.0",
        name="EMIS education indicators of the Kyrgyz Republic",
        components=Components(
            [component(name, Role.DIMENSION) for name in dimensions]
            + [
                component("OBS_VALUE", Role.MEASURE, DataType.DOUBLE, required=False),
                component("UNIT_MEASURE", Role.ATTRIBUTE, level="O"),
                component("OBS_STATUS", Role.ATTRIBUTE, required=False, level="O"),
            ]
        ),
    )


# --- data package and guidance --------------------------------------------------------------------

FRICTIONLESS_TYPES = {"int64": "integer", "Int64": "integer", "float64": "number",
                      "bool": "boolean", "boolean": "boolean"}  # fmt: skip


def datapackage(tables: dict[str, pd.DataFrame], record: dict) -> dict:
    resources = []
    for name, table in tables.items():
        fields = [{"name": column, "type": _field_type(table[column])} for column in table.columns]
        resources.append(
            {
                "name": name,
                "path": f"csv/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": {"fields": fields},
            }
        )
    return {
        "name": "emis-kg-education-statistics",
        "title": "Education statistics of the Kyrgyz Republic (EMIS open data)",
        "version": record["release_id"],
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": resources,
    }


def _field_type(series: pd.Series) -> str:
    if str(series.dtype) in FRICTIONLESS_TYPES:
        return FRICTIONLESS_TYPES[str(series.dtype)]
    sample = series.dropna()
    if len(sample) and all(hasattr(value, "isoformat") for value in sample.head(50)):
        return "date"
    if len(sample) and all(isinstance(value, float | int) for value in sample.head(50)):
        return "number"
    return "string"


def guidance(tables: dict[str, pd.DataFrame], record: dict) -> str:
    from warehouse.release import rules

    lines = [
        f"# EMIS open data: release {record['release_id']}",
        "",
        f"Education statistics of the Kyrgyz Republic from the EMIS registers as of "
        f"{record['snapshot_date']} (academic year {record['academic_year']}). Aggregates "
        "only: every count of persons passed disclosure control before it left the warehouse.",
        "",
        "## Files",
        "",
        "| file | what it holds |",
        "|---|---|",
        "| `open.duckdb` | every table below, to query with DuckDB |",
        "| `parquet/<table>.parquet`, `csv/<table>.csv` | each table (CSV: UTF-8 with BOM) |",
        "| `sdmx/observations.sdmx.csv`, `sdmx/dsd.xml` | the observations as SDMX-CSV 2.0 "
        "and their data structure definition |",
        "| `datapackage.json` | Frictionless data package describing the CSV files |",
        "| `data-dictionary.html` | how each figure is made (dbt docs: models, columns, tests) |",
        "",
        "## Tables",
        "",
    ]
    for name, table in tables.items():
        lines.append(f"- `{name}` ({len(table):,} rows): {', '.join(table.columns)}")
    lines += [
        "",
        "## Symbols",
        "",
        "Where a symbol stands, the value is empty (UK Explore Education Statistics standard):",
        "",
        *(f"- `{symbol}`: {meaning}" for symbol, meaning in rules.SYMBOLS.items()),
        "",
        "## Methodology",
        "",
        "Indicators follow the UNESCO UIS definitions (`indicators`: names, definitions, "
        "formula, reference date rule and source in Kyrgyz, Russian and English). Breakdown "
        "codes follow SDMX: `_T` total, `_Z` not applicable, `_U` unknown; districts add up "
        "to their oblast and oblasts to the republic. Disclosure control: counts of 1-4 "
        f"persons are suppressed (threshold k = {rules.K}); in sensitive tables (repetition, "
        "dropout, disability, failing marks) rates on fewer than "
        f"{rules.SENSITIVE_MIN_DENOMINATOR} persons too; further cells are suppressed so "
        "that none can be recomputed from totals across territories and breakdowns, which "
        "an audit by linear programming verifies before the release is made. Detail is "
        "generalized below the republic: districts publish each breakdown on its own (grades "
        "within their level) and learners' levels by sex, oblasts up to two breakdowns "
        "crossed, the republic every combination. School profiles give counts of persons "
        "rounded to base 5, with 1-4 suppressed.",
        "",
        "ISCED 2011: `isced_mapping` gives the ISCED level and programme of every level and "
        "grade code (`_T` a level's total, `_Z` no grade breakdown, `_U` grade unknown). Join it"
        " to `observations` on (level, grade) to read figures by ISCED level: counts add up "
        "across the national levels of one ISCED level (ISCED 3 = secondary + vocational + "
        "college); for ratios, add up numerators and denominators. It holds no counts: nothing "
        "in it needed disclosure control. Its sources: the seed `isced_levels` in the data "
        "dictionary.",
        "",
        "## Population estimates",
        "",
        "Enrolment ratios, gender parity, preschool coverage, the out-of-school rate and the "
        "gross intake to the last grade divide by the statistics committee's population "
        "estimates of 1 January of the school year's second calendar year; while those are "
        "not loaded, the latest earlier year's stand in (column `population_year`, and a "
        "footnote), and the next release revises the figures (see `changelog.csv`).",
        "",
        *map(_population_line, population_years(tables["observations"]).itertuples()),
        "",
        "## This release",
        "",
        f"- export snapshot date: {record['snapshot_date']}; loads {record['load_ids']}",
        f"- code version: {record['code_version']}",
        f"- disclosure: {json.dumps(record['disclosure'], default=str)}",
    ]
    if record.get("signoff"):
        from signoff.release import quality_statement

        lines.append(quality_statement(record["signoff"]))
    if record.get("blocking_accepted"):
        lines.append(
            f"- published despite blocking quality issues {record['blocking_issues']}: "
            f"{record['blocking_accepted']}"
        )
    return "\n".join(lines) + "\n"


# --- writers --------------------------------------------------------------------------------------


def _write_database(tables: dict[str, pd.DataFrame], path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"create table {name} as select * from incoming")
            con.unregister("incoming")


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pandas(table, preserve_index=False),
        path,
        compression="zstd",
        write_statistics=True,
    )


BOM = "\ufeff".encode()  # Excel reads the file as UTF-8 only after it


def _write_csv(table: pd.DataFrame, path: Path, bom: bool = True) -> None:
    """The table as CSV: UTF-8 with a byte-order mark (unless not ``bom``), a header, quotes
    only where a value needs them, every value as pandas prints it. DuckDB writes it (the
    national school profiles 0.3 s, pandas 1.5 s) when it prints each column as pandas would
    (``_printable``); a table with another column (a timestamp, a float32) is written by
    pandas."""
    path.parent.mkdir(parents=True, exist_ok=True)
    printable = _printable(table)
    if printable is None:
        encoding = "utf-8-sig" if bom else "utf-8"
        table.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
        return
    body = path.with_name(f".{path.name}.body") if bom else path
    with duckdb.connect() as con:
        con.register("incoming", printable)
        con.execute(
            f"copy incoming to '{_quoted(body)}' (header, delimiter ',', quote '\"', escape '\"', "
            "new_line '\\n', comment '')"  # no comment sign: a value with '#' needs no quotes
        )
    if not bom:
        return
    with path.open("wb") as out, body.open("rb") as rows:
        out.write(BOM)
        shutil.copyfileobj(rows, out, 1 << 20)
    body.unlink()


def _printable(table: pd.DataFrame) -> pd.DataFrame | None:
    """``table`` with its columns as DuckDB prints them as pandas does: text (an empty one as
    missing: pandas quotes neither), integers, doubles (both print the shortest repr), and
    booleans and Python objects (dates, mixed values) as their ``str``; None if a column is
    of another type."""
    printable = {}
    for column in table.columns:
        values, kind = table[column], table[column].dtype
        if pd.api.types.is_bool_dtype(kind) or pd.api.types.is_object_dtype(kind):
            printable[column] = values.map(_printed, na_action="ignore").astype("str")
        elif pd.api.types.is_string_dtype(kind):
            printable[column] = values.mask(values.eq(""))
        elif pd.api.types.is_integer_dtype(kind) or kind == "float64":
            printable[column] = values
        else:
            return None
    return pd.DataFrame(printable, index=table.index)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _printed(value) -> str | None:
    text = str(value)
    return text if text else None


def _flat(record: dict) -> dict:
    return {key: json.dumps(value, default=str) if isinstance(value, dict | list) else value
            for key, value in record.items()}  # fmt: skip
