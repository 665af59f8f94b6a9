-- The spans of time in which each application is numbered (Q2) and in which list (its
-- privilege class, Q3), from its registration, the register's status and its events, the
-- same state as state_at.sql gives at any instant. $region, $locality, $birth_year narrow
-- it to one segment (Q1); NULL: every application.
WITH apps AS (
    SELECT application_number, region, locality, birth_year, registered_at, privilege, status, status_at,
           has_privilege_change
    FROM applications
    WHERE ($region IS NULL OR region = $region)
      AND ($locality IS NULL OR locality = $locality)
      AND ($birth_year IS NULL OR birth_year = $birth_year)
),
points AS (                                                         -- where an application's state may change
    SELECT application_number, registered_at AS "at", -2 AS seq, 'registered' AS event,
           CAST(NULL AS VARCHAR) AS status_after, CAST(NULL AS VARCHAR) AS privilege_after
    FROM apps
    UNION ALL                                                       -- the register's status takes effect
    SELECT application_number, greatest(status_at, registered_at), -1, 'register_status', NULL, NULL
    FROM apps WHERE status_at IS NOT NULL
    UNION ALL
    SELECT e.application_number, greatest(e."at", a.registered_at), e.seq, e.event, e.status_after,
           CASE WHEN e.event IN ('registered', 'privilege_changed') THEN e.privilege END
    FROM events AS e JOIN apps AS a USING (application_number)
),
states AS (                                                         -- the state after each point
    SELECT p.application_number, p."at", p.seq, p.event,
           coalesce(last_value(p.status_after IGNORE NULLS) OVER w,
                    CASE WHEN a.status_at IS NULL OR a.status_at <= p."at" THEN a.status ELSE 'queued' END) AS status,
           coalesce(last_value(p.privilege_after IGNORE NULLS) OVER w,
                    CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END) AS privilege
    FROM points AS p JOIN apps AS a USING (application_number)
    WINDOW w AS (PARTITION BY p.application_number ORDER BY p."at", p.seq ROWS UNBOUNDED PRECEDING)
)
SELECT s.application_number, a.region, a.locality, a.birth_year, a.registered_at,
       s."at" AS s, s.event AS start_event, lead(s."at") OVER w AS u, lead(s.event) OVER w AS end_event,
       CASE WHEN s.status IN ('queued', 'notified', 'referred', 'stop_list') THEN s.privilege END AS list
FROM states AS s JOIN apps AS a USING (application_number)
WINDOW w AS (PARTITION BY s.application_number ORDER BY s."at", s.seq)
