"""Are two releases the same? The check that a change made for speed changed no output.

    .venv/bin/python -m benchmarks.same_release RELEASE_A RELEASE_B

Every file of both releases (``releases/<id>/``) is compared; the two must hold the same
files. Parquet, CSV, SDMX, JSON and the data guidance are compared byte for byte, except
what legitimately differs between two publications of the same warehouse, which is removed
from both sides first (``VOLATILE``):

- the release record (``release.json``, the ``release`` table of the open bundle and the
  guidance's lines that print it): the publication time, the code version (a git revision),
  the audit's and the control's seconds, and the disclosure method's fingerprint (a hash of
  the disclosure modules' source, so any edit of them changes it) and the file list's order
  stays compared;
- the data dictionary (dbt docs): the manifest and catalog it embeds are compared as JSON
  (keys, and lists dbt fills in its parse order such as a node's dependencies, in any
  order), less dbt's generation and invocation times and
  ids, each node's creation time, dbt's anonymous user id and the EMIS_HOME in compiled
  paths (both belong to the home that published, ``$EMIS_HOME/dbt``); the rest of the page
  byte for byte;
- the issues of the restricted bundle (``dq_issues``, ``monitoring_issues``): the time the
  check ran (``detected_at``); these and the monitoring tables are compared as sets of rows,
  since the bundle writes them in the warehouse's scan order, which a rebuild changes;
- the basis of the form inputs (``form_inputs.json``): the dbt project's and the extraction's
  fingerprints;
- DuckDB files (``open.duckdb``, ``form_inputs.duckdb``): DuckDB does not write the same bytes
  twice, so their tables are compared instead: names, column names and types, row count and
  an order-free hash of the rows.

Prints each file's verdict and exits 1 if any differs.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import duckdb

# Keys of the release record that differ between two publications of the same data.
VOLATILE = ("published_at", "code_version")
VOLATILE_DISCLOSURE = ("method",)
VOLATILE_AUDIT = ("seconds", "control_seconds")
RECORD_TABLE = "release"  # the release record as a table of the open bundle
# What the form inputs were copied from (reports.extract.Basis): the code's fingerprints differ.
FORM_INPUTS_BASIS = "form_inputs.json"
VOLATILE_BASIS = ("project_fingerprint", "method")

# dbt docs: the manifest and catalog embedded in the page, less when and by which invocation
# it was generated, when each node was parsed, dbt's anonymous user id, and the EMIS_HOME of
# compiled paths; their keys in any order (dbt's parse order).
DICTIONARY_EMBEDS = ("manifest:", "catalog:")
DICTIONARY_VOLATILE = {"generated_at", "invocation_id", "invocation_started_at",
                       "run_started_at", "created_at", "user_id"}  # fmt: skip
COMPILED_PATH = re.compile(r"^.*(?=/dbt/target/)")
# Lists dbt fills in its parse order: a node's sources, refs and dependencies, the graph maps.
DICTIONARY_SETS = {"sources", "refs", "nodes", "macros", "parent_map", "child_map"}
# Restricted tables written in the warehouse's scan order; the check's time in the issues.
UNORDERED = ("dq_issues", "monitoring_issues", "monitoring_organizations",
             "monitoring_territories")  # fmt: skip
CHECK_TIME = "detected_at"


def stable_record(record: dict) -> dict:
    """The release record without what differs between two publications of the same data."""
    record = {key: value for key, value in record.items() if key not in VOLATILE}
    disclosure = record.get("disclosure")
    if isinstance(disclosure, str):  # flattened into a table: JSON text
        disclosure = json.loads(disclosure)
    if isinstance(disclosure, dict):
        disclosure = {k: v for k, v in disclosure.items() if k not in VOLATILE_DISCLOSURE}
        audit = disclosure.get("audit")
        if isinstance(audit, dict):
            disclosure["audit"] = {k: v for k, v in audit.items() if k not in VOLATILE_AUDIT}
        record["disclosure"] = disclosure
    return record


def _json_file(path: Path):
    return stable_record(json.loads(path.read_text(encoding="utf-8")))


def _guidance(path: Path) -> list:
    """The data guidance, its lines printing the release record made stable."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- code version:"):
            continue
        if line.startswith("- disclosure: "):
            line = stable_record({"disclosure": json.loads(line[len("- disclosure: ") :])})
        lines.append(line)
    return lines


def _record_table(path: Path) -> list:
    import pandas as pd

    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return [stable_record(row) for row in frame.astype(str).to_dict(orient="records")]


def _dictionary(path: Path) -> tuple[str, list[str]]:
    """The page's own bytes (less its embedded documents), and each embedded document."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    documents = []
    for label in DICTIONARY_EMBEDS:
        start = text.index(label + "{") + len(label)
        document, end = decoder.raw_decode(text, start)
        documents.append(json.dumps(_stable_docs(document), sort_keys=True))
        text = text[:start] + "{}" + text[end:]
    return hashlib.sha256(text.encode()).hexdigest(), documents


def _stable_docs(value, unordered: bool = False):
    """``value`` less its volatile keys; lists under ``DICTIONARY_SETS`` (or, in a graph map,
    each node's list) sorted."""
    if isinstance(value, dict):
        stable = {}
        for key, item in value.items():
            as_set = key in DICTIONARY_SETS or (unordered and isinstance(item, list))
            stable[key] = "~" if key in DICTIONARY_VOLATILE else _stable_docs(item, as_set)
        return stable
    if isinstance(value, list):
        items = [_stable_docs(item) for item in value]
        return sorted(items, key=json.dumps) if unordered else items
    if isinstance(value, str) and "/dbt/target/" in value:
        return COMPILED_PATH.sub("~", value)
    return value


def _duckdb(path: Path) -> list:
    """Each table's name, columns and types, rows and an order-free hash of them (the release
    record's table by its stable content)."""
    tables = []
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "order by table_schema, table_name"
        ).fetchall()
        for schema, name in names:
            table = f'"{schema}"."{name}"'
            columns = con.execute(f"describe {table}").fetchall()
            if name == RECORD_TABLE and path.name == "open.duckdb":
                frame = con.execute(f"select * from {table}").df().astype(str)
                content = [stable_record(row) for row in frame.to_dict(orient="records")]
            else:
                content = con.execute(
                    f"select count(*), sum(hash(t)::hugeint)::varchar from {table} as t"
                ).fetchall()
            tables.append((schema, name, [c[:2] for c in columns], content))
    return tables


def _unordered(path: Path) -> str:
    """The table's rows in sorted order, without the check's time."""
    import pandas as pd

    frame = pd.read_parquet(path).drop(columns=CHECK_TIME, errors="ignore")
    frame = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def _bytes(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> tuple[str, object]:
    """How a file is compared, and what is compared."""
    if path.name == "release.json":
        return "record", _json_file(path)
    if path.stem == RECORD_TABLE and path.suffix in (".parquet", ".csv"):
        return "record table", _record_table(path)
    if path.name == "README.md":
        return "guidance", _guidance(path)
    if path.name == FORM_INPUTS_BASIS:
        basis = json.loads(path.read_text(encoding="utf-8"))
        return "basis, code fingerprints removed", {
            key: value for key, value in basis.items() if key not in VOLATILE_BASIS
        }
    if path.name == "data-dictionary.html":
        return "dbt docs, times removed", _dictionary(path)
    if path.suffix == ".duckdb":
        return "tables", _duckdb(path)
    if path.stem in UNORDERED and path.suffix == ".parquet":
        return "rows in any order", _unordered(path)
    return "bytes", _bytes(path)


def compare(a: Path, b: Path) -> list[tuple[str, str, bool]]:
    """(file, how compared, same) for every file of either release."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    verdicts = []
    for name in sorted(files_a | files_b):
        if name not in files_a or name not in files_b:
            verdicts.append((str(name), f"only in {'A' if name in files_a else 'B'}", False))
            continue
        how, left = fingerprint(a / name)
        _, right = fingerprint(b / name)
        verdicts.append((str(name), how, left == right))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__)
        return 2
    a, b = (Path(arg).resolve() for arg in argv)
    verdicts = compare(a, b)
    for name, how, same in verdicts:
        print(f"{'same' if same else 'DIFFERENT':<10} {how:<24} {name}")
    different = sum(not same for _, _, same in verdicts)
    print(f"{len(verdicts) - different} of {len(verdicts)} files the same: {a} and {b}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
