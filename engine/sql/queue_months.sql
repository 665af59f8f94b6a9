-- The queue at the start of every month, per settlement: the applications numbered (Q2) at
-- the first instant of the month, from the month after the first registration up to the
-- month of $until (the end of the snapshot's day). The queue is kept per region, settlement
-- and birth year (Q1); this sums a settlement's birth years. Read by the Districts page
-- (queue_per_place.sql): the places a month's bulletins announce go to the queue as it stood
-- when the month began; its own referrals shorten it by the month's end.
WITH spans AS ({spans}),
steps AS (                 -- a numbered span counts from the first month that starts after it
    SELECT region, coalesce(locality, region) AS locality,  -- starts, until the first that starts after it ends
           date_trunc('month', s) + INTERVAL 1 MONTH AS month, 1 AS step
    FROM spans WHERE list IS NOT NULL
    UNION ALL
    SELECT region, coalesce(locality, region), date_trunc('month', u) + INTERVAL 1 MONTH, -1
    FROM spans WHERE list IS NOT NULL AND u IS NOT NULL
),
monthly_steps AS (SELECT region, locality, month, sum(step) AS step FROM steps WHERE month < $until GROUP BY ALL),
settlements AS (SELECT region, locality, min(month) AS first_month FROM monthly_steps GROUP BY ALL),
months AS (
    SELECT m AS month
    FROM range((SELECT min(first_month) FROM settlements), $until, INTERVAL 1 MONTH) AS r(m)
)
SELECT p.region, p.locality, CAST(m.month AS DATE) AS month,
       CAST(sum(coalesce(st.step, 0)) OVER (PARTITION BY p.region, p.locality ORDER BY m.month) AS BIGINT) AS waiting
FROM settlements AS p
JOIN months AS m ON m.month >= p.first_month
LEFT JOIN monthly_steps AS st ON st.region = p.region AND st.locality = p.locality AND st.month = m.month
