"""Disclosure control over the quantities of ``cells``: primary suppression, secondary
suppression, and repair until the audit passes.

Primary: a protected part behind which stand 1..K-1 persons: a count of 1..K-1 (a net figure
by its size), a full-time equivalent of 1..K-1 teachers whatever its amount
(``rules.PERSONS_BEHIND``), and in sensitive tables the numerator of a rate whose denominator
is under 10 (zero included: "none of these 7 repeated" is a statement about each of them).
Zeros are published otherwise (``docs/disclosure.md``: the zero policy).

Secondary, in three steps:
1. patterns (``patterns``): for each primary cell, the cells of a move of hypothetical persons
   that no published figure would show, at least K wide where the table allows;
2. margins, iterated to a fixed point: no relation (total = sum of parts) may hide exactly one
   member (subtraction gives it back), nor, with its total published, hide parts adding up to
   less than K; such a relation hides one more member (the one closing most other such
   relations, then the smallest positive part, then its total);
3. repair: the audit solves the attacker's programs; for each primary cell still narrower
   than K, the published cell whose hiding widens it most (from the program's dual values) is
   hidden, and step 2 runs again, until the audit passes or nothing is left to hide.

Then less is hidden: a secondary cell the attacker recovers exactly protects nothing and is
published; and the costliest secondary cells (the republic's, then oblasts', larger totals
first) are published one by one wherever the audit still passes without them. Choosing cells
to hide, district cells go before oblast cells before the republic's.

Cells the previous release published with the same amount are public already: never chosen.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from warehouse.read import BREAKDOWNS
from warehouse.release import rules
from warehouse.release.audit import Audit, audit
from warehouse.release.cells import CODE_COLUMNS, NOT_APPLICABLE, ROW_KEY, TOTAL, Cells, each_once
from warehouse.release.patterns import protect

log = logging.getLogger(__name__)

MAX_ROUNDS = 10_000
MAX_REPAIRS = 60
PRUNE_LEVELS = (0,)  # territory depths whose secondary cells are tried for publication
PRUNE_TRIALS = 20  # per block: cells tried (a count, not a time, so releases reproduce)


def published_detail(observations: pd.DataFrame, k: int = rules.K) -> pd.Series:
    """Rows the open bundle publishes at all, as a boolean mask: the detail each territory
    level publishes (``rules.MAX_CROSSED``), less the tables too fine to publish
    (``coarse_enough``)."""
    return max_crossed(observations) & coarse_enough(observations, k)


def small_rows(observations: pd.DataFrame, k: int = rules.K) -> np.ndarray:
    """Rows with a part primary suppression would hide (the threshold and sensitive-rate rules
    read on each row alone)."""
    indicator = observations["indicator_id"]
    numerator = pd.to_numeric(observations["numerator"], errors="coerce").abs()
    denominator = pd.to_numeric(observations["denominator"], errors="coerce")
    protect_numerator = each_once(indicator, lambda i: rules.is_protected(i, rules.NUMERATOR))
    has_denominator = ~observations["unit"].isin(rules.UNITS_WITHOUT_DENOMINATOR)
    protect_denominator = each_once(indicator, lambda i: rules.is_protected(i, rules.DENOMINATOR))
    sensitive = each_once(indicator, lambda i: rules.protection(i).sensitive)
    small = protect_numerator & (numerator > 0) & (numerator < k)
    small |= protect_denominator & has_denominator & (denominator > 0) & (denominator < k)
    small |= (
        sensitive & has_denominator & (denominator > 0)
        & (denominator < rules.SENSITIVE_MIN_DENOMINATOR)
    )  # fmt: skip
    return small.fillna(False).to_numpy(dtype=bool)


def coarse_enough(observations: pd.DataFrame, k: int = rules.K) -> pd.Series:
    """False on the rows of a table (an indicator's breakdowns crossed, at a territory level)
    of which more than ``rules.COARSEN_SHARE`` would be suppressed by the threshold alone: its
    coarser tables are published instead (its margins: the same persons, fewer cells hidden
    around them). A table without breakdowns is always published."""
    specific = ~observations[list(BREAKDOWNS)].isin([TOTAL, NOT_APPLICABLE])
    mask = np.zeros(len(observations), dtype=np.int64)
    for bit, column in enumerate(BREAKDOWNS):
        mask |= specific[column].to_numpy().astype(np.int64) << bit
    table = [observations["indicator_id"], observations["geographic_level"], mask]
    share = pd.Series(small_rows(observations, k), index=observations.index)
    too_fine = share.groupby(table).transform("mean") > rules.COARSEN_SHARE
    return ~(too_fine & (mask != 0))


def max_crossed(observations: pd.DataFrame) -> pd.Series:
    """Rows within the detail each territory level publishes (``rules.MAX_CROSSED``)."""
    specific = ~observations[list(BREAKDOWNS)].isin([TOTAL, NOT_APPLICABLE])
    crossed = specific.sum(axis=1) - specific["grade"].astype(int)  # a grade goes with its level
    limit = each_once(
        observations["geographic_level"],
        lambda level: rules.MAX_CROSSED.get(level) if level in rules.MAX_CROSSED else 0,
    )
    keep = limit.isna() | (crossed <= limit.fillna(0))
    if rules.DISTRICT_LEVEL_BY_SEX:
        sensitive = each_once(observations["indicator_id"], lambda i: rules.protection(i).sensitive)
        level_by_sex = (
            (crossed == 2) & specific["sex"] & specific["level"] & ~specific["grade"] & ~sensitive
        )
        keep |= (observations["geographic_level"] == "district") & level_by_sex
    return keep


def primary(observations: pd.DataFrame, cells: Cells, k: int = rules.K) -> np.ndarray:
    """Quantities suppressed by the threshold, persons and sensitive-rate rules (bool per
    quantity)."""
    amount = cells.quantities["amount"].to_numpy()
    suppressed = (np.abs(amount) > 0) & (np.abs(amount) < k)
    numerators = cells.cells[
        (cells.cells["measure"] == rules.NUMERATOR) & (cells.cells["row"] < len(observations))
    ]
    _by_persons(observations, numerators, suppressed, k)
    if "virtual" in cells.quantities:
        suppressed &= ~cells.quantities["virtual"].to_numpy(dtype=bool)
    rows = numerators["row"].to_numpy()
    indicator = observations["indicator_id"].to_numpy()[rows]
    sensitive = np.array([rules.protection(i).sensitive for i in indicator], dtype=bool)
    denominator = observations["denominator"].to_numpy()[rows]
    has_denominator = ~np.isin(
        observations["unit"].to_numpy()[rows], rules.UNITS_WITHOUT_DENOMINATOR
    )
    small = (
        sensitive
        & has_denominator
        & (denominator > 0)
        & (denominator < rules.SENSITIVE_MIN_DENOMINATOR)
    )
    suppressed[numerators["quantity"].to_numpy()[small]] = True
    return suppressed


def _by_persons(observations, numerators, suppressed, k) -> None:
    """Parts counted in another unit take the threshold from the persons behind them: the
    headcount at the same key (``rules.PERSONS_BEHIND``); where none is published, the amount."""
    key = [c for c in ROW_KEY if c != "indicator_id"]
    indicator = observations["indicator_id"]
    for measured, persons in rules.PERSONS_BEHIND.items():
        rows = numerators[indicator.to_numpy()[numerators["row"].to_numpy()] == measured]
        if rows.empty:
            continue
        heads = observations.loc[indicator == persons, [*key, "numerator"]]
        found = observations.loc[rows["row"].to_numpy(), key].merge(heads, on=key, how="left")
        count = found["numerator"].to_numpy(dtype="float64")
        quantity = rows["quantity"].to_numpy()
        known = ~np.isnan(count)
        suppressed[quantity[known]] = (count[known] > 0) & (count[known] < k)


@dataclass(frozen=True)
class Secondary:
    suppressed: np.ndarray  # bool per quantity
    rounds: int
    exposed: int  # relations still exposing a cell with nothing left to hide (the audit decides)


def secondary(
    cells: Cells,
    suppressed: np.ndarray,
    public: np.ndarray | None = None,
    k: int = rules.K,
) -> Secondary:
    """Extend ``suppressed`` until no relation exposes a hidden quantity (step 2 above)."""
    suppressed = suppressed.copy()
    relations = cells.relations
    relation = relations["relation"].to_numpy()
    quantity = relations["quantity"].to_numpy()
    is_total = relations["coef"].to_numpy() > 0
    amount = np.abs(cells.quantities["amount"].to_numpy())
    count_like = cells.quantities["lower"].to_numpy() == 0
    n = int(relation.max()) + 1 if len(relation) else 0
    nonneg = np.bincount(relation, weights=~count_like[quantity], minlength=n) == 0
    eligible = np.ones(len(amount), dtype=bool) if public is None else ~public
    rank = np.where(is_total, 1, np.where(amount[quantity] > 0, 0, 2))
    cost = -depth(cells)  # the republic's cells cost most, then the oblasts'

    exposed = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        hidden = suppressed[quantity]
        count = np.bincount(relation, weights=hidden, minlength=n)
        total_hidden = np.bincount(relation, weights=hidden & is_total, minlength=n) > 0
        part_sum = np.bincount(relation, weights=hidden * ~is_total * amount[quantity], minlength=n)
        exposing = (count == 1) | (nonneg & ~total_hidden & (count > 0) & (part_sum < k - 1e-9))
        candidate = np.flatnonzero(exposing[relation] & ~hidden & eligible[quantity])
        # The cheapest territory first (a district before its oblast before the republic);
        # then the member closing most exposing relations at once, so patterns close (as a
        # rectangle does in a two-way table); then positive parts, smallest first; then the
        # total; then zero parts; ties by quantity id, so the result is reproducible.
        votes = np.bincount(quantity[candidate], minlength=len(amount))[quantity[candidate]]
        order = np.lexsort(
            (quantity[candidate], amount[quantity[candidate]], rank[candidate], -votes,
             cost[quantity[candidate]], relation[candidate])
        )  # fmt: skip
        ordered = candidate[order]
        first = np.unique(relation[ordered], return_index=True)[1]
        chosen = quantity[ordered[first]]
        exposed = int(exposing.sum()) - len(first)
        if len(chosen) == 0:
            return Secondary(suppressed, rounds, exposed)
        suppressed[chosen] = True
    return Secondary(suppressed, MAX_ROUNDS, exposed)


def depth(cells: Cells) -> np.ndarray:
    """Each quantity's territory depth: 0 the republic, 1 an oblast, 2 a district."""
    territory = cells.vocab["territory_code"]
    code_depth = np.array([0 if c == "KG" else 1 if len(c) == 5 else 2 for c in territory])
    cell_depth = code_depth[cells.codes[:, CODE_COLUMNS.index("territory_code")]]
    found = np.zeros(len(cells.quantities), dtype=np.int64)
    np.maximum.at(found, cells.cells["quantity"].to_numpy(), cell_depth)
    return found


def repair_picks(
    cells: Cells, suppressed: np.ndarray, result: Audit, public: np.ndarray | None = None
) -> np.ndarray:
    """For each failing quantity, the published quantity whose hiding widens it most.

    The failing side's program gives dual values per relation: the rate at which its optimum
    moves with the relation's constant. A published quantity in those relations moves the
    optimum by minus the sum of dual x coefficient per unit; the largest such rate, in a
    direction the quantity can move, wins (ties: smallest amount). Without duals (or with all
    rates zero: a share's bound, not a relation, holds the cell), the nearest published
    quantity, through relations and shares (``_nearest_published``).
    """
    amount = cells.quantities["amount"].to_numpy()
    lower = cells.quantities["lower"].to_numpy()
    eligible = ~suppressed if public is None else ~suppressed & ~public
    relations = cells.relations
    by_relation = relations.groupby("relation", sort=True)
    member_index = by_relation.indices
    rel_quantity = relations["quantity"].to_numpy()
    rel_coef = relations["coef"].to_numpy()
    by_quantity = relations.groupby("quantity", sort=True).indices
    partners: dict[int, list[int]] = {}
    for numerator, denominator in cells.shares.itertuples(index=False):
        partners.setdefault(int(numerator), []).append(int(denominator))
        partners.setdefault(int(denominator), []).append(int(numerator))
    relation_of = relations["relation"].to_numpy()

    def neighbours(q: int) -> set[int]:
        found = set(partners.get(q, ()))
        for position in by_quantity.get(q, ()):
            found |= set(rel_quantity[member_index[relation_of[position]]].tolist())
        found.discard(q)
        return found

    picks = set()
    for row in result.failing.itertuples(index=False):
        if row.reason.startswith("published in the previous"):
            continue
        q = int(row.quantity)
        # Widen the side with less room: the max (sense -1) or the min (sense 1).
        sense = -1.0 if (row.high - row.amount) <= (row.amount - row.low) else 1.0
        pick = _dual_pick(
            result.duals.get((q, sense)), member_index, rel_quantity, rel_coef, amount, lower,
            eligible,
        )  # fmt: skip
        if pick is None:
            pick = _nearest_published(q, neighbours, amount, eligible)
        if pick is not None:
            picks.add(pick)
    return np.array(sorted(picks), dtype=np.int64)


def _dual_pick(duals, member_index, rel_quantity, rel_coef, amount, lower, eligible):
    if not duals:
        return None
    rate: dict[int, float] = {}
    for relation, y in duals.items():
        if y == 0:
            continue
        for position in member_index.get(relation, ()):
            q = int(rel_quantity[position])
            if eligible[q]:
                rate[q] = rate.get(q, 0.0) - y * rel_coef[position]
    best, best_key = None, None
    for q, g in rate.items():
        # The program minimises: a quantity helps by rising when g < 0, by falling when g > 0.
        score = -g if g < 0 else (g if amount[q] > lower[q] else 0.0)
        if score <= 1e-9:
            continue
        key = (-score, abs(amount[q]), q)
        if best_key is None or key < best_key:
            best, best_key = q, key
    return best


def _nearest_published(q: int, neighbours, amount, eligible, hops: int = 3) -> int | None:
    """The smallest positive published quantity nearest ``q``: its relations' members and
    share partners, else theirs (through hidden ones), up to ``hops`` steps away."""
    seen, frontier = {q}, {q}
    for _ in range(hops):
        reached = set().union(*(neighbours(node) for node in frontier)) - seen
        candidates = [other for other in reached if eligible[other]]
        if candidates:
            return min(
                candidates, key=lambda other: (amount[other] <= 0, abs(amount[other]), other)
            )
        seen |= reached
        frontier = reached
        if not frontier:
            break
    return None


@dataclass(frozen=True)
class Control:
    primary: np.ndarray  # bool per quantity
    suppressed: np.ndarray  # bool per quantity: primary and secondary
    audit: Audit  # the audit of the final suppression: the release gate
    repairs: int  # repair rounds run
    seconds: float
    audit_seconds: float  # all audits together
    linear_programs: int
    published_back: int = 0  # secondary cells published again (recovered, or not needed)


def control(
    observations: pd.DataFrame,
    cells: Cells,
    public: np.ndarray | None = None,
    k: int = rules.K,
    *,
    use_patterns: bool = True,
    repair: bool = True,
    prune: bool = True,
) -> Control:
    """Primary, secondary and repaired suppression, audited, then as little hidden as the
    audit allows (see the module docstring)."""
    started = time.perf_counter()
    first = primary(observations, cells, k)
    hidden = first.copy()
    if use_patterns:
        hidden = protect(cells, hidden, public, k).suppressed
    hidden = secondary(cells, hidden, public, k).suppressed
    cache: dict = {}
    known = (np.full(len(hidden), np.nan), np.full(len(hidden), np.nan))
    spent = _Spent()
    repairs = 0
    while True:
        result = spent.audit(cells, hidden, public, k, cache, known, first)
        intervals = result.intervals
        known[0][intervals["quantity"].to_numpy()] = intervals["low"].to_numpy()
        known[1][intervals["quantity"].to_numpy()] = intervals["high"].to_numpy()
        log.info("audit round %d: %s", repairs, result.summary())
        if result.passed or not repair or repairs >= MAX_REPAIRS:
            break
        picks = repair_picks(cells, hidden, result, public)
        if len(picks) == 0:
            break
        hidden[picks] = True
        hidden = secondary(cells, hidden, public, k).suppressed
        repairs += 1
    before = int(hidden.sum())
    if result.passed and prune:
        hidden, result = _published_back(cells, hidden, first, public, k, cache, result, spent)
    return Control(
        first, hidden, result, repairs, time.perf_counter() - started, spent.seconds,
        spent.programs, before - int(hidden.sum()),
    )  # fmt: skip


@dataclass
class _Spent:
    """Audits run, with their time and programs counted."""

    seconds: float = 0.0
    programs: int = 0

    def audit(self, cells, hidden, public, k, cache, known, gated) -> Audit:
        result = audit(cells, hidden, public, k, cache, known, gated)
        self.seconds += result.seconds
        self.programs += result.linear_programs
        return result


def _published_back(cells, hidden, first, public, k, cache, result, spent):
    """Secondary cells published again where the audit passes without them: first every one
    the attacker recovers exactly (publishing it changes nothing the attacker knows), then the
    costliest, one at a time: the republic's before the oblasts', larger amounts first."""
    hidden = hidden.copy()
    recovered = result.recovered
    if len(recovered):
        hidden[recovered] = False
        result = spent.audit(cells, hidden, public, k, cache, None, first)
    amount = np.abs(cells.quantities["amount"].to_numpy())
    levels = depth(cells)
    tried = np.flatnonzero(hidden & ~first & np.isin(levels, PRUNE_LEVELS))
    order = tried[np.lexsort((tried, -amount[tried], levels[tried]))]
    for quantity in order[:PRUNE_TRIALS]:
        if not hidden[quantity]:
            continue
        hidden[quantity] = False
        trial = spent.audit(cells, hidden, public, k, cache, None, first)
        if trial.passed:
            result = trial
            if len(trial.recovered):
                hidden[trial.recovered] = False
                result = spent.audit(cells, hidden, public, k, cache, None, first)
        else:
            hidden[quantity] = True
    if not result.passed:  # cannot happen: every step kept a passing audit; stay safe
        raise RuntimeError("publishing secondary cells back broke the audit")
    return hidden, result
