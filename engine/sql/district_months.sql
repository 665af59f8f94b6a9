-- Districts month by month (the Districts page): per district of the kindergartens
-- (`kindergartens.district`, '' where the register names none) and calendar month from $first
-- up to $until (the end of the snapshot's day), within $region and $settlement (a locality; NULL: all):
--   places     places announced in the vacancy bulletins of the district's kindergartens
--              that month (published: the bulletins' `seats`)
--   bulletins  those bulletins
--   referrals  referrals issued to the district's kindergartens that month, by every channel
--              (observed: `referral_issued` events; A1-A3 in queue order or free choice, A9 the
--              lawful routes out of it)
--   findings   the audit's findings about the district's kindergartens that month (computed
--              by the rules in force); NULL in a month no ruleset covers in the region, where
--              nothing is judged
-- A kindergarten is the referral's or finding's own, else its bulletin's (as the Audit page
-- places findings). A month with none of them is a row of zeros: a month is never left out.
WITH area AS (
    SELECT kindergarten_id, region, coalesce(locality, region) AS locality, coalesce(district, '') AS district
    FROM kindergartens
    WHERE ($region IS NULL OR region = $region)
      AND ($settlement IS NULL OR coalesce(locality, region) = $settlement)
),
districts AS (SELECT DISTINCT region, locality, district FROM area),
months AS (
    SELECT m AS month, least(m + INTERVAL 1 MONTH, $until) AS month_end
    FROM range($first, $until, INTERVAL 1 MONTH) AS r(m)
),
announced AS (
    SELECT k.region, k.locality, k.district, date_trunc('month', v.announced_at) AS month,
           sum(v.seats) AS places, count(*) AS bulletins
    FROM vacancies AS v JOIN area AS k USING (kindergarten_id)
    WHERE v.announced_at >= $first AND v.announced_at < $until
    GROUP BY ALL
),
referred AS (
    SELECT k.region, k.locality, k.district, date_trunc('month', e."at") AS month, count(*) AS referrals
    FROM events AS e
    LEFT JOIN vacancies AS v ON v.bulletin_id = e.bulletin_id
    JOIN area AS k ON k.kindergarten_id = coalesce(e.kindergarten_id, v.kindergarten_id)
    WHERE e.event = 'referral_issued' AND e."at" >= $first AND e."at" < $until
    GROUP BY ALL
),
found AS (                                                          -- the audit's findings (none without an audit)
    SELECT k.region, k.locality, k.district, date_trunc('month', f."at") AS month, count(*) AS findings
    FROM {findings} AS f
    LEFT JOIN vacancies AS v ON v.bulletin_id = f.bulletin_id
    JOIN area AS k ON k.kindergarten_id = coalesce(f.kindergarten_id, v.kindergarten_id)
    WHERE f."at" >= $first AND f."at" < $until
    GROUP BY ALL
),
judged AS (                                                         -- the months the rules in force cover (audit_rules)
    SELECT DISTINCT r.region, m.month, true AS judged
    FROM {audit_rules} AS r JOIN months AS m ON r.valid_from < m.month_end AND m.month < r.valid_until
)
SELECT region, locality, district, strftime(month, '%Y-%m') AS month,
       CAST(coalesce(a.places, 0) AS BIGINT) AS places,
       coalesce(a.bulletins, 0) AS bulletins,
       coalesce(r.referrals, 0) AS referrals,
       CASE WHEN j.judged THEN coalesce(f.findings, 0) END AS findings
FROM districts AS d CROSS JOIN months AS m
LEFT JOIN announced AS a USING (region, locality, district, month)
LEFT JOIN referred AS r USING (region, locality, district, month)
LEFT JOIN found AS f USING (region, locality, district, month)
LEFT JOIN judged AS j USING (region, month)
ORDER BY region, locality, district, month
