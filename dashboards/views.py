"""What the pages show, as pure functions of the release's tables and the reader's choices.

Pages stay thin: they read widgets, call these, and draw the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd

from dashboards import i18n
from dashboards.data import BREAKDOWNS, SYMBOLS, TOTALS

MAX_BREAKDOWNS = 2
# Score parts of monitoring_organizations, in the order docs/monitoring.md gives them.
SCORE_PARTS = (
    "completeness_pct",
    "entered_within_7_days_pct",
    "attendance_reporting_rate",
    "validity_pct",
    "freshness_score",
)


@dataclass(frozen=True)
class Selection:
    """The explorer's view: one indicator, year, date, territory level and breakdowns."""

    indicator_id: str
    academic_year: str
    reference_date: str
    level: str  # national | oblast | district
    oblast_code: str | None = None  # districts of one oblast only
    breakdowns: tuple[str, ...] = ()


def dimensions(observations: pd.DataFrame) -> list[str]:
    """The breakdowns an indicator has: dimensions with a code other than the totals."""
    return [
        column
        for column in BREAKDOWNS
        if column in observations and not observations[column].isin(TOTALS).all()
    ]


def academic_years(observations: pd.DataFrame) -> list[str]:
    """Newest first."""
    return sorted(observations["academic_year"].dropna().unique(), reverse=True)


def reference_dates(observations: pd.DataFrame, academic_year: str) -> list[str]:
    """The dates of one year (months, quarters...), newest first, as ISO text."""
    rows = observations[observations["academic_year"] == academic_year]
    return sorted({_iso(day) for day in rows["reference_date"]}, reverse=True)


def _iso(day) -> str:
    return pd.Timestamp(day).date().isoformat()


def select_rows(observations: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The rows the selection shows: its breakdowns by category, every other dimension total."""
    rows = observations[
        (observations["academic_year"] == selection.academic_year)
        & (observations["geographic_level"] == selection.level)
    ]
    rows = rows[rows["reference_date"].astype(str).str[:10] == selection.reference_date]
    if selection.level == "district" and selection.oblast_code:
        rows = rows[rows["territory_code"].str.startswith(selection.oblast_code)]
    for column in BREAKDOWNS:
        if column in selection.breakdowns:
            rows = rows[~rows[column].isin(TOTALS)]
        else:
            rows = rows[rows[column].isin(TOTALS)]
    order = ["territory_code", *selection.breakdowns]
    return rows.sort_values(order, key=_natural).reset_index(drop=True)


def _natural(column: pd.Series) -> pd.Series:
    """Grades 1..11 in number order; everything else as text."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().all() else column


def table(
    rows: pd.DataFrame, selection: Selection, territories: pd.DataFrame, lang: str
) -> pd.DataFrame:
    """The table as shown (and downloaded): territory and breakdown names in ``lang``,
    the value with its symbol, and the numerator and denominator it comes from."""
    names = territories.set_index("territory_code")[f"name_{lang}"]
    shown = pd.DataFrame(
        {
            i18n.text("column.territory_code", lang): rows["territory_code"],
            i18n.text("column.territory", lang): rows["territory_code"].map(names),
        }
    )
    for column in selection.breakdowns:
        shown[i18n.dimension_label(column, lang)] = [
            i18n.code_label(column, code, lang) for code in rows[column]
        ]
    unit = rows["unit"].iloc[0] if not rows.empty else "count"
    shown[i18n.text("column.value", lang)] = pd.to_numeric(rows["value"]).round(value_digits(unit))
    shown[i18n.text("column.symbol", lang)] = rows.get("symbol", pd.Series(dtype=str)).fillna("")
    if unit not in ("count", "fte"):
        # A count is its own numerator; a ratio is shown with what it is made of.
        shown[i18n.text("column.numerator", lang)] = pd.to_numeric(rows["numerator"])
        shown[i18n.text("column.denominator", lang)] = pd.to_numeric(rows["denominator"])
    return shown.reset_index(drop=True)


def chart_frame(
    shown: pd.DataFrame, selection: Selection, lang: str
) -> tuple[pd.DataFrame, str, str | None]:
    """(frame, x column, colour column) for the chart of a :func:`table`: territories along x
    when comparing territories, else the first breakdown; the next breakdown as colour.
    Suppressed cells have no bar (their value is empty)."""
    frame = shown.copy()
    labels = [i18n.dimension_label(c, lang) for c in selection.breakdowns]
    territory = i18n.text("column.territory", lang)
    if selection.level == "national" and labels:
        return frame, labels[0], (labels[1] if len(labels) > 1 else None)
    if len(labels) > 1:
        # Territories along x leave one colour for two breakdowns: name both in it.
        combined = " · ".join(labels)
        frame[combined] = [" · ".join(v) for v in frame[labels].astype(str).itertuples(index=False)]
        return frame, territory, combined
    return frame, territory, (labels[0] if labels else None)


def symbols_used(rows: pd.DataFrame) -> list[str]:
    if "symbol" not in rows:
        return []
    present = set(rows["symbol"].dropna())
    return [symbol for symbol in SYMBOLS if symbol in present]


def indicator_label(indicators: pd.DataFrame, indicator_id: str, lang: str) -> str:
    rows = indicators[indicators["indicator_id"] == indicator_id]
    if rows.empty:
        return indicator_id
    return i18n.localized(rows.iloc[0], "name", lang) or indicator_id


def value_digits(unit: str) -> int:
    """The decimals a reader sees: counts whole; percents, ratios and full-time equivalents
    with one; indices (the parity index) with two. The open data keep four."""
    return {"count": 0, "fte": 1, "percent": 1, "ratio": 1, "index": 2}.get(unit, 2)


def format_value(value, unit: str) -> str:
    """A value as a reader sees it (:func:`value_digits`), digits grouped."""
    if value is None or pd.isna(value):
        return "—"
    digits = value_digits(unit)
    text = f"{float(value):,.{digits}f}".replace(",", "\u202f")  # thin space groups digits
    return f"{text} %" if unit == "percent" else text


@dataclass(frozen=True)
class Headline:
    indicator_id: str
    academic_year: str
    value: float | None
    symbol: str | None
    previous_year: str | None
    change: float | None
    unit: str


def headlines(totals: pd.DataFrame, indicator_ids: list[str]) -> list[Headline]:
    """Each indicator's latest total with the change from the previous academic year (at the
    same point of the year: the latest reference date of each year)."""
    found = []
    for indicator_id in indicator_ids:
        rows = totals[totals["indicator_id"] == indicator_id]
        if rows.empty:
            continue
        last_of_year = rows.sort_values("reference_date").groupby("academic_year").tail(1)
        by_year = last_of_year.sort_values("academic_year", ascending=False)
        latest = by_year.iloc[0]
        previous = by_year.iloc[1] if len(by_year) > 1 else None
        value = _number(latest["value"])
        before = None if previous is None else _number(previous["value"])
        found.append(
            Headline(
                indicator_id=indicator_id,
                academic_year=latest["academic_year"],
                value=value,
                symbol=latest.get("symbol") if pd.notna(latest.get("symbol")) else None,
                previous_year=None if previous is None else previous["academic_year"],
                change=None if value is None or before is None else value - before,
                unit=latest["unit"],
            )
        )
    return found


def format_change(change: float | None, unit: str) -> str:
    """A change from last year: a share moves in percentage points, so no % sign."""
    if change is None:
        return ""
    return format_value(change, "ratio" if unit == "percent" else unit)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def profile(totals: pd.DataFrame, indicators: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A territory's figures: every indicator's latest total, named in ``lang``."""
    items = headlines(totals, list(indicators["indicator_id"]))
    return pd.DataFrame(
        {
            i18n.text("column.indicator", lang): [
                indicator_label(indicators, h.indicator_id, lang) for h in items
            ],
            i18n.text("column.year", lang): [h.academic_year for h in items],
            i18n.text("column.value", lang): [format_value(h.value, h.unit) for h in items],
            i18n.text("column.symbol", lang): [h.symbol or "" for h in items],
            i18n.text("column.change", lang): [format_change(h.change, h.unit) for h in items],
        }
    )


# --- monitoring -----------------------------------------------------------------------------


def ranked_schools(
    organizations: pd.DataFrame, issues: pd.DataFrame, lang: str = i18n.DEFAULT_LANG
) -> pd.DataFrame:
    """A district's organizations, best score first, with the parts of each score and how
    many issues each has to fix."""
    if organizations.empty:
        return organizations
    organizations = organizations.assign(organization_name=organization_name(organizations, lang))
    columns = ["rank_in_district", "organization_id", "organization_name", "organization_type",
               "score", *SCORE_PARTS]  # fmt: skip
    present = [c for c in columns if c in organizations]
    ranked = organizations.sort_values(["rank_in_district", "organization_id"])[present]
    counts = issues.groupby("organization_id").size() if not issues.empty else pd.Series()
    issue_count = ranked["organization_id"].map(counts).fillna(0).astype(int)
    if "organization_type" in ranked:
        ranked = ranked.assign(
            organization_type=[
                i18n.code_label("org_type", code, lang) for code in ranked["organization_type"]
            ]
        )
    return ranked.assign(issues=issue_count).reset_index(drop=True)


def organization_name(frame: pd.DataFrame, lang: str) -> pd.Series:
    """Each organization's official name in ``lang``: the Kyrgyz name where the register has
    one (Russian otherwise); Russian for Russian and English (official names are not
    translated). Empty where the table has no names."""
    missing = pd.Series("", index=frame.index, dtype=object)
    russian = frame.get("organization_name_ru", missing).fillna("")
    if lang == "ky" and "organization_name_ky" in frame:
        kyrgyz = frame["organization_name_ky"].fillna("")
        return kyrgyz.where(kyrgyz != "", russian)
    return russian


def organization_label(name: str | None, organization_id: str) -> str:
    """``name (id)``, or the id alone when the name is unknown."""
    return f"{name} ({organization_id})" if name else organization_id


def organization_labels(frame: pd.DataFrame, lang: str) -> dict[str, str]:
    """organization_id -> ``name (id)`` in ``lang``, for pickers."""
    names = organization_name(frame, lang)
    return {
        code: organization_label(name, code)
        for code, name in zip(frame["organization_id"], names, strict=True)
    }


def score_parts(organization: pd.Series) -> pd.DataFrame:
    """(part, value) of one organization's score; a part it does not have is left out."""
    rows = [
        {"part": part, "value": float(organization[part])}
        for part in SCORE_PARTS
        if part in organization and pd.notna(organization[part])
    ]
    return pd.DataFrame(rows, columns=["part", "value"])


def trend(history: pd.DataFrame, organization_ids: list[str] | None = None) -> pd.DataFrame:
    """Score by release (snapshot date) per organization, for a line chart."""
    if history.empty:
        return history
    rows = (
        history
        if organization_ids is None
        else history[history["organization_id"].isin(organization_ids)]
    )
    date = "snapshot_date" if "snapshot_date" in rows else "release_id"
    return rows[["organization_id", date, "score"]].rename(columns={date: "as_of"})


def issue_list(issues: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One school's issues as sent to it: record ids and rules, never names."""
    columns = ["register", "record_id", "rule_id", "severity", "detected_at"]
    present = [c for c in columns if c in issues]
    shown = issues.sort_values(present[:3])[present].reset_index(drop=True) if present else issues
    if "severity" in shown:
        shown = shown.assign(
            severity=[i18n.code_label("severity", s, lang) for s in shown["severity"]]
        )
    return shown.rename(columns={c: i18n.text(f"column.{c}", lang) for c in present})


def issue_counts(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues by rule and severity, most frequent first (the ministry's quality overview)."""
    if issues.empty:
        return pd.DataFrame(columns=["rule", "severity", "records"])
    rule = "rule" if "rule" in issues else "rule_id"
    return (
        issues.groupby([rule, "severity"], as_index=False)
        .size()
        .rename(columns={rule: "rule", "size": "records"})
        .sort_values("records", ascending=False)
        .reset_index(drop=True)
    )


def url_params(selection: Selection) -> dict[str, str | list[str] | None]:
    """The explorer's URL parameters for a selection (empty ones dropped from the URL)."""
    return {
        "explorer_indicator": selection.indicator_id,
        "explorer_year": selection.academic_year,
        "explorer_date": selection.reference_date,
        "explorer_level": selection.level,
        "explorer_oblast": selection.oblast_code,
        "explorer_by": list(selection.breakdowns),
    }


def permalink_query(selection: Selection, lang: str) -> str:
    """The query string that restores an explorer view."""
    params = {"lang": lang, **url_params(selection)}
    return urlencode({k: v for k, v in params.items() if v}, doseq=True)


def file_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def territory_option(territories: pd.DataFrame, code: str, lang: str) -> str:
    row = territories[territories["territory_code"] == code]
    return code if row.empty else f"{row.iloc[0][f'name_{lang}']} ({code})"


def demote_headings(markdown: str, levels: int = 2) -> str:
    """Markdown with every heading ``levels`` deeper (a document shown inside a page: its
    ``#`` title must not outrank the page's own)."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" * levels + line
        lines.append(line)
    return "\n".join(lines)


def duckdb_example(open_dir) -> str:
    """Python that queries the downloaded files with DuckDB (copyable from the page)."""
    return (
        "import duckdb\n\n"
        "# open.duckdb: the whole open bundle in one file (read-only)\n"
        'con = duckdb.connect("open.duckdb", read_only=True)\n'
        'con.sql("""\n'
        "    select territory_code, academic_year, value, symbol\n"
        "    from observations\n"
        "    where indicator_id = 'ger' and geographic_level = 'oblast'\n"
        "      and sex = '_T' and level = 'primary'\n"
        "    order by territory_code\n"
        '""").show()\n\n'
        "# or straight from the Parquet file, no database needed\n"
        "duckdb.sql(\n"
        "    \"select indicator_id, count(*) from 'parquet/observations.parquet' group by 1\"\n"
        ").show()\n"
    )


def duckdb_cli_example() -> str:
    return (
        "-- duckdb open.duckdb\n"
        "select i.name_en, o.value\n"
        "from observations o join indicators i using (indicator_id)\n"
        "where o.geographic_level = 'national' and o.sex = '_T' and o.symbol is null\n"
        "limit 20;\n"
    )


def api_curl_example(base: str) -> str:
    """One indicator from the open data API as CSV (copyable from the page)."""
    return (
        "curl -H 'Accept: text/csv' \\\n"
        f"  '{base}/api/v1/observations?indicator=learners&level=oblast&breakdown=sex'\n"
    )


def api_python_example(base: str) -> str:
    return (
        "import pandas as pd\n\n"
        "# the gross enrolment ratio of every district, by sex, as a table\n"
        f'url = ("{base}/api/v1/observations"\n'
        '       "?indicator=ger&level=district&breakdown=sex&format=csv")\n'
        "ger = pd.read_csv(url)  # value is empty where a symbol (c, z, x, low, u) stands\n\n"
        "# the same figures for SDMX software (pysdmx, sdmx1, .Stat): SDMX REST 2.0\n"
        f'sdmx = "{base}/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0/ger.*.*.district.*.F+M........."\n'
        "print(pd.read_csv(sdmx).head())\n"
    )


# --- release notes --------------------------------------------------------------------------

CHANGE_KINDS = ("added", "changed", "removed")
NOTES_TOP_INDICATORS = 10


def release_notes(
    info: dict,
    changes: pd.DataFrame,
    indicators: pd.DataFrame,
    lang: str,
    previous_release: str | None = None,
) -> list[str]:
    """What is new in a release, as Markdown paragraphs, from its record (``release.json``)
    and its changelog: the export it is made of, what changed since ``previous_release``
    (by indicator, most changes first), what disclosure control hid, and any blocking quality
    issues published by a person's decision, with their reason."""
    notes = [
        i18n.text(
            "notes.snapshot",
            lang,
            date=info.get("snapshot_date") or "—",
            year=info.get("academic_year") or "—",
        )
    ]
    if previous_release is None:
        notes.append(i18n.text("notes.first", lang))
    elif changes.empty:
        notes.append(i18n.text("notes.unchanged", lang, previous=previous_release))
    else:
        counts = changes["change"].value_counts()
        notes.append(
            i18n.text(
                "notes.changed",
                lang,
                previous=previous_release,
                total=_count(len(changes)),
                **{kind: _count(counts.get(kind, 0)) for kind in CHANGE_KINDS},
            )
        )
        by_indicator = changes.groupby(["indicator_id", "change"]).size().unstack(fill_value=0)
        by_indicator = by_indicator.loc[
            by_indicator.sum(axis=1).sort_values(ascending=False, kind="stable").index
        ]
        items = []
        for indicator_id, row in by_indicator.head(NOTES_TOP_INDICATORS).iterrows():
            parts = ", ".join(
                f"{i18n.text(f'notes.kind_{kind}', lang)} {_count(row[kind])}"
                for kind in CHANGE_KINDS
                if row.get(kind)
            )
            items.append(f"- {indicator_label(indicators, indicator_id, lang)}: {parts}")
        if len(by_indicator) > NOTES_TOP_INDICATORS:
            more = len(by_indicator) - NOTES_TOP_INDICATORS
            items.append(f"- {i18n.text('notes.more', lang, n=more)}")
        notes.append("\n".join(items))
    disclosure = info.get("disclosure") or {}
    if disclosure.get("observations"):
        hidden = int(disclosure.get("suppressed_primary", 0)) + int(
            disclosure.get("suppressed_secondary", 0)
        )
        notes.append(
            i18n.text(
                "notes.disclosure",
                lang,
                observations=_count(disclosure["observations"]),
                suppressed=_count(hidden),
            )
        )
    if info.get("blocking_accepted"):
        issues = info.get("blocking_issues") or {}
        listed = "; ".join(f"`{rule}`: {_count(records)}" for rule, records in issues.items())
        notes.append(
            i18n.text(
                "notes.blocking_accepted",
                lang,
                issues=listed or "—",
                reason=info["blocking_accepted"],
            )
        )
    return notes


def _count(number) -> str:
    """A whole number with thin spaces between thousands, as the figures are shown."""
    return format_value(int(number), "count")


# --- school profiles ------------------------------------------------------------------------

FACILITIES = (
    "has_electricity",
    "has_drinking_water",
    "has_single_sex_toilets",
    "has_handwashing",
    "has_internet",
    "has_computers",
    "is_adapted",
)
SCHOOL_SEXES = ("F", "M")


def school_years(profile: pd.DataFrame) -> list[str]:
    """The academic years a school has a report card for, newest first."""
    return sorted(profile["academic_year"].dropna().unique(), reverse=True)


def cell_text(value, symbol) -> str:
    """A published count as shown: its symbol where one stands (the value is empty there)."""
    if isinstance(symbol, str) and symbol:
        return symbol
    if value is None or pd.isna(value):
        return "—"
    return format_value(value, "count")


def school_attributes(profile: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A school's public attributes (type, ownership, locality, languages of instruction)
    as (attribute, value) rows named in ``lang``."""
    if profile.empty:
        return pd.DataFrame(columns=["attribute", "value"])
    row = profile.iloc[0]
    languages = [
        i18n.code_label("language", code.strip(), lang)
        for code in str(row.get("languages") or "").replace(",", ";").split(";")
        if code.strip()
    ]
    rows = [
        (i18n.text("school.type", lang),
         i18n.code_label("org_type", row["organization_type"], lang)),
        (i18n.dimension_label("ownership", lang),
         i18n.code_label("ownership", row["ownership"], lang)),
        (i18n.dimension_label("locality", lang),
         i18n.code_label("locality", row["locality"], lang)),
        (i18n.text("school.languages", lang), ", ".join(languages) or "—"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["attribute", "value"])


def _level_order(level: str) -> int:
    order = list(i18n.codes().get("level", {}))
    return order.index(level) if level in order else len(order)


def _grade_number(grade: str) -> float:
    number = pd.to_numeric(pd.Series([grade]), errors="coerce").iloc[0]
    return float("inf") if pd.isna(number) else float(number)


def grade_label(level: str, grade: str, lang: str) -> str:
    """School grades as grades ("Grade 5"); a preschool group or a year of study with its
    level ("Bachelor 2")."""
    if level in ("primary", "basic", "secondary"):
        return i18n.code_label("grade", grade, lang)
    return f"{i18n.code_label('level', level, lang)} {grade}"


def school_learners(profile: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Learners by level and grade (rows) and sex (columns), each cell its rounded count or
    its symbol (``c``: 1-9 learners), in ``lang``."""
    rows = profile[profile["measure"] == "learners"]
    level, grade = i18n.dimension_label("level", lang), i18n.text("school.grade_or_year", lang)
    sexes = [i18n.code_label("sex", sex, lang) for sex in SCHOOL_SEXES]
    if rows.empty:
        return pd.DataFrame(columns=[level, grade, *sexes])
    keys = sorted(
        {(r.level, r.grade) for r in rows.itertuples()},
        key=lambda key: (_level_order(key[0]), _grade_number(key[1]), key[1]),
    )
    cells = {(r.level, r.grade, r.sex): cell_text(r.value, r.symbol) for r in rows.itertuples()}
    return pd.DataFrame(
        [
            {
                level: i18n.code_label("level", code, lang),
                grade: number,
                **{
                    name: cells.get((code, number, sex), "—")
                    for sex, name in zip(SCHOOL_SEXES, sexes, strict=True)
                },
            }
            for code, number in keys
        ],
        columns=[level, grade, *sexes],
    )


def school_learners_chart(profile: pd.DataFrame, lang: str) -> pd.DataFrame:
    """(grade, sex, value) of the learners for a grouped bar chart; suppressed cells have no
    value (no bar)."""
    rows = profile[profile["measure"] == "learners"].copy()
    rows["order"] = [(_level_order(r.level), _grade_number(r.grade)) for r in rows.itertuples()]
    rows = rows.sort_values(["order", "sex"])
    return pd.DataFrame(
        {
            "grade": [grade_label(r.level, r.grade, lang) for r in rows.itertuples()],
            "sex": [i18n.code_label("sex", sex, lang) for sex in rows["sex"]],
            "value": pd.to_numeric(rows["value"], errors="coerce").astype("float64"),
        }
    ).reset_index(drop=True)


def school_teachers(profile: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Teachers by sex: one row, each cell its rounded count or its symbol."""
    rows = profile[profile["measure"] == "teachers"]
    cells = {r.sex: cell_text(r.value, r.symbol) for r in rows.itertuples()}
    return pd.DataFrame(
        [{i18n.code_label("sex", sex, lang): cells.get(sex, "—") for sex in SCHOOL_SEXES}]
    )


def school_facilities(profile: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The SDG 4.a.1 facilities (electricity, water, toilets, ...): yes or no, in ``lang``;
    a facility the survey did not report is left out."""
    rows = profile[profile["measure"].isin(FACILITIES)].set_index("measure")
    facility, present = i18n.text("school.facility", lang), i18n.text("school.present", lang)
    shown = []
    for measure in FACILITIES:
        if measure not in rows.index:
            continue
        row = rows.loc[measure]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        value, symbol = row["value"], row.get("symbol")
        if (isinstance(symbol, str) and symbol) or pd.isna(value):
            answer = cell_text(value, symbol)
        else:
            answer = i18n.text("school.yes" if int(value) else "school.no", lang)
        shown.append({facility: i18n.code_label("facility", measure, lang), present: answer})
    return pd.DataFrame(shown, columns=[facility, present])
