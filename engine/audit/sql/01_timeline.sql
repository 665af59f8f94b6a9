-- The applications and their event logs as the audit replays them. These tables live in
-- the update's memory only: `audit.apps` keeps the birth date for the age rule (E2), and
-- birth dates never reach the snapshot. The large tables carry small integer ids
-- (`app_id`, `seg_id`) rather than the application number and the segment's names.

-- Q1: the segments (region, locality, birth year) ...
CREATE TABLE audit.segments AS
SELECT CAST(row_number() OVER (ORDER BY region, locality, birth_year) AS INTEGER) AS seg_id, region, locality, birth_year
FROM (SELECT DISTINCT region, locality, birth_year FROM snap.applications);

-- ... and each application's place in its segment's registration order (`akey`): the
-- order of each Q3 list is (registered_at, application_number).
CREATE TABLE audit.apps AS
SELECT
    p.app_id,
    a.application_number,
    s.seg_id,
    p.region, p.locality, p.birth_year,
    a.birth_date,
    a.registered_at,
    a.privilege,
    a.language,
    a.status,
    a.status_at,
    p.has_privilege_change,
    CAST(row_number() OVER (PARTITION BY s.seg_id ORDER BY a.registered_at, a.application_number) AS INTEGER) AS akey
FROM (SELECT *, CAST(row_number() OVER () AS INTEGER) AS app_id FROM snap.applications) AS p  -- in number order
JOIN c_applications AS a USING (application_number)
JOIN audit.segments AS s ON s.region = p.region AND s.locality = p.locality AND s.birth_year = p.birth_year;

-- Every event with the state of its application just before it (open-data-format.md,
-- "State of an application at an instant"; ties on `at` in file order, `seq`).
CREATE TABLE audit.events AS
WITH e AS (
    SELECT a.app_id, e."at", e.seq, CAST(e.event AS audit.event_t) AS event,
           CAST(e.status_after AS audit.status_t) AS status_after, CAST(e.privilege AS audit.privilege_t) AS privilege,
           e.bulletin_id, e.kindergarten_id, CAST(e.channel AS audit.channel_t) AS channel, e.reason
    FROM snap.events AS e JOIN audit.apps AS a USING (application_number)
),
prior AS (                                                        -- the state before each event
    SELECT e.*,
        lag(e.status_after IGNORE NULLS) OVER log AS last_status,
        lag(CASE WHEN e.event IN ('registered', 'privilege_changed') THEN e.privilege END IGNORE NULLS)
            OVER log AS last_privilege,
        lead(e."at") OVER log AS next_at
    FROM e
    WINDOW log AS (PARTITION BY e.app_id ORDER BY e."at", e.seq)
)
SELECT
    p.app_id, p."at", p.seq, p.event, p.status_after, p.privilege, p.bulletin_id, p.kindergarten_id,
    p.channel, p.reason,
    CAST(coalesce(p.last_status,                                   -- no status event yet: the register's
        CASE WHEN a.status_at IS NULL OR a.status_at < p."at" THEN a.status ELSE 'queued' END) AS audit.status_t) AS status_before,
    CAST(coalesce(p.last_privilege,
        CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END) AS audit.privilege_t) AS privilege_before,
    p.last_status AS status_from_events,                           -- before it, by the events alone
    p.next_at,
    a.registered_at
FROM prior AS p
JOIN audit.apps AS a USING (app_id);

-- The state of each application as intervals [s, u) in which status and privilege are
-- constant: from registration to its first event, then from each event to the next.
-- A state "just before instant t" is the interval with s < t <= u.
CREATE TABLE audit.state AS
WITH after_event AS (
    SELECT
        app_id,
        greatest("at", registered_at) AS s,                           -- it exists from registration on
        coalesce(next_at, TIMESTAMP 'infinity') AS u,
        coalesce(status_after, status_before) AS status,
        CASE WHEN event IN ('registered', 'privilege_changed') AND privilege IS NOT NULL
             THEN privilege ELSE privilege_before END AS privilege
    FROM audit.events
),
first_event AS (
    SELECT app_id, min("at") AS first_at FROM audit.events GROUP BY app_id
),
before_events AS (                                                -- the register's status before any event
    SELECT a.app_id, a.registered_at AS s,
           least(coalesce(f.first_at, TIMESTAMP 'infinity'), coalesce(a.status_at, TIMESTAMP 'infinity')) AS u,
           CASE WHEN a.status_at IS NULL THEN a.status ELSE 'queued' END AS status,
           CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END AS privilege
    FROM audit.apps AS a LEFT JOIN first_event AS f USING (app_id)
    WHERE coalesce(f.first_at, TIMESTAMP 'infinity') > a.registered_at
    UNION ALL
    SELECT a.app_id, greatest(a.status_at, a.registered_at), coalesce(f.first_at, TIMESTAMP 'infinity'),
           a.status, CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END
    FROM audit.apps AS a LEFT JOIN first_event AS f USING (app_id)
    WHERE a.status_at IS NOT NULL AND coalesce(f.first_at, TIMESTAMP 'infinity') > a.status_at
)
SELECT app_id, s, u, CAST(status AS audit.status_t) AS status, CAST(privilege AS audit.privilege_t) AS privilege
FROM (SELECT * FROM after_event UNION ALL SELECT * FROM before_events)
WHERE u > s;

-- Q2: the intervals in which an application is numbered, with its segment, its key in
-- its privilege list, and its block of 64 in that list (see 04_offers.sql).
CREATE TABLE audit.numbered AS
SELECT s.app_id, s.s, s.u, s.privilege, a.seg_id, a.akey,
       CAST((row_number() OVER (PARTITION BY a.seg_id, s.privilege ORDER BY a.akey, s.s) - 1) // 64 AS INTEGER) AS block
FROM audit.state AS s JOIN audit.apps AS a USING (app_id)
WHERE snap.is_numbered(s.status);
