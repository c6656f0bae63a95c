"""Methodology: definitions (UIS), reference dates, symbols, the suppression rule; release notes."""

import streamlit as st

from dashboards import data, i18n, views
from dashboards.ui import lang, release, t

language = lang()  # a value, not a call: format_func runs later too

current = release()
path = str(current.path)
indicators = data.indicators(path)

st.title(t("methodology.title"))
st.markdown(t("methodology.intro"))

st.subheader(t("methodology.symbols"))
st.table(
    {
        t("column.symbol"): list(data.SYMBOLS),
        t("column.meaning"): [i18n.code_label("symbol", s, language) for s in data.SYMBOLS],
    }
)
st.subheader(t("methodology.suppression"))
st.markdown(t("methodology.suppression_rule"))
st.subheader(t("methodology.reference_dates"))
st.markdown(t("methodology.reference_dates_text"))

st.subheader(t("methodology.counting"))
st.markdown(t("methodology.counting_text"))

st.subheader(t("methodology.definitions"))
for row in indicators.itertuples():
    with st.expander(views.indicator_label(indicators, row.indicator_id, language)):
        st.markdown(i18n.localized(row, "definition", language))
        st.caption(
            t(
                "methodology.meta",
                unit=i18n.code_label("unit", row.unit, language),
                rule=t(f"rule.{row.reference_date_rule}"),
                source=row.source_code or "—",
                formula=row.formula or "—",
            )
        )

st.subheader(t("methodology.release_notes"))
info = data.release_info(path)
notes = views.release_notes(
    info, data.changelog(path), indicators, language, data.previous_release_id(current)
)
st.markdown("\n\n".join(notes) or t("home.no_notes"))
st.caption(
    t("home.release", release=current.release_id, date=str(info.get("published_at", ""))[:10])
    + " · "
    + t(
        "methodology.release_meta",
        version=info.get("code_version") or "—",
        loads=", ".join(str(load) for load in info.get("load_ids") or []) or "—",
    )
)
