{# Custom schemas are used as named (staging, intermediate, marts_open, reference), not
   prefixed with the target schema: the warehouse is the project's own database. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
