-- Queue numbers of every numbered application in `state` (rules Q1–Q4).
-- Parameters of Q3's interleaving: $first_per_cycle first-priority applications, then
-- $general_per_cycle general ones (1 : 3), the cycle starting with first-priority when
-- $starts_with_first.
WITH numbered AS (                                                 -- Q2
    SELECT *
    FROM state
    WHERE status IN {numbered_statuses}
),
ranked AS (                                                        -- Q3: each list in its own order
    SELECT
        *,
        row_number() OVER (
            PARTITION BY region, locality, birth_year, privilege   -- Q1 segment
            ORDER BY registered_at, application_number
        ) AS list_rank
    FROM numbered
),
keyed AS (                                                         -- Q3: E first, then P,G,G,G …
    SELECT
        *,
        CASE WHEN privilege = 'extraordinary' THEN 0 ELSE 1 END AS block,
        CASE privilege
            WHEN 'extraordinary' THEN list_rank
            WHEN 'first' THEN
                (list_rank - 1) // $first_per_cycle * ($first_per_cycle + $general_per_cycle)
                + (list_rank - 1) % $first_per_cycle
                + CASE WHEN $starts_with_first THEN 0 ELSE $general_per_cycle END
            ELSE
                (list_rank - 1) // $general_per_cycle * ($first_per_cycle + $general_per_cycle)
                + (list_rank - 1) % $general_per_cycle
                + CASE WHEN $starts_with_first THEN $first_per_cycle ELSE 0 END
        END AS merge_key                                            -- unique within a block
    FROM ranked
)
SELECT
    application_number,
    region,
    locality,
    birth_year,
    registered_at,
    privilege,
    status,
    row_number() OVER segment_order AS queue_number,               -- Q4
    CASE WHEN privilege = 'none' THEN 0
         ELSE row_number() OVER (
             PARTITION BY region, locality, birth_year, privilege <> 'none'
             ORDER BY block, merge_key)
    END AS privileged_queue_number,                                -- Q4
    count(*) OVER (PARTITION BY region, locality, birth_year) AS segment_size
FROM keyed
WINDOW segment_order AS (PARTITION BY region, locality, birth_year ORDER BY block, merge_key)
