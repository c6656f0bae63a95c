-- The part of an OpenEMIS Core (v5.x) database the connector reads: only the tables and
-- columns it selects, written for this project from the public description of the schema
-- (not OpenEMIS's own DDL). Tests and the benchmark create it in a throwaway MariaDB; a live
-- installation has these columns among many more.

CREATE TABLE areas (id INT PRIMARY KEY, parent_id INT, lft INT, rght INT, code VARCHAR(60),
    name VARCHAR(150), area_level_id INT);
CREATE TABLE academic_periods (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(60),
    start_date DATE, end_date DATE, start_year INT);

-- lookups: every one carries the national_code the mapping file translates
CREATE TABLE institution_types (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE institution_localities (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE institution_sectors (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE institution_providers (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE institution_statuses (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE shift_options (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE genders (id INT PRIMARY KEY, code CHAR(1), name VARCHAR(20));
CREATE TABLE nationalities (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE identity_types (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE contact_types (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE special_need_types (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), international_code VARCHAR(60));
CREATE TABLE student_statuses (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE student_transfer_reasons (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE student_withdraw_reasons (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE education_levels (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE education_cycles (id INT PRIMARY KEY, name VARCHAR(100), education_level_id INT);
CREATE TABLE education_programmes (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(150), education_cycle_id INT);
CREATE TABLE education_grades (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(150), education_programme_id INT);
CREATE TABLE education_subjects (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(150));
CREATE TABLE assessment_periods (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100), academic_term VARCHAR(60));
CREATE TABLE absence_types (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE staff_position_titles (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), type INT);
CREATE TABLE staff_types (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60));
CREATE TABLE staff_statuses (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE qualification_levels (id INT PRIMARY KEY, name VARCHAR(100), national_code VARCHAR(60), `order` INT);
CREATE TABLE qualification_titles (id INT PRIMARY KEY, name VARCHAR(150), qualification_level_id INT);
CREATE TABLE student_custom_fields (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE staff_custom_fields (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));
CREATE TABLE institution_custom_fields (id INT PRIMARY KEY, code VARCHAR(60), name VARCHAR(100));

-- registers
CREATE TABLE institutions (id INT PRIMARY KEY, code VARCHAR(60) NOT NULL, name VARCHAR(150) NOT NULL,
    alternative_name VARCHAR(150), date_opened DATE, date_closed DATE, area_id INT,
    area_administrative_id INT, institution_locality_id INT, institution_type_id INT,
    institution_sector_id INT, institution_provider_id INT, institution_status_id INT,
    shift_type INT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_shifts (id INT PRIMARY KEY, institution_id INT, academic_period_id INT,
    shift_option_id INT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_grades (id INT PRIMARY KEY, institution_id INT, education_grade_id INT,
    start_date DATE, end_date DATE, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_custom_field_values (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    institution_custom_field_id INT, text_value VARCHAR(250), number_value INT, modified DATETIME,
    created DATETIME NOT NULL);

CREATE TABLE security_users (id INT PRIMARY KEY, openemis_no VARCHAR(50) NOT NULL,
    first_name VARCHAR(100), middle_name VARCHAR(100), third_name VARCHAR(100), last_name VARCHAR(100),
    gender_id INT, date_of_birth DATE, address TEXT, birthplace_area_id INT, nationality_id INT,
    identity_type_id INT, identity_number VARCHAR(50), is_student TINYINT, is_staff TINYINT,
    modified DATETIME, created DATETIME NOT NULL, KEY (modified), KEY (created));
CREATE TABLE user_identities (id INT AUTO_INCREMENT PRIMARY KEY, security_user_id INT, identity_type_id INT,
    number VARCHAR(50), preferred TINYINT, modified DATETIME, created DATETIME NOT NULL, KEY (security_user_id), KEY (modified), KEY (created));
CREATE TABLE user_contacts (id INT AUTO_INCREMENT PRIMARY KEY, security_user_id INT, contact_type_id INT,
    value VARCHAR(100), preferred TINYINT, modified DATETIME, created DATETIME NOT NULL, KEY (security_user_id), KEY (modified), KEY (created));
CREATE TABLE user_special_needs_assessments (id INT AUTO_INCREMENT PRIMARY KEY, security_user_id INT,
    special_need_type_id INT, special_need_difficulty_id INT, date DATE, modified DATETIME,
    created DATETIME NOT NULL, KEY (security_user_id), KEY (modified), KEY (created));
CREATE TABLE student_custom_field_values (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    student_custom_field_id INT, text_value VARCHAR(250), number_value INT, modified DATETIME,
    created DATETIME NOT NULL, KEY (student_id), KEY (modified), KEY (created));
CREATE TABLE staff_custom_field_values (id INT AUTO_INCREMENT PRIMARY KEY, staff_id INT,
    staff_custom_field_id INT, text_value VARCHAR(250), number_value INT, modified DATETIME,
    created DATETIME NOT NULL, KEY (staff_id), KEY (modified), KEY (created));

CREATE TABLE institution_students (id CHAR(36) PRIMARY KEY, student_id INT, institution_id INT,
    education_grade_id INT, academic_period_id INT, student_status_id INT, start_date DATE,
    end_date DATE, previous_institution_student_id CHAR(36), modified DATETIME,
    created DATETIME NOT NULL, KEY (student_id), KEY (modified), KEY (created));
CREATE TABLE institution_student_transfers (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    institution_id INT, previous_institution_id INT, status_id INT, requested_date DATE,
    student_transfer_reason_id INT, modified DATETIME, created DATETIME NOT NULL, KEY (student_id), KEY (modified), KEY (created));
CREATE TABLE institution_student_withdraw (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    institution_id INT, status_id INT, effective_date DATE, student_withdraw_reason_id INT,
    modified DATETIME, created DATETIME NOT NULL, KEY (student_id), KEY (modified), KEY (created));

CREATE TABLE institution_classes (id INT PRIMARY KEY, name VARCHAR(100), capacity INT, staff_id INT,
    institution_shift_id INT, institution_id INT, academic_period_id INT, modified DATETIME,
    created DATETIME NOT NULL);
CREATE TABLE institution_class_grades (id INT AUTO_INCREMENT PRIMARY KEY, institution_class_id INT,
    education_grade_id INT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_class_students (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    institution_class_id INT, education_grade_id INT, academic_period_id INT, student_status_id INT,
    modified DATETIME, created DATETIME NOT NULL, KEY (student_id), KEY (modified), KEY (created));

CREATE TABLE institution_positions (id INT PRIMARY KEY, institution_id INT, staff_position_title_id INT,
    modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_staff (id INT PRIMARY KEY, staff_id INT, institution_id INT,
    institution_position_id INT, FTE DECIMAL(5,2), start_date DATE, end_date DATE, staff_type_id INT,
    staff_status_id INT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE staff_qualifications (id INT AUTO_INCREMENT PRIMARY KEY, staff_id INT,
    qualification_title_id INT, graduate_year INT, modified DATETIME, created DATETIME NOT NULL, KEY (staff_id), KEY (modified), KEY (created));
CREATE TABLE staff_trainings (id INT AUTO_INCREMENT PRIMARY KEY, staff_id INT, completed_date DATE,
    modified DATETIME, created DATETIME NOT NULL, KEY (staff_id), KEY (modified), KEY (created));

CREATE TABLE assessment_item_results (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    education_subject_id INT, assessment_period_id INT, academic_period_id INT,
    institution_classes_id INT, marks DECIMAL(6,2), assessment_grading_option_id INT,
    modified DATETIME, created DATETIME NOT NULL, KEY (created), KEY (modified));
CREATE TABLE student_attendance_marked_records (institution_class_id INT, academic_period_id INT,
    date DATE, period INT, subject_id INT, no_scheduled_class TINYINT,
    PRIMARY KEY (institution_class_id, date, period, subject_id), KEY (date));
CREATE TABLE institution_student_absence_details (id INT AUTO_INCREMENT PRIMARY KEY, student_id INT,
    institution_class_id INT, academic_period_id INT, date DATE, period INT, absence_type_id INT,
    modified DATETIME, created DATETIME NOT NULL, KEY (date), KEY (modified), KEY (created));

CREATE TABLE infrastructure_utility_electricities (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, utility_electricity_type_id INT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE infrastructure_utility_internets (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, bandwidth DECIMAL(8,2), purpose VARCHAR(60), modified DATETIME,
    created DATETIME NOT NULL);
CREATE TABLE infrastructure_wash_waters (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, water_type VARCHAR(60), drinkable TINYINT, modified DATETIME,
    created DATETIME NOT NULL);
CREATE TABLE infrastructure_wash_sanitations (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, sanitation_type VARCHAR(60), total_male INT, total_female INT,
    total_mixed INT, functional TINYINT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE infrastructure_wash_hygienes (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, soap TINYINT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_buildings (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, accessibility TINYINT, modified DATETIME, created DATETIME NOT NULL);
CREATE TABLE institution_rooms (id INT AUTO_INCREMENT PRIMARY KEY, institution_id INT,
    academic_period_id INT, room_type VARCHAR(60), modified DATETIME, created DATETIME NOT NULL);

CREATE TABLE deleted_records (id INT AUTO_INCREMENT PRIMARY KEY, reference_table VARCHAR(100),
    reference_key TEXT, data LONGTEXT, deleted_date DATETIME, created DATETIME NOT NULL, KEY (deleted_date));
