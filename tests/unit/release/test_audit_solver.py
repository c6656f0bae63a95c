"""The audit solves its programs with a HiGHS model built once per program, not through
``scipy.optimize.linprog`` (which rebuilds and checks everything on every call). A release
must not depend on that, nor on a min and a max being solved side by side in two threads:
every program the audit solves gives linprog's solution, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from tests.unit.release.conftest import cube, prepared
from warehouse.release import audit as audit_module
from warehouse.release.suppression import control

A, B, C = "41701201", "41701202", "41701203"


def random_cubes(seed: int):
    """Learners by sex and level, and a share (repeaters of learners: its numerator is bounded
    by its denominator), in three districts, with small counts likely."""
    rng = np.random.default_rng(seed)
    small = [0, 1, 2, 3, 4, 6, 9, 15, 30]
    learners, repeaters = [], []
    for district in (A, B, C):
        for sex in ("F", "M"):
            for level in ("primary", "basic", "secondary"):
                count = int(rng.choice(small))
                learners.append({"district": district, "sex": sex, "level": level,
                                 "numerator": count})  # fmt: skip
                repeaters.append({"district": district, "sex": sex, "level": level,
                                  "numerator": int(rng.integers(0, count + 1)),
                                  "denominator": count})  # fmt: skip
    return prepared(
        cube("learners", learners, ["sex", "level"]),
        cube("repetition_rate", repeaters, ["sex", "level"]),
    )


@pytest.mark.parametrize("seed", range(6))
def test_every_program_the_audit_solves_gives_linprogs_solution(seed, monkeypatch):
    solved = []
    solve_each = audit_module._Program.solve_each

    def recorded(program, objectives):
        solutions = solve_each(program, objectives)
        for objective, solution in zip(objectives, solutions, strict=True):
            solved.append((program, objective.copy(), solution))
        return solutions

    monkeypatch.setattr(audit_module._Program, "solve_each", recorded)
    observations, cells = random_cubes(seed)
    assert control(observations, cells).audit.passed
    assert len(solved) > 10
    with_inequalities = 0
    for program, objective, solution in solved:
        expected = linprog(
            objective, A_ub=program.a_ub, b_ub=program.b_ub, A_eq=program.a_eq,
            b_eq=program.b_eq, bounds=program.bounds, method="highs",
        )  # fmt: skip
        assert solution.status == expected.status
        np.testing.assert_array_equal(solution.x, expected.x)
        if program.a_eq is not None:
            np.testing.assert_array_equal(solution.eq_duals, expected.eqlin.marginals)
        with_inequalities += program.a_ub is not None
    assert with_inequalities > 0
