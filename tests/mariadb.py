"""Throwaway MariaDB servers for tests (the OpenEMIS connector's source database).

A :class:`ThrowawayMariaDB` runs ``mariadb-install-db`` into a temporary directory and starts
``mariadbd`` on a unix socket inside it (no TCP), deleted on exit. Under root the server runs
as the ``mysql`` OS user (Debian's mariadb-server package creates it), like PostgreSQL runs as
``postgres`` in tests/postgres.py. This module reads no environment variables.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import pymysql

SERVER_OS_USER = "mysql"
SERVER_CANDIDATES = ("/usr/sbin/mariadbd", "/usr/sbin/mysqld")


def find_mariadbd() -> Path | None:
    """The server binary and its ``mariadb-install-db`` beside it on PATH, or None."""
    if not shutil.which("mariadb-install-db"):
        return None
    for candidate in SERVER_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which("mariadbd")
    return Path(found) if found else None


class MariaDBError(RuntimeError):
    """The server would not install or start; the message carries its log."""


class ThrowawayMariaDB:
    """A private MariaDB server for one test session: ``root`` over a unix socket, no password."""

    def __init__(
        self,
        server: Path | None = None,
        base_dir: Path | None = None,
        keep_dir: Path | None = None,
        buffer_pool: str = "256M",
    ) -> None:
        """``keep_dir``: a directory of the caller's that outlives the server (a benchmark's
        filled database, reused by the next run) instead of a temporary one deleted on stop."""
        found = server or find_mariadbd()
        if found is None:
            raise MariaDBError("no MariaDB server (mariadbd, mariadb-install-db) found")
        self.server = found
        self.base_dir = base_dir
        self.keep_dir = keep_dir
        self.buffer_pool = buffer_pool
        self.as_root = os.geteuid() == 0
        self.root: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self._root() / "mysqld.sock"

    @property
    def log_file(self) -> Path:
        return self._root() / "mariadb.log"

    def dsn(self, database: str = "") -> str:
        """``mysql://root@localhost/DB?unix_socket=...``: the form the connector takes."""
        return f"mysql://root@localhost/{database}?unix_socket={quote(str(self.socket), safe='/')}"

    def connect(self, database: str | None = None, **kw) -> pymysql.Connection:
        return pymysql.connect(
            unix_socket=str(self.socket), user="root", database=database, charset="utf8mb4", **kw
        )

    def _root(self) -> Path:
        if self.root is None:
            raise MariaDBError("the server has no directory yet: call start()")
        return self.root

    def _as_server_user(self, args: list[str]) -> list[str]:
        if not self.as_root:
            return args
        return ["runuser", "-u", SERVER_OS_USER, "--", *args]

    def start(self) -> ThrowawayMariaDB:
        atexit.register(self.stop)
        try:
            self._install()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _install(self) -> None:
        if self.keep_dir is not None:
            root = self.keep_dir.absolute()
            root.mkdir(parents=True, exist_ok=True)
            self.root = root
            if (root / "data" / "mysql").is_dir():
                return  # installed (and perhaps filled) by an earlier run
        else:
            root = Path(tempfile.mkdtemp(prefix="emis-mariadb-", dir=self.base_dir))
            self.root = root
        if self.as_root:
            shutil.chown(root, user=SERVER_OS_USER, group=None)
            root.chmod(0o755)
        command = self._as_server_user(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={root / 'data'}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ]
        )
        result = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=180, check=False
        )
        if result.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")

    def _launch(self) -> None:
        root = self._root()
        command = self._as_server_user(
            [
                str(self.server),
                "--no-defaults",
                f"--datadir={root / 'data'}",
                f"--socket={self.socket}",
                f"--pid-file={root / 'mariadbd.pid'}",
                f"--log-error={self.log_file}",
                "--skip-networking",
                "--skip-name-resolve",
                # Durability is worthless for a server deleted after the run; these make it fast.
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                f"--innodb-buffer-pool-size={self.buffer_pool}",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
            ]
        )
        self.process = subprocess.Popen(command, cwd=root, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise MariaDBError(f"mariadbd exited ({self.process.returncode}){self._log_tail()}")
            with contextlib.suppress(pymysql.err.OperationalError):
                self.connect().close()
                return
            time.sleep(0.2)
        raise MariaDBError(f"mariadbd did not accept connections in 60 s{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n--- server log ---\n" + "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the server, as a crash or a cut connection would look to a client."""
        if self.process is not None and self.process.poll() is None:
            # runuser forwards nothing once killed itself: kill the server by its pid file.
            pid_file = self._root() / "mariadbd.pid"
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.process.kill()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.kill()
        self._launch()

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(pymysql.err.Error):
                conn = self.connect()
                conn.cursor().execute("SHUTDOWN")
                conn.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
        if self.root is not None and self.keep_dir is None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> ThrowawayMariaDB:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
