-- Common table expressions every fact query of a form starts from (reports/metrics.py puts
-- them after `with`). Parameters: :as_of (the reporting date), :academic_year (the year it
-- falls in), :scope ('KG', an oblast, a district or an organization id), :sectors
-- (',school,' ...; '' for any), :operating_only. Portable: DuckDB and PostgreSQL alike.
--
-- Register attributes come from the histories in `snapshots`: the version in force on the
-- reporting date, or, for a date before the first export that lists a record, its first
-- version (the register's own dates, opened/closed and start/end, then say whether it existed
-- on the date). Learner status comes from the movement events, which each export carries in
-- full: the last event on or before the date, same-day events in the order of event_types.

organization_versions as (
    select history.*
    from snapshots.snp_emis__organizations as history
    where
        (
            history.valid_from_date <= :as_of
            and (history.valid_to_date is null or history.valid_to_date > :as_of)
        )
        or (history.version_number = 1 and history.valid_from_date > :as_of)
),

student_versions as (
    select
        history.*,
        -- Completed years on the reporting date.
        cast(extract(year from :as_of) as integer)
        - cast(extract(year from history.birth_date) as integer)
        - case
            when
                cast(extract(month from :as_of) as integer) * 100
                + cast(extract(day from :as_of) as integer)
                < cast(extract(month from history.birth_date) as integer) * 100
                + cast(extract(day from history.birth_date) as integer)
                then 1
            else 0
        end as age,
        -- The age reached in the reporting year: the year of birth, counted back.
        cast(extract(year from :as_of) as integer)
        - cast(extract(year from history.birth_date) as integer) as age_at_year_end
    from snapshots.snp_emis__students as history
    where
        (
            history.valid_from_date <= :as_of
            and (history.valid_to_date is null or history.valid_to_date > :as_of)
        )
        or (history.version_number = 1 and history.valid_from_date > :as_of)
),

class_versions as (
    select history.*
    from snapshots.snp_emis__classes as history
    where
        (
            history.valid_from_date <= :as_of
            and (history.valid_to_date is null or history.valid_to_date > :as_of)
        )
        or (history.version_number = 1 and history.valid_from_date > :as_of)
),

staff_versions as (
    select
        history.*,
        -- Completed years on the reporting date.
        cast(extract(year from :as_of) as integer)
        - cast(extract(year from history.birth_date) as integer)
        - case
            when
                cast(extract(month from :as_of) as integer) * 100
                + cast(extract(day from :as_of) as integer)
                < cast(extract(month from history.birth_date) as integer) * 100
                + cast(extract(day from history.birth_date) as integer)
                then 1
            else 0
        end as age
    from snapshots.snp_emis__staff as history
    where
        (
            history.valid_from_date <= :as_of
            and (history.valid_to_date is null or history.valid_to_date > :as_of)
        )
        or (history.version_number = 1 and history.valid_from_date > :as_of)
),

assignment_versions as (
    select history.*
    from snapshots.snp_emis__staff_assignments as history
    where
        (
            history.valid_from_date <= :as_of
            and (history.valid_to_date is null or history.valid_to_date > :as_of)
        )
        or (history.version_number = 1 and history.valid_from_date > :as_of)
),

scoped_organizations as (
    select
        versions.org_id as organization_id,
        versions.org_type as organization_type,
        organization_types.sector,
        versions.ownership,
        versions.locality,
        versions.district_code,
        territories.oblast_code,
        -- Statistics count a school teaching in several languages as "mixed" (смешанная).
        case
            when position(';' in versions.languages) > 0 then 'mixed'
            else versions.languages
        end as org_language,
        versions.shifts as org_shifts,
        versions.design_capacity,
        (
            (versions.opened_date is null or versions.opened_date <= :as_of)
            and (versions.status = 'active' or versions.closed_date > :as_of)
        ) as is_operating
    from organization_versions as versions
    inner join reference.organization_types as organization_types
        on versions.org_type = organization_types.organization_type
    inner join reference.territories as territories
        on versions.district_code = territories.district_code
    where
        :scope in ('KG', territories.oblast_code, territories.district_code, versions.org_id)
),

-- The organizations the form covers: its sectors, operating on the date (unless the form
-- follows learners wherever they last were, as form 77 does).
organizations as (
    select scoped_organizations.*
    from scoped_organizations
    where
        (:sectors = '' or position(',' || scoped_organizations.sector || ',' in :sectors) > 0)
        and (scoped_organizations.is_operating or not :operating_only)
),

last_events as (
    select
        events.student_id,
        events.organization_id,
        events.event_type,
        event_types.effect,
        events.event_date,
        events.academic_year,
        events.level,
        events.grade,
        events.class_id,
        events.study_form,
        events.exit_reason,
        row_number() over (
            partition by events.student_id
            order by events.event_date desc, event_types.order_in_day desc, events.event_id desc
        ) as recency
    from staging.stg_emis__enrolment_events as events
    inner join reference.event_types as event_types
        on events.event_type = event_types.event_type
    where events.event_date <= :as_of
),

learner_status as (
    select last_events.*
    from last_events
    where last_events.recency = 1
),

-- Enrolled on the date: the last event leaves the learner in, in the date's academic year
-- (as the census-day indicators count them; academic leave is not counted).
enrolled as (
    select learner_status.*
    from learner_status
    where
        learner_status.effect in ('enter', 'continue', 'resume')
        and learner_status.academic_year = :academic_year
)
