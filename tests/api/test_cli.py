"""`emis api`: listed in the help, and a bad option is a one-line error."""

from __future__ import annotations

import pytest

from emis.cli import main


def test_api_is_a_command(capsys):
    with pytest.raises(SystemExit):
        main(["api", "--help"])
    out = capsys.readouterr().out
    assert "--workers" in out and "--rate-limit" in out and "/api/v1/openapi.json" in out


def test_no_workers_is_a_one_line_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("EMIS_HOME", str(tmp_path))
    assert main(["api", "--workers", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "emis api: error: --workers must be at least 1"
