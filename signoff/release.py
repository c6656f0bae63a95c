"""Sign-off in a release, and its verification offline.

`emis publish` computes every certificate from the warehouse (:func:`prepare`), keeps a signed
certificate whose figures did not change (``certificate.pinned``), and writes into the
restricted bundle (:func:`write`):

    restricted/signoff_certificates.parquet   organization_id, district_code, census_date,
                                              certificate_sha256, certificate (canonical JSON)
    restricted/signoff.json                   the census date, the public keys (no usernames),
                                              the latest signature per organization, district
                                              and the republic, and the coverage

The open bundle gets the coverage only (the release record's ``signoff``). The portal shows
the release's certificates and signs them into the sign-off store; the next release carries
those signatures. :func:`verify_release` needs nothing but the release folder.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from emis.settings import Settings
from signoff import canonical, certificate, store, workflow

CERTIFICATES = "signoff_certificates.parquet"
SIGNOFF = "signoff.json"


@dataclass
class State:
    """Certificates, signatures and where each organization and district stands."""

    census_date: str
    certificates: list[dict]
    keys: dict[str, dict]  # key id -> public record
    signatures: dict[str, dict] = field(default_factory=dict)  # organization -> public record
    countersignatures: dict[str, dict] = field(default_factory=dict)  # district -> record
    national: dict | None = None
    deadline: dt.date | None = None
    organizations: list[dict] = field(default_factory=list)
    districts: list[dict] = field(default_factory=list)
    basis: certificate.Basis | None = None  # what the certificates were computed from
    recomputed_because: str | None = None  # None: the earlier release's figures carried

    @property
    def coverage(self) -> dict:
        return workflow.coverage(self.organizations, self.districts) | {
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "national_countersignature": self.national_verdict().reason
            if self.national
            else "none",
        }

    def national_verdict(self) -> workflow.Verdict:
        if not self.national:
            return workflow.Verdict(False, "none")
        expected = canonical.sha256(workflow.national_document(self.census_date, self.districts))
        return workflow.verify_signature(self.national, self.keys, expected)

    def certificate(self, organization_id: str) -> dict | None:
        return next((c for c in self.certificates if c["organization_id"] == organization_id), None)


def evaluate(
    home: Path, census_date: str, certificates: list[dict], today: dt.date | None = None
) -> State:
    """The live state: ``certificates`` against the sign-off store's keys and signatures."""
    key_records = {record.key_id: record.public_record() for record in store.keys(home)}
    latest = {
        kind: {
            subject: record.public_record()
            for subject, record in store.latest_signatures(home, kind, census_date).items()
        }
        for kind in ("organization", "district", "national")
    }
    return _state(
        census_date,
        certificates,
        key_records,
        latest["organization"],
        latest["district"],
        latest["national"].get("KG"),
        store.deadline(home, census_date),
        today,
    )


def _state(
    census, certificates, key_records, signatures, countersignatures, national, deadline, today=None
) -> State:
    rows = workflow.organization_statuses(certificates, signatures, key_records, deadline, today)
    districts = workflow.district_statuses(rows, countersignatures, key_records)
    return State(
        census,
        certificates,
        key_records,
        signatures,
        countersignatures,
        national,
        deadline,
        rows,
        districts,
    )


def prepare(
    settings: Settings, census_date: dt.date | None = None, earlier: Path | None = None
) -> State:
    """Certificates computed from the warehouse now (the figures of the ``earlier`` release's
    carried forward while nothing they stand on changed), signed ones kept while unchanged."""
    computed = certificate.update(settings, census_date, earlier_certificates(earlier))
    census = computed.basis.census_date
    signed = store.latest_signatures(settings.home, "organization", census)
    documents = [
        certificate.pinned(c, signed[c["organization_id"]].document)
        if c["organization_id"] in signed
        else c
        for c in computed.certificates
    ]
    state = evaluate(settings.home, census, documents)
    state.basis, state.recomputed_because = computed.basis, computed.recomputed_because
    return state


def earlier_certificates(release: Path | None) -> certificate.Earlier | None:
    """A release's certificates and what they were computed from, when it records that."""
    restricted = Path(release) / "restricted" if release is not None else None
    if restricted is None or not (restricted / CERTIFICATES).exists():
        return None
    basis = json.loads((restricted / SIGNOFF).read_text(encoding="utf-8")).get("basis")
    if basis is None:
        return None
    return certificate.Earlier(certificate.Basis(**basis), _shipped_certificates(restricted))


def write(folder: Path, state: State) -> None:
    """The restricted bundle's sign-off files (``folder`` is ``restricted/``)."""
    texts = [canonical.dumps(c) for c in state.certificates]  # serialized once, hashed as text
    frame = pd.DataFrame(
        [
            {
                "organization_id": c["organization_id"],
                "district_code": c["district_code"],
                "census_date": c["census_date"],
                "certificate_sha256": canonical.text_sha256(text),
                "certificate": text,
            }
            for c, text in zip(state.certificates, texts, strict=True)
        ],
        columns=[
            "organization_id",
            "district_code",
            "census_date",
            "certificate_sha256",
            "certificate",
        ],
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / CERTIFICATES, index=False)
    used = {s["key_id"] for s in _all_signatures(state)}
    document = {
        "census_date": state.census_date,
        "keys": [k for key_id, k in sorted(state.keys.items()) if key_id in used],
        "signatures": _all_signatures(state),
        "coverage": state.coverage,
    }
    if state.basis is not None:  # the next release may carry the figures forward from it
        document["basis"] = asdict(state.basis)
        document["recomputed_because"] = state.recomputed_because  # None: carried
    (folder / SIGNOFF).write_text(
        json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def _all_signatures(state: State) -> list[dict]:
    return [
        *state.signatures.values(),
        *state.countersignatures.values(),
        *([state.national] if state.national else []),
    ]


def read(release: Path) -> State | None:
    """The sign-off state a release shipped (its certificates as published), or None."""
    restricted = Path(release) / "restricted"
    if not (restricted / CERTIFICATES).exists():
        return None
    certificates = _shipped_certificates(restricted)
    shipped = json.loads((restricted / SIGNOFF).read_text(encoding="utf-8"))
    key_records = {k["key_id"]: k for k in shipped["keys"]}
    by_kind: dict[str, dict] = {"organization": {}, "district": {}, "national": {}}
    for record in shipped["signatures"]:
        by_kind[record["kind"]][record["subject"]] = record
    deadline = shipped["coverage"].get("deadline")
    return _state(
        shipped["census_date"],
        certificates,
        key_records,
        by_kind["organization"],
        by_kind["district"],
        by_kind["national"].get("KG"),
        dt.date.fromisoformat(deadline) if deadline else None,
    )


def _shipped_certificates(restricted: Path) -> list[dict]:
    return [json.loads(text) for text in pd.read_parquet(restricted / CERTIFICATES)["certificate"]]


def certificates_of(release: Path) -> list[dict]:
    state = read(release)
    return state.certificates if state else []


def quality_statement(coverage: dict) -> str:
    """The open bundle's line on certification (a quality statement: how much of the data the
    heads of organizations have certified by digital signature)."""
    text = (
        f"- certified data (sign-off, census date {coverage['census_date']}): "
        f"{coverage['certified']:,} of {coverage['organizations']:,} organizations "
        f"({coverage['share_organizations']:.0%}), {coverage['share_learners']:.0%} of learners "
        f"covered by a valid signature of the organization's head; "
        f"{coverage['districts_countersigned']} district(s) countersigned"
    )
    if coverage.get("accepted"):
        text += f"; published below the threshold: {coverage['accepted']}"
    return text


def certification_note(settings: Settings, form_id: str, scope: str, as_of: dt.date):
    """What a state form's check sheet says of its data's certification (ru and ky): the
    organizations of the form in ``scope`` whose certificate for the census date stands
    signed, and their learners; None where no release carries certificates. The release is
    the one whose form inputs the settings read, else the current one."""
    from reports.declaration import Text

    warehouse = Path(settings.warehouse) if not settings.is_postgres else None
    if warehouse is not None and warehouse.name == "form_inputs.duckdb":
        path = warehouse.parent.parent
    else:
        path = settings.home / "releases" / "current"
    shipped = read(path) if (path / "restricted" / CERTIFICATES).exists() else None
    if shipped is None:
        return None
    census = shipped.census_date
    if as_of.isoformat() != census:
        return Text(
            f"Подписание данных ЭЦП проведено на дату учёта {census}: данные формы на "
            f"{as_of.isoformat()} им не удостоверены.",
            f"Маалыматка ЭЦП менен кол коюу {census} эсепке алуу күнүнө жүргүзүлгөн: "
            f"{as_of.isoformat()} карата форманын маалыматтары тастыкталган эмес.",
        )
    state = evaluate(settings.home, census, shipped.certificates)
    own = {
        c["organization_id"]
        for c in shipped.certificates
        if form_id in c["forms"]
        and (scope == "KG" or c["district_code"].startswith(scope) or c["organization_id"] == scope)
    }
    rows = [row for row in state.organizations if row["organization_id"] in own]
    signed = [row for row in rows if row["status"] == "signed"]
    learners = sum(row["learners"] for row in rows)
    share = workflow.share(sum(row["learners"] for row in signed), learners)
    return Text(
        f"Удостоверено ЭЦП руководителей организаций: {len(signed)} из {len(rows)} "
        f"организаций, {share:.0%} обучающихся (дата учёта {census}).",
        f"Уюмдардын жетекчилеринин ЭЦП менен тастыкталган: {len(rows)} уюмдун {len(signed)}, "
        f"окуучулардын {share:.0%} (эсепке алуу күнү {census}).",
    )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    valid: bool
    reason: str
    changes: tuple[certificate.Change, ...] = ()


def verify_release(release: Path) -> list[Finding]:
    """Every signature a release ships, checked against its public keys and certificates;
    a certificate whose stored hash is not its content's is reported too."""
    restricted = Path(release) / "restricted"
    if not (restricted / CERTIFICATES).exists():
        raise FileNotFoundError(f"{release}: no sign-off in this release ({CERTIFICATES})")
    frame = pd.read_parquet(restricted / CERTIFICATES)
    findings = [
        Finding("certificate", row.organization_id, False, "stored hash is not its content's")
        for row in frame.itertuples()
        if canonical.sha256(json.loads(row.certificate)) != row.certificate_sha256
    ]
    state = read(release)
    for row in state.organizations:
        if row["organization_id"] in state.signatures:
            findings.append(
                Finding(
                    "organization", row["organization_id"], row["status"] == "signed", row["reason"]
                )
            )
    for row in state.districts:
        if row["countersignature"] != "none":
            findings.append(
                Finding(
                    "district",
                    row["district_code"],
                    bool(row["countersigned"]),
                    row["countersignature"],
                )
            )
    if state.national:
        verdict = state.national_verdict()
        findings.append(Finding("national", "KG", verdict.valid, verdict.reason))
    return findings


def verify_warehouse(settings: Settings, census_date: dt.date | None = None) -> list[Finding]:
    """The sign-off store's signatures against certificates recomputed from the warehouse as
    it is now: a changed figure is named, cell by cell."""
    state = prepare(settings, census_date)
    findings = []
    signed = store.latest_signatures(settings.home, "organization", state.census_date)
    for row in state.organizations:
        record = signed.get(row["organization_id"])
        if record is None:
            continue
        now = state.certificate(row["organization_id"])
        found = (
            tuple(certificate.changes(record.document, now)) if row["status"] == "changed" else ()
        )
        findings.append(
            Finding(
                "organization",
                row["organization_id"],
                row["status"] == "signed",
                row["reason"],
                found,
            )
        )
    for row in state.districts:
        if row["countersignature"] != "none":
            findings.append(
                Finding(
                    "district",
                    row["district_code"],
                    bool(row["countersigned"]),
                    row["countersignature"],
                )
            )
    return findings
