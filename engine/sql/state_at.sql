-- The state of every application at an instant (open-data-format.md, "State of an
-- application at an instant"), with the registration time in force then (a series may change
-- it later: `registration_changed`). $until is exclusive: the end of day D is D + 1 day 00:00.
-- The caller may narrow `apps` to one segment ($region, $locality, $birth_year NULL = all).
WITH segment AS (SELECT * FROM segment_applications($region, $locality, $birth_year)),  -- Q1
ordered AS (                                                       -- an event's place in its log, (at, seq),
    SELECT *, epoch_us("at")::HUGEINT * 4294967296 + seq AS place  -- as one number: DuckDB compares it
    FROM events SEMI JOIN segment USING (application_number)      -- faster than the pair (seq < 2^32)
),
facts AS (                                                         -- each application's events, read once
    SELECT application_number,
           -- a series: when a list first showed it, and the registration time that a change
           -- after the instant replaced
           min(seen_in) FILTER (WHERE derived AND event = 'registered') AS first_seen,
           arg_min(CASE WHEN derived AND event = 'registration_changed' THEN CAST(reason AS TIMESTAMP) END, place)
               FILTER (WHERE derived AND event = 'registration_changed' AND "at" >= $until) AS registered_then,
           -- the last status-bearing event before the instant, and the last registered /
           -- privilege_changed
           arg_max(status_after, place) FILTER (WHERE "at" < $until AND status_after IS NOT NULL) AS status,
           arg_max(privilege, place)
               FILTER (WHERE "at" < $until AND event IN ('registered', 'privilege_changed') AND privilege IS NOT NULL)
               AS privilege
    FROM ordered
    GROUP BY application_number
),
apps AS (
    SELECT a.* REPLACE (coalesce(f.registered_then, a.registered_at) AS registered_at),
           f.status AS last_status, f.privilege AS last_privilege
    FROM segment AS a LEFT JOIN facts AS f USING (application_number)
    WHERE coalesce(f.registered_then, a.registered_at) < $until  -- it exists
      AND (f.first_seen IS NULL OR f.first_seen < $until)         -- and, in a series, a list showed it
)
SELECT
    a.application_number,
    a.region,
    a.locality,
    a.birth_year,
    a.registered_at,
    coalesce(
        a.last_privilege,
        CASE WHEN a.has_privilege_change THEN 'none' ELSE a.privilege END
    ) AS privilege,
    coalesce(
        a.last_status,
        CASE WHEN a.status_at IS NULL OR a.status_at < $until THEN a.status ELSE 'queued' END
    ) AS status
FROM apps AS a
