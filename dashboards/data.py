"""The portal's one data-access module: the current release, read-only, cached.

The portal never opens the live warehouse (a DuckDB file has one writer; a public process must
not reach personal data). It reads ``$EMIS_HOME/releases/current``, a symlink switched
atomically by `emis publish` (``warehouse/release/``): every query opens a short-lived
read-only connection, and every cached result is keyed by the release's resolved path, so a
new release is picked up at the next rerun without a restart.

A release (``releases/<release_id>/``, written by ``warehouse.release.bundle``)::

    release.json, changelog.csv        the record (ids, dates, loads, disclosure, accepted
                                       blocking issues) and what changed since the last one
    open/open.duckdb                   observations (with ``symbol``), indicators, territories,
                                       school_profiles, footnotes, release
    open/parquet/, open/csv/, open/sdmx/, datapackage.json, README.md, data-dictionary.html
    restricted/*.parquet               monitoring_organizations, monitoring_territories,
                                       monitoring_issues, dq_issues
    restricted/form_inputs.duckdb      what the state forms read: any form, any date

Restricted tables are read through :func:`restricted_rows`, which applies the reader's
:class:`Scope` in the query itself: a district head's request for another district raises
:class:`ScopeError` whatever the page, a URL parameter or a session value asked for.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards import i18n
from emis.settings import load_settings
from warehouse.read import BREAKDOWNS, TOTAL_CODES  # the observations' codes
from warehouse.release import reader
from warehouse.release.reader import (  # the release folders, shared with the open data API
    CHANGELOG,
    CURRENT,  # noqa: F401 (the portal's pages use data.CURRENT)
    LEVELS,  # noqa: F401 (the portal's pages use data.LEVELS)
    OPEN_DB,  # noqa: F401 (the portal's pages use data.OPEN_DB)
    RECORD,
    Release,
    all_releases,
    find_release,
    previous_release_id,  # noqa: F401 (the portal's pages use data.previous_release_id)
    query_open,
    release_order,  # noqa: F401 (the portal's pages use data.release_order)
)

TTL = "1h"  # releases are immutable; the TTL only bounds memory
# The whole open bundle's observations, offered beside the explorer (paths inside open/).
FULL_DATA = ("parquet/observations.parquet", "csv/observations.csv", "open.duckdb",
             "sdmx/observations.sdmx.csv")  # fmt: skip
TOTALS = TOTAL_CODES
SYMBOLS = ("c", "z", "x", "low", "u")
# Restricted table -> (its district column, its organization column); a table not listed
# here, or a missing column, is for the ministry only.
SCOPE_COLUMNS = {
    "monitoring_organizations": ("district_code", "organization_id"),
    "monitoring_issues": ("district_code", "organization_id"),
    "monitoring_territories": ("territory_code", None),
    "dq_issues": (None, "org_id"),
    "signoff_certificates": ("district_code", "organization_id"),  # signoff/release.py
}
ROLES = ("ministry", "district", "school")


class ScopeError(PermissionError):
    """A request for rows outside the reader's scope."""


@dataclass(frozen=True)
class Scope:
    """What an account may read, from the regulation: the ministry everything (aggregates,
    no personal data), a district head their district, a school specialist their organization."""

    role: str
    district_code: str | None = None
    organization_id: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "district" and not self.district_code:
            raise ValueError("a district account needs its district code")
        if self.role == "school" and not self.organization_id:
            raise ValueError("a school account needs its organization id")


# --- the release --------------------------------------------------------------------------


def releases_dir() -> Path:
    return load_settings().releases_dir


def current_release() -> Release | None:
    # Not cached: resolving the link is cheap and must see a switch at once.
    return find_release(releases_dir())


def _release(path: str) -> Release:
    return Release(Path(path))


@st.cache_data(ttl=TTL, show_spinner=False)
def release_info(path: str) -> dict:
    """The release's record (``release.json``): release_id, published_at, snapshot_date,
    academic_year, load_ids, code_version, blocking_issues, blocking_accepted, disclosure,
    changes, files; from the open ``release`` table when the file is missing."""
    file = _release(path).path / RECORD
    if file.is_file():
        return json.loads(file.read_text(encoding="utf-8"))
    frame = query_open(_release(path), "select * from release")
    return {} if frame.empty else {k: _json(v) for k, v in frame.iloc[0].to_dict().items()}


def _json(value):
    """The ``release`` table flattens lists and mappings to JSON text: read them back."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@st.cache_data(ttl=TTL, show_spinner=False)
def changelog(path: str) -> pd.DataFrame:
    """Observations added, removed or changed since the previous release (``changelog.csv``):
    the observation's key, ``change``, and the value and symbol before and now."""
    file = _release(path).path / CHANGELOG
    if not file.is_file():
        return pd.DataFrame(columns=["indicator_id", "change"])
    return pd.read_csv(file, encoding="utf-8-sig", dtype=str, keep_default_na=False)


@st.cache_data(ttl=TTL, show_spinner=False)
def indicators(path: str) -> pd.DataFrame:
    """Indicator metadata (names, definitions ky/ru/en, unit, reference date rule, formula)."""
    return query_open(_release(path), "select * from indicators order by indicator_id")


@st.cache_data(ttl=TTL, show_spinner=False)
def territories(path: str) -> pd.DataFrame:
    """One row per territory (republic, oblasts, districts): code, level, oblast, names."""
    districts = query_open(_release(path), "select * from territories")
    return territory_table(districts, i18n.territory_names_en())


def territory_table(districts: pd.DataFrame, names_en: dict[str, str]) -> pd.DataFrame:
    """Republic, oblast and district rows (``warehouse.release.reader.territory_table``),
    the republic named in the portal's words."""
    republic = {lang: i18n.text("territory.republic", lang) for lang in i18n.LANGS}
    return reader.territory_table(districts, names_en, republic)


@st.cache_data(ttl=TTL, show_spinner=False)
def footnotes(path: str) -> pd.DataFrame:
    """One note per indicator: ``note_ky``, ``note_ru``, ``note_en``."""
    return query_open(_release(path), "select * from footnotes")


@st.cache_data(ttl=TTL, show_spinner=False)
def indicator_observations(path: str, indicator_id: str) -> pd.DataFrame:
    """Every published row of one indicator (all years, territories and breakdowns)."""
    return query_open(
        _release(path), "select * from observations where indicator_id = ?", [indicator_id]
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def totals(path: str, territory_code: str = "KG") -> pd.DataFrame:
    """Each indicator's total rows (no breakdown) in one territory, all years and dates."""
    where = " and ".join(f"{column} in ('_T', '_Z')" for column in BREAKDOWNS)
    return query_open(
        _release(path),
        f"select * from observations where territory_code = ? and {where} "
        "order by indicator_id, reference_date",
        [territory_code],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def published_territories(path: str) -> set[str]:
    """Codes of the territories the release has figures for."""
    codes = query_open(_release(path), "select distinct territory_code from observations")
    return set(codes["territory_code"])


@st.cache_data(ttl=TTL, show_spinner=False)
def open_files(path: str) -> pd.DataFrame:
    """Every file of the open bundle (its path inside ``open/``: ``parquet/observations.parquet``)
    with its size in bytes; the top-level files first, then each folder's."""
    folder = _release(path).open_dir
    files = [p for p in folder.rglob("*") if p.is_file()]
    files.sort(key=lambda p: (len(p.relative_to(folder).parts), str(p.relative_to(folder))))
    rows = [{"file": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size} for p in files]
    return pd.DataFrame(rows, columns=["file", "bytes"])


def open_file(release: Release, name: str) -> Path:
    """A file of the open bundle by its path inside ``open/``; never a path outside it."""
    path = (release.open_dir / name).resolve()
    if release.open_dir.resolve() not in path.parents or not path.is_file():
        raise FileNotFoundError(name)
    return path


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


# --- restricted: scope enforced where the data is read ---------------------------------------


def scope_filter(
    scope: Scope,
    table: str,
    district_code: str | None = None,
    organization_id: str | None = None,
) -> tuple[str, list[str]]:
    """The ``where`` clause (and its parameters) that keeps ``table`` inside ``scope`` and, in
    it, the district or organization asked for; ScopeError when the request leaves the scope."""
    district_column, organization_column = SCOPE_COLUMNS.get(table, (None, None))
    clauses: list[str] = []
    params: list[str] = []
    if scope.role == "district":
        if district_column is None:
            raise ScopeError(f"{table} is not open to district accounts")
        if district_code not in (None, scope.district_code):
            raise ScopeError(f"district {district_code} is outside this account's district")
        district_code = scope.district_code
    elif scope.role == "school":
        if organization_column is None:
            raise ScopeError(f"{table} is not open to school accounts")
        if organization_id not in (None, scope.organization_id):
            raise ScopeError(f"organization {organization_id} is not this account's")
        if district_code is not None:
            raise ScopeError("school accounts read their organization only")
        organization_id = scope.organization_id
    if district_code is not None:
        if district_column is None:
            raise ScopeError(f"{table} has no district to filter on")
        clauses.append(f'"{district_column}" = ?')
        params.append(district_code)
    if organization_id is not None:
        if organization_column is None:
            raise ScopeError(f"{table} has no organization to filter on")
        clauses.append(f'"{organization_column}" = ?')
        params.append(organization_id)
    return (" and ".join(clauses) or "true"), params


def read_restricted(
    release: Release, table: str, where: str, params: Sequence[str]
) -> pd.DataFrame:
    """Rows of a restricted table (Parquet in ``restricted/``); empty when the release has none."""
    path = release.restricted_dir / f"{table}.parquet"
    if not path.exists():
        return pd.DataFrame()
    with duckdb.connect() as con:
        return con.execute(
            f"select * from read_parquet(?) where {where}", [str(path), *params]
        ).df()


@st.cache_data(ttl=TTL, show_spinner=False)
def restricted_rows(
    path: str,
    table: str,
    scope: Scope,
    district_code: str | None = None,
    organization_id: str | None = None,
) -> pd.DataFrame:
    """Rows of a restricted table inside ``scope``. The scope is an argument of the cached
    function, so one account's results are never served to another."""
    where, params = scope_filter(scope, table, district_code, organization_id)
    return read_restricted(_release(path), table, where, params)


def score_trend(releases: Path, scope: Scope, district_code: str | None = None) -> pd.DataFrame:
    """Each organization's score in every release (for the trend), inside ``scope``."""
    frames = []
    for release in all_releases(releases):
        rows = restricted_rows(str(release.path), "monitoring_organizations", scope, district_code)
        if not rows.empty:
            frames.append(rows.assign(release_id=release.release_id))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


# --- state forms (the `reports` package, on the release's form inputs) ----------------------

FORM_LANGUAGES = ("ru", "ky")  # every form is declared in Russian and Kyrgyz


@dataclass(frozen=True)
class FormChoice:
    """A declared state form as the ministry's page lists it."""

    form_id: str
    code: str  # ОШ-1, 85-К, ...
    title_ru: str
    title_ky: str
    reporting_date: str  # census | january_first | year_end


@dataclass(frozen=True)
class GeneratedForm:
    """A filled form: the workbook and what the page says about it."""

    content: bytes
    code: str
    scope_name: str
    as_of: dt.date
    snapshot_date: dt.date
    organizations: int
    checks: int
    failures: tuple[str, ...] = field(default_factory=tuple)


def form_language(lang: str) -> str:
    """The form's language for a UI language: Kyrgyz or Russian (English reads Russian)."""
    return lang if lang in FORM_LANGUAGES else "ru"


def form_ids() -> list[str]:
    """The state forms the `reports` package declares (osh-1, 85-k, ...); none without it."""
    try:
        from reports.declaration import form_ids as declared
    except ImportError:
        return []
    return declared()


@st.cache_data(ttl=TTL, show_spinner=False)
def form_choices() -> list[FormChoice]:
    from reports.declaration import load_form

    choices = []
    for form_id in form_ids():
        form = load_form(form_id)
        choices.append(
            FormChoice(form_id, form.code, form.title.ru, form.title.ky, form.reporting_date)
        )
    return choices


def default_form_date(form: FormChoice, snapshot_date: dt.date) -> dt.date:
    """The form's latest reporting date the release's export covers (as `emis report`)."""
    from reports.dates import default_as_of

    return default_as_of(form.reporting_date, snapshot_date)


def form_organizations(scope: Scope, release: Release) -> pd.DataFrame:
    """Every organization the form inputs know (closed ones too: a form can be for a past
    date), latest version: id, names, district, status. The ministry's only."""
    if scope.role != "ministry":
        raise ScopeError("state forms are generated by the ministry")
    if not release.form_inputs.is_file():
        return pd.DataFrame(columns=["organization_id", "district_code"])
    return _form_organizations(str(release.path))


@st.cache_data(ttl=TTL, show_spinner=False)
def _form_organizations(path: str) -> pd.DataFrame:
    with duckdb.connect(str(_release(path).form_inputs), read_only=True) as con:
        return con.execute(
            "select org_id as organization_id, name_ru as organization_name_ru, "
            "name_ky as organization_name_ky, district_code, status "
            "from snapshots.snp_emis__organizations "
            "qualify row_number() over (partition by org_id order by version_number desc) = 1 "
            "order by org_id"
        ).df()


def form_generator(release: Release) -> Callable[..., GeneratedForm] | None:
    """``(form_id, territory_code, as_of, organization_id=None, language="ru") ->
    GeneratedForm`` filling a form from the release's ``restricted/form_inputs.duckdb``
    (read-only, as `emis report` fills it from the warehouse); None when the release has no
    form inputs."""
    if not release.form_inputs.is_file():
        return None
    path = str(release.path)

    def generate(
        form_id: str,
        territory_code: str,
        as_of: dt.date | None,
        organization_id: str | None = None,
        language: str = "ru",
    ) -> GeneratedForm:
        return _fill_form(path, form_id, territory_code, as_of, organization_id, language)

    return generate


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=64)
def _fill_form(
    path: str,
    form_id: str,
    territory_code: str,
    as_of: dt.date | None,
    organization_id: str | None,
    language: str,
) -> GeneratedForm:
    from reports.extract import form_settings
    from reports.render import write_workbook
    from reports.report import build_report

    settings = form_settings(_release(path).form_inputs, load_settings().home)
    report = build_report(
        settings, form_id, territory=territory_code, organization=organization_id, as_of=as_of
    )
    with tempfile.TemporaryDirectory(prefix="emis-form-") as folder:
        content = write_workbook(report, Path(folder) / f"{form_id}.xlsx", language).read_bytes()
    return GeneratedForm(
        content=content,
        code=report.form.code,
        scope_name=report.scope.name.get(language),
        as_of=report.as_of,
        snapshot_date=report.snapshot_date,
        organizations=report.organizations,
        checks=len(report.checks),
        failures=tuple(check.describe() for check in report.failures),
    )


def generate_form(
    scope: Scope,
    release: Release,
    form_id: str,
    territory_code: str,
    as_of: dt.date | None = None,
    organization_id: str | None = None,
    language: str = "ru",
) -> GeneratedForm:
    """A state form as XLSX: the ministry's, for any territory (or organization) and date."""
    if scope.role != "ministry":
        raise ScopeError("state forms are generated by the ministry")
    generator = form_generator(release)
    if generator is None:
        raise FileNotFoundError(f"{release.form_inputs}: this release has no form inputs")
    return generator(form_id, territory_code, as_of, organization_id, form_language(language))


# --- downloads of what is shown -----------------------------------------------------------


def to_csv(frame: pd.DataFrame) -> bytes:
    # UTF-8 with a BOM: Excel opens Cyrillic correctly only then.
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


# --- the open bundle's guidance and school profiles ------------------------------------------

GUIDANCE_FILES = ("README.md", "data-guidance.md")


@st.cache_data(ttl=TTL, show_spinner=False)
def data_guidance(path: str) -> str:
    for name in GUIDANCE_FILES:
        file = _release(path).open_dir / name
        if file.is_file():
            return file.read_text(encoding="utf-8")
    return ""


@st.cache_data(ttl=TTL, show_spinner=False)
def has_school_profiles(path: str) -> bool:
    """Whether the open bundle publishes per-school report cards (``school_profiles``)."""
    tables = query_open(_release(path), "select table_name from duckdb_tables()")
    return "school_profiles" in set(tables["table_name"])


@st.cache_data(ttl=TTL, show_spinner=False)
def schools(path: str) -> pd.DataFrame:
    """One row per school of the published profiles: id, names (ru, ky), district, oblast,
    and the latest academic year it has a profile for."""
    return query_open(
        _release(path),
        "select organization_id, arg_max(organization_name_ru, academic_year) as "
        "organization_name_ru, arg_max(organization_name_ky, academic_year) as "
        "organization_name_ky, arg_max(district_code, academic_year) as district_code, "
        "arg_max(oblast_code, academic_year) as oblast_code, max(academic_year) as "
        "academic_year from school_profiles group by organization_id order by organization_id",
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def school_profile(path: str, organization_id: str) -> pd.DataFrame:
    """Every published row of one school's report card (all years): public attributes, and
    ``measure`` (learners by level, grade and sex; teachers by sex; facilities 1/0) with its
    ``value`` (persons rounded to base 5, 1-9 suppressed as ``c``) and ``symbol``."""
    return query_open(
        _release(path),
        "select * from school_profiles where organization_id = ? "
        "order by academic_year, measure, level, grade, sex",
        [organization_id],
    )
