"""Sign-off on a real warehouse and release (a copy of the portal's test home): certificates
are the organization's own forms as `emis report --organization` fills them; publish records
coverage and gates on it; `emis signoff verify` checks a release offline and names the cell a
tampered warehouse changed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.portal_fixtures import OWN_DISTRICT, OWN_SCHOOL, PASSWORD, PortalHome

pytestmark = pytest.mark.slow
EMIS = Path(sys.executable).with_name("emis")


@pytest.fixture(scope="module")
def signed_home(portal_home: PortalHome, tmp_path_factory) -> PortalHome:
    """A copy of the test home where the school head signed and the district countersigned."""
    from dashboards import auth
    from signoff import release as signoff_release
    from signoff import store, workflow

    home = tmp_path_factory.mktemp("signoff") / "home"
    shutil.copytree(portal_home.home, home, symlinks=True)
    school = auth.get_account(home, "school.user")
    district = auth.get_account(home, "district.user")
    ministry = auth.get_account(home, "ministry.user")
    auth.add_user(home, "ministry.keys", "ministry", PASSWORD)
    registrar = auth.get_account(home, "ministry.keys")
    state = signoff_release.read(home / "releases" / "current")
    district_of = {c["organization_id"]: c["district_code"] for c in state.certificates}
    for account, by in ((school, district), (district, ministry), (ministry, registrar)):
        key = workflow.create_key(home, account, PASSWORD)
        workflow.register_key(home, by, key.key_id, district_of)
    own = state.certificate(OWN_SCHOOL)
    notes = {rule: "explained to the district" for rule in own["quality"]["blocking"]}
    workflow.sign_certificate(home, school, PASSWORD, own, notes)
    state = signoff_release.evaluate(home, state.census_date, state.certificates)
    workflow.countersign_district(
        home, district, PASSWORD, OWN_DISTRICT, state.census_date, state.organizations
    )
    assert store.latest_signatures(home, "district", state.census_date)
    return PortalHome(home, (home / "releases" / "current").resolve())


def emis(home: PortalHome, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EMIS), *args], env={"PATH": "/usr/bin:/bin"} | home.env, input=stdin,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_a_certificate_holds_the_organizations_own_forms_as_emis_report_fills_them(
    portal_home: PortalHome,
):
    from emis.settings import load_settings
    from reports.report import build_report
    from signoff import release as signoff_release

    own = signoff_release.read(portal_home.release).certificate(OWN_SCHOOL)
    assert own["census_date"] == "2025-09-15" and list(own["forms"]) == ["osh-1"]
    settings = load_settings(portal_home.env)
    as_of = dt.date.fromisoformat(own["census_date"])
    report = build_report(settings, "osh-1", organization=OWN_SCHOOL, as_of=as_of)
    filled = {f"{s}/{r}/{c}": v for (s, r, c), v in report.values.items() if v not in (None, 0)}
    assert own["forms"]["osh-1"]["cells"] == filled
    text = json.dumps(own, ensure_ascii=False)
    assert "STU" not in text and "name" not in text  # ids of organizations and rules only


def test_every_certificate_holds_each_form_as_emis_report_fills_it(portal_home: PortalHome):
    """Forms of several sectors read their facts once for all those sectors (vocational,
    college, higher): each organization's certificate still has its own forms' figures."""
    from emis.settings import load_settings
    from reports.report import build_report
    from signoff import release as signoff_release

    settings = load_settings(portal_home.env)
    certificates = signoff_release.read(portal_home.release).certificates
    forms_seen = set()
    for certificate in certificates:
        as_of = dt.date.fromisoformat(certificate["census_date"])
        for form_id, form in certificate["forms"].items():
            report = build_report(
                settings, form_id, organization=certificate["organization_id"], as_of=as_of
            )
            filled = {
                f"{s}/{r}/{c}": v for (s, r, c), v in report.values.items() if v not in (None, 0)
            }
            assert form["cells"] == filled, (certificate["organization_id"], form_id)
            forms_seen.add(form_id)
    assert {"85-k", "2-nk", "3-nk"} & forms_seen, forms_seen  # the shared read is exercised


def test_publish_records_coverage_and_ships_signatures_that_verify_offline(signed_home):
    published = emis(signed_home, "publish", "--accept-blocking", "synthetic test export")
    assert published.returncode == 0, published.stderr
    release = (signed_home.home / "releases" / "current").resolve()
    record = json.loads((release / "release.json").read_text())
    coverage = record["signoff"]
    assert coverage["certified"] == 1 and coverage["districts_countersigned"] == 1
    own = next(d for d in coverage["by_district"] if d["district_code"] == OWN_DISTRICT)
    assert own["certified"] == 1 and 0 < own["share_learners"] < 1
    readme = (release / "open" / "README.md").read_text()
    assert f"1 of {coverage['organizations']} organizations" in readme
    shipped = (release / "restricted" / "signoff.json").read_text()
    assert "school.user" not in shipped and "district.user" not in shipped  # key ids, no names
    verified = emis(signed_home, "signoff", "verify", str(release))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"VALID   organization {OWN_SCHOOL}" in verified.stdout
    assert f"VALID   district {OWN_DISTRICT}" in verified.stdout

    # A certificate edited inside the release: its hash and the signature no longer match.
    table = release / "restricted" / "signoff_certificates.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (case when organization_id = '{OWN_SCHOOL}' then "
            "replace(certificate, '\"learners\":', '\"learners\":1') else certificate end "
            f"as certificate) from read_parquet('{table}')) to '{table}.new' (format parquet)"
        )
    Path(f"{table}.new").replace(table)
    tampered = emis(signed_home, "signoff", "verify", str(release))
    assert tampered.returncode == 1
    assert f"INVALID certificate {OWN_SCHOOL}: stored hash is not its content's" in tampered.stdout


def test_publish_refuses_below_the_threshold_unless_accepted_with_a_reason(signed_home):
    from signoff import store

    store.set_threshold(signed_home.home, 0.5, "ministry.user")
    before = (signed_home.home / "releases" / "current").resolve()
    refused = emis(signed_home, "publish", "--accept-blocking", "synthetic test export")
    assert refused.returncode == 2
    assert "below the threshold 50%" in refused.stderr and "--accept-uncertified" in refused.stderr
    assert (signed_home.home / "releases" / "current").resolve() == before
    accepted = emis(signed_home, "publish", "--accept-blocking", "synthetic test export",
                    "--accept-uncertified", "first census with digital signatures")  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    record = json.loads(((signed_home.home / "releases" / "current") / "release.json").read_text())
    assert record["signoff"]["accepted"] == "first census with digital signatures"
    store.set_threshold(signed_home.home, 0.0, "ministry.user")


def test_a_learner_changed_after_signing_invalidates_and_the_cell_is_named(signed_home):
    warehouse = signed_home.home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        [(student,)] = con.execute(
            "select student_id from staging.stg_emis__enrolment_events group by student_id "
            f"having bool_and(organization_id = '{OWN_SCHOOL}') "
            "and max(event_date) <= date '2025-09-01' order by student_id limit 1"
        ).fetchall()
        con.execute(
            "update snapshots.snp_emis__students set sex = case sex when 'F' then 'M' else 'F' "
            "end where student_id = ?",
            [student],
        )
    result = emis(signed_home, "signoff", "verify")
    assert result.returncode == 1
    assert f"INVALID organization {OWN_SCHOOL}: changed" in result.stdout
    assert "ОШ-1 section" in result.stdout and " -> " in result.stdout
    assert f"INVALID district {OWN_DISTRICT}: changed" in result.stdout
