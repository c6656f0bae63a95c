-- OpenEMIS rows (s_*) -> contract rows (out_*), in DuckDB. Mapping sections are m_* tables
-- (code -> value). Placeholders in braces are filled by extract.py. docs/openemis.md explains
-- each derivation and what is lost.
CREATE MACRO utc(x) AS timezone('{tz}', x)::TIMESTAMP;
CREATE MACRO truthy(x) AS CASE WHEN x IS NULL THEN NULL ELSE lower(trim(x::VARCHAR)) IN ('true', '1', 'да', 'ооба', 'yes') END;
CREATE TABLE warnings (message VARCHAR);
CREATE TABLE current_period AS
SELECT * FROM s_academic_periods WHERE start_date <= DATE '{as_of}' ORDER BY start_date DESC LIMIT 1;

-- custom fields as (entity, record, contract column, value)
CREATE TABLE custom AS
SELECT 'institution' AS entity, v.institution_id AS record_id, m.col, coalesce(v.text_value, v.number_value::VARCHAR) AS value,
       coalesce(v.modified, v.created) AS changed
FROM s_institution_custom_field_values v JOIN s_institution_custom_fields f ON f.id = v.institution_custom_field_id
JOIN m_custom m ON m.entity = 'institution' AND m.code = f.code
UNION ALL
SELECT 'student', v.student_id, m.col, coalesce(v.text_value, v.number_value::VARCHAR), coalesce(v.modified, v.created)
FROM s_student_custom_field_values v JOIN s_student_custom_fields f ON f.id = v.student_custom_field_id
JOIN m_custom m ON m.entity = 'student' AND m.code = f.code
UNION ALL
SELECT 'staff', v.staff_id, m.col, coalesce(v.text_value, v.number_value::VARCHAR), coalesce(v.modified, v.created)
FROM s_staff_custom_field_values v JOIN s_staff_custom_fields f ON f.id = v.staff_custom_field_id
JOIN m_custom m ON m.entity = 'staff' AND m.code = f.code
UNION ALL  -- the PIN kept as a custom field, where the installation does that
SELECT 'pin', v.student_id, 'pin', v.text_value, coalesce(v.modified, v.created)
FROM s_student_custom_field_values v JOIN s_student_custom_fields f ON f.id = v.student_custom_field_id
WHERE f.code = '{pin_field}' AND '{pin_field}' <> '';
CREATE TABLE custom_wide AS
SELECT entity, record_id,
       max(value) FILTER (WHERE col = 'languages') AS languages,
       max(value) FILTER (WHERE col = 'design_capacity') AS design_capacity,
       max(value) FILTER (WHERE col = 'nationality') AS nationality,
       max(value) FILTER (WHERE col = 'benefit') AS benefit,
       max(value) FILTER (WHERE col = 'has_pedagogical_training') AS has_pedagogical_training,
       max(value) FILTER (WHERE col = 'specialty') AS specialty,
       max(value) FILTER (WHERE col = 'qualification_category') AS qualification_category,
       max(value) FILTER (WHERE col = 'academic_degree') AS academic_degree,
       max(value) FILTER (WHERE col = 'academic_title') AS academic_title,
       max(value) FILTER (WHERE col = 'awards') AS awards,
       max(value) FILTER (WHERE col = 'teaching_experience_years') AS teaching_experience_years,
       max(value) FILTER (WHERE col = 'pin') AS pin,
       max(changed) AS changed
FROM custom GROUP BY entity, record_id;

-- organizations --------------------------------------------------------------------------
-- district: the institution's area, or its ancestor on the district level (nested set)
CREATE TABLE org_district AS
SELECT i.id, (SELECT min(d.code) FROM s_areas d WHERE d.area_level_id = {district_level}
              AND d.lft <= a.lft AND d.rght >= a.rght) AS district_code
FROM s_institutions i LEFT JOIN s_areas a ON a.id = i.area_id;
CREATE TABLE org_shifts AS
SELECT s.institution_id, max(m.value::INT) AS shifts, max(coalesce(s.modified, s.created)) AS changed
FROM s_institution_shifts s JOIN s_shift_options o ON o.id = s.shift_option_id
JOIN m_organizations_shift m ON m.code = o.national_code
WHERE s.academic_period_id = (SELECT id FROM current_period)
GROUP BY s.institution_id;
CREATE TABLE out_organizations AS
SELECT i.code AS org_id, i.name AS name_ru, i.alternative_name AS name_ky, ty.value AS org_type,
       pr.value AS ownership, d.district_code, lo.value AS locality, c.languages,
       st.value AS status, i.date_opened AS opened_date, i.date_closed AS closed_date,
       try_cast(c.design_capacity AS INT) AS design_capacity, sh.shifts,
       utc(greatest(coalesce(i.modified, i.created), c.changed, sh.changed)) AS updated_at
FROM s_institutions i
LEFT JOIN org_district d ON d.id = i.id
LEFT JOIN s_institution_types t ON t.id = i.institution_type_id LEFT JOIN m_organizations_org_type ty ON ty.code = t.national_code
LEFT JOIN s_institution_providers p ON p.id = i.institution_provider_id LEFT JOIN m_organizations_ownership pr ON pr.code = p.national_code
LEFT JOIN s_institution_localities l ON l.id = i.institution_locality_id LEFT JOIN m_organizations_locality lo ON lo.code = l.national_code
LEFT JOIN s_institution_statuses s ON s.id = i.institution_status_id LEFT JOIN m_organizations_status st ON st.code = s.code
LEFT JOIN custom_wide c ON c.entity = 'institution' AND c.record_id = i.id
LEFT JOIN org_shifts sh ON sh.institution_id = i.id
WHERE greatest(coalesce(i.modified, i.created), c.changed, sh.changed) >= TIMESTAMP '{since}';
INSERT INTO warnings SELECT 'institutions: ' || count(*) || ' with no area on district level {district_level} (district_code left empty)'
FROM s_institutions i JOIN org_district d ON d.id = i.id WHERE d.district_code IS NULL HAVING count(*) > 0;

-- persons --------------------------------------------------------------------------------
CREATE TABLE person_pin AS
SELECT security_user_id AS user_id, arg_max(i.number, (coalesce(i.preferred, 0), i.id)) AS pin,
       max(coalesce(i.modified, i.created)) AS changed
FROM s_user_identities i JOIN s_identity_types t ON t.id = i.identity_type_id
WHERE t.national_code = '{pin_type}' GROUP BY security_user_id;
CREATE TABLE person_phone AS
SELECT security_user_id AS user_id, arg_max(value, (coalesce(preferred, 0), c.id)) AS phone,
       max(coalesce(c.modified, c.created)) AS changed
FROM s_user_contacts c JOIN s_contact_types t ON t.id = c.contact_type_id
WHERE t.national_code = '{phone_type}' GROUP BY security_user_id;
-- disability: the assessed special need; two different ones are "multiple"
CREATE TABLE person_disability AS
SELECT security_user_id AS user_id,
       CASE WHEN count(DISTINCT m.value) > 1 THEN 'multiple' ELSE min(m.value) END AS disability,
       max(coalesce(a.modified, a.created)) AS changed
FROM s_user_special_needs_assessments a JOIN s_special_need_types t ON t.id = a.special_need_type_id
JOIN m_persons_disability m ON m.code = t.national_code GROUP BY security_user_id;
CREATE TABLE persons AS
SELECT u.*, g.code AS sex, n.international_code AS citizenship, bp.name AS birth_place,
       dt.value AS document_type, coalesce(pin.pin, cw_pin.pin) AS pin, ph.phone,
       dis.disability, c.nationality, c.benefit,
       greatest(coalesce(u.modified, u.created), pin.changed, ph.changed, dis.changed, c.changed) AS changed
FROM s_security_users u
LEFT JOIN s_genders g ON g.id = u.gender_id
LEFT JOIN s_nationalities n ON n.id = u.nationality_id
LEFT JOIN s_areas bp ON bp.id = u.birthplace_area_id
LEFT JOIN s_identity_types it ON it.id = u.identity_type_id LEFT JOIN m_persons_document_type dt ON dt.code = it.national_code
LEFT JOIN person_pin pin ON pin.user_id = u.id
LEFT JOIN custom_wide cw_pin ON cw_pin.entity = 'pin' AND cw_pin.record_id = u.id
LEFT JOIN person_phone ph ON ph.user_id = u.id
LEFT JOIN person_disability dis ON dis.user_id = u.id
LEFT JOIN custom_wide c ON c.entity = 'student' AND c.record_id = u.id;
CREATE TABLE out_students AS
SELECT openemis_no AS student_id, pin, last_name, first_name, middle_name AS patronymic,
       date_of_birth AS birth_date, sex, citizenship, nationality, birth_place, document_type,
       identity_number AS document_number, address, phone, coalesce(disability, 'none') AS disability,
       benefit, utc(changed) AS updated_at
FROM persons WHERE is_student = 1;
INSERT INTO warnings SELECT 'security_users: ' || count(*) || ' learners'' PINs are not 14 digits (passed on; the warehouse flags them)'
FROM out_students WHERE pin IS NOT NULL AND NOT regexp_matches(pin, '^\d{{14}}$') HAVING count(*) > 0;

CREATE TABLE staff_education AS
SELECT q.staff_id, arg_max(m.value, l."order") AS education_level, max(coalesce(q.modified, q.created)) AS changed
FROM s_staff_qualifications q JOIN s_qualification_titles t ON t.id = q.qualification_title_id
JOIN s_qualification_levels l ON l.id = t.qualification_level_id
JOIN m_staff_education_level m ON m.code = l.national_code GROUP BY q.staff_id;
CREATE TABLE staff_training AS
SELECT staff_id, max(completed_date) AS last_training_date, max(coalesce(modified, created)) AS changed
FROM s_staff_trainings GROUP BY staff_id;
CREATE TABLE out_staff AS
SELECT p.openemis_no AS staff_id, p.pin, p.last_name, p.first_name, p.middle_name AS patronymic,
       p.date_of_birth AS birth_date, p.sex, p.citizenship, c.nationality, e.education_level,
       truthy(c.has_pedagogical_training) AS has_pedagogical_training, c.specialty,
       c.qualification_category, c.academic_degree, c.academic_title,
       try_cast(c.awards AS INT) AS awards, t.last_training_date,
       try_cast(c.teaching_experience_years AS INT) AS teaching_experience_years,
       p.phone, p.address,
       utc(greatest(p.changed, c.changed, e.changed, t.changed)) AS updated_at
FROM persons p
LEFT JOIN custom_wide c ON c.entity = 'staff' AND c.record_id = p.id
LEFT JOIN staff_education e ON e.staff_id = p.id
LEFT JOIN staff_training t ON t.staff_id = p.id
WHERE p.is_staff = 1;

-- enrolments: events from stints ---------------------------------------------------------
CREATE TABLE grade_map AS
SELECT g.id, m.value AS level, m.extra AS grade, nullif(f.value, '') AS study_form
FROM s_education_grades g JOIN m_education_grade m ON m.code = g.code
LEFT JOIN s_education_programmes p ON p.id = g.education_programme_id
LEFT JOIN m_education_study_form f ON f.code = p.code;
CREATE TABLE stints AS
SELECT s.*, ss.code AS status, gm.level, gm.grade, gm.study_form, ap.code AS academic_year,
       i.code AS org_id, u.openemis_no AS student_no
FROM s_institution_students s
JOIN s_student_statuses ss ON ss.id = s.student_status_id
JOIN grade_map gm ON gm.id = s.education_grade_id
JOIN s_academic_periods ap ON ap.id = s.academic_period_id
JOIN s_institutions i ON i.id = s.institution_id
JOIN s_user_nos u ON u.id = s.student_id;
-- the stint's class: the learner's class row in that year at that institution
CREATE TABLE stint_class AS
SELECT s.id, min(c.id) AS class_id
FROM stints s JOIN s_institution_class_students cs ON cs.student_id = s.student_id
    AND cs.academic_period_id = s.academic_period_id
JOIN s_institution_classes c ON c.id = cs.institution_class_id AND c.institution_id = s.institution_id
GROUP BY s.id;
CREATE TABLE entry_events AS
SELECT s.id || ':in' AS event_id, s.student_no AS student_id, s.org_id,
       CASE WHEN p.status = 'PROMOTED' THEN 'promotion'
            WHEN p.status = 'REPEATED' THEN 'repetition'
            WHEN p.status = 'TRANSFERRED' OR EXISTS (
                SELECT 1 FROM s_institution_student_transfers t WHERE t.student_id = s.student_id
                AND t.institution_id = s.institution_id
                AND t.requested_date BETWEEN s.start_date - INTERVAL 60 DAY AND s.start_date)
            THEN 'transfer_in'
            ELSE 'admission' END AS event_type,
       s.start_date AS event_date, s.academic_year, s.level, s.grade, sc.class_id::VARCHAR AS class_id,
       s.study_form, NULL::VARCHAR AS reason, utc(s.created) AS recorded_at,
       coalesce(s.modified, s.created) AS changed
FROM stints s LEFT JOIN stints p ON p.id = s.previous_institution_student_id
LEFT JOIN stint_class sc ON sc.id = s.id;
-- exits: the closed stint's status; dates and reasons from the approved workflow rows
-- (the latest transfer request from that institution up to the stint's end; the latest
-- withdrawal from it)
CREATE TABLE stint_transfer AS
SELECT s.id AS stint, arg_max(t.student_transfer_reason_id, t.requested_date) AS reason_id,
       arg_max(t.created, t.requested_date) AS created, max(coalesce(t.modified, t.created)) AS changed
FROM stints s JOIN s_institution_student_transfers t ON t.student_id = s.student_id
    AND t.previous_institution_id = s.institution_id AND t.requested_date <= s.end_date
WHERE s.status = 'TRANSFERRED' GROUP BY s.id;
CREATE TABLE stint_withdraw AS
SELECT s.id AS stint, arg_max(w.student_withdraw_reason_id, w.effective_date) AS reason_id,
       max(w.effective_date) AS effective_date, arg_max(w.created, w.effective_date) AS created,
       max(coalesce(w.modified, w.created)) AS changed
FROM stints s JOIN s_institution_student_withdraw w ON w.student_id = s.student_id
    AND w.institution_id = s.institution_id
WHERE s.status = 'WITHDRAWN' GROUP BY s.id;
CREATE TABLE exit_events AS
SELECT s.id || ':out' AS event_id, s.student_no AS student_id, s.org_id,
       CASE s.status WHEN 'TRANSFERRED' THEN 'transfer_out' WHEN 'WITHDRAWN' THEN 'dropout'
            ELSE 'graduation' END AS event_type,
       coalesce(w.effective_date, s.end_date) AS event_date,
       s.academic_year, s.level, s.grade, NULL::VARCHAR AS class_id, s.study_form,
       CASE s.status WHEN 'TRANSFERRED' THEN coalesce(tr.value, 'unknown')
            WHEN 'WITHDRAWN' THEN coalesce(wr.value, 'unknown') END AS reason,
       utc(coalesce(t.created, w.created, s.modified, s.created)) AS recorded_at,
       greatest(coalesce(s.modified, s.created), t.changed, w.changed) AS changed
FROM stints s
LEFT JOIN stint_transfer t ON t.stint = s.id
LEFT JOIN s_student_transfer_reasons trr ON trr.id = t.reason_id
LEFT JOIN m_enrolments_transfer_reason tr ON tr.code = trr.national_code
LEFT JOIN stint_withdraw w ON w.stint = s.id
LEFT JOIN s_student_withdraw_reasons wrr ON wrr.id = w.reason_id
LEFT JOIN m_enrolments_withdraw_reason wr ON wr.code = wrr.national_code
WHERE s.status IN ('TRANSFERRED', 'WITHDRAWN', 'GRADUATED');
CREATE TABLE out_enrolments AS
SELECT event_id, student_id, org_id, event_type, event_date, academic_year, level, grade, class_id,
       study_form, reason, recorded_at FROM entry_events
UNION ALL
SELECT event_id, student_id, org_id, event_type, event_date, academic_year, level, grade, class_id,
       study_form, reason, recorded_at FROM exit_events;
INSERT INTO warnings SELECT 'institution_students: ' || count(*) || ' stints end before they start (their events are exported as recorded)'
FROM stints WHERE end_date < start_date HAVING count(*) > 0;
INSERT INTO warnings SELECT 'institution_students: ' || count(*) || ' learners have two or more CURRENT stints (all exported as recorded)'
FROM (SELECT student_id FROM stints WHERE status = 'CURRENT' GROUP BY student_id HAVING count(*) > 1) HAVING count(*) > 0;

-- classes ----------------------------------------------------------------------------------
CREATE TABLE class_grades AS
SELECT g.institution_class_id AS class_id, arg_min(gm.level, gm.grade) AS level, min(gm.grade) AS grade,
       count(DISTINCT g.education_grade_id) AS grades, max(coalesce(g.modified, g.created)) AS changed
FROM s_institution_class_grades g JOIN grade_map gm ON gm.id = g.education_grade_id
GROUP BY g.institution_class_id;
CREATE TABLE out_classes AS
SELECT c.id::VARCHAR AS class_id, i.code AS org_id, ap.code AS academic_year, g.level, g.grade,
       c.name AS letter, sm.value::INT AS shift,
       CASE WHEN o.languages IS NOT NULL AND NOT contains(o.languages, ';') THEN o.languages END AS language,
       CASE WHEN g.grades > 1 THEN 'combined' END AS class_type,
       h.openemis_no AS homeroom_staff_id,
       utc(greatest(coalesce(c.modified, c.created), g.changed)) AS updated_at
FROM s_institution_classes c
JOIN s_institutions i ON i.id = c.institution_id
JOIN s_academic_periods ap ON ap.id = c.academic_period_id
LEFT JOIN class_grades g ON g.class_id = c.id
LEFT JOIN s_institution_shifts sh ON sh.id = c.institution_shift_id
LEFT JOIN s_shift_options so ON so.id = sh.shift_option_id
LEFT JOIN m_organizations_shift sm ON sm.code = so.national_code
LEFT JOIN custom_wide o ON o.entity = 'institution' AND o.record_id = i.id
LEFT JOIN s_user_nos h ON h.id = c.staff_id
WHERE greatest(coalesce(c.modified, c.created), g.changed) >= TIMESTAMP '{since}';
INSERT INTO warnings SELECT 'institution_class_grades: ' || count(*) || ' classes span several grades (exported at their lowest grade as class_type combined)'
FROM class_grades WHERE grades > 1 HAVING count(*) > 0;

-- staff assignments: rows of one employment (FTE split over rows) are summed -------------
CREATE TABLE out_staff_assignments AS
SELECT min(s.id)::VARCHAR AS assignment_id, u.openemis_no AS staff_id, i.code AS org_id,
       pm.value AS position, pm.extra AS staff_category, sum(s.FTE)::DOUBLE AS rate,
       s.start_date, s.end_date, arg_min(truthy(tm.value), s.id) AS is_primary_job,
       utc(min(s.created)) AS recorded_at
FROM s_institution_staff s
JOIN s_user_nos u ON u.id = s.staff_id
JOIN s_institutions i ON i.id = s.institution_id
JOIN s_institution_positions ip ON ip.id = s.institution_position_id
JOIN s_staff_position_titles t ON t.id = ip.staff_position_title_id
JOIN m_staff_position pm ON pm.code = t.national_code
LEFT JOIN s_staff_types st ON st.id = s.staff_type_id LEFT JOIN m_staff_primary_job tm ON tm.code = st.national_code
GROUP BY u.openemis_no, i.code, pm.value, pm.extra, s.start_date, s.end_date, s.institution_position_id
HAVING max(coalesce(s.modified, s.created)) >= TIMESTAMP '{since}';

-- marks: several results per learner, subject and period; the latest entered stands --------
CREATE TABLE out_grades AS
SELECT u.openemis_no AS student_id, r.institution_classes_id::VARCHAR AS class_id,
       ap.code AS academic_year, subj.code AS subject, tm.value AS term,
       round(arg_max(r.marks, (r.created, r.id)))::INT AS mark, utc(max(r.created)) AS recorded_at
FROM s_assessment_item_results r
JOIN s_user_nos u ON u.id = r.student_id
JOIN s_academic_periods ap ON ap.id = r.academic_period_id
JOIN s_education_subjects subj ON subj.id = r.education_subject_id
JOIN s_assessment_periods p ON p.id = r.assessment_period_id
JOIN m_grades_term tm ON tm.code = p.code
GROUP BY u.openemis_no, r.institution_classes_id, ap.code, subj.code, tm.value;
-- the largest pulled tables are dropped once used (extract.py drops the tables made here
-- after their last use): the client's memory is bounded
DROP TABLE s_assessment_item_results;

-- attendance: periods collapsed to days ----------------------------------------------------
CREATE TABLE out_attendance_marks AS
SELECT institution_class_id::VARCHAR AS class_id, date, date::TIMESTAMP AS marked_at
FROM s_marked_days WHERE periods > 0;
-- a learner's day: periods absent, whether any was unexcused or late, first entry (codes
-- compared in upper case, as MariaDB's case-insensitive collation compared them)
CREATE TABLE s_absence_days AS
SELECT a.student_id, a.institution_class_id, a.date,
       count(DISTINCT CASE WHEN t.code <> 'LATE' THEN a.period END) AS absent_periods,
       count(*) FILTER (WHERE t.code = 'UNEXCUSED') AS unexcused,
       count(*) FILTER (WHERE t.code = 'LATE') AS late,
       min(a.created) AS created
FROM s_institution_student_absence_details a
LEFT JOIN (SELECT id, upper(code) AS code FROM s_absence_types) t ON t.id = a.absence_type_id
GROUP BY a.student_id, a.institution_class_id, a.date;
DROP TABLE s_institution_student_absence_details;
-- absent: absent in every marked period; late: late in any period of a day not absent
CREATE TABLE out_absences AS
SELECT u.openemis_no AS student_id, a.institution_class_id::VARCHAR AS class_id, a.date,
       CASE WHEN a.absent_periods >= coalesce(nullif(m.periods, 0), a.absent_periods) AND a.absent_periods > 0
            THEN CASE WHEN a.unexcused > 0 THEN 'unexcused' ELSE 'excused' END
            ELSE 'late' END AS absence_type,
       utc(a.created) AS recorded_at
FROM s_absence_days a JOIN s_user_nos u ON u.id = a.student_id
LEFT JOIN s_marked_days m ON m.institution_class_id = a.institution_class_id AND m.date = a.date
WHERE (a.absent_periods >= coalesce(nullif(m.periods, 0), a.absent_periods) AND a.absent_periods > 0)
   OR a.late > 0;

-- infrastructure: one row per institution and academic period ------------------------------
CREATE TABLE infra_keys AS
SELECT institution_id, academic_period_id, max(coalesce(modified, created)) AS changed FROM (
    SELECT institution_id, academic_period_id, modified, created FROM s_infrastructure_utility_electricities
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_infrastructure_utility_internets
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_infrastructure_wash_waters
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_infrastructure_wash_sanitations
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_infrastructure_wash_hygienes
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_institution_buildings
    UNION ALL SELECT institution_id, academic_period_id, modified, created FROM s_institution_rooms
) GROUP BY ALL;
CREATE TABLE out_infrastructure AS
SELECT i.code AS org_id, strptime(ap.start_year || '-{month_day}', '%Y-%m-%d')::DATE AS survey_date,
       (SELECT count(*) FROM s_institution_buildings b WHERE b.institution_id = k.institution_id AND b.academic_period_id = k.academic_period_id) AS buildings,
       NULL::VARCHAR AS building_condition,
       (SELECT count(*) FROM s_institution_rooms r WHERE r.institution_id = k.institution_id AND r.academic_period_id = k.academic_period_id AND r.room_type = 'CLASSROOM') AS classrooms,
       NULL::VARCHAR AS heating,
       EXISTS (SELECT 1 FROM s_infrastructure_utility_electricities e WHERE e.institution_id = k.institution_id AND e.academic_period_id = k.academic_period_id) AS has_electricity,
       wm.value AS water_source, w.drinkable::BOOLEAN AS has_drinking_water,
       tm.value AS toilets, (s.total_male > 0 AND s.total_female > 0) AS toilets_single_sex,
       s.functional::BOOLEAN AS toilets_usable, h.soap::BOOLEAN AS has_handwashing,
       n.institution_id IS NOT NULL AS has_internet, n.bandwidth::DOUBLE AS internet_mbps,
       NULL::INT AS computers_for_teaching,
       (SELECT bool_or(b.accessibility = 1) FROM s_institution_buildings b WHERE b.institution_id = k.institution_id AND b.academic_period_id = k.academic_period_id) AS has_ramp,
       NULL::BOOLEAN AS has_canteen, NULL::BOOLEAN AS has_gym, NULL::INT AS library_books,
       utc(k.changed) AS updated_at
FROM infra_keys k
JOIN s_institutions i ON i.id = k.institution_id
JOIN s_academic_periods ap ON ap.id = k.academic_period_id
LEFT JOIN s_infrastructure_wash_waters w ON w.institution_id = k.institution_id AND w.academic_period_id = k.academic_period_id
LEFT JOIN m_infrastructure_water_source wm ON wm.code = w.water_type
LEFT JOIN s_infrastructure_wash_sanitations s ON s.institution_id = k.institution_id AND s.academic_period_id = k.academic_period_id
LEFT JOIN m_infrastructure_toilets tm ON tm.code = s.sanitation_type
LEFT JOIN s_infrastructure_wash_hygienes h ON h.institution_id = k.institution_id AND h.academic_period_id = k.academic_period_id
LEFT JOIN s_infrastructure_utility_internets n ON n.institution_id = k.institution_id AND n.academic_period_id = k.academic_period_id
WHERE k.changed >= TIMESTAMP '{since}'
