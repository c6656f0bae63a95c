"""Accounts: argon2 hashes, no default password, lockout, disabling, the download log."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from dashboards import auth

PASSWORD = "a long enough passphrase"


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def test_passwords_are_stored_as_argon2id_hashes_in_a_private_file(home):
    auth.add_user(home, "minister", "ministry", PASSWORD)
    path = auth.store_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with auth.connect(home) as con:
        (stored,) = con.execute("select password_hash from users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_there_are_no_default_accounts(home):
    assert auth.list_users(home) == []
    assert auth.sign_in(home, "admin", "admin").reason == "invalid"


@pytest.mark.parametrize(
    ("username", "role", "district", "organization", "message"),
    [
        ("x", "ministry", None, None, "username"),
        ("head", "district", None, None, "--district"),
        ("head", "district", "417", None, "--district"),
        ("spec", "school", None, None, "--organization"),
        ("boss", "ministry", "41707215", None, "republic"),
        ("boss", "root", None, None, "role"),
    ],
)
def test_accounts_need_a_scope_that_fits_the_role(home, username, role, district, organization,
                                                   message):  # fmt: skip
    with pytest.raises(auth.AccountError, match=message):
        auth.add_user(home, username, role, PASSWORD, district, organization)


@pytest.mark.parametrize("password", ["short", "head-of-district-head"])
def test_weak_passwords_are_refused(home, password):
    with pytest.raises(auth.AccountError):
        auth.add_user(home, "district-head", "district", password, "41707215")


def test_sign_in_gives_the_account_and_its_scope(home):
    auth.add_user(home, "head", "district", PASSWORD, district_code="41707215")
    result = auth.sign_in(home, "head", PASSWORD)
    assert result.reason == "ok"
    assert result.account.scope.district_code == "41707215"
    assert result.account.last_login_at


def test_repeated_failures_lock_the_account_then_it_opens_again(home):
    auth.add_user(home, "head", "district", PASSWORD, district_code="41707215")
    now = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
    reasons = [auth.sign_in(home, "head", "wrong", now).reason for _ in range(auth.MAX_FAILURES)]
    assert reasons == ["invalid"] * (auth.MAX_FAILURES - 1) + ["locked"]
    # Locked: even the right password is refused until the lockout ends.
    assert auth.sign_in(home, "head", PASSWORD, now + dt.timedelta(minutes=1)).reason == "locked"
    later = now + auth.LOCKOUT + dt.timedelta(seconds=1)
    assert auth.sign_in(home, "head", PASSWORD, later).reason == "ok"


def test_a_disabled_account_cannot_sign_in(home):
    auth.add_user(home, "spec", "school", PASSWORD, organization_id="ORG000004")
    auth.set_disabled(home, "spec")
    assert auth.sign_in(home, "spec", PASSWORD).reason == "disabled"
    auth.set_disabled(home, "spec", False)
    assert auth.sign_in(home, "spec", PASSWORD).reason == "ok"
    with pytest.raises(auth.AccountError):
        auth.set_disabled(home, "nobody")


def test_downloads_are_logged_with_who_what_when(home):
    account = auth.add_user(home, "minister", "ministry", PASSWORD)
    auth.log_download(home, account, "form:OSh-1_KG.xlsx", "2026-01-15.1")
    (entry,) = auth.downloads(home)
    assert entry["username"] == "minister" and entry["what"] == "form:OSh-1_KG.xlsx"
    assert dt.datetime.fromisoformat(entry["downloaded_at"]).tzinfo is not None
