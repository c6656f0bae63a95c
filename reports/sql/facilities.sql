-- Buildings and equipment from each organization's latest infrastructure survey on or before
-- the reporting date: one row per organization x item. A yes/no item counts organizations
-- answering yes; buildings, classrooms, computers and books are summed. No survey, or no
-- answer, counts nothing (the 'surveyed' item says how many answered). Measure: facilities.
surveys as (
    select
        surveys.*,
        row_number() over (
            partition by surveys.organization_id
            order by surveys.survey_date desc
        ) as recency
    from staging.stg_emis__infrastructure_surveys as surveys
    where surveys.survey_date <= :as_of
),

items (item) as (
    values
    ('surveyed'), ('buildings'), ('condition_emergency'), ('condition_needs_repair'),
    ('classrooms'), ('electricity'), ('central_heating'), ('piped_water'), ('drinking_water'),
    ('indoor_toilets'), ('single_sex_toilets'), ('handwashing'), ('internet'), ('computers'),
    ('ramp'), ('canteen'), ('gym'), ('library_books')
),

latest as (
    select surveys.*
    from surveys
    inner join organizations on surveys.organization_id = organizations.organization_id
    where surveys.recency = 1
),

facts as (
    select
        latest.organization_id,
        items.item,
        case items.item
            when 'surveyed' then 1
            when 'buildings' then coalesce(latest.buildings, 0)
            when 'condition_emergency'
                then case when latest.building_condition = 'emergency' then 1 else 0 end
            when 'condition_needs_repair'
                then case when latest.building_condition = 'needs_repair' then 1 else 0 end
            when 'classrooms' then coalesce(latest.classrooms, 0)
            when 'electricity' then case when latest.has_electricity then 1 else 0 end
            when 'central_heating' then case when latest.heating = 'central' then 1 else 0 end
            when 'piped_water' then case when latest.water_source = 'piped' then 1 else 0 end
            when 'drinking_water' then case when latest.has_drinking_water then 1 else 0 end
            when 'indoor_toilets' then case when latest.toilets = 'indoor' then 1 else 0 end
            when 'single_sex_toilets'
                then case when latest.toilets_single_sex then 1 else 0 end
            when 'handwashing' then case when latest.has_handwashing then 1 else 0 end
            when 'internet' then case when latest.has_internet then 1 else 0 end
            when 'computers' then coalesce(latest.computers_for_teaching, 0)
            when 'ramp' then case when latest.has_ramp then 1 else 0 end
            when 'canteen' then case when latest.has_canteen then 1 else 0 end
            when 'gym' then case when latest.has_gym then 1 else 0 end
            when 'library_books' then coalesce(latest.library_books, 0)
        end as facilities
    from latest
    cross join items
)
