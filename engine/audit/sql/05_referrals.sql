-- Offers and referrals one by one: who received them and when (A1-A3, E2, E3).

-- A1, A2: a `priority` referral must follow the holder's own notification for that
-- bulletin, inside the priority window (latest reading: the notification day not counted).
CREATE TABLE audit.f_referral_without_offer AS
WITH notified AS (                        -- the holder's notifications of that bulletin before the referral
    SELECT r.seq, arg_max(o.window_closes_latest, (o."at", o.seq)) AS window_closed, max(o."at") AS notified_at
    FROM audit.referrals AS r
    JOIN audit.offers AS o
      ON o.app_id = r.app_id AND o.bulletin_id = r.bulletin_id AND (o."at", o.seq) < (r."at", r.seq)
    WHERE r.channel = 'priority'
    GROUP BY r.seq
),
r AS (
    SELECT r.*, n.window_closed, n.notified_at
    FROM audit.referrals AS r LEFT JOIN notified AS n ON n.seq = r.seq
    WHERE r.channel = 'priority'
)
SELECT 'referral_without_offer' AS type, CASE WHEN notified_at IS NULL THEN 'A1' ELSE 'A2' END AS rule,
       application_number, bulletin_id, place_kindergarten_id AS kindergarten_id, "at", seq AS event_seq,
       json_object('channel', channel, 'notified_at', notified_at, 'window_closed_at', window_closed,
                   'status_before', status_before) AS evidence,
       CASE WHEN notified_at IS NULL THEN 'no_offer' ELSE 'after_window' END AS variant
FROM r
WHERE notified_at IS NULL OR "at" > window_closed;

-- A3: a `free_choice` referral before the bulletin's priority window closed (earliest
-- reading: the announcement day counted as the first day of the window).
CREATE TABLE audit.f_early_free_choice AS
SELECT 'early_free_choice' AS type, 'A3' AS rule, application_number, bulletin_id,
       place_kindergarten_id AS kindergarten_id, "at", seq AS event_seq,
       json_object('announced_at', announced_at, 'window', choice_window, 'window_unit', choice_window_unit,
                   'window_closes_at', window_closes_earliest) AS evidence
FROM audit.referrals
WHERE channel = 'free_choice' AND bulletin_id IS NOT NULL AND "at" < window_closes_earliest;

-- A1, A3: more referrals for a bulletin than it had seats. A referral that ended without
-- enrolment (cancelled, annulled, …) before a later one frees its seat for it.
CREATE TABLE audit.f_overbooked_bulletin AS
WITH r AS (                                                       -- only a bulletin with more referrals than
    SELECT * FROM audit.referrals                                 -- seats can have too many holding them
    WHERE bulletin_id IN (SELECT bulletin_id FROM audit.referrals WHERE bulletin_id IS NOT NULL
                          GROUP BY bulletin_id HAVING count(*) > any_value(seats))
),
counted AS (
    SELECT r.application_number, r.bulletin_id, r.place_kindergarten_id, r."at", r.seq, r.seats,
           count(*) FILTER (WHERE NOT (p.end_event IS NOT NULL AND p.end_event <> 'enrolled' AND p.end_at <= r."at")) AS holding
    FROM r JOIN r AS p ON p.bulletin_id = r.bulletin_id AND (p."at", p.seq) <= (r."at", r.seq)
    GROUP BY ALL
),
first_excess AS (
    SELECT * FROM counted WHERE holding > seats
    QUALIFY row_number() OVER (PARTITION BY bulletin_id ORDER BY "at", seq) = 1
)
SELECT 'overbooked_bulletin' AS type, 'A1' AS rule, f.application_number, f.bulletin_id,
       f.place_kindergarten_id AS kindergarten_id, f."at", f.seq AS event_seq,
       json_object('seats', f.seats, 'referrals_holding_seats', f.holding,
                   'referrals', x.referrals) AS evidence
FROM first_excess AS f
JOIN (SELECT bulletin_id, list({'application_number': application_number, 'at': "at", 'channel': channel}
                               ORDER BY "at", seq) AS referrals
      FROM r GROUP BY bulletin_id) AS x USING (bulletin_id);

-- Offers (notifications) and referrals together, for the checks on their recipient.
CREATE TABLE audit.acts AS
SELECT 'offer' AS act, o.application_number, o.app_id, o."at", o.seq, o.bulletin_id, o.kindergarten_id, 'priority' AS channel,
       o.status_before, o.ownership, o.birth_date, o.min_age_state, o.min_age_private_state_order, o.min_age_mini_centre
FROM audit.offers AS o
UNION ALL
SELECT 'referral', r.application_number, r.app_id, r."at", r.seq, r.bulletin_id, r.place_kindergarten_id, r.channel,
       r.status_before, r.ownership, r.birth_date, r.min_age_state, r.min_age_private_state_order, r.min_age_mini_centre
FROM audit.referrals AS r;

-- E3: an offer or a referral to an application in the stop-list or inactive (recorded
-- status), already notified or referred (an offer) or already holding a referral (a
-- referral); or inside a block the rules impose (audit.blocks, shortest reading).
CREATE TABLE audit.f_blocked_recipient AS
WITH recorded AS (
    SELECT *, 'E3' AS rule, CAST(NULL AS VARCHAR) AS block_rule, CAST(NULL AS TIMESTAMP) AS block_since,
           CAST(NULL AS TIMESTAMP) AS block_until
    FROM audit.acts AS a
    WHERE status_before IN ('stop_list', 'inactive')
       OR (act = 'offer' AND status_before IN ('notified', 'referred')
           AND NOT EXISTS (SELECT 1 FROM audit.offers AS o       -- the same offer logged again
                           WHERE o.app_id = a.app_id AND o.bulletin_id = a.bulletin_id AND o.seq <> a.seq
                             AND (o."at", o.seq) < (a."at", a.seq)))
       OR (act = 'referral' AND status_before = 'referred')
),
derived AS (
    SELECT a.*, b.rule, b.rule AS block_rule, b.starts_latest AS block_since, b.ends_earliest AS block_until
    FROM audit.acts AS a
    JOIN audit.blocks AS b
      ON b.app_id = a.app_id AND b.kind IN ('stop_list', 'inactive')
     AND a."at" > b.starts_latest AND a."at" < b.ends_earliest
    WHERE a.seq NOT IN (SELECT seq FROM recorded)
    QUALIFY row_number() OVER (PARTITION BY a.seq ORDER BY b.cause_at, b.rule, b.ends_earliest) = 1
)
SELECT 'blocked_recipient' AS type, rule, application_number, bulletin_id, kindergarten_id, "at", seq AS event_seq,
       json_object('act', act, 'channel', channel, 'status_before', status_before,
                   'block_rule', block_rule, 'block_since', block_since, 'block_until', block_until) AS evidence,
       act || '.' || CASE WHEN block_rule IS NOT NULL THEN 'block'
                          WHEN status_before IN ('stop_list', 'inactive') THEN status_before
                          ELSE 'already' END AS variant
FROM (SELECT * FROM recorded UNION ALL SELECT * FROM derived);

-- E2: an offer or referral to a child below the minimum age for that kind of kindergarten
-- on the day of it (full years; the age is published, the birth date never).
CREATE TABLE audit.f_underage AS
WITH a AS (
    SELECT *, CASE ownership WHEN 'private_state_order' THEN min_age_private_state_order
                             WHEN 'mini_centre' THEN min_age_mini_centre
                             ELSE min_age_state END AS min_age
    FROM audit.acts
)
SELECT 'underage' AS type, 'E2' AS rule, application_number, bulletin_id, kindergarten_id, "at", seq AS event_seq,
       json_object('act', act, 'channel', channel, 'ownership', coalesce(ownership, 'state'), 'min_age', min_age,
                   'age_years', date_sub('year', birth_date, CAST("at" AS DATE))) AS evidence,
       act AS variant
FROM a
WHERE CAST("at" AS DATE) < birth_date + to_years(min_age);
