"""Running the suites: fact frames in chunks through Great Expectations, failures to issues.

An ephemeral context (nothing written to disk) holds one pandas data source; each suite gets a
data asset whose batch is one chunk of its fact frame. Results come back in COMPLETE format: a
failing row as its index in the chunk, which then names its record (record_id, org_id).

Given a ``Delta`` (``delta.py``), a suite's record rules are validated on the touched fact rows
only and their earlier issues on the other rows carried forward; its whole rules are validated
on every row.

The facts are read in a thread (``read_ahead``) while Great Expectations loads and validates.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import groupby

import pandas as pd

from expectations.delta import Delta
from expectations.facts import CheckContext
from expectations.rules import RECORD, SUITES, WHOLE, Rule
from expectations.store import ISSUE_COLUMNS

log = logging.getLogger(__name__)

INDEX_COLUMNS = ["record_id", "org_id"]
# Failing rows come back as the chunk's index labels, looked up here in one step: asked for by
# ``unexpected_index_column_names``, Great Expectations looked up each failing row's columns one
# cell at a time (about 5 s of a national check's 55,796 issues).
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "return_unexpected_index_query": False,  # the query text would list every failing index
}

Reader = Callable[[str], Iterator[pd.DataFrame]]  # SQL -> chunks of its result
Issues = dict[str, set[tuple[str, str | None]]]  # rule id -> (record_id, org_id)
MAX_LISTED_KEYS = 50_000  # touched keys written into the fact query; beyond, their query


@dataclass
class RuleOutcome:
    rule: Rule
    checked: int = 0  # records the rule applies to (its fact is not NULL), validated now
    failing: set[tuple[str, str | None]] = field(default_factory=set)  # (record_id, org_id)
    carried: int = 0  # of them, issues of untouched records taken over from the earlier check

    @property
    def issues(self) -> int:
        return len(self.failing)


@dataclass
class CheckRun:
    context: CheckContext
    detected_at: dt.datetime
    outcomes: list[RuleOutcome]
    warnings: list[str] = field(default_factory=list)  # not about records: said, not stored
    delta: Delta | None = None  # an incremental check: what it took in beyond the earlier one
    full_because: str | None = None  # a full check: why not incremental

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
    """An ephemeral Great Expectations context: in memory, no analytics, no progress bars, no
    batch fingerprints."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # Great Expectations fingerprints every batch frame under this size (an md5 of a hash of
    # every row) for batch markers nothing here reads: 7 s of a national check. None is.
    pandas_execution_engine.HASH_THRESHOLD = 0
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def gx_suite(name: str, rules: Iterable[Rule]):
    """The rules as a Great Expectations suite; each expectation tagged with its rule id."""
    import great_expectations as gx

    expectations = [
        expectation.made(meta={"rule_id": rule.rule_id})
        for rule in rules
        for expectation in rule.expectations
    ]
    return gx.ExpectationSuite(name=name, expectations=expectations)


def run_suites(
    read: Reader,
    context: CheckContext,
    suites: Iterable = SUITES,
    delta: Delta | None = None,
    earlier_issues: Issues | None = None,
) -> CheckRun:
    """Validate every suite's facts, read chunk by chunk through ``read``: all of them, or
    with ``delta`` the record rules on touched rows only, the ``earlier_issues`` of their
    other rows carried forward (record rule id -> issues of the check the delta follows).

    The facts are read in a thread, a chunk or two ahead of their validation: the queries
    run in the database, outside Python's lock, while Great Expectations loads and
    validates."""
    detected_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    suites = tuple(suites)
    outcomes: list[RuleOutcome] = []
    with read_ahead(fact_chunks(read, context, suites, delta)) as chunks:
        gx = gx_context()
        source = gx.data_sources.add_pandas("emis_facts")
        for number, suite_chunks in groupby(chunks, key=lambda chunk: chunk.suite):
            suite = suites[number]
            by_rule = {rule.rule_id: RuleOutcome(rule) for rule in suite.rules}
            if _record_rules_again(suite, delta):
                seen = validate_touched(suite_chunks, suite, gx, source, by_rule)
                for rule in suite.scoped(RECORD):
                    earlier = (earlier_issues or {}).get(rule.rule_id)
                    carry_forward(by_rule[rule.rule_id], earlier, seen)
            else:
                validate = validator(gx, source, suite.name, suite.rules, by_rule)
                for chunk in suite_chunks:
                    if chunk.frame is not None:
                        validate(chunk.frame)
            outcomes.extend(by_rule.values())
    return CheckRun(context, detected_at, outcomes, delta=delta)


@dataclass(frozen=True)
class FactChunk:
    """Fact rows of the suite numbered ``suite``; each suite's last chunk has no frame, so a
    suite whose facts are empty or not read still has one."""

    suite: int
    frame: pd.DataFrame | None
    touched: set[str] | None = None  # with a delta: the records its record rules judge again


def _record_rules_again(suite, delta: Delta | None) -> bool:
    """Whether the delta has the suite's record rules validated on touched records only."""
    return delta is not None and suite.touched is not None and bool(suite.scoped(RECORD))


def fact_chunks(read: Reader, context, suites: tuple, delta: Delta | None) -> Iterator[FactChunk]:
    """Every suite's fact rows in order. Given a delta, a suite whose record rules judge the
    touched records only reads their ids first, and its facts are the touched rows alone
    unless a whole rule needs every row (its facts are read once for both)."""
    for number, suite in enumerate(suites):
        touched = None
        facts = suite.facts(context)
        if _record_rules_again(suite, delta):
            touched = read_keys(read, suite.touched(context, delta))
            facts = touched_facts(suite, context, delta, touched)
        for frame in read(facts) if facts is not None else ():
            if not frame.empty:
                yield FactChunk(number, frame, touched)
        yield FactChunk(number, None, touched)


def touched_facts(suite, context, delta: Delta, touched: set[str]) -> str | None:
    """The facts a delta's check reads for the suite: every row if a whole rule judges them,
    else only the touched records' rows (filtered in SQL), or none."""
    if suite.scoped(WHOLE):
        return suite.facts(context)
    if not touched:
        return None
    keys = key_list(touched) if len(touched) <= MAX_LISTED_KEYS else suite.touched(context, delta)
    if suite.facts_of is not None:
        return suite.facts_of(context, keys)
    return f"select * from ({suite.facts(context)}) as facts where facts.record_id in ({keys})"


def validate_touched(chunks: Iterable[FactChunk], suite, gx, source, by_rule) -> set[str]:
    """Validate the suite's whole rules on every fact row and its record rules on the rows the
    delta touched (the facts are read once for both); return the record ids validated by the
    record rules."""
    whole = suite.scoped(WHOLE)
    validate_local = validator(gx, source, f"{suite.name}_touched", suite.scoped(RECORD), by_rule)
    validate_whole = validator(gx, source, f"{suite.name}_whole", whole, by_rule) if whole else None
    seen: set[str] = set()
    for chunk in chunks:
        if chunk.frame is None:
            continue
        if validate_whole is not None:
            validate_whole(chunk.frame)
        part = chunk.frame[chunk.frame["record_id"].isin(chunk.touched)].reset_index(drop=True)
        if not part.empty:
            validate_local(part)
            seen.update(part["record_id"].map(str))
    return seen


@contextmanager
def read_ahead(items: Iterator, depth: int = 2) -> Iterator[Iterator]:
    """``items`` made in a thread, up to ``depth`` ahead of the block that takes them. An
    error there is raised here; when the block ends, however, the thread stops and closes
    ``items`` (a reader's connection with it) before the block's exit goes on."""
    ready: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def make() -> None:
        try:
            for item in items:
                ready.put(item)
                if stop.is_set():
                    return
            ready.put(done)
        except BaseException as error:  # raised again in the taking thread
            ready.put(_Failed(error))
        finally:
            items.close()

    def taken() -> Iterator:
        while (item := ready.get()) is not done:
            if isinstance(item, _Failed):
                raise item.error
            yield item

    maker = threading.Thread(target=make, name="emis-check-facts", daemon=True)
    maker.start()
    try:
        yield taken()
    finally:
        stop.set()
        while maker.is_alive():  # a full queue would keep it waiting to put
            with suppress(queue.Empty):
                ready.get(timeout=0.05)
        maker.join()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def key_list(keys: set[str]) -> str:
    """Keys as SQL text literals, comma separated (one that matches nothing if none)."""
    if not keys:
        return "cast(null as varchar)"
    return ", ".join("'" + key.replace("'", "''") + "'" for key in sorted(keys))


def read_keys(read: Reader, sql: str) -> set[str]:
    """The values of a one-column query, as text."""
    keys: set[str] = set()
    for frame in read(sql):
        keys.update(str(value) for value in frame.iloc[:, 0] if not _missing(value))
    return keys


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def validator(gx, source, name: str, rules, by_rule) -> Callable[[pd.DataFrame], None]:
    """A function validating ``rules`` on a frame, adding the results to their outcomes."""
    expectation_suite = gx.suites.add(gx_suite(name, rules))
    batches = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("chunk")

    # Only the columns the rules read: each expectation filters the whole batch frame to its
    # column's non-missing rows, ids included; the ids name failing rows afterwards.
    judged = list(dict.fromkeys(column for rule in rules for column in rule.columns))

    def validate(frame: pd.DataFrame) -> None:
        batch = batches.get_batch(batch_parameters={"dataframe": frame[judged]})
        result = batch.validate(expectation_suite, result_format=RESULT_FORMAT)
        record_results(result.results, frame, by_rule)
        log.info("suite %s: %d rows validated", name, len(frame))

    return validate


def carry_forward(
    outcome: RuleOutcome, earlier: set[tuple[str, str | None]] | None, validated: set[str]
) -> None:
    """Take over the earlier issues of records not validated again: their facts are as they
    were."""
    for issue in earlier or ():
        if issue[0] not in validated:
            outcome.failing.add(issue)
            outcome.carried += 1


def record_results(results: Iterable, frame: pd.DataFrame, by_rule: dict[str, RuleOutcome]) -> None:
    """Add the expectation results of the chunk ``frame`` to their rules' outcomes.

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
        failing = frame.loc[values.get("unexpected_index_list") or [], INDEX_COLUMNS]
        for record_id, org_id in failing.itertuples(index=False, name=None):
            by_rule[rule_id].failing.add((str(record_id), _text_or_none(org_id)))
    for rule_id, count in checked.items():
        by_rule[rule_id].checked += count


def _text_or_none(value) -> str | None:
    return None if _missing(value) else str(value)


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
