"""AppTest of the portal against the test release (tests/portal_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.portal_fixtures import PortalHome

APP = Path(__file__).resolve().parents[3] / "dashboards" / "streamlit_app.py"


@pytest.fixture
def app(portal_home: PortalHome, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``app(page=None, user=None, **query) -> AppTest`` run once on ``page`` as ``user``."""
    for name, value in portal_home.env.items():
        monkeypatch.setenv(name, value)

    def run(page: str | None = None, user: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        for key, value in query.items():
            at.query_params[key] = value
        if user:
            at.session_state["auth_user"] = user
        at.run()
        if page:
            at.switch_page(page)
            for key, value in query.items():
                at.query_params[key] = value
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run
