"""Selecting observations: the plain API's parameters and SDMX keys, as pure functions over a
:class:`~api.store.Snapshot`'s frames. Every parameter is checked before it is used: a bad one
raises :class:`~api.errors.ApiError` naming it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from api.errors import bad_request, not_found
from api.store import OBSERVATION_KEY, Snapshot
from warehouse.read import BREAKDOWNS

MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 1_000
MAX_VALUES = 200  # codes in one parameter or key part
CODE = re.compile(r"^[A-Za-z0-9_@$\-]{1,64}$")  # SDMX IDType, bounded
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
YEAR = re.compile(r"^\d{4}-\d{4}$")
LEVELS = ("national", "oblast", "district")
# The SDMX dimensions, in the open bundle's DSD order, and the columns they are.
DIMENSIONS = ("INDICATOR", "ACADEMIC_YEAR", "REF_DATE", "GEO_LEVEL", "REF_AREA",
              *(name.upper() for name in BREAKDOWNS))  # fmt: skip
COLUMN = dict(zip(DIMENSIONS, OBSERVATION_KEY, strict=True))
PUBLIC_COLUMNS = (*OBSERVATION_KEY, "numerator", "denominator", "value", "unit", "symbol")


def codes(name: str, raw: str, separator: str = ",") -> list[str]:
    """A list of codes from one parameter; each an SDMX id."""
    values = [value for value in raw.split(separator) if value != ""]
    if not values:
        raise bad_request("empty_parameter", f"parameter {name!r} is empty")
    if len(values) > MAX_VALUES:
        raise bad_request("too_many_values", f"parameter {name!r}: at most {MAX_VALUES} codes")
    for value in values:
        if not CODE.match(value):
            raise bad_request(
                "malformed_code", f"parameter {name!r}: {value[:40]!r} is not a valid code"
            )
    return values


# --- the plain API ----------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    number: int
    size: int


# A breakdown's codes are chosen by its name (sex=F), but ``level`` is the territory level,
# so the education level's parameter is ``education_level``.
BREAKDOWN_PARAMETERS = {("education_level" if name == "level" else name): name
                        for name in BREAKDOWNS}  # fmt: skip
PLAIN_PARAMETERS = ("indicator", "year", "level", "territory", "reference_date", "breakdown",
                    "page", "page_size", "format", *BREAKDOWN_PARAMETERS)  # fmt: skip


def page(params: Mapping[str, str]) -> Page:
    number = _integer(params, "page", 1)
    size = _integer(params, "page_size", DEFAULT_PAGE_SIZE)
    if number < 1:
        raise bad_request("bad_page", "page starts at 1")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request("page_too_large", f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    return Page(number, size)


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw):
        raise bad_request("bad_integer", f"parameter {name!r} must be a whole number")
    return int(raw)


def observations(snapshot: Snapshot, params: Mapping[str, str]) -> pd.DataFrame:
    """The observations the plain API's parameters select (all pages), in key order."""
    unknown = sorted(set(params) - set(PLAIN_PARAMETERS))
    if unknown:
        raise bad_request(
            "unknown_parameter",
            f"unknown parameter {unknown[0][:40]!r}; known: {', '.join(PLAIN_PARAMETERS)}",
        )
    frame = _indicators(snapshot, params.get("indicator"))
    # One mask, one selection at the end: each intermediate frame would copy every column.
    keep = np.ones(len(frame), dtype=bool)

    def only(column: str, values: list[str]) -> None:
        keep[:] &= frame[column].isin(values).to_numpy()

    if (year := params.get("year")) is not None:
        years = codes("year", year)
        if not all(YEAR.match(value) for value in years):
            raise bad_request("bad_year", "year is an academic year such as 2025-2026")
        only("academic_year", years)
    if (level := params.get("level")) is not None:
        levels = codes("level", level)
        if set(levels) - set(LEVELS):
            raise bad_request("bad_level", f"level is one of {', '.join(LEVELS)}")
        only("geographic_level", levels)
    if (territory := params.get("territory")) is not None:
        only("territory_code", codes("territory", territory))
    if (date := params.get("reference_date")) is not None:
        dates = codes("reference_date", date)
        if not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) for value in dates):
            raise bad_request("bad_date", "reference_date is a date such as 2025-09-15")
        only("reference_date", dates)
    if (breakdown := params.get("breakdown")) is not None:
        only("breakdown", [_breakdown(breakdown)])
    for parameter, column in BREAKDOWN_PARAMETERS.items():
        if (value := params.get(parameter)) is not None:
            only(column, codes(parameter, value))
    return frame if keep.all() else frame[keep]


def _indicators(snapshot: Snapshot, raw: str | None) -> pd.DataFrame:
    if raw is None:
        return snapshot.observations
    wanted = codes("indicator", raw)
    for indicator in wanted:
        if indicator not in snapshot.indicator_ids:
            raise not_found(
                "unknown_indicator",
                f"unknown indicator {indicator!r}; the list is at /api/v1/indicators",
            )
    if len(wanted) == 1:
        return snapshot.by_indicator.get(wanted[0], snapshot.observations.iloc[0:0])
    return snapshot.observations[snapshot.observations["indicator_id"].isin(wanted)]


def _breakdown(raw: str) -> str:
    """``total``, or breakdown names crossed (``sex,level``), in the release's order."""
    if raw == "total":
        return raw
    names = codes("breakdown", raw)
    unknown = sorted(set(names) - set(BREAKDOWNS))
    if unknown:
        raise bad_request(
            "bad_breakdown",
            f"unknown breakdown {unknown[0]!r}; use total or some of {', '.join(BREAKDOWNS)}",
        )
    return ",".join(name for name in BREAKDOWNS if name in names)


def public(frame: pd.DataFrame) -> pd.DataFrame:
    """The published columns only (never the helper ``breakdown``)."""
    return frame.loc[:, list(PUBLIC_COLUMNS)]


# --- SDMX -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataQuery:
    """An SDMX data query: one or more keys (a list of allowed codes per dimension, None for
    any), component filters, and a period on REF_DATE."""

    keys: tuple[tuple[tuple[str, ...] | None, ...], ...]
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    start: str | None = None  # inclusive, ISO date
    end: str | None = None


def parse_key(raw: str) -> tuple[tuple[tuple[str, ...] | None, ...], ...]:
    """``learners.2025-2026.*.district..F+M....`` -> per dimension the codes or None.

    ``*`` or an empty part is a wildcard; ``+`` joins alternatives (SDMX REST 1), ``,``
    separates whole keys (SDMX REST 2); ``all`` or ``*`` alone is every key."""
    if raw in ("all", "*", "ALL", ""):
        return ((None,) * len(DIMENSIONS),)
    if len(raw) > 4000:
        raise bad_request("malformed_key", "the key is too long")
    keys = []
    for key in raw.split(","):
        parts = key.split(".")
        if len(parts) != len(DIMENSIONS):
            raise bad_request(
                "malformed_key",
                f"a key has {len(DIMENSIONS)} dimensions separated by dots "
                f"({'.'.join(DIMENSIONS)}); got {len(parts)}",
            )
        keys.append(
            tuple(
                None if part in ("", "*") else tuple(codes(f"key {dim}", part, "+"))
                for dim, part in zip(DIMENSIONS, parts, strict=True)
            )
        )
    if len(keys) > 50:
        raise bad_request("malformed_key", "at most 50 keys in one query")
    return tuple(keys)


def period_bound(name: str, raw: str | None, end: bool) -> str | None:
    """``2025``, ``2025-09`` or ``2025-09-15`` as the first (or last) day it covers."""
    if raw is None:
        return None
    if not DATE.match(raw):
        raise bad_request("bad_period", f"{name} is a year, month or date (2025, 2025-09, ...)")
    try:
        if len(raw) == 4:
            return f"{raw}-12-31" if end else f"{raw}-01-01"
        if len(raw) == 7:
            first = pd.Timestamp(f"{raw}-01")
            return (first + pd.offsets.MonthEnd(0)).date().isoformat() if end else f"{raw}-01"
        return pd.Timestamp(raw).date().isoformat()
    except ValueError:
        raise bad_request("bad_period", f"{name}: {raw!r} is not a date") from None


def component_filters(params: Mapping[str, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """SDMX REST 2 ``c[DIM]=A,B`` filters on dimensions."""
    found = []
    for name, raw in params.items():
        match = re.fullmatch(r"c\[([A-Z_]{1,40})\]", name)
        if not match:
            continue
        dimension = match.group(1)
        if dimension not in COLUMN:
            raise bad_request("bad_component", f"unknown dimension {dimension!r} in {name}")
        found.append((dimension, tuple(codes(name, raw))))
    return tuple(found)


def select(snapshot: Snapshot, query: DataQuery) -> pd.DataFrame:
    """The observations an SDMX data query selects, in key order."""
    base = snapshot.observations
    selected = None
    for key in query.keys:
        indicators = key[0]
        frame = (
            snapshot.by_indicator.get(indicators[0], base.iloc[0:0])
            if indicators is not None and len(indicators) == 1
            else base
        )
        mask = np.ones(len(frame), dtype=bool)
        for dimension, allowed in zip(DIMENSIONS, key, strict=True):
            if allowed is not None:
                mask &= frame[COLUMN[dimension]].isin(allowed).to_numpy()
        part = frame if mask.all() else frame[mask]
        selected = part if selected is None else pd.concat([selected, part])
    assert selected is not None  # parse_key gives at least one key
    if len(query.keys) > 1:
        selected = selected.drop_duplicates(list(OBSERVATION_KEY))
        selected = selected.sort_values(list(OBSERVATION_KEY), kind="stable")
    for dimension, allowed in query.filters:
        selected = selected[selected[COLUMN[dimension]].isin(allowed)]
    if query.start is not None or query.end is not None:
        dates = selected["reference_date"].astype(str)  # ISO dates order as text
        selected = selected[dates.between(query.start or "0000", query.end or "9999")]
    return selected
