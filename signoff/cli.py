"""`emis signoff`: certify census-date data with digital signatures (docs/signoff.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

from emis.errors import UserError
from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "signoff",
        help="sign-off: heads certify their data, districts and the ministry countersign",
        description="Data certificates per organization and census date, signed by the head "
        "of the organization (Ed25519 keys sealed with the account's password), countersigned "
        "by the district and the ministry. Certificates come with each release (emis publish); "
        "signatures live in $EMIS_HOME/signoff. See docs/signoff.md.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    status = actions.add_parser(
        "status", help="each organization's sign-off in the current release"
    )
    status.add_argument("--district", metavar="CODE", help="one district only")
    status.set_defaults(handler=run_status)

    key = actions.add_parser("key", help="create, register, revoke or list signing keys")
    key_actions = key.add_subparsers(dest="key_action", metavar="KEY_ACTION", required=True)
    create = key_actions.add_parser("create", help="a signing key for the account --as")
    _as(create)
    create.set_defaults(handler=run_key_create)
    registration = key_actions.add_parser("register", help="register a key (audit-logged)")
    registration.add_argument("key_id")
    _as(registration)
    registration.set_defaults(handler=run_key_register)
    revoke = key_actions.add_parser("revoke", help="revoke a key (audit-logged)")
    revoke.add_argument("key_id")
    revoke.add_argument("--reason", required=True)
    _as(revoke)
    revoke.set_defaults(handler=run_key_revoke)
    listing = key_actions.add_parser("list", help="keys and the audit log of key events")
    listing.set_defaults(handler=run_key_list)

    sign = actions.add_parser("sign", help="sign the own organization's certificate")
    _as(sign)
    sign.add_argument(
        "--note",
        action="append",
        default=[],
        metavar="RULE=TEXT",
        help="explain a blocking quality issue (one per rule; needed to sign despite it)",
    )
    sign.set_defaults(handler=run_sign)

    countersign = actions.add_parser(
        "countersign",
        help="countersign the own district (district head) or the republic (ministry)",
    )
    _as(countersign)
    countersign.set_defaults(handler=run_countersign)

    verify = actions.add_parser(
        "verify",
        help="check signatures: a release offline, or the warehouse as it is now",
        description="With RELEASE (a release folder): every signature it ships, against its "
        "public keys and certificates, offline. Without: the sign-off store's signatures "
        "against certificates recomputed from the warehouse now, naming each changed cell. "
        "Exit code 1 when a signature is not valid.",
    )
    verify.add_argument("release", nargs="?", type=Path, metavar="RELEASE")
    verify.set_defaults(handler=run_verify)

    deadline = actions.add_parser("deadline", help="set the signing deadline of a census date")
    deadline.add_argument("deadline", type=dt.date.fromisoformat, metavar="DATE")
    deadline.add_argument("--census-date", type=dt.date.fromisoformat, metavar="DATE")
    _as(deadline)
    deadline.set_defaults(handler=run_deadline)

    threshold = actions.add_parser(
        "threshold", help="share of organizations certified that `emis publish` requires"
    )
    threshold.add_argument("share", type=float, metavar="SHARE", help="0..1 (0: no gate)")
    _as(threshold)
    threshold.set_defaults(handler=run_threshold)


def _as(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="username",
        required=True,
        metavar="USER",
        help="the portal account acting (asks for its password)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (for scripts)",
    )


def _quiet_streamlit() -> None:
    from dashboards.cli import _quiet_streamlit as quiet

    quiet()


def _authenticate(args: argparse.Namespace):
    """The account --as, after its password; the password too (it unlocks the key)."""
    _quiet_streamlit()
    from dashboards import auth

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
    result = auth.sign_in(load_settings().home, args.username, password)
    if result.account is None:
        raise UserError(f"{args.username}: sign-in refused ({result.reason})")
    return result.account, password


def _current_state():
    from signoff import release as signoff_release
    from warehouse.release.publish import current_release

    settings = load_settings()
    path = current_release(settings)
    shipped = signoff_release.read(path) if path else None
    if shipped is None:
        raise UserError("the current release has no certificates: run `emis publish` first")
    return settings, signoff_release.evaluate(
        settings.home, shipped.census_date, shipped.certificates
    )


def _refused(error: Exception) -> UserError:
    return UserError(str(error))


def run_status(args: argparse.Namespace) -> int:
    _, state = _current_state()
    rows = [r for r in state.organizations if args.district in (None, r["district_code"])]
    deadline = state.deadline.isoformat() if state.deadline else "none"
    print(f"census date {state.census_date}; deadline {deadline}")
    print(f"{'organization':<14} {'district':<9} {'status':<11} {'learners':>8}  signed at / why")
    for row in rows:
        why = row["signed_at"] or ""
        if row["status"] in ("changed", "invalid"):
            why += f" ({row['reason']})"
        print(
            f"{row['organization_id']:<14} {row['district_code']:<9} {row['status']:<11} "
            f"{row['learners']:>8,}  {why}"
        )
    for district in state.districts:
        if args.district in (None, district["district_code"]):
            print(
                f"district {district['district_code']}: {district['certified']}/"
                f"{district['organizations']} organizations, "
                f"{district['share_learners']:.0%} of learners certified; countersignature: "
                f"{'valid' if district['countersigned'] else district['countersignature']}"
            )
    coverage = state.coverage
    national = coverage["national_countersignature"]
    print(
        f"republic: {coverage['certified']}/{coverage['organizations']} organizations "
        f"({coverage['share_organizations']:.0%}), {coverage['share_learners']:.0%} of "
        f"learners; national countersignature: {'valid' if national == 'ok' else national}"
    )
    return 0


def run_key_create(args: argparse.Namespace) -> int:
    from signoff import keys, workflow

    account, password = _authenticate(args)
    try:
        public = workflow.create_key(load_settings().home, account, password)
    except (keys.SigningKeyError, workflow.SignOffError) as error:
        raise _refused(error) from None
    registrar = "the district" if account.role == "school" else "the ministry"
    print(
        f"key {public.key_id} ({public.scheme}) created for {account.username}; "
        f"{registrar} registers it: emis signoff key register {public.key_id} --as ..."
    )
    return 0


def _district_of() -> dict[str, str]:
    _, state = _current_state()
    return {c["organization_id"]: c["district_code"] for c in state.certificates}


def run_key_register(args: argparse.Namespace) -> int:
    from signoff import workflow

    account, _ = _authenticate(args)
    try:
        record = workflow.register_key(load_settings().home, account, args.key_id, _district_of())
    except (workflow.SignOffError, workflow.ScopeError) as error:
        raise _refused(error) from None
    print(
        f"registered key {record.key_id} of {record.username} ({record.role}, "
        f"{record.subject}) by {account.username}"
    )
    return 0


def run_key_revoke(args: argparse.Namespace) -> int:
    from signoff import workflow

    account, _ = _authenticate(args)
    try:
        workflow.revoke_key(load_settings().home, account, args.key_id, args.reason, _district_of())
    except (workflow.SignOffError, workflow.ScopeError) as error:
        raise _refused(error) from None
    print(f"revoked key {args.key_id} by {account.username}: {args.reason}")
    return 0


def run_key_list(args: argparse.Namespace) -> int:
    from signoff import store

    home = load_settings().home
    print(f"{'key id':<33} {'user':<20} {'role':<9} {'scope':<10} state")
    for record in store.keys(home):
        state = (
            f"revoked {record.revoked_at}"
            if record.revoked_at
            else f"registered {record.registered_at} by {record.registered_by}"
            if record.registered_at
            else "waiting for registration"
        )
        print(
            f"{record.key_id:<33} {record.username:<20} {record.role:<9} "
            f"{record.subject:<10} {state}"
        )
    print("\nkey events:")
    for event in store.key_events(home):
        print(
            f"  {event['at']} {event['action']:<10} {event['key_id']} of {event['username']} "
            f"by {event['by_username']} {event['detail'] or ''}".rstrip()
        )
    return 0


def run_sign(args: argparse.Namespace) -> int:
    from signoff import keys, workflow

    account, password = _authenticate(args)
    settings, state = _current_state()
    certificate = state.certificate(account.organization_id or "")
    if certificate is None:
        raise UserError(f"{args.username}: no certificate of an organization of this account")
    notes = dict(note.split("=", 1) for note in args.note if "=" in note)
    try:
        record = workflow.sign_certificate(settings.home, account, password, certificate, notes)
    except (keys.SigningKeyError, workflow.SignOffError, workflow.ScopeError) as error:
        raise _refused(error) from None
    print(
        f"signed the certificate of {record.subject} for {record.census_date}: "
        f"sha256 {record.document_sha256}"
    )
    return 0


def run_countersign(args: argparse.Namespace) -> int:
    from signoff import keys, workflow

    account, password = _authenticate(args)
    settings, state = _current_state()
    try:
        if account.role == "ministry":
            record = workflow.countersign_national(
                settings.home, account, password, state.census_date, state.districts
            )
        else:
            record = workflow.countersign_district(
                settings.home,
                account,
                password,
                account.district_code or "",
                state.census_date,
                state.organizations,
            )
    except (keys.SigningKeyError, workflow.SignOffError, workflow.ScopeError) as error:
        raise _refused(error) from None
    print(
        f"countersigned {record.subject} for {record.census_date}: sha256 {record.document_sha256}"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from signoff import release as signoff_release

    if args.release:
        try:
            findings = signoff_release.verify_release(args.release)
        except FileNotFoundError as error:
            raise UserError(str(error)) from None
        print(
            f"release {args.release.resolve().name}: {len(findings)} signature(s) checked offline"
        )
    else:
        findings = signoff_release.verify_warehouse(load_settings())
        print(
            f"warehouse now: {len(findings)} signature(s) checked against recomputed certificates"
        )
    for finding in findings:
        print(
            f"  {'VALID  ' if finding.valid else 'INVALID'} {finding.kind} {finding.subject}"
            + ("" if finding.valid else f": {finding.reason}")
        )
        for change in finding.changes:
            print(f"      {change.label}: {change.before} -> {change.after}")
    invalid = sum(not finding.valid for finding in findings)
    print(f"{len(findings) - invalid} valid, {invalid} not valid")
    return 1 if invalid else 0


def run_deadline(args: argparse.Namespace) -> int:
    from signoff import store

    account, _ = _authenticate(args)
    if account.role != "ministry":
        raise UserError("deadlines are set by the ministry")
    census = args.census_date.isoformat() if args.census_date else _current_state()[1].census_date
    store.set_deadline(load_settings().home, census, args.deadline.isoformat(), account.username)
    print(f"deadline for census date {census}: {args.deadline}")
    return 0


def run_threshold(args: argparse.Namespace) -> int:
    from signoff import store

    account, _ = _authenticate(args)
    if account.role != "ministry":
        raise UserError("the publication threshold is set by the ministry")
    if not 0 <= args.share <= 1:
        raise UserError("SHARE is a share between 0 and 1")
    store.set_threshold(load_settings().home, args.share, account.username)
    print(f"emis publish now needs {args.share:.0%} of organizations certified")
    return 0
