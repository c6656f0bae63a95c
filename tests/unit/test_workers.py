"""Worker processes end with the work that started them: on a failure in the parent, and
when the parent is killed outright."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emis.collector import YOUNG_GENERATION_THRESHOLD
from emis.workers import worker_processes

REPO = Path(__file__).resolve().parents[2]


def sleep_reporting(pid_file: str) -> None:
    """A long task that says which process runs it."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(120)


def wait_for_pid(pid_file: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text():
            return int(pid_file.read_text())
        time.sleep(0.1)
    raise AssertionError(f"no worker started within {timeout} s")


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


def wait_until_ended(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.1)
    return False


def test_results_come_back_in_order():
    with worker_processes(2) as pool:
        assert list(pool.map(abs, [-3, 2, -1])) == [3, 2, 1]


def test_a_failure_in_the_parent_ends_the_running_workers(tmp_path):
    pid_file = tmp_path / "worker.pid"
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), worker_processes(1) as pool:
        pool.submit(sleep_reporting, str(pid_file))
        pool.submit(sleep_reporting, str(tmp_path / "queued.pid"))
        worker = wait_for_pid(pid_file)
        raise KeyboardInterrupt  # as when the person running `emis publish` stops it
    assert wait_until_ended(worker), "the worker kept running after the publish stopped"
    assert time.monotonic() - started < 60, "the pool waited for its tasks"
    assert not (tmp_path / "queued.pid").exists(), "a queued task ran after the failure"


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    pid_file = tmp_path / "worker.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            from emis.workers import worker_processes
            from tests.unit.test_workers import sleep_reporting
            with worker_processes(1) as pool:
                pool.submit(sleep_reporting, {str(pid_file)!r}).result()
            """)],
        cwd=REPO,
    )  # fmt: skip
    try:
        worker = wait_for_pid(pid_file)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_until_ended(worker), "the worker outlived its killed parent"
    finally:
        parent.kill()


def test_a_worker_collects_as_the_emis_process_does():
    with worker_processes(1) as pool:
        young, *older = pool.submit(gc.get_threshold).result(timeout=60)
    assert young == YOUNG_GENERATION_THRESHOLD
    assert older == list(gc.get_threshold()[1:])
