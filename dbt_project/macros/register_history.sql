{#
  The history of one register table across every load in the raw layer (type-2 slowly
  changing dimension): one row per version of a record, valid from the snapshot date of the
  first load that shows it until the snapshot date of the first later load where the record
  differs or is absent (null while it is current). Derived from the loads themselves, so the
  same export history always gives the same history, however often and whenever dbt runs
  (dbt snapshots record what each run happens to see).

  table: raw table name; key: list of its key columns.
#}
{% macro register_history(table, key) %}
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
        row_number() over (order by snapshot_date, load_id) as load_sequence
    from {{ source('emis_meta', 'loads') }}
),

records as (
    select
        {%- for column in attributes %}
        records.{{ column }},
        {%- endfor %}
        loads.load_sequence,
        md5(concat_ws('|'
            {%- for column in attributes %},
            coalesce(cast(records.{{ column }} as varchar), '~')
            {%- endfor %}
        )) as version_hash
    from {{ relation }} as records
    inner join loads on records.load_id = loads.load_id
),

changes as (
    -- A version starts where the record first appears, changes, or reappears after a gap.
    select
        records.*,
        case
            when
                lag(records.version_hash) over (
                    partition by {{ partition }} order by records.load_sequence
                ) = records.version_hash
                and lag(records.load_sequence) over (
                    partition by {{ partition }} order by records.load_sequence
                ) = records.load_sequence - 1
                then 0
            else 1
        end as starts_version
    from records
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
    select
        {{ partition }},
        version_number,
        min(load_sequence) as first_load_sequence,
        max(load_sequence) as last_load_sequence
    from numbered
    group by {{ partition }}, version_number
),

final as (
    select
        {%- for column in attributes %}
        numbered.{{ column }},
        {%- endfor %}
        cast(versions.version_number as integer) as version_number,
        first_load.load_id as first_load_id,
        first_load.snapshot_date as valid_from_date,
        next_load.snapshot_date as valid_to_date
    from versions
    inner join numbered
        on
            {%- for column in key %}
            versions.{{ column }} = numbered.{{ column }} and
            {%- endfor %}
            versions.first_load_sequence = numbered.load_sequence
    inner join loads as first_load on versions.first_load_sequence = first_load.load_sequence
    left join loads as next_load on versions.last_load_sequence + 1 = next_load.load_sequence
)

select * from final
{% endmacro %}

{# Rows of a history model valid on a date: valid_from <= date < valid_to. #}
{% macro valid_on(history, on_date) -%}
    {{ history }}.valid_from_date <= {{ on_date }}
    and ({{ history }}.valid_to_date is null or {{ history }}.valid_to_date > {{ on_date }})
{%- endmacro %}
