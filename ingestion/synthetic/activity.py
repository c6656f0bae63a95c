"""Marks, attendance marks and absences of the current year, generated inside DuckDB.

These are the export's big files (tens of millions of rows at national scale), so they are
never held in pandas: DuckDB joins learners to school days and streams the result to CSV.
Randomness comes from ``hash(...)`` of the row's keys and the seed, so output is deterministic
whatever the thread count.
"""

from __future__ import annotations

import duckdb

# Subjects marked per level (grade 1 is not marked); `language` is the class's language of
# instruction (English-medium classes study the state language, Kyrgyz, instead).
SUBJECTS = {
    "primary": ("language", "mathematics", "literary_reading", "nature_studies"),
    "basic": ("language", "literature", "mathematics", "history", "geography", "biology",
              "english_language"),
    "secondary": ("language", "algebra", "geometry", "physics", "chemistry", "history",
                  "english_language"),
}  # fmt: skip
LANGUAGE_SUBJECT = {
    "ky": "kyrgyz_language", "ru": "russian_language", "uz": "uzbek_language",
    "tg": "tajik_language", "en": "kyrgyz_language", "other": "russian_language",
}  # fmt: skip
ABSENT_SHARE = 0.075  # learner-days absent or late; ~12 % of them are lateness
OFTEN_ABSENT = 0.15  # share of learners who account for most absences
RARELY = 0.25  # the others' propensity, against the average
OFTEN = (1 - (1 - OFTEN_ABSENT) * RARELY) / OFTEN_ABSENT  # keeps the average at ABSENT_SHARE


def register_subjects(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(level, subject) for level, subjects in SUBJECTS.items() for subject in subjects]
    con.execute("create or replace temp table subjects (level varchar, subject varchar)")
    con.executemany("insert into subjects values (?, ?)", rows)
    con.execute("create or replace temp table language_subject (language varchar, subject varchar)")
    con.executemany("insert into language_subject values (?, ?)", list(LANGUAGE_SUBJECT.items()))


ATTENDANCE_MARKS_SQL = """
select
    printf('CLS%07d', c.class_no) as class_id,
    d.day as "date",
    cast(d.day as timestamp)
        + to_seconds(cast(7200 + hash(c.class_no, d.day, $seed) % 25200 as bigint))
        + case when hash(d.day, c.class_no, $seed) % 100 < 3
               then to_days(cast(1 + hash(c.class_no, $seed, d.day) % 3 as integer))
               else interval 0 day end as marked_at
from school_classes as c
cross join school_days as d
anti join unmarked as u on u.class_no = c.class_no and u.day = d.day
order by c.class_no, d.day
"""

ABSENCES_SQL = """
with marked as (
    select c.class_no, d.day
    from school_classes as c
    cross join school_days as d
    anti join unmarked as u on u.class_no = c.class_no and u.day = d.day
),
propensity as (
    -- A few learners miss most of the days missed: 15 % of them are absent 5.25 times the
    -- average, the others a quarter of it (each 0.5x to 1.5x that). Spread evenly over all
    -- learners, every child missing 2 of a month's 20 days was "chronically absent".
    select m.student_no, m.class_no, m.enrolled_from,
           {absent_share}
           * case when hash(m.student_no, $seed) % 1000 < {often_absent}
                  then {often} else {rarely} end
           * (0.5 + (hash(m.student_no, 3, $seed) % 1000) / 1000.0) as p
    from members as m
    where m.class_no in (select class_no from school_classes)
),
absent as (
    select p.student_no, p.class_no, k.day,
           hash(p.student_no, k.day, 7, $seed) % 100 as kind
    from propensity as p
    join marked as k on k.class_no = p.class_no and k.day >= p.enrolled_from
    where (hash(p.student_no, k.day, $seed) % 100000) / 100000.0 < p.p
)
select
    printf('STU%08d', student_no) as student_id,
    printf('CLS%07d', class_no) as class_id,
    day as "date",
    case when kind < 50 then 'excused' when kind < 88 then 'unexcused' else 'late' end
        as absence_type,
    cast(day as timestamp)
        + to_seconds(cast(10800 + hash(student_no, day, $seed) % 28800 as bigint))
        as recorded_at
from absent
order by student_no, day
"""

GRADES_SQL = """
with marked_terms as (
    select * from terms where end_date < $snapshot
),
learners as (
    select m.student_no, m.class_no, m.enrolled_from, c.level, c.language, c.academic_year
    from members as m
    join school_classes as c on c.class_no = m.class_no
    where c.grade >= 2
),
scored as (
    select l.student_no, l.class_no, l.academic_year,
           coalesce(ls.subject, s.subject) as subject, t.term, t.end_date,
           0.65 * (hash(l.student_no, $seed) % 1000) / 1000.0
             + 0.35 * (hash(l.student_no, s.subject, t.term, $seed) % 1000) / 1000.0 as score
    from learners as l
    join subjects as s on s.level = l.level
    left join language_subject as ls on s.subject = 'language' and ls.language = l.language
    join marked_terms as t on t.academic_year = l.academic_year
        and t.end_date >= l.enrolled_from
)
select
    printf('STU%08d', student_no) as student_id,
    printf('CLS%07d', class_no) as class_id,
    academic_year,
    subject,
    term,
    case when score < 0.13 then 2 when score < 0.42 then 3 when score < 0.78 then 4 else 5 end
        as mark,
    cast(end_date as timestamp)
        - to_days(cast(hash(student_no, subject, term) % 5 as integer))
        + to_seconds(cast(7200 + hash(subject, student_no, $seed) % 28800 as bigint))
        as recorded_at
from scored
order by student_no, subject, term
"""


def write_activity(con: duckdb.DuckDBPyConnection, out_dir, seed: int, snapshot, copy) -> dict:
    """Write grades, attendance_marks and absences; ``copy(sql, params, path)`` does the COPY.

    Expects temp tables ``school_classes``, ``members``, ``school_days``, ``unmarked`` and
    ``terms``. Returns {file name: path}.
    """
    register_subjects(con)
    params = {"seed": seed}
    jobs = {
        "attendance_marks.csv": (ATTENDANCE_MARKS_SQL, params),
        "absences.csv": (
            ABSENCES_SQL.format(
                absent_share=ABSENT_SHARE,
                often_absent=round(1000 * OFTEN_ABSENT),
                often=OFTEN,
                rarely=RARELY,
            ),
            params,
        ),
        "grades.csv": (GRADES_SQL, {**params, "snapshot": snapshot}),
    }
    paths = {}
    for name, (sql, job_params) in jobs.items():
        paths[name] = out_dir / name
        copy(sql, job_params, paths[name])
    return paths
