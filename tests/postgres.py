"""Throwaway PostgreSQL servers for tests.

A :class:`ThrowawayCluster` runs ``initdb`` and ``pg_ctl`` from the installed server binaries
into a temporary directory, listens only on 127.0.0.1 and is deleted on exit. PostgreSQL
refuses to run as root, so under root the binaries run as the ``postgres`` OS user.

This module reads no environment variables: the fixtures in ``conftest.py`` decide where a
server comes from.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

PG_LIB_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
# The OS user the server runs as when we are root (Debian's postgresql package creates it).
SERVER_OS_USER = "postgres"

# Durability is worthless for a cluster deleted after the test run; these make it fast.
FAST_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_senders": "0",
    "wal_level": "minimal",
    "logging_collector": "off",
}


def _version_key(path: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15`` -> (15,), so 15 sorts above 9.6 and below 16."""
    return tuple(int(part) for part in re.findall(r"\d+", path.name)) or (-1,)


def _has_server_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def find_pg_bin_dir(search_root: Path = PG_LIB_ROOT, path: str | None = None) -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: Debian's layout first, then PATH.

    Debian keeps the server binaries out of PATH, under ``/usr/lib/postgresql/<version>/bin``;
    the highest version wins. ``path`` defaults to the process's PATH.
    """
    if search_root.is_dir():
        for version_dir in sorted(search_root.iterdir(), key=_version_key, reverse=True):
            if _has_server_binaries(version_dir / "bin"):
                return version_dir / "bin"
    initdb = shutil.which("initdb", path=path)
    if initdb:
        bin_dir = Path(initdb).resolve().parent
        if _has_server_binaries(bin_dir):
            return bin_dir
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (racy; callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ClusterError(RuntimeError):
    """initdb or pg_ctl failed; the message carries their output and the server log."""


class ThrowawayCluster:
    """A private PostgreSQL server in a temporary directory, for one test session.

    Use as a context manager (or call :meth:`start` / :meth:`stop`). Trust authentication on
    127.0.0.1 only; the unix socket lives inside the temporary directory so it never clashes
    with a system server. :meth:`stop` also runs at interpreter exit, in case the caller's
    cleanup never ran.
    """

    def __init__(
        self,
        bin_dir: Path | None = None,
        base_dir: Path | None = None,
        start_attempts: int = 3,
    ) -> None:
        found = bin_dir or find_pg_bin_dir()
        if found is None:
            raise ClusterError("no PostgreSQL server binaries (initdb, pg_ctl) found")
        self.bin_dir = found
        self.base_dir = base_dir
        self.start_attempts = start_attempts
        self.as_root = os.geteuid() == 0
        self.root: Path | None = None
        self.port: int | None = None
        self._running = False

    # -- paths ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root() / "socket"

    @property
    def log_file(self) -> Path:
        return self._root() / "postgres.log"

    @property
    def dsn(self) -> str:
        if self.port is None:
            raise ClusterError("the cluster is not running")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _root(self) -> Path:
        if self.root is None:
            raise ClusterError("the cluster has no directory yet: call start()")
        return self.root

    # -- running the binaries -------------------------------------------------------------

    def _command(self, args: Sequence[str]) -> list[str]:
        """``args`` run as the server's OS user: ourselves, or ``postgres`` when we are root."""
        if not self.as_root:
            return list(args)
        if shutil.which("runuser"):
            return ["runuser", "-u", SERVER_OS_USER, "--", *args]
        return ["su", SERVER_OS_USER, "-s", "/bin/sh", "-c", subprocess.list2cmdline(args)]

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = self._command([str(self.bin_dir / tool), *args])
        # cwd inside our directory: the server user may not be allowed into the caller's cwd.
        result = subprocess.run(
            command,
            cwd=self._root(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterError(
                f"{tool} failed ({result.returncode}): {' '.join(command)}\n"
                f"{result.stdout}{result.stderr}{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n--- server log ---\n" + "\n".join(text.splitlines()[-lines:])

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ThrowawayCluster:
        """initdb, then start the server on a free port; returns self."""
        if self._running:
            return self
        atexit.register(self.stop)
        try:
            self._make_root()
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _make_root(self) -> None:
        root = Path(tempfile.mkdtemp(prefix="emis-pg-", dir=self.base_dir))
        self.root = root
        if self.as_root:
            # The server user must reach its directory; mkdtemp makes it 0700 and ours.
            shutil.chown(root, user=SERVER_OS_USER, group=None)
            root.chmod(0o755)
            for parent in root.parents:
                if parent.stat().st_mode & 0o001 == 0:
                    raise ClusterError(
                        f"{parent} is not traversable by the {SERVER_OS_USER!r} user; "
                        "pass base_dir= (or set TMPDIR) to a directory it can reach"
                    )
        self._run("pg_ctl", "--version")  # fails early and clearly if the user cannot exec
        socket_dir = root / "socket"
        socket_dir.mkdir(mode=0o700)
        if self.as_root:
            shutil.chown(socket_dir, user=SERVER_OS_USER, group=None)

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",  # nothing here needs to survive a power cut
            "--no-instructions",
        )
        settings = {**FAST_SETTINGS, "unix_socket_directories": f"'{self.socket_dir}'"}
        # Appending keeps the file's owner (the server user) when we write it as root.
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# emis-stats throwaway test cluster\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _start_server(self) -> None:
        for attempt in range(1, self.start_attempts + 1):
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "--pgdata",
                    str(self.data_dir),
                    "--log",
                    str(self.log_file),
                    "--wait",
                    "--timeout",
                    "30",
                    "--options",
                    f"-p {self.port}",
                )
            except ClusterError:
                # Most likely someone took the port between free_port() and bind: retry.
                if attempt == self.start_attempts:
                    self.port = None
                    raise
                continue
            self._running = True
            return

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and delete the directory."""
        atexit.unregister(self.stop)
        if self.root is None:
            return
        if self._running or (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
                self._run(
                    "pg_ctl",
                    "stop",
                    "--pgdata",
                    str(self.data_dir),
                    "--mode",
                    "immediate",
                    "--wait",
                    timeout=30,
                )
        self._running = False
        self.port = None
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> ThrowawayCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# -- databases on a server ---------------------------------------------------------------


def dsn_for_database(admin_dsn: str, name: str) -> str:
    """``admin_dsn`` pointing at database ``name``, always as a ``postgresql://`` URL.

    A URL, because the platform tells a PostgreSQL warehouse from a DuckDB path by its
    scheme; a ``key=value`` DSN (e.g. from EMIS_TEST_PG_DSN) is converted.
    """
    parts = urlsplit(admin_dsn)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(path="/" + quote(name, safe="")))
    params = {k: str(v) for k, v in conninfo_to_dict(admin_dsn).items() if v is not None}
    params.pop("dbname", None)
    user = params.pop("user", "")
    password = params.pop("password", "")
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    query = urlencode(params)
    return (
        "postgresql://"
        + (userinfo + "@" if userinfo else "")
        + "/"
        + quote(name, safe="")
        + ("?" + query if query else "")
    )


def _admin_execute(admin_dsn: str, statement: sql.Composable) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(statement)


def create_database(admin_dsn: str, name: str) -> str:
    """Create database ``name`` on the server behind ``admin_dsn``; returns its DSN."""
    _admin_execute(admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return dsn_for_database(admin_dsn, name)


def copy_database(admin_dsn: str, source: str, name: str) -> str:
    """Create database ``name`` as a copy of ``source`` (nobody may be connected to it)."""
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(source)
    )
    _admin_execute(admin_dsn, statement)
    return dsn_for_database(admin_dsn, name)


def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name``, disconnecting whoever is still connected to it."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    _admin_execute(admin_dsn, statement)
