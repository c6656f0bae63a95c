"""One check of the latest load: read its facts, run the suites, store the issues."""

from __future__ import annotations

from functools import partial

from emis.settings import Settings
from expectations import store
from expectations.run import CheckRun, run_suites


def check(settings: Settings) -> CheckRun:
    """Run every suite on the latest load and replace its rows of quality.dq_issues."""
    context = store.check_context(settings)
    result = run_suites(partial(store.read_chunks, settings), context)
    store.write_issues(settings, context.load_id, result.issues_frame())
    return result
