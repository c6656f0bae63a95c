"""Control ratios written the way statisticians write them, parsed and checked on a filled form.

A ratio compares two sums of cell references::

    стр. 12 = сумма стр. 01–11            every column of the section
    гр. 3 ≤ гр. 2                          every row
    гр. 2 = сумма гр. 3–5 по стр. 01–11    those rows only
    разд. 3 стр. 08 гр. 2 = разд. 2 стр. 12 гр. 2
    стр. 01 = стр. 02 + стр. 03 - стр. 04

A reference names a section (``разд.``, default: the section the ratio is declared in), a row
(``стр.``) and a column (``гр.``). What no reference of a ratio names is checked for each of its
values: a ratio of rows holds in every column. ``сумма`` adds a range of rows or columns, taken
in the order the form declares them. Cells that do not apply (``X`` on the blank) count as
nothing inside a ``сумма``; a check that names one directly is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

OPERATORS = {
    "=": lambda left, right: abs(left - right) <= TOLERANCE,
    "≤": lambda left, right: left <= right + TOLERANCE,
    "≥": lambda left, right: left + TOLERANCE >= right,
    "<": lambda left, right: left < right - TOLERANCE,
    ">": lambda left, right: left > right + TOLERANCE,
}
TOLERANCE = 1e-6  # sums of FTE rates are decimals; counts are exact either way
NEGATION = {"=": "≠", "≤": ">", "≥": "<", "<": "≥", ">": "≤"}

_CODE = r"[0-9]+[A-Za-zА-Яа-я]?"
_TOKENS = re.compile(
    rf"""\s*(?:
        (?P<section>разд\.\s*(?P<section_no>\d+))
      | (?P<row>стр\.\s*(?P<row_from>{_CODE})(?:(?:\s*[–—]\s*|-)(?P<row_to>{_CODE}))?)
      | (?P<col>гр\.\s*(?P<col_from>{_CODE})(?:(?:\s*[–—]\s*|-)(?P<col_to>{_CODE}))?)
      | (?P<sum>сумма)
      | (?P<over>по)
      | (?P<op><=|>=|[=≤≥<>])
      | (?P<plus>\+)
      | (?P<minus>[-−–])
    )""",
    re.VERBOSE,
)


class RatioError(ValueError):
    """A control ratio that cannot be read, or names cells the form does not have."""


@dataclass(frozen=True)
class Ref:
    """Cells of one section: a row (or range of rows) and/or a column (or range)."""

    section: str | None = None
    rows: tuple[str, str] | None = None  # (first, last); a single row is (code, code)
    cols: tuple[str, str] | None = None


@dataclass(frozen=True)
class Term:
    sign: int  # +1 or -1
    ref: Ref


@dataclass(frozen=True)
class Ratio:
    text: str
    left: tuple[Term, ...]
    op: str
    right: tuple[Term, ...]
    over_rows: tuple[str, str] | None = None  # "по стр. 01–11": check only these rows
    over_cols: tuple[str, str] | None = None

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.left + self.right

    @property
    def rows_free(self) -> bool:
        return all(term.ref.rows is None for term in self.terms)

    @property
    def cols_free(self) -> bool:
        return all(term.ref.cols is None for term in self.terms)


@dataclass(frozen=True)
class Layout:
    """Row and column codes of one section, in the order the form declares them."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    """One instance of a ratio on a filled form: which cells, what each side came to."""

    ratio_id: str
    section: str  # the section the ratio is declared in ("" for the form's own ratios)
    text: str
    where: str  # the free row/column, e.g. "гр. 3"; "" when the ratio names every cell
    left: float
    right: float
    op: str
    passed: bool

    def describe(self) -> str:
        place = f"разд. {self.section}: " if self.section else ""
        at = f" [{self.where}]" if self.where else ""
        shown = f"{_number(self.left)} {NEGATION[self.op]} {_number(self.right)}"
        return f"{self.ratio_id}. {place}{self.text}{at}: {shown}"


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") if value == int(value) else f"{value:,.2f}"


def parse(text: str) -> Ratio:
    """The ratio a statistician wrote, e.g. ``"стр. 01 = сумма стр. 02–04"``."""
    tokens = _tokenize(text)
    position = 0

    def peek(kind: str) -> bool:
        return position < len(tokens) and tokens[position][0] == kind

    def take(kind: str) -> re.Match:
        nonlocal position
        if not peek(kind):
            found = tokens[position][1].group(0).strip() if position < len(tokens) else "the end"
            raise RatioError(f"{text!r}: expected {kind}, found {found!r}")
        position += 1
        return tokens[position - 1][1]

    def ref(summed: bool) -> Ref:
        section = take("section").group("section_no") if peek("section") else None
        rows = _span(take("row"), "row") if peek("row") else None
        cols = _span(take("col"), "col") if peek("col") else None
        if rows is None and cols is None:
            raise RatioError(f"{text!r}: a reference names a row (стр.) or a column (гр.)")
        ranged = [span for span in (rows, cols) if span and span[0] != span[1]]
        if summed and len(ranged) != 1:
            raise RatioError(f"{text!r}: 'сумма' adds one range of rows or of columns")
        if not summed and ranged:
            raise RatioError(f"{text!r}: a range of cells needs 'сумма' before it")
        return Ref(section, rows, cols)

    def side() -> tuple[Term, ...]:
        nonlocal position
        terms, sign = [], 1
        while True:
            summed = peek("sum")
            if summed:
                take("sum")
            terms.append(Term(sign, ref(summed)))
            if peek("plus") or peek("minus"):
                sign = 1 if tokens[position][0] == "plus" else -1
                position += 1
                continue
            return tuple(terms)

    left = side()
    op = _operator(take("op").group("op"))
    right = side()
    over_rows = over_cols = None
    if peek("over"):
        take("over")
        if peek("row"):
            over_rows = _span(take("row"), "row")
        else:
            over_cols = _span(take("col"), "col")
    if position != len(tokens):
        raise RatioError(f"{text!r}: unexpected {tokens[position][1].group(0).strip()!r}")
    return Ratio(text, left, op, right, over_rows, over_cols)


def _tokenize(text: str) -> list[tuple[str, re.Match]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKENS.match(text, position)
        if not match or match.end() == position:
            raise RatioError(f"{text!r}: cannot read {text[position:].strip()!r}")
        kind = next(kind for kind in _KINDS if match.group(kind))
        tokens.append((kind, match))
        position = match.end()
    return tokens


_KINDS = ("section", "row", "col", "sum", "over", "op", "plus", "minus")


def _span(match: re.Match, kind: str) -> tuple[str, str]:
    first = match.group(f"{kind}_from")
    return first, match.group(f"{kind}_to") or first


def _operator(symbol: str) -> str:
    return {"<=": "≤", ">=": "≥"}.get(symbol, symbol)


def evaluate(
    ratio: Ratio,
    ratio_id: str,
    section: str,
    layouts: Mapping[str, Layout],
    values: Mapping[tuple[str, str, str], float | None],
) -> list[Check]:
    """Check ``ratio`` (declared in ``section``) on ``values``: (section, row, col) -> value.

    ``None`` is a cell that does not apply. Raises :class:`RatioError` when the ratio names a
    section, row or column the form does not have.
    """
    anchor = ratio.terms[0].ref.section or section
    if anchor not in layouts:
        raise RatioError(f"{ratio.text!r}: the form has no section {anchor}")
    rows = _free(ratio.rows_free, layouts[anchor].rows, ratio.over_rows, ratio.text)
    cols = _free(ratio.cols_free, layouts[anchor].cols, ratio.over_cols, ratio.text)
    checks = []
    for row in rows:
        for col in cols:
            sides = [_side(terms, section, row, col, layouts, values, ratio.text)
                     for terms in (ratio.left, ratio.right)]  # fmt: skip
            if None in sides:
                continue  # names a cell that does not apply
            where = " ".join(
                part for part in (f"стр. {row}" if row else "", f"гр. {col}" if col else "") if part
            )
            left, right = sides
            passed = OPERATORS[ratio.op](left, right)
            checks.append(
                Check(ratio_id, section, ratio.text, where, left, right, ratio.op, passed)
            )
    return checks


def _free(
    is_free: bool, codes: Sequence[str], over: tuple[str, str] | None, text: str
) -> list[str | None]:
    if not is_free:
        if over:
            raise RatioError(f"{text!r}: 'по' restricts a row or column no reference names")
        return [None]
    return _expand(codes, over, text) if over else list(codes)


def _expand(codes: Sequence[str], span: tuple[str, str], text: str) -> list[str]:
    first, last = span
    for code in span:
        if code not in codes:
            raise RatioError(f"{text!r}: no code {code} (the section has {', '.join(codes)})")
    start, end = codes.index(first), codes.index(last)
    if end < start:
        raise RatioError(f"{text!r}: {first}–{last} runs backwards")
    return list(codes[start : end + 1])


def _side(terms, section, row, col, layouts, values, text) -> float | None:
    total = 0.0
    for term in terms:
        ref = term.ref
        name = ref.section or section
        if name not in layouts:
            raise RatioError(f"{text!r}: the form has no section {name}")
        layout = layouts[name]
        rows = _expand(layout.rows, ref.rows, text) if ref.rows else [row]
        cols = _expand(layout.cols, ref.cols, text) if ref.cols else [col]
        summed = len(rows) * len(cols) > 1
        for r in rows:
            for c in cols:
                if r not in layout.rows or c not in layout.cols:
                    raise RatioError(f"{text!r}: section {name} has no cell стр. {r} гр. {c}")
                value = values.get((name, r, c))
                if value is None and not summed:
                    return None
                total += term.sign * (value or 0)
    return total
