"""`emis publish` and `emis run`: make a release; the main job in one command."""

from __future__ import annotations

import argparse
import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from emis.errors import UserError
from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    publish = subparsers.add_parser(
        "publish",
        help="make a release (open and restricted bundles) and switch releases/current to it",
        description="Build $EMIS_HOME/releases/<release_id>/ from the built warehouse and make "
        "it current, only if no blocking quality issue stands (emis check) and the disclosure "
        "audit passes; otherwise the previous release stays current and the reason is printed.",
    )
    _accept_option(publish)
    publish.set_defaults(handler=run_publish)

    run = subparsers.add_parser(
        "run",
        help="the main job: ingest an export, build, check and publish",
        description="emis ingest DIR, emis build, emis check and emis publish in a row, with "
        "each stage's progress and a summary of what was loaded, quarantined, built, flagged "
        "and published. A delta export (--incremental) updates the warehouse incrementally.",
    )
    run.add_argument("export", type=Path, metavar="DIR", nargs="?", help="the export folder")
    run.add_argument(
        "--incremental",
        action="store_true",
        help="DIR is a delta export: build incrementally (only what the day touches); with "
        "--from-openemis: extract a delta since the previous extraction",
    )
    run.add_argument(
        "--from-openemis",
        metavar="DSN",
        help="instead of DIR: extract from this OpenEMIS Core database first (emis extract "
        "openemis) into $EMIS_HOME/extracts/openemis/",
    )
    from ingestion.openemis.cli import add_source_options

    add_source_options(run, dsn_flag=None)
    _accept_option(run)
    run.set_defaults(handler=run_pipeline)


def _accept_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--accept-blocking",
        metavar="REASON",
        help="publish despite blocking quality issues, for this recorded reason (the release "
        "notes show it)",
    )
    parser.add_argument(
        "--accept-uncertified",
        metavar="REASON",
        help="publish below the sign-off threshold (emis signoff threshold), for this recorded "
        "reason (the release records it)",
    )


def run_publish(args: argparse.Namespace) -> int:
    from warehouse.release.publish import publish

    release = publish(
        load_settings(), args.accept_blocking, progress=_say,
        accept_uncertified=args.accept_uncertified,
    )  # fmt: skip
    _print_release(release)
    return 0


def run_pipeline(args: argparse.Namespace) -> int:
    from ingestion.load import ingest
    from warehouse.dbt_runner import MONITORING_MARTS, build, parse_project
    from warehouse.release.publish import publish

    settings = load_settings()
    started = time.perf_counter()
    if args.from_openemis:
        args.export, args.incremental = _extract_openemis(args, settings)
    elif args.export is None:
        raise UserError("give the export folder DIR, or --from-openemis DSN")
    _say(f"1/4 ingest {args.export}")
    # dbt and Great Expectations take about 1.3 s and 3 s to import, and dbt 1 s to parse
    # the project: done while the export is loaded (DuckDB's work, outside Python), in the
    # order they are needed; the build waits for dbt only. The check's own modules do not
    # import Great Expectations (its rules are known before, to read facts meanwhile).
    importing = ThreadPoolExecutor(1)
    building = importing.submit(parse_project, settings)
    checking = importing.submit(importlib.import_module, "expectations.check")
    importing.submit(importlib.import_module, "great_expectations")
    importing.shutdown(wait=False)
    loaded = ingest(args.export, settings)
    building.result()
    rows = sum(f.loaded for f in loaded.files)
    quarantined = sum(f.quarantined for f in loaded.files)
    if loaded.already_loaded:
        _say(f"    already loaded as load {loaded.load_id}: nothing new")
    else:
        _say(f"    load {loaded.load_id}: {rows:,} rows loaded, {quarantined:,} quarantined "
             f"({loaded.seconds:.1f} s)")  # fmt: skip
    _say("2/4 build" + (" (incremental)" if args.incremental else ""))
    # The monitoring marts wait for the check, which rebuilds them from its issues.
    stage_started = time.perf_counter()
    built = build(settings, incremental=args.incremental, exclude=MONITORING_MARTS)
    if not built.success:
        raise UserError(f"build failed: {built.error}")
    if built.full_because:
        _say(f"    rebuilt in full: {built.full_because}")
    if built.census_date_summary:
        _say(f"    {built.census_date_summary}")
    models = sum(1 for node in built.nodes if node.resource_type == "model")
    _say(f"    {models} models, {len(built.nodes)} nodes ({_since(stage_started)})")
    _say("3/4 check")
    stage_started = time.perf_counter()
    checked = checking.result().check(settings)
    issues = sum(len(outcome.failing) for outcome in checked.outcomes)
    blocking = sum(len(outcome.failing) for outcome in checked.blocking)
    kind = "full" if checked.delta is None else "incremental"
    _say(f"    {issues:,} issues, {blocking:,} of them blocking ({kind}, {_since(stage_started)})")
    for warning in checked.warnings:
        _say(f"    warning: {warning}")
    _say("4/4 publish")
    release = publish(
        settings, args.accept_blocking, progress=_say, accept_uncertified=args.accept_uncertified
    )
    _print_release(release)
    _say(f"done in {_since(started)}")
    return 0


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def _extract_openemis(args, settings) -> tuple[Path, bool]:
    """Extract into $EMIS_HOME/extracts/openemis/<time>/; a delta follows the latest extraction."""
    import datetime as dt

    from ingestion.openemis.cli import extract_with

    folder = settings.home / "extracts" / "openemis"
    earlier = (
        sorted(p for p in folder.glob("*") if (p / "manifest.json").exists())
        if folder.exists()
        else []
    )
    since = earlier[-1] if args.incremental and earlier else None
    if args.incremental and since is None:
        _say("    no earlier extraction: a full one first")
    out = folder / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    _say(f"0/4 extract {'a delta' if since else 'everything'} from OpenEMIS into {out}")
    result = extract_with(args, args.from_openemis, out, since)
    for warning in result.warnings:
        _say(f"    warning: {warning}")
    _say(f"    {sum(result.rows.values()):,} rows, {result.kind} export ({result.seconds:.1f} s)")
    return out, result.kind == "delta"


def _print_release(release) -> None:
    summary = release.summary
    disclosure = summary["disclosure"]
    _say(
        f"release {release.release_id} is current: {release.path} ({release.seconds:.1f} s)\n"
        f"    {disclosure['observations']:,} observations; suppressed: "
        f"{disclosure['suppressed_primary']:,} primary, {disclosure['suppressed_secondary']:,} "
        f"secondary; {_audited(disclosure['audit'])}\n"
        f"    {_targets(disclosure)}\n"
        f"    blocks (year and reference date) controlled: {disclosure['blocks_controlled']}, "
        f"kept: {disclosure['blocks_kept']}{_from(disclosure['kept_from'])}\n"
        f"    {summary['changes']:,} observations changed since the previous release\n"
        f"    open data: {release.path / 'open'}; restricted: {release.path / 'restricted'}"
    )


def _targets(disclosure: dict) -> str:
    """The suppression targets (issue 16): at most 10 % of observations nationally and 25 % on
    the demo export, no republic total."""
    share = disclosure.get("suppressed_share", 0.0)
    republic = disclosure.get("republic_totals_suppressed", 0)
    return (
        f"suppressed {share:.1%} of observations (target: at most 10 % nationally, 25 % on the "
        f"demo); republic totals suppressed: {republic} (target 0); "
        f"{disclosure.get('tables_coarsened_rows', 0):,} rows of too fine tables published "
        "coarser"
    )


def _audited(audit: dict) -> str:
    if not audit.get("suppressed_quantities"):
        return "no hidden cell to audit in the blocks controlled"
    return (
        f"audit {audit.get('seconds')} s, min width of primary cells {audit.get('min_width')}, "
        f"secondary cells recoverable {audit.get('secondary_recovered', 0)}"
    )


def _from(release_id: str | None) -> str:
    return f" (from release {release_id})" if release_id else ""


def _say(message: str) -> None:
    print(message, flush=True)
