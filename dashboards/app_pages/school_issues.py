"""School specialist: their own organization's score and issue list."""

import streamlit as st

from dashboards import charts, data, views
from dashboards.ui import lang, logged_download, release, require, t

language = lang()  # a value, not a call: format_func runs later too

user = require("school")
current = release()
path = str(current.path)
organization = user.organization_id

heading = st.empty()  # the title, named once the organization's row is read
try:
    own = data.restricted_rows(
        path, "monitoring_organizations", user.scope, organization_id=organization
    )
    issues = data.restricted_rows(
        path, "monitoring_issues", user.scope, organization_id=organization
    )
except data.ScopeError:
    heading.title(t("school_issues.title", organization=organization))
    st.error(t("auth.out_of_scope"))
    st.stop()
name = views.organization_name(own.head(1), language).iloc[0] if not own.empty else ""
heading.title(t("school_issues.title", organization=views.organization_label(name, organization)))

if not own.empty:
    row = own.iloc[0]
    st.metric(t("column.score"), f"{float(row['score']):.1f}", border=True)
    parts = views.score_parts(row)
    parts["part"] = [t(f"column.{p}") for p in parts["part"]]
    st.plotly_chart(
        charts.parts(parts, "part", "value", t("column.score")), key="school_issues_parts"
    )
shown = views.issue_list(issues, language)
st.subheader(t("school_issues.list"))
st.dataframe(shown, hide_index=True, key="school_issues_table")
if shown.empty:
    st.caption(t("district.no_issues"))
logged_download(
    user,
    t("district.download_issues"),
    data.to_xlsx(shown, organization),
    f"issues_{organization}.xlsx",
    what=f"issues:{organization}",
    key="school_issues_xlsx",
)
