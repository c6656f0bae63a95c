"""`emis generate`: write a synthetic register export."""

from __future__ import annotations

import argparse
from pathlib import Path

from emis.errors import UserError
from emis.reference import school_calendar
from ingestion.synthetic.scales import SCALE_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write a synthetic register export (all twelve files, manifest, planted defects)",
        description=(
            "Write a synthetic EMIS register export that follows the register contract: "
            "organizations, learners, movement events, classes, staff, infrastructure, marks, "
            "attendance and population, with manifest.json (row counts, SHA-256) and, beside "
            "them, defects.csv: the planted defects the quality checks must find. "
            "The same seed gives byte-identical files."
        ),
    )
    parser.add_argument(
        "--scale",
        choices=SCALE_NAMES,
        default="tiny",
        help="tiny: a handful of organizations in two districts (seconds); small: one oblast "
        "(Talas); national: the whole republic, calibrated on published figures (minutes)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--year",
        type=int,
        default=2025,
        help="first calendar year of the academic year (2025 = 2025-2026; default 2025)",
    )
    parser.add_argument(
        "--delta-from",
        type=Path,
        metavar="DIR",
        help="write a delta instead: the changes of the --days after the full export in DIR "
        "(new attendance, absences and movement events, corrected rows)",
    )
    parser.add_argument(
        "--days", type=int, default=1, help="days a delta covers (with --delta-from; default 1)"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the export to")
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ingestion.synthetic.export import generate_export

    if args.delta_from is not None:
        return run_delta(args)
    known = calendar_start_years()
    if args.year not in known:
        raise UserError(
            f"--year {args.year}: the school calendar (dbt_project/seeds/school_calendar.csv) "
            f"covers {min(known)}-{max(known)}"
        )
    try:
        summary = generate_export(
            args.scale, args.seed, args.year, args.out, force=args.force, progress=not args.quiet
        )
    except FileExistsError as error:
        raise UserError(str(error)) from None
    width = max(len(name) for name in summary.rows)
    for name, rows in summary.rows.items():
        print(f"  {name:<{width}}  {rows:>12,} rows")
    print(
        f"wrote {summary.path} ({summary.bytes / 2**20:,.1f} MiB, "
        f"{summary.defects:,} planted defects in defects.csv) in {summary.seconds:.1f} s"
    )
    return 0


def run_delta(args: argparse.Namespace) -> int:
    from ingestion.readers import FileError
    from ingestion.synthetic.delta import generate_delta

    try:
        summary = generate_delta(args.delta_from, args.days, args.out, args.seed, args.force)
    except (FileExistsError, ValueError, FileError) as error:
        raise UserError(str(error)) from None
    for name, rows in summary.rows.items():
        print(f"  {name:<22}  {rows:>12,} rows")
    print(f"wrote the delta to {summary.snapshot_date} in {summary.path} ({summary.seconds:.1f} s)")
    return 0


def calendar_start_years() -> list[int]:
    return sorted({int(year[:4]) for year in school_calendar()["academic_year"]})
