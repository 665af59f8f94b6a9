-- Queue numbers of every numbered application in `state` (rules Q1–Q4) at the instant
-- $until: Q3's ratio and the list a cycle starts with are those the ruleset in force in the
-- application's region gives just before $until (the table `numbering_rules`, made from the
-- rulesets at publication); the merge itself is the macro q3_merge_key (macros.sql).
WITH numbered AS (                                                 -- Q2
    SELECT s.*, r.ratio_first, r.ratio_general, r.starts_first
    FROM state AS s
    JOIN numbering_rules AS r                                      -- Q3: the ratio in force there
      ON r.region = s.region AND r.valid_from < $until AND $until <= r.valid_until
    WHERE is_numbered(s.status)
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
        q3_block(privilege) AS block,
        q3_merge_key(privilege, list_rank, ratio_first, ratio_general, starts_first) AS merge_key
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
