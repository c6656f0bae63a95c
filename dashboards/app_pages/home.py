"""Home: key national figures with the change from the previous year, the release, what is new."""

import streamlit as st

from dashboards import data, views
from dashboards.ui import lang, release, t

language = lang()  # a value, not a call: format_func runs later too

KEY_FIGURES = (
    "learners",
    "organizations",
    "teachers",
    "ger",
    "ner",
    "pupil_teacher_ratio",
    "out_of_school_rate",
    "schools_internet_pct",
)

current = release()
path = str(current.path)
info = data.release_info(path)
indicators = data.indicators(path)

st.title(t("home.title"))
st.caption(
    t("home.release", release=current.release_id, date=str(info.get("published_at", ""))[:10])
)

figures = views.headlines(data.totals(path), list(KEY_FIGURES))
columns = st.columns(4)
for index, figure in enumerate(figures):
    delta = views.format_change(figure.change, figure.unit) or None
    columns[index % 4].metric(
        views.indicator_label(indicators, figure.indicator_id, language),
        figure.symbol or views.format_value(figure.value, figure.unit),
        delta=delta,
        help=t("home.change_from", year=figure.previous_year) if figure.previous_year else None,
        border=True,
    )
st.caption(t("home.as_of", year=figures[0].academic_year) if figures else "")

st.subheader(t("home.whats_new"))
notes = views.release_notes(
    info, data.changelog(path), indicators, language, data.previous_release_id(current)
)
st.markdown("\n\n".join(notes) or t("home.no_notes"))
st.page_link("app_pages/explorer.py", label=t("home.go_explorer"), icon=":material/bar_chart:")
st.page_link("app_pages/open_data.py", label=t("home.go_open_data"), icon=":material/download:")
