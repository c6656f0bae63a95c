-- Grain: one row per indicator x academic year x territory (national, oblast, district) x
-- combination of breakdown codes (SDMX: _T total, _Z not applicable, _U unknown).
-- Everything downstream (release, portal, forms' consistency checks) reads this table.
{% set school_levels = "('primary', 'basic', 'secondary')" %}

with indicators as (
    select * from {{ ref('indicators') }}
),

cubes as (
    {{ observation_cube(
        'organizations',
        parts=[{
            'relation': ref('int_organizations_on_census_date'),
            'numerator': '1', 'denominator': '0',
            'dimensions': {'org_type': 'organization_type', 'ownership': 'ownership',
                           'locality': 'locality'},
        }],
        breakdowns=[['org_type', 'ownership', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'learners',
        parts=[{
            'relation': ref('int_learners_on_census_date'),
            'numerator': '1', 'denominator': '0',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex',
                           'locality': 'locality', 'ownership': 'ownership',
                           'disability': 'disability'},
        }],
        breakdowns=[['level', 'grade', 'sex'], ['level', 'sex', 'locality'],
                    ['level', 'sex', 'ownership'], ['level', 'sex', 'disability']],
    ) }}

    union all

    {{ observation_cube(
        'new_entrants_grade1',
        parts=[{
            'relation': ref('int_learners_on_census_date'),
            'where': "level = 'primary' and grade = 1 and last_event_type = 'admission'",
            'numerator': '1', 'denominator': '0',
            'dimensions': {'sex': 'sex', 'locality': 'locality', 'ownership': 'ownership'},
        }],
        breakdowns=[['sex', 'locality'], ['sex', 'ownership']],
    ) }}

    union all

    {{ observation_cube(
        'teachers',
        parts=[{
            'relation': ref('int_teachers_on_census_date'),
            'where': 'is_headcount = 1',
            'numerator': '1', 'denominator': '0',
            'dimensions': {'sex': 'sex', 'org_type': 'organization_type',
                           'locality': 'locality', 'ownership': 'ownership'},
        }],
        breakdowns=[['org_type', 'sex', 'locality'], ['org_type', 'sex', 'ownership']],
    ) }}

    union all

    {{ observation_cube(
        'teachers_fte',
        parts=[{
            'relation': ref('int_teachers_on_census_date'),
            'numerator': 'fte', 'denominator': '0',
            'dimensions': {'sex': 'sex', 'org_type': 'organization_type',
                           'locality': 'locality', 'ownership': 'ownership'},
        }],
        breakdowns=[['org_type', 'sex', 'locality'], ['org_type', 'sex', 'ownership']],
    ) }}

    union all

    {{ observation_cube(
        'pupil_teacher_ratio',
        parts=[
            {
                'relation': ref('int_learners_on_census_date'),
                'where': 'level in ' ~ school_levels,
                'numerator': '1', 'denominator': '0',
                'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
            },
            {
                'relation': ref('int_teachers_on_census_date'),
                'where': 'is_general_school and is_headcount = 1',
                'numerator': '0', 'denominator': '1',
                'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
            },
        ],
        breakdowns=[['locality', 'ownership']],
    ) }}
),

final as (
    select
        cubes.indicator_id,
        cubes.academic_year,
        cubes.reference_date,
        cubes.geographic_level,
        cubes.territory_code,
        cubes.sex,
        cubes.level,
        cubes.grade,
        cubes.locality,
        cubes.ownership,
        cubes.language,
        cubes.org_type,
        cubes.disability,
        cubes.numerator,
        cubes.denominator,
        cast(
            case indicators.unit
                when 'ratio' then cubes.numerator / nullif(cubes.denominator, 0)
                when 'percent' then 100 * cubes.numerator / nullif(cubes.denominator, 0)
                else cubes.numerator
            end as numeric(18, 4)
        ) as value,
        indicators.unit
    from cubes
    inner join indicators on cubes.indicator_id = indicators.indicator_id
)

select * from final
