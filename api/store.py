"""The release the API serves: the open bundle of ``releases/current``, held in memory.

A request asks :meth:`ReleaseStore.current` once and answers from the snapshot it gets, so one
answer never mixes two releases. ``current`` is resolved at every request (one ``readlink``);
when `emis publish` has moved it, the new release's open bundle is read once (under a lock, so
a burst of requests reads it once) and the old snapshot lives on only in the requests still
answering from it. Only ``open/`` is read: never the warehouse, never ``restricted/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from warehouse.read import BREAKDOWNS, TOTAL_CODES
from warehouse.release import reader

OBSERVATION_KEY = ("indicator_id", "academic_year", "reference_date", "geographic_level",
                   "territory_code", *BREAKDOWNS)  # fmt: skip
MEASURES = ("numerator", "denominator", "value", "unit", "symbol")  # the published columns
# The open tables the API reads; nothing else of the release is opened.
OPEN_TABLES = ("observations", "indicators", "territories", "footnotes", "release")


@dataclass(frozen=True)
class Snapshot:
    """One release's open tables, as served. Immutable: a switch makes a new one."""

    release_id: str
    path: Path
    published_at: dt.datetime
    record: dict
    observations: pd.DataFrame  # sorted by OBSERVATION_KEY, plus ``breakdown``, ``json_row``
    indicators: pd.DataFrame
    territories: pd.DataFrame
    footnotes: pd.DataFrame
    by_indicator: dict[str, pd.DataFrame] = field(repr=False)

    @property
    def etag(self) -> str:
        # Weak: one release, whatever the encoding (gzip or not) of the same representation.
        return f'W/"{self.release_id}"'

    @cached_property
    def codes(self) -> dict[str, list[str]]:
        """Each dimension's codes present in the release, sorted."""
        return {
            column: sorted(self.observations[column].astype(str).unique())
            for column in OBSERVATION_KEY
        }

    @cached_property
    def indicator_ids(self) -> frozenset[str]:
        return frozenset(self.indicators["indicator_id"])


def load_snapshot(release: reader.Release) -> Snapshot:
    """Read the open tables of one release folder into memory."""
    tables = {name: reader.query_open(release, f"select * from {name}") for name in OPEN_TABLES}
    observations = tables["observations"]
    observations["reference_date"] = observations["reference_date"].astype(str)
    observations = observations.sort_values(list(OBSERVATION_KEY), kind="stable")
    observations = observations.reset_index(drop=True)
    observations["breakdown"] = crossed_breakdowns(observations)
    # Each row's JSON, written once: an answer joins the rows it selects.
    public = observations.loc[:, [*OBSERVATION_KEY, *MEASURES]]
    lines = public.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    assert len(lines) == len(observations)
    observations["json_row"] = lines
    # Codes as categories: small in memory, quick to compare (the frame is filtered per query).
    for column in (*OBSERVATION_KEY, "unit", "symbol", "breakdown"):
        observations[column] = observations[column].astype("category")
    # Rows are sorted by indicator first: each indicator is one slice of the frame (no copy),
    # and keeps the frame's index, which finds each row's written forms.
    ids = observations["indicator_id"].to_numpy()
    starts = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1), len(ids)]
    by_indicator = {
        str(ids[start]): observations.iloc[start:stop] for start, stop in itertools.pairwise(starts)
    }
    record = _record(tables["release"])
    from dashboards import i18n  # labels only: no Streamlit

    republic = {lang: i18n.text("territory.republic", lang) for lang in i18n.LANGS}
    territories = reader.territory_table(tables["territories"], i18n.territory_names_en(), republic)
    return Snapshot(
        release_id=release.release_id,
        path=release.path,
        published_at=_published_at(record, release.path),
        record=record,
        observations=observations,
        indicators=tables["indicators"],
        territories=territories,
        footnotes=tables["footnotes"],
        by_indicator=by_indicator,
    )


def crossed_breakdowns(observations: pd.DataFrame) -> pd.Series:
    """The breakdowns a row varies (``sex,level``), ``total`` for a headline figure."""
    crossed = pd.Series("", index=observations.index, dtype=object)
    for name in BREAKDOWNS:
        varies = ~observations[name].isin(TOTAL_CODES)
        crossed = crossed.where(~varies, crossed + ("," + name))
    crossed = crossed.str.lstrip(",")
    return crossed.where(crossed != "", "total")


def _record(table: pd.DataFrame) -> dict:
    """The ``release`` table's one row; lists and mappings were flattened to JSON text."""
    if table.empty:
        return {}
    record = {}
    for key, value in table.iloc[0].to_dict().items():
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        record[key] = None if value is pd.NA or value != value else value  # NaN -> None
    return record


def _published_at(record: dict, path: Path) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(record["published_at"]))
    except (KeyError, ValueError):
        moment = dt.datetime.fromtimestamp((path / reader.OPEN_DB).stat().st_mtime)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


class ReleaseStore:
    """The current release of ``releases_dir``, reloaded when ``current`` moves."""

    def __init__(
        self, releases_dir: Path, on_load: Callable[[Snapshot], None] | None = None
    ) -> None:
        self.releases_dir = Path(releases_dir)
        self.on_load = on_load  # prepares a new snapshot's answers before it is served
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def current(self) -> Snapshot | None:
        """The snapshot of the release ``current`` points at now (None before the first)."""
        link = self.releases_dir / reader.CURRENT
        try:
            target = Path(os.path.realpath(link, strict=True))
        except OSError:
            return self._snapshot  # no release yet, or the link is being replaced: keep ours
        held = self._snapshot
        if held is not None and held.path == target:
            return held
        with self._lock:
            held = self._snapshot
            if held is None or held.path != target:
                if not (target / reader.OPEN_DB).exists():
                    return held
                held = load_snapshot(reader.Release(target))
                if self.on_load is not None:
                    self.on_load(held)
                self._snapshot = held
        return held

    def releases(self) -> list[reader.Release]:
        return reader.all_releases(self.releases_dir)
