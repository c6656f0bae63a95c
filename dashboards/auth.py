"""Portal accounts and the log of restricted downloads.

Both live in one SQLite file, ``$EMIS_HOME/portal/portal.sqlite`` (mode 0600): outside every
release, so never in the open bundle. Passwords are argon2id hashes; there are no default
accounts or passwords (`emis users add` asks for one). After ``MAX_FAILURES`` failed sign-ins in
a row an account is locked for ``LOCKOUT``; a disabled account cannot sign in at all.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboards.data import ROLES, Scope
from emis import private_store

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so an unknown name costs the same time.
_DUMMY_HASH = HASHER.hash("not a password of anyone")

SCHEMA = """
create table if not exists users (
    username text primary key,
    role text not null,
    district_code text,
    organization_id text,
    password_hash text not null,
    is_disabled integer not null default 0,
    failed_attempts integer not null default 0,
    locked_until text,
    created_at text not null,
    last_login_at text
);
create table if not exists downloads (
    downloaded_at text not null,
    username text not null,
    role text not null,
    what text not null,
    release_id text
);
"""


class AccountError(ValueError):
    """A user mistake in managing accounts (bad name, weak password, unknown user...)."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    district_code: str | None
    organization_id: str | None
    is_disabled: bool
    failed_attempts: int
    locked_until: str | None
    created_at: str
    last_login_at: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.role, self.district_code, self.organization_id)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the account when it succeeded, else why not."""

    account: Account | None
    reason: str  # "ok" | "invalid" | "locked" | "disabled"


def store_path(home: Path) -> Path:
    return Path(home) / "portal" / "portal.sqlite"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def connect(home: Path) -> AbstractContextManager[sqlite3.Connection]:
    """The store, created with private permissions on first use; one transaction."""
    return private_store.connect(store_path(home), SCHEMA)


def _account(row: sqlite3.Row | None) -> Account | None:
    if row is None:
        return None
    return Account(
        username=row["username"],
        role=row["role"],
        district_code=row["district_code"],
        organization_id=row["organization_id"],
        is_disabled=bool(row["is_disabled"]),
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def check_new_account(
    username: str, role: str, district_code: str | None, organization_id: str | None
) -> None:
    """Raise AccountError unless the name, role and its scope fit together."""
    if not USERNAME.match(username):
        raise AccountError(
            "a username is 3-64 lowercase letters, digits, dots, hyphens or underscores"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role == "district" and not (district_code and re.fullmatch(r"\d{8}", district_code)):
        raise AccountError("a district account needs --district with an 8-digit SOATE code")
    if role == "school" and not organization_id:
        raise AccountError("a school account needs --organization with the EMIS org id")
    if role == "ministry" and (district_code or organization_id):
        raise AccountError("a ministry account covers the republic: no --district/--organization")
    if role == "district" and organization_id:
        raise AccountError("a district account has no --organization")


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise AccountError("the password must not contain the username")


def add_user(
    home: Path,
    username: str,
    role: str,
    password: str,
    district_code: str | None = None,
    organization_id: str | None = None,
) -> Account:
    check_new_account(username, role, district_code, organization_id)
    check_password(password, username)
    with connect(home) as con:
        if _fetch(con, username):
            raise AccountError(f"user {username} exists")
        con.execute(
            "insert into users (username, role, district_code, organization_id, "
            "password_hash, created_at) values (?, ?, ?, ?, ?, ?)",
            [username, role, district_code, organization_id, HASHER.hash(password),
             utc_now().isoformat()],
        )  # fmt: skip
        return _account(_fetch(con, username))


def set_disabled(home: Path, username: str, disabled: bool = True) -> None:
    with connect(home) as con:
        changed = con.execute(
            "update users set is_disabled = ?, failed_attempts = 0, locked_until = null "
            "where username = ?",
            [int(disabled), username],
        ).rowcount
    if not changed:
        raise AccountError(f"no user {username}")


def list_users(home: Path) -> list[Account]:
    with connect(home) as con:
        return [_account(row) for row in con.execute("select * from users order by username")]


def get_account(home: Path, username: str) -> Account | None:
    """The account as stored now (disabled or not): pages re-read it on every run."""
    with connect(home) as con:
        return _account(_fetch(con, username))


def is_locked(account: Account, now: dt.datetime) -> bool:
    return bool(account.locked_until) and dt.datetime.fromisoformat(account.locked_until) > now


def sign_in(home: Path, username: str, password: str, now: dt.datetime | None = None) -> SignIn:
    """Check a password; count failures and lock the account after ``MAX_FAILURES``."""
    now = now or utc_now()
    with connect(home) as con:
        row = _fetch(con, username)
        account = _account(row)
        if account is None:
            _verify(_DUMMY_HASH, password)
            return SignIn(None, "invalid")
        if account.is_disabled:
            return SignIn(None, "disabled")
        if is_locked(account, now):
            return SignIn(None, "locked")
        if not _verify(row["password_hash"], password):
            failures = account.failed_attempts + 1
            locked = (now + LOCKOUT).isoformat() if failures >= MAX_FAILURES else None
            con.execute(
                "update users set failed_attempts = ?, locked_until = ? where username = ?",
                [0 if locked else failures, locked, username],
            )
            return SignIn(None, "locked" if locked else "invalid")
        if HASHER.check_needs_rehash(row["password_hash"]):
            con.execute(
                "update users set password_hash = ? where username = ?",
                [HASHER.hash(password), username],
            )
        con.execute(
            "update users set failed_attempts = 0, locked_until = null, last_login_at = ? "
            "where username = ?",
            [now.isoformat(), username],
        )
        return SignIn(_account(_fetch(con, username)), "ok")


def _fetch(con: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    return con.execute("select * from users where username = ?", [username]).fetchone()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def log_download(home: Path, account: Account, what: str, release_id: str | None) -> None:
    """Record a restricted download: who, what, when."""
    with connect(home) as con:
        con.execute(
            "insert into downloads values (?, ?, ?, ?, ?)",
            [utc_now().isoformat(), account.username, account.role, what, release_id],
        )


def downloads(home: Path) -> list[dict]:
    with connect(home) as con:
        return [dict(row) for row in con.execute("select * from downloads order by rowid")]
