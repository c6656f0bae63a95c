"""`emis publish` and `emis run`: make a release; the main job in one command."""

from __future__ import annotations

import argparse
import time
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
    run.add_argument("export", type=Path, metavar="DIR", help="the export folder")
    run.add_argument(
        "--incremental",
        action="store_true",
        help="DIR is a delta export: build incrementally (only what the day touches)",
    )
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
    from expectations.check import MONITORING_MARTS, check
    from ingestion.load import ingest
    from warehouse.dbt_runner import build
    from warehouse.release.publish import publish

    settings = load_settings()
    started = time.perf_counter()
    _say(f"1/4 ingest {args.export}")
    loaded = ingest(args.export, settings)
    rows = sum(f.loaded for f in loaded.files)
    quarantined = sum(f.quarantined for f in loaded.files)
    if loaded.already_loaded:
        _say(f"    already loaded as load {loaded.load_id}: nothing new")
    else:
        _say(f"    load {loaded.load_id}: {rows:,} rows loaded, {quarantined:,} quarantined "
             f"({loaded.seconds:.1f} s)")  # fmt: skip
    _say("2/4 build" + (" (incremental)" if args.incremental else ""))
    # The monitoring marts wait for the check, which rebuilds them from its issues.
    built = build(settings, incremental=args.incremental, exclude=MONITORING_MARTS)
    if not built.success:
        raise UserError(f"build failed: {built.error}")
    models = sum(1 for node in built.nodes if node.resource_type == "model")
    _say(f"    {models} models, {len(built.nodes)} nodes")
    _say("3/4 check")
    checked = check(settings)
    issues = sum(len(outcome.failing) for outcome in checked.outcomes)
    blocking = sum(len(outcome.failing) for outcome in checked.blocking)
    _say(f"    {issues:,} issues, {blocking:,} of them blocking")
    _say("4/4 publish")
    release = publish(
        settings, args.accept_blocking, progress=_say, accept_uncertified=args.accept_uncertified
    )
    _print_release(release)
    _say(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _print_release(release) -> None:
    summary = release.summary
    disclosure = summary["disclosure"]
    _say(
        f"release {release.release_id} is current: {release.path} ({release.seconds:.1f} s)\n"
        f"    {disclosure['observations']:,} observations; suppressed: "
        f"{disclosure['suppressed_primary']:,} primary, {disclosure['suppressed_secondary']:,} "
        f"secondary; {_audited(disclosure['audit'])}\n"
        f"    blocks (year and reference date) controlled: {disclosure['blocks_controlled']}, "
        f"kept: {disclosure['blocks_kept']}{_from(disclosure['kept_from'])}\n"
        f"    {summary['changes']:,} observations changed since the previous release\n"
        f"    open data: {release.path / 'open'}; restricted: {release.path / 'restricted'}"
    )


def _audited(audit: dict) -> str:
    if not audit.get("suppressed_quantities"):
        return "no hidden cell to audit in the blocks controlled"
    return f"audit {audit.get('seconds')} s, min width {audit.get('min_width')}"


def _from(release_id: str | None) -> str:
    return f" (from release {release_id})" if release_id else ""


def _say(message: str) -> None:
    print(message, flush=True)
