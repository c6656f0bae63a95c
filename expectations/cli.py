"""`emis check`: the quality suites on the latest load, issues into quality.dq_issues."""

from __future__ import annotations

import argparse
from pathlib import Path

from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="run the data-quality rules on the latest load (record-level issues)",
        description=(
            "Run every quality rule (Great Expectations suites on facts read from the built "
            "warehouse) on the latest load, replace its rows of quality.dq_issues (record ids, "
            "no personal data) and print, per rule, its register, severity, records checked and "
            "issues. Exit code 0 without blocking issues, 1 with any (they are listed), 2 for "
            "a usage error. After an earlier check, the record rules are validated again on the "
            "records the loads since touched only, and the other issues carried forward "
            "(docs/performance.md). Rules: docs/quality.md."
        ),
    )
    parser.add_argument(
        "--score",
        type=Path,
        metavar="DEFECTS_CSV",
        help="also print recall and precision per planted defect kind against a synthetic "
        "export's defects.csv",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="validate every record, even where an earlier check allows an incremental one",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from expectations.check import check
    from expectations.score import format_scores, read_defects, score

    planted = read_defects(args.score) if args.score else None  # a bad path fails first
    result = check(load_settings(), full=args.full)
    print(f"load {result.context.load_id} (snapshot {result.context.snapshot_date})")
    if result.delta is not None:
        carried = sum(o.carried for o in result.outcomes)
        print(
            f"incremental after load {result.delta.since_load_id}: record rules validated on "
            f"the records loads {', '.join(map(str, result.delta.new_loads)) or '(none)'} "
            f"touched; {carried:,} issues of other records carried forward"
        )
    else:
        print(f"full check: {result.full_because}")
    print(f"{'rule':<34} {'register':<18} {'severity':<9} {'checked':>10} {'issues':>8}")
    for o in result.outcomes:
        print(
            f"{o.rule.rule_id:<34} {o.rule.register:<18} {o.rule.severity:<9} "
            f"{o.checked:>10,} {o.issues:>8,}"
        )
    total = sum(o.issues for o in result.outcomes)
    print(f"{total:,} issues written to quality.dq_issues")
    for warning in result.warnings:
        print(f"warning: {warning}")
    if planted is not None:
        issues = [
            (o.rule.register, record_id, o.rule.rule_id)
            for o in result.outcomes
            for record_id, _ in o.failing
        ]
        print()
        print("\n".join(format_scores(score(planted, issues))))
    if result.blocking:
        listed = ", ".join(f"{o.rule.rule_id} ({o.issues:,} records)" for o in result.blocking)
        print(f"blocking issues: {listed}")
        return 1
    return 0
