-- When is a queue number likely reached? A simulation over the segment movement
-- (segment_movement.sql), for the targets (the query put in place of the targets CTE):
--   target, region, locality, birth_year,
--   waiting      applications ahead still waiting for an offer, plus the application itself
--   share_ahead  the share of the segment's queue that stands ahead (queue_number / segment_size)
--   general      true for a general application: privileged insertions land ahead of it (Q3)
--
-- The assumption, in words: next year a cohort gets what the cohort one year older got in
-- the same week of the last year (age and season together: places are released per birth
-- year, mostly in spring and summer); in two years what the cohort two years older got;
-- and so on. Each week of a simulated path the application moves forward by
--   offers in queue order (A1)                                      × the year's volume factor
-- + referrals out of order and departures (A3, A6, A9, Q5) × share_ahead × the year's volume factor
-- − privileged registrations and grants (Q3), for a general application only.
-- Each path and year ahead draws a volume factor (log-normal, mean 1, spread $sigma: how
-- much the places released vary from year to year) and a timing shift of up to $shift
-- weeks (bulletins come earlier or later). No older cohort in a week the data cover: no
-- places at that age (the children have aged out). A week the data do not cover (history shorter
-- than a year) takes the recent pace (the average of the last $recent weeks) of the cohort
-- that is now the age the target will have: its own pace in the first year ahead, the
-- pace of the cohort one year older in the second, and so on; such weeks are less certain
-- and draw their volume factor with the larger spread $sigma_unseen. Random draws are hashes of
-- (path, year ahead, $seed): the same data give the same forecast.
--
-- Parameters: $history_until (Monday; weeks before it are the history; the first simulated
-- week is the one after the publication's day), $first_allocation_week (the first week the data record
-- allocations at all: engine/forecast.py, first_allocation_week), $paths, $weeks (the
-- horizon), $sigma, $sigma_unseen, $shift, $recent, $seed.
WITH targets AS MATERIALIZED ({targets}),
offer_event AS (                         -- data with a notification step count offers, else referrals
    SELECT coalesce(sum(notifications), 0) > 0 AS notified FROM segment_movement
),
history AS (
    SELECT m.region, m.locality, m.birth_year, m.week,
           CASE WHEN o.notified THEN m.notifications ELSE m.referrals_priority END AS offers,
           m.referrals_free_choice + m.referrals_staff_child + m.referrals_private_state_order
               + m.departures AS leavers,
           m.privileged_insertions AS insertions
    FROM segment_movement AS m, offer_event AS o
    WHERE m.week >= $first_allocation_week AND m.week < $history_until
),
average AS (                             -- a cohort's average week over the last $recent observed weeks
    SELECT region, locality, birth_year, avg(offers) AS offers, avg(leavers) AS leavers,
           avg(insertions) AS insertions
    FROM history WHERE week >= $history_until - INTERVAL 7 DAY * $recent GROUP BY ALL
),
segments AS (SELECT DISTINCT region, locality, birth_year FROM targets),
draws AS (                               -- per path and year ahead: volume factor, timing shift
    SELECT path, year_ahead,
           exp($sigma * z - $sigma * $sigma / 2) AS factor,
           exp($sigma_unseen * z - $sigma_unseen * $sigma_unseen / 2) AS factor_unseen,
           CAST(floor(u3 * (2 * $shift + 1)) AS INTEGER) - $shift AS shift
    FROM (
        SELECT p.path, y.year_ahead,
               (hash(p.path, y.year_ahead, $seed, 'volume') % 1000000 + 0.5) / 1000000 AS u1,
               (hash(p.path, y.year_ahead, $seed, 'angle') % 1000000 + 0.5) / 1000000 AS u2,
               (hash(p.path, y.year_ahead, $seed, 'timing') % 1000000 + 0.5) / 1000000 AS u3
        FROM range($paths) AS p(path), range(1, CAST(ceil($weeks / 52) AS BIGINT) + 1) AS y(year_ahead)
    ), LATERAL (SELECT sqrt(-2 * ln(u1)) * cos(2 * pi() * u2) AS z)   -- a standard normal draw
),
steps AS (                               -- every simulated week of every path
    SELECT s.region, s.locality, s.birth_year, d.path, j.j, d.year_ahead, d.factor, d.factor_unseen,
           -- the analog week: the same week of the last year, shifted, kept within that year
           CAST($history_until - INTERVAL 364 DAY
                + INTERVAL 7 DAY * ((j.j - 1 + d.shift + 520) % 52) AS DATE) AS analog_week
    FROM segments AS s, range(1, $weeks + 1) AS j(j)
    JOIN draws AS d ON d.year_ahead = CAST(ceil(j.j / 52) AS BIGINT)
),
moves AS (                               -- what each simulated week moves, before any total
    -- (the backtest reads these and sums them itself: engine/forecast_paths.py, simulate_segments)
    SELECT st.region, st.locality, st.birth_year, st.path, st.j,
           CASE WHEN st.seen THEN st.factor * coalesce(h.offers, 0)
                ELSE st.factor_unseen * coalesce(a.offers, 0) END AS offers,
           CASE WHEN st.seen THEN st.factor * coalesce(h.leavers, 0)
                ELSE st.factor_unseen * coalesce(a.leavers, 0) END AS leavers,
           CASE WHEN st.seen THEN coalesce(h.insertions, 0) ELSE coalesce(a.insertions, 0) END AS insertions
    FROM (SELECT *, coalesce(analog_week >= $first_allocation_week, false) AS seen FROM steps) AS st
    LEFT JOIN average AS a                -- its recent pace is the pace at the age the target has then
           ON a.region = st.region AND a.locality IS NOT DISTINCT FROM st.locality
          AND a.birth_year = st.birth_year - st.year_ahead + 1
    LEFT JOIN history AS h                -- the cohort year_ahead years older, a year_ahead years ago (Q1)
           ON h.region = st.region AND h.locality IS NOT DISTINCT FROM st.locality AND h.birth_year = st.birth_year - st.year_ahead
          AND h.week = st.analog_week
),
paths AS MATERIALIZED (                  -- running totals along each path (read twice)
    SELECT region, locality, birth_year, path, j,
           sum(offers) OVER w AS offers, sum(leavers) OVER w AS leavers, sum(insertions) OVER w AS insertions
    FROM moves
    WINDOW w AS (PARTITION BY region, locality, birth_year, path ORDER BY j)
),
reached AS (                             -- the first simulated week in which the number is reached
    SELECT t.target, p.path,
           min(p.j) FILTER (WHERE p.offers + t.share_ahead * p.leavers
                                  - CASE WHEN t.general THEN p.insertions ELSE 0 END >= t.waiting) AS j
    FROM targets AS t
    JOIN paths AS p ON p.region = t.region AND p.locality IS NOT DISTINCT FROM t.locality
                   AND p.birth_year = t.birth_year
    GROUP BY ALL
),
yearly AS (                              -- the assumptions, as expected totals over the next 52 weeks
    SELECT region, locality, birth_year, avg(offers) AS offers, avg(leavers) AS leavers,
           avg(insertions) AS insertions
    FROM paths WHERE j = least(52, $weeks) GROUP BY ALL
)
-- answer: for each target, the weeks by which 10, 50 and 90 % of the paths have reached it
-- (engine/forecast_paths.py answers from the paths themselves, held per segment, instead)
SELECT t.target, t.waiting,
       quantile_disc(coalesce(r.j, $weeks + 1), 0.1) AS j10,
       quantile_disc(coalesce(r.j, $weeks + 1), 0.5) AS j50,
       quantile_disc(coalesce(r.j, $weeks + 1), 0.9) AS j90,
       any_value(y.offers) AS offers_next_year,
       any_value(y.leavers * t.share_ahead) AS leavers_ahead_next_year,
       any_value(CASE WHEN t.general THEN y.insertions ELSE 0 END) AS insertions_ahead_next_year
FROM targets AS t
JOIN reached AS r USING (target)
JOIN yearly AS y ON y.region = t.region AND y.locality IS NOT DISTINCT FROM t.locality
                 AND y.birth_year = t.birth_year
GROUP BY t.target, t.waiting
ORDER BY t.target
