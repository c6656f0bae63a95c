-- Grain: one row: the export the staging layer reads (the latest load), with its snapshot
-- date and academic year, which every monitoring figure is measured against.
with loads as (
    select * from {{ source('emis_meta', 'loads') }}
),

latest_load as (
    select * from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        loads.load_id,
        loads.academic_year,
        loads.snapshot_date
    from loads
    inner join latest_load on loads.load_id = latest_load.load_id
)

select * from final
