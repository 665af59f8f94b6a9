-- The published tables, derived from the validated canonical tables (`c_*`).
-- Birth dates stay in this process: the snapshot keeps only the birth year.

CREATE TABLE snap.kindergartens AS
SELECT kindergarten_id, name_kk, name_ru, region, district,
       coalesce(locality, region) AS locality,                    -- format: default region
       address, latitude, longitude, ownership, languages, capacity, phone, website
FROM c_kindergartens
ORDER BY kindergarten_id;

CREATE TABLE snap.groups AS
SELECT kindergarten_id, group_id, name, birth_year, language, capacity, enrolled, program
FROM c_groups
ORDER BY kindergarten_id, group_id;

CREATE TABLE snap.vacancies AS
SELECT bulletin_id, kindergarten_id, announced_at, birth_year, language, seats, group_id
FROM c_vacancies
ORDER BY bulletin_id;

CREATE TABLE snap.events AS
SELECT application_number, "at",
       rowid + 1 AS seq,               -- ties on `at`: file order (c_events is stored by _file, _row)
       event,
       CASE event {event_status_cases} END AS status_after,       -- state at an instant
       privilege, bulletin_id, kindergarten_id, channel, reason,
       coalesce(derived, false) AS derived, seen_in                -- format 1.1: series
FROM c_events
ORDER BY application_number, "at", seq;

CREATE TABLE snap.applications AS
SELECT a.application_number,
       {number_key} AS number_key,
       a.region,
       coalesce(a.locality, a.region) AS locality,
       CAST(year(a.birth_date) AS INTEGER) AS birth_year,          -- Q1 segment
       a.registered_at, a.privilege, a.privilege_category, a.language, a.status, a.status_at,
       a.application_number IN (
           SELECT application_number FROM c_events WHERE event = 'privilege_changed'
       ) AS has_privilege_change
FROM c_applications AS a
ORDER BY a.application_number;

CREATE TABLE snap.positions AS
SELECT as_of, application_number, queue_number, privileged_queue_number,
       queue_id,                                                   -- format 1.1: a kindergarten's queue
       kindergarten_id                                             -- the kindergarten of a finer queue
FROM c_positions
ORDER BY as_of, application_number, queue_id;

-- Format 1.1: the kindergartens each application asked for (kezek/pipeline.py keeps the
-- table only when the dataset has choices: it is published when present).
CREATE TABLE snap.choices AS
SELECT application_number, rank, kindergarten_id, language, group_type
FROM c_choices
ORDER BY application_number, rank;
