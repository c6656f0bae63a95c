"""The portal's router: the frame (title, language, sign-in state) once, then the page.

Run with `emis portal`. Public pages need no sign-in; the restricted pages are listed for the
roles that may open them, and each also checks the role and reads inside the account's scope.
"""

from __future__ import annotations

import streamlit as st

from dashboards import ui

st.set_page_config(
    page_title="EMIS · БББМС · ИСУО", page_icon=":material/bar_chart:", layout="wide"
)
ui.language_switcher()
user = ui.account()

public = [
    st.Page(
        "app_pages/home.py",
        title=ui.t("nav.home"),
        icon=":material/home:",
        url_path="home",
        default=True,
    ),
    st.Page(
        "app_pages/explorer.py",
        title=ui.t("nav.explorer"),
        icon=":material/bar_chart:",
        url_path="explorer",
    ),
    st.Page(
        "app_pages/territory.py",
        title=ui.t("nav.territory"),
        icon=":material/map:",
        url_path="territory",
    ),
    st.Page(
        "app_pages/school.py", title=ui.t("nav.school"), icon=":material/school:", url_path="school"
    ),
    st.Page(
        "app_pages/open_data.py",
        title=ui.t("nav.open_data"),
        icon=":material/download:",
        url_path="open-data",
    ),
    st.Page(
        "app_pages/methodology.py",
        title=ui.t("nav.methodology"),
        icon=":material/menu_book:",
        url_path="methodology",
    ),
]
restricted = {
    "ministry": [
        st.Page(
            "app_pages/ministry.py",
            title=ui.t("nav.ministry"),
            icon=":material/account_balance:",
            url_path="ministry",
        )
    ],
    "district": [
        st.Page(
            "app_pages/district.py",
            title=ui.t("nav.district"),
            icon=":material/checklist:",
            url_path="district",
        )
    ],
    "school": [
        st.Page(
            "app_pages/school_issues.py",
            title=ui.t("nav.school_issues"),
            icon=":material/task:",
            url_path="my-school",
        )
    ],
}
signoff_page = st.Page(
    "app_pages/signoff.py",
    title=ui.t("nav.signoff"),
    icon=":material/verified:",
    url_path="signoff",
)
account_page = st.Page(
    "app_pages/login.py",
    title=ui.t("nav.logout") if user else ui.t("nav.login"),
    icon=":material/login:",
    url_path="login",
)
pages = {
    ui.t("nav.public"): public,
    ui.t("nav.restricted"): [
        *(restricted[user.role] if user else []),
        *([signoff_page] if user else []),
        account_page,
    ],
}
if user:
    st.sidebar.caption(
        ui.t("auth.signed_in_as", user=user.username, role=ui.t(f"role.{user.role}"))
    )
st.navigation(pages).run()
