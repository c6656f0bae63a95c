"""Sign in (restricted pages) or sign out."""

import streamlit as st

from dashboards import auth
from dashboards.ui import USER_KEY, account, t
from emis.settings import load_settings

user = account()
st.title(t("login.title"))
if user:
    st.write(t("auth.signed_in_as", user=user.username, role=t(f"role.{user.role}")))
    if st.button(t("login.sign_out"), key="login_sign_out"):
        st.session_state.pop(USER_KEY, None)
        st.rerun()
    st.stop()

with st.form("login_form"):
    username = st.text_input(t("login.username"), key="login_username")
    password = st.text_input(t("login.password"), type="password", key="login_password")
    submitted = st.form_submit_button(t("login.sign_in"))
if submitted:
    result = auth.sign_in(load_settings().home, username.strip().lower(), password)
    if result.account:
        st.session_state[USER_KEY] = result.account.username
        st.rerun()
    st.error(t(f"login.{result.reason}"))
st.caption(t("login.help"))
