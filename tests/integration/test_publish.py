"""`emis publish` on the tiny export: the gates, the bundles and their guarantees.

One warehouse per engine is built and checked once; the releases made from it are shared by
the tests, which only read them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from emis.settings import load_settings
from expectations.check import check
from ingestion.contract import TABLES
from ingestion.load import ingest
from tests.integration.test_delta import same_tables
from tests.postgres import create_database, drop_database
from warehouse.dbt_runner import DATA_DICTIONARY, build
from warehouse.release import profiles, rules
from warehouse.release import publish as publish_module
from warehouse.release.audit import audit
from warehouse.release.cells import build_cells, sort_observations, territory_parents
from warehouse.release.publish import (
    CURRENT,
    PublishRefusedError,
    control,
    current_release,
    previous_release,
    publish,
    read_inputs,
)
from warehouse.release.reader import FORM_INPUTS, FORM_INPUTS_BASIS
from warehouse.release.suppression import primary

ACCEPT = "synthetic test export: its planted defects are known"
PERSONAL = {column.name for table in TABLES for column in table.columns if column.personal}
OPEN_TABLES = {"observations", "indicators", "territories", "school_profiles", "footnotes",
               "isced_mapping", "release"}  # fmt: skip


def _types(parquet_file) -> dict[str, str]:
    return {field.name: str(field.type) for field in pq.read_schema(parquet_file)}


def prepared(export_path, home, warehouse: str | None = None):
    environ = {"EMIS_HOME": str(home)} | ({"EMIS_WAREHOUSE": warehouse} if warehouse else {})
    settings = load_settings(environ)
    ingest(export_path, settings)
    assert build(settings).success
    check(settings)
    return settings


@pytest.fixture(scope="module")
def released(tiny_export, tmp_path_factory):
    """A DuckDB warehouse of the tiny export, refused once, then published twice."""
    settings = prepared(tiny_export.path, tmp_path_factory.mktemp("publish"))
    with pytest.raises(PublishRefusedError) as refused:
        publish(settings)
    first = publish(settings, ACCEPT)
    second = publish(settings, ACCEPT)
    return settings, str(refused.value), first, second


def test_blocking_issues_refuse_a_release_naming_rule_and_records(released):
    _, refused, first, _ = released
    assert "blocking quality issues" in refused and "records" in refused
    assert "learner_enrolled_twice" in refused
    record = pd.read_json(first.path / "release.json", typ="series")
    assert record["blocking_accepted"] == ACCEPT


def test_a_release_carries_the_form_inputs_of_the_release_before(released):
    """No load since the first release: the second carries its form inputs, the latest load
    written again, and records the same basis (the build and the dbt project)."""
    _, _, first, second = released
    assert first.summary["form_inputs"] == "form inputs copied from the warehouse"
    assert second.summary["form_inputs"] == (
        f"form inputs carried from release {first.release_id}: no load since (1 rows)"
    )
    bases = [
        json.loads((r.path / "restricted" / FORM_INPUTS_BASIS).read_text()) for r in (first, second)
    ]
    assert bases[0] == bases[1] and bases[0]["built_through_load_id"] == 1
    assert same_tables(
        first.path / "restricted" / FORM_INPUTS, second.path / "restricted" / FORM_INPUTS
    )


def test_the_open_bundle_holds_every_table_in_every_format(released):
    _, _, first, _ = released
    folder = first.path / "open"
    with duckdb.connect(str(folder / "open.duckdb"), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
        symbols = dict(
            con.execute(
                "select coalesce(symbol, ''), count(*) from observations group by 1"
            ).fetchall()
        )
        hidden = con.execute(
            "select count(*) from observations where symbol is not null and value is not null"
        ).fetchall()[0][0]
    assert tables == OPEN_TABLES
    assert symbols.get("c", 0) > 0 and symbols.get("", 0) > 0
    assert hidden == 0  # the value is empty wherever a symbol stands
    for name in OPEN_TABLES:
        assert (folder / "parquet" / f"{name}.parquet").exists()
        assert (folder / "csv" / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for name in ("README.md", "datapackage.json", "data-dictionary.html", "sdmx/dsd.xml"):
        assert (folder / name).stat().st_size > 0, name


def test_the_isced_mapping_reads_every_published_figure_by_isced_level(released):
    """The open bundle's isced_mapping (a classifier, no counts) maps every level and grade
    code of the published observations; summed through it, learners by ISCED level equal
    the learners of the levels it names (the documented join)."""
    _, _, first, _ = released
    parquet = first.path / "open" / "parquet"
    mapping = pd.read_parquet(parquet / "isced_mapping.parquet")
    observations = pd.read_parquet(parquet / "observations.parquet")
    assert not {"numerator", "denominator", "value"} & set(mapping.columns)
    codes = observations.loc[~observations["level"].isin(["_T", "_Z"]), ["level", "grade"]]
    joined = codes.drop_duplicates().merge(mapping, on=["level", "grade"], how="left")
    assert joined["isced_level"].notna().all() or set(
        joined.loc[joined["isced_level"].isna(), "level"]
    ) <= {"out_of_school"}
    learners = observations.query(
        "indicator_id == 'learners' and geographic_level == 'national' and grade == '_T' "
        "and sex == '_T' and locality == '_T' and ownership == '_T' and disability == '_T' "
        "and language == '_T' and level not in ('_T', '_Z')"
    ).merge(mapping, on=["level", "grade"])
    by_isced = learners.groupby("isced_level")["value"].sum()
    assert by_isced["1"] == learners.loc[learners["level"].eq("primary"), "value"].sum() > 0
    assert (
        by_isced["3"]
        == learners.loc[
            learners["level"].isin(["secondary", "vocational", "college"]), "value"
        ].sum()
    )


def test_no_small_count_of_persons_is_published(released):
    _, _, first, _ = released
    observations = pd.read_parquet(first.path / "open" / "parquet" / "observations.parquet")
    counts = observations[observations["unit"].eq("count") & observations["symbol"].isna()]
    persons = counts[~counts["indicator_id"].eq("organizations")]
    small = persons[(persons["value"] > 0) & (persons["value"] < 5)]
    assert small.empty, small.head()
    schools = pd.read_parquet(first.path / "open" / "parquet" / "school_profiles.parquet")
    people = schools[schools["measure"].isin(["learners", "teachers"])]
    assert (people["value"].dropna() % 5 == 0).all()


def test_no_personal_column_in_either_bundle(released):
    _, _, first, _ = released
    for path in [*first.path.rglob("*.parquet"), *first.path.rglob("*.duckdb")]:
        if path.suffix == ".parquet":
            columns = set(pd.read_parquet(path).columns)
        else:
            with duckdb.connect(str(path), read_only=True) as con:
                columns = {
                    row[0]
                    for row in con.execute(
                        "select column_name from duckdb_columns() where not internal"
                    ).fetchall()
                }
        assert not columns & PERSONAL, (path, columns & PERSONAL)
        assert not any("pin" in column for column in columns), path


def test_the_data_package_validates_and_sdmx_reads_back(released):
    from frictionless import validate
    from pysdmx.io import get_datasets

    _, _, first, _ = released
    folder = first.path / "open"
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    datasets = get_datasets(str(folder / "sdmx" / "observations.sdmx.csv"),
                            str(folder / "sdmx" / "dsd.xml"))  # fmt: skip
    observations = pd.read_parquet(folder / "parquet" / "observations.parquet")
    assert len(datasets) == 1 and len(datasets[0].data) == len(observations)


def digests(release) -> dict[str, str]:
    return {
        str(path.relative_to(release.path)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in release.path.rglob("*")
        if path.is_file() and path.suffix in (".parquet", ".csv", ".json", ".xml", ".md")
    }


def test_the_same_warehouse_gives_the_same_bytes_but_the_release_record(released, tmp_path):
    settings, _, first, _ = released
    elsewhere = load_settings(
        {"EMIS_HOME": str(tmp_path / "home"), "EMIS_WAREHOUSE": str(settings.warehouse_path)}
    )
    again = publish(elsewhere, ACCEPT)
    before, after = digests(first), digests(again)
    assert before.keys() == after.keys()
    differing = {name for name in before if before[name] != after[name]}
    # the publication time: in the record, and in the guidance if the release ids differ
    assert "release.json" in differing
    assert differing <= {
        "release.json",
        "open/parquet/release.parquet",
        "open/csv/release.csv",
        "open/README.md",
    }


def test_a_second_release_becomes_current_with_its_changelog(released):
    settings, _, first, second = released
    assert second.release_id != first.release_id
    assert current_release(settings) == second.path.resolve()
    assert (settings.home / "releases" / CURRENT).is_symlink()
    changes = pd.read_csv(second.path / "changelog.csv", encoding="utf-8-sig")
    before = pd.read_parquet(first.path / "open" / "parquet" / "observations.parquet")
    after = pd.read_parquet(second.path / "open" / "parquet" / "observations.parquet")
    differing = (before["symbol"].fillna("") != after["symbol"].fillna("")).sum()
    assert len(changes) >= differing
    assert set(changes["change"]) <= {"added", "removed", "changed"}


def test_an_unchanged_warehouse_keeps_every_block_of_the_previous_release(released):
    _, _, first, second = released
    before, after = first.summary["disclosure"], second.summary["disclosure"]
    assert before["blocks_kept"] == 0 and before["blocks_controlled"] > 1
    assert after["blocks_controlled"] == 0 and after["blocks_kept"] == before["blocks_controlled"]
    assert after["kept_from"] == first.release_id
    symbols = [
        pd.read_parquet(release.path / "open" / "parquet" / "observations.parquet")["symbol"]
        for release in (first, second)
    ]
    assert symbols[0].fillna("").equals(symbols[1].fillna(""))


def test_an_unchanged_warehouse_carries_the_certificates_of_the_previous_release(released):
    _, _, first, second = released
    shipped = [
        json.loads((release.path / "restricted" / "signoff.json").read_text(encoding="utf-8"))
        for release in (first, second)
    ]
    assert shipped[0]["recomputed_because"] == "no earlier certificates"
    assert shipped[1]["recomputed_because"] is None
    assert shipped[0]["basis"] == shipped[1]["basis"]
    certificates = [
        pd.read_parquet(release.path / "restricted" / "signoff_certificates.parquet")
        for release in (first, second)
    ]
    assert len(certificates[0]) and certificates[0].equals(certificates[1])


def published_audit(record: pd.DataFrame, inputs):
    """The attacker's audit of what a release shows (its disclosure record: amounts and
    suppression per row, and the school profiles' rounded counts): a quantity is hidden where
    every row holding it is; every primary one must be at least K wide."""
    observations = sort_observations(record)
    districts = dict(
        zip(inputs.territories["district_code"], inputs.territories["oblast_code"], strict=True)
    )
    parents = territory_parents(observations["territory_code"], districts)
    bounds = profiles.bounds(inputs.school_profiles, observations)
    cells = build_cells(observations, inputs.indicators, parents, bounds)
    parts = cells.cells[cells.cells["row"] < len(observations)]
    row_hidden = observations["hidden"].to_numpy()[parts["row"].to_numpy()]
    hidden = np.zeros(len(cells.quantities), dtype=bool)
    by_quantity = pd.Series(row_hidden).groupby(parts["quantity"].to_numpy()).all()
    hidden[by_quantity.index.to_numpy()] = by_quantity.to_numpy()
    return audit(cells, hidden, gated=primary(observations, cells))


def test_a_changed_block_is_controlled_again_and_the_whole_release_passes_the_audit(released):
    settings, _, first, _ = released
    inputs = read_inputs(settings)
    frame = inputs.observations
    # One block changes: its largest indicator loses its rows.
    dates = frame.groupby("reference_date")["indicator_id"].count()
    date = dates.idxmax()
    dropped = frame[frame["reference_date"] == date]["indicator_id"].value_counts().index[0]
    inputs.observations = frame[
        ~((frame["reference_date"] == date) & (frame["indicator_id"] == dropped))
    ].reset_index(drop=True)
    previous = previous_release(first.path)
    disclosure = control(inputs, previous)
    summary = disclosure.summary
    assert summary["blocks_controlled"] == 1 and summary["kept_from"] == first.release_id
    assert summary["blocks_kept"] == first.summary["disclosure"]["blocks_controlled"] - 1
    assert disclosure.audit_passed
    kept = pd.to_datetime(disclosure.observations["reference_date"]) != pd.Timestamp(date)
    key = ["indicator_id", "reference_date", "geographic_level", "territory_code",
           "sex", "level", "grade", "locality", "ownership", "language", "org_type",
           "disability", "setting", "subject"]  # fmt: skip
    now = disclosure.observations[kept]
    before = previous.observations.assign(
        reference_date=pd.to_datetime(previous.observations["reference_date"])
    )
    merged = now.assign(reference_date=pd.to_datetime(now["reference_date"])).merge(
        before, on=key, suffixes=("", "_before"), validate="1:1"
    )
    assert len(merged) == len(now)
    assert merged["symbol"].fillna("").equals(merged["symbol_before"].fillna(""))
    assert disclosure.record["hidden"].eq(disclosure.observations["symbol"].eq("c")).all()
    result = published_audit(disclosure.record, inputs)
    assert result.passed and result.summary()["min_width"] >= rules.K


def test_blocks_controlled_side_by_side_equal_blocks_controlled_one_by_one(released):
    settings, _, _, _ = released
    inputs = read_inputs(settings)
    alone, side_by_side = (control(inputs, None, workers=n) for n in (1, 2))
    assert alone.summary["blocks_controlled"] > 1
    assert alone.record.equals(side_by_side.record)
    assert alone.record["hidden"].any() and side_by_side.audit_passed


def test_a_release_made_by_another_disclosure_method_is_not_reused(released, tmp_path):
    import json
    import shutil

    _, _, first, _ = released
    assert previous_release(first.path).disclosure is not None
    copy = tmp_path / first.release_id
    shutil.copytree(first.path, copy)
    record = json.loads((copy / "release.json").read_text())
    record["disclosure"]["method"] = "an older method"
    (copy / "release.json").write_text(json.dumps(record))
    assert previous_release(copy).disclosure is None


def test_a_refused_release_leaves_the_current_one(released):
    settings, _, _, second = released
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "insert into quality.dq_issues select load_id, 'ORG000001', 'students', 'X', "
            "'planted_for_the_test', 'blocking', now() from meta.latest_load"
        )
    try:
        with pytest.raises(PublishRefusedError, match="planted_for_the_test"):
            publish(settings)
        assert current_release(settings) == second.path.resolve()
    finally:
        with duckdb.connect(str(settings.warehouse_path)) as con:
            con.execute("delete from quality.dq_issues where rule = 'planted_for_the_test'")


def _hidden(settings) -> list[str]:
    """Entries of the releases folder a publish should not leave behind (half-made releases)."""
    return [p.name for p in current_release(settings).parent.iterdir() if p.name.startswith(".")]


def test_a_failure_while_the_form_inputs_are_written_leaves_no_half_release(released, monkeypatch):
    """The form inputs are written alongside the bundles: a failure of the bundles waits for
    them to stop before the half-made release is removed."""
    settings, _, _, second = released
    writing = threading.Event()
    real = publish_module._form_inputs

    def slow_form_inputs(settings, folder, earlier):
        writing.set()
        time.sleep(1)
        folder.mkdir(parents=True, exist_ok=True)  # removed too early, it would be back
        return real(settings, folder, earlier)

    def failing_open_bundle(*arguments, **keywords):
        assert writing.wait(60)
        raise OSError("no space left on device (planted for the test)")

    monkeypatch.setattr(publish_module, "_form_inputs", slow_form_inputs)
    monkeypatch.setattr(publish_module.bundle, "write_open", failing_open_bundle)
    with pytest.raises(OSError, match="planted for the test"):
        publish(settings, ACCEPT)
    assert current_release(settings) == second.path.resolve()
    assert _hidden(settings) == []


def test_failing_form_inputs_refuse_the_release(released, monkeypatch):
    settings, _, _, second = released

    def failing_form_inputs(*arguments):
        raise OSError("the warehouse could not be read (planted for the test)")

    monkeypatch.setattr(publish_module, "_form_inputs", failing_form_inputs)
    with pytest.raises(OSError, match="planted for the test"):
        publish(settings, ACCEPT)
    assert current_release(settings) == second.path.resolve()
    assert _hidden(settings) == []


def test_a_data_dictionary_made_anew_does_not_meet_the_form_inputs_reading(released, monkeypatch):
    """dbt opens the warehouse for writing to make the data dictionary, which DuckDB refuses
    while the same process has it attached: the page is made before the reading thread
    starts. (Last: it makes the current release.)"""
    settings, _, _, second = released
    real = publish_module._form_inputs

    def attached_a_while(settings, folder, earlier):
        with duckdb.connect() as con:
            con.execute(f"attach '{settings.warehouse_path}' as warehouse (read_only)")
            time.sleep(2)
        return real(settings, folder, earlier)

    monkeypatch.setattr(publish_module, "_form_inputs", attached_a_while)
    (settings.home / "docs" / f"{DATA_DICTIONARY}.inputs").unlink()  # made anew by dbt
    release = publish(settings, ACCEPT)
    assert current_release(settings) == release.path.resolve() != second.path.resolve()
    page = (release.path / "open" / DATA_DICTIONARY).read_text(encoding="utf-8")
    assert "observations" in page


@pytest.mark.postgres
def test_publish_from_postgres(tiny_export, tmp_path_factory, pg_server, released):
    name = f"emis_publish_{uuid.uuid4().hex[:8]}"
    dsn = create_database(pg_server, name)
    try:
        settings = prepared(tiny_export.path, tmp_path_factory.mktemp("publish-pg"), dsn)
        release = publish(settings, ACCEPT)
        observations = pd.read_parquet(release.path / "open" / "parquet" / "observations.parquet")
        assert observations["symbol"].eq("c").any()
        assert (release.path / "restricted" / "form_inputs.duckdb").exists()
        # the same export gives files of the same columns and types on either engine, the
        # restricted ones too (their dates were timestamps from DuckDB, dates from PostgreSQL)
        from_duckdb = released[2].path
        restricted = sorted((from_duckdb / "restricted").glob("*.parquet"))
        files = [f"open/parquet/{table}.parquet" for table in sorted(OPEN_TABLES)] + [
            f"restricted/{path.name}" for path in restricted
        ]
        for file in files:
            assert _types(release.path / file) == _types(from_duckdb / file), file
        # the unchanged warehouse published again changes nothing (its decimals read as
        # floats: as Decimal objects, every one compared unequal to the release before)
        again = publish(settings, ACCEPT)
        changes = pd.read_csv(again.path / "changelog.csv", encoding="utf-8-sig")
        assert again.summary["changes"] == len(changes) == 0
    finally:
        drop_database(pg_server, name)
