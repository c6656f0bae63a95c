"""`emis info`: where the platform keeps its state, as the settings resolve it."""

from __future__ import annotations

import argparse

from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show the settings in force (home, warehouse, key file)",
        description="Show where the platform keeps its warehouse, releases and keys.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = "PostgreSQL" if settings.is_postgres else "DuckDB"
    print(f"EMIS_HOME                {settings.home}")
    print(f"EMIS_WAREHOUSE           {_redact_password(settings.warehouse)}  ({engine})")
    print(f"EMIS_PSEUDONYM_KEY_FILE  {settings.pseudonym_key_file}")
    print(f"releases                 {settings.releases_dir}")
    return 0


def _redact_password(location: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db."""
    scheme, sep, rest = location.partition("://")
    if not sep or "@" not in rest:
        return location
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"
