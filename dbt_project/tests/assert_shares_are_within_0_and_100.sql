-- A share (its numerator a subset of its denominator, seed indicators.is_share) lies in
-- [0, 100]; ratios such as GER may exceed 100 and are not checked here.
with observations as (
    select * from {{ ref('observations') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

final as (
    select observations.*
    from observations
    inner join indicators on observations.indicator_id = indicators.indicator_id
    where
        indicators.is_share
        and (observations.value < 0 or observations.value > 100)
)

select * from final
