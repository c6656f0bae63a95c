"""Register histories across loads (models/snapshots): two exports a month apart, where one
organization changed and one class was dropped, give versions dated by the exports' snapshot
dates, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from tests.integration.conftest import changed_export, edit_csv, edit_manifest
from warehouse.dbt_runner import run_dbt

FIRST_SNAPSHOT = dt.date(2026, 1, 15)
SECOND_SNAPSHOT = dt.date(2026, 2, 15)


def next_month(folder) -> None:
    """The organization of row 1 moved to municipal ownership; the last class was removed."""

    def change_ownership(frame):
        frame.loc[0, "ownership"] = "private" if frame.loc[0, "ownership"] != "private" else "state"

    edit_csv(folder / "organizations.csv", change_ownership)
    edit_csv(folder / "classes.csv", lambda frame: frame.iloc[:-1])
    edit_manifest(folder, lambda manifest: manifest.update(snapshot_date=str(SECOND_SNAPSHOT)))


def test_history_dates_each_version_by_the_exports(warehouse, tiny_export, tmp_path):
    changed_org = tiny_export.column("select org_id from organizations limit 1")[0]
    dropped_class = tiny_export.column("select class_id from classes")[-1]
    warehouse.ingest(tiny_export.path)
    rows = {"classes.csv": tiny_export.scalar("select count(*) from classes") - 1}
    warehouse.ingest(changed_export(tiny_export, tmp_path / "later", next_month, rows=rows))

    result = run_dbt(warehouse.settings, "build", "--select", "path:models/snapshots")
    assert result.success, result.error

    versions = warehouse.rows(
        "select ownership, version_number, valid_from_date, valid_to_date "
        f"from snapshots.snp_emis__organizations where org_id = '{changed_org}' "
        "order by version_number"
    )
    assert [(number, start, end) for _, number, start, end in versions] == [
        (1, FIRST_SNAPSHOT, SECOND_SNAPSHOT),
        (2, SECOND_SNAPSHOT, None),
    ]
    assert versions[0][0] != versions[1][0]
    assert warehouse.rows(
        "select version_number, valid_from_date, valid_to_date from snapshots.snp_emis__classes "
        f"where class_id = '{dropped_class}'"
    ) == [(1, FIRST_SNAPSHOT, SECOND_SNAPSHOT)]
    unchanged = warehouse.scalar(
        "select count(*) from snapshots.snp_emis__students "
        "where version_number = 1 and valid_to_date is null"
    )
    assert unchanged == warehouse.scalar("select count(*) from raw.students where load_id = 2")
