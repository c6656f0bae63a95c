"""Observations as protected quantities and the linear relations between them.

A *cell* is one protected part (numerator or denominator) of one observation row. Cells that
hold the same quantity (``rules.IDENTITIES``) are one *quantity*: one suppression status, one
variable of the audit's linear programs. A *relation* says a total equals the sum of its parts,
as the warehouse's add-up tests do: within every breakdown the categories sum to ``_T`` (grades
within their level), and districts sum to their oblast, oblasts to the republic. Relations are
kept only where the amounts satisfy them, so the audit never assumes what is not true.

Other publications bound some quantities (``bounds``: a district's learners by grade and sex
lie between the sums of its schools' rounded profiles). A bounded key the observations publish
gets the bounds on its quantity; any other is a *virtual* quantity, in no published table but
in the relations its key implies (it is a part of its oblast's cell and of its district's
totals), always unknown to the attacker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warehouse.read import BREAKDOWNS
from warehouse.release import rules

log = logging.getLogger(__name__)

TOTAL, NOT_APPLICABLE = "_T", "_Z"
KEY = ("indicator_id", "academic_year", "reference_date", "territory_code", *BREAKDOWNS)
ROW_KEY = (
    "indicator_id", "academic_year", "reference_date", "geographic_level", "territory_code",
    *BREAKDOWNS,
)  # fmt: skip
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Cells:
    """The protected quantities of an observations frame.

    cells: one row per protected part of a row: ``row`` (position in the observations frame),
        ``measure``, ``quantity``, ``amount``.
    quantities: one row per quantity (index = quantity id): ``amount``, ``lower`` (0, or -inf
        for a net figure), ``upper`` (inf, or a bound from another publication), ``integer``
        (a count of persons or records: whole numbers), ``virtual`` (published in no table),
        ``indicator_id`` and ``measure`` of its first cell.
    relations: ``relation``, ``quantity``, ``coef`` (+1 the total, -1 a part): sum(coef x) = 0.
    shares: ``numerator``, ``denominator`` quantity pairs of shares (a part never exceeds
        its whole).
    """

    cells: pd.DataFrame
    quantities: pd.DataFrame
    relations: pd.DataFrame
    shares: pd.DataFrame
    codes: np.ndarray  # cell x (series, year, date, territory, *breakdowns): integer codes
    vocab: dict[str, pd.Index]  # the codes' meaning, per column of ``codes``
    series: pd.Index  # "indicator|measure" of each series code


def sort_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """Rows in key order, numbered from 0; numerator and denominator as floats."""
    frame = observations.sort_values(list(ROW_KEY), kind="stable").reset_index(drop=True)
    for column in rules.MEASURES:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def territory_parents(territory_codes: pd.Series, districts: Mapping[str, str]) -> dict:
    """Each territory's parent: district -> oblast (``districts``, else its first 5 digits),
    oblast -> republic (KG)."""
    parents = {}
    for code in territory_codes.unique():
        if code == "KG":
            continue
        parents[code] = districts.get(code, code[:5]) if len(code) == 8 else "KG"
    return parents


def build_cells(
    observations: pd.DataFrame,
    indicators: pd.DataFrame,
    parents: Mapping[str, str],
    bounds: pd.DataFrame | None = None,
) -> Cells:
    """The protected quantities, relations and shares of ``observations`` (sorted).

    ``bounds``: rows keyed like observations (numerator only: ``numerator`` the true amount,
    ``low`` and ``high`` what another publication tells of it); see the module docstring.
    Virtual cells come after the observations' (their ``row`` is past its last row).
    """
    meta = indicators.set_index("indicator_id")
    cells = _protected_cells(observations, meta)
    cells["low"], cells["high"], cells["virtual"] = -np.inf, np.inf, False
    if bounds is not None and len(bounds):
        cells = _bounded(cells, bounds, len(observations))
    codes, radix = _encode(cells)
    quantity = _quantities(cells, codes)
    cells = cells.assign(quantity=quantity)
    integral = cells["amount"].eq(cells["amount"].round())
    cells["integral"] = integral.groupby([cells["indicator_id"], cells["measure"]]).transform("all")
    quantities = (
        cells.groupby("quantity", sort=True)
        .agg(amount=("amount", "first"), indicator_id=("indicator_id", "first"),
             measure=("measure", "first"), signed=("signed", "any"), low=("low", "max"),
             high=("high", "min"), virtual=("virtual", "all"), integer=("integral", "all"))
        .reset_index(drop=True)
    )  # fmt: skip
    lower = np.where(quantities.pop("signed"), -np.inf, 0.0)
    quantities["lower"] = np.maximum(lower, quantities.pop("low").to_numpy())
    quantities["upper"] = quantities.pop("high")
    additive = cells["indicator_id"].map(meta["is_additive"]).fillna(False).astype(bool)
    relations = _relations(cells, codes, radix, additive.to_numpy(), parents)
    shares = _shares(cells, meta)
    matrix = np.column_stack([codes.series, *(codes.columns[c] for c in CODE_COLUMNS[1:])])
    return Cells(
        cells[["row", "measure", "quantity", "amount", "virtual"]], quantities, relations, shares,
        matrix, {"series": codes.series_names} | codes.vocab, codes.series_names,
    )  # fmt: skip


def _bounded(cells: pd.DataFrame, bounds: pd.DataFrame, rows: int) -> pd.DataFrame:
    """Bounds on the numerators they key; unpublished keys become virtual cells."""
    key = list(KEY)
    bounds = bounds.reset_index(drop=True)
    numerators = cells[cells["measure"] == rules.NUMERATOR]
    found = bounds[key].merge(numerators[key].reset_index(), on=key, how="left")["index"].to_numpy()
    published = ~np.isnan(found)
    at = found[published].astype(np.int64)
    # A bound holds only where the other publication counts the same persons.
    same = np.isclose(cells.loc[at, "amount"].to_numpy(), bounds.loc[published, "numerator"])
    at, published[np.flatnonzero(published)[~same]] = at[same], False
    cells.loc[at, "low"] = bounds.loc[published, "low"].to_numpy()
    cells.loc[at, "high"] = bounds.loc[published, "high"].to_numpy()
    virtual = bounds[~published].reset_index(drop=True)
    extra = virtual[key].assign(
        row=rows + np.arange(len(virtual)), measure=rules.NUMERATOR,
        amount=virtual["numerator"].to_numpy(dtype="float64"), signed=False,
        low=virtual["low"].to_numpy(dtype="float64"),
        high=virtual["high"].to_numpy(dtype="float64"), virtual=True,
    )  # fmt: skip
    return pd.concat([cells, extra], ignore_index=True)


def each_once(values: pd.Series, rule) -> pd.Series:
    """``values.map(rule)``, the rule called once per distinct value, not once per row (the
    disclosure rules are read per indicator or per territory level)."""
    return values.map({value: rule(value) for value in values.unique()})


def _protected_cells(observations: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for measure in rules.MEASURES:
        protected = each_once(
            observations["indicator_id"],
            lambda indicator, measure=measure: rules.is_protected(indicator, measure),
        )
        if measure == rules.DENOMINATOR:
            protected &= ~observations["unit"].isin(rules.UNITS_WITHOUT_DENOMINATOR)
        frame = observations.loc[protected.to_numpy(), list(KEY)].copy()
        frame["row"] = frame.index.to_numpy()
        frame["measure"] = measure
        frame["amount"] = observations.loc[protected.to_numpy(), measure].to_numpy()
        signed = each_once(frame["indicator_id"], lambda i: rules.protection(i).signed)
        frame["signed"] = signed.to_numpy() & (measure == rules.NUMERATOR)
        parts.append(frame)
    cells = pd.concat(parts, ignore_index=True)
    return cells[cells["amount"].notna()].reset_index(drop=True)


# --- integer keys ---------------------------------------------------------------------------


CODE_COLUMNS = ("series", "academic_year", "reference_date", "territory_code", *BREAKDOWNS)


@dataclass(frozen=True)
class _Codes:
    series: np.ndarray  # indicator x measure
    columns: dict[str, np.ndarray]  # year, date, territory and each breakdown
    vocab: dict[str, pd.Index]
    series_names: pd.Index


def _encode(cells: pd.DataFrame) -> tuple[_Codes, dict[str, int]]:
    """Integer codes of each key column, and the mixed radix that packs them into int64."""
    series, series_names = pd.factorize(cells["indicator_id"] + "|" + cells["measure"], sort=True)
    columns, vocab = {}, {}
    for column in ("academic_year", "reference_date", "territory_code", *BREAKDOWNS):
        values = cells[column].astype(str)
        extra = [TOTAL, NOT_APPLICABLE] if column in BREAKDOWNS else []
        index = pd.Index(sorted(set(values.unique()) | set(extra)))
        columns[column] = index.get_indexer(values).astype(np.int64)
        vocab[column] = index
    radix = {"series": int(series.max()) + 1 if len(series) else 1}
    radix |= {column: len(index) for column, index in vocab.items()}
    if np.prod([float(r) for r in radix.values()]) >= 2.0**62:
        raise ValueError("observation keys too many to pack into 64 bits")
    return _Codes(series.astype(np.int64), columns, vocab, pd.Index(series_names)), radix


def _pack(parts: dict[str, np.ndarray], radix: dict[str, int]) -> np.ndarray:
    key = np.zeros(len(next(iter(parts.values()))), dtype=np.int64)
    for name, size in radix.items():
        if name in parts:
            key = key * size + parts[name]
    return key


def _series_key(codes: _Codes, radix: dict[str, int], **replace: np.ndarray) -> np.ndarray:
    parts = {"series": codes.series} | codes.columns | replace
    return _pack(parts, radix)


# --- quantities: identical cells joined ------------------------------------------------------


def _quantities(cells: pd.DataFrame, codes: _Codes) -> np.ndarray:
    """The quantity of each cell: cells joined by an identity where their amounts agree."""
    normalized = dict(codes.columns)
    for column in BREAKDOWNS:
        vocab = codes.vocab[column]
        z, t = vocab.get_loc(NOT_APPLICABLE), vocab.get_loc(TOTAL)
        normalized[column] = np.where(codes.columns[column] == z, t, codes.columns[column])
    radix = {column: len(codes.vocab[column]) for column in normalized}
    key = pd.Series(_pack(normalized, radix))
    series = cells["indicator_id"] + "|" + cells["measure"]
    edges = []
    for identity in rules.IDENTITIES:
        left = _identity_side(cells, series, key, identity.left, identity.specific, codes)
        right = _identity_side(cells, series, key, identity.right, identity.specific, codes)
        pairs = left.merge(right, on="key", suffixes=("_l", "_r"))
        same = np.isclose(pairs["amount_l"], pairs["amount_r"], rtol=0, atol=TOLERANCE)
        edges.append(pairs.loc[same, ["cell_l", "cell_r"]].to_numpy())
        if (~same).any():
            log.info("identity %s = %s: %d cells differ", identity.left, identity.right,
                     int((~same).sum()))  # fmt: skip
    n = len(cells)
    pairs = np.concatenate(edges) if edges else np.empty((0, 2), dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Numbered by first cell, so the same observations always give the same quantity ids.
    first = pd.Series(np.arange(n)).groupby(labels).transform("min").to_numpy()
    return pd.factorize(first, sort=True)[0]


def _identity_side(cells, series, key, side, specific, codes) -> pd.DataFrame:
    chosen = (series == f"{side[0]}|{side[1]}").to_numpy().copy()
    for column in specific:
        vocab = codes.vocab[column]
        generic = [vocab.get_loc(TOTAL), vocab.get_loc(NOT_APPLICABLE)]
        chosen &= ~np.isin(codes.columns[column], generic)
    index = np.flatnonzero(chosen)
    return pd.DataFrame(
        {"key": key.to_numpy()[index], "cell": index, "amount": cells["amount"].to_numpy()[index]}
    )


# --- relations --------------------------------------------------------------------------------


def _relations(cells, codes: _Codes, radix, additive, parents) -> pd.DataFrame:
    """Every total = sum of its parts, in quantities, deduplicated."""
    key = _series_key(codes, radix)
    lookup = pd.Index(key)
    if not lookup.is_unique:
        raise ValueError("observations have duplicate keys")
    kinds = [*BREAKDOWNS, "territory"]
    members = []
    for kind_number, kind in enumerate(kinds):
        if kind == "territory":
            children, parent_key = _territory_children(codes, radix, parents)
        else:
            children, parent_key = _breakdown_children(codes, radix, kind)
        children &= additive
        child = np.flatnonzero(children)
        total = lookup.get_indexer(parent_key[child])
        found = total >= 0
        # A grade summed over levels has no total (grades nest in levels); anything else
        # without one would be a gap in the cube.
        if kind != "level" and (~found).any():
            log.info("%s: %d cells without a total", kind, int((~found).sum()))
        child, total = child[found], total[found]
        relation = total.astype(np.int64) * len(kinds) + kind_number
        members.append(pd.DataFrame({"relation": relation, "cell": child, "coef": -1.0}))
        heads = np.unique(relation)
        members.append(pd.DataFrame({"relation": heads, "cell": heads // len(kinds), "coef": 1.0}))
    frame = pd.concat(members, ignore_index=True)
    frame = _holding(frame, cells["amount"].to_numpy())
    frame["quantity"] = cells["quantity"].to_numpy()[frame["cell"].to_numpy()]
    return _in_quantities(frame)


def _breakdown_children(codes: _Codes, radix, dimension: str):
    vocab = codes.vocab[dimension]
    column = codes.columns[dimension]
    children = ~np.isin(column, [vocab.get_loc(TOTAL), vocab.get_loc(NOT_APPLICABLE)])
    total = np.full_like(column, vocab.get_loc(TOTAL))
    return children, _series_key(codes, radix, **{dimension: total})


def _territory_children(codes: _Codes, radix, parents):
    vocab = codes.vocab["territory_code"]
    parent_of = np.array(
        [vocab.get_loc(parents[code]) if parents.get(code) in vocab else -1 for code in vocab]
    )
    parent = parent_of[codes.columns["territory_code"]]
    children = parent >= 0
    return children, _series_key(codes, radix, territory_code=np.maximum(parent, 0))


def _holding(frame: pd.DataFrame, amounts: np.ndarray) -> pd.DataFrame:
    """Only relations whose amounts add up (a non-additive or broken cube is left out)."""
    balance = pd.Series(frame["coef"].to_numpy() * amounts[frame["cell"].to_numpy()])
    scale = pd.Series(np.abs(amounts[frame["cell"].to_numpy()]))
    by = frame["relation"].to_numpy()
    off = balance.groupby(by).sum().abs() > TOLERANCE * (1 + scale.groupby(by).max())
    if off.any():
        log.warning("%d relations do not add up and are left out", int(off.sum()))
    return frame[~frame["relation"].isin(off.index[off.to_numpy()])].reset_index(drop=True)


def _in_quantities(frame: pd.DataFrame) -> pd.DataFrame:
    """Relations over quantities: coefficients of one quantity summed, empty and duplicate
    relations (the same relation seen through two identical series) dropped."""
    grouped = frame.groupby(["relation", "quantity"], sort=True, as_index=False)["coef"].sum()
    grouped = grouped[grouped["coef"] != 0]
    # Two random 64-bit hashes per quantity identify a relation's member set.
    rng = np.random.default_rng(20260115)
    size = int(grouped["quantity"].max()) + 1 if len(grouped) else 0
    hashes = rng.integers(1, 2**62, size=(2, size), dtype=np.int64)
    coef = grouped["coef"].to_numpy().astype(np.int64)
    signature = pd.DataFrame(
        {
            "relation": grouped["relation"].to_numpy(),
            "a": hashes[0][grouped["quantity"].to_numpy()] * coef,
            "b": hashes[1][grouped["quantity"].to_numpy()] * coef,
        }
    )
    sums = signature.groupby("relation", sort=True)[["a", "b"]].sum()
    sums["count"] = signature.groupby("relation", sort=True).size()
    sums = sums[sums["count"] >= 2]
    # The opposite sign is the same relation.
    sign = np.where(sums["a"] < 0, -1, 1)
    sums["a"], sums["b"] = sums["a"] * sign, sums["b"] * sign
    keep = sums.drop_duplicates(["a", "b", "count"]).index
    kept = grouped[grouped["relation"].isin(keep)]
    relation = pd.factorize(kept["relation"], sort=True)[0]
    return pd.DataFrame(
        {
            "relation": relation.astype(np.int64),
            "quantity": kept["quantity"].to_numpy().astype(np.int64),
            "coef": kept["coef"].to_numpy(),
        }
    )


def _shares(cells: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    is_share = cells["indicator_id"].map(meta["is_share"]).fillna(False).astype(bool)
    parts = cells[is_share.to_numpy()]
    pairs = parts.pivot_table(index="row", columns="measure", values="quantity", aggfunc="first")
    if rules.NUMERATOR not in pairs or rules.DENOMINATOR not in pairs:
        return pd.DataFrame({"numerator": [], "denominator": []}, dtype=np.int64)
    pairs = pairs.dropna().astype(np.int64)
    return (
        pairs[[rules.NUMERATOR, rules.DENOMINATOR]]
        .drop_duplicates()
        .sort_values([rules.NUMERATOR, rules.DENOMINATOR])
        .reset_index(drop=True)
    )
