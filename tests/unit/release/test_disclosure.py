"""Disclosure control and its audit on small planted tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from tests.unit.release.conftest import cube, indicators, prepared, quantity_of
from warehouse.release import rules
from warehouse.release.audit import audit
from warehouse.release.patterns import protect
from warehouse.release.publish import with_symbols
from warehouse.release.suppression import (
    control,
    primary,
    published_detail,
    repair_picks,
    secondary,
)

A, B, C = "41701201", "41701202", "41701203"


def planted():
    """Girls and boys in three districts; district A has 3 girls. Hidden alone, they come back
    as A's total minus A's boys (or the oblast's girls minus B's and C's)."""
    facts = [
        {"district": A, "sex": "F", "numerator": 3},
        {"district": A, "sex": "M", "numerator": 20},
        {"district": B, "sex": "F", "numerator": 10},
        {"district": B, "sex": "M", "numerator": 12},
        {"district": C, "sex": "F", "numerator": 9},
        {"district": C, "sex": "M", "numerator": 14},
    ]
    return prepared(cube("learners", facts, ["sex"]))


def brute_force(cells, hidden: np.ndarray, quantity: int) -> tuple[float, float]:
    """Min and max of one quantity, written out independently of the audit's machinery."""
    amount = cells.quantities["amount"].to_numpy()
    variables = np.flatnonzero(hidden)
    column = {q: i for i, q in enumerate(variables)}
    a_eq, b_eq = [], []
    for _, members in cells.relations.groupby("relation"):
        if not hidden[members["quantity"]].any():
            continue
        row = np.zeros(len(variables))
        constant = 0.0
        for q, coef in zip(members["quantity"], members["coef"], strict=True):
            if hidden[q]:
                row[column[q]] += coef
            else:
                constant -= coef * amount[q]
        a_eq.append(row)
        b_eq.append(constant)
    ends = []
    for sense in (1.0, -1.0):
        c = np.zeros(len(variables))
        c[column[quantity]] = sense
        result = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, 1e6), method="highs")
        ends.append(sense * result.fun)
    return ends[0], ends[1]


def test_primary_suppression_alone_is_recoverable_and_the_audit_catches_it():
    observations, cells = planted()
    first = primary(observations, cells)
    girls_a = quantity_of(observations, cells, territory_code=A, sex="F")
    assert np.flatnonzero(first).tolist() == [girls_a]
    result = audit(cells, first)
    assert not result.passed
    row = result.intervals.set_index("quantity").loc[girls_a]
    assert row["low"] == row["high"] == 3
    assert row["reason"] == "pinned"


def test_secondary_suppression_fixes_it_and_every_interval_is_wide_and_exact():
    observations, cells = planted()
    result = control(observations, cells)
    girls_a = quantity_of(observations, cells, territory_code=A, sex="F")
    assert result.suppressed[girls_a] and result.suppressed.sum() > 1
    assert result.audit.passed
    intervals = result.audit.intervals.set_index("quantity")
    assert (intervals["width"] >= rules.K).all()
    for quantity, row in intervals.iterrows():
        assert row["low"] <= row["amount"] <= row["high"]
        if row["exact"]:
            assert np.allclose(
                (row["low"], row["high"]), brute_force(cells, result.suppressed, quantity)
            )


def test_the_margin_rule_leaves_no_relation_with_one_hidden_member():
    observations, cells = planted()
    hidden = secondary(cells, primary(observations, cells)).suppressed
    relations = cells.relations.assign(hidden=hidden[cells.relations["quantity"]])
    per_relation = relations.groupby("relation")["hidden"].sum()
    assert not (per_relation == 1).any()


def test_repair_hides_a_published_neighbour_of_a_failing_cell():
    observations, cells = planted()
    first = primary(observations, cells)
    picks = repair_picks(cells, first, audit(cells, first))
    girls_a = quantity_of(observations, cells, territory_code=A, sex="F")
    neighbours = set(
        cells.relations[
            cells.relations["relation"].isin(
                cells.relations.loc[cells.relations["quantity"] == girls_a, "relation"]
            )
        ]["quantity"]
    ) - {girls_a}
    assert len(picks) == 1 and picks[0] in neighbours


def test_a_pattern_is_an_invisible_move_at_least_k_wide():
    observations, cells = planted()
    protection = protect(cells, primary(observations, cells))
    assert len(protection.unprotected) == 0
    direction = protection.directions[0]
    amount = cells.quantities["amount"].to_numpy()
    moved = np.zeros(len(amount))
    moved[direction.quantities] = direction.signs
    residual = (
        cells.relations.assign(change=moved[cells.relations["quantity"]] * cells.relations["coef"])
        .groupby("relation")["change"]
        .sum()
    )
    assert np.allclose(residual, 0)  # no published total sees the move
    assert direction.width >= rules.K
    for t in (-direction.down, direction.up):
        assert (amount + t * moved >= -1e-9).all()  # a table that could be true
    assert protection.suppressed[direction.quantities].all()


def test_the_same_observations_give_the_same_suppression():
    observations, cells = planted()
    assert np.array_equal(control(observations, cells).suppressed,
                          control(observations, cells).suppressed)  # fmt: skip


def test_a_cell_the_previous_release_published_is_known_to_the_attacker():
    observations, cells = planted()
    first = primary(observations, cells)
    girls_a = quantity_of(observations, cells, territory_code=A, sex="F")
    public = np.zeros(len(first), dtype=bool)
    public[girls_a] = True
    result = audit(cells, first, public)
    row = result.intervals.set_index("quantity").loc[girls_a]
    assert row["reason"] == "published in the previous release with this amount"
    boys_a = quantity_of(observations, cells, territory_code=A, sex="M")
    public[:] = False
    public[boys_a] = True
    assert not secondary(cells, first, public).suppressed[boys_a]  # never chosen to hide


def rates(numerator_a: float, denominator_a: float, indicator: str):
    facts = [
        {"district": A, "sex": "F", "numerator": numerator_a, "denominator": denominator_a},
        {"district": A, "sex": "M", "numerator": 12, "denominator": 40},
        {"district": B, "sex": "F", "numerator": 15, "denominator": 35},
        {"district": B, "sex": "M", "numerator": 11, "denominator": 38},
    ]
    return prepared(cube(indicator, facts, ["sex"]))


def test_zeros_are_published_except_sensitive_rates_on_fewer_than_ten():
    observations, cells = rates(0, 8, "trained_teachers_pct")
    zero = quantity_of(observations, cells, territory_code=A, sex="F")
    assert not primary(observations, cells)[zero]
    observations, cells = rates(0, 8, "repetition_rate")
    zero = quantity_of(observations, cells, territory_code=A, sex="F")
    assert primary(observations, cells)[zero]
    observations, cells = rates(0, 12, "repetition_rate")
    zero = quantity_of(observations, cells, territory_code=A, sex="F")
    assert not primary(observations, cells)[zero]


def test_a_rate_is_published_only_where_its_parts_are():
    observations, cells = rates(2, 30, "trained_teachers_pct")
    result = control(observations, cells)
    assert result.audit.passed
    hidden_rows = np.zeros(len(observations), dtype=bool)
    parts = cells.cells
    hidden_rows[parts["row"][result.suppressed[parts["quantity"]]]] = True
    published = with_symbols(observations, hidden_rows, indicators().assign(is_residual=False))
    row = published[(published["territory_code"] == A) & (published["sex"] == "F")].iloc[0]
    assert row["symbol"] == "c"
    assert pd.isna(row["value"]) and pd.isna(row["numerator"])
    shown = published[published["symbol"].isna()]
    assert shown["value"].notna().all() and shown["numerator"].notna().all()
    assert (published["symbol"].eq("c") == hidden_rows).all()


def test_the_same_quantity_in_two_indicators_is_one_quantity():
    levels = [
        {"district": d, "level": level, "numerator": n, "denominator": 100}
        for d, level, n in (
            (A, "primary", 30),
            (A, "basic", 3),
            (B, "primary", 25),
            (B, "basic", 40),
        )
    ]
    learners = cube("learners", levels, ["level"])
    ger = cube("ger", levels, ["level"])
    observations, cells = prepared(learners, ger)
    same = {
        quantity_of(observations, cells, indicator_id=indicator, territory_code=A, level="basic")
        for indicator in ("learners", "ger")
    }
    assert len(same) == 1
    result = control(observations, cells)
    hidden_rows = cells.cells[result.suppressed[cells.cells["quantity"]]]
    hidden = observations.loc[hidden_rows["row"]]
    basic_a = hidden[(hidden["territory_code"] == A) & (hidden["level"] == "basic")]
    assert set(basic_a["indicator_id"]) == {"learners", "ger"}  # hidden in both


def test_relations_follow_the_cube_and_skip_what_does_not_add_up():
    observations, cells = planted()
    sizes = cells.relations.groupby("relation").size().sort_values()
    # sex within each district, the oblast and the republic (5); districts into the oblast
    # and the oblast into the republic, per sex code (3 + 3)
    assert len(sizes) == 11
    assert sorted(sizes.value_counts().items()) == [(2, 3), (3, 5), (4, 3)]
    broken = observations.copy()
    total_a = (broken["territory_code"] == A) & (broken["sex"] == "_T")
    broken.loc[total_a, "numerator"] += 1
    _, cells_broken = prepared(broken)
    # A's sex relation and the districts' totals into the oblast no longer hold: left out
    assert cells_broken.relations["relation"].nunique() == 9


LEVELS = ["district", "district", "district", "oblast", "national", "district"]


def test_the_open_bundle_publishes_less_detail_below_the_republic():
    frame = pd.DataFrame(
        {
            "indicator_id": ["learners"] * 5 + ["repetition_rate"],
            "geographic_level": LEVELS,
            "sex": ["F", "F", "F", "F", "F", "F"],
            "level": ["_T", "primary", "primary", "primary", "primary", "primary"],
            "grade": ["_T", "_T", "_T", "_T", "_T", "_T"],
            "disability": ["_T", "_T", "autism", "autism", "autism", "_Z"],
        }
    )
    for dimension in ("locality", "ownership", "language", "org_type", "setting", "subject"):
        frame[dimension] = "_T"
    frame["numerator"], frame["denominator"] = 50.0, [0.0] * 5 + [80.0]
    frame["unit"] = ["count"] * 5 + ["percent"]
    # one breakdown, levels by sex, three crossed (district), three crossed (oblast),
    # three crossed (republic), a sensitive rate's levels by sex (district)
    assert published_detail(frame).tolist() == [True, True, False, False, True, False]
