-- Grain: one row per academic year x general-education school operating on the census date,
-- with the answers of the infrastructure survey taken during that academic year (1 September
-- to 31 August); no survey, or no answer, is unknown (NULL), not "no".
with organizations as (
    select * from {{ ref('int_organizations_on_census_date') }}
),

surveys as (
    select * from {{ ref('stg_emis__infrastructure_surveys') }}
),

surveys_in_year as (
    select
        organizations.academic_year,
        surveys.organization_id,
        surveys.survey_date,
        surveys.has_electricity,
        surveys.has_internet,
        surveys.computers_for_teaching,
        surveys.has_ramp,
        surveys.has_drinking_water,
        surveys.toilets_single_sex,
        surveys.has_handwashing,
        row_number() over (
            partition by organizations.academic_year, surveys.organization_id
            order by surveys.survey_date desc
        ) as recency
    from surveys
    inner join organizations
        on
            surveys.organization_id = organizations.organization_id
            and surveys.survey_date >= make_date(organizations.start_year, 9, 1)
            and surveys.survey_date < make_date(organizations.start_year + 1, 9, 1)
),

final as (
    select
        organizations.academic_year,
        organizations.organization_id,
        organizations.district_code,
        organizations.oblast_code,
        organizations.organization_type,
        organizations.ownership,
        organizations.locality,
        surveys_in_year.survey_date,
        surveys_in_year.has_electricity,
        surveys_in_year.has_internet,
        surveys_in_year.computers_for_teaching > 0 as has_computers,
        surveys_in_year.has_ramp as is_adapted,
        surveys_in_year.has_drinking_water,
        surveys_in_year.toilets_single_sex as has_single_sex_toilets,
        surveys_in_year.has_handwashing,
        organizations.census_date
    from organizations
    left join surveys_in_year
        on
            organizations.academic_year = surveys_in_year.academic_year
            and organizations.organization_id = surveys_in_year.organization_id
            and surveys_in_year.recency = 1
    where organizations.is_general_school
)

select * from final
