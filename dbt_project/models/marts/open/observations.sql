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
{% set reconstructed_flows = {
    'promotion_rate_reconstructed': 'promoted',
    'repetition_rate_reconstructed': 'repeated',
    'dropout_rate_reconstructed': 'enrolled - promoted - repeated',
} %}

with indicators as (
    select * from {{ ref('indicators') }}
),

population_years as (
    select * from {{ ref('int_population_years') }}
),

on_population as (
    -- The ratios on the statistics committee's population estimates.
    select ratios.indicator_id
    from (
        values
        ('ger'), ('ner'), ('aner'), ('gpi_ger'), ('preschool_coverage_pct'),
        ('out_of_school_rate'), ('gross_intake_last_grade')
    ) as ratios (indicator_id)
),

cubes as (
    {{ observation_cube(
        'organizations',
        parts=[{
            'relation': ref('int_organizations_on_census_date'),
            'numerator': '1', 'denominator': '0',
            'dimensions': {'org_type': 'organization_type', 'ownership': 'ownership',
                           'locality': 'locality', 'language': 'language_of_instruction'},
        }],
        breakdowns=[['org_type', 'ownership', 'locality'], ['org_type', 'language']],
    ) }}

    union all

    {{ observation_cube(
        'learners',
        parts=[{
            'relation': ref('int_learners_on_census_date'),
            'numerator': '1', 'denominator': '0',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex',
                           'locality': 'locality', 'ownership': 'ownership',
                           'disability': 'disability', 'language': 'language_of_instruction'},
        }],
        breakdowns=[['level', 'grade', 'sex'], ['level', 'sex', 'locality'],
                    ['level', 'sex', 'ownership'], ['level', 'sex', 'disability'],
                    ['level', 'sex', 'language']],
    ) }}

    union all

    {{ observation_cube(
        'learners_with_disabilities',
        parts=[{
            'relation': ref('int_learners_on_census_date'),
            'where': "disability <> 'none'",
            'numerator': '1', 'denominator': '0',
            'dimensions': {'disability': 'disability', 'setting': 'setting', 'level': 'level',
                           'sex': 'sex'},
        }],
        breakdowns=[['disability', 'setting', 'level'], ['setting', 'sex']],
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
            'numerator': "case when outcome = '" ~ outcome ~ "' then pupils else 0 end",
            'denominator': 'pupils',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'grade', 'sex']],
    ) }}
    {% endfor %}

    {% for indicator_id, numerator in reconstructed_flows.items() %}
        union all

    {{ observation_cube(
        indicator_id,
        parts=[{
            'relation': ref('int_reconstructed_cohort_parts'),
            'numerator': numerator, 'denominator': 'enrolled',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'grade', 'sex']],
    ) }}
    {% endfor %}

    union all

    {{ observation_cube(
        'failing_marks_pct',
        parts=[{
            'relation': ref('int_marks_by_term'),
            'reference_date': 'term_end_date',
            'numerator': 'failing_marks', 'denominator': 'marks_given',
            'dimensions': {'subject': 'subject', 'level': 'level', 'grade': 'grade',
                           'sex': 'sex', 'locality': 'locality'},
        }],
        breakdowns=[['subject', 'level', 'sex'], ['level', 'grade'], ['level', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'pupils_failing_year_pct',
        parts=[{
            'relation': ref('int_pupils_failing_the_year'),
            'where': 'is_first_subject = 1',
            'reference_date': 'year_end_date',
            'numerator': 'fails_the_year', 'denominator': '1',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex',
                           'locality': 'locality'},
        }],
        breakdowns=[['level', 'grade', 'sex'], ['level', 'sex', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'failing_year_subject_pct',
        parts=[{
            'relation': ref('int_pupils_failing_the_year'),
            'reference_date': 'year_end_date',
            'numerator': 'is_failing', 'denominator': '1',
            'dimensions': {'subject': 'subject', 'level': 'level', 'grade': 'grade',
                           'sex': 'sex'},
        }],
        breakdowns=[['subject', 'level', 'grade', 'sex']],
    ) }}

    union all

    {{ observation_cube(
        'out_of_school_rate',
        parts=[
            {
                'relation': ref('int_population_on_january_first'),
                'where': 'age between 7 and 17',
                'numerator': 'population_count', 'denominator': 'population_count',
                'dimensions': {'sex': 'sex'},
            },
            {
                'relation': ref('int_learners_on_census_date'),
                'where': 'age_on_january_first between 7 and 17',
                'numerator': '-1', 'denominator': '0',
                'dimensions': {'sex': 'sex'},
            },
        ],
        breakdowns=[['sex']],
    ) }}

    union all

    {{ observation_cube(
        'transition_rate',
        parts=[{
            'relation': ref('int_grade_flows'),
            'where': 'grade in (4, 9)',
            'numerator': "case when outcome = 'promoted' then pupils else 0 end",
            'denominator': 'pupils',
            'dimensions': {'level': 'level', 'grade': 'grade', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'grade', 'sex']],
    ) }}

    union all

    {{ observation_cube(
        'gross_intake_last_grade',
        parts=[{
            'relation': ref('int_last_grade_intake_parts'),
            'numerator': 'entrants', 'denominator': 'population',
            'dimensions': {'level': 'level', 'sex': 'sex'},
        }],
        breakdowns=[['level', 'sex']],
    ) }}

    union all

    {{ observation_cube(
        'capacity_utilisation',
        parts=[
            {
                'relation': ref('int_learners_on_census_date'),
                'where': 'level in ' ~ school_levels,
                'numerator': '1', 'denominator': '0',
                'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
            },
            {
                'relation': ref('int_organizations_on_census_date'),
                'where': 'is_general_school',
                'numerator': '0', 'denominator': 'coalesce(design_capacity, 0)',
                'dimensions': {'locality': 'locality', 'ownership': 'ownership'},
            },
        ],
        breakdowns=[['locality', 'ownership']],
    ) }}

    union all

    {{ observation_cube(
        'attendance_rate',
        parts=[{
            'relation': ref('int_learner_attendance_by_month'),
            'reference_date': 'month_start_date',
            'numerator': 'days_marked - days_absent', 'denominator': 'days_marked',
            'dimensions': {'level': 'level', 'sex': 'sex', 'locality': 'locality'},
        }],
        breakdowns=[['level', 'sex'], ['level', 'locality']],
    ) }}

    union all

    {{ observation_cube(
        'chronic_absence_pct',
        parts=[{
            'relation': ref('int_learner_attendance_by_month'),
            'reference_date': 'month_start_date',
            'numerator': 'case when 10 * days_absent >= days_marked then 1 else 0 end',
            'denominator': '1',
            'dimensions': {'level': 'level', 'sex': 'sex', 'locality': 'locality'},
        }],
        breakdowns=[['level', 'sex'], ['level', 'locality']],
    ) }}
),

ger_cells_by_sex as (
    -- The GER's cells for girls and boys, a few hundred, picked once: PostgreSQL joined the
    -- 200,000 cubes to themselves in a nested loop, one scan of them per girls' cell (8 s).
    select
        cubes.academic_year,
        cubes.reference_date,
        cubes.geographic_level,
        cubes.territory_code,
        cubes.level,
        cubes.sex,
        cubes.numerator,
        cubes.denominator
    from cubes
    where cubes.indicator_id = 'ger' and cubes.sex in ('F', 'M')
),

ger_by_sex as (
    -- The adjusted gender parity index of the GER (UIS; macro adjusted_gpi).
    select
        girls.academic_year,
        girls.reference_date,
        girls.geographic_level,
        girls.territory_code,
        girls.level,
        cast(girls.numerator as {{ type_double() }}) / nullif(girls.denominator, 0) as girls_ger,
        cast(boys.numerator as {{ type_double() }}) / nullif(boys.denominator, 0) as boys_ger
    from ger_cells_by_sex as girls
    inner join ger_cells_by_sex as boys
        on
            girls.academic_year = boys.academic_year
            and girls.geographic_level = boys.geographic_level
            and girls.territory_code = boys.territory_code
            and girls.level = boys.level
            and boys.sex = 'M'
    where girls.sex = 'F'
),

gpi as (
    select
        'gpi_ger' as indicator_id,
        academic_year,
        reference_date,
        geographic_level,
        territory_code,
        '_Z' as sex,
        level,
        '_Z' as grade,
        '_Z' as locality,
        '_Z' as ownership,
        '_Z' as language,
        '_Z' as org_type,
        '_Z' as disability,
        '_Z' as setting,
        '_Z' as subject,
        cast(girls_ger * 100 as numeric(18, 2)) as numerator,
        cast(boys_ger * 100 as numeric(18, 2)) as denominator,
        {{ adjusted_gpi('girls_ger', 'boys_ger') }} as adjusted_gpi
    from ger_by_sex
),

all_rows as (
    select
        cubes.*,
        cast(null as {{ type_double() }}) as adjusted_gpi
    from cubes
    union all
    select * from gpi
),

valued as (
    select
        all_rows.indicator_id,
        all_rows.academic_year,
        all_rows.reference_date,
        all_rows.geographic_level,
        all_rows.territory_code,
        all_rows.sex,
        all_rows.level,
        all_rows.grade,
        all_rows.locality,
        all_rows.ownership,
        all_rows.language,
        all_rows.org_type,
        all_rows.disability,
        all_rows.setting,
        all_rows.subject,
        all_rows.numerator,
        all_rows.denominator,
        cast(
            case
                when all_rows.adjusted_gpi is not null then all_rows.adjusted_gpi
                when indicators.unit = 'ratio'
                    then all_rows.numerator / nullif(all_rows.denominator, 0)
                when indicators.unit = 'percent'
                    then 100 * all_rows.numerator / nullif(all_rows.denominator, 0)
                else all_rows.numerator
            end as numeric(18, 4)
        ) as value,
        indicators.unit,
        population_years.population_year,
        population_years.population_year_wanted
    from all_rows
    inner join indicators on all_rows.indicator_id = indicators.indicator_id
    left join on_population on all_rows.indicator_id = on_population.indicator_id
    left join population_years
        on
            on_population.indicator_id is not null
            and all_rows.academic_year = population_years.academic_year
),

final as (
    -- An empty value always says why: x (not available: no population estimates loaded for
    -- the year or before it) or z (not applicable: a rate on nobody).
    select
        valued.indicator_id,
        valued.academic_year,
        valued.reference_date,
        valued.geographic_level,
        valued.territory_code,
        valued.sex,
        valued.level,
        valued.grade,
        valued.locality,
        valued.ownership,
        valued.language,
        valued.org_type,
        valued.disability,
        valued.setting,
        valued.subject,
        valued.numerator,
        valued.denominator,
        valued.value,
        valued.unit,
        case
            when valued.value is not null then cast(null as varchar)
            when valued.population_year_wanted is not null and valued.population_year is null
                then 'x'
            else 'z'
        end as symbol,
        case
            when valued.population_year is null and valued.population_year_wanted is not null
                then
                    'No population estimates are loaded for 1 January '
                    || cast(valued.population_year_wanted as varchar) || ' or an earlier year.'
            when valued.population_year < valued.population_year_wanted
                then
                    'Population: estimates of 1 January '
                    || cast(valued.population_year as varchar) || ' (those of 1 January '
                    || cast(valued.population_year_wanted as varchar) || ' are not loaded yet).'
        end as footnote,
        cast(valued.population_year as integer) as population_year
    from valued
)

select * from final
