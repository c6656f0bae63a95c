"""Sign-off without a warehouse: certificates as documents, real keys, a real store."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, replace

import pytest

from signoff import canonical, certificate, keys, store, workflow
from signoff import release as signoff_release

PASSWORD = "correct horse battery staple"
CENSUS = "2025-09-15"


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    district_code: str | None = None
    organization_id: str | None = None
    is_disabled: bool = False


HEAD = Account("head.one", "school", organization_id="ORG1")
OTHER_HEAD = Account("head.two", "school", organization_id="ORG2")
FAR_HEAD = Account("head.far", "school", organization_id="ORG9")
DISTRICT = Account("district.a", "district", district_code="41707215")
OTHER_DISTRICT = Account("district.b", "district", district_code="41707400")
MINISTRY = Account("ministry.a", "ministry")
DISTRICT_OF = {"ORG1": "41707215", "ORG2": "41707215", "ORG9": "41707400"}


def certificate_of(organization: str, girls: int = 49, blocking=None) -> dict:
    return canonical.stable({
        "kind": certificate.KIND, "version": 1, "organization_id": organization,
        "district_code": DISTRICT_OF[organization], "census_date": CENSUS, "load_id": 1,
        "forms": {"osh-1": {"code": "ОШ-1", "cells": {"2/01/3": girls, "2/01/2": 101}}},
        "learners": 150, "records": {"classes": 8},
        "quality": {"blocking": blocking or {}, "warning": {"enrolment_recorded_late": 3}},
    })  # fmt: skip


@pytest.fixture
def home(tmp_path):
    """Heads of ORG1, ORG2 and ORG9, their districts and the ministry, keys registered."""
    for account in (HEAD, OTHER_HEAD, FAR_HEAD, DISTRICT, OTHER_DISTRICT, MINISTRY):
        workflow.create_key(tmp_path, account, PASSWORD)
    for record in store.keys(tmp_path):
        registrar = {"school": DISTRICT if record.organization_id != "ORG9" else OTHER_DISTRICT}
        by = registrar.get(
            record.role, MINISTRY if record.username != MINISTRY.username else DISTRICT
        )
        if record.username == MINISTRY.username:
            store.set_registered(tmp_path, record.key_id, "another.ministry.user")
        else:
            workflow.register_key(tmp_path, by, record.key_id, DISTRICT_OF)
    return tmp_path


def keyring(home) -> dict:
    return {record.key_id: record.public_record() for record in store.keys(home)}


def test_canonical_json_is_one_byte_string_whatever_the_order_or_number_type():
    a = {"b": 12.0, "a": [1, 2.50], "c": "ОШ-1"}
    b = {"c": "ОШ-1", "a": [1.0, 2.5], "b": 12}
    assert canonical.encode(a) == canonical.encode(b) == '{"a":[1,2.5],"b":12,"c":"ОШ-1"}'.encode()
    with pytest.raises(ValueError):
        canonical.encode({"x": float("nan")})


def test_sign_then_verify(home):
    own = certificate_of("ORG1")
    record = workflow.sign_certificate(home, HEAD, PASSWORD, own)
    verdict = workflow.verify_signature(
        record.public_record(), keyring(home), certificate.sha256(own)
    )
    assert verdict == workflow.Verdict(True, "ok")
    signatures = {"ORG1": record.public_record()}
    rows = workflow.organization_statuses([own, certificate_of("ORG2")], signatures, keyring(home))
    assert [row["status"] for row in rows] == ["signed", "not_signed"]


def test_a_change_after_signing_invalidates_and_names_the_cell(home):
    signed = certificate_of("ORG1", girls=49)
    record = workflow.sign_certificate(home, HEAD, PASSWORD, signed)
    now = certificate_of("ORG1", girls=48)  # one girl recorded as a boy in a later load
    [row] = workflow.organization_statuses([now], {"ORG1": record.public_record()}, keyring(home))
    assert (row["status"], row["reason"]) == ("changed", "changed")
    [change] = certificate.changes(record.document, now)
    assert (change.label, change.before, change.after) == (
        "ОШ-1 section 2, row 01, column 3",
        49,
        48,
    )


def test_a_later_load_that_changes_nothing_keeps_the_signed_certificate(home):
    signed = certificate_of("ORG1")
    later = {**signed, "load_id": 2}
    assert certificate.pinned(later, signed) is signed
    assert (
        certificate.pinned(certificate_of("ORG1", girls=1), signed)["forms"]["osh-1"]["cells"][
            "2/01/3"
        ]
        == 1
    )


def test_a_signature_replayed_on_another_organization_or_census_date_is_rejected(home):
    record = workflow.sign_certificate(home, HEAD, PASSWORD, certificate_of("ORG1")).public_record()
    other = certificate_of("ORG2")
    moved = record | {"subject": "ORG2"}
    assert not workflow.verify_signature(moved, keyring(home), certificate.sha256(other)).valid
    later = certificate_of("ORG1") | {"census_date": "2026-09-15"}
    redated = record | {"census_date": "2026-09-15"}
    assert workflow.verify_signature(redated, keyring(home), certificate.sha256(later)).reason == (
        "signature does not verify"
    )
    # Pointed at the other certificate's hash, the statement no longer matches the signature.
    pointed = record | {"document_sha256": certificate.sha256(later)}
    assert not workflow.verify_signature(pointed, keyring(home), certificate.sha256(later)).valid


def test_a_wrong_key_is_rejected(home):
    own = certificate_of("ORG1")
    record = workflow.sign_certificate(home, HEAD, PASSWORD, own).public_record()
    other_key = next(k for k in store.keys(home) if k.username == OTHER_HEAD.username)
    swapped = record | {"key_id": other_key.key_id}
    assert workflow.verify_signature(swapped, keyring(home), certificate.sha256(own)).reason == (
        "key of another scope"
    )
    # The other head's key, signing ORG1's statement: it verifies as a signature, not for ORG1.
    forged = keys.open_signer(home, OTHER_HEAD.username, PASSWORD).sign(workflow.statement(swapped))
    forged_record = swapped | {"signature": base64.b64encode(forged).decode()}
    assert not workflow.verify_signature(
        forged_record, keyring(home), certificate.sha256(own)
    ).valid
    tampered = record | {"signature": base64.b64encode(b"\0" * 64).decode()}
    assert workflow.verify_signature(tampered, keyring(home), certificate.sha256(own)).reason == (
        "signature does not verify"
    )


def test_a_revoked_key_cannot_sign_and_its_later_signatures_are_rejected(home):
    own = certificate_of("ORG1")
    record = workflow.sign_certificate(home, HEAD, PASSWORD, own).public_record()
    key_id = record["key_id"]
    workflow.revoke_key(home, DISTRICT, key_id, "head left the school", DISTRICT_OF)
    with pytest.raises(workflow.SignOffError, match="revoked"):
        workflow.sign_certificate(home, HEAD, PASSWORD, own)
    after = record | {"signed_at": "2999-01-01T00:00:00+00:00"}
    assert (
        workflow.verify_signature(after, keyring(home), certificate.sha256(own)).reason
        == "key revoked"
    )
    assert [e["action"] for e in store.key_events(home) if e["key_id"] == key_id] == [
        "created", "registered", "revoked"
    ]  # fmt: skip


def test_a_disabled_account_cannot_sign(home):
    with pytest.raises(workflow.SignOffError, match="disabled"):
        workflow.sign_certificate(
            home, replace(HEAD, is_disabled=True), PASSWORD, certificate_of("ORG1")
        )


def test_an_unregistered_key_or_a_wrong_password_cannot_sign(tmp_path):
    workflow.create_key(tmp_path, HEAD, PASSWORD)
    with pytest.raises(workflow.SignOffError, match="not registered"):
        workflow.sign_certificate(tmp_path, HEAD, PASSWORD, certificate_of("ORG1"))
    key_id = store.keys(tmp_path)[0].key_id
    workflow.register_key(tmp_path, DISTRICT, key_id, DISTRICT_OF)
    with pytest.raises(keys.SigningKeyError, match="password"):
        workflow.sign_certificate(tmp_path, HEAD, "not the password at all", certificate_of("ORG1"))


def test_the_private_key_is_sealed_private_and_kept_out_of_the_store(home):
    path = keys.key_path(home, HEAD.username)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.parent.stat().st_mode & 0o777 == 0o700
    raw = keys.open_signer(home, HEAD.username, PASSWORD).private.private_bytes_raw()
    assert base64.b64encode(raw).decode() not in path.read_text()
    assert raw not in store.store_path(home).read_bytes()


def test_blocking_issues_need_a_note_each(home):
    own = certificate_of("ORG1", blocking={"learner_enrolled_twice": 1, "age_implausible": 2})
    with pytest.raises(workflow.SignOffError, match=r"remain \(learner_enrolled_twice\)"):
        workflow.sign_certificate(home, HEAD, PASSWORD, own, {"age_implausible": "checked"})
    notes = {"age_implausible": "checked", "learner_enrolled_twice": "fixed in the next export"}
    record = workflow.sign_certificate(home, HEAD, PASSWORD, own, notes).public_record()
    assert record["notes"] == notes
    # The notes are signed too: changing one breaks the signature.
    changed = record | {"notes": notes | {"age_implausible": "?"}}
    assert not workflow.verify_signature(changed, keyring(home), certificate.sha256(own)).valid


def test_heads_sign_only_their_own_organization(home):
    with pytest.raises(workflow.ScopeError):
        workflow.sign_certificate(home, HEAD, PASSWORD, certificate_of("ORG2"))
    with pytest.raises(workflow.ScopeError):
        workflow.sign_certificate(home, DISTRICT, PASSWORD, certificate_of("ORG1"))


def test_a_district_head_cannot_countersign_or_register_in_another_district(home):
    record = workflow.sign_certificate(home, FAR_HEAD, PASSWORD, certificate_of("ORG9"))
    rows = workflow.organization_statuses(
        [certificate_of("ORG9")], {"ORG9": record.public_record()}, keyring(home)
    )
    with pytest.raises(workflow.ScopeError):
        workflow.countersign_district(home, DISTRICT, PASSWORD, "41707400", CENSUS, rows)
    workflow.create_key(home, Account("head.new", "school", organization_id="ORG9"), PASSWORD)
    waiting = next(k for k in store.keys(home) if k.username == "head.new")
    with pytest.raises(workflow.ScopeError):
        workflow.register_key(home, DISTRICT, waiting.key_id, DISTRICT_OF)
    workflow.register_key(home, OTHER_DISTRICT, waiting.key_id, DISTRICT_OF)


def test_nobody_registers_their_own_key(tmp_path):
    workflow.create_key(tmp_path, MINISTRY, PASSWORD)
    with pytest.raises(workflow.SignOffError, match="own key"):
        workflow.register_key(tmp_path, MINISTRY, store.keys(tmp_path)[0].key_id, DISTRICT_OF)


def test_countersignatures_stand_until_a_certificate_of_the_district_changes(home):
    certificates = [certificate_of("ORG1"), certificate_of("ORG2")]
    signed = workflow.sign_certificate(home, HEAD, PASSWORD, certificates[0])
    state = signoff_release.evaluate(home, CENSUS, certificates)
    with pytest.raises(workflow.ScopeError):
        workflow.countersign_district(
            home, OTHER_DISTRICT, PASSWORD, "41707215", CENSUS, state.organizations
        )
    workflow.countersign_district(home, DISTRICT, PASSWORD, "41707215", CENSUS, state.organizations)
    workflow.countersign_national(
        home,
        MINISTRY,
        PASSWORD,
        CENSUS,
        signoff_release.evaluate(home, CENSUS, certificates).districts,
    )
    state = signoff_release.evaluate(home, CENSUS, certificates)
    assert state.districts[0]["countersignature"] == "ok"
    assert state.coverage["national_countersignature"] == "ok"
    assert state.coverage["certified"] == 1 and state.coverage["share_learners"] == 0.5
    changed = [certificates[0], certificate_of("ORG2", girls=3)]
    state = signoff_release.evaluate(home, CENSUS, changed)
    assert state.districts[0]["countersignature"] == "changed"
    assert state.coverage["national_countersignature"] == "changed"
    assert signed.document == certificates[0]


def test_an_organization_not_signed_after_the_deadline_is_overdue(home):
    rows = workflow.organization_statuses(
        [certificate_of("ORG1")], {}, keyring(home), dt.date(2025, 10, 1), dt.date(2025, 10, 2)
    )
    assert rows[0]["status"] == "overdue"
    rows = workflow.organization_statuses(
        [certificate_of("ORG1")], {}, keyring(home), dt.date(2025, 10, 1), dt.date(2025, 10, 1)
    )
    assert rows[0]["status"] == "not_signed"
