{# A record's versions of a history model follow each other: each ends (valid_to_date) on or
   before the next one starts, and only the last may be open (valid_to_date null). Records
   delivered in ``delivered_in`` (the register's raw table) only, in an incremental build. #}
{% test versions_follow_each_other(model, key, delivered_in=none) %}
with versions as (
    select
        {{ key }} as record_key,
        version_number,
        valid_from_date,
        valid_to_date,
        lead(valid_from_date) over (
            partition by {{ key }} order by version_number
        ) as next_valid_from_date
    from {{ model }}
    {% if delivered_in %}{{ emis.rows_built_now(delivered_in, key) }}{% endif %}
)

select *
from versions
where
    next_valid_from_date is not null
    and (valid_to_date is null or valid_to_date > next_valid_from_date)
{% endtest %}
