"""The check reads its facts in a thread ahead of their validation (expectations/run.py):
the items arrive in order, an error there is raised here, and a block that stops early
leaves no reading behind."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from emis.reference import REPO_ROOT
from expectations.run import read_ahead


def test_items_arrive_in_order_from_another_thread():
    makers = set()

    def items():
        for number in range(7):
            makers.add(threading.current_thread().name)
            yield number

    with read_ahead(items(), depth=2) as taken:
        assert list(taken) == list(range(7))
    assert makers == {"emis-check-facts"}


def test_an_error_while_reading_is_raised_where_the_items_are_taken():
    def items():
        yield 1
        raise ValueError("the warehouse cannot be read now")

    with pytest.raises(ValueError, match="cannot be read now"), read_ahead(items()) as taken:
        assert next(taken) == 1
        next(taken)


def test_a_block_that_stops_early_ends_the_reading_and_closes_it():
    closed = threading.Event()
    made = []

    def items():
        try:
            for number in range(1_000):
                made.append(number)
                yield number
        finally:
            closed.set()  # where a reader's connection would close

    with pytest.raises(RuntimeError), read_ahead(items(), depth=2) as taken:
        next(taken)
        raise RuntimeError("a suite failed to run")
    assert closed.is_set()
    assert len(made) < 10  # it stopped, not read to the end
    assert "emis-check-facts" not in {thread.name for thread in threading.enumerate()}


def test_the_rules_are_known_before_great_expectations_is_imported():
    """So that the first facts are read while it loads (about 3 s)."""
    code = (
        "import sys, expectations.check, expectations.rules; "
        "sys.exit('great_expectations' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
