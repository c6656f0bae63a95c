"""Shared pytest fixtures.

PostgreSQL: ``pg_server`` is one server for the session (EMIS_TEST_PG_DSN, else a throwaway
cluster from the installed binaries); ``pg_dsn`` is a fresh database on it for each test.
Without a server the tests skip locally, but fail under CI=true: CI must not go green by
skipping the PostgreSQL tests.

MariaDB (the OpenEMIS connector's source): ``mariadb_server`` is one throwaway server for the
session (tests/mariadb.py), with the same rule: skip locally without one, fail under CI=true.

``portal_home`` (tests/portal_fixtures.py) is the portal's test release, published once per
session for the AppTest and the browser tests alike.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.mariadb import ThrowawayMariaDB, find_mariadbd
from tests.portal_fixtures import portal_home  # noqa: F401  (one release per session)
from tests.postgres import ThrowawayCluster, create_database, drop_database, find_pg_bin_dir


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The admin DSN of a PostgreSQL server the tests may create databases on."""
    dsn = os.environ.get("EMIS_TEST_PG_DSN")
    if dsn:
        yield dsn
        return
    bin_dir = find_pg_bin_dir()
    if bin_dir is None:
        message = "no PostgreSQL: set EMIS_TEST_PG_DSN or install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(message)
    with ThrowawayCluster(bin_dir) as cluster:
        yield cluster.dsn


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A ``postgresql://`` DSN of an empty database of this test's own, dropped afterwards."""
    name = f"emis_test_{uuid.uuid4().hex[:8]}"
    dsn = create_database(pg_server, name)
    try:
        yield dsn
    finally:
        drop_database(pg_server, name)


def _no_server(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: these tests must run, not skip)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[ThrowawayMariaDB]:
    """A throwaway MariaDB server of the session's own (unix socket, no TCP)."""
    server = find_mariadbd()
    if server is None:
        _no_server("no MariaDB: install mariadb-server")
    with ThrowawayMariaDB(server) as mariadb:
        yield mariadb
