"""The sign-off store: ``$EMIS_HOME/signoff/signoff.sqlite`` (0600), outside every release.

Public keys with their registration and revocation, the audit log of every key event, the
signatures (each with the document it covers, so a later change can be shown cell by cell),
the deadline per census date and the coverage threshold of `emis publish`. Signatures are
only ever added: a new signature supersedes an organization's earlier one, it does not
replace it. Private keys are never here (``signoff.keys``: ``$EMIS_HOME/accounts/keys``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from emis import private_store
from signoff.keys import PublicKey

SCHEMA = """
create table if not exists keys (
    key_id text primary key,
    username text not null,
    scheme text not null,
    public text not null,
    role text not null,
    district_code text,
    organization_id text,
    created_at text not null,
    registered_at text,
    registered_by text,
    revoked_at text,
    revoked_by text
);
create table if not exists key_events (
    at text not null,
    action text not null,
    key_id text not null,
    username text not null,
    by_username text not null,
    detail text
);
create table if not exists signatures (
    signature_id integer primary key autoincrement,
    kind text not null,
    subject text not null,
    census_date text not null,
    document_sha256 text not null,
    document text not null,
    notes text not null,
    signed_at text not null,
    key_id text not null,
    username text not null,
    signature text not null
);
create table if not exists deadlines (
    census_date text primary key,
    deadline text not null,
    set_by text not null,
    set_at text not null
);
create table if not exists settings (
    name text primary key,
    value text not null,
    set_by text not null,
    set_at text not null
);
"""


@dataclass(frozen=True)
class KeyRecord:
    """A user's public key and what the registrar said of it."""

    key: PublicKey
    username: str
    role: str
    district_code: str | None
    organization_id: str | None
    created_at: str
    registered_at: str | None
    registered_by: str | None
    revoked_at: str | None
    revoked_by: str | None

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def subject(self) -> str:
        """What the key may sign for: its organization, its district, or KG."""
        return self.organization_id or self.district_code or "KG"

    def public_record(self) -> dict:
        """The key as a release ships it: no username, only the role and scope it signs for."""
        return {
            "key_id": self.key_id,
            "scheme": self.key.scheme,
            "public": self.key.public,
            "role": self.role,
            "subject": self.subject,
            "registered_at": self.registered_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True)
class SignatureRecord:
    kind: str  # organization | district | national
    subject: str  # organization id, district code or KG
    census_date: str
    document_sha256: str
    document: dict
    notes: dict
    signed_at: str
    key_id: str
    username: str
    signature: str  # base64

    def public_record(self) -> dict:
        """As a release ships it: the signed statement's fields, the signature, no username."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "census_date": self.census_date,
            "document_sha256": self.document_sha256,
            "notes": self.notes,
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature,
        }


def store_path(home: Path) -> Path:
    return Path(home) / "signoff" / "signoff.sqlite"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def connect(home: Path) -> AbstractContextManager[sqlite3.Connection]:
    """The store, created with private permissions on first use; one transaction."""
    return private_store.connect(store_path(home), SCHEMA)


def _key(row: sqlite3.Row) -> KeyRecord:
    return KeyRecord(
        PublicKey(row["scheme"], row["public"]),
        row["username"],
        row["role"],
        row["district_code"],
        row["organization_id"],
        row["created_at"],
        row["registered_at"],
        row["registered_by"],
        row["revoked_at"],
        row["revoked_by"],
    )


def _signature(row: sqlite3.Row) -> SignatureRecord:
    return SignatureRecord(
        row["kind"],
        row["subject"],
        row["census_date"],
        row["document_sha256"],
        json.loads(row["document"]),
        json.loads(row["notes"]),
        row["signed_at"],
        row["key_id"],
        row["username"],
        row["signature"],
    )


def log(con: sqlite3.Connection, action: str, key_id: str, username: str, by: str, detail=""):
    con.execute(
        "insert into key_events values (?, ?, ?, ?, ?, ?)",
        [utc_now(), action, key_id, username, by, detail],
    )


def add_key(home: Path, username: str, key: PublicKey, role: str, district, organization):
    with connect(home) as con:
        con.execute(
            "insert into keys (key_id, username, scheme, public, role, district_code, "
            "organization_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [key.key_id, username, key.scheme, key.public, role, district, organization, utc_now()],
        )
        log(
            con,
            "created",
            key.key_id,
            username,
            username,
            f"{role} {district or ''}{organization or ''}".strip(),
        )


def set_registered(home: Path, key_id: str, by: str) -> None:
    with connect(home) as con:
        row = con.execute("select * from keys where key_id = ?", [key_id]).fetchone()
        con.execute(
            "update keys set registered_at = ?, registered_by = ? where key_id = ?",
            [utc_now(), by, key_id],
        )
        log(con, "registered", key_id, row["username"], by)


def set_revoked(home: Path, key_id: str, by: str, reason: str) -> None:
    with connect(home) as con:
        row = con.execute("select * from keys where key_id = ?", [key_id]).fetchone()
        con.execute(
            "update keys set revoked_at = ?, revoked_by = ? where key_id = ?",
            [utc_now(), by, key_id],
        )
        log(con, "revoked", key_id, row["username"], by, reason)


def keys(home: Path) -> list[KeyRecord]:
    with connect(home) as con:
        return [_key(row) for row in con.execute("select * from keys order by created_at")]


def key_by_id(home: Path, key_id: str) -> KeyRecord | None:
    with connect(home) as con:
        row = con.execute("select * from keys where key_id = ?", [key_id]).fetchone()
        return _key(row) if row else None


def key_events(home: Path) -> list[dict]:
    with connect(home) as con:
        return [dict(row) for row in con.execute("select * from key_events order by rowid")]


def add_signature(home: Path, record: SignatureRecord) -> None:
    with connect(home) as con:
        con.execute(
            "insert into signatures (kind, subject, census_date, document_sha256, document, "
            "notes, signed_at, key_id, username, signature) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.kind,
                record.subject,
                record.census_date,
                record.document_sha256,
                json.dumps(record.document, ensure_ascii=False, sort_keys=True),
                json.dumps(record.notes, ensure_ascii=False, sort_keys=True),
                record.signed_at,
                record.key_id,
                record.username,
                record.signature,
            ],
        )


def latest_signatures(home: Path, kind: str, census_date: str) -> dict[str, SignatureRecord]:
    """Each subject's latest signature of ``kind`` for the census date."""
    with connect(home) as con:
        rows = con.execute(
            "select * from signatures where kind = ? and census_date = ? order by signature_id",
            [kind, census_date],
        ).fetchall()
    return {row["subject"]: _signature(row) for row in rows}


def set_deadline(home: Path, census_date: str, deadline: str, by: str) -> None:
    with connect(home) as con:
        con.execute(
            "insert into deadlines values (?, ?, ?, ?) on conflict (census_date) do update "
            "set deadline = excluded.deadline, set_by = excluded.set_by, set_at = excluded.set_at",
            [census_date, deadline, by, utc_now()],
        )


def deadline(home: Path, census_date: str) -> dt.date | None:
    with connect(home) as con:
        row = con.execute(
            "select deadline from deadlines where census_date = ?", [census_date]
        ).fetchone()
    return dt.date.fromisoformat(row["deadline"]) if row else None


THRESHOLD = "publish_threshold"


def set_threshold(home: Path, share: float, by: str) -> None:
    with connect(home) as con:
        con.execute(
            "insert into settings values (?, ?, ?, ?) on conflict (name) do update "
            "set value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at",
            [THRESHOLD, str(share), by, utc_now()],
        )


def threshold(home: Path) -> float:
    """The share of organizations `emis publish` needs certified; 0 until one is set."""
    if not store_path(home).exists():
        return 0.0
    with connect(home) as con:
        row = con.execute("select value from settings where name = ?", [THRESHOLD]).fetchone()
    return float(row["value"]) if row else 0.0
