"""Row-level rules of the register contract, as SQL over a staged table of text columns.

Each rule is one condition that is true when a row breaks it; ingestion selects each rule's
failing rows (a filter over the staged rows, DuckDB) and quarantines the rows that break any.
Rule names are stable: they appear in the quarantine table and in the load summary.

Conversions used by rules and by the raw layer are defined once here (``typed_sql``), so what
passes a type rule is exactly what the raw layer can hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emis.reference import territories
from ingestion.contract import FALSE_WORDS, SCHOOL_LEVELS, TRUE_WORDS, Column, Table

EARLIEST_DATE = dt.date(1900, 1, 1)
EARLIEST_BIRTH_DATE = dt.date(1930, 1, 1)
# Integer columns with a closed range the contract states.
INT_RANGES = {
    ("grades", "mark"): (2, 5),
    ("organizations", "shifts"): (1, 3),
    ("classes", "shift"): (1, 3),
    ("population", "age"): (0, 29),
    ("population", "population"): (0, None),
    ("population", "year"): (1990, 2100),
    ("organizations", "design_capacity"): (0, None),
    ("staff", "awards"): (0, None),
    ("staff", "teaching_experience_years"): (0, 70),
}


@dataclass(frozen=True)
class Rule:
    column: str
    rule: str  # required | type | code | range | format | conditional_required
    fails: str  # SQL condition over the staged row, true when the row breaks the rule


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_list(values) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def typed_sql(column: Column) -> str:
    """The text value converted to the column's type; NULL when it does not convert."""
    v = q(column.name)
    match column.type:
        case "int":
            return f"try_cast({v} as bigint)"
        case "decimal":
            return f"try_cast(replace({v}, ',', '.') as double)"
        case "date":
            return (
                f"cast(coalesce(try_strptime({v}, '%Y-%m-%d'), try_strptime({v}, '%d.%m.%Y'))"
                " as date)"
            )
        case "timestamp":
            # ISO 8601 with or without offset; stored as UTC without a time zone. The UTC wall
            # time is the same count of microseconds: taken so, not through ICU's conversion
            # (1.4 s -> 0.5 s for grades.csv's 16.5 M values), except for +-infinity, which
            # has no count.
            parsed = f"try_cast({v} as timestamptz)"
            return (
                f"coalesce(make_timestamp(epoch_us({parsed})), "
                f"cast({parsed} at time zone 'UTC' as timestamp))"
            )
        case "bool":
            return (
                f"case when lower({v}) in {in_list(TRUE_WORDS)} then true "
                f"when lower({v}) in {in_list(FALSE_WORDS)} then false end"
            )
        case "code_list":
            return (
                f"array_to_string(list_transform(string_split({v}, ';'), lambda x: trim(x)), ';')"
            )
        case _:
            return v


def rules_for(table: Table, snapshot_date: dt.date) -> list[Rule]:
    """Every row-level rule of ``table`` (keys and references are checked separately)."""
    rules: list[Rule] = []
    latest = snapshot_date + dt.timedelta(days=366)
    for column in table.columns:
        v = q(column.name)
        if column.required:
            rules.append(Rule(column.name, "required", f"{v} is null"))
        if column.type in ("int", "decimal", "date", "timestamp", "bool"):
            rules.append(
                Rule(column.name, "type", f"{v} is not null and {typed_sql(column)} is null")
            )
        if column.type == "code":
            rules.append(Rule(column.name, "code", f"{v} not in {in_list(column.codes)}"))
        if column.type == "code_list":
            rules.append(
                Rule(
                    column.name,
                    "code",
                    f"len(list_filter(string_split({v}, ';'), "
                    f"lambda x: trim(x) not in {in_list(column.codes)})) > 0",
                )
            )
        if column.type == "date":
            earliest = EARLIEST_BIRTH_DATE if column.name == "birth_date" else EARLIEST_DATE
            last = snapshot_date if column.name == "birth_date" else latest
            rules.append(
                Rule(
                    column.name,
                    "range",
                    f"{typed_sql(column)} not between date '{earliest}' and date '{last}'",
                )
            )
        bounds = INT_RANGES.get((table.name, column.name))
        if bounds:
            low, high = bounds
            condition = f"{typed_sql(column)} < {low}"
            if high is not None:
                condition += f" or {typed_sql(column)} > {high}"
            rules.append(Rule(column.name, "range", condition))
        if column.name == "academic_year":
            rules.append(Rule(column.name, "format", _academic_year_fails(v)))
        if column.name == "district_code":
            codes = territories()["district_code"]
            rules.append(Rule(column.name, "code", f"{v} not in {in_list(codes)}"))
        if column.name == "rate":
            rules.append(
                Rule(
                    column.name,
                    "range",
                    f"not ({typed_sql(column)} > 0 and {typed_sql(column)} <= 3)",
                )
            )
    rules.extend(_conditional_rules(table))
    return rules


def _academic_year_fails(v: str) -> str:
    return (
        f"not regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{4}}') "
        f"or try_cast(right({v}, 4) as integer) <> try_cast(left({v}, 4) as integer) + 1"
    )


def _conditional_rules(table: Table) -> list[Rule]:
    """Rules the contract states as 'required if ...'."""
    school = in_list(SCHOOL_LEVELS)
    if table.name == "enrolments":
        grade = "try_cast(grade as bigint)"
        return [
            Rule("grade", "conditional_required", f"level in {school} and grade is null"),
            Rule(
                "grade",
                "range",
                f"case when level in {school} then {grade} not between 1 and 11 "
                f"when level = 'preschool' then {grade} not between 1 and 7 "
                f"else {grade} not between 1 and 6 end",
            ),
            Rule(
                "reason",
                "conditional_required",
                "event_type in ('transfer_out', 'dropout') and reason is null",
            ),
        ]
    if table.name == "organizations":
        return [
            Rule("closed_date", "conditional_required", "status = 'closed' and closed_date is null")
        ]
    if table.name == "classes":
        return [
            Rule(
                "grade",
                "range",
                f"level in {school} and try_cast(grade as bigint) not between 1 and 11",
            )
        ]
    return []
