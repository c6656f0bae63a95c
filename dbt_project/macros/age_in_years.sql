{# Completed years of age on a date: the birthday counts from its own day. Portable: extract()
   returns different numeric types on DuckDB and PostgreSQL, so every part is cast. #}
{% macro age_in_years(birth_date, on_date) -%}
    (
        cast(extract(year from {{ on_date }}) as integer)
        - cast(extract(year from {{ birth_date }}) as integer)
        - case
            when cast(extract(month from {{ on_date }}) as integer) * 100
                + cast(extract(day from {{ on_date }}) as integer)
                < cast(extract(month from {{ birth_date }}) as integer) * 100
                + cast(extract(day from {{ birth_date }}) as integer)
            then 1 else 0
        end
    )
{%- endmacro %}
