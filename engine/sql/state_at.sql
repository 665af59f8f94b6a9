-- The state of every application at an instant (open-data-format.md, "State of an
-- application at an instant"), with the registration time in force then (a series may change
-- it later: `registration_changed`). $until is exclusive: the end of day D is D + 1 day 00:00.
-- The caller may narrow `apps` to one segment ($region, $locality, $birth_year NULL = all).
WITH segment AS (SELECT * FROM segment_applications($region, $locality, $birth_year)),  -- Q1
series AS (                                                        -- a series: when a list first showed
    SELECT application_number,                                     -- it, and the registration time that a
           min(seen_in) FILTER (WHERE event = 'registered') AS first_seen,  -- change after the instant
           arg_min(CAST(reason AS TIMESTAMP), ("at", seq))                  -- replaced
               FILTER (WHERE event = 'registration_changed' AND "at" >= $until) AS registered_then
    FROM events SEMI JOIN segment USING (application_number)
    WHERE derived
    GROUP BY application_number
),
apps AS (
    SELECT a.* REPLACE (coalesce(c.registered_then, a.registered_at) AS registered_at)
    FROM segment AS a LEFT JOIN series AS c USING (application_number)
    WHERE coalesce(c.registered_then, a.registered_at) < $until  -- it exists
      AND (c.first_seen IS NULL OR c.first_seen < $until)         -- and, in a series, a list showed it
),
past_events AS (
    SELECT e.application_number, e."at", e.seq, e.status_after, e.event, e.privilege
    FROM events AS e
    SEMI JOIN apps USING (application_number)
    WHERE e."at" < $until
),
last_status AS (                                                   -- last status-bearing event
    SELECT application_number, arg_max(status_after, ("at", seq)) AS status
    FROM past_events
    WHERE status_after IS NOT NULL
    GROUP BY application_number
),
last_privilege AS (                                                -- last registered / privilege_changed
    SELECT application_number, arg_max(privilege, ("at", seq)) AS privilege
    FROM past_events
    WHERE event IN ('registered', 'privilege_changed') AND privilege IS NOT NULL
    GROUP BY application_number
)
SELECT
    a.application_number,
    a.region,
    a.locality,
    a.birth_year,
    a.registered_at,
    coalesce(
        lp.privilege,
        CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END
    ) AS privilege,
    coalesce(
        ls.status,
        CASE WHEN a.status_at IS NULL OR a.status_at < $until THEN a.status ELSE 'queued' END
    ) AS status
FROM apps AS a
LEFT JOIN last_status AS ls USING (application_number)
LEFT JOIN last_privilege AS lp USING (application_number)
