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
states AS (                                                         -- the state after each point
    SELECT p.application_number, p."at", p.seq, p.event,
           -- the registration time in force after the point: the one the next change replaced
           coalesce(first_value(p.registered_before IGNORE NULLS) OVER (
                        PARTITION BY p.application_number ORDER BY p."at", p.seq
                        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING),
                    a.registered_at) AS registered_at,
           coalesce(last_value(p.status_after IGNORE NULLS) OVER w,
                    CASE WHEN a.status_at IS NULL OR a.status_at <= p."at" THEN a.status ELSE 'queued' END) AS status,
           coalesce(last_value(p.privilege_after IGNORE NULLS) OVER w,
                    CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END) AS privilege
    FROM points AS p JOIN apps AS a USING (application_number)
    WINDOW w AS (PARTITION BY p.application_number ORDER BY p."at", p.seq ROWS UNBOUNDED PRECEDING)
)
SELECT s.application_number, a.region, a.locality, a.birth_year, s.registered_at,
       s."at" AS s, s.event AS start_event, lead(s."at") OVER w AS u, lead(s.event) OVER w AS end_event,
       CASE WHEN is_numbered(s.status) THEN s.privilege END AS list
FROM states AS s JOIN apps AS a USING (application_number)
WINDOW w AS (PARTITION BY s.application_number ORDER BY s."at", s.seq)
