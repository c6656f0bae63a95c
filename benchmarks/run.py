"""`make bench`: national-scale runs of each pipeline stage, with printed figures.

Each stage runs as its own `emis` subprocess, so its peak memory (max RSS) is measured alone.
Figures are medians over ``--repeat`` runs. Not part of the test suite: nothing here passes
or fails, it reports. ``--postgres`` runs the warehouse stages on a throwaway PostgreSQL
cluster too (local server binaries) and prints the ratio to DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

EMIS = [sys.executable, "-m", "emis.cli"]


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mib: float
    # User and system time of the process and the workers it waited for: on a shared machine
    # the work done, which the load hardly changes, beside the wall time, which it does.
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class Stage:
    name: str
    runs: list[Measurement]
    rows: int

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_mib(self) -> float:
        return statistics.median(run.peak_mib for run in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs)


class StageFailed(RuntimeError):  # noqa: N818 (a benchmark stage, not an error of the code)
    """A stage's command failed: the stages measured so far are still printed."""


def measure(
    command: list[str], env: dict[str, str] | None = None, exit_codes: tuple[int, ...] = (0,)
) -> Measurement:
    """Run ``command`` to completion; its wall time and its own peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)  # wait4: this child's own rusage
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in exit_codes:
        raise StageFailed(f"benchmark: {' '.join(command)} exited with {process.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(time.perf_counter() - started, usage.ru_maxrss / 1024, cpu)


def export_rows(export: Path) -> int:
    manifest = json.loads((export / "manifest.json").read_text())
    return sum(entry["rows"] for entry in manifest["files"].values())


def bench_generate(args: argparse.Namespace, export: Path) -> Stage:
    command = [*EMIS, "generate", "--scale", args.scale, "--seed", str(args.seed),
               "--year", "2025", "--out", str(export), "--force", "--quiet"]  # fmt: skip
    return Stage("generate", [measure(command) for _ in range(args.repeat)], export_rows(export))


def bench_bare_read(args, export: Path) -> Stage:
    """The yardstick: DuckDB reads the export's CSV files into a database (benchmarks.bare_read)."""
    command = [sys.executable, "-m", "benchmarks.bare_read", str(export),
               str(args.work / "bare-read.duckdb")]  # fmt: skip
    return Stage("bare read", [measure(command) for _ in range(args.repeat)], export_rows(export))


# Targets of the national run on DuckDB, as ratios to the bare read timed in the same run
# (22.9 s on a quiet machine when they were set): a noisy machine slows both alike.
TARGET_RATIOS = {
    "ingest": 1.3,
    "build": 25 / 22.9,
    "check": 15 / 22.9,
    "publish": 20 / 22.9,
    "whole pipeline": 4.0,
    "daily run": 0.65,
}


def print_ratios(by_name: dict[str, Stage]) -> None:
    """Each DuckDB stage over the bare read, beside its target ratio."""
    bare = by_name.get("bare read")
    if bare is None:
        return
    seconds = {step: by_name[f"{step} duckdb"].seconds for step in TARGET_RATIOS
               if f"{step} duckdb" in by_name}  # fmt: skip
    steps = ("ingest", "build", "check", "publish")
    if all(step in seconds for step in steps):
        seconds["whole pipeline"] = sum(seconds[step] for step in steps)
    print(f"ratios to the bare read ({bare.seconds:.1f} s), DuckDB:")
    for step, value in seconds.items():
        ratio, target = value / bare.seconds, TARGET_RATIOS[step]
        verdict = "met" if ratio <= target else "NOT met"
        print(f"  {step:<15} {ratio:5.2f}x  target {target:4.2f}x  {verdict}")


def bench_ingest(args, export: Path, name: str, fresh_warehouse) -> tuple[Stage, dict]:
    """Load ``export`` into a fresh warehouse per run (``fresh_warehouse()`` -> environment).

    Returns the stage and the environment of the last run's warehouse, loaded.
    """
    runs = []
    for _ in range(args.repeat):
        env = os.environ | fresh_warehouse()
        runs.append(measure([*EMIS, "ingest", "--quiet", str(export)], env))
    return Stage(name, runs, export_rows(export)), env


def bench_build(args, export: Path, name: str, env: dict) -> Stage:
    """`emis build` on a loaded warehouse (models are replaced each run: runs are alike)."""
    runs = [measure([*EMIS, "build"], env) for _ in range(args.repeat)]
    return Stage(name, runs, export_rows(export))


def bench_report(args, export: Path, name: str, env: dict) -> tuple[Stage, Path]:
    """`emis report osh-1` for the republic on a built warehouse; the workbook it wrote."""
    out = args.work / "reports" / "osh-1-KG.xlsx"
    command = [*EMIS, "report", "osh-1", "--territory", "KG", "--out", str(out), "--no-pdf"]
    runs = [measure(command, env) for _ in range(args.repeat)]
    return Stage(name, runs, export_rows(export)), out


def bench_check(args, export: Path, name: str, env: dict) -> Stage:
    """`emis check --full` on a built warehouse (each run replaces the load's issues: runs are
    alike; without --full a second run would build on the first). Exit code 1 means blocking
    issues, which a synthetic export's planted defects always are."""
    command = [*EMIS, "check", "--full"]
    runs = [measure(command, env, exit_codes=(0, 1)) for _ in range(args.repeat)]
    return Stage(name, runs, export_rows(export))


ACCEPT = ("--accept-blocking", "benchmark on a synthetic export: its planted defects are known")


def bench_publish(args, export: Path, name: str, env: dict) -> Stage:
    """`emis publish` on a built and checked warehouse: disclosure control of every block, its
    audit, the bundles. Each run is a first release (earlier ones removed): a release after
    one of the same data would keep every block."""
    releases = Path(env["EMIS_HOME"]) / "releases"
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(releases, ignore_errors=True)
        runs.append(measure([*EMIS, "publish", *ACCEPT], env))
    print_disclosure(releases / "current", name)
    return Stage(name, runs, export_rows(export))


def print_disclosure(release: Path, name: str) -> None:
    """The last release's disclosure figures: cells suppressed, the audit, the bundle's size."""
    record = json.loads((release / "release.json").read_text())
    disclosure = record["disclosure"]
    rows = disclosure["observations"]
    audit = disclosure["audit"]
    size = sum(path.stat().st_size for path in (release / "open").rglob("*") if path.is_file())
    print(
        f"{name}: {rows:,} observations, suppressed {disclosure['suppressed_primary']:,} "
        f"primary ({disclosure['suppressed_primary'] / rows:.1%}) and "
        f"{disclosure['suppressed_secondary']:,} secondary "
        f"({disclosure['suppressed_secondary'] / rows:.1%}); audit {audit['seconds']} s, "
        f"{audit['linear_programs']:,} programs, {disclosure['repairs']} repairs, min width "
        f"{audit['min_width']}; blocks controlled {disclosure['blocks_controlled']}, kept "
        f"{disclosure['blocks_kept']}; open bundle {size / 2**20:,.0f} MiB"
    )
    share = disclosure.get("suppressed_share", (disclosure["suppressed_primary"]
                           + disclosure["suppressed_secondary"]) / rows)  # fmt: skip
    print(
        f"{name}: suppressed {share:.1%} of observations (target: at most 10 % nationally, "
        f"25 % on the demo); republic totals suppressed "
        f"{disclosure.get('republic_totals_suppressed', '?')} (target 0); secondary cells "
        f"recoverable {audit.get('secondary_recovered', '?')}"
    )


def bench_daily(args, export: Path, name: str, env: dict, admin_dsn: str | None) -> list[Stage]:
    """A day's delta after the export (generated once), then `emis run --incremental` on it:
    ingest, incremental build, check and publish; the daily refresh. A delta delivered again
    is already loaded, so each later run starts from the warehouse and home as they were
    before the first (``the_day_before``); the last run's state stays."""
    delta = args.work / f"delta-{args.seed}"
    generate = [*EMIS, "generate", "--delta-from", str(export), "--days", "1",
                "--seed", str(args.seed), "--out", str(delta), "--force"]  # fmt: skip
    generated = Stage("delta generate", [measure(generate)], 0)
    command = [*EMIS, "run", "--incremental", str(delta), *ACCEPT]
    runs = []
    with the_day_before(env, admin_dsn, args.repeat > 1) as put_back:
        for run in range(args.repeat):
            if run:
                put_back()
            runs.append(measure(command, env))
    print_disclosure(Path(env["EMIS_HOME"]) / "releases" / "current", name)
    return [generated, Stage(name, runs, export_rows(delta))]


@contextmanager
def the_day_before(env: dict, admin_dsn: str | None, wanted: bool) -> Iterator[Callable]:
    """A function putting the home and warehouse back as they are now, from a copy kept aside
    (deleted at the end; none unless ``wanted``). A PostgreSQL database (``admin_dsn``: its
    server's) is copied as a template, as large again as the warehouse."""
    if not wanted:
        yield lambda: None
        return
    from psycopg.conninfo import conninfo_to_dict

    from tests.postgres import copy_database, drop_database

    home = Path(env["EMIS_HOME"])
    aside = home.with_name(f"{home.name}-before-day")
    shutil.rmtree(aside, ignore_errors=True)
    shutil.copytree(home, aside, symlinks=True)
    database = conninfo_to_dict(env["EMIS_WAREHOUSE"])["dbname"] if admin_dsn else None
    if database:
        copy_database(admin_dsn, database, f"{database}_before_day")

    def put_back() -> None:
        shutil.rmtree(home)
        shutil.copytree(aside, home, symlinks=True)
        if database:
            drop_database(admin_dsn, database)
            copy_database(admin_dsn, f"{database}_before_day", database)
        os.sync()  # the copy written out before the run, not during it

    try:
        yield put_back
    finally:
        shutil.rmtree(aside, ignore_errors=True)
        if database:
            drop_database(admin_dsn, f"{database}_before_day")


def built_duckdb_warehouse(work: Path) -> dict[str, str] | None:
    """The environment of the DuckDB warehouse an earlier run left in ``work``, if any."""
    home = work / "home-duckdb"
    if not (home / "warehouse.duckdb").exists():
        return None
    return {"EMIS_HOME": str(home), "EMIS_WAREHOUSE": str(home / "warehouse.duckdb")}


def duckdb_warehouses(work: Path):
    def fresh() -> dict[str, str]:
        home = work / "home-duckdb"
        shutil.rmtree(home, ignore_errors=True)
        return {"EMIS_HOME": str(home), "EMIS_WAREHOUSE": str(home / "warehouse.duckdb")}

    return fresh


def postgres_warehouses(work: Path, stack: ExitStack):
    """``fresh`` as for DuckDB, and the throwaway server's administration DSN."""
    from tests.postgres import ThrowawayCluster, create_database

    cluster = stack.enter_context(ThrowawayCluster())
    counter = iter(range(1_000_000))

    def fresh() -> dict[str, str]:
        home = work / "home-postgres"
        shutil.rmtree(home, ignore_errors=True)
        dsn = create_database(cluster.dsn, f"bench_{next(counter)}")
        return {"EMIS_HOME": str(home), "EMIS_WAREHOUSE": dsn}

    return fresh, cluster.dsn


def print_table(stages: list[Stage]) -> None:
    print(f"{'stage':<18} {'runs':>4} {'wall s (median)':>16} {'cpu s':>7} {'peak MiB':>9} "
          f"{'rows/s':>12}")  # fmt: skip
    for stage in stages:
        print(
            f"{stage.name:<18} {len(stage.runs):>4} {stage.seconds:>16.1f} "
            f"{stage.cpu_seconds:>7.1f} {stage.peak_mib:>9,.0f} "
            f"{stage.rows / stage.seconds:>12,.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--scale", default="national", choices=("tiny", "small", "national"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage (median reported)")
    parser.add_argument("--work", type=Path, default=Path("var/bench"), help="where exports go")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument(
        "--stages",
        default="generate,ingest,build,check,publish,daily",
        help="comma-separated: generate, ingest, build (build needs ingest), report (the "
        "republic's ОШ-1; on the warehouse built in this run, else on the DuckDB one an earlier "
        "run left in --work), check (the quality rules; on the same warehouse), publish (a "
        "release, audit included), daily (a day's delta through emis run --incremental)",
    )
    args = parser.parse_args(argv)
    args.work = args.work.absolute()
    args.work.mkdir(parents=True, exist_ok=True)
    stages_wanted = set(args.stages.split(","))
    export = args.work / f"{args.scale}-seed{args.seed}"
    print(
        f"benchmark: scale {args.scale}, seed {args.seed}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {args.repeat} run(s) per stage"
    )
    stages = []
    if "generate" in stages_wanted or not (export / "manifest.json").exists():
        stages.append(bench_generate(args, export))
    failed = None
    try:
        with ExitStack() as stack:
            engines = [("duckdb", duckdb_warehouses(args.work), None)]
            if args.postgres:
                engines.append(("postgres", *postgres_warehouses(args.work, stack)))
            reports = []
            if "ingest" in stages_wanted:
                stages.append(bench_bare_read(args, export))
            for engine, fresh, admin_dsn in engines:
                env = None
                if "ingest" in stages_wanted:
                    stage, env = bench_ingest(args, export, f"ingest {engine}", fresh)
                    stages.append(stage)
                    if "build" in stages_wanted:
                        stages.append(bench_build(args, export, f"build {engine}", env))
                if engine == "duckdb" and env is None:
                    env = built_duckdb_warehouse(args.work)
                if "report" in stages_wanted and env is not None:
                    stage, workbook = bench_report(args, export, f"report {engine}", env)
                    stages.append(stage)
                    reports.append(workbook)
                if "check" in stages_wanted and env is not None:
                    stages.append(bench_check(args, export, f"check {engine}", env))
                if "publish" in stages_wanted and env is not None:
                    stages.append(bench_publish(args, export, f"publish {engine}", env))
                if "daily" in stages_wanted and env is not None:
                    daily = bench_daily(args, export, f"daily run {engine}", env, admin_dsn)
                    stages.extend(daily)
    except StageFailed as error:  # print what was measured before it
        failed = error
    print_table(stages)
    by_name = {stage.name: stage for stage in stages}
    for step in ("ingest", "build", "report", "check", "publish", "daily run"):
        if f"{step} postgres" in by_name and f"{step} duckdb" in by_name:
            ratio = by_name[f"{step} postgres"].seconds / by_name[f"{step} duckdb"].seconds
            print(f"PostgreSQL / DuckDB {step} time: {ratio:.1f}x")
    for engine in ("duckdb", "postgres"):
        steps = ("ingest", "build", "check", "publish")
        parts = [by_name.get(f"{step} {engine}") for step in steps]
        if all(parts):
            total = sum(part.seconds for part in parts)
            peak = max(part.peak_mib for part in parts)
            print(f"whole pipeline on {engine} (ingest + build + check + publish): "
                  f"{total:.1f} s, peak {peak:,.0f} MiB")  # fmt: skip
    print_ratios(by_name)
    for workbook in reports:
        print(f"report: {workbook} ({workbook.stat().st_size / 1024:,.0f} KiB)")
    size = sum(path.stat().st_size for path in export.iterdir()) / 2**20
    print(f"export: {export} ({export_rows(export):,} rows, {size:,.0f} MiB)")
    if failed is not None:
        print(failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
