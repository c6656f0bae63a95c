"""Secondary suppression by patterns: for each primary cell, a move of hypothetical persons
that no published figure can see.

A *direction* is a change of the table that keeps every relation (total = sum of parts): add
``t`` persons with attributes ``a`` and remove ``t`` with attributes ``a'`` differing in one
dimension, and compensate in every other swapped dimension, as the corners of a hypercube
(the two-way case is the familiar rectangle: +t, -t, -t, +t). Every published cell that
contains exactly one corner changes by +t or -t; all others, totals included, stay the same.
Hiding exactly the changed cells makes the move invisible, so an attacker cannot tell the
true table from the moved one for any ``t`` that keeps counts non-negative (and shares below
their wholes). Partners are chosen among the cell's siblings in each dimension (already hidden
ones first, then the smallest that could give the width K), and a direction is checked against
every relation before it is used.

Cells of the same person-level detail are the hypercube's corners; cells above them that
contain a corner (the totals over dimensions not swapped, down a *path* of categories the
moved persons have) change with it and are hidden too. Patterns are a good start, not the
proof: sparse tables often allow no wide one, and the audit's repair completes the job.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from warehouse.read import BREAKDOWNS
from warehouse.release import rules
from warehouse.release.cells import CODE_COLUMNS, NOT_APPLICABLE, TOTAL, Cells

SERIES, TERRITORY = 0, CODE_COLUMNS.index("territory_code")
DIMS = tuple(CODE_COLUMNS.index(name) for name in BREAKDOWNS)
LEVEL, GRADE = CODE_COLUMNS.index("level"), CODE_COLUMNS.index("grade")
ATTEMPTS = 6  # partner choices tried per set of swapped dimensions
EPSILON = 1e-9


@dataclass(frozen=True)
class Direction:
    """``quantities`` move by ``signs`` x t for any t in [-down, up] unseen by the release."""

    quantities: np.ndarray
    signs: np.ndarray
    up: float
    down: float

    @property
    def width(self) -> float:
        return self.up + self.down


@dataclass(frozen=True)
class Protection:
    suppressed: np.ndarray  # bool per quantity
    directions: list[Direction]
    unprotected: np.ndarray  # primary quantities without a direction at least K wide


def protect(
    cells: Cells,
    primary: np.ndarray,
    public: np.ndarray | None = None,
    k: float = rules.K,
) -> Protection:
    """Hide, for every primary quantity, the cells of a direction at least ``k`` wide.

    ``public``: quantities published before with the same amount; never part of a pattern.
    """
    search = _Search(cells, public, k)
    hidden = primary.copy()
    covered = np.zeros(len(hidden), dtype=bool)  # in a direction at least k wide
    directions, unprotected = [], []
    for quantity in search.order(np.flatnonzero(primary)):
        if covered[quantity]:
            continue
        direction = search.first(quantity, hidden)
        if direction is None:
            unprotected.append(quantity)
            continue
        hidden[direction.quantities] = True
        directions.append(direction)
        if direction.width >= k - EPSILON:
            covered[direction.quantities] = True
        else:
            unprotected.append(quantity)  # the repair after the audit takes it from here
    return Protection(hidden, directions, np.array(sorted(unprotected), dtype=np.int64))


class _Search:
    """Lookups over the encoded cells: key -> cell, siblings, paths, relations, shares."""

    def __init__(self, cells: Cells, public: np.ndarray | None, k: float):
        self.k = k
        self.codes = cells.codes
        sizes = [len(cells.vocab[name]) for name in CODE_COLUMNS]
        self.multiplier = np.array(
            [int(np.prod([int(size) for size in sizes[i + 1 :]])) for i in range(len(sizes))],
            dtype=np.int64,
        )
        keys = self.codes @ self.multiplier
        self.cell_of_key = dict(zip(keys.tolist(), range(len(keys)), strict=True))
        self.keys = keys
        self.quantity = cells.cells["quantity"].to_numpy()
        self.amount = cells.quantities["amount"].to_numpy()
        self.lower = cells.quantities["lower"].to_numpy()
        self.public = np.zeros(len(self.amount), dtype=bool) if public is None else public
        self.first_cell = np.full(len(self.amount), -1, dtype=np.int64)
        self.first_cell[self.quantity[::-1]] = np.arange(len(self.quantity))[::-1]
        vocab = [cells.vocab[name] for name in CODE_COLUMNS]
        self.total = {j: vocab[j].get_loc(TOTAL) for j in DIMS}
        self.not_applicable = {j: vocab[j].get_loc(NOT_APPLICABLE) for j in DIMS}
        self.dim_codes = {
            j: [c for c in range(len(vocab[j])) if c not in (self.total[j], self.not_applicable[j])]
            for j in DIMS
        }
        self._territories(vocab[TERRITORY])
        self._masks()
        self._relations(cells)
        self._shares(cells)

    # --- structure ---------------------------------------------------------------------------

    def _territories(self, vocab) -> None:
        codes = list(vocab)
        position = {code: i for i, code in enumerate(codes)}
        self.territory_level = np.array(
            [0 if c == "KG" else 1 if len(c) == 5 else 2 for c in codes]
        )
        self.parent = np.array(
            [-1 if c == "KG" else position.get("KG" if len(c) == 5 else c[:5], -1) for c in codes]
        )
        self.children = defaultdict(list)
        for child, parent in enumerate(self.parent):
            if parent >= 0:
                self.children[int(parent)].append(child)

    def _masks(self) -> None:
        """The sets of specific dimensions each series publishes (its grouping sets)."""
        specific = np.zeros(len(self.codes), dtype=np.int64)
        for bit, j in enumerate(DIMS):
            column = self.codes[:, j]
            is_specific = (column != self.total[j]) & (column != self.not_applicable[j])
            specific |= is_specific.astype(np.int64) << bit
        self.mask = specific
        # Per series and territory level: the release may publish less detail below.
        level = self.territory_level[self.codes[:, TERRITORY]]
        self.masks = defaultdict(set)
        for series, depth, mask in set(
            zip(self.codes[:, SERIES].tolist(), level.tolist(), specific.tolist(), strict=True)
        ):
            self.masks[series, depth].add(mask)

    def _relations(self, cells: Cells) -> None:
        relations = cells.relations.sort_values(["quantity", "relation"])
        quantity = relations["quantity"].to_numpy()
        self.rel_start = np.searchsorted(quantity, np.arange(len(self.amount) + 1))
        self.rel_id = relations["relation"].to_numpy()
        self.rel_coef = relations["coef"].to_numpy()

    def _shares(self, cells: Cells) -> None:
        self.shares = defaultdict(list)  # quantity -> [(numerator, denominator)]
        for numerator, denominator in cells.shares.itertuples(index=False):
            self.shares[numerator].append((numerator, denominator))
            self.shares[denominator].append((numerator, denominator))

    def order(self, quantities: np.ndarray) -> np.ndarray:
        """Primaries in a fixed order: series, year, date, finest territory first, key."""
        cells = self.first_cell[quantities]
        level = self.territory_level[self.codes[cells, TERRITORY]]
        return quantities[np.lexsort((self.keys[cells], -level))]

    # --- search ------------------------------------------------------------------------------

    def first(self, quantity: int, hidden: np.ndarray) -> Direction | None:
        """The first valid direction through ``quantity`` that moves it: every swappable
        dimension swapped, then one left out at a time; for each, partners tried in order of
        preference, moving on from a partner whose corner has no cell. (Looking further for
        a wider one hides more cells in the end: the audit's repair does better.)"""
        cell = int(self.first_cell[quantity])
        base = self.codes[cell]
        specific = [j for j in DIMS if base[j] not in (self.total[j], self.not_applicable[j])]
        swappable = [j for j in specific if not (j == LEVEL and GRADE in specific)]
        if self.territory_level[base[TERRITORY]] > 0:
            swappable.append(TERRITORY)
        for swapped in _subsets_largest_first(swappable):
            options = {j: self._partners(cell, j, hidden, quantity) for j in swapped}
            if any(not found for found in options.values()):
                continue
            pick = dict.fromkeys(swapped, 0)
            for _ in range(ATTEMPTS):
                partners = {j: options[j][pick[j]] for j in swapped}
                direction, culprit = self._direction(cell, swapped, partners)
                if direction is not None and direction.width > EPSILON:
                    return direction
                if culprit is None or pick[culprit] + 1 >= len(options[culprit]):
                    culprit = next((j for j in swapped if pick[j] + 1 < len(options[j])), None)
                    if culprit is None:
                        break
                pick[culprit] += 1
        return None

    def _partners(self, cell: int, j: int, hidden: np.ndarray, quantity: int) -> list:
        """Partners along dimension j whose cell exists, best first: a sibling category, or
        for territory (anchor, sibling of the anchor) with the anchor q's territory or one of
        its ancestors below the republic."""
        base = self.codes[cell]
        need = self.k - max(self.amount[quantity], 0.0)
        if j == TERRITORY:
            candidates = []
            anchor = int(base[TERRITORY])
            while self.territory_level[anchor] > 0:
                parent = int(self.parent[anchor])
                candidates += [(anchor, t) for t in self.children[parent] if t != anchor]
                anchor = parent
            shift = [(t - int(base[j])) for _, t in candidates]
        else:
            candidates = [c for c in self.dim_codes[j] if c != base[j]]
            shift = [(c - int(base[j])) for c in candidates]
        ranked = []
        for order, (candidate, delta) in enumerate(zip(candidates, shift, strict=True)):
            other = self.cell_of_key.get(int(self.keys[cell] + delta * self.multiplier[j]))
            if other is None:
                continue
            q = self.quantity[other]
            if self.public[q]:
                continue
            amount = self.amount[q]
            enough = amount >= need
            # Siblings of q's own territory before those of its ancestors (fewer cells hidden).
            depth = (
                0
                if j != TERRITORY
                else int(self.territory_level[candidate[0]] != self.territory_level[base[j]])
            )
            ranked.append(
                (depth, (0 if hidden[q] else 1), (0 if enough else 1),
                 amount if enough else -amount, order, candidate)
            )  # fmt: skip
        return [candidate for *_, candidate in sorted(ranked)]

    def _direction(self, cell: int, swapped: list[int], partners: dict):
        """The direction of one hypercube; (None, culprit dimension) when it cannot exist."""
        base = self.codes[cell]
        series = int(base[SERIES])
        swapped_bits = sum(1 << DIMS.index(j) for j in swapped if j != TERRITORY)
        open_dims = [j for j in DIMS if j not in swapped and base[j] != self.not_applicable[j]]
        corners = []
        for flips in itertools.product((0, 1), repeat=len(swapped)):
            codes = base.copy()
            for j, flipped in zip(swapped, flips, strict=True):
                if j == TERRITORY:
                    codes[j] = partners[j][1] if flipped else partners[j][0]
                elif flipped:
                    codes[j] = partners[j]
            corners.append((codes, -1 if sum(flips) % 2 else 1, flips))
        persons = self._persons(corners, swapped, open_dims)
        if persons is None:
            return None, None
        territories = self._territories_of(corners, swapped, base)
        if territories is None:
            return None, TERRITORY if TERRITORY in swapped else None
        changes: dict[int, int] = {}
        for (codes, sign, flips), person, places in zip(corners, persons, territories, strict=True):
            for territory in places:
                found = self._corner_cells(series, codes, territory, open_dims, person,
                                           swapped_bits)  # fmt: skip
                if found is None:
                    return None, _last_flipped(swapped, flips)
                for other in found:
                    q = int(self.quantity[other])
                    if changes.get(q, sign) != sign or self.public[q]:
                        return None, _last_flipped(swapped, flips)
                    changes[q] = sign
        quantities = np.fromiter(changes.keys(), dtype=np.int64)
        signs = np.fromiter(changes.values(), dtype=np.float64)
        if not self._balanced(quantities, signs):
            return None, None
        up, down = self._range(quantities, signs)
        return Direction(quantities, signs, up, down), None

    def _value_at(self, codes: np.ndarray, j: int, value: int) -> float | None:
        """Amount of the cell ``codes`` with dimension j set to ``value`` (None: no cell)."""
        key = int(codes @ self.multiplier) + (value - int(codes[j])) * int(self.multiplier[j])
        other = self.cell_of_key.get(key)
        return None if other is None else float(self.amount[self.quantity[other]])

    def _persons(self, corners, swapped, open_dims):
        """Per corner, the moved persons' categories in the open dimensions. A category is
        the same at every corner (else the swap would show in a total), except a grade when
        levels are swapped: one grade per level. Chosen to keep the most room to move."""
        persons = [{} for _ in corners]
        current = [codes.copy() for codes, _, _ in corners]
        for j in open_dims:
            if corners[0][0][j] != self.total[j]:
                for person in persons:
                    person[j] = int(corners[0][0][j])  # specific but not swapped: fixed
                continue
            groups = defaultdict(list)
            for i in range(len(corners)):
                parent = int(current[i][LEVEL]) if j == GRADE and LEVEL in swapped else 0
                groups[parent].append(i)
            for members in groups.values():
                choice = self._choose(j, [current[i] for i in members],
                                      [corners[i][1] for i in members])  # fmt: skip
                if choice is False:
                    return None
                if choice is None:
                    continue  # no cell of this dimension here: nothing to move
                for i in members:
                    persons[i][j] = choice
                    if j == LEVEL:
                        current[i][LEVEL] = choice  # grades are chosen inside this level
        return persons

    def _choose(self, j: int, codes_list, signs):
        """The category of dimension j with the most room at every corner; None if no corner
        has one; False if some corners have one and others none."""
        best, best_score = None, -np.inf
        present_somewhere = False
        for value in self.dim_codes[j]:
            amounts = [self._value_at(codes, j, value) for codes in codes_list]
            if any(a is not None for a in amounts):
                present_somewhere = True
            if any(a is None for a in amounts):
                continue
            score = _room(amounts, signs)
            if score > best_score:
                best, best_score = value, score
        if best is None:
            return False if present_somewhere else None
        return best

    def _territories_of(self, corners, swapped, base):
        """Per corner, every territory whose cells hold the moved persons."""
        own = int(base[TERRITORY])
        if TERRITORY not in swapped:
            above = []
            parent = int(self.parent[own])
            while parent >= 0:
                above.append(parent)
                parent = int(self.parent[parent])
            below = self._descend(own, [c for c, _, _ in corners], [s for _, s, _ in corners])
            if below is None:
                return None
            return [[own, *below, *above] for _ in corners]
        anchor_position = swapped.index(TERRITORY)
        groups = defaultdict(list)
        for i, (_, _, flips) in enumerate(corners):
            groups[flips[anchor_position]].append(i)
        result = [None] * len(corners)
        for flipped, members in groups.items():
            anchor = int(corners[members[0]][0][TERRITORY])
            chain = [anchor]
            if not flipped:
                # Down from the anchor to q's own territory, then further down.
                path, node = [], own
                while node != anchor:
                    path.append(node)
                    node = int(self.parent[node])
                chain += list(reversed(path))
            codes_list = []
            for i in members:
                codes = corners[i][0].copy()
                codes[TERRITORY] = chain[-1]
                codes_list.append(codes)
            below = self._descend(chain[-1], codes_list, [corners[i][1] for i in members])
            if below is None:
                return None
            for i in members:
                result[i] = chain + below
        return result

    def _descend(self, territory: int, codes_list, signs) -> list[int] | None:
        """Territories below ``territory`` down to a district: the child with most room at
        every corner, each step (None if the corners disagree on where persons are)."""
        chain = []
        codes_list = [codes.copy() for codes in codes_list]
        while self.children.get(territory):
            best, best_score = None, -np.inf
            for child in self.children[territory]:
                amounts = [self._value_at(codes, TERRITORY, child) for codes in codes_list]
                if any(a is None for a in amounts):
                    continue
                score = _room(amounts, signs)
                if score > best_score:
                    best, best_score = child, score
            if best is None:
                return None
            chain.append(best)
            territory = best
            for codes in codes_list:
                codes[TERRITORY] = best
        return chain

    def _corner_cells(self, series, codes, territory, open_dims, person, swapped_bits):
        """Every published cell holding this corner's persons at ``territory``; None if one
        of them is missing (a known zero: the move would show)."""
        found = []
        for mask in self.masks[series, int(self.territory_level[territory])]:
            if mask & swapped_bits != swapped_bits:
                continue
            cell_codes = codes.copy()
            cell_codes[TERRITORY] = territory
            ok = True
            for j in open_dims:
                if mask & (1 << DIMS.index(j)):
                    if j not in person:
                        ok = False
                        break
                    cell_codes[j] = person[j]
                else:
                    cell_codes[j] = self.total[j]
            if not ok:
                continue
            other = self.cell_of_key.get(int(cell_codes @ self.multiplier))
            if other is None:
                return None
            found.append(other)
        return found

    def _balanced(self, quantities: np.ndarray, signs: np.ndarray) -> bool:
        """Every relation the direction touches still adds up."""
        residual: dict[int, float] = defaultdict(float)
        for q, sign in zip(quantities.tolist(), signs.tolist(), strict=True):
            for position in range(self.rel_start[q], self.rel_start[q + 1]):
                residual[int(self.rel_id[position])] += self.rel_coef[position] * sign
        return all(abs(value) < EPSILON for value in residual.values())

    def _range(self, quantities: np.ndarray, signs: np.ndarray) -> tuple[float, float]:
        """How far t may go up and down: counts stay >= 0, shares' parts <= wholes."""
        room = self.amount[quantities] - self.lower[quantities]
        up = float(np.min(room[signs < 0], initial=np.inf))  # falling cells limit t going up
        down = float(np.min(room[signs > 0], initial=np.inf))
        moved = dict(zip(quantities.tolist(), signs.tolist(), strict=True))
        for q in moved:
            for numerator, denominator in self.shares.get(q, ()):
                rate = moved.get(numerator, 0.0) - moved.get(denominator, 0.0)
                slack = self.amount[denominator] - self.amount[numerator]
                if rate > 0:
                    up = min(up, slack / rate)
                elif rate < 0:
                    down = min(down, slack / -rate)
        return up, down


def _subsets_largest_first(items: list[int]) -> list[list[int]]:
    """The full set, then each set with one item left out (an empty set only if nothing
    can be swapped)."""
    if not items:
        return [[]]
    result = [list(items)]
    if len(items) > 1:
        result += [[j for j in items if j != left_out] for left_out in reversed(items)]
    return result


def _last_flipped(swapped: list[int], corner: tuple[int, ...]) -> int | None:
    flipped = [j for j, bit in zip(swapped, corner, strict=True) if bit]
    return flipped[-1] if flipped else None


def _room(amounts: list[float], signs) -> float:
    """How far a move can go through these corners: the smallest amount it adds to plus the
    smallest it takes from."""
    plus = [a for a, s in zip(amounts, signs, strict=True) if s > 0]
    minus = [a for a, s in zip(amounts, signs, strict=True) if s < 0]
    return min(plus, default=np.inf) + min(minus, default=np.inf)
