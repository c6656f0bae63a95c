"""`make bench`: national-scale runs of each pipeline stage, with printed figures.

Each stage runs as its own `emis` subprocess, so its peak memory (max RSS) is measured alone.
Figures are medians over ``--repeat`` runs. Not part of the test suite: nothing here passes
or fails, it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

EMIS = [sys.executable, "-m", "emis.cli"]


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mib: float


def measure(command: list[str]) -> Measurement:
    """Run ``command`` to completion; its wall time and its own peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)  # wait4: this child's own rusage
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(command)} exited with {process.returncode}")
    return Measurement(time.perf_counter() - started, usage.ru_maxrss / 1024)


def export_rows(export: Path) -> int:
    manifest = json.loads((export / "manifest.json").read_text())
    return sum(entry["rows"] for entry in manifest["files"].values())


def bench_generate(args: argparse.Namespace) -> list[Measurement]:
    out = args.work / f"{args.scale}-seed{args.seed}"
    command = [*EMIS, "generate", "--scale", args.scale, "--seed", str(args.seed),
               "--year", "2025", "--out", str(out), "--force", "--quiet"]  # fmt: skip
    runs = [measure(command) for _ in range(args.repeat)]
    size = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    rows = export_rows(out)
    print_table(
        [("generate", runs, rows)],
        note=f"export: {out} — {rows:,} rows in 11 files, {size:,.0f} MiB",
    )
    return runs


def print_table(stages, note: str = "") -> None:
    print(f"{'stage':<12} {'runs':>4} {'wall s (median)':>16} {'peak MiB':>9} {'rows/s':>12}")
    for name, runs, rows in stages:
        seconds = statistics.median(run.seconds for run in runs)
        peak = statistics.median(run.peak_mib for run in runs)
        print(f"{name:<12} {len(runs):>4} {seconds:>16.1f} {peak:>9,.0f} {rows / seconds:>12,.0f}")
    if note:
        print(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--scale", default="national", choices=("tiny", "small", "national"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage (median reported)")
    parser.add_argument("--work", type=Path, default=Path("var/bench"), help="where exports go")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    print(
        f"benchmark: scale {args.scale}, seed {args.seed}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    bench_generate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
