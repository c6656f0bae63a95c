"""One check of the latest load: read its facts, run the suites, store the issues."""

from __future__ import annotations

from functools import partial

from emis.settings import Settings
from expectations import store
from expectations.delta import Delta, incremental_basis, rules_fingerprint
from expectations.population import read_population_warnings
from expectations.rules import RECORD, SUITES
from expectations.run import CheckRun, run_suites
from warehouse.dbt_runner import MONITORING_MARTS


def check(settings: Settings, refresh_monitoring: bool = True, full: bool = False) -> CheckRun:
    """Run every suite on the latest load and replace its rows of quality.dq_issues; then
    rebuild the monitoring marts, whose validity part and issue list read those rows. The
    run's warnings say which population estimates the ratios stand on, if provisional.

    After an earlier check of the state the loads since build on, only the records they
    touched are validated again by the record rules (``delta.py``), unless ``full``."""
    context = store.check_context(settings)
    fingerprint = rules_fingerprint()
    basis = "a full check was asked for" if full else check_basis(settings, context, fingerprint)
    read = partial(store.read_chunks, settings)
    if isinstance(basis, Delta):
        record_rules = [r.rule_id for s in SUITES if s.touched for r in s.scoped(RECORD)]
        earlier = store.read_issues(settings, basis.since_load_id, record_rules)
        result = run_suites(read, context, delta=basis, earlier_issues=earlier)
    else:
        result = run_suites(read, context)
        result.full_because = basis
    run = (
        context.load_id,
        "full" if result.delta is None else "incremental",
        fingerprint,
        context.snapshot_date,
        context.academic_year,
        store.built_through(settings),
        result.detected_at,
    )
    store.write_issues(settings, context.load_id, result.issues_frame(), run)
    result.warnings = read_population_warnings(settings)
    if refresh_monitoring:
        refresh_monitoring_marts(settings)
    return result


def check_basis(settings: Settings, context, fingerprint: str) -> Delta | str:
    """The delta since the earlier check to validate, or why the check is full."""
    earlier = store.earlier_check(settings, context)
    later = store.loads_after(settings, earlier) if earlier else []
    return incremental_basis(context, earlier, later, store.built_through(settings), fingerprint)


def refresh_monitoring_marts(settings: Settings) -> None:
    from emis.errors import UserError
    from warehouse.dbt_runner import run_dbt

    result = run_dbt(settings, "build", "--select", MONITORING_MARTS)
    if not result.success:
        raise UserError(f"monitoring marts not rebuilt: {result.error}")
