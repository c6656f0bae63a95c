"""`emis ingest`: load one register export into the configured warehouse."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from emis.settings import Settings, load_settings
from ingestion.readers import FileError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="load a register export into the warehouse (every row loaded or quarantined)",
        description=(
            "Load one register export (a folder with manifest.json and the register files as "
            "CSV, XLSX or Parquet) into the warehouse named by EMIS_WAREHOUSE. Whole-file "
            "problems stop the load and change nothing; bad rows are quarantined with the rule "
            "they break (meta.quarantine) and the rest loads. Names, documents, addresses and "
            "phones become presence flags; PINs become keyed pseudonyms. Loading the same "
            "export again changes nothing."
        ),
    )
    parser.add_argument("export", type=Path, help="the export folder")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ingestion.load import ingest

    settings = load_settings()
    progress = None if args.quiet else lambda name: print(f"  reading {name} ...", flush=True)
    try:
        result = ingest(args.export, settings, progress=progress)
    except FileError as error:
        _log_attempt(settings, args.export, {"status": "failed", "error": str(error)})
        raise
    if result.already_loaded:
        print(f"{args.export}: already loaded as load {result.load_id}; nothing changed")
        _log_attempt(settings, args.export, {"status": "already_loaded", "load_id": result.load_id})
        return 0
    print(format_summary(result))
    _log_attempt(
        settings,
        args.export,
        {"status": "loaded", "load_id": result.load_id, "seconds": round(result.seconds, 1)},
    )
    return 0


def format_summary(result) -> str:
    header = f"{'file':<24} {'declared':>12} {'loaded':>12} {'quarantined':>12} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for f in result.files:
        lines.append(
            f"{f.file:<24} {f.declared:>12,} {f.loaded:>12,} {f.quarantined:>12,} {f.seconds:>8.1f}"
        )
    declared = sum(f.declared for f in result.files)
    loaded = sum(f.loaded for f in result.files)
    quarantined = sum(f.quarantined for f in result.files)
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<24} {declared:>12,} {loaded:>12,} {quarantined:>12,} {result.seconds:>8.1f}"
    )
    lines.extend(f"warning: {warning}" for warning in result.warnings)
    lines.append(
        f"load {result.load_id}: {loaded:,} rows loaded, {quarantined:,} quarantined "
        f"(meta.quarantine says which rule each breaks)"
    )
    return "\n".join(lines)


def _log_attempt(settings: Settings, export: Path, entry: dict) -> None:
    """Every attempt, failed ones too, in $EMIS_HOME/logs/ingest.jsonl (outside the warehouse)."""
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "export": str(export),
    } | entry
    with (log_dir / "ingest.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
