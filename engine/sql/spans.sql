-- The spans of time in which each application is numbered (Q2) and in which list (its
-- privilege class, Q3), from its registration, the register's status and its events, the
-- same state as state_at.sql gives at any instant, with the registration time in force then
-- (a series may change it: `registration_changed`). $region, $locality, $birth_year narrow
-- it to one segment (Q1); NULL: every application.
WITH segment AS (SELECT * FROM segment_applications($region, $locality, $birth_year)),  -- Q1
series AS (                                                         -- a series: when a list first showed
    SELECT application_number,                                      -- it, and the registration times a
           min(seen_in) FILTER (WHERE event = 'registered') AS first_seen,  -- later list changed
           min(CAST(reason AS TIMESTAMP)) FILTER (WHERE event = 'registration_changed') AS earliest
    FROM events SEMI JOIN segment USING (application_number)
    WHERE derived
    GROUP BY application_number
),
apps AS (
    SELECT a.application_number, a.region, a.locality, a.birth_year, a.registered_at, a.privilege, a.status,
           a.status_at, a.has_privilege_change,
           -- when it entered the queue; in a series, not before a list showed it (observed, not inferred)
           greatest(least(a.registered_at, r.earliest), r.first_seen) AS first_registered_at
    FROM segment AS a LEFT JOIN series AS r USING (application_number)
),
points AS (                                                         -- where an application's state may change
    SELECT application_number, first_registered_at AS "at", -2 AS seq, 'registered' AS event,
           CAST(NULL AS VARCHAR) AS status_after, CAST(NULL AS VARCHAR) AS privilege_after,
           CAST(NULL AS TIMESTAMP) AS registered_before
    FROM apps
    UNION ALL                                                       -- the register's status takes effect
    SELECT application_number, greatest(status_at, first_registered_at), -1, 'register_status', NULL, NULL, NULL
    FROM apps WHERE status_at IS NOT NULL
    UNION ALL
    SELECT e.application_number, greatest(coalesce(e.seen_in, e."at"), a.first_registered_at), e.seq, e.event,
           e.status_after,
           CASE WHEN e.event IN ('registered', 'privilege_changed') THEN e.privilege END,
           CASE WHEN e.event = 'registration_changed' THEN CAST(e.reason AS TIMESTAMP) END
    FROM events AS e JOIN apps AS a USING (application_number)
),
logged AS (                                                         -- after each point, until the next
    SELECT application_number, "at" AS s, event AS start_event,
           -- the registration time the next change replaced
           first_value(registered_before IGNORE NULLS) OVER (log ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
               AS registered_before,
           last_value(status_after IGNORE NULLS) OVER so_far AS status_after,
           last_value(privilege_after IGNORE NULLS) OVER so_far AS privilege_after,
           lead("at") OVER log AS u, lead(event) OVER log AS end_event
    FROM points
    -- one order, one sort, for every window; the application's own columns join after it
    WINDOW log AS (PARTITION BY application_number ORDER BY "at", seq),
           so_far AS (log ROWS UNBOUNDED PRECEDING)
),
spans AS (                                                          -- the state after each point
    SELECT l.application_number, a.region, a.locality, a.birth_year, l.s, l.start_event, l.u, l.end_event,
           coalesce(l.registered_before, a.registered_at) AS registered_at,
           coalesce(l.status_after,
                    CASE WHEN a.status_at IS NULL OR a.status_at <= l.s THEN a.status ELSE 'queued' END) AS status,
           coalesce(l.privilege_after, CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END) AS privilege
    FROM logged AS l JOIN apps AS a USING (application_number)
)
SELECT application_number, region, locality, birth_year, registered_at, s, start_event, u, end_event,
       CASE WHEN is_numbered(status) THEN privilege END AS list
FROM spans
