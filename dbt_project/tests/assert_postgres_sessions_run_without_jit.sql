-- dbt's PostgreSQL sessions run without JIT compilation (warehouse/dbt_runner.py: PGOPTIONS):
-- compiling the big analytic queries to machine code took longer than the work it saved.
{% if target.type == 'postgres' %}
    select current_setting('jit') as jit
    where current_setting('jit') <> 'off'
{% else %}
    select 'off' as jit
    where false
{% endif %}
