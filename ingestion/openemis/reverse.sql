-- The reverse generator's staging SQL (DuckDB): contract rows (x_*) -> OpenEMIS rows (o_*).
-- Placeholders in braces are filled by reverse.py; export timestamps are UTC and written as UTC.
CREATE MACRO ts(x) AS try_cast(x AS TIMESTAMPTZ)::TIMESTAMP;
CREATE MACRO d(x) AS coalesce(try_strptime(x, '%Y-%m-%d'), try_strptime(x, '%d.%m.%Y'))::DATE;
CREATE MACRO num(x) AS try_cast(regexp_extract(x, '(\d+)$', 1) AS BIGINT);
CREATE MACRO yes(x) AS lower(x) IN ('true', '1', 'да', 'ооба');
CREATE MACRO stint_id(e) AS regexp_replace(md5(e), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})$', '\1-\2-\3-\4-\5');
CREATE TABLE skipped (file VARCHAR, record_id VARCHAR, reason VARCHAR);
CREATE TABLE altered (file VARCHAR, record_id VARCHAR, reason VARCHAR);

-- academic periods: every academic year any file mentions, plus the infrastructure surveys'
CREATE TABLE years AS
SELECT DISTINCT academic_year AS code FROM (
    SELECT academic_year FROM x_enrolments UNION SELECT academic_year FROM x_classes
    UNION SELECT academic_year FROM x_grades
    UNION SELECT CASE WHEN month(d(survey_date)) >= 9
        THEN year(d(survey_date)) || '-' || (year(d(survey_date)) + 1)
        ELSE (year(d(survey_date)) - 1) || '-' || year(d(survey_date)) END FROM x_infrastructure
) WHERE regexp_matches(academic_year, '^\d{{4}}-\d{{4}}$');
CREATE TABLE o_academic_periods AS
SELECT row_number() OVER (ORDER BY code)::INT AS id, code, code AS name,
       make_date(left(code, 4)::INT, 9, 1) AS start_date,
       make_date(right(code, 4)::INT, 8, 31) AS end_date, left(code, 4)::INT AS start_year
FROM years;
CREATE TABLE period_by_day AS SELECT * FROM o_academic_periods;

-- areas: a country root, oblasts (first 5 digits of SOATE), districts on level 3
CREATE TABLE districts AS SELECT DISTINCT district_code AS code FROM x_organizations
    WHERE district_code IS NOT NULL;
CREATE TABLE oblasts AS SELECT DISTINCT left(code, 5) || '000' AS code FROM districts;
CREATE TABLE tree AS
SELECT 1 AS id, NULL::INT AS parent_id, '41700000' AS code, 'Кыргызская Республика' AS name, 1 AS level
UNION ALL SELECT 1 + row_number() OVER (ORDER BY code), 1, code, code, 2 FROM oblasts
UNION ALL SELECT 1000 + row_number() OVER (ORDER BY code), NULL, code, code, 3 FROM districts;
UPDATE tree SET parent_id = (SELECT o.id FROM tree o WHERE o.level = 2
    AND o.code = left(tree.code, 5) || '000') WHERE level = 3;
-- nested set: every district gets two slots inside its oblast, in code order
CREATE TABLE nested AS
WITH d AS (SELECT id, parent_id, row_number() OVER (ORDER BY code) AS k FROM tree WHERE level = 3),
o AS (SELECT t.id, min(d.k) AS first_k, max(d.k) AS last_k,
             row_number() OVER (ORDER BY t.code) AS j
      FROM tree t JOIN d ON d.parent_id = t.id WHERE t.level = 2 GROUP BY t.id, t.code)
SELECT d.id, 2 * d.k + 2 * o.j AS lft, 2 * d.k + 2 * o.j + 1 AS rght FROM d JOIN o ON o.id = d.parent_id
UNION ALL SELECT id, 2 * first_k + 2 * j - 1, 2 * last_k + 2 * j + 2 FROM o
UNION ALL SELECT 1, 1, 10 * (SELECT count(*) FROM tree) + 1000;
-- birth places are areas too (security_users.birthplace_area_id), outside the tree
CREATE TABLE birthplaces AS
SELECT 100000 + row_number() OVER (ORDER BY birth_place)::INT AS id, birth_place AS name
FROM (SELECT DISTINCT birth_place FROM x_students WHERE birth_place IS NOT NULL);
CREATE TABLE o_areas AS
SELECT t.id, t.parent_id, n.lft, n.rght, t.code, t.name, t.level AS area_level_id
FROM tree t JOIN nested n USING (id)
UNION ALL SELECT id, NULL, NULL, NULL, NULL, name, 9 FROM birthplaces;

-- lookups
CREATE TABLE o_institution_types AS SELECT id, value AS name, code AS national_code, NULL::VARCHAR AS international_code FROM l_institution_types;
CREATE TABLE o_institution_localities AS SELECT id, value AS name, code AS national_code, NULL::VARCHAR AS international_code FROM l_institution_localities;
CREATE TABLE o_institution_sectors AS SELECT 1 AS id, 'Public' AS name, 'PUBLIC' AS national_code, NULL::VARCHAR AS international_code UNION ALL SELECT 2, 'Private', 'PRIVATE', NULL;
CREATE TABLE o_institution_providers AS SELECT id, value AS name, code AS national_code, NULL::VARCHAR AS international_code FROM l_institution_providers;
CREATE TABLE o_institution_statuses AS SELECT id, code, value AS name FROM l_institution_statuses;
CREATE TABLE o_shift_options AS SELECT id, value AS name, code AS national_code FROM l_shift_options;
CREATE TABLE o_genders AS SELECT 1 AS id, 'M' AS code, 'Male' AS name UNION ALL SELECT 2, 'F', 'Female';
CREATE TABLE o_nationalities AS
SELECT row_number() OVER (ORDER BY c)::INT AS id, c AS name, NULL::VARCHAR AS national_code, c AS international_code
FROM (SELECT citizenship AS c FROM x_students UNION SELECT citizenship FROM x_staff) WHERE c IS NOT NULL;
CREATE TABLE o_identity_types AS SELECT id, value AS name, code AS national_code, NULL::VARCHAR AS international_code FROM l_identity_types;
CREATE TABLE o_contact_types AS SELECT 1 AS id, 'Mobile' AS name, '{phone}' AS national_code;
CREATE TABLE o_special_need_types AS SELECT id, value AS name, code AS national_code, NULL::VARCHAR AS international_code FROM l_special_need_types;
CREATE TABLE o_student_statuses AS SELECT i::INT AS id, s AS code, s AS name
    FROM (SELECT unnest(['CURRENT', 'TRANSFERRED', 'WITHDRAWN', 'GRADUATED', 'PROMOTED', 'REPEATED']) AS s,
                 unnest(range(1, 7)) AS i);
CREATE TABLE o_student_transfer_reasons AS SELECT id, value AS name, code AS national_code FROM l_student_transfer_reasons;
CREATE TABLE o_student_withdraw_reasons AS SELECT id, value AS name, code AS national_code FROM l_student_withdraw_reasons;
CREATE TABLE o_education_levels AS SELECT row_number() OVER (ORDER BY level)::INT AS id, level AS name, upper(level) AS national_code FROM (SELECT DISTINCT level FROM l_programmes);
CREATE TABLE o_education_cycles AS SELECT id, name, id AS education_level_id FROM o_education_levels;
CREATE TABLE o_education_programmes AS SELECT p.id, p.code, p.code AS name, c.id AS education_cycle_id
    FROM l_programmes p JOIN o_education_cycles c ON c.name = p.level;
CREATE TABLE o_education_grades AS SELECT id, code, code AS name, programme_id AS education_programme_id FROM l_grades;
CREATE TABLE o_education_subjects AS SELECT row_number() OVER (ORDER BY subject)::INT AS id, subject AS code, subject AS name
    FROM (SELECT DISTINCT subject FROM x_grades WHERE subject IS NOT NULL);
CREATE TABLE o_assessment_periods AS SELECT id, code, value AS name, code AS academic_term FROM l_assessment_periods;
CREATE TABLE o_absence_types AS SELECT 1 AS id, 'EXCUSED' AS code, 'Excused' AS name UNION ALL SELECT 2, 'UNEXCUSED', 'Unexcused' UNION ALL SELECT 3, 'LATE', 'Late';
CREATE TABLE o_staff_position_titles AS SELECT id, position AS name, code AS national_code,
    CASE WHEN category = 'teaching' THEN 1 ELSE 0 END AS type FROM l_staff_position_titles;
CREATE TABLE o_staff_types AS SELECT id, value AS name, code AS national_code FROM l_staff_types;
CREATE TABLE o_staff_statuses AS SELECT 1 AS id, 'ASSIGNED' AS code, 'Assigned' AS name UNION ALL SELECT 2, 'END_OF_ASSIGNMENT', 'End of assignment';
CREATE TABLE o_qualification_levels AS SELECT id, value AS name, code AS national_code, id AS "order" FROM l_qualification_levels;
CREATE TABLE o_qualification_titles AS SELECT id, name, id AS qualification_level_id FROM o_qualification_levels;
CREATE TABLE o_student_custom_fields AS SELECT id, code, col AS name FROM l_custom WHERE entity = 'student';
CREATE TABLE o_staff_custom_fields AS SELECT id, code, col AS name FROM l_custom WHERE entity = 'staff';
CREATE TABLE o_institution_custom_fields AS SELECT id, code, col AS name FROM l_custom WHERE entity = 'institution';

-- institutions
CREATE TABLE orgs AS SELECT row_number() OVER (ORDER BY org_id)::INT AS id, * FROM x_organizations;
CREATE TABLE o_institutions AS
SELECT o.id, o.org_id AS code, o.name_ru AS name, o.name_ky AS alternative_name,
       d(o.opened_date) AS date_opened, d(o.closed_date) AS date_closed, a.id AS area_id,
       a.id AS area_administrative_id, lo.id AS institution_locality_id,
       ty.id AS institution_type_id,
       CASE WHEN o.ownership = 'private' THEN 2 ELSE 1 END AS institution_sector_id,
       pr.id AS institution_provider_id, st.id AS institution_status_id,
       try_cast(o.shifts AS INT) AS shift_type, ts(o.updated_at) AS modified, ts(o.updated_at) AS created
FROM orgs o
LEFT JOIN o_areas a ON a.area_level_id = 3 AND a.code = o.district_code
LEFT JOIN l_institution_localities lo ON lo.value = o.locality
LEFT JOIN l_institution_types ty ON ty.value = o.org_type
LEFT JOIN l_institution_providers pr ON pr.value = o.ownership
LEFT JOIN l_institution_statuses st ON st.value = o.status;
-- shifts: 1..shifts in every academic period (organizations.shifts is how many the org runs)
CREATE TABLE o_institution_shifts AS
SELECT row_number() OVER ()::INT AS id, o.id AS institution_id, p.id AS academic_period_id,
       so.id AS shift_option_id, ts(o.updated_at) AS modified, ts(o.updated_at) AS created
FROM orgs o CROSS JOIN o_academic_periods p
JOIN l_shift_options so ON so.value::INT <= try_cast(o.shifts AS INT);
CREATE TABLE o_institution_custom_field_values AS
SELECT NULL::INT AS id, o.id AS institution_id, f.id AS institution_custom_field_id,
       CASE f.col WHEN 'languages' THEN o.languages END AS text_value,
       CASE f.col WHEN 'design_capacity' THEN try_cast(o.design_capacity AS INT) END AS number_value,
       ts(o.updated_at) AS modified, ts(o.updated_at) AS created
FROM orgs o JOIN l_custom f ON f.entity = 'institution'
WHERE CASE f.col WHEN 'languages' THEN o.languages WHEN 'design_capacity' THEN o.design_capacity END IS NOT NULL;

-- persons: learners, then employees, in one security_users table
CREATE TABLE people AS
SELECT row_number() OVER (ORDER BY student_id)::INT AS id, student_id AS no, 1 AS is_student, 0 AS is_staff,
       pin, last_name, first_name, patronymic, birth_date, sex, citizenship, birth_place,
       document_type, document_number, address, phone, disability, updated_at
FROM x_students;
INSERT INTO people
SELECT (SELECT count(*) FROM x_students) + row_number() OVER (ORDER BY staff_id), staff_id, 0, 1,
       pin, last_name, first_name, patronymic, birth_date, sex, citizenship, NULL, NULL, NULL,
       address, phone, NULL, updated_at
FROM x_staff;
INSERT INTO skipped SELECT CASE is_student WHEN 1 THEN 'students.csv' ELSE 'staff.csv' END, no,
    'birth date or sex OpenEMIS cannot hold' FROM people
    WHERE d(birth_date) IS NULL OR sex NOT IN ('F', 'M') OR ts(updated_at) IS NULL;
CREATE TABLE o_security_users AS
SELECT p.id, p.no AS openemis_no, p.first_name, p.patronymic AS middle_name, NULL AS third_name,
       p.last_name, g.id AS gender_id, d(p.birth_date) AS date_of_birth, p.address,
       b.id AS birthplace_area_id, n.id AS nationality_id, it.id AS identity_type_id,
       p.document_number AS identity_number, p.is_student, p.is_staff,
       ts(p.updated_at) AS modified, ts(p.updated_at) AS created
FROM people p
LEFT JOIN o_genders g ON g.code = p.sex
LEFT JOIN birthplaces b ON b.name = p.birth_place
LEFT JOIN o_nationalities n ON n.international_code = p.citizenship
LEFT JOIN l_identity_types it ON it.value = p.document_type
WHERE d(p.birth_date) IS NOT NULL AND p.sex IN ('F', 'M') AND ts(p.updated_at) IS NOT NULL;
CREATE TABLE o_user_identities AS
SELECT NULL::INT AS id, u.id AS security_user_id, it.id AS identity_type_id, p.pin AS number,
       1 AS preferred, u.modified, u.created
FROM people p JOIN o_security_users u USING (id) JOIN l_identity_types it ON it.value = 'pin'
WHERE p.pin IS NOT NULL;
CREATE TABLE o_user_contacts AS
SELECT NULL::INT AS id, u.id AS security_user_id, 1 AS contact_type_id, p.phone AS value,
       1 AS preferred, u.modified, u.created
FROM people p JOIN o_security_users u USING (id) WHERE p.phone IS NOT NULL;
CREATE TABLE o_user_special_needs_assessments AS
SELECT NULL::INT AS id, u.id AS security_user_id, t.id AS special_need_type_id,
       NULL::INT AS special_need_difficulty_id, u.created::DATE AS date, u.modified, u.created
FROM people p JOIN o_security_users u USING (id) JOIN l_special_need_types t ON t.value = p.disability;
CREATE TABLE o_student_custom_field_values AS
SELECT NULL::INT AS id, u.id AS student_id, f.id AS student_custom_field_id,
       CASE f.col WHEN 'nationality' THEN s.nationality WHEN 'benefit' THEN s.benefit END AS text_value,
       NULL::INT AS number_value, u.modified, u.created
FROM x_students s JOIN o_security_users u ON u.openemis_no = s.student_id
JOIN l_custom f ON f.entity = 'student'
WHERE CASE f.col WHEN 'nationality' THEN s.nationality WHEN 'benefit' THEN s.benefit END IS NOT NULL;
CREATE TABLE o_staff_custom_field_values AS
SELECT NULL::INT AS id, u.id AS staff_id, f.id AS staff_custom_field_id, v AS text_value,
       NULL::INT AS number_value, u.modified, u.created
FROM (SELECT s.staff_id, f.id AS fid,
             CASE f.col WHEN 'nationality' THEN s.nationality
                 WHEN 'has_pedagogical_training' THEN s.has_pedagogical_training
                 WHEN 'specialty' THEN s.specialty WHEN 'qualification_category' THEN s.qualification_category
                 WHEN 'academic_degree' THEN s.academic_degree WHEN 'academic_title' THEN s.academic_title
                 WHEN 'awards' THEN s.awards WHEN 'teaching_experience_years' THEN s.teaching_experience_years
             END AS v
      FROM x_staff s JOIN l_custom f ON f.entity = 'staff') s
JOIN l_custom f ON f.id = s.fid AND f.entity = 'staff'
JOIN o_security_users u ON u.openemis_no = s.staff_id WHERE v IS NOT NULL;
CREATE TABLE o_staff_qualifications AS
SELECT NULL::INT AS id, u.id AS staff_id, q.id AS qualification_title_id, NULL::INT AS graduate_year,
       u.modified, u.created
FROM x_staff s JOIN o_security_users u ON u.openemis_no = s.staff_id
JOIN l_qualification_levels q ON q.value = s.education_level;
CREATE TABLE o_staff_trainings AS
SELECT NULL::INT AS id, u.id AS staff_id, d(s.last_training_date) AS completed_date, u.modified, u.created
FROM x_staff s JOIN o_security_users u ON u.openemis_no = s.staff_id WHERE d(s.last_training_date) IS NOT NULL;

-- classes
CREATE TABLE o_institution_classes AS
SELECT num(c.class_id)::INT AS id, c.letter AS name, NULL::INT AS capacity, h.id AS staff_id,
       sh.id AS institution_shift_id, o.id AS institution_id, p.id AS academic_period_id,
       ts(c.updated_at) AS modified, ts(c.updated_at) AS created
FROM x_classes c JOIN orgs o ON o.org_id = c.org_id
JOIN o_academic_periods p ON p.code = c.academic_year
LEFT JOIN o_security_users h ON h.openemis_no = c.homeroom_staff_id
LEFT JOIN (SELECT s.*, so.value::INT AS n FROM o_institution_shifts s
           JOIN l_shift_options so ON so.id = s.shift_option_id) sh
    ON sh.institution_id = o.id AND sh.academic_period_id = p.id AND sh.n = try_cast(c.shift AS INT);
INSERT INTO skipped SELECT 'classes.csv', class_id, 'organization or academic year unknown'
    FROM x_classes WHERE num(class_id) NOT IN (SELECT id FROM o_institution_classes);
-- a class's grade is in the full-time (or the only) programme of its level
CREATE TABLE grade_ids AS
SELECT g.id, g.level, g.grade, p.study_form FROM l_grades g JOIN l_programmes p ON p.id = g.programme_id;
CREATE TABLE class_grade AS
SELECT num(c.class_id)::INT AS class_id,
       (SELECT min(g.id) FROM grade_ids g WHERE g.level = c.level
          AND g.grade IS NOT DISTINCT FROM try_cast(c.grade AS INT)
          AND g.study_form IN ('full_time', '')) AS education_grade_id
FROM x_classes c;
CREATE TABLE o_institution_class_grades AS
SELECT NULL::INT AS id, k.class_id AS institution_class_id, k.education_grade_id, c.modified, c.created
FROM class_grade k JOIN o_institution_classes c ON c.id = k.class_id WHERE k.education_grade_id IS NOT NULL;

-- enrolments: events -> stints. Each entry event opens a stint; an exit event closes the
-- student's latest stint; promotion/repetition closes the previous stint as PROMOTED/REPEATED.
CREATE TABLE ev AS
SELECT e.*, d(e.event_date) AS day, ts(e.recorded_at) AS stamp, o.id AS org_key, u.id AS person_key,
       p.id AS period_key,
       (SELECT min(g.id) FROM grade_ids g WHERE g.level = e.level
          AND g.grade IS NOT DISTINCT FROM try_cast(e.grade AS INT)
          AND g.study_form = coalesce(e.study_form, '')) AS grade_id,
       e.event_type IN ('admission', 'transfer_in', 'promotion', 'repetition') AS is_entry,
       e.event_type IN ('transfer_out', 'graduation', 'dropout') AS is_exit
FROM x_enrolments e LEFT JOIN orgs o ON o.org_id = e.org_id
LEFT JOIN o_security_users u ON u.openemis_no = e.student_id
LEFT JOIN o_academic_periods p ON p.code = e.academic_year;
INSERT INTO skipped SELECT 'enrolments.csv', event_id, CASE
    WHEN day IS NULL OR stamp IS NULL THEN 'date or timestamp OpenEMIS cannot hold'
    WHEN event_type IN ('leave_start', 'leave_end') THEN 'academic leave: no stint in OpenEMIS'
    WHEN org_key IS NULL OR person_key IS NULL THEN 'unknown learner or organization'
    WHEN period_key IS NULL THEN 'unknown academic year'
    WHEN grade_id IS NULL THEN 'level, grade and study form have no education grade'
    ELSE 'event type not modelled' END
FROM ev WHERE NOT (is_entry OR is_exit) OR day IS NULL OR stamp IS NULL OR grade_id IS NULL
    OR org_key IS NULL OR person_key IS NULL OR period_key IS NULL;
CREATE TABLE ev_ok AS
SELECT *, sum(is_entry::INT) OVER (PARTITION BY student_id ORDER BY day, stamp, event_id
                                    ROWS UNBOUNDED PRECEDING) AS stint_no
FROM ev WHERE event_id NOT IN (SELECT record_id FROM skipped WHERE file = 'enrolments.csv');
CREATE TABLE exits AS
SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY student_id, stint_no ORDER BY day, stamp, event_id) AS k
               FROM ev_ok WHERE is_exit AND stint_no > 0) WHERE k = 1;
INSERT INTO skipped SELECT 'enrolments.csv', event_id, 'exit with no open stint to close'
FROM ev_ok WHERE is_exit AND event_id NOT IN (SELECT event_id FROM exits);
CREATE TABLE entries AS
SELECT *, lead(event_type) OVER w AS next_type, lead(day) OVER w AS next_day,
       lag(event_id) OVER w AS prev_event, lead(org_key) OVER w AS next_org
FROM ev_ok WHERE is_entry WINDOW w AS (PARTITION BY student_id ORDER BY stint_no);
CREATE TABLE stints AS
SELECT stint_id(n.event_id) AS id, n.person_key AS student_id, n.org_key AS institution_id,
       n.grade_id AS education_grade_id, n.period_key AS academic_period_id,
       CASE WHEN x.event_type = 'transfer_out' THEN 'TRANSFERRED' WHEN x.event_type = 'dropout' THEN 'WITHDRAWN'
            WHEN x.event_type = 'graduation' THEN 'GRADUATED' WHEN n.next_type = 'promotion' THEN 'PROMOTED'
            WHEN n.next_type = 'repetition' THEN 'REPEATED' ELSE 'CURRENT' END AS status,
       n.day AS start_date,
       coalesce(x.day, CASE WHEN n.next_type IN ('promotion', 'repetition') THEN n.next_day - 1 END) AS end_date,
       CASE WHEN n.event_type IN ('promotion', 'repetition', 'transfer_in') AND n.prev_event IS NOT NULL
            THEN stint_id(n.prev_event) END AS previous_institution_student_id,
       coalesce(x.stamp, n.stamp) AS modified, n.stamp AS created,
       n.event_type AS entry_type, n.event_id AS entry_event, n.class_id, n.org_id, n.student_id AS student_no,
       x.event_type AS exit_type, x.reason AS exit_reason, x.day AS exit_day, x.stamp AS exit_at,
       n.next_type, n.next_org
FROM entries n LEFT JOIN exits x ON x.student_id = n.student_id AND x.stint_no = n.stint_no;
INSERT INTO altered SELECT 'enrolments.csv', entry_event,
    'a ' || entry_type || ' with no earlier stint: OpenEMIS holds an admission'
FROM stints WHERE entry_type IN ('promotion', 'repetition') AND previous_institution_student_id IS NULL;
CREATE TABLE o_institution_students AS
SELECT s.id, s.student_id, s.institution_id, s.education_grade_id, s.academic_period_id, st.id AS student_status_id,
       s.start_date, s.end_date, s.previous_institution_student_id, s.modified, s.created
FROM stints s JOIN o_student_statuses st ON st.code = s.status;
-- a transfer out: the approved request from the old institution (to the next one when known);
-- a transfer in from outside the register: a request into the new institution
CREATE TABLE o_institution_student_transfers AS
SELECT NULL::INT AS id, s.student_id, CASE WHEN s.next_type = 'transfer_in' THEN s.next_org END AS institution_id,
       s.institution_id AS previous_institution_id, 1 AS status_id, s.exit_day AS requested_date,
       r.id AS student_transfer_reason_id, s.exit_at AS modified, s.exit_at AS created
FROM stints s LEFT JOIN l_student_transfer_reasons r ON r.value = s.exit_reason
WHERE s.exit_type = 'transfer_out'
UNION ALL
SELECT NULL, s.student_id, s.institution_id, NULL, 1, s.start_date, NULL, s.created, s.created
FROM stints s LEFT JOIN stints p ON p.id = s.previous_institution_student_id
WHERE s.entry_type = 'transfer_in' AND p.exit_type IS DISTINCT FROM 'transfer_out';
CREATE TABLE o_institution_student_withdraw AS
SELECT NULL::INT AS id, s.student_id, s.institution_id, 1 AS status_id, s.exit_day AS effective_date,
       r.id AS student_withdraw_reason_id, s.exit_at AS modified, s.exit_at AS created
FROM stints s LEFT JOIN l_student_withdraw_reasons r ON r.value = s.exit_reason WHERE s.exit_type = 'dropout';
CREATE TABLE o_institution_class_students AS
SELECT NULL::INT AS id, s.student_id, c.id AS institution_class_id, s.education_grade_id,
       s.academic_period_id, st.id AS student_status_id, s.modified, s.created
FROM stints s JOIN o_institution_classes c ON c.id = num(s.class_id)::INT
JOIN o_student_statuses st ON st.code = s.status;

-- staff assignments: OpenEMIS offers FTE up to 1 a row, so a rate of 1.5 is two rows
CREATE TABLE o_institution_positions AS
SELECT row_number() OVER (ORDER BY o.id, t.id)::INT AS id, o.id AS institution_id, t.id AS staff_position_title_id,
       now()::TIMESTAMP AS modified, now()::TIMESTAMP AS created
FROM (SELECT DISTINCT org_id, position FROM x_staff_assignments) a
JOIN orgs o ON o.org_id = a.org_id JOIN l_staff_position_titles t ON t.position = a.position;
CREATE TABLE asg AS
SELECT a.*, try_cast(a.rate AS DECIMAL(6, 2)) AS fte, num(a.assignment_id)::INT AS first_id,
       u.id AS user_id, ip.id AS position_id
FROM x_staff_assignments a
LEFT JOIN o_security_users u ON u.openemis_no = a.staff_id
LEFT JOIN orgs o ON o.org_id = a.org_id
LEFT JOIN l_staff_position_titles t ON t.position = a.position
LEFT JOIN o_institution_positions ip ON ip.institution_id = o.id AND ip.staff_position_title_id = t.id;
INSERT INTO skipped SELECT 'staff_assignments.csv', assignment_id, 'unknown employee, organization or position, or no rate'
FROM asg WHERE user_id IS NULL OR position_id IS NULL OR fte IS NULL OR d(start_date) IS NULL;
CREATE TABLE o_institution_staff AS
SELECT CASE WHEN k = 0 THEN a.first_id ELSE {extra} * k + a.first_id END AS id, a.user_id AS staff_id,
       ip.institution_id, a.position_id AS institution_position_id,
       least(1.0, a.fte - k)::DECIMAL(5, 2) AS FTE, d(a.start_date) AS start_date, d(a.end_date) AS end_date,
       ty.id AS staff_type_id, CASE WHEN a.end_date IS NULL THEN 1 ELSE 2 END AS staff_status_id,
       ts(a.recorded_at) AS modified, ts(a.recorded_at) AS created
FROM asg a JOIN o_institution_positions ip ON ip.id = a.position_id
CROSS JOIN range(0, 3) r(k)
LEFT JOIN l_staff_types ty ON ty.value = CASE WHEN a.is_primary_job IS NULL THEN NULL
                                          WHEN yes(a.is_primary_job) THEN 'True' ELSE 'False' END
WHERE k < a.fte AND a.user_id IS NOT NULL AND d(a.start_date) IS NOT NULL;

-- marks
CREATE TABLE o_assessment_item_results AS
SELECT NULL::INT AS id, u.id AS student_id, s.id AS education_subject_id, ap.id AS assessment_period_id,
       p.id AS academic_period_id, num(g.class_id)::INT AS institution_classes_id,
       try_cast(g.mark AS DECIMAL(6, 2)) AS marks, NULL::INT AS assessment_grading_option_id,
       ts(g.recorded_at) AS modified, ts(g.recorded_at) AS created
FROM x_grades g JOIN o_security_users u ON u.openemis_no = g.student_id
JOIN o_education_subjects s ON s.code = g.subject
JOIN l_assessment_periods ap ON ap.value = g.term
JOIN o_academic_periods p ON p.code = g.academic_year
WHERE try_cast(g.mark AS DECIMAL(6, 2)) IS NOT NULL AND ts(g.recorded_at) IS NOT NULL;

-- attendance: a marked class-day is {periods} marked periods; an absence is every period of
-- the day, a late arrival the first period only
CREATE TABLE o_student_attendance_marked_records AS
SELECT c.id AS institution_class_id, c.academic_period_id, d(m.date) AS date, k::INT AS period,
       0 AS subject_id, 0 AS no_scheduled_class
FROM (SELECT DISTINCT class_id, date FROM x_attendance_marks) m
JOIN o_institution_classes c ON c.id = num(m.class_id)::INT CROSS JOIN range(1, {periods} + 1) r(k)
WHERE d(m.date) IS NOT NULL;
CREATE TABLE o_institution_student_absence_details AS
SELECT NULL::INT AS id, u.id AS student_id, c.id AS institution_class_id, c.academic_period_id,
       d(a.date) AS date, k::INT AS period, t.id AS absence_type_id,
       ts(a.recorded_at) AS modified, ts(a.recorded_at) AS created
FROM x_absences a JOIN o_security_users u ON u.openemis_no = a.student_id
JOIN o_institution_classes c ON c.id = num(a.class_id)::INT
JOIN o_absence_types t ON t.code = upper(a.absence_type)
CROSS JOIN range(1, {periods} + 1) r(k)
WHERE d(a.date) IS NOT NULL AND (k = 1 OR a.absence_type <> 'late');

-- infrastructure: per academic period
CREATE TABLE infra AS
SELECT i.*, o.id AS institution_id,
       (SELECT p.id FROM o_academic_periods p WHERE d(i.survey_date) BETWEEN p.start_date AND p.end_date) AS period_id,
       ts(i.updated_at) AS stamp
FROM x_infrastructure i JOIN orgs o ON o.org_id = i.org_id;
INSERT INTO skipped SELECT 'infrastructure.csv', org_id || '/' || survey_date,
    'survey date is not the configured day of its academic period'
FROM infra WHERE strftime(d(survey_date), '%m-%d') <> '{month_day}';
CREATE TABLE o_infrastructure_utility_electricities AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, 1 AS utility_electricity_type_id, stamp AS modified, stamp AS created
FROM infra WHERE yes(has_electricity);
CREATE TABLE o_infrastructure_utility_internets AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, try_cast(internet_mbps AS DECIMAL(8, 2)) AS bandwidth,
       'TEACHING' AS purpose, stamp AS modified, stamp AS created
FROM infra WHERE yes(has_internet);
CREATE TABLE o_infrastructure_wash_waters AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, w.code AS water_type,
       CASE WHEN has_drinking_water IS NULL THEN NULL ELSE yes(has_drinking_water)::INT END AS drinkable, stamp AS modified, stamp AS created
FROM infra JOIN l_water w ON w.value = water_source;
CREATE TABLE o_infrastructure_wash_sanitations AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, t.code AS sanitation_type,
       CASE WHEN yes(toilets_single_sex) THEN 1 ELSE 0 END AS total_male,
       CASE WHEN yes(toilets_single_sex) THEN 1 ELSE 0 END AS total_female,
       CASE WHEN yes(toilets_single_sex) THEN 0 ELSE 1 END AS total_mixed,
       CASE WHEN toilets_usable IS NULL THEN NULL ELSE yes(toilets_usable)::INT END AS functional, stamp AS modified, stamp AS created
FROM infra JOIN l_toilets t ON t.value = toilets;
CREATE TABLE o_infrastructure_wash_hygienes AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, yes(has_handwashing)::INT AS soap, stamp AS modified, stamp AS created
FROM infra WHERE has_handwashing IS NOT NULL;
CREATE TABLE o_institution_buildings AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id,
       CASE WHEN has_ramp IS NULL THEN NULL WHEN k = 0 THEN yes(has_ramp)::INT ELSE 0 END AS accessibility, stamp AS modified, stamp AS created
FROM infra CROSS JOIN range(0, 50) r(k) WHERE k < try_cast(buildings AS INT);
CREATE TABLE o_institution_rooms AS
SELECT NULL::INT AS id, institution_id, period_id AS academic_period_id, 'CLASSROOM' AS room_type, stamp AS modified, stamp AS created
FROM infra CROSS JOIN range(0, 500) r(k) WHERE k < try_cast(classrooms AS INT);
