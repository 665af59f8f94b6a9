-- Periods in which the rules themselves block an application from offers, whatever its
-- recorded status says. Each has the cause and two readings of its bounds: the shortest
-- ([starts_latest, ends_earliest): used to call an offer a breach, blocked_recipient) and
-- the longest ([starts_earliest, ends_latest): used to excuse passing an application over).
CREATE TABLE audit.blocks AS
-- A4: an annulled referral puts the application in the stop-list for stop_list_duration
-- (seed 002 item 5). Not after an A5 annulment: that one moves it to the general queue.
SELECT e.app_id, 'A4' AS rule, 'stop_list' AS kind, e.seq AS cause_seq, e."at" AS cause_at,
       e."at" AS starts_earliest, e."at" AS starts_latest,
       audit.period_end(e."at", r.stop_list_duration, r.stop_list_duration_unit, 'earliest') AS ends_earliest,
       audit.period_end(e."at", r.stop_list_duration, r.stop_list_duration_unit, 'latest') AS ends_latest
FROM audit.events AS e
JOIN audit.apps AS a USING (app_id)
JOIN audit.rules AS r ON r.region = a.region AND e."at" >= r.valid_from AND e."at" < r.valid_until
WHERE e.event = 'referral_annulled' AND coalesce(e.reason, '') <> 'privilege_not_confirmed'

UNION ALL
-- A4: after max_annulments annulled referrals the application is removed from the queue
-- for good. Used only to excuse passing it over; the breach itself is missed_removal.
SELECT app_id, 'A4', 'removal', seq, "at", "at", "at", TIMESTAMP 'infinity', TIMESTAMP 'infinity'
FROM (
    SELECT e.app_id, e.seq, e."at", r.max_annulments,
           row_number() OVER (PARTITION BY e.app_id ORDER BY e."at", e.seq) AS n
    FROM audit.events AS e
    JOIN audit.apps AS a USING (app_id)
    JOIN audit.rules AS r ON r.region = a.region AND e."at" >= r.valid_from AND e."at" < r.valid_until
    WHERE e.event = 'referral_annulled' AND coalesce(e.reason, '') <> 'privilege_not_confirmed'
)
WHERE n = max_annulments

UNION ALL
-- A2: a priority window let pass where on_window_missed = stop_list (seed 001): the
-- stop-list from the window's close.
SELECT o.app_id, 'A2', 'stop_list', o.seq, o."at",
       o.window_closes_earliest, o.window_closes_latest,
       audit.period_end(o.window_closes_latest, o.stop_list_duration, o.stop_list_duration_unit, 'earliest'),
       audit.period_end(o.window_closes_latest, o.stop_list_duration, o.stop_list_duration_unit, 'latest')
FROM audit.offers AS o
WHERE o.on_window_missed = 'stop_list'
  AND NOT EXISTS (SELECT 1 FROM audit.referrals AS x
                  WHERE x.app_id = o.app_id AND x.bulletin_id = o.bulletin_id
                    AND x."at" > o."at" AND x."at" <= o.window_closes_latest)

UNION ALL
-- A2: where on_window_missed = inactive (2024 vouchers), inactive until restored. Used only
-- to excuse passing it over: the record's own `deactivated` event is what E3 checks.
SELECT o.app_id, 'A2', 'inactive', o.seq, o."at",
       o.window_closes_earliest, o.window_closes_latest,
       o.window_closes_latest,                                    -- no shortest reading: never an accusation
       coalesce((SELECT min(x."at") FROM audit.events AS x
                 WHERE x.app_id = o.app_id AND x."at" > o.window_closes_earliest
                   AND x.event IN ('reactivated', 'interest_confirmed')), TIMESTAMP 'infinity')
FROM audit.offers AS o
WHERE o.on_window_missed = 'inactive'
  AND NOT EXISTS (SELECT 1 FROM audit.referrals AS x
                  WHERE x.app_id = o.app_id AND x.bulletin_id = o.bulletin_id
                    AND x."at" > o."at" AND x."at" <= o.window_closes_latest);

-- E4: where the ruleset has an interest_deadline (seed 001: 1 October), an application
-- registered before the previous deadline that did not confirm interest since then is
-- inactive from the deadline until it confirms or is reactivated. Only when the data
-- record confirmations at all: their absence from a register that never records them
-- proves nothing.
INSERT INTO audit.blocks
WITH deadlines AS (
    SELECT r.region, d.deadline
    FROM audit.rules AS r,
         (SELECT CAST(strptime(CAST(y AS VARCHAR) || '-' || md, '%Y-%m-%d') AS TIMESTAMP) AS deadline, md
          FROM range(CAST((SELECT year(min(day)) FROM audit.calendar) AS BIGINT),
                     CAST((SELECT year(max(day)) FROM audit.calendar) + 1 AS BIGINT)) AS years(y),
               (SELECT DISTINCT interest_deadline AS md FROM audit.rules WHERE interest_deadline IS NOT NULL)) AS d
    WHERE r.interest_deadline = d.md AND d.deadline >= r.valid_from AND d.deadline < r.valid_until
      AND (SELECT has_interest_confirmations FROM audit.context)
)
SELECT a.app_id, 'E4', 'inactive', NULL, d.deadline, d.deadline, d.deadline,
       coalesce(min(x."at") FILTER (WHERE x."at" >= d.deadline), TIMESTAMP 'infinity'),
       coalesce(min(x."at") FILTER (WHERE x."at" >= d.deadline), TIMESTAMP 'infinity')
FROM deadlines AS d
JOIN audit.apps AS a ON a.region = d.region AND a.registered_at < d.deadline - INTERVAL 1 YEAR
LEFT JOIN audit.events AS x ON x.app_id = a.app_id AND x.event IN ('interest_confirmed', 'reactivated')
GROUP BY a.app_id, d.deadline
HAVING count(*) FILTER (WHERE x."at" >= d.deadline - INTERVAL 1 YEAR AND x."at" < d.deadline) = 0;

-- E1-E4: the intervals in which an application may be offered a place in its segment: status
-- `queued` (E3), minus every block under its longest reading. Age (E2) and language (E1)
-- depend on the bulletin and are checked against it.
CREATE TABLE audit.candidates AS
WITH queued AS (
    SELECT app_id, s, u, privilege FROM audit.state WHERE status = 'queued'
),
blocked AS (
    SELECT app_id, starts_earliest AS bs, ends_latest AS be FROM audit.blocks WHERE ends_latest > starts_earliest
),
cuts AS (                                                          -- every bound, for the blocked ones
    SELECT app_id, s AS p FROM queued SEMI JOIN blocked USING (app_id)
    UNION SELECT app_id, u FROM queued SEMI JOIN blocked USING (app_id)
    UNION SELECT app_id, bs FROM blocked
    UNION SELECT app_id, be FROM blocked
),
pieces AS (
    SELECT app_id, p AS s, lead(p) OVER (PARTITION BY app_id ORDER BY p) AS u FROM cuts
),
free_pieces AS (
    SELECT p.app_id, p.s, p.u, q.privilege
    FROM pieces AS p JOIN queued AS q ON q.app_id = p.app_id AND q.s <= p.s AND p.u <= q.u
    WHERE p.u IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM blocked AS b WHERE b.app_id = p.app_id AND b.bs <= p.s AND p.u <= b.be)
)
SELECT x.app_id, x.s, x.u, x.privilege, a.seg_id, a.language, a.akey,
       -- E2 on a birthday: a child born on 29 February has its birthday on 28 February
       CASE WHEN month(a.birth_date) = 2 AND day(a.birth_date) = 29 THEN a.birth_date - INTERVAL 1 DAY
            ELSE a.birth_date END AS birth_date,
       -- blocks of 64 in the order of its privilege list, per preferred language (see 04_offers.sql)
       CAST((row_number() OVER (PARTITION BY a.seg_id, x.privilege, a.language ORDER BY a.akey, x.s) - 1) // 64
            AS INTEGER) AS block
FROM (
    SELECT * FROM queued ANTI JOIN blocked USING (app_id)
    UNION ALL
    SELECT * FROM free_pieces
) AS x
JOIN audit.apps AS a USING (app_id);

-- A4: an application with max_annulments annulled referrals (A5 annulments aside) still
-- numbered at the end of the working day after the last of them.
CREATE TABLE audit.f_missed_removal AS
WITH k AS (
    SELECT app_id, cause_at, cause_seq,
           audit.period_end(cause_at, 1, 'working_day', 'latest') AS checked_at
    FROM audit.blocks WHERE kind = 'removal'
),
annulments AS (
    SELECT app_id, list("at" ORDER BY "at", seq) AS annulled_at
    FROM audit.events WHERE event = 'referral_annulled' AND coalesce(reason, '') <> 'privilege_not_confirmed'
    GROUP BY app_id
)
SELECT 'missed_removal' AS type, 'A4' AS rule, a.application_number, CAST(NULL AS VARCHAR) AS bulletin_id,
       CAST(NULL AS VARCHAR) AS kindergarten_id, k.checked_at AS "at", k.cause_seq AS event_seq,
       json_object('annulments', len(n.annulled_at), 'annulled_at', n.annulled_at, 'status', s.status,
                   'checked_at', k.checked_at) AS evidence
FROM k
JOIN annulments AS n USING (app_id)
JOIN audit.apps AS a USING (app_id)
JOIN (SELECT * FROM audit.state SEMI JOIN k USING (app_id)) AS s    -- the few removed ones' intervals only
  ON s.app_id = k.app_id AND s.s < k.checked_at AND k.checked_at <= s.u
WHERE k.checked_at < (SELECT data_end FROM audit.context)
  AND snap.is_numbered(s.status);

-- Only numbered intervals and candidates are needed from here on.
DROP TABLE audit.state;
