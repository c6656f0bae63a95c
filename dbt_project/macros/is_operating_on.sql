{# An organization operates on a date: opened on or before it, and active or closed after it. #}
{% macro is_operating_on(organizations, on_date) -%}
    (
        {{ organizations }}.opened_date is null
        or {{ organizations }}.opened_date <= {{ on_date }}
    )
    and (
        {{ organizations }}.organization_status = 'active'
        or {{ organizations }}.closed_date > {{ on_date }}
    )
{%- endmacro %}
