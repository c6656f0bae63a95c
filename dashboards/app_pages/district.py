"""District head: completeness of their schools' data, ranked with the parts of each score and
the trend; one school's issue list, downloadable as XLSX to send to the school."""

import streamlit as st

from dashboards import charts, data, i18n, views
from dashboards.ui import from_url, lang, logged_download, release, require, t, to_url

language = lang()  # a value, not a call: format_func runs later too

user = require("district", "ministry")
current = release()
path = str(current.path)
territories = data.territories(path)

districts = territories[territories["geographic_level"] == "district"]["territory_code"]
allowed = list(districts) if user.role == "ministry" else [user.district_code]
st.title(t("district.title"))
from_url("district_code", allowed, default=allowed[0])
district = st.selectbox(
    t("district.choose"),
    allowed,
    format_func=lambda c: views.territory_option(territories, c, language),
    key="district_code",
    disabled=len(allowed) < 2,
)
to_url(district_code=district)
try:
    schools = data.restricted_rows(path, "monitoring_organizations", user.scope, district)
    summary = data.restricted_rows(path, "monitoring_territories", user.scope, district)
    issues = data.restricted_rows(path, "monitoring_issues", user.scope, district)
except data.ScopeError:
    st.error(t("auth.out_of_scope"))
    st.stop()

if schools.empty:
    st.info(t("district.no_data"))
    st.stop()
if not summary.empty:
    row = summary.iloc[0]
    metrics = st.columns(3)
    metrics[0].metric(t("district.organizations"), int(row["organizations"]), border=True)
    metrics[1].metric(t("district.mean_score"), f"{float(row['mean_score']):.1f}", border=True)
    metrics[2].metric(t("district.below_80"), int(row["organizations_below_80"]), border=True)

ranked = views.ranked_schools(schools, issues, language)
st.subheader(t("district.ranking"))
st.dataframe(
    ranked.rename(columns=lambda c: t(f"column.{c}")),
    hide_index=True,
    key="district_ranking",
    column_config={
        t(f"column.{part}"): st.column_config.ProgressColumn(
            min_value=0, max_value=100, format="%.1f"
        )
        for part in ("score", *views.SCORE_PARTS)
    },
)

history = data.score_trend(data.releases_dir(), user.scope, district)
trend = views.trend(history)
if not trend.empty and trend["as_of"].nunique() > 1:
    st.subheader(t("district.trend"))
    st.plotly_chart(
        charts.line(trend, "as_of", "score", "organization_id", t("column.score")),
        key="district_trend",
    )
else:
    st.caption(t("district.trend_single"))

st.subheader(t("district.drill_down"))
names = views.organization_labels(schools, language)
from_url("district_school", list(ranked["organization_id"]))
school = st.selectbox(
    t("district.school"),
    list(ranked["organization_id"]),
    format_func=lambda code: names.get(code, code),
    key="district_school",
)
to_url(district_school=school)
parts = views.score_parts(schools.set_index("organization_id").loc[school])
parts["part"] = [t(f"column.{p}") for p in parts["part"]]
st.plotly_chart(charts.parts(parts, "part", "value", t("column.score")), key="district_parts")
school_issues = issues[issues["organization_id"] == school] if not issues.empty else issues
shown = views.issue_list(school_issues, language)
st.dataframe(shown, hide_index=True, key="district_issues")
if shown.empty:
    st.caption(t("district.no_issues"))
logged_download(
    user,
    t("district.download_issues"),
    data.to_xlsx(shown, school),
    f"issues_{school}.xlsx",
    what=f"issues:{school}",
    key="district_issues_xlsx",
)
st.caption(i18n.text("district.ids_only", language))
