"""Form declarations: a state report form as data (``reports/forms/<id>.yml``).

A form has titled sections; a section has numbered rows and columns, each with a code and a
label in Kyrgyz and Russian. A cell counts a metric (``reports/metrics.py``) over the facts that
meet both its row's and its column's filter. Control ratios are written as statisticians
write them (``reports/ratios.py``). When the official blank changes, the declaration changes,
not the code.

Filters map a dimension to a value, a list of values (``null`` for missing), or a range::

    filter: {sex: F, grade: {from: 1, to: 4}, class_type: [regular, null]}
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from reports import ratios as ratio_rules

FORMS_DIR = Path(__file__).resolve().parent / "forms"
# libyaml's parser when PyYAML has it: the same documents, 0.19 s -> 0.02 s for the forms
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LANGUAGES = ("ru", "ky")
REPORTING_DATES = ("census", "january_first", "year_end")
PERIODS = ("twelve_months", "calendar_year")
_YEAR = re.compile(r"\{year([+-]\d+)?\}")


class DeclarationError(ValueError):
    """A form declaration that does not hold together."""


@dataclass(frozen=True)
class Text:
    """A label in Kyrgyz and Russian; ``{year}`` / ``{year-7}`` stand for the reporting year."""

    ru: str
    ky: str

    def get(self, language: str, year: int | None = None) -> str:
        text = getattr(self, language)
        if year is None:
            return text
        return _YEAR.sub(lambda m: str(year + int(m.group(1) or 0)), text)


@dataclass(frozen=True)
class Condition:
    """One dimension's test: a set of values (None = missing) or a closed range."""

    dim: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None

    def mask(self, column: pd.Series) -> pd.Series:
        if self.values is not None:
            present = [value for value in self.values if value is not None]
            mask = column.isin(present)
            if None in self.values:
                mask |= column.isna()
            return mask
        numbers = pd.to_numeric(column, errors="coerce")
        mask = numbers.notna()
        if self.low is not None:
            mask &= numbers >= self.low
        if self.high is not None:
            mask &= numbers <= self.high
        return mask


@dataclass(frozen=True)
class Column:
    code: str
    label: Text
    filter: tuple[Condition, ...] = ()
    metric: str | None = None
    group: Text | None = None  # a heading over consecutive columns ("из них", "в том числе")
    symbol: str | None = None  # the column cannot be filled: every cell shows this symbol


@dataclass(frozen=True)
class Row:
    code: str
    label: Text
    filter: tuple[Condition, ...] = ()
    metric: str | None = None
    blank: frozenset[str] = frozenset()  # columns that do not apply to this row (X)
    indent: int = 0
    bold: bool = False
    symbol: str | None = None  # the row cannot be filled: every cell shows this symbol


@dataclass(frozen=True)
class Section:
    number: str
    title: Text
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    metric: str | None = None
    filter: tuple[Condition, ...] = ()  # applies to every cell of the section
    unit: Text | None = None
    ratios: tuple[str, ...] = ()
    notes: tuple[Text, ...] = ()  # printed under the table: sources, cells left empty and why

    @property
    def layout(self) -> ratio_rules.Layout:
        return ratio_rules.Layout(
            tuple(row.code for row in self.rows), tuple(col.code for col in self.columns)
        )


@dataclass(frozen=True)
class Cell:
    section: str
    row: str
    col: str
    metric: str | None
    filter: tuple[Condition, ...]
    blank: bool = False  # does not apply (X on the blank) or cannot be filled (its symbol)
    symbol: str = "X"


@dataclass(frozen=True)
class Form:
    id: str
    code: str
    title: Text
    reporting_date: str  # census | january_first | year_end
    sectors: tuple[str, ...]
    sections: tuple[Section, ...]
    operating_only: bool = True
    period: str | None = None  # movement counted over twelve_months | calendar_year
    periodicity: Text = Text("годовая", "жылдык")
    submitted_by: Text | None = None
    organizations_label: Text | None = None
    ratios: tuple[str, ...] = ()  # between sections
    notes: tuple[Text, ...] = field(default=())
    # The title sheet's heading and the layout's provenance; by default those of a state form.
    header: Text | None = None
    layout_note: Text | None = None
    # A state statistical form (heads of organizations certify theirs); false for
    # international questionnaires such as UIS's, which the ministry fills from the registers.
    is_state_form: bool = True

    def section(self, number: str) -> Section:
        for section in self.sections:
            if section.number == number:
                return section
        raise KeyError(number)

    @property
    def layouts(self) -> dict[str, ratio_rules.Layout]:
        return {section.number: section.layout for section in self.sections}

    def cells(self) -> Iterator[Cell]:
        for section in self.sections:
            for row in section.rows:
                for col in section.columns:
                    symbol = row.symbol or col.symbol
                    blank = col.code in row.blank or symbol is not None
                    metric = None if blank else _metric(section, row, col)
                    conditions = section.filter + row.filter + col.filter
                    yield Cell(
                        section.number, row.code, col.code, metric, conditions, blank,
                        symbol or "X",
                    )  # fmt: skip

    def control_ratios(self) -> list[tuple[str, str, ratio_rules.Ratio]]:
        """(number, section, ratio) in declaration order; the form's own have section ''."""
        declared = [(s.number, text) for s in self.sections for text in s.ratios]
        declared += [("", text) for text in self.ratios]
        return [
            (str(number), section, ratio_rules.parse(text))
            for number, (section, text) in enumerate(declared, start=1)
        ]


def _metric(section: Section, row: Row, col: Column) -> str | None:
    if row.metric and col.metric and row.metric != col.metric:
        raise DeclarationError(
            f"section {section.number} row {row.code} column {col.code}: the row counts "
            f"{row.metric}, the column {col.metric}"
        )
    return row.metric or col.metric or section.metric


def form_ids() -> list[str]:
    return sorted(path.stem for path in FORMS_DIR.glob("*.yml"))


@cache
def load_form(form_id: str) -> Form:
    """The declaration ``reports/forms/<form_id>.yml``, checked (see :func:`validate`)."""
    from reports.metrics import METRICS, dims_of

    path = FORMS_DIR / f"{form_id}.yml"
    if not path.exists():
        raise DeclarationError(f"no form {form_id!r} (forms: {', '.join(form_ids())})")
    form = parse_form(yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER))
    validate(form, {name: dims_of(name) for name in METRICS})
    return form


def parse_form(data: Mapping) -> Form:
    """A :class:`Form` from a declaration's YAML content."""
    try:
        form = Form(
            id=str(data["id"]),
            code=str(data["code"]),
            title=_text(data["title"]),
            reporting_date=data["reporting_date"],
            period=data.get("period"),
            sectors=tuple(data.get("organizations", {}).get("sectors", ())),
            operating_only=bool(data.get("organizations", {}).get("operating_only", True)),
            periodicity=_text(data.get("periodicity", {"ru": "годовая", "ky": "жылдык"})),
            submitted_by=_text(data["submitted_by"]) if "submitted_by" in data else None,
            organizations_label=_text(data["organizations"]["label"])
            if "label" in data.get("organizations", {})
            else None,
            sections=tuple(_section(item) for item in data["sections"]),
            ratios=tuple(data.get("ratios", ())),
            notes=tuple(_text(note) for note in data.get("notes", ())),
            header=_text(data["header"]) if "header" in data else None,
            layout_note=_text(data["layout_note"]) if "layout_note" in data else None,
            is_state_form=bool(data.get("state_form", True)),
        )
    except (KeyError, TypeError, DeclarationError) as error:
        raise DeclarationError(f"form {data.get('id', '?')}: malformed ({error})") from error
    return form


def _text(value) -> Text:
    """A label: both languages, nothing else (an unquoted comma in YAML would split it)."""
    if not isinstance(value, Mapping) or set(value) != set(LANGUAGES):
        raise DeclarationError(f"a label has exactly 'ru' and 'ky' texts, not {value!r}")
    return Text(str(value["ru"]), str(value["ky"]))


def _section(data: Mapping) -> Section:
    return Section(
        number=str(data["number"]),
        title=_text(data["title"]),
        unit=_text(data["unit"]) if "unit" in data else None,
        metric=data.get("metric"),
        filter=_filter(data.get("filter")),
        rows=tuple(
            Row(
                code=str(item["code"]),
                label=_text(item["label"]),
                filter=_filter(item.get("filter")),
                metric=item.get("metric"),
                blank=frozenset(str(code) for code in item.get("blank", ())),
                indent=int(item.get("indent", 0)),
                bold=bool(item.get("bold", False)),
                symbol=_symbol(item),
            )
            for item in data["rows"]
        ),
        columns=tuple(
            Column(
                code=str(item["code"]),
                label=_text(item["label"]),
                filter=_filter(item.get("filter")),
                metric=item.get("metric"),
                group=_text(item["group"]) if "group" in item else None,
                symbol=_symbol(item),
            )
            for item in data["columns"]
        ),
        ratios=tuple(data.get("ratios", ())),
        notes=tuple(_text(note) for note in data.get("notes", ())),
    )


def _symbol(item: Mapping) -> str | None:
    """A row's or column's symbol for cells the registers cannot fill (UIS: ``m`` missing,
    ``a`` not applicable, ``xr``/``xc`` included in another row/column)."""
    if "symbol" not in item:
        return None
    symbol = str(item["symbol"]).strip()
    if not symbol or len(symbol) > 3:
        raise DeclarationError(f"a symbol is 1-3 characters, not {item['symbol']!r}")
    return symbol


def _filter(data: Mapping | None) -> tuple[Condition, ...]:
    conditions = []
    for dim, test in (data or {}).items():
        if isinstance(test, Mapping):
            unknown = set(test) - {"from", "to"}
            if unknown:
                raise DeclarationError(f"filter on {dim}: a range has 'from' and 'to' only")
            conditions.append(Condition(dim, low=test.get("from"), high=test.get("to")))
        elif isinstance(test, list):
            conditions.append(Condition(dim, values=tuple(test)))
        else:
            conditions.append(Condition(dim, values=(test,)))
    return tuple(conditions)


def validate(form: Form, dims: Mapping[str, frozenset[str]]) -> None:
    """Raise :class:`DeclarationError` unless every part of ``form`` holds together: codes
    unique, every cell's metric known and filtered on its own dimensions, every control ratio
    readable and naming cells the form has."""
    where = f"form {form.id}"
    if form.reporting_date not in REPORTING_DATES:
        raise DeclarationError(f"{where}: reporting_date is one of {', '.join(REPORTING_DATES)}")
    if form.period is not None and form.period not in PERIODS:
        raise DeclarationError(f"{where}: period is one of {', '.join(PERIODS)}")
    _unique([s.number for s in form.sections], f"{where}: section numbers")
    for section in form.sections:
        _unique([r.code for r in section.rows], f"{where} section {section.number}: row codes")
        _unique([c.code for c in section.columns], f"{where} section {section.number}: columns")
        for row in section.rows:
            stray = row.blank - {col.code for col in section.columns}
            if stray:
                raise DeclarationError(
                    f"{where} section {section.number} row {row.code}: blank names no column "
                    f"{sorted(stray)}"
                )
    for cell in form.cells():
        place = f"{where} section {cell.section} row {cell.row} column {cell.col}"
        if cell.blank:
            continue
        if cell.metric is None:
            raise DeclarationError(f"{place}: no metric")
        if cell.metric not in dims:
            raise DeclarationError(f"{place}: unknown metric {cell.metric!r}")
        stray = {c.dim for c in cell.filter} - dims[cell.metric]
        if stray:
            raise DeclarationError(
                f"{place}: {cell.metric} has no dimension {sorted(stray)} "
                f"(it has {', '.join(sorted(dims[cell.metric]))})"
            )
    zeros = {(cell.section, cell.row, cell.col): 0.0 for cell in form.cells()}
    try:
        for number, section, ratio in form.control_ratios():
            ratio_rules.evaluate(ratio, number, section, form.layouts, zeros)
    except ratio_rules.RatioError as error:
        raise DeclarationError(f"{where}: control ratio {error}") from error


def _unique(codes: list[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise DeclarationError(f"{what}: {code} twice")
        seen.add(code)


def metrics_used(form: Form) -> dict[str, set[str]]:
    """metric -> the dimensions its cells filter on."""
    used: dict[str, set[str]] = {}
    for cell in form.cells():
        if cell.metric is not None:
            used.setdefault(cell.metric, set()).update(c.dim for c in cell.filter)
    return used
