"""A release of the tiny export seen as an attacker sees it: no personal value anywhere in
either bundle, and the published files hide exactly what the audit took as hidden, so the
attacker's programs over the files leave every suppressed part at least K wide."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from emis.settings import load_settings
from expectations.check import check
from ingestion.contract import TABLES
from ingestion.load import ingest
from warehouse.dbt_runner import build
from warehouse.read import frame
from warehouse.release import profiles, rules
from warehouse.release.audit import audit
from warehouse.release.bundle import OBSERVATION_KEY
from warehouse.release.cells import build_cells, sort_observations, territory_parents
from warehouse.release.publish import publish
from warehouse.release.suppression import primary, published_detail

ACCEPT = "synthetic test export: its planted defects are known"
PIN = re.compile(r"^\d{14}$")


@pytest.fixture(scope="module")
def release(tiny_export, tmp_path_factory):
    environ = {"EMIS_HOME": str(tmp_path_factory.mktemp("release-disclosure"))}
    settings = load_settings(environ)
    ingest(tiny_export.path, settings)
    assert build(settings).success
    check(settings)
    return settings, publish(settings, ACCEPT)


def personal_values(export) -> set[str]:
    """Every value of a personal column in the export's person registers."""
    values = set()
    for table in TABLES:
        personal = [column.name for column in table.columns if column.personal]
        if not personal:
            continue
        found = export.sql(f"select {', '.join(personal)} from {table.name}")
        for column in personal:
            values |= {str(v) for v in found[column].dropna() if str(v).strip()}
    return values


def bundle_tables(root) -> dict[str, pd.DataFrame]:
    """Every table of every Parquet and DuckDB file under ``root``."""
    found = {}
    for path in root.rglob("*.parquet"):
        found[str(path.relative_to(root))] = pd.read_parquet(path)
    for path in root.rglob("*.duckdb"):
        with duckdb.connect(str(path), read_only=True) as con:
            names = con.execute(
                "select schema_name, table_name from duckdb_tables() order by 1, 2"
            ).fetchall()
            for schema, name in names:
                found[f"{path.relative_to(root)}:{schema}.{name}"] = con.execute(
                    f'select * from "{schema}"."{name}"'
                ).df()
    return found


def test_no_personal_value_in_either_bundle(release, tiny_export):
    _, made = release
    personal = personal_values(tiny_export)
    assert len(personal) > 1000  # names, documents, phones, addresses, PINs of the export
    tables = bundle_tables(made.path)
    assert any(name.startswith("open/") for name in tables)
    assert any(name.startswith("restricted/") for name in tables)
    for name, table in tables.items():
        for column in table.columns:
            values = table[column].dropna()
            if values.empty or not (
                pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)
            ):
                continue
            text = set(values.astype(str))
            assert not text & personal, (name, column, sorted(text & personal)[:3])
            assert not any(PIN.match(value) for value in text), (name, column)


def test_the_files_hide_what_the_audit_took_as_hidden(release):
    settings, made = release
    warehouse = frame(settings, "select * from marts_open.observations")
    observations = sort_observations(warehouse[published_detail(warehouse)])
    shown = pd.read_parquet(made.path / "open" / "parquet" / "observations.parquet")
    key = list(OBSERVATION_KEY)
    for table in (observations, shown):
        table["reference_date"] = pd.to_datetime(table["reference_date"]).dt.strftime("%Y-%m-%d")
    joined = observations[key].merge(shown, on=key, how="left", validate="one_to_one")
    assert len(joined) == len(shown) == len(observations)  # the same rows, nothing more
    territories = frame(settings, "select * from reference.territories")
    parents = territory_parents(
        observations["territory_code"],
        dict(zip(territories["district_code"], territories["oblast_code"], strict=True)),
    )
    indicators = frame(settings, "select * from reference.indicators")
    for column in ("is_share", "is_additive"):
        indicators[column] = indicators[column].astype(str).str.lower().eq("true")
    # The attacker also reads the school profiles: their rounded counts bound district cells.
    schools = frame(settings, "select * from marts_open.school_profiles")
    bounds = profiles.bounds(schools, observations)
    assert len(bounds)
    cells = build_cells(observations, indicators, parents, bounds)
    # A protected part the files leave empty is hidden, unless another row shows it.
    empty = np.zeros(len(cells.quantities), dtype=bool)
    seen = np.zeros(len(cells.quantities), dtype=bool)
    for measure in rules.MEASURES:
        part = cells.cells[
            (cells.cells["measure"] == measure) & (cells.cells["row"] < len(observations))
        ]
        blank = joined[measure].isna().to_numpy()[part["row"].to_numpy()]
        empty[part["quantity"].to_numpy()[blank]] = True
        seen[part["quantity"].to_numpy()[~blank]] = True
    hidden = empty & ~seen
    amounts = cells.quantities["amount"].to_numpy()
    counts = cells.quantities["integer"].to_numpy() & ~cells.quantities["virtual"].to_numpy()
    small = counts & (np.abs(amounts) > 0) & (np.abs(amounts) < rules.K)
    assert hidden[small].all()  # no count of 1-4 persons shown anywhere
    first = primary(observations, cells)
    assert hidden[first].all()  # nor any part with 1-4 persons behind it
    result = audit(cells, hidden, gated=first)
    assert result.passed, result.failing.head()
    assert len(result.recovered) == 0  # nothing hidden that the attacker gets back
    record = pd.read_json(made.path / "release.json", typ="series")
    assert record["disclosure"]["audit"]["failing"] == 0
