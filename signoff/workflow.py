"""Who may sign what, the signatures themselves, and where each organization stands.

A signature covers a *statement*: the kind (organization, district, national), its subject
(an organization id, a district code, KG), the census date, the SHA-256 of the document
signed, the notes explaining blocking issues, the time and the key id, as canonical JSON
after a fixed prefix. The document's hash binds the organization and the census date, so a
signature replayed on another organization or date, or kept after the data changed, fails.

Accounts are passed in as anything with ``username``, ``role``, ``district_code``,
``organization_id`` and ``is_disabled`` (``dashboards.auth.Account``); the caller has checked
the password against the account store before.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from signoff import canonical, keys, store
from signoff.certificate import sha256

PREFIX = b"EMIS sign-off statement v1\n"
ROLE_OF = {"organization": "school", "district": "district", "national": "ministry"}
DISTRICT_KIND = "emis-district-countersignature"
NATIONAL_KIND = "emis-national-countersignature"
STATUSES = ("signed", "changed", "invalid", "not_signed", "overdue")


class SignOffError(ValueError):
    """A sign-off step refused: a key not registered, blocking issues unexplained, ..."""


class ScopeError(PermissionError):
    """A step outside the account's scope (another organization or district)."""


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str  # ok | changed | unknown key | key not registered | key revoked | ...


def statement(record: Mapping) -> bytes:
    """The bytes a signature covers (from a signature record's fields)."""
    fields = ("kind", "subject", "census_date", "document_sha256", "notes", "signed_at", "key_id")
    return PREFIX + canonical.encode({name: record[name] for name in fields})


# --- keys ------------------------------------------------------------------------------------


def create_key(home: Path, account, password: str) -> keys.PublicKey:
    """A signing key for ``account``, sealed with its password; to be registered."""
    _active(account)
    public = keys.create_key(home, account.username, password)
    store.add_key(
        home,
        account.username,
        public,
        account.role,
        account.district_code,
        account.organization_id,
    )
    return public


def register_key(
    home: Path, registrar, key_id: str, district_of: Mapping[str, str]
) -> store.KeyRecord:
    """Register a key (audit-logged): a district head registers its schools' heads, the
    ministry district heads and other ministry accounts. ``district_of`` maps organization
    ids to their district (from the release's certificates)."""
    _active(registrar)
    record = store.key_by_id(home, key_id)
    if record is None:
        raise SignOffError(f"no key {key_id}")
    if record.registered_at or record.revoked_at:
        raise SignOffError(
            f"key {key_id} is already {'revoked' if record.revoked_at else 'registered'}"
        )
    if record.username == registrar.username:
        raise SignOffError("nobody registers their own key")
    if registrar.role == "district":
        in_district = district_of.get(record.organization_id or "") == registrar.district_code
        if record.role != "school" or not in_district:
            raise ScopeError("a district head registers the keys of its own schools' heads")
    elif registrar.role != "ministry":
        raise ScopeError("keys are registered by the district or the ministry")
    store.set_registered(home, key_id, registrar.username)
    return store.key_by_id(home, key_id)


def revoke_key(home: Path, by, key_id: str, reason: str, district_of: Mapping[str, str]):
    """Withdraw a key (audit-logged): by its owner, its district or the ministry."""
    record = store.key_by_id(home, key_id)
    if record is None:
        raise SignOffError(f"no key {key_id}")
    own = record.username == by.username
    district = by.role == "district" and district_of.get(record.organization_id or "") == (
        by.district_code
    )
    if not (own or district or by.role == "ministry"):
        raise ScopeError("a key is revoked by its owner, its district or the ministry")
    store.set_revoked(home, key_id, by.username, reason)


def usable_key(home: Path, account) -> store.KeyRecord:
    """The account's registered, unrevoked key for its present scope."""
    found = [
        record
        for record in store.keys(home)
        if record.username == account.username and not record.revoked_at
    ]
    if not found:
        raise SignOffError(f"{account.username} has no signing key (or it was revoked)")
    record = found[-1]
    if not record.registered_at:
        raise SignOffError(
            "the signing key is not registered yet: ask the district (schools) "
            "or the ministry (districts) to register it"
        )
    scope = (account.role, account.district_code, account.organization_id)
    if (record.role, record.district_code, record.organization_id) != scope:
        raise SignOffError("the signing key was made for another role or scope")
    return record


def _active(account) -> None:
    if getattr(account, "is_disabled", False):
        raise SignOffError(f"account {account.username} is disabled")


def _sign(
    home: Path,
    account,
    password: str,
    kind: str,
    subject: str,
    census_date: str,
    document: Mapping,
    notes: Mapping[str, str] | None = None,
    now: str | None = None,
) -> store.SignatureRecord:
    _active(account)
    key = usable_key(home, account)
    signer = keys.open_signer(home, account.username, password)
    if signer.public_key.key_id != key.key_id:
        raise SignOffError("the key file does not hold the registered key")
    fields = {
        "kind": kind,
        "subject": subject,
        "census_date": census_date,
        "document_sha256": sha256(document),
        "notes": dict(sorted((notes or {}).items())),
        "signed_at": now or store.utc_now(),
        "key_id": key.key_id,
    }
    signature = base64.b64encode(signer.sign(statement(fields))).decode()
    record = store.SignatureRecord(
        **fields, document=dict(document), username=account.username, signature=signature
    )
    store.add_signature(home, record)
    return record


def sign_certificate(
    home: Path,
    account,
    password: str,
    certificate: Mapping,
    notes: Mapping[str, str] | None = None,
    now: str | None = None,
) -> store.SignatureRecord:
    """The head of an organization signs its certificate; every blocking issue needs a note."""
    if account.role != "school" or account.organization_id != certificate["organization_id"]:
        raise ScopeError("only the organization's own head signs its certificate")
    notes = {rule: text.strip() for rule, text in (notes or {}).items() if text and text.strip()}
    unexplained = sorted(set(certificate["quality"]["blocking"]) - set(notes))
    if unexplained:
        raise SignOffError(
            f"blocking quality issues remain ({', '.join(unexplained)}): fix them, or explain "
            "each in a note"
        )
    return _sign(
        home,
        account,
        password,
        "organization",
        certificate["organization_id"],
        certificate["census_date"],
        certificate,
        notes,
        now,
    )


def district_document(district_code: str, census_date: str, statuses: Iterable[Mapping]) -> dict:
    """What a district head countersigns: each organization's certificate hash, and which of
    them stood signed."""
    rows = [row for row in statuses if row["district_code"] == district_code]
    return {
        "kind": DISTRICT_KIND,
        "district_code": district_code,
        "census_date": census_date,
        "certificates": {row["organization_id"]: row["certificate_sha256"] for row in rows},
        "signed": sorted(row["organization_id"] for row in rows if row["status"] == "signed"),
    }


def countersign_district(
    home: Path,
    account,
    password: str,
    district_code: str,
    census_date: str,
    statuses: Iterable[Mapping],
    now: str | None = None,
) -> store.SignatureRecord:
    if account.role != "district" or account.district_code != district_code:
        raise ScopeError(f"district {district_code} is not this account's district")
    document = district_document(district_code, census_date, statuses)
    if not document["signed"]:
        raise SignOffError(
            f"no organization of district {district_code} has a signed certificate for "
            f"{census_date}: a countersignature vouches for signed ones"
        )
    return _sign(home, account, password, "district", district_code, census_date, document, now=now)


def national_document(census_date: str, district_rows: Iterable[Mapping]) -> dict:
    return {
        "kind": NATIONAL_KIND,
        "census_date": census_date,
        "districts": {row["district_code"]: row["countersigned"] for row in district_rows},
    }


def countersign_national(
    home: Path,
    account,
    password: str,
    census_date: str,
    district_rows: Iterable[Mapping],
    now: str | None = None,
) -> store.SignatureRecord:
    if account.role != "ministry":
        raise ScopeError("the national countersignature is the ministry's")
    document = national_document(census_date, district_rows)
    return _sign(home, account, password, "national", "KG", census_date, document, now=now)


# --- verification and status ------------------------------------------------------------------


def verify_signature(
    record: Mapping, key_records: Mapping[str, Mapping], expected_sha256: str | None
) -> Verdict:
    """A signature record (``SignatureRecord.public_record()``) against the public keys (by
    id, ``KeyRecord.public_record()``) and the document's hash as it stands now."""
    key = key_records.get(record["key_id"])
    if key is None:
        return Verdict(False, "unknown key")
    if not key["registered_at"] or key["registered_at"] > record["signed_at"]:
        return Verdict(False, "key not registered when signing")
    if key["revoked_at"] and key["revoked_at"] <= record["signed_at"]:
        return Verdict(False, "key revoked")
    if key["role"] != ROLE_OF.get(record["kind"]) or key["subject"] != record["subject"]:
        return Verdict(False, "key of another scope")
    public = keys.PublicKey(key["scheme"], key["public"])
    if public.key_id != record["key_id"]:
        return Verdict(False, "key id does not match the key")
    try:
        signature = base64.b64decode(record["signature"], validate=True)
    except ValueError:
        return Verdict(False, "signature unreadable")
    if not keys.verify(public, statement(record), signature):
        return Verdict(False, "signature does not verify")
    if expected_sha256 is not None and record["document_sha256"] != expected_sha256:
        return Verdict(False, "changed")
    return Verdict(True, "ok")


def organization_statuses(
    certificates: Iterable[Mapping],
    signatures: Mapping[str, Mapping],
    key_records: Mapping[str, Mapping],
    deadline: dt.date | None = None,
    today: dt.date | None = None,
) -> list[dict]:
    """One row per certificate: signed, changed (signed, then the data changed), invalid (a
    signature that does not verify), not_signed, or overdue (not signed after the deadline)."""
    today = today or dt.datetime.now(dt.UTC).date()
    rows = []
    for certificate in certificates:
        organization = certificate["organization_id"]
        digest = sha256(certificate)
        signature = signatures.get(organization)
        if signature is None:
            late = deadline is not None and today > deadline
            status, reason, signed_at = ("overdue" if late else "not_signed"), "", None
        else:
            verdict = verify_signature(signature, key_records, digest)
            status = (
                "signed"
                if verdict.valid
                else "changed"
                if verdict.reason == "changed"
                else "invalid"
            )
            reason, signed_at = verdict.reason, signature["signed_at"]
        rows.append(
            {
                "organization_id": organization,
                "district_code": certificate["district_code"],
                "census_date": certificate["census_date"],
                "status": status,
                "reason": reason,
                "signed_at": signed_at,
                "learners": certificate["learners"],
                "blocking_issues": sum(certificate["quality"]["blocking"].values()),
                "certificate_sha256": digest,
            }
        )
    return rows


def district_statuses(
    rows: list[dict], countersignatures: Mapping[str, Mapping], key_records: Mapping[str, Mapping]
) -> list[dict]:
    """Per district: organizations, how many and how many learners are certified, and
    whether its countersignature stands for the certificates as they are now."""
    census = rows[0]["census_date"] if rows else ""
    result = []
    for district in sorted({row["district_code"] for row in rows}):
        own = [row for row in rows if row["district_code"] == district]
        signed = [row for row in own if row["status"] == "signed"]
        learners = sum(row["learners"] for row in own)
        record = countersignatures.get(district)
        expected = sha256(district_document(district, census, rows))
        verdict = verify_signature(record, key_records, expected) if record else None
        result.append(
            {
                "district_code": district,
                "organizations": len(own),
                "certified": len(signed),
                "share_organizations": share(len(signed), len(own)),
                "learners": learners,
                "learners_certified": sum(row["learners"] for row in signed),
                "share_learners": share(sum(row["learners"] for row in signed), learners),
                "countersigned": record["document_sha256"] if verdict and verdict.valid else None,
                "countersignature": verdict.reason if verdict else "none",
            }
        )
    return result


def coverage(rows: list[dict], districts: list[dict]) -> dict:
    """The share of organizations and of learners covered by valid signatures, overall and
    per district (what `emis publish` records and gates on)."""
    organizations = len(rows)
    certified = sum(row["status"] == "signed" for row in rows)
    learners = sum(row["learners"] for row in rows)
    covered = sum(row["learners"] for row in rows if row["status"] == "signed")
    return {
        "census_date": rows[0]["census_date"] if rows else None,
        "organizations": organizations,
        "certified": certified,
        "share_organizations": share(certified, organizations),
        "learners": learners,
        "learners_certified": covered,
        "share_learners": share(covered, learners),
        "districts_countersigned": sum(bool(d["countersigned"]) for d in districts),
        "by_district": districts,
    }


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
