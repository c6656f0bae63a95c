"""Bad input from the OpenEMIS database (issue 14, point 6): each case gets a clear message,
and either goes on to the warehouse's own checks (rows kept, flagged or quarantined there) or
stops the extraction with ``--out`` untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from emis.cli import main as cli_main
from ingestion.openemis import extract as extract_module
from ingestion.openemis.extract import extract
from ingestion.openemis.mapping import DEFAULT_MAPPING, UnmappedCodeError, load_mapping
from ingestion.openemis.source import SourceError, parse_dsn
from tests.integration.conftest import Warehouses
from tests.integration.test_openemis import new_database
from tests.mariadb import ThrowawayMariaDB

pytestmark = pytest.mark.mariadb


def execute(server, dsn: str, *statements: str) -> None:
    conn = server.connect(database=parse_dsn(dsn).database)
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def bad_database(mariadb_server, tiny_export):
    """The tiny export's database with one of each bad row."""
    dsn, _ = new_database(mariadb_server, tiny_export.path)
    current = "(SELECT id FROM student_statuses WHERE code = 'CURRENT')"
    execute(
        mariadb_server,
        dsn,
        # a stint that ends before it starts
        "UPDATE institution_students SET end_date = start_date - INTERVAL 10 DAY, "
        "student_status_id = (SELECT id FROM student_statuses WHERE code = 'GRADUATED') "
        "ORDER BY id LIMIT 1",
        # a class spanning two grades
        "INSERT INTO institution_class_grades (institution_class_id, education_grade_id, created) "
        "SELECT institution_class_id, education_grade_id + 1, created "
        "FROM institution_class_grades ORDER BY id LIMIT 1",
        # a learner with a second CURRENT stint, at another institution
        "INSERT INTO institution_students SELECT UUID(), student_id, institution_id % 10 + 1, "
        "education_grade_id, academic_period_id, student_status_id, start_date + INTERVAL 1 DAY, "
        "NULL, NULL, modified, created FROM institution_students "
        f"WHERE student_status_id = {current} ORDER BY id LIMIT 1",
        # a PIN that is not 14 digits
        "UPDATE user_identities SET number = '12345' ORDER BY id LIMIT 1",
    )
    return dsn


def test_bad_rows_are_reported_and_reach_the_warehouse_checks(
    bad_database, tiny_export, tmp_path, request, pseudonym_key_file
):
    out = tmp_path / "export"
    result = extract(bad_database, tiny_export.snapshot_date, out, progress=False)
    text = "\n".join(result.warnings)
    assert "stints end before they start" in text
    assert "classes span several grades" in text
    assert "two or more CURRENT stints" in text
    assert "PINs are not 14 digits" in text

    warehouse = Warehouses("duckdb", request, tmp_path, pseudonym_key_file).new()
    loaded = warehouse.ingest(out)
    for file in loaded.files:  # every row loaded or quarantined, counts reconcile
        assert file.loaded + file.quarantined == file.declared, file
    invalid = warehouse.scalar(
        "select count(*) from raw.students "
        "where not is_pin_format_valid and pin_pseudonym is not null"
    )
    assert invalid >= 1


def test_a_code_missing_from_the_mapping_stops_the_extraction(bad_database, tiny_export, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(DEFAULT_MAPPING.read_text().replace('GYMNASIUM = "gymnasium"\n', ""))
    out = tmp_path / "export"
    out.mkdir()
    (out / "earlier.txt").write_text("kept")
    with pytest.raises(UnmappedCodeError) as raised:
        extract(
            bad_database,
            tiny_export.snapshot_date,
            out,
            load_mapping(mapping),
            force=True,
            progress=False,
        )
    message = str(raised.value)
    assert "institution_types.national_code" in message and "'GYMNASIUM'" in message
    assert "[organizations.org_type]" in message
    assert [p.name for p in out.iterdir()] == ["earlier.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "mapping.toml"]


def test_the_command_says_it_in_one_line(bad_database, tiny_export, tmp_path, capsys):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(DEFAULT_MAPPING.read_text().replace('Q2 = "q2"\n', ""))
    code = cli_main(
        [
            "extract",
            "openemis",
            "--dsn",
            bad_database,
            "--quiet",
            "--as-of",
            tiny_export.snapshot_date.isoformat(),
            "--out",
            str(tmp_path / "x"),
            "--mapping",
            str(mapping),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "'Q2'" in err and "[grades.term]" in err and "left as it was" in err
    assert not (tmp_path / "x").exists()


def test_a_server_killed_mid_extraction_leaves_the_output_untouched(
    tiny_export, tmp_path, monkeypatch
):
    server = find_server()
    with ThrowawayMariaDB(server) as own:
        dsn, _ = new_database(own, tiny_export.path)
        out = tmp_path / "export"
        out.mkdir()
        (out / "earlier.txt").write_text("kept")
        real_pull = extract_module.pull

        def pull_then_crash(conn, duck, name, query, params=(), on_rows=None, **kw):
            if name == "s_security_users":
                own.kill()
            return real_pull(conn, duck, name, query, params, on_rows, **kw)

        monkeypatch.setattr(extract_module, "pull", pull_then_crash)
        with pytest.raises(SourceError) as raised:
            extract(dsn, tiny_export.snapshot_date, out, force=True, progress=False)
        assert "reading s_security_users" in str(raised.value)
        assert [p.name for p in out.iterdir()] == ["earlier.txt"]
        assert [p.name for p in tmp_path.iterdir()] == ["export"]


def find_server() -> Path:
    from tests.mariadb import find_mariadbd

    server = find_mariadbd()
    assert server is not None  # the session fixture has already skipped or failed otherwise
    return server


@pytest.fixture(autouse=True)
def _needs_mariadb(mariadb_server):
    """Every test here needs the server (and skips or fails like the fixture)."""
