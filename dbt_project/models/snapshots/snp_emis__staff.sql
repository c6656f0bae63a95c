-- Grain: one row per version of a record of staff.csv across all loads (valid from one
-- export's snapshot date to the next that differs), keyed by staff_id and version_number.
{{ register_history('staff', ['staff_id']) }}
