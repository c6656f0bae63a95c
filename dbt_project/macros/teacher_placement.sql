{#
  The order that places a teacher, counted once per reference date, at one of their teaching
  posts: the primary job if it is a teaching post, else the largest rate; ties go to the
  earliest start, then the assignment id. Rank 1 is the post that carries the head.
  reports/sql/teachers.sql writes the same order for the state forms (raw SQL, no macros).
#}
{% macro teacher_placement_order(alias) -%}
    case when {{ alias }}.is_primary_job then 0 else 1 end,
    {{ alias }}.fte_rate desc,
    {{ alias }}.start_date,
    {{ alias }}.assignment_id
{%- endmacro %}
