-- Grain: one row per version of a record of organizations.csv across all loads (valid from one
-- export's snapshot date to the next that differs), keyed by org_id and version_number.
{{ register_history('organizations', ['org_id']) }}
