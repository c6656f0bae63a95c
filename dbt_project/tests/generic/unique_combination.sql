{# No two rows share the values of these columns together (a composite key). On a register's
   history (``delivered_in``: its raw table), the records an incremental build redoes only. #}
{% test unique_combination(model, columns, delivered_in=none) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
{% if delivered_in %}{{ emis.rows_built_now(delivered_in, columns[0]) }}{% endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
