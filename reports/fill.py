"""Filling a form's cells from per-organization facts: pure functions of data frames."""

from __future__ import annotations

from collections.abc import Mapping

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


def _number(value) -> float | int:
    """Counts as int, rates rounded to hundredths."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)
