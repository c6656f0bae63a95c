"""`emis extract openemis`: write a register export from a live OpenEMIS Core database."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from emis.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    extract = subparsers.add_parser(
        "extract",
        help="write a register export from an operational EMIS database (OpenEMIS Core)",
        description="Extract a register export (manifest.json and the contract's files) from "
        "an operational EMIS. The export then goes through `emis ingest` / `emis run` like any "
        "other, so every row rule and the personal-data boundary apply unchanged.",
    )
    sources = extract.add_subparsers(dest="source", metavar="SOURCE", required=True)
    parser = sources.add_parser(
        "openemis",
        help="OpenEMIS Core on MariaDB/MySQL (read-only; docs/openemis.md)",
        description="Read an OpenEMIS Core database in one consistent snapshot (REPEATABLE "
        "READ, read-only) and write a full export, or with --since a delta of what changed "
        "after that earlier extraction. Codes go through a mapping file (default: the Kyrgyz "
        "installation's); a code missing from it stops the extraction and names the key to "
        "add. The export is written to a temporary folder and renamed at the end: a failure "
        "leaves --out as it was.",
    )
    add_source_options(parser, dsn_flag="--dsn")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the export to")
    parser.add_argument(
        "--since",
        type=Path,
        metavar="EXPORT_DIR",
        help="an earlier extraction: write a delta of what changed after it",
    )
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def add_source_options(parser: argparse.ArgumentParser, dsn_flag: str) -> None:
    """Options shared with `emis run --from-openemis`."""
    if dsn_flag == "--dsn":
        parser.add_argument(
            "--dsn",
            required=True,
            help="mysql://user:password@host:3306/database (or ?unix_socket=/path); use the "
            "read-only user of docs/openemis.md",
        )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        metavar="DATE",
        help="the export's snapshot date (default: today); deltas re-read attendance from "
        "two weeks before it",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        help="the installation's mapping file (default: ingestion/openemis/kyrgyz.toml)",
    )
    parser.add_argument(
        "--population",
        type=Path,
        metavar="CSV",
        help="population.csv (National Statistical Committee) to include: OpenEMIS holds none",
    )


def run(args: argparse.Namespace) -> int:
    result = extract_with(args, args.dsn, args.out, args.since, force=args.force)
    print(format_summary(result))
    return 0


def extract_with(args, dsn: str, out: Path, since: Path | None, force: bool = False):
    """Run the extraction, turning every expected failure into a one-line UserError."""
    from ingestion.openemis.extract import extract
    from ingestion.openemis.mapping import MappingError, UnmappedCodeError, load_mapping
    from ingestion.openemis.source import SourceError
    from ingestion.readers import FileError

    try:
        mapping = load_mapping(args.mapping)
        return extract(
            dsn,
            args.as_of or dt.date.today(),
            out,
            mapping=mapping,
            since=since,
            population=args.population,
            force=force,
            progress=not getattr(args, "quiet", False),
        )
    except (MappingError, UnmappedCodeError, SourceError, FileError, FileExistsError) as error:
        raise UserError(f"{error} ({out} left as it was)") from None
    except (OSError, ValueError) as error:
        raise UserError(f"{type(error).__name__}: {error} ({out} left as it was)") from None


def format_summary(result) -> str:
    lines = [f"{'source table':<40} {'rows':>12} {'rows/s':>12}"]
    for name, (rows, seconds) in result.pulled.items():
        lines.append(f"{name:<40} {rows:>12,} {rows / max(seconds, 1e-6):>12,.0f}")
    lines.append("")
    lines.append(f"{'file':<40} {'rows':>12}")
    lines.extend(f"{name:<40} {rows:>12,}" for name, rows in result.rows.items())
    lines.extend(f"warning: {warning}" for warning in result.warnings)
    if result.steps:
        lines.append("steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.steps.items()))
        slowest = sorted(result.derived.items(), key=lambda item: -item[1])[:6]
        lines.append("derive, slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
        slowest = sorted(result.written.items(), key=lambda item: -item[1])[:4]
        lines.append("write, slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    lines.append(
        f"wrote a {result.kind} export to {result.path} in {result.seconds:.1f} s "
        f"(watermark {result.watermark})"
    )
    return "\n".join(lines)
