"""Ratios on population when the year they ask for is not published yet (as at census time):
a real-looking export carrying only last year's estimates builds them on those, says so in
each observation, in `emis check` and in the release, and the next release revises them once
the estimates arrive.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from expectations.population import read_population_warnings
from ingestion.manifest import sha256_of
from tests.integration.conftest import Warehouse, changed_export, edit_csv, make_settings
from warehouse.release.publish import publish

ACCEPT = "synthetic test export: its planted defects are known"
RATIOS = ("ger", "ner", "aner", "preschool_coverage_pct", "out_of_school_rate",
          "gross_intake_last_grade", "gpi_ger")  # fmt: skip


def ratios_of_this_year(warehouse: Warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "select * from marts_open.observations where academic_year = '2025-2026' "
            f"and indicator_id in {RATIOS}"
        ).df()


def population_delta(full_export, folder):
    """A delta export delivering the 2026 population estimates a day after the full export."""
    folder.mkdir()
    rows = pd.read_csv(full_export / "population.csv", dtype=str)
    rows = rows[rows["year"] == "2026"]
    rows.to_csv(folder / "population.csv", index=False, lineterminator="\n")
    manifest = json.loads((full_export / "manifest.json").read_text(encoding="utf-8"))
    manifest |= {
        "kind": "delta",
        "snapshot_date": "2026-01-16",
        "exported_at": "2026-01-16T12:00:00Z",
        "files": {
            "population.csv": {"rows": len(rows), "sha256": sha256_of(folder / "population.csv")}
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_last_years_population_builds_ratios_with_a_footnote_and_a_warning(
    tiny_export, tmp_path, pseudonym_key_file, emis_cli
):
    kept = tiny_export.scalar("select count(*) from population where year <> '2026'")
    without_2026 = changed_export(
        tiny_export,
        tmp_path / "export",
        lambda folder: edit_csv(folder / "population.csv", lambda f: f[f["year"] != "2026"]),
        rows={"population.csv": kept},
    )
    settings = make_settings(
        tmp_path / "home", str(tmp_path / "warehouse.duckdb"), pseudonym_key_file
    )
    warehouse = Warehouse("duckdb", settings)
    warehouse.ingest(without_2026)
    assert emis_cli(warehouse, "build").code == 0

    ratios = ratios_of_this_year(warehouse)
    national = ratios[ratios["geographic_level"] == "national"]
    assert len(national) > 20 and national["value"].notna().all()
    assert (ratios["population_year"] == 2025).all()
    assert set(ratios["footnote"]) == {
        "Population: estimates of 1 January 2025 (those of 1 January 2026 are not loaded yet)."
    }

    checked = emis_cli(warehouse, "check")
    assert "warning: population for 2026 not loaded: ratios use 2025 estimates" in checked.out

    first = publish(settings, ACCEPT)
    with duckdb.connect(str(first.path / "open" / "open.duckdb"), read_only=True) as con:
        notes = con.sql("select * from footnotes where indicator_id = 'ger'").df()
        published = con.sql(
            "select count(*) from observations where indicator_id = 'ger' "
            "and academic_year = '2025-2026' and population_year = 2025 and footnote is not null"
        ).fetchall()[0][0]
    assert published > 0
    assert (
        notes["note_en"].str.startswith("2025-2026: population estimates of 1 January 2025").any()
    )
    assert notes["note_ru"].str.contains("на 1 января 2025 г.").any()
    guidance = (first.path / "open" / "README.md").read_text(encoding="utf-8")
    assert "- 2025-2026: estimates of 1 January 2025 (standing in for 2026)" in guidance

    # The estimates arrive: the next build revises the ratios and the changelog lists them.
    warehouse.ingest(population_delta(tiny_export.path, tmp_path / "delta"))
    assert emis_cli(warehouse, "build").code == 0
    revised = ratios_of_this_year(warehouse)
    assert (revised["population_year"] == 2026).all() and revised["footnote"].isna().all()
    assert read_population_warnings(settings) == []
    second = publish(settings, ACCEPT)
    changes = pd.read_csv(second.path / "changelog.csv", dtype=str)
    changed_ger = changes[
        (changes["indicator_id"] == "ger")
        & (changes["academic_year"] == "2025-2026")
        & (changes["geographic_level"] == "national")
        & (changes["change"] == "changed")
    ]
    assert len(changed_ger) > 0
    # Counts of persons do not depend on population: none is added, removed or given another
    # figure. Their block is controlled again, so a cell may be hidden or shown anew.
    counts = changes[changes["indicator_id"].isin(["learners", "teachers"])]
    assert (counts["change"] == "changed").all()
    before, now = counts["value_before"].astype(float), counts["value_now"].astype(float)
    assert (before.isna() | now.isna() | before.eq(now)).all()
