"""The portal's pages in AppTest: they render in every language, the explorer's URL restores a
view, and the restricted pages hold their scope whatever the URL or the session asks."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import auth, i18n
from tests.portal_fixtures import (
    OTHER_DISTRICT,
    OTHER_SCHOOL,
    OWN_DISTRICT,
    OWN_SCHOOL,
    PASSWORD,
    PortalHome,
)
from tests.unit.dashboards.conftest import APP

PUBLIC = {
    "app_pages/home.py": "home.title",
    "app_pages/explorer.py": "explorer.title",
    "app_pages/territory.py": "territory.title",
    "app_pages/school.py": "school.title",
    "app_pages/open_data.py": "open_data.title",
    "app_pages/methodology.py": "methodology.title",
}


def shown_text(at) -> str:
    """Everything a page shows as text, dataframes included."""
    parts = [e.value for kind in ("title", "header", "markdown", "caption", "error", "info")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [str(metric.value) for metric in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("page", PUBLIC)
def test_every_public_page_renders_in_every_language(app, page, lang):
    at = app(page, lang=lang)
    assert at.title[0].value == i18n.text(PUBLIC[page], lang)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_open_data_page_links_the_api_with_examples(app, lang):
    at = app("app_pages/open_data.py", lang=lang)
    assert i18n.text("open_data.api", lang) in [header.value for header in at.subheader]
    assert "/api/v1/openapi.json" in shown_text(at)
    code = "\n".join(block.value for block in at.code)
    assert "curl -H 'Accept: text/csv'" in code and "/api/v1/observations?indicator=" in code
    assert "pd.read_csv(url)" in code and "/sdmx/v2/data/dataflow/KG_MOES/EMIS/1.0/" in code


def test_home_shows_key_figures_with_the_release_and_what_is_new(app, portal_home):
    at = app(lang="en")
    labels = [metric.label for metric in at.metric]
    assert "Learners enrolled" in labels and "Gross enrolment ratio" in labels
    assert portal_home.release_id in at.caption[0].value
    text = shown_text(at)
    assert i18n.text("notes.first", "en") in text
    assert "synthetic test export" in text  # the reason blocking issues were accepted
    assert "suppressed to protect confidentiality" in text


def test_school_profiles_show_a_schools_report_card_by_name(app):
    at = app("app_pages/school.py", lang="ru", school_id=OWN_SCHOOL)
    assert at.selectbox(key="school_district").value == OWN_DISTRICT
    assert at.selectbox(key="school_id").value == OWN_SCHOOL
    assert at.header[0].value == "Средняя общеобразовательная школа №2"
    text = shown_text(at)
    for shown in ("Тип организации", "Средняя общеобразовательная школа", "Муниципальная",
                  "Село", "Языки обучения", "Русский"):  # fmt: skip
        assert shown in text, shown
    learners = at.dataframe[0].value
    assert {"Уровень образования", "Класс / курс", "Женщины", "Мужчины"} <= set(learners.columns)
    assert "1" in set(learners["Класс / курс"])
    teachers = at.dataframe[1].value
    facilities = at.dataframe[2].value
    assert "Электричество" in set(facilities["Условие"])
    cells = {*learners["Женщины"], *learners["Мужчины"], *teachers.iloc[0]}
    if "c" in cells:
        assert any("Скрыто для защиты конфиденциальности" in c.value for c in at.caption)
    assert all(c == "c" or int(c.replace("\u202f", "")) % 5 == 0 for c in cells if c != "—")
    assert at.query_params["school_id"] == OWN_SCHOOL


def test_school_names_follow_the_language(app):
    kyrgyz = app("app_pages/school.py", lang="ky", school_id=OWN_SCHOOL)
    assert kyrgyz.header[0].value == "№2 мектеп"
    english = app("app_pages/school.py", lang="en", school_id=OWN_SCHOOL)
    assert english.header[0].value == "Средняя общеобразовательная школа №2"  # Russian
    picked = app("app_pages/school.py", lang="en", school_district=OTHER_DISTRICT)
    assert picked.selectbox(key="school_district").value == OTHER_DISTRICT
    assert picked.selectbox(key="school_id").value != OWN_SCHOOL


def test_the_explorer_url_restores_a_view(app):
    at = app(
        "app_pages/explorer.py", lang="en", explorer_indicator="learners",
        explorer_level="district", explorer_by="sex",
    )  # fmt: skip
    assert at.selectbox(key="explorer_indicator").value == "learners"
    assert at.button_group(key="explorer_level").value == "district"
    assert at.multiselect(key="explorer_by").value == ["sex"]
    table = at.dataframe[0].value
    assert set(table["Code"]) == {OWN_DISTRICT, OTHER_DISTRICT}
    assert set(table["Sex"]) == {"Female", "Male"}
    assert "explorer_by=sex" in at.code[0].value


def test_invalid_url_values_are_ignored(app):
    at = app("app_pages/explorer.py", explorer_indicator="no_such", explorer_level="planet")
    assert at.button_group(key="explorer_level").value == "national"


def test_changing_a_breakdown_changes_the_table_and_the_url(app):
    at = app("app_pages/explorer.py", lang="en", explorer_indicator="learners")
    assert list(at.dataframe[0].value["Territory"]) == ["Kyrgyz Republic"]
    at.multiselect(key="explorer_by").set_value(["sex", "level"]).run()
    table = at.dataframe[0].value
    assert {"Sex", "Education level"} <= set(table.columns) and len(table) > 2
    assert at.query_params["explorer_by"] == ["sex", "level"]


def test_suppressed_cells_show_their_symbol_and_its_meaning(app):
    at = app(
        "app_pages/explorer.py", lang="en", explorer_indicator="teachers",
        explorer_level="district", explorer_by="org_type",
    )  # fmt: skip
    table = at.dataframe[0].value
    suppressed = table[table["Symbol"] == "c"]
    assert len(suppressed) and suppressed["Value"].isna().all()
    assert any("Suppressed to protect confidentiality" in c.value for c in at.caption)


def test_the_language_switch_changes_the_labels(app):
    at = app("app_pages/explorer.py", lang="ru")
    assert at.title[0].value == "Показатели"
    at.button_group(key="lang").set_value("en").run()
    assert at.title[0].value == "Indicator explorer"
    assert at.query_params["lang"] == "en"


def test_restricted_pages_are_not_listed_without_an_account_of_their_role(app):
    for page, user in [
        ("app_pages/district.py", None),
        ("app_pages/ministry.py", None),
        ("app_pages/school_issues.py", None),
        ("app_pages/ministry.py", "district.user"),
        ("app_pages/district.py", "school.user"),
    ]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app(page, user=user)


@pytest.mark.parametrize(
    ("page", "user"),
    [("ministry.py", None), ("ministry.py", "district.user"), ("district.py", "school.user"),
     ("school_issues.py", "ministry.user")],
)  # fmt: skip
def test_restricted_pages_check_the_role_themselves(portal_home, monkeypatch, page, user):
    """Run alone (as if the router let them through), they still refuse the wrong role."""
    for name, value in portal_home.env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(APP.parent / "app_pages" / page), default_timeout=60)
    if user:
        at.session_state["auth_user"] = user
    at.run()
    assert at.error[0].value == i18n.text("auth.required", i18n.DEFAULT_LANG)
    assert not at.dataframe


def test_signing_in_opens_the_pages_of_the_role(app):
    at = app("app_pages/login.py", lang="en")
    at.text_input(key="login_username").input("district.user")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["auth_user"] == "district.user"
    at = app("app_pages/login.py", lang="en")
    at.text_input(key="login_username").input("district.user")
    at.text_input(key="login_password").input("wrong password here")
    at.button[0].click().run()
    assert "auth_user" not in at.session_state
    assert at.error[0].value == i18n.text("login.invalid", "en")


def test_a_district_head_sees_their_schools_ranked_with_the_parts(app):
    at = app("app_pages/district.py", user="district.user", lang="en")
    ranking = at.dataframe[0].value
    assert ranking["Rank"].is_monotonic_increasing
    assert {"Score", "Completeness", "Entered within 7 days", "Issues"} <= set(ranking.columns)
    assert OTHER_SCHOOL not in set(ranking["Organization"])
    names = dict(zip(ranking["Organization"], ranking["Name"], strict=True))
    assert names[OWN_SCHOOL] == "Средняя общеобразовательная школа №2"  # English: Russian
    assert at.selectbox(key="district_school").format_func(OWN_SCHOOL).startswith("Средняя")
    kyrgyz = app("app_pages/district.py", user="district.user", lang="ky").dataframe[0].value
    assert OWN_SCHOOL in set(kyrgyz["Уюм"]) and "№2 мектеп" in set(kyrgyz["Аталышы"])


@pytest.mark.parametrize("tamper", ["url", "session"])
def test_a_district_head_cannot_reach_another_district(app, portal_home: PortalHome, tamper):
    """Neither a URL parameter nor a session value gets another district's rows."""
    query = {"district_code": OTHER_DISTRICT, "district_school": OTHER_SCHOOL}
    at = app(user="district.user", lang="en", **(query if tamper == "url" else {}))
    if tamper == "session":
        for key, value in query.items():
            at.session_state[key] = value
    at.switch_page("app_pages/district.py")
    at.run()
    text = shown_text(at)
    assert OTHER_DISTRICT not in text and OTHER_SCHOOL not in text
    assert not any(record in text for record in portal_home.only_other_district_records())
    assert OWN_SCHOOL in text or i18n.text("auth.out_of_scope", "en") in text


def test_the_drill_down_lists_one_schools_issues_and_the_download_is_logged(app, portal_home):
    at = app("app_pages/district.py", user="district.user", lang="en", district_school=OWN_SCHOOL)
    issues = at.dataframe[1].value
    assert set(issues["Record id"]) == portal_home.issue_records(OWN_SCHOOL)
    before = len(auth.downloads(portal_home.home))
    at.download_button(key="district_issues_xlsx").click().run()
    logged = auth.downloads(portal_home.home)
    assert len(logged) == before + 1
    assert (logged[-1]["username"], logged[-1]["what"]) == ("district.user", f"issues:{OWN_SCHOOL}")


def test_a_school_specialist_sees_their_own_issues_only(app, portal_home):
    at = app("app_pages/school_issues.py", user="school.user", lang="en")
    assert at.title[0].value == f"Organization Средняя общеобразовательная школа №2 ({OWN_SCHOOL})"
    text = shown_text(at)
    assert all(record in text for record in portal_home.issue_records(OWN_SCHOOL))
    assert not any(record in text for record in portal_home.only_other_district_records())


def test_the_ministry_sees_every_territory(app):
    at = app("app_pages/ministry.py", user="ministry.user", lang="en")
    overview = at.dataframe[0].value
    assert {OWN_DISTRICT, OTHER_DISTRICT, "KG"} <= set(overview["Code"])
    assert not at.warning


def test_the_ministry_generates_any_form_for_any_territory_and_date(app, portal_home):
    at = app("app_pages/ministry.py", user="ministry.user", lang="ru")
    at.selectbox(key="ministry_form").set_value("osh-1").run()
    assert at.date_input(key="ministry_as_of").value == dt.date(2025, 9, 15)  # its latest
    at.selectbox(key="ministry_territory").set_value(OWN_DISTRICT).run()
    organizations = at.selectbox(key="ministry_organization").options
    assert any(OWN_SCHOOL in option for option in organizations)
    assert not any(OTHER_SCHOOL in option for option in organizations)  # of the district only
    at.date_input(key="ministry_as_of").set_value(dt.date(2025, 10, 1)).run()
    at.button(key="ministry_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("ОШ-1" in c.value and "2025-10-01" in c.value for c in at.caption)
    before = len(auth.downloads(portal_home.home))
    at.download_button(key="ministry_form_xlsx").click().run()
    logged = auth.downloads(portal_home.home)
    assert len(logged) == before + 1
    assert (logged[-1]["username"], logged[-1]["what"]) == (
        "ministry.user",
        f"form:osh-1_{OWN_DISTRICT}_2025-10-01_ru.xlsx",
    )


def test_each_form_starts_at_its_latest_reporting_date_within_the_export(app):
    at = app("app_pages/ministry.py", user="ministry.user", lang="en")
    at.selectbox(key="ministry_form").set_value("85-k").run()
    assert at.date_input(key="ministry_as_of").value == dt.date(2026, 1, 1)
    at.selectbox(key="ministry_form").set_value("77").run()
    assert at.date_input(key="ministry_as_of").value == dt.date(2025, 12, 31)
    at.date_input(key="ministry_as_of").set_value(dt.date(2026, 6, 1)).run()
    assert at.date_input(key="ministry_as_of").value <= dt.date(2026, 1, 15)  # the snapshot
