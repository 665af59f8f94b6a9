-- Time arithmetic of the rules, in one place. A period "of n <unit> after instant t" ends
-- (exclusive) at `period_end(t, n, unit, reading)`. Where the rule text admits two
-- readings, the audit uses the one that favours the person or office it would accuse:
--   'latest'  : the issue day is not counted (n full working / calendar days after it);
--               used for deadlines someone failed to meet (A2 referral after the window,
--               A4 validity, A5 confirmation, E3 eligibility of those passed over).
--   'earliest': the issue day counts as the first day; used where acting too early is the
--               fault (A3 free choice before the window closed, E3 offers inside a stop-list).
-- Units: working_day (calendar table from the `holidays` calendar of Kazakhstan),
-- calendar_day, hour_of_day (the period closes at that hour, the same day or, after it,
-- the next day).
CREATE MACRO audit.period_end(t, n, unit, reading) AS (
    CASE
        WHEN unit = 'hour_of_day' THEN
            CASE WHEN t <= CAST(t AS DATE) + to_hours(CAST(n AS BIGINT))
                 THEN CAST(t AS DATE) + to_hours(CAST(n AS BIGINT))
                 ELSE CAST(t AS DATE) + INTERVAL 1 DAY + to_hours(CAST(n AS BIGINT)) END
        WHEN unit = 'calendar_day' AND reading = 'earliest' THEN t + to_days(CAST(n AS INTEGER))
        WHEN unit = 'calendar_day' THEN CAST(CAST(t AS DATE) + to_days(CAST(n AS INTEGER) + 1) AS TIMESTAMP)
        ELSE (
            SELECT CAST(w.day + INTERVAL 1 DAY AS TIMESTAMP)
            FROM audit.calendar AS c
            JOIN audit.working_days AS w
              ON w.wd_index = c.wd_index + n - CASE WHEN reading = 'earliest' AND c.working THEN 1 ELSE 0 END
            WHERE c.day = CAST(t AS DATE))
    END
);

-- Q2 and Q3 (is_numbered, q3_block, q3_merge_key) are the snapshot's own macros
-- (engine/sql/macros.sql): the audit numbers a queue as the publication does.
