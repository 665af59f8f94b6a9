-- Vacancy bulletins with their segment (Q1: the kindergarten's region and locality, the
-- bulletin's birth year), the rules in force when they were announced, and the priority
-- window (A2) under both readings.
CREATE TABLE audit.bulletins AS
SELECT
    v.bulletin_id, v.kindergarten_id, v.announced_at, v.birth_year, v.language, v.seats,
    k.region, k.locality, k.ownership, s.seg_id,
    r.ruleset, r.choice_window, r.choice_window_unit,
    audit.period_end(v.announced_at, r.choice_window, r.choice_window_unit, 'earliest') AS window_closes_earliest,
    audit.period_end(v.announced_at, r.choice_window, r.choice_window_unit, 'latest') AS window_closes_latest
FROM snap.vacancies AS v
JOIN snap.kindergartens AS k USING (kindergarten_id)
LEFT JOIN audit.segments AS s ON s.region = k.region AND s.locality = k.locality AND s.birth_year = v.birth_year
JOIN audit.rules AS r ON r.region = k.region AND v.announced_at >= r.valid_from AND v.announced_at < r.valid_until;

-- A1: every notification (an offer of a bulletin's place), with what the rules need.
CREATE TABLE audit.offers AS
SELECT
    a.application_number, e.app_id, e."at", e.seq, e.bulletin_id, e.status_before, e.privilege_before,
    b.kindergarten_id, b.ownership, b.announced_at, b.seats, b.seg_id AS b_seg_id, b.language AS b_language,
    a.seg_id, a.language, a.birth_date, a.akey,
    r.choice_window, r.choice_window_unit, r.on_window_missed, r.stop_list_duration, r.stop_list_duration_unit,
    r.min_age_state, r.min_age_private_state_order, r.min_age_mini_centre,
    audit.period_end(e."at", r.choice_window, r.choice_window_unit, 'earliest') AS window_closes_earliest,
    audit.period_end(e."at", r.choice_window, r.choice_window_unit, 'latest') AS window_closes_latest
FROM audit.events AS e
JOIN audit.apps AS a USING (app_id)
LEFT JOIN audit.bulletins AS b USING (bulletin_id)
JOIN audit.rules AS r ON r.region = a.region AND e."at" >= r.valid_from AND e."at" < r.valid_until
WHERE e.event = 'notified';

-- A4: every referral, with its bulletin, the state before it and how it ended: the first
-- later event of the application that leaves the `referred` status or issues a new referral.
CREATE TABLE audit.referrals AS
WITH r AS (
    SELECT e.*, a.application_number, a.birth_date
    FROM audit.events AS e JOIN audit.apps AS a USING (app_id)
    WHERE e.event = 'referral_issued'
),
later AS (
    SELECT r.seq AS referral_seq, x."at", x.seq, x.event, x.status_after
    FROM r JOIN audit.events AS x ON x.app_id = r.app_id AND (x."at", x.seq) > (r."at", r.seq)
),
ending AS (
    SELECT referral_seq, arg_min(event, ("at", seq)) AS end_event, min("at") AS end_at
    FROM later
    WHERE event = 'referral_issued' OR status_after <> 'referred'
    GROUP BY referral_seq
),
marks AS (
    SELECT l.referral_seq,
           min(l."at") FILTER (WHERE l.event = 'privilege_confirmed') AS confirmed_at,
           min(l."at") FILTER (WHERE l.event = 'referral_extended') AS extended_at
    FROM later AS l LEFT JOIN ending AS n USING (referral_seq)
    WHERE n.end_at IS NULL OR l."at" <= n.end_at
    GROUP BY l.referral_seq
)
SELECT
    r.*,
    coalesce(r.kindergarten_id, b.kindergarten_id) AS place_kindergarten_id,
    k.ownership,
    b.kindergarten_id AS b_kindergarten_id, b.announced_at, b.seats,
    b.window_closes_earliest, b.window_closes_latest, b.choice_window, b.choice_window_unit,
    n.end_event, n.end_at, m.confirmed_at, m.extended_at,
    ru.ruleset, ru.referral_valid, ru.referral_valid_unit, ru.extension_max, ru.privilege_confirm_working,
    ru.privilege_confirm_calendar, ru.min_age_state, ru.min_age_private_state_order, ru.min_age_mini_centre
FROM r
JOIN audit.apps AS a USING (app_id)
LEFT JOIN audit.bulletins AS b USING (bulletin_id)
LEFT JOIN snap.kindergartens AS k ON k.kindergarten_id = coalesce(r.kindergarten_id, b.kindergarten_id)
LEFT JOIN ending AS n ON n.referral_seq = r.seq
LEFT JOIN marks AS m ON m.referral_seq = r.seq
JOIN audit.rules AS ru ON ru.region = a.region AND r."at" >= ru.valid_from AND r."at" < ru.valid_until;
