-- Events that contradict each other or the register (no rule id: the record itself).
CREATE TABLE audit.f_inconsistent_record AS
WITH before_registration AS (                                     -- an event before the application existed
    SELECT app_id, bulletin_id, kindergarten_id, "at", seq, 'event_before_registration' AS problem,
           json_object('problem', 'event_before_registration', 'event', event, 'registered_at', registered_at) AS evidence
    FROM audit.events
    WHERE "at" < registered_at
      AND seq NOT IN (SELECT seq FROM snap.events WHERE derived)  -- a series' registration time that changed:
                                                                  -- registration_changed (08_series.sql)
    QUALIFY row_number() OVER (PARTITION BY app_id ORDER BY "at", seq) = 1
),
after_exit AS (                                                   -- anything after enrolment, withdrawal, removal or ageing out
    SELECT app_id, bulletin_id, kindergarten_id, "at", seq, 'event_after_exit' AS problem,
           json_object('problem', 'event_after_exit', 'event', event, 'status_before', status_before) AS evidence
    FROM audit.events
    WHERE status_from_events IN ('enrolled', 'withdrawn', 'removed', 'aged_out')
    QUALIFY row_number() OVER (PARTITION BY app_id ORDER BY "at", seq) = 1
),
unexplained AS (                                                  -- the register's status that no event explains
    SELECT e.app_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), coalesce(a.status_at, e."at"),
           CAST(NULL AS BIGINT), 'status_unexplained',
           json_object('problem', 'status_unexplained', 'status', a.status, 'status_at', a.status_at,
                       'status_from_events', coalesce(e.status_after, e.status_from_events), 'last_event_at', e."at")
    FROM audit.events AS e JOIN audit.apps AS a USING (app_id)
    WHERE e.next_at IS NULL                                       -- the last event of each application
      AND coalesce(e.status_after, e.status_from_events) IS NOT NULL
      AND a.status <> coalesce(e.status_after, e.status_from_events)
      AND a.status_at <= e."at"                                   -- a newer status may just be missing from the log
),
wrong_kindergarten AS (                                           -- a referral to a kindergarten other than its bulletin's
    SELECT app_id, bulletin_id, kindergarten_id, "at", seq, 'referral_kindergarten_mismatch',
           json_object('problem', 'referral_kindergarten_mismatch', 'bulletin_kindergarten_id', b_kindergarten_id)
    FROM audit.referrals
    WHERE bulletin_id IS NOT NULL AND kindergarten_id IS NOT NULL AND kindergarten_id <> b_kindergarten_id
),
before_announcement AS (                                          -- an offer or referral before the bulletin existed
    SELECT e.app_id, e.bulletin_id, b.kindergarten_id, e."at", e.seq, 'offer_before_announcement',
           json_object('problem', 'offer_before_announcement', 'event', e.event, 'announced_at', b.announced_at)
    FROM audit.events AS e JOIN audit.bulletins AS b USING (bulletin_id)
    WHERE e.event IN ('notified', 'referral_issued') AND e."at" < b.announced_at
)
SELECT 'inconsistent_record' AS type, '—' AS rule, a.application_number, x.bulletin_id, x.kindergarten_id, x."at",
       x.seq AS event_seq, x.evidence, x.problem AS variant
FROM (
    SELECT * FROM before_registration UNION ALL SELECT * FROM after_exit UNION ALL SELECT * FROM unexplained
    UNION ALL SELECT * FROM wrong_kindergarten UNION ALL SELECT * FROM before_announcement
) AS x
JOIN audit.apps AS a USING (app_id);

-- Q3, Q4: queue numbers as officially published (`positions`) against the numbers
-- recomputed for the end of the same day. Only the numbers in the segment's queue: one with
-- a `queue_id` is a place in one kindergarten's queue (format 1.1), which Q3 does not give.
CREATE TABLE audit.segment_positions AS
SELECT as_of, application_number, queue_number, privileged_queue_number
FROM snap.positions
WHERE queue_id IS NULL;

CREATE TABLE audit.position_check AS
WITH days AS (                                                    -- the start and the end of each published day
    SELECT DISTINCT p.as_of, a.seg_id, a.region, e.moment,
           CAST(p.as_of + CASE WHEN e.moment = 'end' THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END AS TIMESTAMP) AS t
    FROM audit.segment_positions AS p JOIN audit.apps AS a USING (application_number)
    CROSS JOIN (VALUES ('start'), ('end')) AS e(moment)
),
numbered AS (
    SELECT d.as_of, d.moment, n.app_id, n.seg_id, n.privilege,
           r.ratio_first, r.ratio_general, r.pattern_starts_with = 'first' AS starts_first,
           row_number() OVER (PARTITION BY d.as_of, d.moment, n.seg_id, n.privilege ORDER BY n.akey) AS list_rank
    FROM days AS d
    JOIN audit.numbered AS n ON n.seg_id = d.seg_id AND n.s < d.t AND d.t <= n.u
    JOIN audit.rules AS r ON r.region = d.region AND CAST(d.as_of AS TIMESTAMP) >= r.valid_from AND CAST(d.as_of AS TIMESTAMP) < r.valid_until
),
keyed AS (
    SELECT *, snap.q3_block(privilege) AS block,
           snap.q3_merge_key(privilege, list_rank, ratio_first, ratio_general, starts_first) AS merge_key
    FROM numbered
),
recomputed AS (
    SELECT k.as_of, k.moment, a.application_number,
           row_number() OVER (PARTITION BY k.as_of, k.moment, k.seg_id ORDER BY k.block, k.merge_key) AS queue_number,
           CASE WHEN k.privilege = 'none' THEN 0 ELSE row_number() OVER (
               PARTITION BY k.as_of, k.moment, k.seg_id, k.privilege <> 'none' ORDER BY k.block, k.merge_key) END
               AS privileged_queue_number
    FROM keyed AS k JOIN audit.apps AS a USING (app_id)
)
SELECT p.as_of, p.application_number, p.queue_number AS published, p.privileged_queue_number AS published_privileged,
       c.queue_number AS recomputed, c.privileged_queue_number AS recomputed_privileged,
       p.queue_number - c.queue_number AS "offset",
       -- published during the day: it matches if it matches the queue at its start or at its end
       (o.queue_number = p.queue_number AND (p.privileged_queue_number IS NULL OR o.privileged_queue_number = p.privileged_queue_number))
       OR (c.queue_number = p.queue_number AND (p.privileged_queue_number IS NULL OR c.privileged_queue_number = p.privileged_queue_number))
           AS matches
FROM audit.segment_positions AS p
LEFT JOIN recomputed AS c ON c.as_of = p.as_of AND c.application_number = p.application_number AND c.moment = 'end'
LEFT JOIN recomputed AS o ON o.as_of = p.as_of AND o.application_number = p.application_number AND o.moment = 'start';

CREATE TABLE audit.f_position_mismatch AS
SELECT 'position_mismatch' AS type, 'Q4' AS rule, application_number, CAST(NULL AS VARCHAR) AS bulletin_id,
       CAST(NULL AS VARCHAR) AS kindergarten_id, CAST(as_of + INTERVAL 1 DAY AS TIMESTAMP) - INTERVAL 1 SECOND AS "at",
       CAST(NULL AS BIGINT) AS event_seq,
       json_object('as_of', as_of, 'published', published, 'recomputed', recomputed, 'offset', "offset",
                   'published_privileged', published_privileged, 'recomputed_privileged', recomputed_privileged) AS evidence,
       CASE WHEN recomputed IS NULL THEN 'not_numbered' END AS variant
FROM audit.position_check
WHERE matches IS NOT TRUE
  -- Q4 needs the rules of the region: where none is known, a published number is a fact to
  -- show, not a finding (open-data-format.md 1.1, Rules per region)
  AND application_number IN (SELECT a.application_number FROM audit.apps AS a SEMI JOIN audit.rules AS r USING (region));
