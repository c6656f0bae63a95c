{# Settings for the session a model is built in, run before it (project pre-hook).
   PostgreSQL: no JIT compilation. Its cost model compiles the big analytic queries of this
   project to machine code before running them, and the compiling took longer than the work
   it saved: nationally 36 of the 77 s of `observations` (1,997 functions), whose query
   took 46 s without it. #}
{% macro session_settings() -%}
    {{ return(adapter.dispatch('session_settings', 'emis')()) }}
{%- endmacro %}

{% macro default__session_settings() -%}
    select 1
{%- endmacro %}

{% macro postgres__session_settings() -%}
    set jit = off
{%- endmacro %}
