-- What each application's status rests on at the end of a day (engine/status_detail.py), for
-- the applications of {states} (application_number, status: the status at that day), from
-- their events before $until: the run of status-bearing events that put the application in
-- its status and kept it there (no event of another status after them), its first event, the
-- event that opened the period a rule counts (a later notification or referral starts it
-- again: A2, A4, E3), the last extension (A4: once), the kindergarten named (a referral's or an
-- enrolment's, else the notified bulletin's) and the annulments so far (A4). Without events,
-- the register's `status_at` says since when the status holds (state_at.sql). For one
-- application ($n), the events and the register are read where it is ({and_only_events},
-- {where_only}): a few blocks, not a join over every application.
WITH s AS ({states}),
e AS (
    SELECT e.application_number, e."at", e.event, e.bulletin_id, e.kindergarten_id,
           epoch_us(e."at")::HUGEINT * 4294967296 + e.seq AS place,  -- (at, seq) as one number (state_at.sql)
           e.status_after <> s.status AS other
    FROM events AS e
    JOIN s USING (application_number)
    WHERE e."at" < $until AND e.status_after IS NOT NULL {and_only_events}
),
run AS (                                                            -- the run starts after the last event
    SELECT application_number, max(place) FILTER (WHERE other) AS after  -- of another status
    FROM e GROUP BY application_number
),
f AS (
    SELECT
        application_number,
        min("at") FILTER (WHERE current) AS since,
        arg_min(event, place) FILTER (WHERE current) AS event,
        max("at") FILTER (WHERE current AND event IN ('notified', 'referral_issued', 'stop_listed',
                                                      'referral_annulled', 'deactivated')) AS opened_at,
        max("at") FILTER (WHERE current AND event = 'referral_extended') AS extended_at,
        arg_max(kindergarten_id, place) FILTER (WHERE current AND kindergarten_id IS NOT NULL) AS kindergarten_id,
        arg_max(bulletin_id, place) FILTER (WHERE current AND bulletin_id IS NOT NULL) AS bulletin_id,
        count(*) FILTER (WHERE event = 'referral_annulled') AS annulments
    FROM (SELECT e.*, r.after IS NULL OR e.place > r.after AS current FROM e JOIN run AS r USING (application_number))
    GROUP BY application_number
)
SELECT
    s.application_number,
    coalesce(f.since, CASE WHEN a.status = s.status AND a.status_at < $until THEN a.status_at END)::TIMESTAMP AS since,
    f.event, f.opened_at, f.extended_at,
    -- the kindergarten as the register has it; one the register lacks: its id as the event named it
    CASE WHEN k.kindergarten_id IS NOT NULL THEN k.kindergarten_id ELSE f.kindergarten_id END AS kindergarten_id,
    k.name_kk, k.name_ru,
    coalesce(f.annulments, 0) AS annulments
FROM s
JOIN applications AS a USING (application_number)
LEFT JOIN f USING (application_number)
LEFT JOIN vacancies AS v ON f.kindergarten_id IS NULL AND v.bulletin_id = f.bulletin_id
LEFT JOIN kindergartens AS k ON k.kindergarten_id = coalesce(f.kindergarten_id, v.kindergarten_id)
{where_only}
