{#
  The history of one register table across every load in the raw layer (type-2 slowly
  changing dimension): one row per version of a record, valid from the snapshot date of the
  first load that shows it until the snapshot date of the first later load where the record
  differs, or of the next full export that lacks it (null while it is current; a delta
  export carries only changed rows, so absence from a delta ends nothing). Derived from the loads themselves, so the
  same export history always gives the same history, however often and whenever dbt runs
  (dbt snapshots record what each run happens to see).

  Incremental: a delta can end no record, so only records the loads since the last build
  deliver get new versions; their whole history is deleted (pre-hook) and recomputed, the
  others' stays. A new full export makes the build a full one.

  table: raw table name; key: list of its key columns (one column, as the contract keys are).
#}
{% macro register_history(table, key) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ emis.delete_delivered_records('" ~ table ~ "', '" ~ key[0] ~ "') }}",
    ) }}
    {%- set relation = source('emis_raw', table) -%}
    {%- set attributes = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {#- which load, and where in its file: not attributes of the record -#}
            {%- if column.name | lower not in ('load_id', 'source_row_number') -%}
                {%- do attributes.append(column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set partition = key | join(', ') -%}
with loads as (
    select
        load_id,
        snapshot_date,
        coalesce(load_kind, 'full') as load_kind,
        row_number() over (order by snapshot_date, load_id) as load_sequence
    from {{ source('emis_meta', 'loads') }}
),

next_full_loads as (
    -- For each load, the next full export after it: a record it lacks has ended there. A
    -- delta carries only changed rows, so a record's absence from a delta says nothing.
    select
        loads.load_sequence,
        min(later.load_sequence) as next_full_sequence
    from loads
    left join loads as later
        on later.load_sequence > loads.load_sequence and later.load_kind = 'full'
    group by loads.load_sequence
),

raw_records as (
    select * from {{ relation }}
    {%- if is_incremental() %}
    where {{ key[0] }} in ({{ delivered_keys(table, key[0]) }})
    {%- endif %}
),

rows_per_record as (
    select
        {{ partition }},
        count(*) as row_count
    from raw_records
    group by {{ partition }}
),

single_versions as (
    -- A record in one load only, as most are (a delta re-delivers a few), is one version
    -- from that load to the next full export: no hash and no neighbours, which took most of
    -- a national history's time (the learners' 6.5-7.5 s, now 3.2-3.7 s).
    select
        {%- for column in attributes %}
        records.{{ column }},
        {%- endfor %}
        cast(1 as integer) as version_number,
        loads.load_id as first_load_id,
        loads.snapshot_date as valid_from_date,
        end_load.snapshot_date as valid_to_date
    from raw_records as records
    inner join rows_per_record
        on
            {%- for column in key %}
            records.{{ column }} = rows_per_record.{{ column }} and
            {%- endfor %}
            rows_per_record.row_count = 1
    inner join loads on records.load_id = loads.load_id
    inner join next_full_loads on loads.load_sequence = next_full_loads.load_sequence
    left join loads as end_load on next_full_loads.next_full_sequence = end_load.load_sequence
),

records as (
    select
        {%- for column in attributes %}
        records.{{ column }},
        {%- endfor %}
        loads.load_sequence,
        next_full_loads.next_full_sequence,
        md5(concat_ws('|'
            {%- for column in attributes %},
            coalesce(cast(records.{{ column }} as varchar), '~')
            {%- endfor %}
        )) as version_hash
    from raw_records as records
    inner join rows_per_record
        on
            {%- for column in key %}
            records.{{ column }} = rows_per_record.{{ column }} and
            {%- endfor %}
            rows_per_record.row_count > 1
    inner join loads on records.load_id = loads.load_id
    inner join next_full_loads on loads.load_sequence = next_full_loads.load_sequence
),

neighbours as (
    select
        records.*,
        lag(records.version_hash) over (
            partition by {{ partition }} order by records.load_sequence
        ) as previous_hash,
        lag(records.next_full_sequence) over (
            partition by {{ partition }} order by records.load_sequence
        ) as previous_next_full_sequence,
        lead(records.load_sequence) over (
            partition by {{ partition }} order by records.load_sequence
        ) as next_sequence
    from records
),

changes as (
    -- A version starts where the record first appears, changes, or reappears after a full
    -- export that lacked it.
    select
        neighbours.*,
        case
            when
                neighbours.previous_hash = neighbours.version_hash
                and (
                    neighbours.previous_next_full_sequence is null
                    or neighbours.previous_next_full_sequence >= neighbours.load_sequence
                )
                then 0
            else 1
        end as starts_version
    from neighbours
),

numbered as (
    select
        changes.*,
        sum(changes.starts_version) over (
            partition by {{ partition }}
            order by changes.load_sequence
            rows between unbounded preceding and current row
        ) as version_number
    from changes
),

versions as (
    -- A version ends at the record's next row (a new version), or at the next full export
    -- after its last row when that export lacks the record, whichever comes first.
    select
        {{ partition }},
        version_number,
        min(load_sequence) as first_load_sequence,
        max(load_sequence) as last_load_sequence
    from numbered
    group by {{ partition }}, version_number
),

version_ends as (
    select
        versions.*,
        case
            when last_row.next_sequence is null then last_row.next_full_sequence
            when last_row.next_full_sequence is null then last_row.next_sequence
            when last_row.next_full_sequence < last_row.next_sequence
                then last_row.next_full_sequence
            else last_row.next_sequence
        end as end_load_sequence
    from versions
    inner join numbered as last_row
        on
            {%- for column in key %}
            versions.{{ column }} = last_row.{{ column }} and
            {%- endfor %}
            versions.last_load_sequence = last_row.load_sequence
),

final as (
    select
        {%- for column in attributes %}
        numbered.{{ column }},
        {%- endfor %}
        cast(version_ends.version_number as integer) as version_number,
        first_load.load_id as first_load_id,
        first_load.snapshot_date as valid_from_date,
        end_load.snapshot_date as valid_to_date
    from version_ends
    inner join numbered
        on
            {%- for column in key %}
            version_ends.{{ column }} = numbered.{{ column }} and
            {%- endfor %}
            version_ends.first_load_sequence = numbered.load_sequence
    inner join loads as first_load on version_ends.first_load_sequence = first_load.load_sequence
    left join loads as end_load on version_ends.end_load_sequence = end_load.load_sequence
)

select * from final
union all
select * from single_versions
{% endmacro %}

{# Keys of ``table`` with rows in the loads since the last build. #}
{% macro delivered_keys(table, key) -%}
    select delivered.{{ key }}
    from {{ source('emis_raw', table) }} as delivered
    where delivered.load_id in {{ loads_since_last_build() }}
{%- endmacro %}

{#
  The rows of a history a test reads: in an incremental build (EMIS_INCREMENTAL_BUILD, set by
  warehouse.dbt_runner.build), only the records the loads since the last build deliver, the
  only ones whose versions that build redoes; the others' were tested when they were built.
  Nothing in a whole build, or while dbt parses (``execute`` false: the variable is then not
  read, so that its value does not make dbt parse the project again).
#}
{% macro rows_built_now(table, key) -%}
    {%- if execute and env_var('EMIS_INCREMENTAL_BUILD', '') == '1' -%}
        where {{ key }} in ({{ delivered_keys(table, key) }})
    {%- endif -%}
{%- endmacro %}

{# Pre-hook of an incremental history: the versions of delivered records go, to be redone. #}
{% macro delete_delivered_records(table, key) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ key }} in ({{ delivered_keys(table, key) }})
    {%- endif -%}
{%- endmacro %}

{# Rows of a history model valid on a date: valid_from <= date < valid_to. #}
{% macro valid_on(history, on_date) -%}
    {{ history }}.valid_from_date <= {{ on_date }}
    and ({{ history }}.valid_to_date is null or {{ history }}.valid_to_date > {{ on_date }})
{%- endmacro %}
