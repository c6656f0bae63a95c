-- The adjusted GPI on known values (UIS): below parity F/M; above it 2 - M/F, so 1.1 and
-- 1/1.1 lie equally far from 1; parity is 1; no boys' value gives no index.
{% set double = type_double() %}
with cases as (
    select cast(0.9 as {{ double }}) as girls, cast(1.0 as {{ double }}) as boys,
           cast(0.9 as {{ double }}) as expected
    union all
    select cast(1.1 as {{ double }}), cast(1.0 as {{ double }}), cast(2 - 1 / 1.1 as {{ double }})
    union all
    select cast(0.5 as {{ double }}), cast(0.5 as {{ double }}), cast(1.0 as {{ double }})
    union all
    select cast(0.0 as {{ double }}), cast(0.0 as {{ double }}), cast(null as {{ double }})
),

computed as (
    select
        girls,
        boys,
        expected,
        {{ adjusted_gpi('girls', 'boys') }} as adjusted
    from cases
)

select * from computed
where
    (expected is null) <> (adjusted is null)
    or abs(adjusted - expected) > 1e-9
