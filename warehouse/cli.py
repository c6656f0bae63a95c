"""`emis build`: run the dbt project (staging → intermediate → marts, with its tests)."""

from __future__ import annotations

import argparse

from emis.errors import UserError
from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build the warehouse models and run their tests (dbt build)",
        description=(
            "Run the dbt project against the warehouse named by EMIS_WAREHOUSE: seeds "
            "(classifiers, indicator metadata), staging views of the latest load, intermediate "
            "tables and the marts (observations), with every dbt test. Prints each model's and "
            "test's status and time."
        ),
    )
    parser.add_argument(
        "--select", help="dbt node selection, e.g. 'observations+' (default: everything)"
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="after a delta export: update incremental models only where the delta touches "
        "them (default: rebuild everything)",
    )
    parser.add_argument(
        "--nodes",
        action="store_true",
        help="list every node, seeds and tests too (default: models, and whatever failed)",
    )
    parser.set_defaults(handler=run)

    headlines = subparsers.add_parser(
        "indicators",
        help="print each indicator's national value from the built warehouse",
        description="Print the national total of every indicator in marts_open.observations "
        "for one academic year (default: the latest).",
    )
    headlines.add_argument("--year", help="academic year, e.g. 2025-2026")
    headlines.set_defaults(handler=show_headlines)

    docs = subparsers.add_parser(
        "docs",
        help="write the data dictionary (dbt docs as one self-contained HTML page)",
        description="Generate the dbt docs of the built warehouse (models, columns, tests, "
        "lineage, catalog) as $EMIS_HOME/docs/data-dictionary.html; it opens from the file.",
    )
    docs.set_defaults(handler=write_data_dictionary)


def write_data_dictionary(args: argparse.Namespace) -> int:
    from warehouse.dbt_runner import generate_data_dictionary

    try:
        path = generate_data_dictionary(load_settings())
    except RuntimeError as error:
        raise UserError(str(error)) from error
    print(f"data dictionary: {path}")
    return 0


def show_headlines(args: argparse.Namespace) -> int:
    from warehouse.read import national_headlines

    rows = national_headlines(load_settings(), args.year)
    if not rows:
        raise UserError("no observations: run `emis build` first (or check --year)")
    print(f"{'indicator':<32} {'year':<10} {'as of':<10} {'value':>14}  unit")
    for indicator_id, year, reference_date, value, unit in rows:
        digits = 0 if unit == "count" else 2 if unit == "index" else 1
        shown = "" if value is None else f"{float(value):,.{digits}f}"
        print(f"{indicator_id:<32} {year:<10} {reference_date!s:<10} {shown:>14}  {unit}")
    return 0


def run(args: argparse.Namespace) -> int:
    from warehouse.dbt_runner import build

    result = build(load_settings(), select=args.select, incremental=args.incremental)
    if result.full_because:
        print(f"rebuilt in full: {result.full_because}")
    if result.census_date_summary:
        print(result.census_date_summary)
    failed = [node for node in result.nodes if node.status in ("error", "fail")]
    shown = [
        node
        for node in result.nodes
        if args.nodes or node.resource_type == "model" or node in failed
    ]
    for node in shown:
        print(f"  {node.status:<8} {node.resource_type:<10} {node.name:<60} {node.seconds:6.2f}s")
    total = sum(node.seconds for node in result.nodes)
    print(f"{len(result.nodes)} nodes, {len(failed)} failed, {total:.1f}s in nodes")
    if not result.success:
        raise UserError(result.error or f"{len(failed)} node(s) failed: {failed[0].name}")
    return 0
