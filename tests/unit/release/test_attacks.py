"""Each relation an attacker may use, planted so that it alone reveals a cell: a suppression
safe without it is caught by the audit with it, and control with it makes a release that
passes. Then the zero policy, FTE protected by the persons behind it, and random small cubes
re-attacked by this file's own linear programs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from tests.unit.release.conftest import DATE, YEAR, cube, prepared, quantity_of
from warehouse.read import BREAKDOWNS
from warehouse.release import profiles, rules
from warehouse.release.audit import audit
from warehouse.release.publish import with_symbols
from warehouse.release.suppression import control, primary

A, B = "41701201", "41701202"


def hidden_where(observations, cells, rows: pd.Series) -> np.ndarray:
    """Quantities hidden when the rows ``rows`` are: those published in no other row."""
    parts = cells.cells[cells.cells["row"] < len(observations)]
    shown = ~rows.to_numpy()[parts["row"].to_numpy()]
    published = np.zeros(len(cells.quantities), dtype=bool)
    published[parts["quantity"].to_numpy()[shown]] = True
    return ~published & ~cells.quantities.get("virtual", pd.Series(False)).to_numpy(dtype=bool)


def leaks(observations, cells, hidden, public=None) -> int:
    """Primary quantities published, or hidden but narrower than K to the audit."""
    first = primary(observations, cells)
    result = audit(cells, hidden, public, gated=first)
    return int((first & ~hidden).sum()) + len(result.failing)


def rows_of(observations, **values) -> pd.Series:
    chosen = pd.Series(True, index=observations.index)
    for column, allowed in values.items():
        chosen &= observations[column].isin(allowed)
    return chosen


def fixed(observations, cells, public=None) -> None:
    result = control(observations, cells, public)
    assert result.audit.passed
    assert leaks(observations, cells, result.suppressed, public) == 0


SEX_LEVEL = [
    {"district": A, "sex": "F", "level": "primary", "grade": "1", "numerator": 3},
    {"district": A, "sex": "M", "level": "primary", "grade": "1", "numerator": 20},
    {"district": A, "sex": "F", "level": "basic", "grade": "5", "numerator": 10},
    {"district": A, "sex": "M", "level": "basic", "grade": "5", "numerator": 12},
    {"district": B, "sex": "F", "level": "primary", "grade": "1", "numerator": 9},
    {"district": B, "sex": "M", "level": "primary", "grade": "1", "numerator": 30},
    {"district": B, "sex": "F", "level": "basic", "grade": "5", "numerator": 10},
    {"district": B, "sex": "M", "level": "basic", "grade": "5", "numerator": 25},
]


def test_grades_published_alone_reveal_a_level_total_hidden_by_a_pattern():
    # Girls moved between levels and districts; the level totals move with them. Published
    # grades give the level totals back, and with them the girls (boys are published).
    # Published as districts publish: grades alone, levels by sex (not grades by sex).
    whole = cube("learners", SEX_LEVEL, ["sex", "level", "grade"])
    full = whole[~(whole["sex"].isin(["F", "M"]) & whole["grade"].ne("_T"))]
    without = full[full["grade"].eq("_T")]
    pattern = dict(territory_code=[A, B], level=["primary", "basic"], sex=["F", "_T"],
                   grade=["_T"])  # fmt: skip
    observations, cells = prepared(without)
    hidden = hidden_where(observations, cells, rows_of(observations, **pattern))
    assert hidden.sum() == 8 and leaks(observations, cells, hidden) == 0
    observations, cells = prepared(full)
    hidden = hidden_where(observations, cells, rows_of(observations, **pattern))
    assert leaks(observations, cells, hidden) > 0
    fixed(observations, cells)


def test_the_same_count_in_another_indicator_reveals_a_cell_hidden_in_one():
    # Learners at a level are the GER's numerator: hidden in learners, published in the GER.
    facts = [dict(fact, denominator=100) for fact in SEX_LEVEL]
    learners = cube("learners", facts, ["sex", "level"])
    ger = cube("ger", facts, ["sex", "level"])
    observations, cells = prepared(learners, ger)
    pattern = rows_of(observations, indicator_id=["learners"], territory_code=[A],
                      level=["primary", "basic"], sex=["F", "M"])  # fmt: skip
    rectangle = hidden_where(observations, cells, pattern)
    assert rectangle.sum() == 0  # every hidden learner cell is published in the GER
    assert leaks(observations, cells, rectangle) > 0
    fixed(observations, cells)
    result = control(observations, cells)
    girls = quantity_of(observations, cells, indicator_id="learners", territory_code=A,
                        sex="F", level="primary")  # fmt: skip
    in_ger = quantity_of(observations, cells, indicator_id="ger", territory_code=A, sex="F",
                         level="primary")  # fmt: skip
    assert girls == in_ger and result.suppressed[girls]  # one quantity: hidden in both


def school_profiles(facts) -> pd.DataFrame:
    """One school per fact: its learners by level, grade and sex (true values)."""
    return pd.DataFrame(
        [
            {"academic_year": YEAR, "reference_date": DATE, "organization_id": f"S{i}",
             "district_code": fact["district"], "measure": "learners", "level": fact["level"],
             "grade": fact["grade"], "sex": fact["sex"], "value": fact["numerator"]}
            for i, fact in enumerate(facts)
        ]
    )  # fmt: skip


def test_school_profiles_rounded_to_five_narrow_a_cell_hidden_by_a_pattern():
    # One district: a rectangle of grades x sexes. A's boys in grade 1 are 11, published in the
    # school's profile as 10: 10 to 12. Grade 1's total is published, so girls are 2 to 4.
    facts = [
        {"district": A, "sex": "F", "level": "primary", "grade": "1", "numerator": 3},
        {"district": A, "sex": "M", "level": "primary", "grade": "1", "numerator": 11},
        {"district": A, "sex": "F", "level": "primary", "grade": "2", "numerator": 6},
        {"district": A, "sex": "M", "level": "primary", "grade": "2", "numerator": 7},
    ]
    frame = cube("learners", facts, ["sex", "level", "grade"])
    pattern = dict(level=["primary"], grade=["1", "2"], sex=["F", "M"])
    observations, cells = prepared(frame)
    hidden = hidden_where(observations, cells, rows_of(observations, **pattern))
    assert leaks(observations, cells, hidden) == 0
    bounds = profiles.bounds(school_profiles(facts), observations)
    published = profiles.rounded(school_profiles(facts))
    assert published["value"].tolist()[1] == 10 and published["symbol"].tolist()[0] == "c"
    observations, cells = prepared(frame, bounds=bounds)
    assert cells.quantities["upper"].min() == 9  # a c: 1 to 9
    assert leaks(observations, cells, hidden) > 0
    fixed(observations, cells)


def test_a_cell_the_previous_release_published_unchanged_reveals_a_hidden_one():
    facts = [fact for fact in SEX_LEVEL if fact["district"] == A]
    observations, cells = prepared(cube("learners", facts, ["sex", "level"]))
    pattern = rows_of(observations, level=["primary", "basic"], sex=["F", "M"])
    hidden = hidden_where(observations, cells, pattern)
    assert leaks(observations, cells, hidden) == 0
    public = np.zeros(len(hidden), dtype=bool)
    boys_basic = [
        quantity_of(observations, cells, territory_code=t, sex="M", level="basic")
        for t in (A, "41701", "KG")
    ]
    public[boys_basic] = True  # the previous release showed 12 boys in basic, still 12
    assert leaks(observations, cells, hidden, public) > 0
    fixed(observations, cells, public)


# --- zeros -----------------------------------------------------------------------------------


def test_zero_policy():
    """A zero is published (0), a rate on a zero denominator is ``z``, and a zero in a
    sensitive table on fewer than 10 persons ("none of the 7 repeated") is primary, and the
    audit gives it an interval at least K wide like any other primary cell."""
    facts = [
        {"district": A, "sex": "F", "numerator": 0, "denominator": 7},
        {"district": A, "sex": "M", "numerator": 2, "denominator": 40},
        {"district": B, "sex": "F", "numerator": 6, "denominator": 30},
        {"district": B, "sex": "M", "numerator": 9, "denominator": 35},
    ]
    counts = [
        dict(fact, numerator=fact["numerator"] if fact["sex"] == "M" else 0) for fact in facts
    ]
    observations, cells = prepared(
        cube("repetition_rate", facts, ["sex"]), cube("learners", counts, ["sex"])
    )
    first = primary(observations, cells)
    none_of_seven = quantity_of(observations, cells, indicator_id="repetition_rate",
                                territory_code=A, sex="F")  # fmt: skip
    zero_learners = quantity_of(observations, cells, indicator_id="learners", territory_code=A,
                                sex="F")  # fmt: skip
    assert first[none_of_seven] and not first[zero_learners]
    result = control(observations, cells)
    assert result.audit.passed
    row = result.audit.intervals.set_index("quantity").loc[none_of_seven]
    assert row["low"] == 0 and row["width"] >= rules.K
    symbols = with_symbols(
        pd.DataFrame({"value": [None, 0.0], "denominator": [0.0, 5.0], "unit": ["percent"] * 2,
                      "indicator_id": ["repetition_rate"] * 2,
                      "geographic_level": ["national"] * 2, "numerator": [0.0, 0.0]}),
        np.array([False, False]),
        pd.DataFrame({"indicator_id": ["repetition_rate"], "is_residual": [False]}),
    )  # fmt: skip
    assert symbols["symbol"].tolist()[0] == "z" and pd.isna(symbols["symbol"].tolist()[1])


def test_a_secondary_cell_the_attacker_recovers_is_published():
    observations, cells = prepared(cube("learners", SEX_LEVEL, ["sex", "level"]))
    result = control(observations, cells)
    assert result.audit.passed and len(result.audit.recovered) == 0
    again = audit(cells, result.suppressed, gated=result.primary)
    assert (again.intervals.loc[~again.intervals["primary"], "width"] > 1e-6).all()


# --- persons behind other units --------------------------------------------------------------


def test_a_full_time_equivalent_is_protected_by_the_teachers_behind_it():
    heads = [
        {"district": A, "sex": "F", "numerator": 6},
        {"district": A, "sex": "M", "numerator": 3},
        {"district": B, "sex": "F", "numerator": 20},
        {"district": B, "sex": "M", "numerator": 12},
    ]
    fte = [dict(h, numerator=x) for h, x in zip(heads, (4.25, 6.5, 18.0, 11.5), strict=True)]
    observations, cells = prepared(
        cube("teachers", heads, ["sex"]), cube("teachers_fte", fte, ["sex"])
    )
    first = primary(observations, cells)
    six_women = quantity_of(observations, cells, indicator_id="teachers_fte",
                            territory_code=A, sex="F")  # fmt: skip
    three_men = quantity_of(observations, cells, indicator_id="teachers_fte",
                            territory_code=A, sex="M")  # fmt: skip
    assert not first[six_women]  # 4.25 FTE, but 6 persons
    assert first[three_men]  # 6.5 FTE of 3 persons
    result = control(observations, cells)
    assert result.audit.passed and result.suppressed[three_men]
    assert not cells.quantities["integer"].to_numpy()[three_men]  # FTE is not whole


# --- random cubes, re-attacked ---------------------------------------------------------------


def own_attack(observations: pd.DataFrame, hidden_rows: np.ndarray, row: int) -> float:
    """The width of row ``row``'s count to an attacker who knows every published row and that
    each total is the sum of its parts (breakdowns, districts, oblast), in whole numbers."""
    key = ["territory_code", *BREAKDOWNS]
    index = {tuple(r): i for i, r in enumerate(observations[key].itertuples(index=False))}
    parents = {A: "41701", B: "41701", "41701": "KG"}
    sums: dict[tuple[int, str], list[int]] = {}  # (total, dimension) -> parts
    for i, r in enumerate(observations[key].itertuples(index=False)):
        r = list(r)
        for j, dimension in enumerate(key):
            if dimension == "territory_code":
                if r[0] in parents:
                    up = [parents[r[0]], *r[1:]]
                    sums.setdefault((index[tuple(up)], dimension), []).append(i)
            elif r[j] not in ("_T", "_Z"):
                up = r.copy()
                up[j] = "_T"
                sums.setdefault((index[tuple(up)], dimension), []).append(i)
    amount = observations["numerator"].to_numpy()
    unknown = np.flatnonzero(hidden_rows)
    column = {r: c for c, r in enumerate(unknown)}
    a_eq, b_eq = [], []
    for (total, _), parts in sums.items():
        members = [(total, 1.0)] + [(p, -1.0) for p in parts]
        if not any(m in column for m, _ in members):
            continue
        line = np.zeros(len(unknown))
        constant = 0.0
        for m, sign in members:
            if m in column:
                line[column[m]] += sign
            else:
                constant -= sign * amount[m]
        a_eq.append(line)
        b_eq.append(constant)
    ends = []
    for sense in (1.0, -1.0):
        c = np.zeros(len(unknown))
        c[column[row]] = sense
        solved = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        ends.append(sense * solved.fun)
    return np.floor(ends[1] + 1e-6) - np.ceil(ends[0] - 1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_random_small_cubes_published_and_reattacked_give_every_primary_cell_width_k(seed):
    rng = np.random.default_rng(seed)
    facts = [
        {"district": district, "sex": sex, "level": level,
         "numerator": int(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30]))}
        for district in (A, B) for sex in ("F", "M") for level in ("primary", "basic", "secondary")
    ]  # fmt: skip
    observations, cells = prepared(cube("learners", facts, ["sex", "level"]))
    result = control(observations, cells)
    assert result.audit.passed
    parts = cells.cells
    hidden_rows = np.zeros(len(observations), dtype=bool)
    hidden_rows[parts["row"][result.suppressed[parts["quantity"]]]] = True
    small = observations["numerator"].between(1, rules.K - 1).to_numpy()
    assert hidden_rows[small].all()
    for row in np.flatnonzero(small):
        assert own_attack(observations, hidden_rows, row) >= rules.K


def test_a_primary_cell_the_previous_release_published_is_reported_not_refused():
    observations, cells = prepared(cube("learners", SEX_LEVEL, ["sex", "level"]))
    first = primary(observations, cells)
    public = first.copy()  # published before under another method, with the same amount
    result = control(observations, cells, public)
    assert result.audit.passed
    assert result.audit.summary()["already_public"] == int(first.sum()) > 0
