"""emis.settings: where the platform keeps its state, and the pseudonym key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from emis.settings import PSEUDONYM_KEY_BYTES, Settings, load_settings, pseudonym_key


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory, so the ./var defaults land in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_live_under_var(cwd: Path) -> None:
    settings = load_settings(environ={})
    assert settings.home == cwd / "var"
    assert settings.warehouse == str(cwd / "var" / "warehouse.duckdb")
    assert settings.warehouse_path == cwd / "var" / "warehouse.duckdb"
    assert settings.pseudonym_key_file == cwd / "var" / "keys" / "pseudonym.key"
    assert settings.releases_dir == cwd / "var" / "releases"
    assert not settings.is_postgres


def test_empty_values_mean_defaults(cwd: Path) -> None:
    environ = {"EMIS_HOME": "", "EMIS_WAREHOUSE": "", "EMIS_PSEUDONYM_KEY_FILE": ""}
    assert load_settings(environ=environ) == load_settings(environ={})


def test_home_moves_everything(cwd: Path) -> None:
    settings = load_settings(environ={"EMIS_HOME": "state"})
    assert settings.home == cwd / "state"
    assert settings.warehouse_path == cwd / "state" / "warehouse.duckdb"
    assert settings.pseudonym_key_file == cwd / "state" / "keys" / "pseudonym.key"


def test_duckdb_warehouse_path_is_made_absolute(cwd: Path) -> None:
    settings = load_settings(environ={"EMIS_WAREHOUSE": "data/w.duckdb"})
    assert not settings.is_postgres
    assert settings.warehouse == str(cwd / "data" / "w.duckdb")
    assert settings.warehouse_path == cwd / "data" / "w.duckdb"


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://emis:secret@db:5432/emis", "postgres://emis@localhost/emis"],
)
def test_postgres_warehouse_dsn_is_kept_verbatim(cwd: Path, dsn: str) -> None:
    settings = load_settings(environ={"EMIS_WAREHOUSE": dsn})
    assert settings.is_postgres
    assert settings.warehouse == dsn
    with pytest.raises(ValueError, match="PostgreSQL"):
        _ = settings.warehouse_path
    # The key still lives under the home: a database has no place for it.
    assert settings.pseudonym_key_file == cwd / "var" / "keys" / "pseudonym.key"


def test_pseudonym_key_file_override(cwd: Path) -> None:
    settings = load_settings(environ={"EMIS_PSEUDONYM_KEY_FILE": "secrets/pin.key"})
    assert settings.pseudonym_key_file == cwd / "secrets" / "pin.key"
    assert settings.home == cwd / "var"


def _settings_with_key(key_file: Path) -> Settings:
    return load_settings(environ={"EMIS_PSEUDONYM_KEY_FILE": str(key_file)})


def test_pseudonym_key_is_created_private_on_first_use(cwd: Path) -> None:
    key_file = cwd / "keys" / "pseudonym.key"
    settings = _settings_with_key(key_file)
    assert not key_file.exists()
    key = pseudonym_key(settings)
    assert len(key) == PSEUDONYM_KEY_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert key_file.read_text().strip() == key.hex()


def test_pseudonym_key_is_stable(cwd: Path) -> None:
    settings = _settings_with_key(cwd / "pseudonym.key")
    first = pseudonym_key(settings)
    assert pseudonym_key(settings) == first
    assert pseudonym_key(_settings_with_key(cwd / "pseudonym.key")) == first


def test_pseudonym_keys_differ_between_deployments(cwd: Path) -> None:
    assert pseudonym_key(_settings_with_key(cwd / "a.key")) != pseudonym_key(
        _settings_with_key(cwd / "b.key")
    )


def test_existing_key_is_used_as_is(cwd: Path) -> None:
    key_file = cwd / "pseudonym.key"
    key_file.write_text("00112233445566778899aabbccddeeff\n")
    assert pseudonym_key(_settings_with_key(key_file)) == bytes.fromhex(
        "00112233445566778899aabbccddeeff"
    )


def test_too_short_key_is_refused(cwd: Path) -> None:
    key_file = cwd / "pseudonym.key"
    key_file.write_text("00112233445566778899aabbccddee\n")  # 15 bytes
    with pytest.raises(ValueError, match="shorter than 16 bytes"):
        pseudonym_key(_settings_with_key(key_file))
