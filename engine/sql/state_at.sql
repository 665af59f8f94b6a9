-- The state of every application at an instant (open-data-format.md, "State of an
-- application at an instant"). $until is exclusive: the end of day D is D + 1 day 00:00.
-- The caller may narrow `apps` to one segment ($region, $locality, $birth_year NULL = all).
WITH apps AS (
    SELECT *
    FROM applications
    WHERE registered_at < $until                                  -- it exists
      AND ($region IS NULL OR region = $region)
      AND ($locality IS NULL OR locality = $locality)
      AND ($birth_year IS NULL OR birth_year = $birth_year)
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
