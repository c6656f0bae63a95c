"""One check of the latest load: read its facts, run the suites, store the issues."""

from __future__ import annotations

from functools import partial

from emis.settings import Settings
from expectations import store
from expectations.population import read_population_warnings
from expectations.run import CheckRun, run_suites

# Read quality.dq_issues, which a check replaces: rebuilt after it.
MONITORING_MARTS = "path:models/marts/monitoring"


def check(settings: Settings, refresh_monitoring: bool = True) -> CheckRun:
    """Run every suite on the latest load and replace its rows of quality.dq_issues; then
    rebuild the monitoring marts, whose validity part and issue list read those rows. The
    run's warnings say which population estimates the ratios stand on, if provisional."""
    context = store.check_context(settings)
    result = run_suites(partial(store.read_chunks, settings), context)
    store.write_issues(settings, context.load_id, result.issues_frame())
    result.warnings = read_population_warnings(settings)
    if refresh_monitoring:
        refresh_monitoring_marts(settings)
    return result


def refresh_monitoring_marts(settings: Settings) -> None:
    from emis.errors import UserError
    from warehouse.dbt_runner import run_dbt

    result = run_dbt(settings, "build", "--select", MONITORING_MARTS)
    if not result.success:
        raise UserError(f"monitoring marts not rebuilt: {result.error}")
