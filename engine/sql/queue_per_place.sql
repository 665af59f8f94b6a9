-- The queue per announced place, per settlement and calendar month from $first up to $until
-- (the end of the snapshot's day), within $region and $settlement (a locality; NULL: all).
-- The queue is kept per region, settlement and birth year (Q1): a district has no queue of
-- its own, so this is the settlement's.
--   waiting            applications numbered (Q2) at the start of the month — the queue the
--                      month's places were announced to (`queue_months`, computed at
--                      publication from the status history: queue_months.sql)
--   places, bulletins  places announced that month in the bulletins of the settlement's
--                      kindergartens (published)
--   waiting_per_place  waiting ÷ places; NULL in a month without places
WITH queue_months AS ({queue_months}),
months AS (SELECT m AS month FROM range($first, $until, INTERVAL 1 MONTH) AS r(m)),
settlements AS (                                                    -- those with applications or kindergartens
    SELECT region, coalesce(locality, region) AS locality FROM applications
    WHERE ($region IS NULL OR region = $region) AND ($settlement IS NULL OR coalesce(locality, region) = $settlement)
    UNION
    SELECT region, coalesce(locality, region) FROM kindergartens
    WHERE ($region IS NULL OR region = $region) AND ($settlement IS NULL OR coalesce(locality, region) = $settlement)
),
announced AS (
    SELECT k.region, coalesce(k.locality, k.region) AS locality, date_trunc('month', v.announced_at) AS month,
           sum(v.seats) AS places, count(*) AS bulletins
    FROM vacancies AS v JOIN kindergartens AS k USING (kindergarten_id)
    WHERE v.announced_at >= $first AND v.announced_at < $until
    GROUP BY ALL
)
SELECT p.region, p.locality, strftime(m.month, '%Y-%m') AS month,
       CAST(coalesce(w.waiting, 0) AS BIGINT) AS waiting,
       CAST(coalesce(a.places, 0) AS BIGINT) AS places,
       coalesce(a.bulletins, 0) AS bulletins,
       CASE WHEN a.places > 0 THEN round(coalesce(w.waiting, 0) / a.places, 1) END AS waiting_per_place
FROM settlements AS p CROSS JOIN months AS m
LEFT JOIN queue_months AS w ON w.region = p.region AND w.locality = p.locality AND w.month = CAST(m.month AS DATE)
LEFT JOIN announced AS a ON a.region = p.region AND a.locality = p.locality AND a.month = m.month
ORDER BY p.region, p.locality, m.month
