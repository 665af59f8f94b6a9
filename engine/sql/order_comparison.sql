-- Descriptive, never a finding (open-data-format.md 1.1, Rules per region): for each queue a
-- city published (`positions` on the latest day it published that queue), how closely the
-- published order follows simple orders. Where the rules of a region are not known, these
-- figures stand where findings would: facts and comparisons, not accusations.
--
-- A queue is a kindergarten's own (`queue_id`) or, without one, the segment's (Q1). The
-- orders compared: application time; privilege class (extraordinary, first, none), then
-- application time; privilege class, then age (the older child first). For each:
--   rank_correlation      Spearman's: 1 the same order, 0 unrelated, -1 reversed
--   consecutive_in_order  the share of consecutive published places where the one ahead also
--                         comes first by that order
-- `{birth}` gives each application's birth date (read at publication; only the year is kept).
WITH published AS (
    SELECT coalesce(p.queue_id, a.region || ' / ' || coalesce(a.locality, a.region) || ' / ' || a.birth_year) AS queue,
           a.region, p.as_of, p.application_number, p.queue_number,
           a.registered_at, a.privilege, b.birth_date
    FROM positions AS p
    JOIN applications AS a USING (application_number)
    LEFT JOIN {birth} AS b USING (application_number)
),
latest AS (
    SELECT * FROM published
    QUALIFY as_of = max(as_of) OVER (PARTITION BY queue)
),
ranked AS (
    SELECT queue, region, as_of, application_number,
           row_number() OVER (PARTITION BY queue ORDER BY queue_number, application_number) AS published_rank,
           row_number() OVER (PARTITION BY queue ORDER BY registered_at, application_number) AS application_time,
           row_number() OVER (PARTITION BY queue ORDER BY
               CASE privilege WHEN 'extraordinary' THEN 0 WHEN 'first' THEN 1 ELSE 2 END,
               registered_at, application_number) AS privilege_then_application_time,
           row_number() OVER (PARTITION BY queue ORDER BY
               CASE privilege WHEN 'extraordinary' THEN 0 WHEN 'first' THEN 1 ELSE 2 END,
               birth_date NULLS LAST, registered_at, application_number) AS privilege_then_age
    FROM latest
),
long AS (
    UNPIVOT ranked
    ON application_time, privilege_then_application_time, privilege_then_age
    INTO NAME order_name VALUE order_rank
),
stepped AS (                                                      -- each place beside the one ahead
    SELECT *, lag(order_rank) OVER (PARTITION BY queue, order_name ORDER BY published_rank) AS rank_ahead
    FROM long
)
SELECT region, queue, as_of, order_name, count(*) AS applications,
       -- undefined (empty, not NaN) for a queue of one, where there is no order to compare
       round(CASE WHEN NOT isnan(corr(published_rank, order_rank)) THEN corr(published_rank, order_rank) END, 4)
           AS rank_correlation,
       round(avg(CASE WHEN rank_ahead IS NOT NULL THEN CAST(rank_ahead < order_rank AS INTEGER) END), 4)
           AS consecutive_in_order
FROM stepped
GROUP BY region, queue, as_of, order_name
ORDER BY region, queue, order_name
