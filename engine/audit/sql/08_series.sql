-- Findings that need no rules (open-data-format.md 1.1, "Series"): facts read off the
-- snapshots of a series and the numbers it published, true whatever the local rules are.
-- Each is a fact to check, not an accusation: the rule column is '—'.
-- Reads the derived events (`derived`, `seen_in`), the series' snapshots
-- (`audit.series_snapshots`, empty when the publication is no series) and `c_positions`
-- (the numbers in a segment's queue: those without a `queue_id`).

-- When each application was in the published list: from a `registered` or `returned`
-- snapshot until the `left` one (the first snapshot without it).
CREATE TABLE audit.listed_spans AS
SELECT application_number, seen_in AS listed_from, until
FROM (
    SELECT application_number, event, seen_in,
           lead(seen_in) OVER (PARTITION BY application_number ORDER BY seen_in, event) AS until
    FROM snap.events
    WHERE derived AND event IN ('registered', 'returned', 'left')
)
WHERE event IN ('registered', 'returned');

-- Whether an application was in the list in every snapshot from `first` to `last`.
CREATE MACRO audit.listed_throughout(number, first, last) AS EXISTS (
    SELECT 1 FROM audit.listed_spans AS s
    WHERE s.application_number = number AND s.listed_from <= first AND (s.until IS NULL OR s.until > last)
);

-- registration_changed: a snapshot gave an application another registration time than the
-- snapshot before it. How far it moved, and how many applications listed in its queue that
-- day had a registration time between the old and the new (those it passed, or fell behind).
CREATE TABLE audit.f_registration_changed AS
WITH changes AS (
    SELECT e.application_number, e.seen_in, e.seq,
           CAST(e.reason AS TIMESTAMP) AS registered_before,
           coalesce(lead(CAST(e.reason AS TIMESTAMP)) OVER (PARTITION BY e.application_number ORDER BY e.seen_in),
                    a.registered_at) AS registered_after,
           a.region, a.locality, a.birth_year
    FROM snap.events AS e JOIN snap.applications AS a USING (application_number)
    WHERE e.derived AND e.event = 'registration_changed'
),
passed AS (
    SELECT c.application_number, c.seen_in, count(o.application_number) AS applications_between
    FROM changes AS c
    LEFT JOIN snap.applications AS o
           ON o.region = c.region AND o.locality = c.locality AND o.birth_year = c.birth_year
          AND o.application_number <> c.application_number
          AND o.registered_at > least(c.registered_before, c.registered_after)
          AND o.registered_at < greatest(c.registered_before, c.registered_after)
          AND audit.listed_throughout(o.application_number, c.seen_in, c.seen_in)
    GROUP BY c.application_number, c.seen_in
)
SELECT 'registration_changed' AS type, '—' AS rule, c.application_number, CAST(NULL AS VARCHAR) AS bulletin_id,
       CAST(NULL AS VARCHAR) AS kindergarten_id, c.seen_in AS "at", c.seq AS event_seq,
       json_object('registered_before', strftime(c.registered_before, '%Y-%m-%d %H:%M'),
                   'registered_after', strftime(c.registered_after, '%Y-%m-%d %H:%M'),
                   'days_moved', round(abs(epoch(c.registered_after) - epoch(c.registered_before)) / 86400, 1),
                   'applications_between', p.applications_between,
                   'seen_in', strftime(c.seen_in, '%Y-%m-%d %H:%M')) AS evidence,
       CASE WHEN c.registered_after < c.registered_before THEN 'earlier' ELSE 'later' END AS variant
FROM changes AS c JOIN passed AS p USING (application_number, seen_in);

-- backdated_entry: first seen in a snapshot with a registration time more than a day before
-- the previous snapshot, which did not list it, and with a registration time before applications that
-- were already listed then and still are.
CREATE TABLE audit.f_backdated_entry AS
WITH snapshots AS (
    SELECT snapshot_at, lag(snapshot_at) OVER (ORDER BY snapshot_at) AS previous_snapshot
    FROM audit.series_snapshots WHERE lists_applications
),
entries AS (
    SELECT e.application_number, e.seen_in, e.seq, e."at" AS registered_at, s.previous_snapshot,
           a.region, a.locality, a.birth_year
    FROM snap.events AS e
    JOIN snapshots AS s ON s.snapshot_at = e.seen_in
    JOIN snap.applications AS a USING (application_number)
    WHERE e.derived AND e.event = 'registered'
      AND s.previous_snapshot IS NOT NULL                         -- not the first list: everybody is new there
      -- A list shows the register as of a little before its time (Vilnius's, built before
      -- 02:10, misses applications of the last half hour): a day's grace.
      AND e."at" < s.previous_snapshot - INTERVAL 1 DAY
),
ahead_of AS (
    SELECT n.application_number, n.seen_in, count(o.application_number) AS listed_registered_later
    FROM entries AS n
    JOIN snap.applications AS o
      ON o.region = n.region AND o.locality = n.locality AND o.birth_year = n.birth_year
     AND o.registered_at > n.registered_at
     AND audit.listed_throughout(o.application_number, n.previous_snapshot, n.seen_in)
    GROUP BY n.application_number, n.seen_in
)
SELECT 'backdated_entry' AS type, '—' AS rule, n.application_number, CAST(NULL AS VARCHAR) AS bulletin_id,
       CAST(NULL AS VARCHAR) AS kindergarten_id, n.seen_in AS "at", n.seq AS event_seq,
       json_object('registered_at', strftime(n.registered_at, '%Y-%m-%d %H:%M'),
                   'previous_snapshot', strftime(n.previous_snapshot, '%Y-%m-%d %H:%M'),
                   'seen_in', strftime(n.seen_in, '%Y-%m-%d %H:%M'),
                   'days_before', round((epoch(n.previous_snapshot) - epoch(n.registered_at)) / 86400, 1),
                   'listed_registered_later', x.listed_registered_later) AS evidence,
       CAST(NULL AS VARCHAR) AS variant
FROM entries AS n JOIN ahead_of AS x USING (application_number, seen_in);

-- unexplained_jump: between two consecutive days with published numbers, an application's
-- number in its queue moved forward by more than the applications ahead of it that left
-- the published list, or back by more than those that joined it ahead. With the order of
-- the others unchanged, the new number is the old one minus the departures ahead plus the
-- arrivals ahead; anything beyond that is a reordering the list does not explain.
-- Only the numbers of a series' snapshots (their day is a snapshot's), and only days on
-- which a queue was published whole (its numbers are 1 … n, each once), are compared: where
-- a few numbers are published now and then, departures and arrivals cannot be seen.
CREATE TABLE audit.f_unexplained_jump AS
WITH numbers AS (
    SELECT p.as_of, p.application_number, p.queue_number, a.region, a.locality, a.birth_year
    FROM c_positions AS p JOIN snap.applications AS a USING (application_number)
    WHERE p.as_of IN (SELECT CAST(snapshot_at AS DATE) FROM audit.series_snapshots)
      AND p.queue_id IS NULL                                      -- the segment's queue, not a kindergarten's
),
whole_days AS (
    SELECT region, locality, birth_year, as_of
    FROM numbers
    GROUP BY ALL
    HAVING count(*) = max(queue_number) AND count(*) = count(DISTINCT queue_number)
),
whole AS (
    SELECT n.* FROM numbers AS n SEMI JOIN whole_days AS w USING (region, locality, birth_year, as_of)
),
published AS (
    SELECT *, dense_rank() OVER (PARTITION BY region, locality, birth_year ORDER BY as_of) AS day_k
    FROM whole
),
paired AS (                                                       -- each number with the same application's next day
    SELECT b.*, n.queue_number AS next_number, n.as_of AS next_as_of,
           n.application_number IS NULL AS gone
    FROM published AS b
    LEFT JOIN published AS n
      ON n.application_number = b.application_number AND n.day_k = b.day_k + 1
     AND n.region = b.region AND n.locality = b.locality AND n.birth_year = b.birth_year
),
departures AS (
    SELECT *, coalesce(sum(CAST(gone AS INTEGER)) OVER (
                  PARTITION BY region, locality, birth_year, day_k ORDER BY queue_number, application_number
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS departures_ahead
    FROM paired
),
arrivals AS (
    SELECT n.*, coalesce(sum(CAST(b.application_number IS NULL AS INTEGER)) OVER (
                  PARTITION BY n.region, n.locality, n.birth_year, n.day_k ORDER BY n.queue_number, n.application_number
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS arrivals_ahead
    FROM published AS n
    LEFT JOIN published AS b
      ON b.application_number = n.application_number AND b.day_k = n.day_k - 1
     AND b.region = n.region AND b.locality = n.locality AND b.birth_year = n.birth_year
    WHERE n.day_k > 1
)
SELECT 'unexplained_jump' AS type, '—' AS rule, d.application_number, CAST(NULL AS VARCHAR) AS bulletin_id,
       CAST(NULL AS VARCHAR) AS kindergarten_id, CAST(d.next_as_of + INTERVAL 1 DAY AS TIMESTAMP) - INTERVAL 1 SECOND AS "at",
       CAST(NULL AS BIGINT) AS event_seq,
       json_object('as_of_before', d.as_of, 'as_of', d.next_as_of, 'published_before', d.queue_number,
                   'published', d.next_number, 'departures_ahead', d.departures_ahead,
                   'arrivals_ahead', r.arrivals_ahead,
                   'unexplained', CASE WHEN d.next_number < d.queue_number - d.departures_ahead
                                       THEN d.queue_number - d.departures_ahead - d.next_number
                                       ELSE d.next_number - d.queue_number - r.arrivals_ahead END) AS evidence,
       CASE WHEN d.next_number < d.queue_number THEN 'forward' ELSE 'back' END AS variant
FROM departures AS d
JOIN arrivals AS r ON r.application_number = d.application_number AND r.day_k = d.day_k + 1
 AND r.region = d.region AND r.locality = d.locality AND r.birth_year = d.birth_year
WHERE NOT d.gone
  AND (d.next_number < d.queue_number - d.departures_ahead OR d.next_number > d.queue_number + r.arrivals_ahead);
