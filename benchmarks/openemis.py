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
    absences again on ``day``, 0.05 % of current stints withdrawn, 0.2 % of marks corrected."""
    now = "UTC_TIMESTAMP()"
    with conn.cursor() as cur:
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
            "UPDATE institution_students SET student_status_id = (SELECT id FROM "
            f"student_statuses WHERE code = 'WITHDRAWN'), end_date = '{day}', modified = {now} "
            "WHERE end_date IS NULL AND CRC32(id) % 2000 = 0"
        )
        cur.execute(
            "INSERT INTO institution_student_withdraw (student_id, institution_id, status_id, "
            f"effective_date, student_withdraw_reason_id, created) SELECT student_id, "
            f"institution_id, 1, '{day}', 1, {now} FROM institution_students "
            f"WHERE end_date = '{day}'"
        )
        cur.execute(
            "INSERT INTO assessment_item_results (student_id, education_subject_id, "
            "assessment_period_id, academic_period_id, institution_classes_id, marks, created) "
            "SELECT student_id, education_subject_id, assessment_period_id, academic_period_id, "
            f"institution_classes_id, LEAST(marks + 1, 5), {now} FROM assessment_item_results "
            "WHERE id % 500 = 0"
        )
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
    manifest = json.loads((export / "manifest.json").read_text())
    as_of = dt.date.fromisoformat(manifest["snapshot_date"])
    print(f"benchmark: OpenEMIS connector on {export} ({os.cpu_count()} cores)")
    with ThrowawayMariaDB(base_dir=work) as server:
        conn = server.connect(local_infile=True)
        conn.cursor().execute("CREATE DATABASE openemis")
        conn.select_db("openemis")
        create_schema(conn)
        started = time.perf_counter()
        filled = write_openemis(export, conn, progress=lambda name: None)
        fill_seconds = time.perf_counter() - started
        print(f"fill: {sum(filled.rows.values()):,} OpenEMIS rows in {fill_seconds:,.0f} s")
        dsn = server.dsn("openemis")
        full_dir, delta_dir = work / "extract-full", work / "extract-delta"
        common = ["--dsn", dsn, "--as-of", as_of.isoformat(), "--quiet", "--force"]
        full, full_out = run_measured(
            [*EMIS, "extract", "openemis", *common, "--out", str(full_dir)]
        )
        a_school_day(conn, as_of + dt.timedelta(days=1))
        conn.close()
        since = ["--since", str(full_dir)]
        delta, _ = run_measured(
            [*EMIS, "extract", "openemis", *common, "--out", str(delta_dir), *since]
        )
    print("\nfull extraction, per source table:")
    print(table(pulled(full_out), ("source table", "rows", "rows/s")))
    delta_rows = json.loads((delta_dir / "manifest.json").read_text())["files"]
    print(
        "\n"
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
