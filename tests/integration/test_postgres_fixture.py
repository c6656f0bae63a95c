"""The PostgreSQL test infrastructure itself: per-test databases and the throwaway cluster."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.postgres import (
    PG_LIB_ROOT,
    ThrowawayCluster,
    create_database,
    drop_database,
    dsn_for_database,
    find_pg_bin_dir,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_database(pg_dsn: str, run: int) -> None:
    # Both runs create the same table: the second would fail if it saw the first's database.
    assert pg_dsn.startswith("postgresql://")
    with psycopg.connect(pg_dsn) as conn:
        database = conn.execute("select current_database()").fetchone()
        assert database is not None
        assert database[0] != "postgres"
        assert database[0].startswith("emis_test_")
        leftovers = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        assert leftovers == (0,)
        conn.execute("create table probe (run int)")
        conn.execute("insert into probe values (%s)", (run,))
        assert conn.execute("select run from probe").fetchall() == [(run,)]


def test_create_and_drop_database(pg_server: str) -> None:
    name = f"emis_test_drop_{os.getpid()}"
    dsn = create_database(pg_server, name)
    held_open = psycopg.connect(dsn)  # WITH (FORCE) must not wait for this one
    try:
        drop_database(pg_server, name)
    finally:
        held_open.close()
    with psycopg.connect(pg_server) as conn:
        rows = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchall()
    assert rows == []
    drop_database(pg_server, name)  # dropping twice is harmless


def test_dsn_for_database_keeps_the_server() -> None:
    url = "postgresql://emis:s%40cret@db.example:6543/postgres?sslmode=require"
    assert dsn_for_database(url, "emis_test_1") == (
        "postgresql://emis:s%40cret@db.example:6543/emis_test_1?sslmode=require"
    )
    keywords = "host=/run/postgresql port=5433 user=emis dbname=postgres"
    converted = dsn_for_database(keywords, "emis_test_1")
    assert converted.startswith("postgresql://emis@/emis_test_1?")
    assert psycopg.conninfo.conninfo_to_dict(converted) == {
        "host": "/run/postgresql",
        "port": "5433",
        "user": "emis",
        "dbname": "emis_test_1",
    }


@pytest.mark.skipif(not PG_LIB_ROOT.is_dir(), reason=f"{PG_LIB_ROOT} does not exist")
def test_find_pg_bin_dir_finds_debian_binaries() -> None:
    bin_dir = find_pg_bin_dir()
    assert bin_dir is not None
    assert bin_dir.parent.parent == PG_LIB_ROOT
    assert (bin_dir / "initdb").is_file()
    assert (bin_dir / "pg_ctl").is_file()


def test_find_pg_bin_dir_falls_back_to_path(tmp_path: Path) -> None:
    assert find_pg_bin_dir(search_root=tmp_path / "missing", path=str(tmp_path)) is None
    for tool in ("initdb", "pg_ctl"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    assert find_pg_bin_dir(search_root=tmp_path / "missing", path=str(tmp_path)) == tmp_path


def _require_binaries() -> Path:
    bin_dir = find_pg_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no PostgreSQL server binaries (CI=true: must not skip)")
        pytest.skip("no PostgreSQL server binaries")
    return bin_dir


def test_throwaway_cluster_runs_and_cleans_up() -> None:
    with ThrowawayCluster(_require_binaries()) as cluster:
        root = cluster.root
        assert root is not None and root.is_dir()
        with psycopg.connect(cluster.dsn) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.execute("show fsync").fetchone() == ("off",)
            assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
    assert not root.exists()


# Run by a non-root user: imports tests.postgres from the repository and starts a cluster.
CHILD_SCRIPT = """
import os
import psycopg
from tests.postgres import ThrowawayCluster

with ThrowawayCluster() as cluster:
    assert not cluster.as_root
    with psycopg.connect(cluster.dsn) as conn:
        print(os.geteuid(), conn.execute("select version()").fetchone()[0])
"""


def _as_user(user: pwd.struct_passwd, command: list[str], env: dict[str, str]) -> list[str]:
    """``command`` run as ``user``.

    The interpreter may live where only root can look (pyenv under a 0700 /root, or a clone
    under /root); then the child keeps CAP_DAC_READ_SEARCH to read it. It is still a
    non-root uid, which is what the cluster code distinguishes.
    """
    # Absolute paths: the child's PATH may lack /usr/sbin.
    runuser = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user.pw_name, "--"]
    probe = [*runuser, sys.executable, "-c", "import psycopg, tests.postgres"]
    if subprocess.run(probe, env=env, cwd="/", capture_output=True, check=False).returncode == 0:
        return [*runuser, *command]
    return [
        shutil.which("setpriv") or "/usr/bin/setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--",
        *command,
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch user")
def test_throwaway_cluster_runs_as_a_normal_user() -> None:
    _require_binaries()
    user = pwd.getpwnam("nobody")
    # The user's own TMPDIR: the cluster goes there, and pytest's tmp_path is root-only.
    tmpdir = Path(tempfile.mkdtemp(prefix="emis-nobody-"))
    try:
        shutil.chown(tmpdir, user=user.pw_uid, group=user.pw_gid)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",  # no root-owned caches written as nobody
            "TMPDIR": str(tmpdir),
            "HOME": str(tmpdir),
            "LANG": "C.UTF-8",
        }
        result = subprocess.run(
            _as_user(user, [sys.executable, "-c", CHILD_SCRIPT], env),
            env=env,
            cwd=tmpdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        uid, version = result.stdout.strip().split(" ", 1)
        assert uid == str(user.pw_uid)
        assert version.startswith("PostgreSQL ")
        assert list(tmpdir.iterdir()) == [], "the cluster directory was not deleted"
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
