"""Indicator explorer: indicator → year → territory level → breakdowns; chart, table,
definition and footnotes; downloads; every choice in the URL, so a link restores the view."""

import streamlit as st

from dashboards import charts, data, i18n, views
from dashboards.ui import from_url, lang, release, t, to_url

language = lang()  # a value, not a call: format_func runs later too

current = release()
path = str(current.path)
indicators = data.indicators(path)
territories = data.territories(path)


def _reset_after_indicator() -> None:
    # Years, dates and breakdowns differ between indicators: start them afresh.
    for key in ("explorer_year", "explorer_date", "explorer_by"):
        st.session_state.pop(key, None)


st.title(t("explorer.title"))
top = st.columns([3, 1, 1])
from_url("explorer_indicator", set(indicators["indicator_id"]))
indicator_id = top[0].selectbox(
    t("explorer.indicator"),
    list(indicators["indicator_id"]),
    format_func=lambda i: views.indicator_label(indicators, i, language),
    key="explorer_indicator",
    on_change=_reset_after_indicator,
)
observations = data.indicator_observations(path, indicator_id)
if observations.empty:
    st.info(t("explorer.no_rows"))
    st.stop()
years = views.academic_years(observations)
from_url("explorer_year", years)
year = top[1].selectbox(t("explorer.year"), years, key="explorer_year")
dates = views.reference_dates(observations, year)
from_url("explorer_date", dates)
reference_date = top[2].selectbox(
    t("explorer.date"), dates, key="explorer_date", disabled=len(dates) < 2
)

controls = st.columns([3, 2, 3])
from_url("explorer_level", data.LEVELS, default="national")
level = controls[0].segmented_control(
    t("explorer.level"),
    list(data.LEVELS),
    format_func={level: t(f"level.{level}") for level in data.LEVELS}.get,
    required=True,
    key="explorer_level",
)
oblasts = territories[territories["geographic_level"] == "oblast"]
oblast = ""
if level == "district":
    oblast_codes = ["", *oblasts["territory_code"]]
    everyone = t("explorer.all_oblasts")
    from_url("explorer_oblast", oblast_codes)
    oblast = controls[1].selectbox(
        t("explorer.oblast"),
        oblast_codes,
        format_func=lambda c: views.territory_option(territories, c, language) if c else everyone,
        key="explorer_oblast",
    )
available = views.dimensions(observations)
from_url("explorer_by", available, multi=True)
breakdowns = controls[2].multiselect(
    t("explorer.breakdowns"),
    available,
    format_func=lambda d: i18n.dimension_label(d, language),
    max_selections=views.MAX_BREAKDOWNS,
    placeholder=t("explorer.no_breakdown"),
    key="explorer_by",
)

selection = views.Selection(
    indicator_id, year, reference_date, level, oblast or None, tuple(breakdowns)
)
to_url(**views.url_params(selection))
rows = views.select_rows(observations, selection)
unit = observations["unit"].iloc[0]
meta = indicators[indicators["indicator_id"] == indicator_id].iloc[0]

main, side = st.columns([3, 1])
with main:
    shown = views.table(rows, selection, territories, language)
    if rows.empty:
        st.info(t("explorer.no_rows"))
    else:
        frame, x, colour = views.chart_frame(shown, selection, language)
        st.plotly_chart(
            charts.bar(
                frame, x, t("column.value"), colour, i18n.code_label("unit", unit, language)
            ),
            key="explorer_chart",
            config={"displaylogo": False},
        )
    st.dataframe(
        shown,
        hide_index=True,
        key="explorer_table",
        column_config={
            t("column.value"): st.column_config.NumberColumn(
                format=f"%.{views.value_digits(unit)}f"
            )
        },
    )
    stem = f"{indicator_id}_{year}_{level}" + "".join(f"_{b}" for b in breakdowns)
    buttons = st.columns(4)
    buttons[0].download_button(
        t("explorer.download_csv"),
        lambda: data.to_csv(shown),  # made on click only: keeps each rerun fast
        f"{stem}.csv",
        "text/csv",
        key="explorer_csv",
        on_click="ignore",
    )
    buttons[1].download_button(
        t("explorer.download_xlsx"),
        lambda: data.to_xlsx(shown, indicator_id),
        f"{stem}.xlsx",
        key="explorer_xlsx",
        on_click="ignore",
    )
    query = views.permalink_query(selection, language)
    st.caption(t("explorer.permalink"))
    st.code(f"{(st.context.url or '').split('?')[0]}?{query}", language=None)

with side:
    st.markdown(f"**{views.indicator_label(indicators, indicator_id, language)}**")
    st.markdown(i18n.localized(meta, "definition", language))
    st.caption(
        t(
            "explorer.meta",
            unit=i18n.code_label("unit", unit, language),
            source=meta.get("source_code") or "—",
            date=reference_date,
        )
    )
    notes = data.footnotes(path)
    for note in notes[notes["indicator_id"] == indicator_id].itertuples():
        st.caption(f"¹ {i18n.localized(note, 'note', language)}")
    used = views.symbols_used(rows)
    if used:
        st.markdown(f"**{t('explorer.symbols')}**")
        for symbol in used:
            st.caption(f"`{symbol}` — {i18n.code_label('symbol', symbol, language)}")
    st.markdown(f"**{t('explorer.full_data')}**")
    for name in data.FULL_DATA:
        try:
            file = data.open_file(current, name)
        except FileNotFoundError:
            continue
        st.download_button(
            file.name,
            lambda file=file: data.read_bytes(file),
            file.name,
            key=f"explorer_full_{file.name}",
            on_click="ignore",
        )
