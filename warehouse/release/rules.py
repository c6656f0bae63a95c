"""What disclosure control protects, declared once: thresholds, symbols, which parts of which
indicator count persons, which indicators are sensitive, and which series hold the same
quantity (so a cell hidden in one is hidden in the other).
"""

from __future__ import annotations

from dataclasses import dataclass

K = 5  # threshold: a count of 1..K-1 persons is never published (and the audit's min width)
SENSITIVE_MIN_DENOMINATOR = 10  # in sensitive tables a rate on fewer persons is suppressed

NUMERATOR, DENOMINATOR = "numerator", "denominator"
MEASURES = (NUMERATOR, DENOMINATOR)

# The UK Explore Education Statistics symbols; the value is empty wherever one stands.
SYMBOLS = {
    "c": "confidential: suppressed to protect persons (a count of 1-4, a sensitive rate on "
    "fewer than 10, a rate whose parts are not published, or a cell hidden so that "
    "another cannot be recomputed from the totals)",
    "z": "not applicable: the statistic cannot exist (a rate whose denominator is zero)",
    "x": "unavailable: the statistic could not be computed from the data",
    "low": "rounds to zero at the published precision, but is not zero",
    "u": "low reliability: computed, but not fit to be read as a measure (a reconstructed-cohort "
    "rate outside 0-100 below national level, where transfers between territories show as "
    "flows)",
}
SYMBOL_ORDER = ("c", "z", "x", "u", "low")  # when several apply, the first is shown

# Decimal places of a published value, by unit; the numerator and denominator keep theirs.
PRECISION = {"count": 0, "fte": 1, "percent": 1, "ratio": 1, "index": 2}

RECONSTRUCTED = (
    "promotion_rate_reconstructed",
    "repetition_rate_reconstructed",
    "dropout_rate_reconstructed",
)


@dataclass(frozen=True)
class Protection:
    """How an indicator's parts are protected.

    ``numerator`` / ``denominator``: the part counts persons (or their records: marks, days,
    full-time equivalents), so the threshold applies; organizations, classes, school places
    and the statistics committee's population estimates are not persons and are published
    as they are. ``sensitive``: a rate in it says something about every member of a small
    group (all promoted, none failed), so rates on fewer than 10 are suppressed as well.
    ``signed``: the numerator is a net figure that may be negative (no lower bound of 0).
    """

    numerator: bool = True
    denominator: bool = True
    sensitive: bool = False
    signed: bool = False


# Indicators not listed get the default: both parts protected. A new indicator is therefore
# protected until someone decides otherwise here.
_ORGANIZATIONS = Protection(numerator=False, denominator=False)
FACILITIES = ("electricity", "internet", "computers", "adapted", "drinking_water",
              "single_sex_toilets", "handwashing")  # fmt: skip
_ON_POPULATION = Protection(denominator=False)
_SENSITIVE_FLOW = Protection(sensitive=True)
PROTECTION: dict[str, Protection] = {
    "organizations": _ORGANIZATIONS,
    **{f"schools_{facility}_pct": _ORGANIZATIONS for facility in FACILITIES},
    "ger": _ON_POPULATION,
    "ner": _ON_POPULATION,
    "aner": _ON_POPULATION,
    "preschool_coverage_pct": _ON_POPULATION,
    "gross_intake_last_grade": _ON_POPULATION,
    "out_of_school_rate": Protection(denominator=False, signed=True),
    "avg_class_size": Protection(denominator=False),  # pupils over classes
    "capacity_utilisation": Protection(denominator=False),  # learners over design capacity
    # Promotion is the complement of repetition and dropout: a small group all promoted says
    # none repeated. Transition is promotion at the last grade of a level.
    "promotion_rate": _SENSITIVE_FLOW,
    "repetition_rate": _SENSITIVE_FLOW,
    "dropout_rate": _SENSITIVE_FLOW,
    "transition_rate": _SENSITIVE_FLOW,
    "promotion_rate_reconstructed": _SENSITIVE_FLOW,
    "repetition_rate_reconstructed": _SENSITIVE_FLOW,
    "dropout_rate_reconstructed": Protection(sensitive=True, signed=True),
    "learners_with_disabilities": Protection(sensitive=True),
    "failing_marks_pct": Protection(sensitive=True),
    "pupils_failing_year_pct": Protection(sensitive=True),
    "failing_year_subject_pct": Protection(sensitive=True),
    # The adjusted GPI is computed from GERs, not counted: it follows the GER's numerators.
    "gpi_ger": Protection(numerator=False, denominator=False),
}
DEFAULT_PROTECTION = Protection()

# Units whose denominator is not a part of the figure (0 in the warehouse, empty when published).
UNITS_WITHOUT_DENOMINATOR = ("count", "fte")


def protection(indicator_id: str) -> Protection:
    return PROTECTION.get(indicator_id, DEFAULT_PROTECTION)


def is_protected(indicator_id: str, measure: str) -> bool:
    rule = protection(indicator_id)
    return rule.numerator if measure == NUMERATOR else rule.denominator


@dataclass(frozen=True)
class Identity:
    """Two series holding the same quantity wherever their keys agree (``_Z`` read as ``_T``)
    and their amounts are equal; ``specific`` limits it to keys where those dimensions have
    a category (not a total). Publishing such a cell in one series and hiding it in the other
    would undo the suppression, so they become one quantity: one status, one LP variable.
    Amounts that differ are never joined, so a declaration can only make control stricter.
    """

    left: tuple[str, str]
    right: tuple[str, str]
    specific: tuple[str, ...] = ()


IDENTITIES: tuple[Identity, ...] = (
    # Pupils on census day t are the true cohort followed to t+1.
    Identity(("learners", NUMERATOR), ("promotion_rate", DENOMINATOR), ("level",)),
    Identity(("promotion_rate", DENOMINATOR), ("repetition_rate", DENOMINATOR)),
    Identity(("promotion_rate", DENOMINATOR), ("dropout_rate", DENOMINATOR)),
    Identity(("promotion_rate", NUMERATOR), ("transition_rate", NUMERATOR), ("grade",)),
    Identity(("promotion_rate", DENOMINATOR), ("transition_rate", DENOMINATOR), ("grade",)),
    Identity(("gross_intake_last_grade", NUMERATOR), ("transition_rate", DENOMINATOR)),
    Identity(
        ("promotion_rate_reconstructed", DENOMINATOR),
        ("repetition_rate_reconstructed", DENOMINATOR),
    ),
    Identity(
        ("promotion_rate_reconstructed", DENOMINATOR), ("dropout_rate_reconstructed", DENOMINATOR)
    ),
    # Learners at a level are the GER's numerator; school pupils the ratios' numerators.
    Identity(("learners", NUMERATOR), ("ger", NUMERATOR), ("level",)),
    Identity(("ger", NUMERATOR), ("promotion_rate", DENOMINATOR)),
    Identity(("ger", NUMERATOR), ("pupil_teacher_ratio", NUMERATOR)),
    Identity(("pupil_teacher_ratio", NUMERATOR), ("capacity_utilisation", NUMERATOR)),
    Identity(("learners", NUMERATOR), ("learners_with_disabilities", NUMERATOR), ("disability",)),
    # Pupils in classes.
    Identity(("avg_class_size", NUMERATOR), ("large_class_pupils_pct", DENOMINATOR)),
    Identity(("avg_class_size", NUMERATOR), ("second_shift_pupils_pct", DENOMINATOR)),
    # Teachers (headcount) are the denominators of the trained and qualified shares.
    Identity(("teachers", NUMERATOR), ("trained_teachers_pct", DENOMINATOR)),
    Identity(("teachers", NUMERATOR), ("qualified_teachers_pct", DENOMINATOR)),
)

# Parts counted in another unit than persons, and the headcount of the persons behind them at
# the same key: the threshold applies to the persons (an FTE of 4.25 is 6 teachers, or 3).
PERSONS_BEHIND = {"teachers_fte": "teachers"}

# The GPI's value is the ratio of the girls' and boys' GERs: published only where both are.
DERIVED_FROM_SEX = {"gpi_ger": "ger"}

# How much detail each territory level publishes: breakdowns crossed at most (a grade counts
# with its level). Below the republic, a table crossing many breakdowns is mostly cells of 1-4
# persons, which suppression would hide anyway and which would make the hidden cells of a
# district depend on one another across every table; generalized instead, as the regulation
# asks of the open part. The warehouse keeps every cell; the restricted bundle is not affected.
MAX_CROSSED = {"district": 1, "oblast": 2, "national": None}
# A table (an indicator's breakdowns crossed, at one territory level) of which more than this
# share of rows would be suppressed for 1-4 persons is not published: its coarser tables are
# (grades -> levels, disability types -> all, ...). Hiding most of a fine table costs its
# users little, but its hidden cells force hiding around them in every table they add up to.
COARSEN_SHARE = 0.3
# Districts also publish learners' levels by sex (non-sensitive indicators): the gender parity
# of enrolment by district is a headline of SDG 4.5.
DISTRICT_LEVEL_BY_SEX = True
