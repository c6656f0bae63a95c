"""The release gate: an attacker's linear programs over everything a release publishes.

The attacker knows every published quantity (this release's, and the previous release's where
the amount has not changed), every relation between quantities (a total is the sum of its
parts), that counts are not negative and that a share's part never exceeds its whole. For each
suppressed quantity they solve min and max with a linear program (scipy's HiGHS). The gate:
every interval at least K wide, so none is pinned.

Work is kept small three ways:
- suppressed quantities that share no relation are independent: the problem splits into
  connected components, and components are stacked into block-diagonal programs, so one solve
  finds the min (or max) of one chosen quantity in each of many components at once;
- every solution is a table the attacker cannot rule out, so it widens the *known* interval of
  every quantity in its component; a few programs first push every open quantity at once, and
  a quantity whose known interval is already K wide needs no program of its own (its interval
  is reported as known, ``exact`` False: the true one is at least as wide). Every other
  quantity gets its exact min and max;
- results are kept per component, and intervals known from an audit of fewer hidden cells stay
  valid (hiding more only adds tables the attacker cannot exclude), so an audit after more
  suppression redoes only what changed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize._highspy._core as highs
from scipy.sparse import coo_array, coo_matrix, csc_array, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

from warehouse.release import rules
from warehouse.release.cells import Cells

BATCH_VARIABLES = 3000  # variables per stacked program
CAP_FACTOR = 100.0  # variables are capped far above any amount: reaching the cap = unbounded
TOLERANCE = 1e-6
SPREAD_ROUNDS = 3  # programs pushing every open quantity at once, before one-by-one ones
SPREAD_MIN = 20  # open quantities worth a spreading program


@dataclass
class ComponentResult:
    quantities: np.ndarray
    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray
    # (quantity, side) -> {relation id: dual value} for the quantities that failed
    duals: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Audit:
    """Per suppressed quantity: ``quantity``, ``amount``, ``low``, ``high``, ``width``,
    ``exact`` (solved, not only known to be at least this wide), ``component``, ``passed``,
    ``reason``."""

    intervals: pd.DataFrame
    components: int
    largest_component: int
    linear_programs: int
    seconds: float
    k: float
    duals: dict

    @property
    def passed(self) -> bool:
        return bool(self.intervals["passed"].all())

    @property
    def failing(self) -> pd.DataFrame:
        return self.intervals[~self.intervals["passed"]]

    @property
    def recovered(self) -> np.ndarray:
        """Secondary quantities the attacker pins to their amount: hidden for nothing."""
        frame = self.intervals
        return frame.loc[~frame["primary"] & (frame["width"] <= TOLERANCE), "quantity"].to_numpy()

    def summary(self) -> dict:
        frame = self.intervals
        widths = frame.loc[frame["primary"], "width"]
        return {
            "suppressed_quantities": len(frame),
            "primary_quantities": int(frame["primary"].sum()),
            "failing": int((~frame["passed"]).sum()),
            "pinned": int((widths <= TOLERANCE).sum()),
            "secondary_recovered": len(self.recovered),
            "already_public": int(
                (frame["primary"] & frame["reason"].str.startswith("published")).sum()
            ),
            "min_width": None if widths.empty else _finite(widths.min()),
            "solved_exactly": int(self.intervals["exact"].sum()),
            "components": self.components,
            "largest_component": self.largest_component,
            "linear_programs": self.linear_programs,
            "seconds": round(self.seconds, 2),
            "k": self.k,
        }


def _column(cells: Cells, name: str, default) -> np.ndarray:
    quantities = cells.quantities
    if name in quantities:
        return quantities[name].to_numpy()
    return np.full(len(quantities), default)


def _finite(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def audit(
    cells: Cells,
    suppressed: np.ndarray,
    public: np.ndarray | None = None,
    k: float = rules.K,
    cache: dict | None = None,
    known: tuple[np.ndarray, np.ndarray] | None = None,
    gated: np.ndarray | None = None,
) -> Audit:
    """Min and max (or a known interval at least ``k`` wide) of every suppressed quantity.

    ``gated``: the quantities that must be at least ``k`` wide (the primary ones; by default
    every suppressed one).
    ``public``: quantities the previous release published with the same amount (known).
    ``cache``: component results of an earlier audit of the same cells, reused where a
    component is unchanged (and filled for the next call).
    ``known``: (low, high) per quantity from an audit of a subset of these suppressed cells:
    tables it could not exclude are still possible once more is hidden, so its intervals are
    a start (NaN where nothing is known).
    """
    started = time.perf_counter()
    cache = {} if cache is None else cache
    amount = cells.quantities["amount"].to_numpy()
    public = np.zeros(len(amount), dtype=bool) if public is None else public
    virtual = _column(cells, "virtual", False).astype(bool)
    suppressed = suppressed & ~virtual
    unknown = (suppressed | virtual) & ~public
    gated = suppressed if gated is None else gated & suppressed
    problem = _problem(cells, unknown, amount)
    labels, sizes = _components(problem)
    results: dict[int, ComponentResult] = {}
    pending = []
    for component, members in enumerate(_members(labels, len(sizes))):
        key = _signature(problem.variables[members])
        if key in cache:
            results[component] = cache[key]
        else:
            pending.append((component, members, key))
    programs = 0
    for batch in _batches(pending):
        solved, count = _solve_batch(problem, batch, amount, k, known)
        programs += count
        for (component, _, key), result in zip(batch, solved, strict=True):
            results[component] = cache[key] = result
    frame = _intervals(results, suppressed, public, gated, amount, k)
    duals = {key: value for result in results.values() for key, value in result.duals.items()}
    return Audit(
        frame,
        len(sizes),
        int(sizes.max()) if len(sizes) else 0,
        programs,
        time.perf_counter() - started,
        float(k),
        duals,
    )


def _intervals(results, suppressed, public, gated, amount, k) -> pd.DataFrame:
    chosen = np.flatnonzero(suppressed)
    low = np.full(len(amount), np.nan)
    high = np.full(len(amount), np.nan)
    exact = np.zeros(len(amount), dtype=bool)
    component = np.full(len(amount), -1)
    known = suppressed & public
    low[known] = high[known] = amount[known]
    exact[known] = True
    for number, result in results.items():
        low[result.quantities] = result.low
        high[result.quantities] = result.high
        exact[result.quantities] = result.exact
        component[result.quantities] = number
    frame = pd.DataFrame(
        {
            "quantity": chosen,
            "amount": amount[chosen],
            "low": low[chosen],
            "high": high[chosen],
            "width": high[chosen] - low[chosen],
            "exact": exact[chosen],
            "component": component[chosen],
            "primary": gated[chosen],
        }
    )
    # A cell the previous release published with this amount is public: hiding it now would
    # protect nothing (reported, ``already_public``), so it does not refuse the release.
    frame["passed"] = (frame["width"] >= k - TOLERANCE) | ~frame["primary"] | public[chosen]
    frame["reason"] = np.select(
        [public[chosen], frame["passed"], frame["width"].isna(), frame["width"] <= TOLERANCE],
        ["published in the previous release with this amount", "", "not solved", "pinned"],
        default=f"interval narrower than {k:g}",
    )
    return frame


@dataclass(frozen=True)
class _Problem:
    variables: np.ndarray  # quantity id of each LP variable
    equalities: csr_matrix  # rows: relations touching a variable
    rhs: np.ndarray
    row_relation: np.ndarray  # relation id of each equality row
    inequalities: csr_matrix  # numerator - denominator <= 0
    lower: np.ndarray
    upper: np.ndarray
    cap: float
    integer: np.ndarray  # per variable: a count, whose interval is rounded inwards
    virtual: np.ndarray  # per variable: published nowhere, so no interval of its own is needed


def _problem(cells: Cells, unknown: np.ndarray, amount: np.ndarray) -> _Problem:
    variables = np.flatnonzero(unknown)
    local = np.full(len(unknown), -1, dtype=np.int64)
    local[variables] = np.arange(len(variables))
    relations = cells.relations
    rel, qty, coef = (relations[c].to_numpy() for c in ("relation", "quantity", "coef"))
    touched = np.unique(rel[unknown[qty]])
    row_of = np.full(int(rel.max()) + 1 if len(rel) else 0, -1, dtype=np.int64)
    row_of[touched] = np.arange(len(touched))
    inside = row_of[rel] >= 0 if len(rel) else np.zeros(0, dtype=bool)
    rel, qty, coef = rel[inside], qty[inside], coef[inside]
    is_var = unknown[qty]
    equalities = coo_matrix(
        (coef[is_var], (row_of[rel[is_var]], local[qty[is_var]])),
        shape=(len(touched), len(variables)),
    ).tocsr()
    rhs = -np.bincount(
        row_of[rel[~is_var]], weights=coef[~is_var] * amount[qty[~is_var]], minlength=len(touched)
    )
    cap = CAP_FACTOR * max(1.0, float(np.abs(amount).max()) if len(amount) else 1.0)
    lower = np.maximum(cells.quantities["lower"].to_numpy()[variables], -cap)
    upper = np.minimum(_column(cells, "upper", np.inf)[variables], cap)
    shares = cells.shares
    num, den = shares["numerator"].to_numpy(), shares["denominator"].to_numpy()
    only_num = unknown[num] & ~unknown[den]
    only_den = ~unknown[num] & unknown[den]
    np.minimum.at(upper, local[num[only_num]], amount[den[only_num]])
    np.maximum.at(lower, local[den[only_den]], amount[num[only_den]])
    pairs = np.flatnonzero(unknown[num] & unknown[den])
    inequalities = coo_matrix(
        (
            np.concatenate([np.ones(len(pairs)), -np.ones(len(pairs))]),
            (
                np.concatenate([np.arange(len(pairs))] * 2),
                np.concatenate([local[num[pairs]], local[den[pairs]]]),
            ),
        ),
        shape=(len(pairs), len(variables)),
    ).tocsr()
    integer = _column(cells, "integer", False).astype(bool)[variables]
    virtual = _column(cells, "virtual", False).astype(bool)[variables]
    return _Problem(
        variables, equalities, rhs, touched, inequalities, lower, upper, cap, integer, virtual
    )


def _components(problem: _Problem) -> tuple[np.ndarray, np.ndarray]:
    """Component label of each variable, and each component's size."""
    n = len(problem.variables)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    edges = [np.column_stack([np.arange(n), np.arange(n)])]
    for matrix in (problem.equalities, problem.inequalities):
        coo = matrix.tocoo()
        if coo.nnz:
            # Every variable of a row joined to the row's first variable.
            first = np.full(matrix.shape[0], -1, dtype=np.int64)
            order = np.lexsort((coo.col, coo.row))
            rows, cols = coo.row[order], coo.col[order]
            starts = np.unique(rows, return_index=True)[1]
            first[rows[starts]] = cols[starts]
            edges.append(np.column_stack([cols, first[rows]]))
    pairs = np.concatenate(edges)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Numbered by their first variable, so the same problem always numbers them alike.
    first = np.full(labels.max() + 1, n)
    np.minimum.at(first, labels, np.arange(n))
    labels = np.argsort(np.argsort(first))[labels]
    return labels.astype(np.int64), np.bincount(labels)


def _members(labels: np.ndarray, count: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(count + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(count)]


def _signature(quantities: np.ndarray) -> tuple:
    """A component is the same program whenever it has the same suppressed quantities (the
    published amounts around it are fixed for a release)."""
    return (len(quantities), hash(quantities.tobytes()))


def _batches(pending: list) -> list[list]:
    """Components grouped up to BATCH_VARIABLES variables a group (larger ones alone)."""
    batches, current, total = [], [], 0
    for item in sorted(pending, key=lambda item: (-len(item[1]), item[0])):
        size = len(item[1])
        if current and total + size > BATCH_VARIABLES:
            batches.append(current)
            current, total = [], 0
        current.append(item)
        total += size
    if current:
        batches.append(current)
    return batches


def _solve_batch(problem, batch: list, amount: np.ndarray, k: float, known=None):
    """Intervals of every variable of the batch's components (see the module docstring)."""
    members = np.concatenate([item[1] for item in batch])
    owner = np.concatenate([np.full(len(item[1]), i) for i, item in enumerate(batch)])
    truth = amount[problem.variables[members]]
    low, high = truth.copy(), truth.copy()  # the true table is one the attacker cannot exclude
    if known is not None:
        quantities = problem.variables[members]
        low, high = np.fmin(low, known[0][quantities]), np.fmax(high, known[1][quantities])
    # A virtual quantity is only a link between published ones: never a program's target.
    solved_exactly = problem.virtual[members].copy()
    integer = problem.integer[members]

    def width() -> np.ndarray:
        """What the attacker knows: a count's interval rounded inwards to whole numbers."""
        rounded = np.floor(high + TOLERANCE) - np.ceil(low - TOLERANCE)
        return np.where(integer, rounded, high - low)

    duals: dict = {}
    programs = 0
    built: dict = {}

    def program(active: np.ndarray) -> _Program:
        """The stacked program of the components still at work (rebuilt as they finish)."""
        key = active.tobytes()
        if key not in built:
            built.clear()
            built[key] = _Program.of(problem, members, np.flatnonzero(np.isin(owner, active)))
        return built[key]

    def widen(lp: _Program, result: _Solution) -> None:
        nonlocal low, high, programs
        programs += 1
        if result.status == 0:
            low[lp.positions] = np.fmin(low[lp.positions], result.x)
            high[lp.positions] = np.fmax(high[lp.positions], result.x)

    # First, tables far from the true one: every open quantity pushed at once towards the
    # side less is known of (at first a fixed pseudo-random side), then the other way, so
    # most get a known interval K wide without a program of their own.
    rng = np.random.default_rng(len(members))
    for _ in range(SPREAD_ROUNDS):
        open_ = (width() < k - TOLERANCE) & ~problem.virtual[members]
        if open_.sum() < SPREAD_MIN:
            break
        lp = program(np.unique(owner[open_]))
        at = lp.positions
        side = np.where(high[at] - truth[at] < truth[at] - low[at], 1.0, -1.0)
        random_side = np.where(rng.random(len(at)) < 0.5, 1.0, -1.0)
        side = np.where(high[at] - low[at] > 0, side, random_side)
        direction = -side * open_[at]  # linprog minimises
        for result in lp.solve_each([sense * direction for sense in (1.0, -1.0)]):
            widen(lp, result)
    while True:
        open_ = np.flatnonzero((width() < k - TOLERANCE) & ~solved_exactly)
        if len(open_) == 0:
            break
        # The first open variable of each component: one program finds each one's min.
        target = open_[np.unique(owner[open_], return_index=True)[1]]
        lp = program(np.unique(owner[target]))
        local = np.searchsorted(lp.positions, target)
        senses = (1.0, -1.0)
        objectives = [_objective(len(lp.positions), local, sense) for sense in senses]
        for sense, result in zip(senses, lp.solve_each(objectives), strict=True):
            widen(lp, result)
            if result.status != 0:
                # Consistent amounts are always feasible; leave these unsolved (they fail).
                low[target], high[target] = np.nan, np.nan
                continue
            if lp.rows is not None and len(lp.rows):
                lp.keep_duals(duals, result.eq_duals, target, sense, owner)
        solved_exactly[target] = True
    high = np.where(high >= problem.cap * (1 - 1e-9), np.inf, high)
    low = np.where(low <= -problem.cap * (1 - 1e-9), -np.inf, low)
    with np.errstate(invalid="ignore"):
        high = np.where(integer, np.floor(high + TOLERANCE), high)
        low = np.where(integer, np.ceil(low - TOLERANCE), low)
    solved = []
    for i, (_, component_members, _) in enumerate(batch):
        mine = owner == i
        quantities = problem.variables[component_members]
        failing = set(quantities[~(high[mine] - low[mine] >= k - TOLERANCE)].tolist())
        solved.append(
            ComponentResult(
                quantities, low[mine], high[mine], solved_exactly[mine],
                {key: value for key, value in duals.items() if key[0] in failing},
            )
        )  # fmt: skip
    return solved, programs


def _objective(n: int, targets: np.ndarray, sense: float) -> np.ndarray:
    """Minimise (sense 1) or maximise (sense -1) the sum of the targets."""
    c = np.zeros(n)
    c[targets] = sense
    return c


@dataclass
class _Program:
    """The stacked linear program of some components' variables (``positions`` in a batch)."""

    problem: _Problem
    members: np.ndarray
    positions: np.ndarray
    rows: np.ndarray | None
    a_eq: csr_matrix | None
    b_eq: np.ndarray | None
    a_ub: csr_matrix | None
    b_ub: np.ndarray | None
    bounds: np.ndarray
    model: _Model | None = None
    rows_by_owner: dict | None = None  # component -> its equality rows, ascending

    @classmethod
    def of(cls, problem: _Problem, members: np.ndarray, positions: np.ndarray) -> _Program:
        columns = members[positions]
        rows = np.flatnonzero(np.diff(problem.equalities[:, columns].indptr) > 0)
        ineq = np.flatnonzero(np.diff(problem.inequalities[:, columns].indptr) > 0)
        return cls(
            problem, members, positions,
            rows if len(rows) else None,
            problem.equalities[rows][:, columns] if len(rows) else None,
            problem.rhs[rows] if len(rows) else None,
            problem.inequalities[ineq][:, columns] if len(ineq) else None,
            np.zeros(len(ineq)) if len(ineq) else None,
            np.column_stack([problem.lower[columns], problem.upper[columns]]),
        )  # fmt: skip

    def solve_each(self, objectives: list[np.ndarray]) -> list[_Solution]:
        """The program's optimum for each objective, solved from scratch as scipy's
        ``linprog(method="highs")`` solves it (the same model, options and HiGHS), without
        rebuilding the model for every objective."""
        if self.model is None:
            self.model = _Model.of(self)
        return self.model.solve_each(objectives)

    def keep_duals(self, duals: dict, marginals, target, sense, owner) -> None:
        """For each targeted variable, the dual values of its component's relations: how much
        its min (sense 1) or max (sense -1) moves per unit of each relation's constant."""
        rows_of = self._rows_by_owner(owner)
        relation = self.problem.row_relation[self.rows]
        none = np.empty(0, dtype=np.int64)
        for t in target:
            mine = rows_of.get(int(owner[t]), none)
            quantity = int(self.problem.variables[self.members[t]])
            duals[quantity, sense] = dict(
                zip(relation[mine].tolist(), marginals[mine].tolist(), strict=True)
            )

    def _rows_by_owner(self, owner: np.ndarray) -> dict:
        """Each component's equality rows, found once per program (``owner``, the batch's
        component of each variable, is fixed while the program lives)."""
        if self.rows_by_owner is None:
            coo = self.a_eq.tocoo()
            row_owner = np.full(self.a_eq.shape[0], -1, dtype=np.int64)
            row_owner[coo.row] = owner[self.positions[coo.col]]
            order = np.argsort(row_owner, kind="stable")
            components, starts = np.unique(row_owner[order], return_index=True)
            ends = np.append(starts[1:], len(order))
            self.rows_by_owner = {
                int(component): order[start:end]
                for component, start, end in zip(components, starts, ends, strict=True)
            }
        return self.rows_by_owner


@dataclass(frozen=True)
class _Solution:
    status: int  # 0: optimal and within linprog's tolerances
    x: np.ndarray | None
    eq_duals: np.ndarray | None  # per equality row: d(objective) / d(its constant)


# scipy's linprog(method="highs") settings, so that a solution is the one linprog finds
# (tests/unit/release/test_audit_solver.py compares them).
_CHECK_TOLERANCE = np.sqrt(1e-9) * 10
# Where the audit's second program of a pair runs (a thread starts on the first use).
_SIDE = ThreadPoolExecutor(1, thread_name_prefix="audit")


def _options():
    options = highs.HighsOptions()
    options.presolve = "on"
    options.highs_debug_level = highs.HighsDebugLevel.kHighsDebugLevelNone
    options.log_to_console = False
    options.output_flag = False
    options.simplex_strategy = highs.simplex_constants.SimplexStrategy.kSimplexStrategyDual
    return options


@dataclass
class _Model:
    """A program as HiGHS takes it: lhs <= A x <= rhs (inequality rows, then equality rows),
    lb <= x <= ub; only the objective changes from one solve to the next."""

    lp: object
    options: object
    inequalities: int
    rhs: np.ndarray
    lb: np.ndarray
    ub: np.ndarray

    @classmethod
    def of(cls, program: _Program) -> _Model:
        n = len(program.positions)
        a_ub = coo_array((0, n) if program.a_ub is None else program.a_ub, dtype=float, copy=True)
        a_eq = coo_array((0, n) if program.a_eq is None else program.a_eq, dtype=float, copy=True)
        b_ub = np.zeros(0) if program.b_ub is None else program.b_ub.astype(float)
        b_eq = np.zeros(0) if program.b_eq is None else program.b_eq.astype(float)
        matrix = csc_array(vstack((a_ub, a_eq)))
        lhs = np.concatenate((np.full(len(b_ub), -np.inf), b_eq))
        rhs = np.concatenate((b_ub, b_eq))
        lb, ub = program.bounds.astype(float).T.copy()
        lp = highs.HighsLp()
        lp.num_col_ = lp.a_matrix_.num_col_ = n
        lp.num_row_ = lp.a_matrix_.num_row_ = len(rhs)
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.col_lower_, lp.col_upper_ = _highs_infinity(lb), _highs_infinity(ub)
        lp.row_lower_, lp.row_upper_ = _highs_infinity(lhs), _highs_infinity(rhs)
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        return cls(lp, _options(), len(b_ub), rhs, lb, ub)

    def solve_each(self, objectives: list[np.ndarray]) -> list[_Solution]:
        """Solved side by side: HiGHS lets go of Python's lock while it solves, so a min and
        a max take two cores. Each solve starts from scratch, so the solutions are those of
        one solve after another."""
        first = self._loaded(objectives[0])
        # The others are loaded where they are solved: the model is copied into the first
        # solver already, so setting the next objective cannot touch it.
        others = [_SIDE.submit(self._loaded_and_solved, objective) for objective in objectives[1:]]
        return [self._solved(first), *(other.result() for other in others)]

    def _loaded_and_solved(self, objective: np.ndarray) -> _Solution:
        return self._solved(self._loaded(objective))

    def _loaded(self, objective: np.ndarray):
        solver = highs._Highs()
        solver.passOptions(self.options)
        self.lp.col_cost_ = objective
        solver.passModel(self.lp)  # a copy: the next objective can be set meanwhile
        return solver

    def _solved(self, solver) -> _Solution:
        solver.run()
        if solver.getModelStatus() != highs.HighsModelStatus.kOptimal:
            return _Solution(2, None, None)
        solution = solver.getSolution()
        x = np.array(solution.col_value)
        row = np.array(solution.row_value)
        if not self._valid(x, row):
            return _Solution(4, None, None)
        return _Solution(0, x, np.array(solution.row_dual)[self.inequalities :])

    def _valid(self, x: np.ndarray, row: np.ndarray) -> bool:
        """linprog's check of an optimal solution: within the bounds, the inequalities and
        the equalities, to its tolerance."""
        tolerance = _CHECK_TOLERANCE
        slack = self.rhs[: self.inequalities] - row[: self.inequalities]
        residual = self.rhs[self.inequalities :] - row[self.inequalities :]
        if np.isnan(x).any() or np.isnan(row).any():
            return False
        return bool(
            np.all((x >= self.lb - tolerance) & (x <= self.ub + tolerance))
            and np.all(slack >= -tolerance)
            and np.all(np.abs(residual) <= tolerance)
        )


def _highs_infinity(values: np.ndarray) -> np.ndarray:
    values = values.copy()
    infinite = np.isinf(values)
    values[infinite] = np.sign(values[infinite]) * highs.kHighsInf
    return values
