"""School profiles: each school's public report card, from the open bundle's ``school_profiles``
(type, ownership, locality, languages; learners by grade and sex; teachers by sex; facilities).

Counts of persons are published rounded to a multiple of 5, with 1-9 suppressed (``c``) by
`emis publish`; the page shows them as published, symbols included. A school is picked by
district, then by name; both (and the year) are in the URL.
"""

import streamlit as st

from dashboards import charts, data, i18n, views
from dashboards.ui import from_url, lang, release, t, to_url

language = lang()  # a value, not a call: format_func runs later too
ROW_HEIGHT = 35  # pixels per row of st.dataframe

current = release()
path = str(current.path)
territories = data.territories(path)

st.title(t("school.title"))
if not data.has_school_profiles(path):
    st.info(t("school.not_published"))
    st.stop()

schools = data.schools(path)
with_schools = set(schools["district_code"])
district_codes = [c for c in territories["territory_code"] if c in with_schools]
if not district_codes:
    st.info(t("school.not_published"))
    st.stop()


def _forget_school() -> None:
    # Another district lists other schools (and they other years): choose afresh.
    for key in ("school_id", "school_year"):
        st.session_state.pop(key, None)


# A link to a school (?school_id=...) opens its district.
linked = st.query_params.get("school_id")
if "school_district" not in st.session_state and linked in set(schools["organization_id"]):
    st.session_state["school_district"] = schools.set_index("organization_id").loc[
        linked, "district_code"
    ]
top = st.columns([2, 3, 1])
from_url("school_district", district_codes, default=district_codes[0])
district = top[0].selectbox(
    t("school.district"),
    district_codes,
    format_func=lambda c: views.territory_option(territories, c, language),
    key="school_district",
    on_change=_forget_school,
)
in_district = schools[schools["district_code"] == district]
labels = views.organization_labels(in_district, language)
school_ids = sorted(labels, key=lambda code: (labels[code].casefold(), code))
if not school_ids:
    st.info(t("school.none"))
    st.stop()
if st.session_state.get("school_id") not in school_ids:
    st.session_state.pop("school_id", None)
from_url("school_id", school_ids, default=school_ids[0])
school = top[1].selectbox(
    t("school.choose"),
    school_ids,
    format_func=labels.get,
    key="school_id",
    on_change=lambda: st.session_state.pop("school_year", None),
)

profile = data.school_profile(path, school)
years = views.school_years(profile)
if st.session_state.get("school_year") not in years:
    st.session_state.pop("school_year", None)
from_url("school_year", years, default=years[0])
year = top[2].selectbox(t("school.year"), years, key="school_year", disabled=len(years) < 2)
to_url(school_district=district, school_id=school, school_year=year)

card = profile[profile["academic_year"] == year]
name = views.organization_name(card.head(1), language).iloc[0]
st.header(name or school)
reference_dates = sorted({str(day)[:10] for day in card["reference_date"].dropna()})
st.caption(
    " · ".join(
        [
            school,
            views.territory_option(territories, district, language),
            t("school.as_of", date=", ".join(reference_dates) or "—"),
        ]
    )
)

attributes = views.school_attributes(card, language)
for column, row in zip(st.columns(len(attributes)), attributes.itertuples(), strict=True):
    with column.container(border=True):
        st.caption(row.attribute)
        st.markdown(f"**{row.value}**")

st.subheader(t("school.learners"))
learners = views.school_learners(card, language)
if learners.empty:
    st.caption(t("explorer.no_rows"))
else:
    bars = views.school_learners_chart(card, language)
    st.plotly_chart(
        charts.bar(bars, "grade", "value", "sex", t("school.learners_axis")),
        key="school_learners_chart",
        config={"displaylogo": False},
    )
    st.dataframe(
        learners,
        hide_index=True,
        key="school_learners_table",
        height=ROW_HEIGHT * (len(learners) + 1) + 3,  # every grade, no inner scrolling
    )

teachers, facilities = st.columns([1, 2])
with teachers:
    st.subheader(t("school.teachers"))
    st.dataframe(views.school_teachers(card, language), hide_index=True, key="school_teachers")
with facilities:
    st.subheader(t("school.facilities"))
    surveyed = views.school_facilities(card, language)
    if surveyed.empty:
        st.caption(t("school.no_facilities"))
    else:
        st.dataframe(surveyed, hide_index=True, key="school_facilities")

for symbol in views.symbols_used(card):
    st.caption(f"`{symbol}` — {i18n.code_label('symbol', symbol, language)}")
st.caption(t("school.note"))
