{# Settings for the session a model is built in, set by its own hooks. (Without JIT
   compilation on PostgreSQL: every dbt session, warehouse/dbt_runner.py.) #}

{# Memory for the hash tables of one model's query (its pre-hook), PostgreSQL only, for its
   transaction alone (`set local`: the thread's next model has the server's default again).
   The quarter marks' grouping of 16.5 million marks into 1.45 million groups spilled to
   disk in 65 batches at the default 4 MB; at 256 MB it is one hash table of 287 MB
   (EXPLAIN ANALYZE nationally 28.4-32.4 s -> 17.0-17.7 s; 64 and 128 MB chose a sort). #}
{% macro hash_memory(size) -%}
    {{ return(adapter.dispatch('hash_memory', 'emis')(size)) }}
{%- endmacro %}

{% macro default__hash_memory(size) -%}
    select 1
{%- endmacro %}

{% macro postgres__hash_memory(size) -%}
    set local work_mem = '{{ size }}'
{%- endmacro %}

{# DuckDB: a model's hash joins build their tables on the side its query joins on (the right
   side of a left join), not on the side the estimates call smaller: `hash_build_sides('as
   written')` as its pre-hook, `hash_build_sides('estimated')` as its post-hook to give the
   choice back. The setting is the database's, not the session's: dbt builds one DuckDB model
   at a time. Monthly attendance's pupils' months (7.6 million rows nationally, estimated at
   0.3 million) were the build side of its joins to the departures and absences, and spilled
   at the 2 GB limit: the model took 10.3-12.6 s of a national full build with the sides
   estimated, 8.2-9.0 s as written (the same rows). #}
{% macro hash_build_sides(sides) -%}
    {{ return(adapter.dispatch('hash_build_sides', 'emis')(sides)) }}
{%- endmacro %}

{% macro default__hash_build_sides(sides) -%}
    select 1
{%- endmacro %}

{% macro duckdb__hash_build_sides(sides) -%}
    {% if sides == 'as written' -%}
        set disabled_optimizers = 'build_side_probe_side'
    {%- elif sides == 'estimated' -%}
        reset disabled_optimizers
    {%- else -%}
        {{ exceptions.raise_compiler_error("hash_build_sides: not " ~ sides) }}
    {%- endif %}
{%- endmacro %}
