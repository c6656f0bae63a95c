"""What the pages show, from small hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import views
from dashboards.data import BREAKDOWNS

TERRITORIES = pd.DataFrame(
    {
        "territory_code": ["KG", "41707", "41707215"],
        "geographic_level": ["national", "oblast", "district"],
        "name_en": ["Kyrgyz Republic", "Talas Region", "Aytmatov District"],
        "name_ru": ["Кыргызская Республика", "Таласская область", "Айтматовский район"],
        "name_ky": ["Кыргыз Республикасы", "Талас облусу", "Айтматов району"],
    }
)


def observation(**codes) -> dict:
    row = {
        "indicator_id": "learners", "academic_year": "2025-2026",
        "reference_date": pd.Timestamp("2025-09-15"), "geographic_level": "national",
        "territory_code": "KG", "numerator": 10.0, "denominator": 0.0, "value": 10.0,
        "unit": "count", "symbol": None,
    }  # fmt: skip
    row.update({column: "_T" for column in BREAKDOWNS})
    row.update(codes)
    return row


@pytest.fixture
def observations() -> pd.DataFrame:
    return pd.DataFrame(
        [
            observation(value=30.0),
            observation(sex="F", value=14.0),
            observation(sex="M", value=16.0),
            observation(sex="F", grade="1", value=None, symbol="c"),
            observation(geographic_level="oblast", territory_code="41707", value=30.0),
            observation(academic_year="2024-2025", value=27.0,
                        reference_date=pd.Timestamp("2024-09-15")),
        ]
    )  # fmt: skip


def selection(**changes) -> views.Selection:
    base = {"indicator_id": "learners", "academic_year": "2025-2026",
            "reference_date": "2025-09-15", "level": "national"}  # fmt: skip
    return views.Selection(**(base | changes))


def test_dimensions_are_those_with_categories(observations):
    assert views.dimensions(observations) == ["sex", "grade"]


def test_a_breakdown_shows_its_categories_and_every_other_dimension_at_total(observations):
    rows = views.select_rows(observations, selection(breakdowns=("sex",)))
    assert list(rows["sex"]) == ["F", "M"]
    assert list(rows["value"]) == [14.0, 16.0]


def test_no_breakdown_shows_the_total_of_the_level(observations):
    assert list(views.select_rows(observations, selection())["value"]) == [30.0]
    oblasts = views.select_rows(observations, selection(level="oblast"))
    assert list(oblasts["territory_code"]) == ["41707"]


def test_the_table_names_codes_in_the_language_and_keeps_symbols(observations):
    chosen = selection(breakdowns=("sex", "grade"))
    rows = views.select_rows(observations, chosen)
    table = views.table(rows, chosen, TERRITORIES, "ru")
    assert list(table.columns) == ["Код", "Территория", "Пол", "Класс", "Значение", "Знак"]
    assert table.iloc[0].tolist()[1:4] == ["Кыргызская Республика", "Женщины", "1 класс"]
    assert pd.isna(table.iloc[0]["Значение"]) and table.iloc[0]["Знак"] == "c"
    assert views.symbols_used(rows) == ["c"]


def test_shares_show_their_numerator_and_denominator(observations):
    shares = observations.assign(unit="percent")
    table = views.table(views.select_rows(shares, selection()), selection(), TERRITORIES, "en")
    assert {"Numerator", "Denominator"} <= set(table.columns)


def test_the_table_rounds_each_unit_as_it_is_read(observations):
    for unit, value, shown in [("percent", 91.0588, 91.1), ("index", 0.9849, 0.98),
                               ("count", 30.0, 30.0), ("ratio", 17.25, 17.2)]:  # fmt: skip
        rows = views.select_rows(observations.assign(unit=unit, value=value), selection())
        table = views.table(rows, selection(), TERRITORIES, "en")
        assert table["Value"].tolist() == [shown]
        digits = views.value_digits(unit)
        assert views.format_value(value, unit).rstrip(" %") == f"{shown:.{digits}f}"


def test_chart_puts_territories_along_x_when_comparing_them(observations):
    rows = views.select_rows(observations, selection(level="oblast"))
    shown = views.table(rows, selection(level="oblast"), TERRITORIES, "en")
    _, x, colour = views.chart_frame(shown, selection(level="oblast"), "en")
    assert (x, colour) == ("Territory", None)
    chosen = selection(breakdowns=("sex",))
    rows = views.select_rows(observations, chosen)
    _, x, colour = views.chart_frame(views.table(rows, chosen, TERRITORIES, "en"), chosen, "en")
    assert (x, colour) == ("Sex", None)
    both = selection(level="oblast", breakdowns=("sex", "grade"))
    rows = views.select_rows(observations, both.__class__(**{**both.__dict__, "level": "national"}))
    rows = rows.assign(geographic_level="oblast", territory_code="41707")
    frame, x, colour = views.chart_frame(views.table(rows, both, TERRITORIES, "en"), both, "en")
    assert (x, colour) == ("Territory", "Sex · Grade")
    assert list(frame[colour]) == ["Female · Grade 1"]


def test_headline_is_the_latest_year_with_its_change(observations):
    totals = observations[observations["sex"] == "_T"]
    totals = totals[totals["geographic_level"] == "national"]
    (headline,) = views.headlines(totals, ["learners", "missing"])
    assert (headline.academic_year, headline.value, headline.change) == ("2025-2026", 30.0, 3.0)
    assert headline.previous_year == "2024-2025"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(12345, "count", "12\u202f345"), (88.75, "percent", "88.8 %"), (None, "ratio", "—")],
)
def test_values_are_formatted_by_unit(value, unit, shown):
    assert views.format_value(value, unit) == shown


def test_permalink_holds_every_choice():
    chosen = selection(level="district", oblast_code="41707", breakdowns=("sex", "grade"))
    query = views.permalink_query(chosen, "en")
    assert query == (
        "lang=en&explorer_indicator=learners&explorer_year=2025-2026&explorer_date=2025-09-15"
        "&explorer_level=district&explorer_oblast=41707&explorer_by=sex&explorer_by=grade"
    )


def test_schools_are_ranked_with_their_parts_and_issue_counts():
    organizations = pd.DataFrame(
        {"organization_id": ["B", "A"], "rank_in_district": [2, 1], "score": [80.0, 90.0],
         "completeness_pct": [70.0, 95.0], "attendance_reporting_rate": [None, 88.0]}
    )  # fmt: skip
    issues = pd.DataFrame({"organization_id": ["B", "B"]})
    ranked = views.ranked_schools(organizations, issues)
    assert list(ranked["organization_id"]) == ["A", "B"]
    assert list(ranked["issues"]) == [0, 2]
    parts = views.score_parts(organizations.iloc[0])
    assert list(parts["part"]) == ["completeness_pct"]  # no attendance part: left out


def test_file_sizes_read_naturally():
    assert views.file_size(512) == "512 B"
    assert views.file_size(3 * 1024 * 1024) == "3.0 MiB"


def test_organization_names_follow_the_language_and_fall_back_to_russian():
    frame = pd.DataFrame(
        {"organization_id": ["A", "B"], "organization_name_ru": ["Школа №1", "Лицей"],
         "organization_name_ky": ["№1 мектеп", None]}
    )  # fmt: skip
    assert list(views.organization_name(frame, "ky")) == ["№1 мектеп", "Лицей"]
    assert list(views.organization_name(frame, "en")) == ["Школа №1", "Лицей"]
    assert views.organization_labels(frame, "ru") == {"A": "Школа №1 (A)", "B": "Лицей (B)"}
    assert list(views.organization_name(frame[["organization_id"]], "ru")) == ["", ""]
    ranked = views.ranked_schools(frame.assign(rank_in_district=[2, 1]), pd.DataFrame(), "ky")
    assert list(ranked["organization_name"]) == ["Лицей", "№1 мектеп"]


INDICATORS = pd.DataFrame(
    {"indicator_id": ["learners", "ger"], "name_en": ["Learners", "GER"],
     "name_ru": ["Обучающиеся", "ОКО"], "name_ky": ["Окуучулар", "ЖКК"]}
)  # fmt: skip
RECORD = {
    "release_id": "2026-01-15.2", "snapshot_date": "2026-01-15", "academic_year": "2025-2026",
    "disclosure": {"observations": 100, "suppressed_primary": 7, "suppressed_secondary": 3},
    "blocking_issues": {"learner_enrolled_twice": 2}, "blocking_accepted": "known defects",
}  # fmt: skip


def test_release_notes_say_what_changed_since_the_previous_release():
    changes = pd.DataFrame(
        {"indicator_id": ["ger", "ger", "learners"], "change": ["changed", "added", "changed"]}
    )
    notes = views.release_notes(RECORD, changes, INDICATORS, "en", "2026-01-15.1")
    text = "\n".join(notes)
    assert "academic year 2025-2026" in notes[0] and "2026-01-15" in notes[0]
    assert "3 figures changed since release 2026-01-15.1: 1 added, 2 revised, 0 removed" in text
    assert "- GER: added 1, revised 1\n- Learners: revised 1" in text
    assert "Of 100 figures, 10 are suppressed" in text
    assert "`learner_enrolled_twice`: 2" in text and "known defects" in text


def test_release_notes_of_a_first_and_of_an_unchanged_release():
    empty = pd.DataFrame(columns=["indicator_id", "change"])
    first = views.release_notes({}, empty, INDICATORS, "ru")
    assert first[1] == "Первый релиз: все числа публикуются впервые."
    same = views.release_notes({}, empty, INDICATORS, "en", "2026-01-15.1")
    assert same[1] == "No figure has changed since release 2026-01-15.1."


def profile_row(measure, value, symbol=None, level="_Z", grade="_Z", sex="_Z") -> dict:
    return {"academic_year": "2025-2026", "organization_id": "A", "organization_type": "school",
            "ownership": "municipal", "locality": "rural", "languages": "ky;ru",
            "measure": measure, "level": level, "grade": grade, "sex": sex, "value": value,
            "symbol": symbol}  # fmt: skip


PROFILE = pd.DataFrame(
    [
        profile_row("learners", 25, level="basic", grade="10", sex="F"),
        profile_row("learners", None, "c", level="basic", grade="10", sex="M"),
        profile_row("learners", 30, level="primary", grade="2", sex="M"),
        profile_row("learners", 1234, level="primary", grade="2", sex="F"),
        profile_row("teachers", 20, sex="F"),
        profile_row("teachers", None, "c", sex="M"),
        profile_row("has_internet", 0),
        profile_row("has_electricity", 1),
    ]
)


def test_a_school_report_card_keeps_its_symbols_and_orders_levels_and_grades():
    learners = views.school_learners(PROFILE, "en")
    assert list(learners.columns) == ["Education level", "Grade / year", "Female", "Male"]
    assert learners.values.tolist() == [
        ["Primary", "2", "1\u202f234", "30"],
        ["Lower secondary", "10", "25", "c"],
    ]
    assert views.school_teachers(PROFILE, "ru").values.tolist() == [["20", "c"]]
    facilities = views.school_facilities(PROFILE, "en")
    assert facilities.values.tolist() == [["Electricity", "Yes"], ["Internet for teaching", "No"]]
    attributes = dict(views.school_attributes(PROFILE, "en").values.tolist())
    assert attributes["Languages of instruction"] == "Kyrgyz, Russian"
    bars = views.school_learners_chart(PROFILE, "en")
    assert bars["grade"].tolist()[0] == "Grade 2" and bars["value"].isna().sum() == 1
    assert views.symbols_used(PROFILE) == ["c"]


def test_the_data_guidance_is_shown_below_the_pages_own_headings():
    shown = views.demote_headings("# Title\n\ntext\n\n## Files\n```\n# a comment\n```")
    assert shown.splitlines() == ["### Title", "", "text", "", "#### Files", "```", "# a comment",
                                  "```"]  # fmt: skip
