"""`emis portal` (the Streamlit portal on the current release) and `emis users` (its accounts)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from emis.errors import UserError
from emis.settings import load_settings

APP = Path(__file__).resolve().parent / "streamlit_app.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    portal = subparsers.add_parser(
        "portal",
        help="serve the portal (public pages ky/ru/en, restricted pages) on the current release",
        description="Start the Streamlit portal on $EMIS_HOME/releases/current. It reads the "
        "release only, never the warehouse; a new release is picked up without a restart.",
    )
    portal.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    portal.add_argument(
        "--address", default="localhost", help="address to listen on (default localhost)"
    )
    portal.set_defaults(handler=run_portal)

    users = subparsers.add_parser(
        "users",
        help="manage portal accounts (ministry, district, school)",
        description="Accounts of the portal's restricted pages, stored (argon2 hashes) in "
        "$EMIS_HOME/portal/portal.sqlite, outside every release. There are no default "
        "accounts or passwords.",
    )
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an account (asks for its password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("ministry", "district", "school"))
    add.add_argument("--district", help="district SOATE code (8 digits) of a district account")
    add.add_argument("--organization", help="EMIS organization id of a school account")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of asking (for scripts)",
    )
    add.set_defaults(handler=add_user)
    disable = actions.add_parser("disable", help="disable an account (it can no longer sign in)")
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true", help="enable it again instead")
    disable.set_defaults(handler=disable_user)
    listing = actions.add_parser("list", help="list the accounts with their role and scope")
    listing.set_defaults(handler=list_users)


def _quiet_streamlit() -> None:
    """The cached functions warn "no runtime" when imported outside Streamlit: not news here."""
    import logging

    import streamlit  # noqa: F401  (sets up its loggers first)

    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


def streamlit_command(port: int, address: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip


def run_portal(args: argparse.Namespace) -> int:
    _quiet_streamlit()
    from dashboards.data import find_release

    settings = load_settings()
    release = find_release(settings.releases_dir)
    if release is None:
        raise UserError(f"no current release in {settings.releases_dir}: run `emis publish` first")
    print(f"portal: release {release.release_id} at http://{args.address}:{args.port}/")
    env = os.environ | {"EMIS_HOME": str(settings.home)}
    sys.stdout.flush()
    # Become the server (no child left behind when a supervisor or a test stops `emis portal`).
    command = streamlit_command(args.port, args.address)
    os.execve(command[0], command, env)
    return 0  # not reached


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"password for {args.username}: ")
    if first != getpass.getpass("again: "):
        raise UserError("the passwords differ")
    return first


def add_user(args: argparse.Namespace) -> int:
    _quiet_streamlit()
    from dashboards import auth

    home = load_settings().home
    try:
        auth.check_new_account(args.username, args.role, args.district, args.organization)
        account = auth.add_user(
            home, args.username, args.role, _password(args), args.district, args.organization
        )
    except auth.AccountError as error:
        raise UserError(str(error)) from error
    print(f"added {account.username} ({account.role}{_scope(account)})")
    return 0


def disable_user(args: argparse.Namespace) -> int:
    _quiet_streamlit()
    from dashboards import auth

    try:
        auth.set_disabled(load_settings().home, args.username, not args.enable)
    except auth.AccountError as error:
        raise UserError(str(error)) from error
    print(f"{'enabled' if args.enable else 'disabled'} {args.username}")
    return 0


def list_users(args: argparse.Namespace) -> int:
    _quiet_streamlit()
    from dashboards import auth

    accounts = auth.list_users(load_settings().home)
    now = auth.utc_now()
    print(f"{'username':<24} {'role':<9} {'scope':<12} {'status':<9} last sign-in")
    for account in accounts:
        locked = auth.is_locked(account, now)
        status = "disabled" if account.is_disabled else "locked" if locked else "active"
        scope = account.district_code or account.organization_id or "republic"
        print(
            f"{account.username:<24} {account.role:<9} {scope:<12} {status:<9} "
            f"{account.last_login_at or '-'}"
        )
    return 0


def _scope(account) -> str:
    scope = account.district_code or account.organization_id
    return f", {scope}" if scope else ""
