"""The ``emis`` command: one entry point, sub-commands composed per area.

Each area module exposes ``register(subparsers)``; the handlers stay thin and call pure functions.
User mistakes raise :class:`UserError` and end as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from emis import __version__
from emis.collector import collect_less_often
from emis.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    from api import cli as api_cli
    from dashboards import cli as dashboards_cli
    from emis import info
    from expectations import cli as expectations_cli
    from ingestion import cli as ingestion_cli
    from ingestion.openemis import cli as openemis_cli
    from ingestion.synthetic import cli as synthetic_cli
    from reports import cli as reports_cli
    from signoff import cli as signoff_cli
    from warehouse import cli as warehouse_cli
    from warehouse.release import cli as release_cli

    parser = argparse.ArgumentParser(
        prog="emis",
        description=(
            "Education statistics platform for the Kyrgyz Republic's EMIS (ИСУО / БББМС): "
            "register exports in; anonymized indicators, state report forms and "
            "data-quality monitoring out."
        ),
        epilog="Settings come from EMIS_HOME, EMIS_WAREHOUSE and EMIS_PSEUDONYM_KEY_FILE; "
        "see `emis info`.",
    )
    parser.add_argument("--version", action="version", version=f"emis {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for area in (
        synthetic_cli,
        ingestion_cli,
        openemis_cli,
        warehouse_cli,
        expectations_cli,
        reports_cli,
        release_cli,
        signoff_cli,
        dashboards_cli,
        api_cli,
        info,
    ):
        area.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except UserError as error:
        print(f"emis {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"emis {args.command}: interrupted", file=sys.stderr)
        return 130


def process() -> int:
    """The ``emis`` process: ``main`` with the garbage collector set for a command's batch of
    work (``main`` itself leaves the collector of a calling program alone)."""
    collect_less_often()
    try:
        return main()
    finally:
        # What is left goes with the process; a last collection over it took 0.2 s at exit.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(process())
