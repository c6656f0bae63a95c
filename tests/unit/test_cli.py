"""The `emis` command: helpful help, one-line errors, settings shown without secrets."""

import gc
from importlib.metadata import entry_points

import pytest

from emis import cli, collector
from emis.cli import main
from emis.info import _redact_password


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "generate" in out and "info" in out


def test_a_user_mistake_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["generate", "--year", "1990", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("emis generate: error: --year 1990")
    assert "\n" not in err and "Traceback" not in err


def test_info_shows_where_things_live(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EMIS_HOME", str(tmp_path))
    monkeypatch.delenv("EMIS_WAREHOUSE", raising=False)
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "warehouse.duckdb") in out and "DuckDB" in out


def test_dsn_passwords_are_not_printed():
    assert _redact_password("postgresql://emis:s3cret@db:5432/emis") == (
        "postgresql://emis:***@db:5432/emis"
    )
    assert _redact_password("/var/emis/warehouse.duckdb") == "/var/emis/warehouse.duckdb"


def test_the_emis_process_runs_main_with_fewer_collections(monkeypatch):
    (script,) = entry_points(group="console_scripts", name="emis")
    assert script.value == "emis.cli:process"
    before = gc.get_threshold()
    seen = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(gc.get_threshold()) or 3)
    try:
        assert cli.process() == 3
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    assert seen == [(collector.YOUNG_GENERATION_THRESHOLD, *before[1:])]
