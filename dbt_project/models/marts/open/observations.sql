-- Grain: one row per indicator x academic year x territory (national, oblast, district) x
-- combination of breakdown codes (SDMX: _T total, _Z not applicable, _U unknown).
-- Everything downstream (release, portal, forms' consistency checks) reads this table.
{% set school_levels = "('primary', 'basic', 'secondary')" %}
{% set facilities = {
    'schools_electricity_pct': 'has_electricity',
    'schools_internet_pct': 'has_internet',
    'schools_computers_pct': 'has_computers',
    'schools_adapted_pct': 'is_adapted',
    'schools_drinking_water_pct': 'has_drinking_water',
    'schools_single_sex_toilets_pct': 'has_single_sex_toilets',
    'schools_handwashing_pct': 'has_handwashing',
} %}
{% set enrolment_ratios = {
    'ger': 'enrolled_at_level',
    'ner': 'of_official_age_at_level',
    'aner': 'of_official_age_at_or_above',
} %}
{% set flows = {
    'promotion_rate': 'promoted',
    'repetition_rate': 'repeated',
    'dropout_rate': 'dropped_out',
} %}

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

    {% for indicator_id, numerator in enrolment_ratios.items() %}
        union all

    {{ observation_cube(
        indicator_id,
        parts=[{
            'relation': ref('int_enrolment_ratio_parts'),
            'numerator': numerator, 'denominator': 'population',
            'dimensions': {'level': 'level', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'sex']],
    ) }}
    {% endfor %}

    union all

    {{ observation_cube(
        'preschool_coverage_pct',
        parts=[
            {
                'relation': ref('int_learners_on_census_date'),
                'where': "level = 'preschool' and age_on_january_first between 1 and 6",
                'numerator': '1', 'denominator': '0',
                'dimensions': {'sex': 'sex'},
            },
            {
                'relation': ref('int_population_on_january_first'),
                'where': 'age between 1 and 6',
                'numerator': '0', 'denominator': 'population_count',
                'dimensions': {'sex': 'sex'},
            },
        ],
        breakdowns=[['sex']],
    ) }}

    union all

    {{ observation_cube(
        'trained_teachers_pct',
        parts=[{
            'relation': ref('int_teachers_on_census_date'),
            'where': 'is_headcount = 1',
            'numerator': 'case when has_pedagogical_training then 1 else 0 end',
            'denominator': '1',
            'dimensions': {'sex': 'sex', 'org_type': 'organization_type'},
        }],
        breakdowns=[['org_type', 'sex']],
    ) }}

    union all

    {{ observation_cube(
        'qualified_teachers_pct',
        parts=[{
            'relation': ref('int_teachers_on_census_date'),
            'where': 'is_headcount = 1',
            'numerator': "case when education_level = 'higher' then 1 else 0 end",
            'denominator': '1',
            'dimensions': {'sex': 'sex', 'org_type': 'organization_type'},
        }],
        breakdowns=[['org_type', 'sex']],
    ) }}

    union all

    {{ observation_cube(
        'avg_class_size',
        parts=[{
            'relation': ref('int_school_classes_on_census_date'),
            'numerator': 'pupils', 'denominator': '1',
            'dimensions': {'level': 'level', 'locality': 'locality'},
        }],
        breakdowns=[['level', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'large_class_pupils_pct',
        parts=[{
            'relation': ref('int_school_classes_on_census_date'),
            'numerator': 'pupils * is_large', 'denominator': 'pupils',
            'dimensions': {'level': 'level', 'locality': 'locality'},
        }],
        breakdowns=[['level', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'second_shift_pupils_pct',
        parts=[{
            'relation': ref('int_school_classes_on_census_date'),
            'numerator': 'case when shift >= 2 then pupils else 0 end', 'denominator': 'pupils',
            'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
        }],
        breakdowns=[['locality', 'ownership']],
    ) }}

    {% for indicator_id, column in facilities.items() %}
        union all

    {{ observation_cube(
        indicator_id,
        parts=[{
            'relation': ref('int_school_facilities'),
            'numerator': 'case when ' ~ column ~ ' then 1 else 0 end',
            'denominator': 'case when ' ~ column ~ ' is not null then 1 else 0 end',
            'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
        }],
        breakdowns=[['locality', 'ownership']],
    ) }}
    {% endfor %}

    {% for indicator_id, outcome in flows.items() %}
        union all

    {{ observation_cube(
        indicator_id,
        parts=[{
            'relation': ref('int_grade_flows'),
            'numerator': "case when outcome = '" ~ outcome ~ "' then 1 else 0 end",
            'denominator': '1',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'grade', 'sex']],
    ) }}
    {% endfor %}
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
