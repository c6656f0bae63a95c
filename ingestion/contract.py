"""The register export contract (v1) as code: one declaration per file.

Binding source: ``docs/register-contract.md``. The generator writes exactly this,
ingestion checks against it, and tests read it; change the contract here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "int", "decimal", "date", "timestamp", "bool", "code", "code_list"]

SEX = ("F", "M")
LANGUAGES = ("ky", "ru", "uz", "tg", "en", "other")
LEVELS = (
    "preschool", "primary", "basic", "secondary", "vocational", "college",
    "bachelor", "specialist", "master", "postgraduate", "out_of_school",
)  # fmt: skip
SCHOOL_LEVELS = ("primary", "basic", "secondary")
ORG_TYPES = (
    "preschool",
    "school", "uvk", "uvk_author", "gymnasium", "lyceum", "school_complex", "special_boarding",
    "sanatorium", "auxiliary", "evening", "correspondence", "experimental", "incomplete",
    "out_of_school", "vocational_lyceum", "college", "university", "postgraduate",
)  # fmt: skip
GENERAL_SCHOOL_TYPES = ORG_TYPES[1:14]
OWNERSHIP = ("state", "municipal", "private")
LOCALITY = ("urban", "rural")
ORG_STATUS = ("active", "closed")
NATIONALITY = (
    "kyrgyz",
    "uzbek",
    "russian",
    "dungan",
    "uyghur",
    "tajik",
    "kazakh",
    "turkish",
    "other",
)
DOCUMENT_TYPES = ("birth_certificate", "passport", "foreign_document")
DISABILITY = (
    "none", "hearing", "vision", "speech", "intellectual", "musculoskeletal", "autism", "multiple",
    "other",
)  # fmt: skip
BENEFIT = ("none", "orphan", "no_parental_care", "low_income", "disability_allowance")
EVENT_TYPES = (
    "admission", "transfer_in", "transfer_out", "promotion", "repetition", "graduation",
    "dropout", "leave_start", "leave_end",
)  # fmt: skip
ENTRY_EVENTS = ("admission", "transfer_in")
EXIT_EVENTS = ("transfer_out", "graduation", "dropout")
STUDY_FORMS = ("full_time", "evening", "correspondence", "distance")
EXIT_REASONS = (
    "moved_in_country", "moved_abroad", "work", "health", "family", "expelled", "death", "unknown",
)  # fmt: skip
CLASS_TYPES = ("regular", "inclusive", "correctional", "gifted", "combined")
EDUCATION_LEVELS = ("higher", "incomplete_higher", "secondary_vocational", "general_secondary")
QUALIFICATION_CATEGORIES = ("highest", "first", "second", "none")
ACADEMIC_DEGREES = ("none", "candidate", "doctor", "phd")
ACADEMIC_TITLES = ("none", "docent", "professor")
POSITIONS = (
    "director", "deputy_director", "teacher", "educator", "lecturer", "vocational_master",
    "psychologist", "social_pedagogue", "librarian", "support", "service",
)  # fmt: skip
STAFF_CATEGORIES = ("administrative", "teaching", "teaching_support", "service")
BUILDING_CONDITION = ("good", "needs_repair", "emergency")
HEATING = ("central", "boiler", "stove", "none")
WATER_SOURCES = ("piped", "well", "delivered", "none")
TOILETS = ("indoor", "outdoor", "none")
TERMS = ("q1", "q2", "q3", "q4", "year")
ABSENCE_TYPES = ("excused", "unexcused", "late")

# Spellings of booleans the contract accepts (lower-cased before the look-up).
TRUE_WORDS = ("true", "1", "да", "ооба")
FALSE_WORDS = ("false", "0", "нет", "жок")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    codes: tuple[str, ...] | None = None
    personal: bool = False  # a direct identifier: never passes the boundary as a value
    references: str | None = None  # "table.column" this value must exist in
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str  # file stem: organizations -> organizations.csv|.xlsx|.parquet
    required: bool
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name: str, type_: ColumnType, required: bool = False, **kw) -> Column:
    return Column(name, type_, required, **kw)


ORGANIZATIONS = Table(
    "organizations", True, "education organization (current state)",
    (
        _c("org_id", "string", True),
        _c("name_ru", "string", True),
        _c("name_ky", "string"),
        _c("org_type", "code", True, codes=ORG_TYPES),
        _c("ownership", "code", True, codes=OWNERSHIP),
        _c("district_code", "string", True, description="8-digit SOATE code"),
        _c("locality", "code", True, codes=LOCALITY),
        _c("languages", "code_list", True, codes=LANGUAGES),
        _c("status", "code", True, codes=ORG_STATUS),
        _c("opened_date", "date"),
        _c("closed_date", "date", description="required if closed"),
        _c("design_capacity", "int"),
        _c("shifts", "int"),
        _c("updated_at", "timestamp", True),
    ),
    key=("org_id",),
)  # fmt: skip

STUDENTS = Table(
    "students", True, "learner (person register; holds personal data)",
    (
        _c("student_id", "string", True),
        _c("pin", "string", personal=True, description="missing for foreigners or not yet issued"),
        _c("last_name", "string", True, personal=True),
        _c("first_name", "string", True, personal=True),
        _c("patronymic", "string", personal=True),
        _c("birth_date", "date", True),
        _c("sex", "code", True, codes=SEX),
        _c("citizenship", "string", True),
        _c("nationality", "code", codes=NATIONALITY),
        _c("birth_place", "string", personal=True),
        _c("document_type", "code", True, codes=DOCUMENT_TYPES),
        _c("document_number", "string", True, personal=True),
        _c("address", "string", personal=True),
        _c("phone", "string", personal=True),
        _c("disability", "code", True, codes=DISABILITY),
        _c("benefit", "code", codes=BENEFIT),
        _c("updated_at", "timestamp", True),
    ),
    key=("student_id",),
)  # fmt: skip

ENROLMENTS = Table(
    "enrolments", True, "movement event of a learner",
    (
        _c("event_id", "string", True),
        _c("student_id", "string", True, references="students.student_id"),
        _c("org_id", "string", True, references="organizations.org_id"),
        _c("event_type", "code", True, codes=EVENT_TYPES),
        _c("event_date", "date", True),
        _c("academic_year", "string", True),
        _c("level", "code", True, codes=LEVELS),
        _c("grade", "int", description="required for school levels"),
        _c("class_id", "string", references="classes.class_id"),
        _c("study_form", "code", codes=STUDY_FORMS),
        _c("reason", "code", codes=EXIT_REASONS, description="required for transfer_out, dropout"),
        _c("recorded_at", "timestamp", True),
    ),
    key=("event_id",),
)  # fmt: skip

STAFF = Table(
    "staff", True, "employee (person register; holds personal data)",
    (
        _c("staff_id", "string", True),
        _c("pin", "string", personal=True),
        _c("last_name", "string", True, personal=True),
        _c("first_name", "string", True, personal=True),
        _c("patronymic", "string", personal=True),
        _c("birth_date", "date", True),
        _c("sex", "code", True, codes=SEX),
        _c("citizenship", "string"),
        _c("nationality", "code", codes=NATIONALITY),
        _c("education_level", "code", True, codes=EDUCATION_LEVELS),
        _c("has_pedagogical_training", "bool"),
        _c("specialty", "string"),
        _c("qualification_category", "code", codes=QUALIFICATION_CATEGORIES),
        _c("academic_degree", "code", codes=ACADEMIC_DEGREES),
        _c("academic_title", "code", codes=ACADEMIC_TITLES),
        _c("awards", "int"),
        _c("last_training_date", "date"),
        _c("teaching_experience_years", "int"),
        _c("phone", "string", personal=True),
        _c("address", "string", personal=True),
        _c("updated_at", "timestamp", True),
    ),
    key=("staff_id",),
)  # fmt: skip

STAFF_ASSIGNMENTS = Table(
    "staff_assignments", True, "employment of an employee in a position at an organization",
    (
        _c("assignment_id", "string", True),
        _c("staff_id", "string", True, references="staff.staff_id"),
        _c("org_id", "string", True, references="organizations.org_id"),
        _c("position", "code", True, codes=POSITIONS),
        _c("staff_category", "code", True, codes=STAFF_CATEGORIES),
        _c("rate", "decimal", True, description="FTE, e.g. 1.5"),
        _c("start_date", "date", True),
        _c("end_date", "date", description="empty = current"),
        _c("is_primary_job", "bool"),
        _c("recorded_at", "timestamp", True),
    ),
    key=("assignment_id",),
)  # fmt: skip

CLASSES = Table(
    "classes", False, "class / group in an academic year",
    (
        _c("class_id", "string", True),
        _c("org_id", "string", True, references="organizations.org_id"),
        _c("academic_year", "string", True),
        _c("level", "code", True, codes=LEVELS),
        _c("grade", "int"),
        _c("letter", "string"),
        _c("shift", "int"),
        _c("language", "code", codes=LANGUAGES),
        _c("class_type", "code", codes=CLASS_TYPES),
        _c("homeroom_staff_id", "string", references="staff.staff_id"),
        _c("updated_at", "timestamp", True),
    ),
    key=("class_id",),
)  # fmt: skip

INFRASTRUCTURE = Table(
    "infrastructure", False, "organization x survey date (material-technical base)",
    (
        _c("org_id", "string", True, references="organizations.org_id"),
        _c("survey_date", "date", True),
        _c("buildings", "int"),
        _c("building_condition", "code", codes=BUILDING_CONDITION),
        _c("classrooms", "int"),
        _c("heating", "code", codes=HEATING),
        _c("has_electricity", "bool"),
        _c("water_source", "code", codes=WATER_SOURCES),
        _c("has_drinking_water", "bool"),
        _c("toilets", "code", codes=TOILETS),
        _c("toilets_single_sex", "bool"),
        _c("toilets_usable", "bool"),
        _c("has_handwashing", "bool"),
        _c("has_internet", "bool"),
        _c("internet_mbps", "decimal"),
        _c("computers_for_teaching", "int"),
        _c("has_ramp", "bool"),
        _c("has_canteen", "bool"),
        _c("has_gym", "bool"),
        _c("library_books", "int"),
        _c("updated_at", "timestamp", True),
    ),
    key=("org_id", "survey_date"),
)  # fmt: skip

GRADES = Table(
    "grades", False, "learner x subject x term mark",
    (
        _c("student_id", "string", True, references="students.student_id"),
        _c("class_id", "string", True, references="classes.class_id"),
        _c("academic_year", "string", True),
        _c("subject", "string", True),
        _c("term", "code", True, codes=TERMS),
        _c("mark", "int", True, description="2-5; 2 = fail"),
        _c("recorded_at", "timestamp", True),
    ),
    key=("student_id", "class_id", "subject", "term"),
)  # fmt: skip

ATTENDANCE_MARKS = Table(
    "attendance_marks", False, "class x school day on which attendance was taken",
    (
        _c("class_id", "string", True, references="classes.class_id"),
        _c("date", "date", True),
        _c("marked_at", "timestamp", True),
    ),
    key=("class_id", "date"),
)  # fmt: skip

ABSENCES = Table(
    "absences", False, "learner x school day absent or late",
    (
        _c("student_id", "string", True, references="students.student_id"),
        _c("class_id", "string", True, references="classes.class_id"),
        _c("date", "date", True),
        _c("absence_type", "code", True, codes=ABSENCE_TYPES),
        _c("recorded_at", "timestamp", True),
    ),
    key=("student_id", "date"),
)  # fmt: skip

POPULATION = Table(
    "population", False, "year x district x sex x single year of age (age on 1 January)",
    (
        _c("year", "int", True),
        _c("district_code", "string", True),
        _c("sex", "code", True, codes=SEX),
        _c("age", "int", True, description="0-29"),
        _c("population", "int", True),
    ),
    key=("year", "district_code", "sex", "age"),
)  # fmt: skip

TABLES: tuple[Table, ...] = (
    ORGANIZATIONS, STUDENTS, ENROLMENTS, CLASSES, STAFF, STAFF_ASSIGNMENTS, INFRASTRUCTURE,
    GRADES, ATTENDANCE_MARKS, ABSENCES, POPULATION,
)  # fmt: skip
TABLES_BY_NAME = {table.name: table for table in TABLES}
FILE_SUFFIXES = (".csv", ".xlsx", ".parquet")
MANIFEST_FILE = "manifest.json"
