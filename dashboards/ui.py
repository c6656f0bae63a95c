"""What every page shares: the language, the current release, the signed-in account.

The account is re-read from the account store on every run (only the username sits in the
session), so disabling an account or changing its scope takes effect at the next click, and
no session value can widen what a user reads.
"""

from __future__ import annotations

import streamlit as st

from dashboards import auth, data, i18n
from emis.settings import load_settings

LANG_KEY = "lang"
USER_KEY = "auth_user"


def lang() -> str:
    return i18n.choose_lang(st.session_state.get(LANG_KEY))


def t(key: str, **values: object) -> str:
    return i18n.text(key, lang(), **values)


def language_switcher() -> str:
    """ky / ru / en, kept in the URL (``?lang=en``) so a link opens in the same language."""
    from_url(LANG_KEY, i18n.LANGS, default=i18n.DEFAULT_LANG)
    st.sidebar.segmented_control(
        "Language",
        options=list(i18n.LANGS),
        format_func=i18n.LANG_NAMES.get,
        required=True,
        key=LANG_KEY,
        label_visibility="collapsed",
    )
    to_url(**{LANG_KEY: lang()})
    return lang()


# Widgets keep their choices in the URL by hand rather than with ``bind="query-params"``:
# a bound widget writes its *formatted label* into the URL, and ours are translated, so a
# link would change with the language and break when it is switched.


def from_url(key: str, options, *, multi: bool = False, default=None) -> None:
    """Seed a widget's state from the URL on its first run (a permalink); invalid values are
    ignored. Later runs keep what the reader chose."""
    if key in st.session_state:
        return
    if multi:
        wanted = [value for value in st.query_params.get_all(key) if value in options]
        if wanted:
            st.session_state[key] = wanted
        return
    value = st.query_params.get(key)
    if value in options:
        st.session_state[key] = value
    elif default is not None:
        st.session_state[key] = default


def to_url(**values) -> None:
    """Write the current choices into the URL; empty ones are removed."""
    for key, value in values.items():
        if value is None or value == "" or (isinstance(value, list | tuple) and not value):
            if key in st.query_params:
                del st.query_params[key]
        elif isinstance(value, list | tuple):
            st.query_params[key] = [str(v) for v in value]
        else:
            st.query_params[key] = str(value)


def release() -> data.Release:
    """The current release; the page stops with a notice before the first publish."""
    found = data.current_release()
    if found is None:
        st.warning(t("release.none"))
        st.stop()
    return found


def account() -> auth.Account | None:
    username = st.session_state.get(USER_KEY)
    if not username:
        return None
    found = auth.get_account(load_settings().home, username)
    if found is None or found.is_disabled:
        st.session_state.pop(USER_KEY, None)
        return None
    return found


def require(*roles: str) -> auth.Account:
    """The signed-in account if its role may see this page; otherwise stop the page."""
    found = account()
    if found is None or found.role not in roles:
        st.error(t("auth.required"))
        st.stop()
    return found


def logged_download(
    user: auth.Account, label: str, payload: bytes, file_name: str, what: str, key: str
) -> None:
    """A restricted download: logged (who, what, when) when clicked."""
    release_id = data.current_release().release_id if data.current_release() else None
    st.download_button(
        label,
        payload,
        file_name=file_name,
        key=key,
        on_click=auth.log_download,
        args=(load_settings().home, user, what, release_id),
    )
