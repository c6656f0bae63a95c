-- Grain: one row per version of a record of staff_assignments.csv across all loads (valid from one
-- export's snapshot date to the next that differs), keyed by assignment_id and version_number.
{{ register_history('staff_assignments', ['assignment_id']) }}
