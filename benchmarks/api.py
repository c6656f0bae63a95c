"""Open data API speed on a release: single-indicator query latency (p50/p95), sustained
requests a second under load, and each worker's memory.

    .venv/bin/python -m benchmarks.api --home /path/to/EMIS_HOME [--workers 2] [--seconds 20]
    make bench-api API_HOME=...

Starts `emis api` on a free port of 127.0.0.1 (never anything else), twice: with its response
cache (as served) and without (every answer computed). Latency: one client sending queries one
after another (httpx), each indicator at each territory level asked once (first time, never
cached), then a few single-indicator queries repeated. Throughput: Debian's ``wrk``
(``apt-get install wrk``), bounded to ``--seconds`` per run, ``--connections`` at once, cycling
over single-indicator queries of the plain API and of SDMX REST; median of ``--repeat`` runs.
Targets (issue 18): p95 ≤ 50 ms, ≥ 300 requests/s on 2 cores, ≤ 500 MB per worker. Not a
test: it reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

EMIS = [sys.executable, "-m", "emis.cli"]
TARGET_P95_MS, TARGET_RPS, TARGET_MIB = 50.0, 300.0, 500.0
FLOW = "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0"
# Single-indicator queries as the table builder and SDMX clients send them.
QUERIES = [
    "/api/v1/observations?indicator=learners&level=oblast&breakdown=sex",
    "/api/v1/observations?indicator=ger&level=district&breakdown=sex",
    "/api/v1/observations?indicator=dropout_rate&territory=KG&breakdown=grade",
    "/api/v1/observations?indicator=teachers&level=oblast",
    f"{FLOW}/learners.*.*.oblast.*.F+M.........",
    f"{FLOW}/attendance_rate.*.*.national.KG..........",
]
WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(home: Path, workers: int, port: int, cache: bool = True) -> subprocess.Popen:
    env = {**os.environ, "EMIS_HOME": str(home), "EMIS_WAREHOUSE": ""}
    if not cache:
        env["EMIS_API_CACHE_MB"] = "0"
    command = [*EMIS, "api", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--rate-limit", "0"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"benchmark: emis api exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("benchmark: emis api did not become ready in 120 s")


def distinct_queries(base: str) -> list[str]:
    """One query per indicator and territory level, plain and SDMX: each asked once, so no
    answer comes from the response cache."""
    indicators = httpx.get(f"{base}/api/v1/indicators", timeout=30).json()["indicators"]
    queries = []
    for row in indicators:
        for level in ("national", "oblast", "district"):
            queries.append(f"/api/v1/observations?indicator={row['indicator_id']}&level={level}")
        queries.append(f"{FLOW}/{row['indicator_id']}.*.*.national.KG..........")
    return queries


def latencies(base: str, paths: list[str], rounds: int = 1) -> list[float]:
    """Milliseconds of each query of ``paths`` (``rounds`` times), one after another."""
    times = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def wrk_run(base: str, seconds: int, connections: int, threads: int) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("benchmark: needs Debian's wrk (apt-get install wrk)")
    paths = ", ".join(f'"{path}"' for path in QUERIES)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % paths)
    try:
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                   "--timeout", "10s", "-s", script.name, base]  # fmt: skip
        output = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(script.name).unlink()
    line = next(row for row in output.splitlines() if row.startswith("WRK "))
    requests, duration, errors, non2xx, p50, p95, p99 = map(int, line.split()[1:])
    return {
        "requests": requests,
        "rps": requests / (duration / 1e6),
        "errors": errors,
        "non2xx": non2xx,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
    }


def worker_memory(parent: int) -> list[tuple[int, float, float]]:
    """(pid, resident MiB, peak resident MiB) of each process serving: uvicorn's workers, or
    the server itself when it runs one worker."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) != parent:
            continue
        command = (status.parent / "cmdline").read_bytes()
        if b"resource_tracker" not in command:  # multiprocessing's helper serves nothing
            children.append(int(status.parent.name))
    pids = children or [parent]
    found = []
    for pid in pids:
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ":" in line
        )
        rss = int(fields["VmRSS"].split()[0]) / 1024
        peak = int(fields["VmHWM"].split()[0]) / 1024
        found.append((pid, rss, peak))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="an EMIS_HOME with a release")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20, help="each load run's length")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="load runs (median reported)")
    parser.add_argument("--latency-requests", type=int, default=300, help="repeated queries")
    args = parser.parse_args(argv)
    if not (args.home / "releases" / "current" / "open" / "open.duckdb").exists():
        raise SystemExit(f"benchmark: no current release under {args.home}")
    print(f"open data API on {args.home}, {args.workers} worker(s), {os.cpu_count()} cores; "
          f"load: wrk, {args.connections} connections, {args.seconds} s a run")  # fmt: skip
    for cache in (True, False):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = start(args.home, args.workers, port, cache)
        try:
            ready = time.perf_counter() - started
            release = httpx.get(f"{base}/readyz").json()["release"]
            cold = latencies(base, distinct_queries(base))
            hot = latencies(base, QUERIES, rounds=max(1, args.latency_requests // len(QUERIES)))
            runs = [
                wrk_run(base, args.seconds, args.connections, threads=2)
                for _ in range(args.repeat if cache else 1)
            ]
            memory = worker_memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        report(release, ready, cache, cold, hot, runs, memory)


def report(release, ready, cache, cold, hot, runs, memory) -> None:
    print(f"\n== release {release}, response cache {'on' if cache else 'off'}; "
          f"ready in {ready:.1f} s")  # fmt: skip
    print(f"single-indicator query, first time ({len(cold)} distinct queries, one client): "
          f"p50 {percentile(cold, 0.5):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms "
          f"(target p95 <= {TARGET_P95_MS:.0f} ms)")  # fmt: skip
    print(f"single-indicator query, repeated ({len(hot)} queries over {len(QUERIES)} forms): "
          f"p50 {percentile(hot, 0.5):.1f} ms, p95 {percentile(hot, 0.95):.1f} ms")  # fmt: skip
    for index, run in enumerate(runs, 1):
        print(f"load run {index}: {run['requests']} requests, {run['rps']:.0f} requests/s, "
              f"p50 {run['p50_ms']:.1f} ms, "
              f"p95 {run['p95_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms; "
              f"{run['errors']} socket errors, {run['non2xx']} non-2xx")  # fmt: skip
    rps = statistics.median(run["rps"] for run in runs)
    print(f"sustained (median of {len(runs)}): {rps:.0f} requests/s "
          f"(target >= {TARGET_RPS:.0f})")  # fmt: skip
    for pid, rss, peak in memory:
        print(f"worker {pid}: {rss:.0f} MiB resident, peak {peak:.0f} MiB "
              f"(target <= {TARGET_MIB:.0f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
