"""Ministry: any state form for any territory and date; the quality overview."""

import datetime as dt

import streamlit as st

from dashboards import data, views
from dashboards.ui import lang, logged_download, release, require, t

language = lang()  # a value, not a call: format_func runs later too

user = require("ministry")
current = release()
path = str(current.path)
territories = data.territories(path)

st.title(t("ministry.title"))
st.subheader(t("ministry.forms"))
if data.form_generator(current) is None:
    st.warning(t("ministry.forms_missing"))
else:
    snapshot = dt.date.fromisoformat(str(data.release_info(path)["snapshot_date"])[:10])
    st.caption(t("ministry.forms_intro", date=snapshot.isoformat()))
    choices = {choice.form_id: choice for choice in data.form_choices()}
    form_lang = data.form_language(language)

    def _form_label(form_id: str) -> str:
        choice = choices[form_id]
        return f"{choice.code} — {getattr(choice, f'title_{form_lang}')}"

    def _forget_date() -> None:
        # Each form has its own reporting date: start from the new form's latest one.
        st.session_state.pop("ministry_as_of", None)

    columns = st.columns([4, 3, 3, 2])
    form_id = columns[0].selectbox(
        t("ministry.form"),
        list(choices),
        format_func=_form_label,
        key="ministry_form",
        on_change=_forget_date,
    )
    territory = columns[1].selectbox(
        t("ministry.territory"),
        list(territories["territory_code"]),
        format_func=lambda c: views.territory_option(territories, c, language),
        key="ministry_territory",
    )
    organizations = data.form_organizations(user.scope, current)
    if territory != "KG":
        organizations = organizations[organizations["district_code"].str.startswith(territory)]
    organization_names = views.organization_labels(organizations, language)
    organization_ids = ["", *organizations["organization_id"]]
    if st.session_state.get("ministry_organization") not in organization_ids:
        st.session_state.pop("ministry_organization", None)
    whole = t("ministry.whole_territory")
    organization = columns[2].selectbox(
        t("ministry.organization"),
        organization_ids,
        format_func=lambda c: organization_names.get(c, c) or whole,
        key="ministry_organization",
    )
    as_of = columns[3].date_input(
        t("ministry.as_of"),
        data.default_form_date(choices[form_id], snapshot),
        max_value=snapshot,
        key="ministry_as_of",
    )
    request = (current.release_id, form_id, territory, organization, as_of, form_lang)
    if st.button(t("ministry.generate"), key="ministry_generate", type="primary"):
        try:
            with st.spinner(t("ministry.generate")):
                st.session_state["ministry_form_filled"] = (
                    request,
                    data.generate_form(
                        user.scope, current, form_id, territory, as_of, organization or None,
                        language,
                    ),
                )  # fmt: skip
        except Exception as error:  # a date the export does not cover, ...: said, not a trace
            st.error(str(error))
    filled = st.session_state.get("ministry_form_filled")
    if filled and filled[0] == request:  # only the form of the choices shown
        form = filled[1]
        st.caption(
            t(
                "ministry.form_summary",
                code=form.code,
                scope=form.scope_name,
                date=form.as_of.isoformat(),
                organizations=form.organizations,
                checks=form.checks,
                failures=len(form.failures),
            )
        )
        for failure in form.failures:
            st.caption(f"✗ {failure}")
        name = f"{form_id}_{organization or territory}_{as_of.isoformat()}_{form_lang}.xlsx"
        logged_download(
            user, t("ministry.download_form"), form.content, name, f"form:{name}",
            "ministry_form_xlsx",
        )  # fmt: skip

st.subheader(t("ministry.quality"))
overview = data.restricted_rows(path, "monitoring_territories", user.scope)
if overview.empty:
    st.info(t("district.no_data"))
else:
    names = territories.set_index("territory_code")[f"name_{language}"]
    overview = overview.assign(territory=overview["territory_code"].map(names))
    shown = overview[
        [
            "geographic_level",
            "territory_code",
            "territory",
            "organizations",
            "mean_score",
            "organizations_below_80",
            "fields_filled_pct",
            "entered_within_7_days_pct",
            "attendance_reporting_rate",
            "validity_pct",
        ]
    ]
    st.dataframe(
        shown.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="ministry_overview"
    )
    logged_download(
        user,
        t("ministry.download_overview"),
        data.to_xlsx(shown, "quality"),
        "quality_overview.xlsx",
        "quality_overview",
        "ministry_overview_xlsx",
    )
counts = views.issue_counts(data.restricted_rows(path, "dq_issues", user.scope))
st.subheader(t("ministry.issues_by_rule"))
st.dataframe(counts, hide_index=True, key="ministry_issue_counts")
