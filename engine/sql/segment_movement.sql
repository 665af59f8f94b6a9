-- How each queue moved, week by week (weeks named by their Monday; the last one ends at
-- $until, the end of the snapshot's day). Per segment (Q1: region, locality, birth year):
--   queue_length           numbered applications at the end of the week (Q2, as state_at.sql)
--   new_applications       registered that week
--   privileged_insertions  registered with a privilege, or granted one, that week (Q3 puts them ahead)
--   notifications          offers of a place (A1)
--   referrals_*            referrals by channel (A1-A3, A6, A9)
--   enrolments             children enrolled (A8)
--   departures             left without a place: withdrawn, removed, aged out or deactivated (Q5)
--   front_registered_at    the latest registration among the applications referred in queue
--                          order (channel priority) that week: how far the front has reached
WITH spans AS ({spans}),
weeks AS (
    SELECT CAST(w AS DATE) AS week
    FROM range(CAST(date_trunc('week', (SELECT min(registered_at) FROM applications)) AS TIMESTAMP),
               $until, INTERVAL 7 DAY) AS r(w)
),
segments AS (
    SELECT region, locality, birth_year, CAST(date_trunc('week', min(registered_at)) AS DATE) AS first_week
    FROM applications GROUP BY ALL
),
steps AS (                                                          -- Q2: +1 the week a span starts, -1 the week it ends
    SELECT region, locality, birth_year, CAST(date_trunc('week', s) AS DATE) AS week, 1 AS step
    FROM spans WHERE list IS NOT NULL
    UNION ALL
    SELECT region, locality, birth_year, CAST(date_trunc('week', u) AS DATE), -1
    FROM spans WHERE list IS NOT NULL AND u IS NOT NULL AND u < $until
),
length_steps AS (SELECT region, locality, birth_year, week, sum(step) AS step FROM steps GROUP BY ALL),
happened AS (
    SELECT a.region, a.locality, a.birth_year, CAST(date_trunc('week', a.registered_at) AS DATE) AS week,
           'new_applications' AS kind, NULL AS registered_at
    FROM applications AS a
    UNION ALL
    SELECT a.region, a.locality, a.birth_year, CAST(date_trunc('week', e."at") AS DATE),
           CASE WHEN e.event = 'notified' THEN 'notifications'
                WHEN e.event = 'enrolled' THEN 'enrolments'
                WHEN e.event = 'referral_issued' THEN 'referrals_' || coalesce(e.channel, 'priority')
                WHEN e.event IN ('withdrawn', 'removed', 'aged_out', 'deactivated') THEN 'departures'
                ELSE 'privileged_insertions' END,
           CASE WHEN e.event = 'referral_issued' AND coalesce(e.channel, 'priority') = 'priority' THEN a.registered_at END
    FROM events AS e JOIN applications AS a USING (application_number)
    WHERE e."at" < $until
      AND (e.event IN ('notified', 'enrolled', 'referral_issued', 'withdrawn', 'removed', 'aged_out', 'deactivated')
           OR (e.event IN ('registered', 'privilege_changed') AND e.privilege IN ('first', 'extraordinary')))
),
flows AS (
    SELECT region, locality, birth_year, week,
           count(*) FILTER (WHERE kind = 'new_applications') AS new_applications,
           count(*) FILTER (WHERE kind = 'privileged_insertions') AS privileged_insertions,
           count(*) FILTER (WHERE kind = 'notifications') AS notifications,
           count(*) FILTER (WHERE kind = 'referrals_priority') AS referrals_priority,
           count(*) FILTER (WHERE kind = 'referrals_free_choice') AS referrals_free_choice,
           count(*) FILTER (WHERE kind = 'referrals_staff_child') AS referrals_staff_child,
           count(*) FILTER (WHERE kind = 'referrals_private_state_order') AS referrals_private_state_order,
           count(*) FILTER (WHERE kind = 'enrolments') AS enrolments,
           count(*) FILTER (WHERE kind = 'departures') AS departures,
           max(registered_at) AS front_registered_at
    FROM happened GROUP BY ALL
)
SELECT s.region, s.locality, s.birth_year, w.week,
       CAST(sum(coalesce(l.step, 0)) OVER (PARTITION BY s.region, s.locality, s.birth_year ORDER BY w.week) AS BIGINT)
           AS queue_length,
       coalesce(f.new_applications, 0) AS new_applications,
       coalesce(f.privileged_insertions, 0) AS privileged_insertions,
       coalesce(f.notifications, 0) AS notifications,
       coalesce(f.referrals_priority, 0) AS referrals_priority,
       coalesce(f.referrals_free_choice, 0) AS referrals_free_choice,
       coalesce(f.referrals_staff_child, 0) AS referrals_staff_child,
       coalesce(f.referrals_private_state_order, 0) AS referrals_private_state_order,
       coalesce(f.enrolments, 0) AS enrolments,
       coalesce(f.departures, 0) AS departures,
       f.front_registered_at
FROM segments AS s
JOIN weeks AS w ON w.week >= s.first_week
LEFT JOIN length_steps AS l USING (region, locality, birth_year, week)
LEFT JOIN flows AS f USING (region, locality, birth_year, week)
