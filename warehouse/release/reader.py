"""Reading published releases, read-only: shared by the portal (``dashboards/data.py``) and
the open data API (``api/``).

``releases/current`` is a symlink that `emis publish` switches atomically; a reader resolves
it once per question and then reads that folder only, so a switch never mixes two releases.
Every query opens a short-lived read-only DuckDB connection (one writer per file, and no
handle may linger on a folder the next publish could remove).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

OPEN_DB = Path("open") / "open.duckdb"
RECORD = "release.json"
CHANGELOG = "changelog.csv"
FORM_INPUTS = "form_inputs.duckdb"  # in restricted/
FORM_INPUTS_BASIS = "form_inputs.json"  # what it was copied from (reports.extract.Basis)
CURRENT = "current"
LEVELS = ("national", "oblast", "district")
REPUBLIC = "KG"


@dataclass(frozen=True)
class Release:
    """One published release folder (``releases/<release_id>``)."""

    path: Path

    @property
    def release_id(self) -> str:
        return self.path.name

    @property
    def open_dir(self) -> Path:
        return self.path / "open"

    @property
    def restricted_dir(self) -> Path:
        return self.path / "restricted"

    @property
    def form_inputs(self) -> Path:
        return self.restricted_dir / FORM_INPUTS


def find_release(releases: Path) -> Release | None:
    """The release ``releases/current`` points at, or None before the first publish."""
    link = releases / CURRENT
    if not (link / OPEN_DB).exists():
        return None
    return Release(link.resolve())


def all_releases(releases: Path) -> list[Release]:
    """Every published release, oldest first (for trends across releases): not ``current``
    (a link to one of them), nor a hidden folder `emis publish` is still writing."""
    if not releases.is_dir():
        return []
    found = {
        p.resolve()
        for p in releases.iterdir()
        if p.name != CURRENT and not p.name.startswith(".") and (p / OPEN_DB).exists()
    }
    return sorted((Release(p) for p in found), key=lambda r: release_order(r.release_id))


def previous_release_id(release: Release) -> str | None:
    """The release published before ``release`` (what its changelog compares with), if any."""
    earlier = [
        other.release_id
        for other in all_releases(release.path.parent)
        if release_order(other.release_id) < release_order(release.release_id)
    ]
    return earlier[-1] if earlier else None


def release_order(release_id: str) -> tuple[str, int, str]:
    """Release ids are the snapshot date and a running number (2026-01-15.2): 2026-01-15.10
    comes after 2026-01-15.9."""
    date, _, number = release_id.rpartition(".")
    return (date, int(number), release_id) if number.isdigit() else (release_id, 0, release_id)


def query_open(release: Release, sql: str, params: Sequence | None = None) -> pd.DataFrame:
    """Rows of ``sql`` on the open bundle, on a read-only connection closed at once."""
    with duckdb.connect(str(release.path / OPEN_DB), read_only=True) as con:
        return con.execute(sql, list(params or [])).df()


def territory_table(
    districts: pd.DataFrame, names_en: dict[str, str], republic: dict[str, str]
) -> pd.DataFrame:
    """Republic, oblast and district rows from the release's district table.

    ``republic`` names the republic per language (``{"ky": ..., "ru": ..., "en": ...}``).
    English district names come from the release when it has them, else from ``names_en``,
    else the Russian name.
    """
    districts = districts.rename(columns={"district_code": "territory_code"})
    if "name_en" not in districts:
        districts["name_en"] = districts["territory_code"].map(names_en)
    districts["name_en"] = districts["name_en"].fillna(districts["name_ru"])
    districts["geographic_level"] = "district"
    oblasts = (
        districts[["oblast_code", "oblast_ky", "oblast_ru", "oblast_en"]]
        .drop_duplicates("oblast_code")
        .rename(columns=lambda c: c.replace("oblast_", "name_"))
        .assign(territory_code=lambda f: f["name_code"], oblast_code=lambda f: f["name_code"])
        .drop(columns="name_code")
        .assign(geographic_level="oblast")
    )
    top = {"territory_code": REPUBLIC, "oblast_code": None, "geographic_level": "national"}
    top |= {f"name_{lang}": name for lang, name in republic.items()}
    columns = ["territory_code", "geographic_level", "oblast_code", "name_ky", "name_ru"]
    table = pd.concat([pd.DataFrame([top]), oblasts, districts], ignore_index=True)
    table = table[[*columns, "name_en"]]
    order = table["geographic_level"].map({level: i for i, level in enumerate(LEVELS)})
    return (
        table.assign(order=order)
        .sort_values(["order", "territory_code"])
        .drop(columns="order")
        .reset_index(drop=True)
    )
