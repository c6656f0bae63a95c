"""Control ratios: read as statisticians write them, checked cell by cell."""

import pytest

from reports.ratios import Layout, RatioError, Ref, evaluate, parse

LAYOUTS = {
    "1": Layout(rows=("01", "02", "03", "04"), cols=("1", "2", "3")),
    "2": Layout(rows=("01", "02"), cols=("1", "2", "3")),
}


def grid(section: str, rows: dict[str, list]) -> dict:
    return {
        (section, row, col): value
        for row, values in rows.items()
        for col, value in zip(LAYOUTS[section].cols, values, strict=True)
    }


# Section 1: row 01 is the sum of 02-04; column 1 the sum of 2 and 3.
VALUES = grid("1", {"01": [10, 6, 4], "02": [5, 3, 2], "03": [3, 2, 1], "04": [2, 1, 1]}) | grid(
    "2", {"01": [10, 6, 4], "02": [7, 5, 2]}
)


def checks(text, values=VALUES, section="1"):
    return evaluate(parse(text), "1", section, LAYOUTS, values)


@pytest.mark.parametrize(
    ("text", "left", "op", "right"),
    [
        ("стр. 01 = сумма стр. 02–04", [Ref(None, ("01", "01"))], "=", [Ref(None, ("02", "04"))]),
        ("гр. 3 ≤ гр. 2", [Ref(None, None, ("3", "3"))], "≤", [Ref(None, None, ("2", "2"))]),
        ("гр. 2 >= гр. 3", [Ref(None, None, ("2", "2"))], "≥", [Ref(None, None, ("3", "3"))]),
        (
            "разд. 3 стр. 08 гр. 2 = разд. 2 стр. 12 гр. 2",
            [Ref("3", ("08", "08"), ("2", "2"))],
            "=",
            [Ref("2", ("12", "12"), ("2", "2"))],
        ),
        ("стр. 01 = сумма стр. 02-04", [Ref(None, ("01", "01"))], "=", [Ref(None, ("02", "04"))]),
    ],
)
def test_ratios_are_read_as_written(text, left, op, right):
    ratio = parse(text)
    assert [term.ref for term in ratio.left] == left
    assert ratio.op == op
    assert [term.ref for term in ratio.right] == right


def test_minus_and_plus_between_references():
    ratio = parse("стр. 01 = стр. 02 + стр. 03 - стр. 04")
    assert [term.sign for term in ratio.right] == [1, 1, -1]
    spaced_dash = parse("стр. 01 ≥ стр. 02 – стр. 03")  # an en dash between spaces subtracts
    assert [term.sign for term in spaced_dash.right] == [1, -1]


@pytest.mark.parametrize(
    "text",
    [
        "стр. 01 = стр. 02–04",  # a range needs сумма
        "стр. 01 = сумма стр. 02",  # сумма needs a range
        "стр. 01 == стр. 02",
        "строка 1 = строка 2",
        "стр. 01 =",
        "стр. 01 = стр. 02 гр. 3 по гр. 1–2",
    ],
)
def test_unreadable_ratios_are_refused(text):
    with pytest.raises(RatioError):
        checks(text)


def test_a_row_ratio_holds_in_every_column():
    found = checks("стр. 01 = сумма стр. 02–04")
    assert [(c.where, c.left, c.right, c.passed) for c in found] == [
        ("гр. 1", 10, 10, True),
        ("гр. 2", 6, 6, True),
        ("гр. 3", 4, 4, True),
    ]


def test_a_column_ratio_holds_in_every_row_or_the_rows_named():
    assert len(checks("гр. 1 = гр. 2 + гр. 3")) == 4
    restricted = checks("гр. 1 = сумма гр. 2–3 по стр. 02–03")
    assert [c.where for c in restricted] == ["стр. 02", "стр. 03"]


def test_a_failure_says_where_and_by_how_much():
    broken = dict(VALUES) | {("1", "03", "2"): 9}
    failed = [c for c in checks("стр. 01 = сумма стр. 02–04", broken) if not c.passed]
    assert len(failed) == 1
    assert (failed[0].where, failed[0].left, failed[0].right) == ("гр. 2", 6, 13)
    assert "гр. 2" in failed[0].describe() and "6 ≠ 13" in failed[0].describe()


def test_inequalities():
    assert all(c.passed for c in checks("гр. 3 ≤ гр. 2"))
    assert not all(c.passed for c in checks("гр. 2 < гр. 3"))
    assert all(c.passed for c in checks("стр. 01 ≥ сумма стр. 02–03"))


def test_cross_section_ratios_name_their_cells_or_align_columns():
    assert checks("разд. 2 стр. 01 гр. 1 = разд. 1 стр. 01 гр. 1")[0].passed
    aligned = checks("разд. 2 стр. 01 = разд. 1 стр. 01")  # column by column
    assert [c.where for c in aligned] == ["гр. 1", "гр. 2", "гр. 3"] and all(
        c.passed for c in aligned
    )
    assert not checks("разд. 2 стр. 02 гр. 1 = разд. 1 стр. 02 гр. 1")[0].passed


def test_cells_that_do_not_apply():
    blank = dict(VALUES) | {("1", "04", "1"): None, ("1", "01", "1"): 8}
    # Inside a сумма a blank counts as nothing; a check naming it directly is skipped.
    assert checks("стр. 01 = сумма стр. 02–04", blank)[0].passed
    assert [c.where for c in checks("гр. 1 = гр. 2 + гр. 3", blank)] == [
        "стр. 01", "стр. 02", "стр. 03",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "стр. 05 = стр. 01",
        "гр. 9 ≤ гр. 1",
        "разд. 7 стр. 01 = стр. 01",
        "стр. 04 = сумма стр. 03–01",
    ],
)
def test_ratios_naming_cells_the_form_lacks_are_errors(text):
    with pytest.raises(RatioError):
        checks(text)


def test_decimals_compare_within_a_tolerance():
    values = dict(VALUES) | {("1", "01", "1"): 0.1 + 0.2, ("1", "02", "1"): 0.3}
    values |= {("1", "03", "1"): 0, ("1", "04", "1"): 0}
    assert checks("стр. 01 = сумма стр. 02–04", values)[0].passed
