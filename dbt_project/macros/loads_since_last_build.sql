{#
  The loads an incremental build takes in: those after the loads the last whole build went
  through (meta.builds, written once a build has succeeded, so no model's run moves it and a
  failed build is redone from the same point). Every incremental model takes the same loads.

  Rendered as a list of numbers, looked up when the model runs: PostgreSQL plans a subquery
  here as if it kept every load, and hashed all 4.6 million events to find a day's 3,000
  learners (the census-date learner status 10 s against 1.6 s so). ``(null)`` when there are
  none: ``in (null)`` holds for no row. While dbt parses (``execute`` false), and in a whole
  build, which reads no list, the subquery stands in: so sqlfluff, which compiles the models
  without a warehouse, can lint them.
#}
{% macro loads_since_last_build() %}
    {%- set new_loads -%}
        select current_loads.load_id
        from {{ source('emis_meta', 'current_loads') }} as current_loads
        where current_loads.load_id > (
            select coalesce(max(builds.built_through_load_id), 0)
            from {{ source('emis_meta', 'builds') }} as builds
        )
        order by current_loads.load_id
    {%- endset -%}
    {%- if execute and is_incremental() -%}
        {%- set load_ids = run_query(new_loads).columns[0].values() | map('int') | list -%}
        ({{ load_ids | join(', ') if load_ids else 'null' }})
    {%- else -%}
        ({{ new_loads }})
    {%- endif -%}
{% endmacro %}


{#
  The learners whose census-date state the loads since the last build may change: those with a
  delivered movement event, or whose earlier version of it was someone else's (a corrected
  student id); those with a delivered learner record; and, given the status model (``status``),
  those placed in a delivered organization or class. A superset is harmless: their rows are
  recomputed whole.
#}
{% macro learners_touched_since_last_build(status=none) %}
    {%- set loads = loads_since_last_build() -%}
    select events.student_id
    from {{ source('emis_raw', 'enrolments') }} as events
    where events.event_id in (
        select delivered.event_id
        from {{ source('emis_raw', 'enrolments') }} as delivered
        where delivered.load_id in {{ loads }}
    )
    union
    select students.student_id
    from {{ source('emis_raw', 'students') }} as students
    where students.load_id in {{ loads }}
    {%- if status is not none %}
        {#- One select each, not one with `or`: PostgreSQL estimates each semi join, but took
            the `or` of the two for three quarters of all learners. -#}
        {%- for placed_in, delivered, key in [
            ('organization_id', 'organizations', 'org_id'), ('class_id', 'classes', 'class_id')
        ] %}
        union
        select placed.student_id
        from {{ status }} as placed
        where placed.{{ placed_in }} in (
            select delivered.{{ key }}
            from {{ source('emis_raw', delivered) }} as delivered
            where delivered.load_id in {{ loads }}
        )
        {%- endfor %}
    {%- endif %}
{% endmacro %}


{#
  Pre-hook of an incremental model of learners' rows: the rows of ``learners`` (a query of the
  student ids the model recomputes, e.g. ``learners_touched_since_last_build``) go, to be
  recomputed whole (a corrected event may leave a learner with none).
#}
{% macro delete_learners(learners) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where student_id in ({{ learners }})
    {%- endif -%}
{%- endmacro %}


{#
  The months an incremental model recomputes, looked up before its query runs (the rows of
  ``sql``: one date column): ``listed``, an SQL list of date literals, ``first``, the
  earliest, a constant a scan can skip by, and their ``count``. No month: a list and a bound
  that match nothing.
#}
{% macro affected_months(sql) %}
    {%- set months = [] -%}
    {%- if execute -%}
        {%- for value in run_query(sql).columns[0].values() | sort -%}
            {%- if value is not none -%}
                {%- do months.append("date '" ~ value.strftime('%Y-%m-%d') ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set nothing = 'cast(null as date)' -%}
    {{- return({
        'listed': '(' ~ (months | join(', ') if months else nothing) ~ ')',
        'first': months[0] if months else nothing,
        'count': months | length,
    }) -}}
{% endmacro %}


{#
  The learners whose state on the snapshot date the loads since the last build may change:
  those the loads touch, and those with an event dated after the snapshot date the last build
  stood at and on or before this one (an event delivered ahead of its date takes effect when
  the date reaches it). Dates rendered as constants, as the loads are, when the model runs.
#}
{% macro learners_to_place_again() %}
    {%- set dates -%}
        select
            (
                select max(loads.snapshot_date)
                from {{ source('emis_meta', 'loads') }} as loads
                where loads.load_id <= (
                    select coalesce(max(builds.built_through_load_id), 0)
                    from {{ source('emis_meta', 'builds') }} as builds
                )
            ) as built_date,
            (
                select latest_export.snapshot_date
                from {{ ref('int_latest_export') }} as latest_export
            ) as snapshot_date
    {%- endset -%}
    {{ learners_touched_since_last_build() }}
    union
    select events.student_id
    from {{ ref('stg_emis__enrolment_events') }} as events
    {%- if execute and is_incremental() %}
        {%- set built_date, snapshot_date = run_query(dates).rows[0] %}
    where
        events.event_date > {{ date_constant(built_date) }}
        and events.event_date <= {{ date_constant(snapshot_date) }}
    {%- else %}
    cross join ({{ dates }}) as dates
    where events.event_date > dates.built_date and events.event_date <= dates.snapshot_date
    {%- endif %}
{% endmacro %}


{# A date from ``run_query`` as an SQL constant; none (nothing built yet): before every date. #}
{% macro date_constant(value) -%}
    date '{{ value.strftime('%Y-%m-%d') if value is not none else '0001-01-01' }}'
{%- endmacro %}
