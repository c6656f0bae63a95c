{# PostgreSQL plans a query on a table created moments ago without statistics, and a model
   built on it can then take minutes instead of seconds: analyze each table as it is built,
   incremental ones and seeds too (a seed without statistics was planned as 810 rows, and the
   national marks were sorted for a merge join with 12 calendar rows). Autovacuum's analyze
   comes minutes later. DuckDB keeps its statistics up to date by itself. #}
{% macro analyze_after_build() -%}
    {{ return(adapter.dispatch('analyze_after_build', 'emis')()) }}
{%- endmacro %}

{% macro default__analyze_after_build() -%}
    {%- if model.config.materialized in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif %}
{%- endmacro %}

{% macro duckdb__analyze_after_build() -%}
    select 1
{%- endmacro %}
