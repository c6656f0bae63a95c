"""Running the suites: fact frames in chunks through Great Expectations, failures to issues.

An ephemeral context (nothing written to disk) holds one pandas data source; each suite gets a
data asset whose batch is one chunk of its fact frame. Results come back in COMPLETE format with
``unexpected_index_column_names`` = (record_id, org_id), so every failing row names its record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from expectations.facts import CheckContext
from expectations.rules import SUITES, Rule, Suite
from expectations.store import ISSUE_COLUMNS

log = logging.getLogger(__name__)

INDEX_COLUMNS = ["record_id", "org_id"]
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": INDEX_COLUMNS,
    "return_unexpected_index_query": False,  # the query text would list every failing index
}

Reader = Callable[[str], Iterator[pd.DataFrame]]  # SQL -> chunks of its result


@dataclass
class RuleOutcome:
    rule: Rule
    checked: int = 0  # records the rule applies to (its fact is not NULL)
    failing: set[tuple[str, str | None]] = field(default_factory=set)  # (record_id, org_id)

    @property
    def issues(self) -> int:
        return len(self.failing)


@dataclass
class CheckRun:
    context: CheckContext
    detected_at: dt.datetime
    outcomes: list[RuleOutcome]
    warnings: list[str] = field(default_factory=list)  # not about records: said, not stored

    @property
    def blocking(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.rule.severity == "blocking" and o.issues]

    def issues_frame(self) -> pd.DataFrame:
        """The rows of quality.dq_issues for this run: record ids only."""
        rows = [
            (self.context.load_id, org_id, o.rule.register, record_id, o.rule.rule_id,
             o.rule.severity, self.detected_at)
            for o in self.outcomes
            for record_id, org_id in sorted(o.failing, key=lambda pair: pair[0])
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def gx_context():
    """An ephemeral Great Expectations context: in memory, no analytics, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def gx_suite(suite: Suite):
    """The suite as a Great Expectations suite; each expectation tagged with its rule id."""
    import great_expectations as gx

    expectations = [
        expectation.copy(update={"meta": {"rule_id": rule.rule_id}}, deep=True)
        for rule in suite.rules
        for expectation in rule.expectations
    ]
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def run_suites(read: Reader, context: CheckContext, suites: Iterable[Suite] = SUITES) -> CheckRun:
    """Validate every suite's facts, read chunk by chunk through ``read``."""
    detected_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    gx = gx_context()
    source = gx.data_sources.add_pandas("emis_facts")
    outcomes: list[RuleOutcome] = []
    for suite in suites:
        by_rule = {rule.rule_id: RuleOutcome(rule) for rule in suite.rules}
        expectation_suite = gx.suites.add(gx_suite(suite))
        batches = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe(
            "chunk"
        )
        for frame in read(suite.facts(context)):
            if frame.empty:
                continue
            batch = batches.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(expectation_suite, result_format=RESULT_FORMAT)
            record_results(result.results, by_rule)
            log.info("suite %s: %d rows validated", suite.name, len(frame))
        outcomes.extend(by_rule.values())
    return CheckRun(context, detected_at, outcomes)


def record_results(results: Iterable, by_rule: dict[str, RuleOutcome]) -> None:
    """Add one chunk's expectation results to their rules' outcomes.

    A rule checks a record if any of its expectations had a value for it; the chunk's count is
    the largest of its expectations' non-missing counts.
    """
    checked: dict[str, int] = {}
    for result in results:
        message = raised_exception(result.exception_info)
        if message is not None:
            raise RuntimeError(
                f"expectation {result.expectation_config.type} failed to run: {message}"
            )
        rule_id = result.expectation_config.meta["rule_id"]
        values = result.result
        present = values.get("element_count", 0) - values.get("missing_count", 0)
        checked[rule_id] = max(checked.get(rule_id, 0), present)
        for row in values.get("unexpected_index_list") or []:
            org_id = row.get("org_id")
            by_rule[rule_id].failing.add((str(row["record_id"]), _text_or_none(org_id)))
    for rule_id, count in checked.items():
        by_rule[rule_id].checked += count


def _text_or_none(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def raised_exception(info: dict | None) -> str | None:
    """The message of an exception an expectation raised, if any. Great Expectations reports it
    either flat or per metric (a dict of such dicts)."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None
