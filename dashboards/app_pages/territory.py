"""Territory profile: an oblast's or district's published figures, latest year and change."""

import streamlit as st

from dashboards import data, views
from dashboards.ui import from_url, lang, release, t, to_url

language = lang()  # a value, not a call: format_func runs later too

current = release()
path = str(current.path)
territories = data.territories(path)
indicators = data.indicators(path)

st.title(t("territory.title"))
published = data.published_territories(path)
choices = territories[
    (territories["geographic_level"] != "national") & territories["territory_code"].isin(published)
]
from_url("territory_code", set(choices["territory_code"]))
code = st.selectbox(
    t("territory.choose"),
    list(choices["territory_code"]),
    format_func=lambda c: views.territory_option(territories, c, language),
    key="territory_code",
)
to_url(territory_code=code)
row = territories.set_index("territory_code").loc[code]
st.header(row[f"name_{language}"])
if row["geographic_level"] == "district":
    st.caption(views.territory_option(territories, row["oblast_code"], language))

figures = views.profile(data.totals(path, code), indicators, language)
if figures.empty:
    st.info(t("explorer.no_rows"))
else:
    st.dataframe(figures, hide_index=True, key="territory_table")
    st.caption(t("territory.note"))
