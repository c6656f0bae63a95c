"""Filling a form's cells from per-organization facts: pure functions of data frames."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from reports.declaration import Form, metrics_used
from reports.metrics import METRICS, ORGANIZATION_DIMS, QUERIES

Values = dict[tuple[str, str, str], float | None]


def wanted_queries(form: Form) -> dict[str, set[str]]:
    """query -> the dimensions its facts must keep for ``form``'s cells (organization
    attributes come from the organizations query)."""
    wanted: dict[str, set[str]] = {"organizations": set(ORGANIZATION_DIMS)}
    for metric, dims in metrics_used(form).items():
        query = QUERIES[METRICS[metric].query]
        wanted.setdefault(query.name, set()).update(dims & set(query.dims))
    return wanted


def metric_frame(metric: str, dims: set[str], facts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """A metric's facts summed over organizations, by ``dims`` (with the organizations'
    attributes joined where a cell filters on them)."""
    definition = METRICS[metric]
    frame = facts[definition.query]
    own = set(QUERIES[definition.query].dims)
    borrowed = sorted(dims - own)
    if borrowed:
        attributes = facts["organizations"][["organization_id", *borrowed]]
        frame = frame.merge(attributes, on="organization_id", how="inner")
    if not dims:
        return pd.DataFrame({definition.measure: [frame[definition.measure].sum()]})
    keys = sorted(dims)
    return frame.groupby(keys, dropna=False, sort=False, as_index=False)[definition.measure].sum()


def fill(form: Form, facts: Mapping[str, pd.DataFrame]) -> Values:
    """(section, row, column) -> value of every cell; None where the cell does not apply."""
    frames = {
        metric: metric_frame(metric, dims, facts) for metric, dims in metrics_used(form).items()
    }
    values: Values = {}
    for cell in form.cells():
        key = (cell.section, cell.row, cell.col)
        if cell.blank:
            values[key] = None
            continue
        frame = frames[cell.metric]
        measure = frame[METRICS[cell.metric].measure]
        mask = pd.Series(True, index=frame.index)
        for condition in cell.filter:
            mask &= condition.mask(frame[condition.dim])
        values[key] = _number(measure[mask].sum())
    return values


def nonzero_each_organization(form: Form, facts: Mapping[str, pd.DataFrame]) -> dict[str, Values]:
    """Each organization's cells of ``form`` that ``fill`` on its own facts would give a
    value other than 0 or None, for every organization of ``facts["organizations"]`` at
    once: each filter is read once over all facts and each cell summed by organization (a
    national sign-off fills some 4,700 organizations' forms, one by one 5 minutes).

    The same values as ``fill``: counts are whole numbers, whose sums do not depend on their
    order; a fractional measure (FTE) is summed so only while its sums are exact in any order
    (``_exact_in_any_order``), else the form is filled organization by organization.
    """
    organizations = facts["organizations"]["organization_id"].dropna().unique()
    frames = {}
    for metric, dims in metrics_used(form).items():
        frame = _metric_frame_each(metric, dims, facts)
        if frame is None:
            return _nonzero_one_by_one(form, facts)
        frames[metric] = frame
    # Per metric: each fact's organization as a position in ``organizations`` (-1: none).
    position = pd.Index(organizations)
    owners = {metric: position.get_indexer(frame["organization_id"])
              for metric, frame in frames.items()}  # fmt: skip
    masks: dict[tuple, np.ndarray] = {}  # (metric, condition) -> mask over the metric's facts

    def mask_of(metric: str, condition) -> np.ndarray:
        if (metric, condition) not in masks:
            column = frames[metric][condition.dim]
            masks[metric, condition] = condition.mask(column).to_numpy(dtype=bool)
        return masks[metric, condition]

    each: dict[str, Values] = {organization: {} for organization in organizations}
    for cell in form.cells():
        if cell.blank:
            continue
        chosen = owners[cell.metric] >= 0
        for condition in cell.filter:
            chosen = chosen & mask_of(cell.metric, condition)
        measure = frames[cell.metric][METRICS[cell.metric].measure].to_numpy(dtype="float64")
        sums = np.bincount(
            owners[cell.metric][chosen], weights=measure[chosen], minlength=len(organizations)
        )
        for at in np.flatnonzero(sums):
            each[organizations[at]][cell.section, cell.row, cell.col] = _number(sums[at])
    return each


def _metric_frame_each(metric: str, dims: set[str], facts) -> pd.DataFrame | None:
    """``metric_frame`` of every organization at once: by organization and ``dims``; None
    when the measure's sums could depend on their order."""
    definition = METRICS[metric]
    frame = facts[definition.query]
    borrowed = sorted(dims - set(QUERIES[definition.query].dims))
    if borrowed:
        attributes = facts["organizations"][["organization_id", *borrowed]]
        frame = frame.merge(attributes, on="organization_id", how="inner")
    if not _exact_in_any_order(frame[definition.measure]):
        return None
    keys = ["organization_id", *sorted(dims)]
    return frame.groupby(keys, dropna=False, sort=False, as_index=False)[definition.measure].sum()


def _exact_in_any_order(values: pd.Series) -> bool:
    """Every partial sum of ``values`` is a float exactly (multiples of 1/1024 whose absolute
    sum stays below 2**43), so any order of summing them gives the same bits: counts always,
    FTE of halves and quarters too."""
    numbers = values.to_numpy(dtype="float64")
    scaled = numbers * 1024
    return bool(np.all(scaled == np.round(scaled)) and np.abs(numbers).sum() < 2.0**43)


def _nonzero_one_by_one(form: Form, facts: Mapping[str, pd.DataFrame]) -> dict[str, Values]:
    split = {name: dict(tuple(frame.groupby("organization_id"))) for name, frame in facts.items()}
    empty = {name: frame.iloc[0:0] for name, frame in facts.items()}
    each = {}
    for organization in split["organizations"]:
        own = {name: split[name].get(organization, empty[name]) for name in facts}
        values = fill(form, own).items()
        each[organization] = {key: value for key, value in values if value not in (None, 0)}
    return each


def _number(value) -> float | int:
    """Counts as int, rates rounded to hundredths."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)
