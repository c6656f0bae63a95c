"""`emis users add|disable|list` and `emis portal`'s refusal without a release."""

from __future__ import annotations

import io

import pytest

from dashboards import auth
from emis.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EMIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMIS_WAREHOUSE", raising=False)
    return tmp_path / "home"


def emis(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_are_added_listed_and_disabled(home, monkeypatch, capsys):
    code, out, _ = emis(
        monkeypatch, capsys, "users", "add", "talas.head", "--role", "district",
        "--district", "41707215", "--password-stdin", stdin="a long enough passphrase\n",
    )  # fmt: skip
    assert code == 0 and "added talas.head (district, 41707215)" in out
    assert auth.sign_in(home, "talas.head", "a long enough passphrase").reason == "ok"
    code, out, _ = emis(monkeypatch, capsys, "users", "list")
    assert "talas.head" in out and "41707215" in out and "active" in out
    assert emis(monkeypatch, capsys, "users", "disable", "talas.head")[0] == 0
    assert "disabled" in emis(monkeypatch, capsys, "users", "list")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "spec", "--role", "school", "--password-stdin"), "--organization"),
        (("users", "add", "x1", "--role", "ministry", "--password-stdin"), "username"),
        (("users", "add", "head", "--role", "ministry", "--password-stdin"), "12 characters"),
        (("users", "disable", "nobody"), "no user nobody"),
    ],
)
def test_mistakes_are_one_line_errors(home, monkeypatch, capsys, args, message):
    code, _, err = emis(monkeypatch, capsys, *args, stdin="short\n")
    assert code == 2 and message in err and "Traceback" not in err


def test_the_portal_needs_a_release(home, monkeypatch, capsys):
    code, _, err = emis(monkeypatch, capsys, "portal")
    assert code == 2 and "emis publish" in err
