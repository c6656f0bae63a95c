-- Grain: one row per version of a record of classes.csv across all loads (valid from one
-- export's snapshot date to the next that differs), keyed by class_id and version_number.
{{ register_history('classes', ['class_id']) }}
