"""`emis publish`: a release of the warehouse, made only when its gates pass.

1. Gate one, quality: blocking issues of the latest load (``quality.dq_issues``) refuse the
   release, naming each rule and its number of records, unless a person accepts them with a
   reason (``--accept-blocking``), which the release records and its notes show.
2. Disclosure control on every published count and rate (``rules``, ``cells``,
   ``suppression``, ``patterns``), then gate two: the audit (``audit``) solves every
   suppressed cell's interval from everything published, this release and the previous one;
   a cell pinned or narrower than the threshold refuses the release.
   No relation, identity or share crosses a *block* (an academic year and reference date), so
   blocks are controlled independently: a block whose every amount is as the previous release
   had it (``restricted/disclosure.parquet``), under the same method, keeps that release's
   suppression, audited then, and only the blocks the new data touch are controlled again.
3. Gate three, sign-off: the share of organizations certified (``_signoff_gate``). Only a
   threshold set by the ministry can refuse; then the coverage is read first, else alongside
   disclosure control (a thread, while the workers solve). The same thread then writes the
   restricted form inputs while the bundles are written (after a delta, the previous
   release's carried, its delivered records replaced: ``reports.extract``).
4. The bundles are written into a hidden folder, renamed to ``releases/<release_id>`` and
   ``releases/current`` is switched to it atomically (a symlink replaced by rename), so the
   portal sees the old release or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emis import __version__
from emis.errors import UserError
from emis.settings import Settings
from emis.workers import worker_processes
from reports import extract
from reports.extract import write_form_inputs
from signoff import release as signoff_release
from signoff import store as signoff_store
from warehouse.dbt_runner import generate_data_dictionary
from warehouse.read import BREAKDOWNS
from warehouse.release import bundle, profiles, reader, rules
from warehouse.release.cells import (
    NOT_APPLICABLE,
    TOTAL,
    build_cells,
    sort_observations,
    territory_parents,
)
from warehouse.release.reader import FORM_INPUTS, FORM_INPUTS_BASIS

CURRENT = "current"


class PublishRefusedError(UserError):
    """A gate refused the release; the previous release stays current."""


@dataclass
class Inputs:
    """What a release is made of, read from the warehouse (read-only)."""

    observations: pd.DataFrame
    indicators: pd.DataFrame
    territories: pd.DataFrame
    school_profiles: pd.DataFrame
    restricted: dict[str, pd.DataFrame]
    loads: pd.DataFrame  # the loads staging reads (meta.current_loads joined to meta.loads)
    blocking: pd.DataFrame  # rule, records: blocking issues of the latest load
    # ISCED level of every level and grade code: a classifier, published as it is.
    isced_mapping: pd.DataFrame | None = None


@dataclass
class Disclosure:
    observations: pd.DataFrame  # with ``symbol``; suppressed values emptied
    school_profiles: pd.DataFrame
    summary: dict = field(default_factory=dict)
    audit_passed: bool = True
    failing: pd.DataFrame | None = None
    # Each controlled row's amounts and suppression (restricted): the next release reuses it.
    record: pd.DataFrame | None = None


@dataclass(frozen=True)
class PreviousRelease:
    """What disclosure control takes from the current release before this one."""

    release_id: str
    observations: pd.DataFrame | None  # as published (the open bundle)
    disclosure: pd.DataFrame | None  # its disclosure record, if made by the same method


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    summary: dict
    seconds: float


def releases_dir(settings: Settings) -> Path:
    return settings.home / "releases"


def current_release(settings: Settings) -> Path | None:
    link = releases_dir(settings) / CURRENT
    return link.resolve() if link.exists() else None


def publish(
    settings: Settings,
    accept_blocking: str | None = None,
    progress=None,
    accept_uncertified: str | None = None,
) -> Release:
    """Make a release of the warehouse of ``settings`` and make it current; see the module."""
    started = time.perf_counter()
    step = progress or (lambda _message: None)
    step("reading the warehouse")
    inputs = read_inputs(settings)
    blocking = inputs.blocking
    if len(blocking) and not accept_blocking:
        listed = "; ".join(f"{rule}: {records:,} records" for rule, records in blocking.values)
        raise PublishRefusedError(
            f"blocking quality issues in the latest load ({listed}); fix them and run "
            "`emis check` again, or accept them with --accept-blocking REASON"
        )
    earlier = current_release(settings)
    previous = previous_release(earlier)
    release_id = _release_id(settings, inputs.loads)
    root = releases_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{release_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "restricted").mkdir(parents=True)
    # One reading thread beside the main one: the sign-off coverage, which the release record
    # needs, then the restricted form inputs, which nothing else needs, while the bundles are
    # written (a daily publish waited 3-4 s for them before writing).
    alongside = ThreadPoolExecutor(1)
    try:
        signoff = None
        if _signoff_may_refuse(settings, accept_uncertified):  # refused before minutes of control
            step("sign-off coverage")
            signoff = _signoff_gate(settings, accept_uncertified, earlier)
        # Before the thread attaches the warehouse: dbt opens it for writing, which DuckDB
        # refuses while the same process has it attached.
        data_dictionary = generate_data_dictionary(settings)
        step("disclosure control and audit (sign-off coverage and form inputs alongside)")
        gating = None
        if signoff is None:
            gating = alongside.submit(
                _alongside, _signoff_gate, settings, accept_uncertified, earlier
            )
        form_inputs = alongside.submit(
            _alongside, _form_inputs, settings, staging / "restricted", earlier
        )
        disclosure = control(inputs, previous)
        if gating is not None:
            signoff = gating.result()
        step(_certificates_made(signoff, earlier))
        if not disclosure.audit_passed:
            failing = disclosure.failing
            raise PublishRefusedError(
                f"disclosure audit: {len(failing):,} suppressed cells could be narrowed to less "
                f"than {rules.K} (e.g. {failing.iloc[0].to_dict()}); the previous release stays "
                "current"
            )
        record = _release_record(release_id, inputs, disclosure, accept_blocking)
        record["signoff"] = signoff.coverage | {"accepted": accept_uncertified}
        step(f"writing release {release_id}")
        bundle.write_open(staging / "open", disclosure, inputs, record, data_dictionary)
        bundle.write_restricted(staging / "restricted", inputs, disclosure.record)
        signoff_release.write(staging / "restricted", signoff)
        before = previous.observations if previous is not None else None
        changes = bundle.changelog(before, disclosure.observations)
        form_inputs_made = form_inputs.result()  # the manifest lists every file of the release
        step(form_inputs_made)
        bundle.write_manifest(staging, record, changes)
        staging.rename(root / release_id)
    except BaseException:
        alongside.shutdown(cancel_futures=True)  # nothing may still write into the folder
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        alongside.shutdown()
    switch_current(root, release_id)
    summary = record | {"changes": len(changes), "form_inputs": form_inputs_made}
    return Release(release_id, root / release_id, summary, time.perf_counter() - started)


def _signoff_may_refuse(settings: Settings, accepted: str | None) -> bool:
    return not accepted and signoff_store.threshold(settings.home) > 0


def _form_inputs(settings: Settings, restricted: Path, earlier: Path | None) -> str:
    """The forms' inputs (``reports.extract``) and their basis into ``restricted``: the
    ``earlier`` release's carried, its records the loads since deliver replaced, while
    ``extract.loads_to_carry`` allows, else copied whole; returns what was done."""
    now = extract.basis(settings)  # before the reading: a load that lands meanwhile is redone
    path = restricted / FORM_INPUTS
    before = reader.Release(earlier) if earlier is not None else None
    loads = None
    if before is not None and before.form_inputs.exists():
        recorded = before.restricted_dir / FORM_INPUTS_BASIS
        basis = json.loads(recorded.read_text()) if recorded.exists() else None
        loads = extract.loads_to_carry(settings, extract.Basis.of(basis), now)
    if loads is None:
        write_form_inputs(settings, path)
        done = "form inputs copied from the warehouse"
    else:
        rows = extract.carry_form_inputs(settings, path, before.form_inputs, loads)
        since = f"the records of loads {list(loads)}" if loads else "no load since"
        done = f"form inputs carried from release {before.release_id}: {since} ({rows:,} rows)"
    if now is not None:
        (restricted / FORM_INPUTS_BASIS).write_text(json.dumps(now.as_record(), indent=2) + "\n")
    return done


def _alongside(function, *arguments):
    """``function(*arguments)`` at the lowest priority (this thread, and the database threads
    it starts): the reading takes the core a worker leaves idle, not a share of the workers'
    cores."""
    if sys.platform == "linux":  # where a thread has a priority of its own
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    return function(*arguments)


def _signoff_gate(settings: Settings, accepted: str | None, earlier: Path | None = None):
    """Gate three, sign-off (``signoff``): the share of organizations whose certificate stands
    signed must reach the threshold the ministry set (`emis signoff threshold`, 0 until set),
    unless a person accepts less with a reason (``--accept-uncertified``). The certificates'
    figures are the ``earlier`` release's while nothing they stand on changed."""
    state = signoff_release.prepare(settings, earlier=earlier)
    coverage = state.coverage
    needed = signoff_store.threshold(settings.home)
    if coverage["share_organizations"] < needed and not accepted:
        raise PublishRefusedError(
            f"sign-off: {coverage['certified']:,} of {coverage['organizations']:,} "
            f"organizations certified ({coverage['share_organizations']:.0%}) for census date "
            f"{coverage['census_date']}, below the threshold {needed:.0%}; collect signatures "
            "(emis signoff status) or accept with --accept-uncertified REASON"
        )
    return state


def _certificates_made(signoff, earlier: Path | None) -> str:
    if signoff.recomputed_because is None:
        return (
            f"sign-off certificates: figures carried from release {earlier.name} (nothing in "
            f"force on {signoff.census_date} changed since)"
        )
    return f"sign-off certificates computed: {signoff.recomputed_because}"


def switch_current(root: Path, release_id: str) -> None:
    """Point ``root/current`` at ``release_id`` atomically: a new link renamed over the old."""
    temporary = root / f".{CURRENT}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(release_id, target_is_directory=True)
    temporary.replace(root / CURRENT)


# --- inputs ---------------------------------------------------------------------------------------

# Sorted by their keys: a table's scan order changes when it is rebuilt, and the same data
# must give the same files (benchmarks/same_release.py).
RESTRICTED_TABLES = {
    "monitoring_organizations": "select * from marts_monitoring.monitoring_organizations "
    "order by organization_id",
    "monitoring_territories": "select * from marts_monitoring.monitoring_territories "
    "order by geographic_level, territory_code",
    "monitoring_issues": "select * from marts_monitoring.monitoring_issues "
    "order by rule_id, register, record_id, organization_id",
    "dq_issues": "select issues.* from quality.dq_issues as issues "
    "inner join meta.latest_load as latest on issues.load_id = latest.load_id "
    "order by issues.rule, issues.register, issues.record_id, issues.org_id",
}


def read_inputs(settings: Settings) -> Inputs:
    from warehouse.read import frames

    read = frames(
        settings,
        {
            "blocking": "select issues.rule, count(distinct issues.record_id) as records "
            "from quality.dq_issues as issues "
            "inner join meta.latest_load as latest on issues.load_id = latest.load_id "
            "where issues.severity = 'blocking' group by issues.rule order by issues.rule",
            "observations": "select * from marts_open.observations",
            "indicators": "select * from reference.indicators",
            "territories": "select * from reference.territories",
            "school_profiles": "select * from marts_open.school_profiles",
            "loads": "select loads.load_id, loads.export_fingerprint, loads.snapshot_date, "
            "loads.academic_year, current_loads.load_kind from meta.loads as loads "
            "inner join meta.current_loads as current_loads "
            "on loads.load_id = current_loads.load_id order by current_loads.load_sequence",
            "isced_mapping": "select * from marts_open.isced_mapping",
        }
        | {f"restricted.{name}": sql for name, sql in RESTRICTED_TABLES.items()},
    )
    restricted = {name: read.pop(f"restricted.{name}") for name in RESTRICTED_TABLES}
    return Inputs(**read, restricted=restricted)


DISCLOSURE_RECORD = "disclosure.parquet"  # in the restricted bundle


def previous_release(path: Path | None) -> PreviousRelease | None:
    """The release at ``path``: its published observations, and its disclosure record when
    it was made by this code's disclosure method (else nothing of it is reused)."""
    if path is None:
        return None
    observations = path / "open" / "parquet" / "observations.parquet"
    record = path / "restricted" / DISCLOSURE_RECORD
    manifest = json.loads((path / "release.json").read_text())
    same_method = manifest.get("disclosure", {}).get("method") == disclosure_method()
    return PreviousRelease(
        path.name,
        pd.read_parquet(observations) if observations.exists() else None,
        pd.read_parquet(record) if same_method and record.exists() else None,
    )


def disclosure_method() -> str:
    """A fingerprint of the disclosure rules and algorithms: a suppression is reused only
    under the method that made it."""
    from warehouse.release import audit, cells, patterns, suppression

    digest = hashlib.sha256()
    for module in (rules, cells, profiles, patterns, suppression, audit):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


# --- disclosure control ---------------------------------------------------------------------------


BLOCK = ("academic_year", "reference_date")  # no relation crosses one
AMOUNTS = ("numerator", "denominator", "value")


def control(
    inputs: Inputs, previous: PreviousRelease | None = None, workers: int | None = None
) -> Disclosure:
    """Suppress and audit the observations (``suppression.control``) block by block, keeping
    the previous release's suppression of unchanged blocks, the others on ``workers``
    processes (by default one per core for national-scale work); round and threshold the
    school profiles."""
    from warehouse.release import suppression

    # Only the detail the open bundle publishes at each territory level (rules.MAX_CROSSED),
    # less the tables mostly of 1-4 persons (published coarser: rules.COARSEN_SHARE).
    crossed = suppression.max_crossed(inputs.observations)
    coarse = suppression.coarse_enough(inputs.observations)
    detail, coarsened = crossed & coarse, int((crossed & ~coarse).sum())
    observations = sort_observations(inputs.observations[detail])
    record = previous.disclosure if previous is not None else None
    kept = unchanged_blocks(observations, record)
    hidden_rows, primary_rows = kept_suppression(observations, kept, record)
    districts = dict(
        zip(inputs.territories["district_code"], inputs.territories["oblast_code"], strict=True)
    )
    started = time.perf_counter()
    blocks = control_blocks(
        observations[~kept].reset_index(drop=True), inputs.indicators, districts,
        previous.observations if previous else None, workers, inputs.school_profiles,
    )  # fmt: skip
    rows_of_changed = np.flatnonzero(~kept)
    for positions, result in blocks:
        hidden_rows[rows_of_changed[positions]] = result.hidden
        primary_rows[rows_of_changed[positions]] = result.primary
    results = [result for _, result in blocks]
    republic_totals = (observations["territory_code"].eq("KG") & observations[
        list(BREAKDOWNS)].isin([TOTAL, NOT_APPLICABLE]).all(axis=1)).to_numpy()  # fmt: skip
    summary = {
        "observations": len(observations),
        "suppressed_primary": int(primary_rows.sum()),
        "suppressed_secondary": int((hidden_rows & ~primary_rows).sum()),
        "suppressed_share": round(float(hidden_rows.mean()), 4) if len(hidden_rows) else 0.0,
        "republic_totals_suppressed": int((hidden_rows & republic_totals).sum()),
        "tables_coarsened_rows": coarsened,
        "repairs": sum(result.repairs for result in results),
        "published_back": sum(result.published_back for result in results),
        "audit": combined_audit(results)
        | {"control_seconds": round(time.perf_counter() - started, 2)},
        "method": disclosure_method(),
        "blocks_controlled": _blocks(observations[~kept]),
        "blocks_kept": _blocks(observations[kept]),
        "kept_from": previous.release_id if previous is not None and kept.any() else None,
    }
    record = observations[[*bundle.OBSERVATION_KEY, "unit", *AMOUNTS]].assign(
        hidden=hidden_rows, primary=primary_rows
    )
    passed = all(result.passed for result in results)
    failing = pd.concat([result.failing for result in results]) if results else None
    return Disclosure(
        with_symbols(observations, hidden_rows, inputs.indicators),
        profiles.rounded(inputs.school_profiles),
        summary,
        passed,
        failing,
        record,
    )


def kept_suppression(
    observations: pd.DataFrame, kept: np.ndarray, record: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """(hidden, primary) per row: the previous ``record``'s flags on kept rows, else False."""
    hidden = np.zeros(len(observations), dtype=bool)
    primary = np.zeros(len(observations), dtype=bool)
    if kept.any():
        key = list(bundle.OBSERVATION_KEY)
        flags = _keyed(observations.loc[kept, key]).merge(
            _keyed(record), on=key, how="left", validate="1:1"
        )
        hidden[kept] = flags["hidden"].to_numpy(dtype=bool)
        primary[kept] = flags["primary"].to_numpy(dtype=bool)
    return hidden, primary


PARALLEL_ROWS = 20_000  # fewer changed rows are controlled in this process


@dataclass(frozen=True)
class BlockControl:
    """One block's suppression (per row of the block) and its audit."""

    hidden: np.ndarray
    primary: np.ndarray
    passed: bool
    failing: pd.DataFrame
    audit: dict  # the final audit's summary
    audit_seconds: float  # every audit round
    linear_programs: int
    repairs: int
    published_back: int = 0  # secondary cells published again after the audit passed


def control_blocks(
    observations: pd.DataFrame,
    indicators: pd.DataFrame,
    districts: dict[str, str],
    published_before: pd.DataFrame | None,
    workers: int | None = None,
    school_profiles: pd.DataFrame | None = None,
) -> list[tuple[np.ndarray, BlockControl]]:
    """Each block of ``observations`` controlled alone: (its rows' positions, its control),
    largest block first, on ``workers`` processes."""
    groups = observations.groupby(list(BLOCK), sort=True).indices
    order = sorted(groups.values(), key=len, reverse=True)
    if workers is None:
        workers = (os.cpu_count() or 1) if len(observations) >= PARALLEL_ROWS else 1
    workers = max(1, min(workers, len(order)))
    tasks = []
    for positions in order:
        block = observations.iloc[positions].reset_index(drop=True)
        tasks.append(
            (block, indicators, districts, _same_block(published_before, block),
             _same_block(school_profiles, block))
        )  # fmt: skip
    if workers == 1:
        return [(rows, control_block(*task)) for rows, task in zip(order, tasks, strict=True)]
    with worker_processes(workers) as pool:
        results = list(pool.map(control_block, *zip(*tasks, strict=True)))
    return list(zip(order, results, strict=True))


def _same_block(previous: pd.DataFrame | None, block: pd.DataFrame) -> pd.DataFrame | None:
    if previous is None or previous.empty:
        return previous
    year = block["academic_year"].iloc[0]
    date = pd.Timestamp(block["reference_date"].iloc[0])
    dates = pd.to_datetime(previous["reference_date"])
    return previous[(previous["academic_year"] == year) & (dates == date)]


def control_block(
    block: pd.DataFrame,
    indicators: pd.DataFrame,
    districts: dict[str, str],
    published_before: pd.DataFrame | None,
    school_profiles: pd.DataFrame | None = None,
) -> BlockControl:
    """Primary, secondary and repaired suppression of one block, audited (the school
    profiles' rounded counts bound the cells they add up to)."""
    from warehouse.release import suppression

    parents = territory_parents(block["territory_code"], districts)
    bounds = None
    if school_profiles is not None and len(school_profiles):
        bounds = profiles.bounds(school_profiles, block)
    cells = build_cells(block, indicators, parents, bounds)
    result = suppression.control(block, cells, _public(cells, block, published_before))
    failing = result.audit.failing.assign(
        academic_year=block["academic_year"].iloc[0], reference_date=block["reference_date"].iloc[0]
    )
    return BlockControl(
        _hidden_rows(cells, result.suppressed, len(block)),
        _hidden_rows(cells, result.primary, len(block)),
        result.audit.passed,
        failing,
        result.audit.summary(),
        result.audit_seconds,
        result.linear_programs,
        result.repairs,
        result.published_back,
    )


def combined_audit(results: list[BlockControl]) -> dict:
    """The blocks' audits as one: counts added, the narrowest width, every round's programs
    and seconds (work, not wall time: blocks may run side by side)."""
    summaries = [result.audit for result in results]
    widths = [s["min_width"] for s in summaries if s.get("min_width") is not None]
    added = ("suppressed_quantities", "primary_quantities", "failing", "pinned", "already_public",
             "secondary_recovered", "solved_exactly", "components")  # fmt: skip
    return {name: sum(s.get(name, 0) for s in summaries) for name in added} | {
        "min_width": min(widths) if widths else None,
        "largest_component": max((s.get("largest_component", 0) for s in summaries), default=0),
        "linear_programs": sum(result.linear_programs for result in results),
        "seconds": round(sum(result.audit_seconds for result in results), 2),
        "blocks": len(results),
        "k": rules.K,
    }


def unchanged_blocks(observations: pd.DataFrame, record: pd.DataFrame | None) -> np.ndarray:
    """Per row of ``observations``: its block has the same rows, unit and amounts as in the
    previous release's disclosure ``record`` (so that release's suppression still holds)."""
    if record is None or record.empty or observations.empty:
        return np.zeros(len(observations), dtype=bool)
    key = list(bundle.OBSERVATION_KEY)
    now = _keyed(observations[[*key, "unit", *AMOUNTS]])
    before = _keyed(record[[*key, "unit", *AMOUNTS]])
    merged = now.merge(before, on=key, how="outer", suffixes=("", "_before"), indicator=True)
    same = merged["_merge"].eq("both") & merged["unit"].eq(merged["unit_before"])
    for column in AMOUNTS:
        a = pd.to_numeric(merged[column], errors="coerce").astype("float64")
        b = pd.to_numeric(merged[f"{column}_before"], errors="coerce").astype("float64")
        same &= (a == b) | (a.isna() & b.isna())
    block_same = same.groupby([merged[c] for c in BLOCK]).all()
    block_of_row = pd.MultiIndex.from_frame(now[list(BLOCK)])
    return block_same.reindex(block_of_row).fillna(False).to_numpy(dtype=bool)


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns as text, the date as YYYY-MM-DD: a parquet date, a timestamp or text."""
    frame = frame.copy()
    frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.strftime("%Y-%m-%d")
    return frame


def _blocks(observations: pd.DataFrame) -> int:
    return int(observations[list(BLOCK)].drop_duplicates().shape[0])


def _public(cells, observations, previous) -> np.ndarray | None:
    """Quantities the previous release published with the same amount (they stay public)."""
    if previous is None or previous.empty:
        return None
    key = list(bundle.OBSERVATION_KEY)
    # Every part the previous release showed: rows with no symbol, or one other than c.
    shown = previous["symbol"].fillna("") != "c"
    known = previous[shown][[*key, "numerator", "denominator"]].copy()
    current = observations[key].reset_index()
    for frame in (known, current):  # a date in one, a timestamp or text in the other
        frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.strftime("%Y-%m-%d")
    merged = current.merge(known, on=key, how="inner")
    public = np.zeros(len(cells.quantities), dtype=bool)
    amounts = cells.quantities["amount"].to_numpy()
    for measure in rules.MEASURES:
        part = cells.cells[cells.cells["measure"] == measure]
        values = dict(zip(merged["index"], merged[measure], strict=True))
        same = [
            quantity
            for row, quantity in zip(part["row"], part["quantity"], strict=True)
            if row in values and values[row] is not None and float(values[row]) == amounts[quantity]
        ]
        public[same] = True
    return public


def _hidden_rows(cells, suppressed: np.ndarray, rows: int) -> np.ndarray:
    """Rows of the observations with a suppressed part."""
    hidden = np.zeros(rows, dtype=bool)
    parts = cells.cells[cells.cells["row"] < rows]
    hidden[parts["row"].to_numpy()[suppressed[parts["quantity"].to_numpy()]]] = True
    return hidden


def with_symbols(
    observations: pd.DataFrame, hidden: np.ndarray, indicators: pd.DataFrame
) -> pd.DataFrame:
    """The published observations: a symbol where a value cannot stand, the value empty there."""
    frame = observations.copy()
    value = pd.to_numeric(frame["value"], errors="coerce")
    precision = frame["unit"].map(rules.PRECISION).fillna(1).astype(int)
    residual = frame["indicator_id"].isin(
        indicators.loc[indicators["is_residual"].astype(bool), "indicator_id"]
    )
    reconstructed = frame["indicator_id"].isin(rules.RECONSTRUCTED)
    # The warehouse says why a value is empty (x: no population estimates; z: no denominator).
    stated = (
        frame["symbol"] if "symbol" in frame else pd.Series(None, index=frame.index, dtype=object)
    )
    symbol = np.select(
        [
            hidden,
            value.isna() & stated.notna(),
            value.isna() & (pd.to_numeric(frame["denominator"], errors="coerce") == 0),
            value.isna(),
            (reconstructed | residual)
            & frame["unit"].eq("percent")
            & ((value < 0) | (value > 100))
            & frame["geographic_level"].ne("national"),
            (value != 0) & (value.abs() < 0.5 * 10.0 ** (-precision)),
        ],
        ["c", stated.fillna("").to_numpy(dtype=object), "z", "x", "u", "low"],
        default="",
    )
    frame["symbol"] = pd.Series(symbol, index=frame.index).replace("", None)
    blank = frame["symbol"].notna()
    frame.loc[blank, "value"] = None
    frame.loc[frame["symbol"].eq("c"), ["numerator", "denominator"]] = None
    return frame


# --- release record -------------------------------------------------------------------------------


def _release_id(settings: Settings, loads: pd.DataFrame) -> str:
    """The snapshot date and a running number: 2026-01-15.1, 2026-01-15.2, ..."""
    snapshot = pd.to_datetime(loads["snapshot_date"]).max().date().isoformat()
    root = releases_dir(settings)
    taken = [p.name for p in root.glob(f"{snapshot}.*")] if root.exists() else []
    numbers = [int(name.rsplit(".", 1)[1]) for name in taken if name.rsplit(".", 1)[1].isdigit()]
    return f"{snapshot}.{max(numbers, default=0) + 1}"


def _release_record(release_id, inputs: Inputs, disclosure: Disclosure, accepted) -> dict:
    loads = inputs.loads
    return {
        "release_id": release_id,
        "published_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "snapshot_date": pd.to_datetime(loads["snapshot_date"]).max().date().isoformat(),
        "academic_year": str(loads["academic_year"].iloc[-1]),
        "load_ids": [int(value) for value in loads["load_id"]],
        "export_fingerprints": [str(value) for value in loads["export_fingerprint"]],
        "code_version": __version__ + _git_revision(),
        "blocking_issues": {rule: int(n) for rule, n in inputs.blocking.values},
        "blocking_accepted": accepted,
        "disclosure": disclosure.summary,
    }


def _git_revision() -> str:
    head = Path(__file__).resolve().parents[2] / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (head.parent / ref[5:]).read_text().strip()
        return f"+{ref[:12]}"
    except OSError:
        return ""


def summary_json(release: Release) -> str:
    return json.dumps(release.summary, indent=2, ensure_ascii=False, default=str)
