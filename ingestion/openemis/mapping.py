"""The mapping file: an installation's codes -> the register contract's codes.

Everything that differs between OpenEMIS installations is data in a TOML file (the Kyrgyz
default is ``kyrgyz.toml`` beside this module), never code. :func:`load_mapping` checks that
every value is a contract code, so a typo fails before the database is touched; a database
code missing from the file fails during extraction with :class:`UnmappedCodeError`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ingestion import contract

DEFAULT_MAPPING = Path(__file__).with_name("kyrgyz.toml")


class MappingError(ValueError):
    """The mapping file is unreadable or maps to a code the contract does not know."""


class UnmappedCodeError(ValueError):
    """A code in the database that the mapping file does not list."""

    def __init__(self, table: str, code: object, key: str, rows: int) -> None:
        super().__init__(
            f"{table}: code {code!r} ({rows:,} rows) is not in the mapping file; "
            f"add it under [{key}]"
        )
        self.table, self.code, self.key = table, code, key


@dataclass(frozen=True)
class Lookup:
    """One section of the mapping: database code -> contract value(s)."""

    key: str  # the TOML section, e.g. "organizations.org_type"
    source: str  # "table.column" the codes come from, for error messages
    values: dict[str, object]


# section -> (database table.column the codes come from, allowed contract codes or None)
LOOKUPS: dict[str, tuple[str, tuple | None]] = {
    "organizations.org_type": ("institution_types.national_code", contract.ORG_TYPES),
    "organizations.ownership": ("institution_providers.national_code", contract.OWNERSHIP),
    "organizations.locality": ("institution_localities.national_code", contract.LOCALITY),
    "organizations.status": ("institution_statuses.code", contract.ORG_STATUS),
    "organizations.shift": ("shift_options.national_code", (1, 2, 3)),
    "persons.document_type": ("identity_types.national_code", contract.DOCUMENT_TYPES),
    "persons.disability": ("special_need_types.national_code", contract.DISABILITY),
    "staff.education_level": ("qualification_levels.national_code", contract.EDUCATION_LEVELS),
    "staff.position": ("staff_position_titles.national_code", None),
    "staff.primary_job": ("staff_types.national_code", (True, False)),
    "enrolments.transfer_reason": (
        "student_transfer_reasons.national_code",
        contract.EXIT_REASONS,
    ),
    "enrolments.withdraw_reason": (
        "student_withdraw_reasons.national_code",
        contract.EXIT_REASONS,
    ),
    "grades.term": ("assessment_periods.code", contract.TERMS),
    "infrastructure.water_source": (
        "infrastructure_wash_waters.water_type",
        contract.WATER_SOURCES,
    ),
    "infrastructure.toilets": ("infrastructure_wash_sanitations.sanitation_type", contract.TOILETS),
    "education.grade": ("education_grades.code", None),
    "education.study_form": ("education_programmes.code", (*contract.STUDY_FORMS, "")),
}
CUSTOM_FIELDS = {
    "institution": ("languages", "design_capacity"),
    "student": ("nationality", "benefit"),
    "staff": (
        "nationality",
        "has_pedagogical_training",
        "specialty",
        "qualification_category",
        "academic_degree",
        "academic_title",
        "awards",
        "teaching_experience_years",
    ),
}


@dataclass(frozen=True)
class Mapping:
    path: Path
    timezone: str  # the zone of the database's DATETIME values
    pin_identity_type: str
    pin_custom_field: str
    district_level: int
    phone_contact_type: str
    survey_month_day: str
    lookups: dict[str, Lookup]
    custom_fields: dict[str, dict[str, str]]  # entity -> contract column -> field code

    def lookup(self, key: str) -> Lookup:
        return self.lookups[key]

    def rows(self, key: str) -> list[tuple]:
        """The section as rows for a join table: (code, value, ...)."""
        lookup = self.lookups[key]
        if key == "staff.position":
            return [(c, v["position"], v["staff_category"]) for c, v in lookup.values.items()]
        if key == "education.grade":
            return [(c, v["level"], v.get("grade")) for c, v in lookup.values.items()]
        return [(c, v) for c, v in lookup.values.items()]

    def reverse(self, key: str) -> dict:
        """Contract value -> the first database code that maps to it (reverse generator)."""
        out: dict = {}
        for code, value in self.lookups[key].values.items():
            hashable = tuple(value.values()) if isinstance(value, dict) else value
            out.setdefault(hashable, code)
        return out


def load_mapping(path: Path | None = None) -> Mapping:
    path = Path(path) if path else DEFAULT_MAPPING
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MappingError(f"{path}: {str(error).splitlines()[0]}") from None
    try:
        lookups = {
            key: _lookup(data, key, source, codes) for key, (source, codes) in LOOKUPS.items()
        }
        custom = {
            entity: {
                col: str(code) for col, code in _section(data, f"custom_fields.{entity}").items()
            }
            for entity in CUSTOM_FIELDS
        }
        for entity, columns in custom.items():
            unknown = set(columns) - set(CUSTOM_FIELDS[entity])
            if unknown:
                raise MappingError(f"[custom_fields.{entity}] has no column {sorted(unknown)[0]!r}")
        month_day = str(_section(data, "infrastructure").get("survey_month_day", "10-01"))
        if not re.fullmatch(r"\d\d-\d\d", month_day):
            raise MappingError(f"[infrastructure] survey_month_day {month_day!r} is not MM-DD")
        return Mapping(
            path=path,
            timezone=str(data.get("timezone", "UTC")),
            pin_identity_type=str(_section(data, "pin").get("identity_type", "")),
            pin_custom_field=str(_section(data, "pin").get("custom_field", "")),
            district_level=int(_section(data, "areas")["district_level"]),
            phone_contact_type=str(_section(data, "persons").get("phone_contact_type", "")),
            survey_month_day=month_day,
            lookups=lookups,
            custom_fields=custom,
        )
    except MappingError as error:
        raise MappingError(f"{path}: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise MappingError(f"{path}: missing or malformed setting {error}") from None


def _section(data: dict, dotted: str) -> dict:
    node = data
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    if not isinstance(node, dict):
        raise MappingError(f"[{dotted}] is not a table")
    return node


def _lookup(data: dict, key: str, source: str, codes: tuple | None) -> Lookup:
    values = _section(data, key)
    for code, value in values.items():
        checked = _check_value(key, value, codes)
        if checked is not None:
            raise MappingError(f"[{key}] {code} = {value!r}: {checked}")
    return Lookup(key, source, dict(values))


def _check_value(key: str, value: object, codes: tuple | None) -> str | None:
    if key == "staff.position":
        if not isinstance(value, dict):
            return "expected { position = ..., staff_category = ... }"
        if value.get("position") not in contract.POSITIONS:
            return f"position must be one of {', '.join(contract.POSITIONS)}"
        if value.get("staff_category") not in contract.STAFF_CATEGORIES:
            return f"staff_category must be one of {', '.join(contract.STAFF_CATEGORIES)}"
        return None
    if key == "education.grade":
        if not isinstance(value, dict) or value.get("level") not in contract.LEVELS:
            return f"expected {{ level = one of {', '.join(contract.LEVELS)}, grade = N }}"
        if not isinstance(value.get("grade", 0), int):
            return "grade must be a whole number"
        return None
    if codes is not None and value not in codes:
        return f"not one of {', '.join(map(str, codes))}"
    return None
