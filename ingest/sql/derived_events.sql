-- The events of a series, derived by comparing consecutive snapshots by application_number
-- (open-data-format.md 1.1, "Series"). Reads:
--   series_snapshots(snapshot_at)  the snapshots that publish the list of applications
--                                  (a snapshot that lists nobody keeps the previous list:
--                                  not here)
--   listed(snapshot_at, application_number, registered_at, privilege)
--                                  one row per application per snapshot that lists it; or,
--                                  for snapshots an update carries, only each application's
--                                  last listing (all that the next comparison needs)
-- Gives one row per derived event: application_number, at, event, privilege, registered_at,
-- reason, seen_in (the snapshot the change was seen in). One pass over all snapshots: each
-- listing is compared with the same application's previous listing.
WITH snapshots AS (
    SELECT snapshot_at, row_number() OVER (ORDER BY snapshot_at) AS k FROM series_snapshots
),
listing AS (
    SELECT l.application_number, l.registered_at, l.privilege, l.snapshot_at, s.k,
           lag(s.k) OVER w AS previous_k,
           lag(l.registered_at) OVER w AS previous_registered_at,
           lag(l.privilege) OVER w AS previous_privilege,
           lead(s.k) OVER w AS next_k
    FROM listed AS l JOIN snapshots AS s USING (snapshot_at)
    WINDOW w AS (PARTITION BY l.application_number ORDER BY s.k)
)
-- registered: first seen; `at` is its own registration time
SELECT application_number, registered_at AS "at", 'registered' AS event, privilege, registered_at,
       CAST(NULL AS VARCHAR) AS reason, snapshot_at AS seen_in
FROM listing WHERE previous_k IS NULL
UNION ALL
-- left: listed in one snapshot, missing from the next; `at` is the first snapshot without it
-- (the list never says why)
SELECT l.application_number, s.snapshot_at, 'left', NULL, NULL, NULL, s.snapshot_at
FROM listing AS l JOIN snapshots AS s ON s.k = l.k + 1
WHERE l.next_k IS NULL OR l.next_k > l.k + 1
UNION ALL
-- returned: listed again after at least one snapshot without it
SELECT application_number, snapshot_at, 'returned', privilege, registered_at, NULL, snapshot_at
FROM listing WHERE previous_k IS NOT NULL AND k > previous_k + 1
UNION ALL
SELECT application_number, snapshot_at, 'privilege_changed', privilege, registered_at, NULL, snapshot_at
FROM listing WHERE previous_k IS NOT NULL AND privilege IS DISTINCT FROM previous_privilege
UNION ALL
-- registration_changed: a registration time should never change; itself a fact to check.
-- `reason`: the registration time the previous listing gave (ISO 8601)
SELECT application_number, snapshot_at, 'registration_changed', privilege, registered_at,
       strftime(previous_registered_at, '%Y-%m-%dT%H:%M:%S'), snapshot_at
FROM listing WHERE previous_k IS NOT NULL AND registered_at IS DISTINCT FROM previous_registered_at
