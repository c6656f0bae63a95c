-- Grain: one row per version of a record of students.csv across all loads (valid from one
-- export's snapshot date to the next that differs), keyed by student_id and version_number.
{{ register_history('students', ['student_id']) }}
