{#
  The order of a learner's movement events, the last first: by date, same-day events in the
  order of seed event_types (the year's promotion or repetition, then leaving, then
  entering, so a same-day transfer lands in the new school), then by id. A learner's state on
  a date is the first event in this order up to it: on each census date
  (int_learner_status_on_census_date) and on the snapshot date
  (int_learner_state_on_snapshot_date).
#}
{% macro latest_event_first(events='enrolment_events', event_types='event_types') -%}
    {{ events }}.event_date desc,
    {{ event_types }}.order_in_day desc,
    {{ events }}.event_id desc
{%- endmacro %}
