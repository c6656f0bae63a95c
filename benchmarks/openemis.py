"""`make bench-openemis`: the OpenEMIS connector on a filled MariaDB, with printed figures.

A throwaway MariaDB server (tests/mariadb.py) is filled from a contract export by the reverse
generator; then `emis extract openemis` runs as a subprocess of its own (so its peak memory is
the client's alone) for a full extraction, the database takes one school day's changes
(attendance and absences of a new day, withdrawals, corrected marks), and a delta is
extracted. Printed: rows/s per source table, wall time and peak client memory of each
extraction. Nothing passes or fails here; it reports (one run: the fill is the long part).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.run import Measurement
from ingestion.openemis.reverse import create_schema, write_openemis
from tests.mariadb import ThrowawayMariaDB

EMIS = [sys.executable, "-m", "emis.cli"]
PROFILE_LINES = ("steps:", "derive, slowest:", "write, slowest:")  # of `emis extract`


def run_measured(command: list[str]) -> tuple[Measurement, str]:
    """Run ``command``; its wall time, its own peak RSS, and what it printed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark: {' '.join(command)} failed")
    return Measurement(time.perf_counter() - started, usage.ru_maxrss / 1024), out


def a_school_day(conn, day: dt.date) -> None:
    """One day's changes, the way the EMIS makes them: the latest marked day's attendance and
    absences again on ``day``, 0.05 % of current stints withdrawn, 0.2 % of marks corrected.
    What it changes is noted in the ``bench`` database, so :func:`undo_school_day` can put the
    database back as filled (a kept database is reused by the next run)."""
    now = "UTC_TIMESTAMP()"
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS bench")
        cur.execute("CREATE OR REPLACE TABLE bench.school_day AS SELECT UTC_TIMESTAMP() AS started")
        cur.execute(
            "CREATE OR REPLACE TABLE bench.withdrawn AS SELECT id, student_status_id, end_date, "
            "modified FROM institution_students WHERE end_date IS NULL AND CRC32(id) % 2000 = 0"
        )
        cur.execute("SELECT max(date) FROM student_attendance_marked_records")
        (latest,) = cur.fetchone()
        cur.execute(
            "INSERT INTO student_attendance_marked_records SELECT institution_class_id, "
            f"academic_period_id, '{day}', period, subject_id, no_scheduled_class "
            f"FROM student_attendance_marked_records WHERE date = '{latest}'"
        )
        cur.execute(
            "INSERT INTO institution_student_absence_details (student_id, institution_class_id, "
            "academic_period_id, date, period, absence_type_id, created) SELECT student_id, "
            f"institution_class_id, academic_period_id, '{day}', period, absence_type_id, {now} "
            f"FROM institution_student_absence_details WHERE date = '{latest}'"
        )
        cur.execute(
            "UPDATE institution_students s JOIN bench.withdrawn w ON w.id = s.id "
            "SET s.student_status_id = (SELECT id FROM student_statuses WHERE code = "
            f"'WITHDRAWN'), s.end_date = '{day}', s.modified = {now}"
        )
        cur.execute(
            "INSERT INTO institution_student_withdraw (student_id, institution_id, status_id, "
            f"effective_date, student_withdraw_reason_id, created) SELECT s.student_id, "
            f"s.institution_id, 1, '{day}', 1, {now} FROM institution_students s "
            "JOIN bench.withdrawn w ON w.id = s.id"
        )
        cur.execute(
            "INSERT INTO assessment_item_results (student_id, education_subject_id, "
            "assessment_period_id, academic_period_id, institution_classes_id, marks, created) "
            "SELECT student_id, education_subject_id, assessment_period_id, academic_period_id, "
            f"institution_classes_id, LEAST(marks + 1, 5), {now} FROM assessment_item_results "
            "WHERE id % 500 = 0"
        )
    conn.commit()


def undo_school_day(conn, day: dt.date) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT started FROM bench.school_day")
        (started,) = cur.fetchone()
        for table in ("student_attendance_marked_records", "institution_student_absence_details"):
            cur.execute(f"DELETE FROM {table} WHERE date = %s", (day,))
        for table in ("institution_student_withdraw", "assessment_item_results"):
            cur.execute(f"DELETE FROM {table} WHERE created >= %s", (started,))
        cur.execute(
            "UPDATE institution_students s JOIN bench.withdrawn w ON w.id = s.id SET "
            "s.student_status_id = w.student_status_id, s.end_date = w.end_date, "
            "s.modified = w.modified"
        )
        cur.execute("DROP TABLE bench.withdrawn, bench.school_day")
    conn.commit()


def table(rows: list[tuple], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(v).rjust(w) if i else str(v).ljust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join(lines)


def pulled(out: str) -> list[tuple]:
    """(source table, rows, rows/s) from `emis extract`'s summary."""
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].replace(",", "").isdigit() and "." not in parts[0]:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def fill(server, export: Path, work: Path) -> tuple[int, float]:
    """The server's ``openemis`` database filled from ``export``: (OpenEMIS rows, seconds).
    A kept server filled from the same export before is reused as it is."""
    conn = server.connect(local_infile=True)
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS bench")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench.fill (export VARCHAR(500), openemis_rows BIGINT, "
            "seconds DOUBLE, filled_at DATETIME)"
        )
        cur.execute(
            "SELECT openemis_rows, seconds FROM bench.fill WHERE export = %s", (str(export),)
        )
        done = cur.fetchall()
        if done:
            print(
                f"fill: reusing the database filled before "
                f"({done[0][0]:,} rows in {done[0][1]:,.0f} s)"
            )
            conn.close()
            return done[0][0], done[0][1]
        cur.execute("DROP DATABASE IF EXISTS openemis")
        cur.execute("CREATE DATABASE openemis")
    conn.select_db("openemis")
    create_schema(conn)
    started = time.perf_counter()

    def progress(name: str) -> None:
        now = time.perf_counter()
        print(f"  fill {now - started:7.0f} s: {name}", flush=True)

    filled = write_openemis(export, conn, progress=progress, work_dir=work)
    seconds = time.perf_counter() - started
    rows = sum(filled.rows.values())
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO bench.fill VALUES (%s, %s, %s, UTC_TIMESTAMP())",
            (str(export), rows, seconds),
        )
    conn.commit()
    conn.close()
    print(f"fill: {rows:,} OpenEMIS rows in {seconds:,.0f} s", flush=True)
    return rows, seconds


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_of(runs: list[Measurement]) -> Measurement:
    ordered = sorted(runs, key=lambda m: m.seconds)
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-openemis", description=__doc__)
    parser.add_argument("--export", type=Path, default=None, help="a full contract export")
    parser.add_argument(
        "--scale",
        default="small",
        choices=("tiny", "small", "national"),
        help="without --export: generate one at this scale (seed 1)",
    )
    parser.add_argument("--work", type=Path, default=Path("var/bench/openemis"))
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the server's directory (its filled database) in DIR and reuse it next time",
    )
    parser.add_argument("--buffer-pool", default="1G", help="InnoDB buffer pool of the server")
    parser.add_argument("--runs", type=int, default=1, help="extractions of each kind (median)")
    parser.add_argument("--fill-only", action="store_true", help="fill (with --keep) and stop")
    args = parser.parse_args(argv)
    work = args.work.absolute()
    work.mkdir(parents=True, exist_ok=True)
    export = args.export
    if export is None:
        export = work / f"{args.scale}-seed1"
        if not (export / "manifest.json").exists():
            subprocess.run(
                [
                    *EMIS,
                    "generate",
                    "--scale",
                    args.scale,
                    "--seed",
                    "1",
                    "--out",
                    str(export),
                    "--force",
                    "--quiet",
                ],
                check=True,
            )
    export = export.absolute()
    manifest = json.loads((export / "manifest.json").read_text())
    as_of = dt.date.fromisoformat(manifest["snapshot_date"])
    day = as_of + dt.timedelta(days=1)
    print(f"benchmark: OpenEMIS connector on {export} ({os.cpu_count()} cores)")
    print(f"load average at the start: {load_average()}")
    server = ThrowawayMariaDB(base_dir=work, keep_dir=args.keep, buffer_pool=args.buffer_pool)
    with server:
        _, fill_seconds = fill(server, export, work)
        print(f"load average after the fill: {load_average()}")
        if args.fill_only:
            return 0
        dsn = server.dsn("openemis")
        full_dir, delta_dir = work / "extract-full", work / "extract-delta"
        common = ["--dsn", dsn, "--as-of", as_of.isoformat(), "--quiet", "--force"]
        fulls, deltas, full_out = [], [], ""
        for _ in range(args.runs):
            measured, full_out = run_measured(
                [*EMIS, "extract", "openemis", *common, "--out", str(full_dir)]
            )
            fulls.append(measured)
            print(
                f"full extraction: {measured.seconds:,.1f} s, {measured.peak_mib:,.0f} MiB "
                f"(load average {load_average()})",
                flush=True,
            )
        for _ in range(args.runs):
            conn = server.connect(database="openemis")
            a_school_day(conn, day)
            try:
                measured, _ = run_measured(
                    [
                        *EMIS,
                        "extract",
                        "openemis",
                        *common,
                        "--out",
                        str(delta_dir),
                        "--since",
                        str(full_dir),
                    ]
                )
            finally:
                undo_school_day(conn, day)
                conn.close()
            deltas.append(measured)
            print(
                f"one-day delta: {measured.seconds:,.1f} s, {measured.peak_mib:,.0f} MiB "
                f"(load average {load_average()})",
                flush=True,
            )
    print("\nfull extraction (the last), per source table:")
    print(table(pulled(full_out), ("source table", "rows", "rows/s")))
    print("\n".join(line for line in full_out.splitlines() if line.startswith(PROFILE_LINES)))
    delta_rows = json.loads((delta_dir / "manifest.json").read_text())["files"]
    full, delta = median_of(fulls), median_of(deltas)
    print(
        f"\nmedian of {args.runs} run(s) each; fill {fill_seconds:,.0f} s\n"
        + table(
            [
                (
                    "full",
                    f"{full.seconds:,.1f}",
                    f"{full.peak_mib:,.0f}",
                    f"{export_rows(full_dir):,}",
                ),
                (
                    "one-day delta",
                    f"{delta.seconds:,.1f}",
                    f"{delta.peak_mib:,.0f}",
                    f"{sum(e['rows'] for e in delta_rows.values()):,}",
                ),
            ],
            ("extraction", "seconds", "peak MiB", "rows written"),
        )
    )
    return 0


def export_rows(export: Path) -> int:
    manifest = json.loads((export / "manifest.json").read_text())
    return sum(entry["rows"] for entry in manifest["files"].values())


if __name__ == "__main__":
    sys.exit(main())
