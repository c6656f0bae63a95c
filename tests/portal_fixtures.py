"""The portal's test release and accounts, shared by the AppTest and the browser tests.

``portal_home`` is an EMIS_HOME holding one real release of the tiny export (seed 7), made by
the real pipeline: generated, ingested, built, checked (`emis check`'s issues are the ones
the restricted pages list) and published by `emis publish`'s function, its blocking issues
accepted as `make demo` does; plus one account per role. Publishing runs the disclosure
audit, so the fixture is made once per session for every test that asks for it: it is
registered in ``tests/conftest.py`` (one fixture definition, whichever folders run).
Heavy imports stay inside :func:`make_portal_home`, so a session without portal tests does
not pay for them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

OWN_DISTRICT = "41707215"  # Aitmatov district: seven organizations of the tiny export
OTHER_DISTRICT = "41707400"  # Talas city: five (one closed)
OWN_SCHOOL = "ORG000004"  # Средняя общеобразовательная школа №2, in OWN_DISTRICT
OTHER_SCHOOL = "ORG000012"  # Университет №1, in OTHER_DISTRICT
PASSWORD = "correct horse battery staple"
ACCEPT_BLOCKING = "synthetic test export"
SEED, YEAR = 7, 2025


@dataclass(frozen=True)
class PortalHome:
    home: Path
    release: Path  # releases/<release_id>, which releases/current points at
    seconds: float = 0.0  # how long making it took

    @property
    def env(self) -> dict[str, str]:
        return {"EMIS_HOME": str(self.home), "EMIS_WAREHOUSE": str(self.home / "warehouse.duckdb")}

    @property
    def release_id(self) -> str:
        return self.release.name

    def issue_records(self, organization_id: str) -> set[str]:
        """Record ids of one organization's issues in the release (monitoring_issues)."""
        path = self.release / "restricted" / "monitoring_issues.parquet"
        with duckdb.connect() as con:
            rows = con.execute(
                "select distinct record_id from read_parquet(?) where organization_id = ?",
                [str(path), organization_id],
            ).fetchall()
        return {row[0] for row in rows}

    def district_issue_records(self, district_code: str) -> set[str]:
        path = self.release / "restricted" / "monitoring_issues.parquet"
        with duckdb.connect() as con:
            rows = con.execute(
                "select distinct record_id from read_parquet(?) where district_code = ?",
                [str(path), district_code],
            ).fetchall()
        return {row[0] for row in rows}

    def only_other_district_records(self) -> set[str]:
        """Issue records of OTHER_SCHOOL that no organization of OWN_DISTRICT shares."""
        return self.issue_records(OTHER_SCHOOL) - self.district_issue_records(OWN_DISTRICT)


def make_portal_home(root: Path) -> PortalHome:
    """Generate, ingest, build, check and publish the tiny export under ``root``/home."""
    from dashboards import auth
    from emis.settings import load_settings
    from expectations.check import check
    from ingestion.load import ingest
    from ingestion.synthetic.export import generate_export
    from warehouse.dbt_runner import build
    from warehouse.release.publish import publish

    started = time.perf_counter()
    home = root / "home"
    settings = load_settings({"EMIS_HOME": str(home)})
    generate_export("tiny", SEED, YEAR, root / "export", progress=False)
    ingest(root / "export", settings)
    result = build(settings)
    assert result.success, result.error
    check(settings)
    release = publish(settings, accept_blocking=ACCEPT_BLOCKING)
    auth.add_user(home, "ministry.user", "ministry", PASSWORD)
    auth.add_user(home, "district.user", "district", PASSWORD, district_code=OWN_DISTRICT)
    auth.add_user(home, "school.user", "school", PASSWORD, organization_id=OWN_SCHOOL)
    made = PortalHome(home, release.path, time.perf_counter() - started)
    # The tests below lean on these: say so plainly if the generator or the rules change.
    assert made.issue_records(OWN_SCHOOL), f"{OWN_SCHOOL} has no issue to list"
    assert made.only_other_district_records(), f"{OTHER_SCHOOL} has no issue of its own"
    return made


@pytest.fixture(scope="session")
def portal_home(tmp_path_factory: pytest.TempPathFactory) -> PortalHome:
    made = make_portal_home(tmp_path_factory.mktemp("portal"))
    print(f"\nportal test release {made.release_id} made in {made.seconds:.0f} s")
    return made
