-- One application's queue numbers at the end of every day from $first to $last, and the
-- causes of each day's change (rules Q1-Q4; engine/history.py explains the arithmetic).
--
-- Parameters: $number (the application), $region, $locality, $birth_year (its segment, Q1),
-- $registered_at (its place in each list, with $number as the tie-break), $first, $last.
-- Q3's ratio on each day is the one in force in the region at its end (numbering_rules).
WITH spans AS ({spans}),
-- The application's own registration times: $registered_at, and in a series the earlier ones
-- a later list changed. The counts ahead are kept for each (`own_key`); a day reads those of
-- the time in force at its end.
own_keys AS (
    SELECT DISTINCT registered_at AS own_key FROM spans WHERE application_number = $number
    UNION SELECT CAST($registered_at AS TIMESTAMP)
),
-- A span counts at the end of day d when date(s) <= d < date(u): +1 on date(s), -1 on date(u).
placed_spans AS (                                                   -- Q3: each list in registration order
    SELECT s.*, k.own_key, (s.registered_at, s.application_number) < (k.own_key, $number) AS ahead
    FROM spans AS s CROSS JOIN own_keys AS k WHERE s.list IS NOT NULL
),
steps AS (
    SELECT application_number, own_key, ahead, list, CAST(s AS DATE) AS day, 1 AS delta, start_event AS cause
    FROM placed_spans
    UNION ALL
    SELECT application_number, own_key, ahead, list, CAST(u AS DATE), -1, end_event
    FROM placed_spans WHERE u IS NOT NULL
),
days AS (
    SELECT CAST(d AS DATE) AS day FROM range($first - INTERVAL 1 DAY, $last + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
),
own AS (                                                            -- the application's own list each day,
    SELECT d.day, max(s.list) AS list,                              -- and its registration time then
           coalesce(arg_max(s.registered_at, s.s), CAST($registered_at AS TIMESTAMP)) AS own_key
    FROM days AS d
    LEFT JOIN spans AS s
      ON s.application_number = $number AND s.list IS NOT NULL
     AND CAST(s.s AS DATE) <= d.day AND (s.u IS NULL OR d.day < CAST(s.u AS DATE))
    GROUP BY d.day
),
others AS (SELECT * FROM steps WHERE application_number <> $number),
daily AS (                                                          -- earlier steps fold into the first day
    SELECT greatest(day, CAST($first - INTERVAL 1 DAY AS DATE)) AS day, own_key,
           sum(delta) FILTER (WHERE list = 'extraordinary') AS ext_all,
           sum(delta) FILTER (WHERE list = 'extraordinary' AND ahead) AS ext_ahead,
           sum(delta) FILTER (WHERE list = 'first') AS first_all,
           sum(delta) FILTER (WHERE list = 'first' AND ahead) AS first_ahead,
           sum(delta) FILTER (WHERE list = 'none') AS none_all,
           sum(delta) FILTER (WHERE list = 'none' AND ahead) AS none_ahead
    FROM others
    WHERE day <= $last
    GROUP BY 1, 2
),
counters AS (                                                       -- the lists at the end of each day
    SELECT d.day, k.own_key,
           sum(ext_all) OVER w AS ext_all, sum(ext_ahead) OVER w AS ext_ahead,
           sum(first_all) OVER w AS first_all, sum(first_ahead) OVER w AS first_ahead,
           sum(none_all) OVER w AS none_all, sum(none_ahead) OVER w AS none_ahead
    FROM days AS d CROSS JOIN own_keys AS k LEFT JOIN daily AS y ON y.day = d.day AND y.own_key = k.own_key
    WINDOW w AS (PARTITION BY k.own_key ORDER BY d.day ROWS UNBOUNDED PRECEDING)
),
numbers AS (                                                        -- Q3/Q4 from the counters
    SELECT c.day, own.list, own.own_key,
           coalesce(ext_all, 0) AS ext_all, coalesce(ext_ahead, 0) AS ext_ahead,
           CASE own.list WHEN 'first' THEN coalesce(first_ahead, 0) + 1
                         WHEN 'none' THEN coalesce(none_ahead, 0) + 1 END AS rank,     -- own list rank
           CASE own.list WHEN 'first' THEN coalesce(none_all, 0)
                         WHEN 'none' THEN coalesce(first_all, 0) END AS other_all
    FROM counters AS c JOIN own USING (day, own_key)
),
placed AS (
    SELECT n.*,
           -- Q3: the other list's places before the rank-th of one's own list: its merge key
           -- less the places of its own list before it
           CASE WHEN n.list IN ('first', 'none')
                THEN q3_merge_key(n.list, n.rank, r.ratio_first, r.ratio_general, r.starts_first) - (n.rank - 1)
           END AS slots
    FROM numbers AS n
    LEFT JOIN numbering_rules AS r                                  -- the ratio in force at the day's end
      ON r.region = $region AND r.valid_from < n.day + INTERVAL 1 DAY AND n.day + INTERVAL 1 DAY <= r.valid_until
),
numbered AS (
    SELECT *,
           CASE WHEN list = 'extraordinary' THEN ext_ahead + 1
                WHEN list IS NOT NULL THEN ext_all + rank + least(other_all, slots) END AS queue_number,
           CASE list WHEN 'extraordinary' THEN ext_ahead + 1
                     WHEN 'first' THEN ext_all + rank ELSE 0 END AS privileged_queue_number
    FROM placed
),
changes AS (                                                        -- each day beside the day before
    SELECT n.*, lag(list) OVER w AS list_before, lag(own_key) OVER w AS own_key_before,
           lag(queue_number) OVER w AS number_before,
           lag(rank) OVER w AS rank_before, lag(other_all) OVER w AS other_before, lag(slots) OVER w AS slots_before
    FROM numbered AS n
    WINDOW w AS (ORDER BY day)
),
-- The other list at the place one held the day before (X1) and the move of that place (X2).
interleaving AS (
    SELECT day,
           least(other_all, slots_before) - least(other_before, slots_before) AS x1,
           least(other_all, slots) - least(other_all, slots_before) AS x2,
           other_all - other_before AS other_change
    FROM changes
    WHERE list = list_before AND own_key = own_key_before AND list <> 'extraordinary'
),
labelled AS (                                                       -- which steps of a day moved the number
    SELECT c.day, o.cause, sum(o.delta) AS n
    FROM changes AS c
    JOIN others AS o ON o.day = c.day AND o.own_key = c.own_key
    LEFT JOIN interleaving AS i ON i.day = c.day
    WHERE c.list = c.list_before AND c.own_key = c.own_key_before
      AND (   (o.list = 'extraordinary' AND (c.list <> 'extraordinary' OR o.ahead))   -- Q3: E before all
           OR (o.list = c.list AND o.ahead AND c.list <> 'extraordinary')            -- own list, ahead
           OR (o.list IN ('first', 'none') AND o.list <> c.list AND c.list <> 'extraordinary'
               AND i.x1 = i.other_change))                                            -- other list, all ahead
    GROUP BY ALL
    UNION ALL
    SELECT day, 'interleaving', x1 FROM interleaving WHERE x1 <> other_change
    UNION ALL
    SELECT day, 'interleaving', x2 FROM interleaving
    UNION ALL                                                       -- one's own privilege changed
    SELECT day, 'own_privilege', queue_number - number_before FROM changes
    WHERE list <> list_before
    UNION ALL                                                       -- a series: one's own registration time
    SELECT day, 'own_registration', queue_number - number_before FROM changes
    WHERE list = list_before AND own_key <> own_key_before
)
SELECT c.day, c.queue_number, CASE WHEN c.list IS NULL THEN NULL ELSE c.privileged_queue_number END AS privileged_queue_number,
       coalesce(c.queue_number - c.number_before, 0) AS change,
       c.list IS DISTINCT FROM c.list_before AND (c.list IS NULL OR c.list_before IS NULL) AS entered_or_left,
       coalesce((SELECT map_from_entries(list((l.cause, l.n) ORDER BY l.cause))
                 FROM (SELECT cause, sum(n) AS n FROM labelled AS l WHERE l.day = c.day GROUP BY cause) AS l
                 WHERE l.n <> 0), MAP {}) AS causes
FROM changes AS c
WHERE c.day >= $first
ORDER BY c.day
