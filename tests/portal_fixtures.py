"""The portal's test release and accounts, shared by the AppTest and the browser tests.

``portal_home`` is an EMIS_HOME holding one release of the tiny export (generated, ingested,
built) made by :mod:`dashboards.stand_in_release` — the one place to switch to the real
`emis publish` when it lands — plus two planted monitoring issues (one per district: `emis
check` does not run here) and one account per role.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dashboards import auth
from dashboards.stand_in_release import build_release
from emis.settings import load_settings
from ingestion.load import ingest
from ingestion.synthetic.export import generate_export
from warehouse.dbt_runner import run_dbt

OWN_DISTRICT = "41707215"  # Aitmatov district: eight organizations of the tiny export
OTHER_DISTRICT = "41707400"  # Talas city: three
OWN_SCHOOL = "ORG000004"
OTHER_SCHOOL = "ORG000010"  # in the other district
PASSWORD = "correct horse battery staple"
ISSUES = [
    (OWN_SCHOOL, "students", "STU-OWN-1", "missing_birth_date", OWN_DISTRICT, "41707", "warning"),
    (OTHER_SCHOOL, "students", "STU-OTHER-1", "missing_sex", OTHER_DISTRICT, "41707", "blocking"),
]


@dataclass(frozen=True)
class PortalHome:
    home: Path
    release: Path

    @property
    def env(self) -> dict[str, str]:
        return {"EMIS_HOME": str(self.home), "EMIS_WAREHOUSE": str(self.home / "warehouse.duckdb")}


def plant_issues(release: Path) -> None:
    """Write monitoring_issues with one issue in each district (ids only, as the mart)."""
    path = release / "restricted" / "monitoring_issues.parquet"
    with duckdb.connect() as con:
        con.execute(
            "create table issues (organization_id varchar, register varchar, record_id varchar, "
            "rule_id varchar, district_code varchar, oblast_code varchar, severity varchar, "
            "detected_at timestamp)"
        )
        con.executemany(
            "insert into issues values (?, ?, ?, ?, ?, ?, ?, timestamp '2026-01-15 08:00:00')",
            ISSUES,
        )
        con.execute(f"copy issues to '{path}' (format parquet)")


def make_portal_home(root: Path) -> PortalHome:
    home = root / "home"
    settings = load_settings({"EMIS_HOME": str(home)})
    export = generate_export("tiny", 7, 2025, root / "export", progress=False)
    ingest(root / "export", settings)
    result = run_dbt(settings, "build")
    assert result.success, result.error
    del export
    release = build_release(settings.warehouse_path, home, notes="First release (test).")
    plant_issues(release)
    auth.add_user(home, "ministry.user", "ministry", PASSWORD)
    auth.add_user(home, "district.user", "district", PASSWORD, district_code=OWN_DISTRICT)
    auth.add_user(home, "school.user", "school", PASSWORD, organization_id=OWN_SCHOOL)
    return PortalHome(home, release)


@pytest.fixture(scope="session")
def portal_home(tmp_path_factory: pytest.TempPathFactory) -> PortalHome:
    return make_portal_home(tmp_path_factory.mktemp("portal"))
