"""Running the dbt project against the configured warehouse, programmatically (dbtRunner).

The profile is written from the platform's settings into ``$EMIS_HOME/dbt/``, with dbt's
target and log folders beside it, so the repository stays clean and two homes never share
build state.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from emis.reference import REPO_ROOT
from emis.settings import Settings

PROJECT_DIR = REPO_ROOT / "dbt_project"
# Read quality.dq_issues, which a check replaces: rebuilt after it (expectations.check).
MONITORING_MARTS = "path:models/marts/monitoring"
# The staging keys' tests (unique, not null). On DuckDB, where staging is views, they hold by
# construction: macro current_rows keeps one row per key, and ingestion quarantines a row
# whose key is missing or repeated within a file. Like the unit tests they run with every
# full build of the code, not with an incremental one. On PostgreSQL staging is incremental
# tables, whose upkeep they test every time.
STAGING_KEY_TESTS = "test_name:unique,path:models/staging test_name:not_null,path:models/staging"
DBT_OUTPUT_DIRS = ("target", "logs", "dbt_packages")


@dataclass(frozen=True)
class NodeResult:
    name: str
    resource_type: str  # model, seed, test, unit_test, snapshot
    status: str  # success, error, pass, fail, warn, skipped
    seconds: float
    message: str | None


@dataclass(frozen=True)
class BuildResult:
    success: bool
    nodes: tuple[NodeResult, ...]
    error: str | None = None
    kind: str = "full"  # full | incremental
    full_because: str | None = None  # why an incremental build was asked for and not done
    # An incremental build of everything keeps the census-date models (census_date.py) or
    # says why it rebuilt them.
    census_date_kept: bool = False
    census_date_rebuilt_because: str | None = None

    @property
    def census_date_summary(self) -> str | None:
        if self.census_date_kept:
            return "census-date models kept: the loads since the last build change none of them"
        if self.census_date_rebuilt_because:
            return f"census-date models rebuilt: {self.census_date_rebuilt_because}"
        return None


def profile_yaml(settings: Settings) -> str:
    """A dbt profile named ``emis`` pointing at the warehouse of ``settings``.

    dbt runs two models at once on PostgreSQL, whose server gives each query one core, and one
    at a time on DuckDB, which spreads each query over every core itself: two DuckDB queries
    side by side only contended for the two cores and the memory limit (a national daily
    build 30.4 s with two dbt threads, 25.7 s with one; a full build 51 s either way, with
    half the node time).
    """
    if settings.is_postgres:
        url = urlparse(settings.warehouse)
        output = {
            "type": "postgres",
            "host": url.hostname or "localhost",
            "port": url.port or 5432,
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "dbname": url.path.lstrip("/") or "postgres",
            "schema": "public",
            "threads": 2,
        }
        target = "postgres"
    else:
        output = {
            "type": "duckdb",
            "path": str(settings.warehouse_path),
            "threads": 1,
            # Within 4 GB for a national build, dbt and Python included; DuckDB spills beyond.
            "settings": {"memory_limit": "2GB", "preserve_insertion_order": False},
        }
        target = "duckdb"
    lines = ["emis:", f"  target: {target}", "  outputs:", f"    {target}:"]
    lines += [
        f"      {key}: {_yaml_scalar(value)}" for key, value in output.items() if key != "settings"
    ]
    if "settings" in output:
        lines.append("      settings:")
        lines += [f"        {key}: {_yaml_scalar(v)}" for key, v in output["settings"].items()]
    return "\n".join(lines) + "\n"


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dbt_home(settings: Settings) -> Path:
    return settings.home / "dbt"


def dbt_args(settings: Settings, command: str, *extra: str) -> list[str]:
    home = dbt_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    profiles = home / "profiles.yml"
    profiles.write_text(profile_yaml(settings))
    profiles.chmod(0o600)  # it may hold a PostgreSQL password
    return [
        *command.split(),  # "build", or a command with a sub-command: "docs generate"
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(home),
        "--target-path", str(home / "target"),
        "--log-path", str(home / "logs"),
        *extra,
    ]  # fmt: skip


# Read by the models while they run (env_var): macro observation_rows_kept.
CENSUS_DATE_KEPT_VARIABLE = "EMIS_CENSUS_DATE_KEPT"
# Read by the histories' tests (macro rows_built_now).
INCREMENTAL_BUILD_VARIABLE = "EMIS_INCREMENTAL_BUILD"


# The project parsed ahead by parse_project, for the profile and project files it was parsed
# from: one entry, as a process runs against one warehouse.
_parsed: dict[str, object] = {}


def parse_project(settings: Settings) -> None:
    """Parse the dbt project now, so that the dbt commands this process runs later start from
    its manifest. A first command in a process spends about 2.5 s before its first node,
    1 s of it parsing; ``emis run`` parses while the export loads. Parsing reads files only:
    it opens no connection to the warehouse."""
    from dbt.cli.main import dbtRunner

    key = _parse_key(settings)
    result = dbtRunner().invoke([*dbt_args(settings, "parse"), "--quiet"])
    _parsed.clear()
    if result.success:
        _parsed[key] = result.result


def _parse_key(settings: Settings) -> str:
    return profile_yaml(settings) + project_fingerprint()


def run_dbt(
    settings: Settings,
    command: str = "build",
    *extra: str,
    census_date_kept: bool = False,
    incremental: bool = False,
) -> BuildResult:
    """Run a dbt command; each node's status and time, or the error that stopped dbt.
    ``census_date_kept`` tells the models that this build keeps the census-date models, and
    ``incremental`` the tests that it is an incremental build. Both are read when the nodes
    are compiled, which a manifest parsed ahead leaves to run time."""
    from dbt.cli.main import dbtRunner

    manifest = _parsed.get(_parse_key(settings)) if _parsed else None
    try:
        with (
            _environment(CENSUS_DATE_KEPT_VARIABLE, "1" if census_date_kept else "0"),
            _environment(INCREMENTAL_BUILD_VARIABLE, "1" if incremental else "0"),
            _without_jit() if settings.is_postgres else nullcontext(),
        ):
            runner = dbtRunner(manifest=manifest)
            result = runner.invoke([*dbt_args(settings, command, *extra), "--quiet"])
    finally:
        _release_duckdb_file()
    nodes = []
    for node_result in getattr(result.result, "results", None) or []:
        node = node_result.node
        nodes.append(
            NodeResult(
                name=node.name,
                resource_type=str(node.resource_type),
                status=str(node_result.status),
                seconds=float(node_result.execution_time or 0.0),
                message=node_result.message,
            )
        )
    error = None if result.success else _first_line(result.exception) or "dbt reported failures"
    return BuildResult(bool(result.success), tuple(nodes), error)


def _without_jit():
    """dbt's PostgreSQL sessions, models and tests alike, without JIT compilation (libpq's
    PGOPTIONS). PostgreSQL compiled the big analytic queries to machine code first, which took
    longer than the work it saved: 36 of the 77 s of `observations`, 12 of the 18 s of the
    test that its breakdowns add up."""
    return _environment("PGOPTIONS", f"{os.environ.get('PGOPTIONS', '')} -c jit=off".strip())


@contextmanager
def _environment(name: str, value: str):
    """dbt runs in this process: its env_var() and libpq read our environment."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def build(
    settings: Settings,
    select: str | None = None,
    incremental: bool = False,
    exclude: str | None = None,
) -> BuildResult:
    """``dbt build``: everything rebuilt, or with ``incremental`` the incremental models updated
    where the loads since the last whole build touch them (a full rebuild when a new full
    export has come since, as incremental models would keep rows the new export no longer
    has), and the census-date models kept while those loads change none of their rows
    (``census_date``). ``exclude`` (a dbt selector) leaves models as they are; it must leave
    out no incremental model. A successful build without ``select`` is recorded in
    ``meta.builds``: the next incremental one starts after the loads it went through."""
    from warehouse.census_date import CENSUS_DATE_MODELS, rebuild_because
    from warehouse.targets import open_target

    target = open_target(settings)
    target.ensure_schema()  # a warehouse loaded by an older version
    project = project_fingerprint()
    full_because = full_build_reason(settings, project) if incremental else None
    kind = "incremental" if incremental and full_because is None else "full"
    census_because, census_kept = None, False
    if kind == "incremental" and select is None:
        census_because = rebuild_because(settings)
        census_kept = census_because is None
    left_out = [exclude] if exclude else []
    if census_kept:
        left_out.append(CENSUS_DATE_MODELS)
    if kind == "incremental" and not settings.is_postgres:
        left_out.append(STAGING_KEY_TESTS)
    extra = ["--select", select] if select else []
    extra += ["--exclude", " ".join(left_out)] if left_out else []
    if kind == "incremental":
        # The SQL's unit tests ran with the full build of this code; a day's data needs
        # its data tests only.
        extra += ["--exclude-resource-type", "unit_test"]
    else:
        extra.append("--full-refresh")
    result = run_dbt(
        settings, "build", *extra, census_date_kept=census_kept, incremental=kind == "incremental"
    )
    if result.success and select is None:  # a partial build leaves other models behind
        target.record_build(kind, project)
    return replace(
        result,
        kind=kind,
        full_because=full_because,
        census_date_kept=census_kept,
        census_date_rebuilt_because=census_because,
    )


def full_build_reason(settings: Settings, project: str) -> str | None:
    """Why an incremental build cannot be done, or None. It needs a whole build through the
    full export staging reads now, by the same dbt project ``project`` (its fingerprint):
    incremental models keep the rows of earlier builds, and after a change of the project's
    SQL or seeds they would mix two methods."""
    from warehouse.read import query

    if not (settings.is_postgres or settings.warehouse_path.exists()):
        return "no warehouse yet"
    rows = query(
        settings,
        "select (select max(built_through_load_id) from meta.builds) "
        ">= (select load_id from meta.current_loads where is_base), "
        "(select project_fingerprint from meta.builds "
        "order by finished_at desc, built_through_load_id desc limit 1)",
    )
    went_through_base, built_with = rows[0]
    if not went_through_base:
        return "no whole build since the latest full export"
    if built_with != project:
        return "the dbt project changed since the latest build"
    return None


def project_fingerprint() -> str:
    """A digest of the dbt project's files and dbt's version: what the models compute."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"dbt-core {version('dbt-core')}\n".encode())
    _digest_project_files(digest)
    return digest.hexdigest()


def _digest_project_files(digest) -> None:
    """The project's own files, not what dbt or a linter writes into it (target, logs)."""
    for path in sorted(PROJECT_DIR.rglob("*")):
        parts = path.relative_to(PROJECT_DIR).parts
        if parts[0] in DBT_OUTPUT_DIRS:
            continue
        if path.is_file() and not any(part.startswith((".", "__")) for part in parts):
            digest.update(f"{path.relative_to(PROJECT_DIR)}\n".encode())
            digest.update(path.read_bytes())


def _first_line(exception) -> str | None:
    if exception is None:
        return None
    return str(exception).strip().splitlines()[0][:300]


def _release_duckdb_file() -> None:
    """Close the DuckDB file dbt-duckdb keeps open in this process after a run.

    A DuckDB file admits one writer, or readers of one configuration; the adapter's cached
    environment would otherwise block every later connection from this process (a quality
    check, a test) until exit. dbt-duckdb offers no public call for it (1.11).
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


DATA_DICTIONARY = "data-dictionary.html"


def generate_data_dictionary(settings: Settings) -> Path:
    """Write the dbt docs as one self-contained HTML page; return its path.

    ``dbt docs generate --static`` embeds the manifest and the warehouse catalog in the page,
    so it opens from a file with no server; a release ships it as its data dictionary. The
    page written last is reused while what it is made of is unchanged
    (``data_dictionary_inputs``): a daily release does not start dbt for it.
    """
    target = settings.home / "docs" / DATA_DICTIONARY
    stamp = target.with_name(DATA_DICTIONARY + ".inputs")
    inputs = data_dictionary_inputs(settings)
    if target.exists() and stamp.exists() and stamp.read_text() == inputs:
        return target
    result = run_dbt(settings, "docs generate", "--static")
    if not result.success:
        raise RuntimeError(result.error or "dbt docs generate failed")
    page = dbt_home(settings) / "target" / "static_index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page, target)
    stamp.write_text(inputs)
    return target


def data_dictionary_inputs(settings: Settings) -> str:
    """A fingerprint of what the data dictionary is made of: dbt and its adapter's versions,
    the profile, the project's files (models, tests, seeds, docs, variables) and the
    warehouse's catalog (every table's and column's name and type; DuckDB and PostgreSQL
    catalogs carry no statistics)."""
    import hashlib
    from importlib.metadata import version

    from warehouse.read import query

    digest = hashlib.sha256()
    adapter = "dbt-postgres" if settings.is_postgres else "dbt-duckdb"
    digest.update(f"dbt-core {version('dbt-core')}, {adapter} {version(adapter)}\n".encode())
    digest.update(profile_yaml(settings).encode())
    _digest_project_files(digest)
    catalog = query(
        settings,
        "select tables.table_schema, tables.table_name, tables.table_type, "
        "columns.column_name, columns.ordinal_position, columns.data_type "
        "from information_schema.tables as tables inner join information_schema.columns "
        "as columns on columns.table_schema = tables.table_schema "
        "and columns.table_name = tables.table_name "
        "order by 1, 2, 5",
    )
    for row in catalog:
        digest.update(repr(tuple(map(str, row))).encode())
    return digest.hexdigest()
