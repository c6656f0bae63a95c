"""Worker processes that end with the work that started them.

A stopped ``emis publish`` left its disclosure workers solving for minutes: the executor's
``with`` block waits for every queued task on an exception, and a parent killed outright
leaves its children running. Here a failure cancels what is queued and ends the workers, and
on Linux each worker asks the kernel to end it when its parent dies, however it dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from emis.collector import collect_less_often

PR_SET_PDEATHSIG = 1  # linux/prctl.h


@contextmanager
def worker_processes(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` fresh interpreters (spawn: not a fork of a process holding
    database and solver threads), ended on any failure of the block that uses it; their
    collector is set as the ``emis`` process's."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException:
        # Running tasks cannot be cancelled; their processes are ended instead (Python 3.14
        # names this terminate_workers()). Taken before shutdown, which forgets them.
        running = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            process.terminate()
        raise
    pool.shutdown(wait=True)


def _start_worker(parent: int) -> None:
    collect_less_often()
    _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    if sys.platform != "linux":
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
