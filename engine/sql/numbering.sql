-- Queue numbers of every numbered application in `state` (rules Q1–Q4) at the instant
-- $until: Q3's ratio and the list a cycle starts with are those the ruleset in force in the
-- application's region gives just before $until (the table `numbering_rules`, made from the
-- rulesets at publication).
--
-- Q3's merge (the macro q3_merge_key, macros.sql) keeps each list in its own order, so the
-- merged list needs no second sort: an application's place is its rank in its list plus how
-- many of each other list come before it. One sort, the ranks within the lists, serves every
-- number. The counts of each list ahead (`ahead_*`) are kept too: a lookup says who stands
-- ahead.
WITH ranked AS (                                                   -- Q2, Q3: each list in its own order
    SELECT
        *,
        row_number() OVER (
            PARTITION BY region, locality, birth_year, privilege   -- Q1 segment
            ORDER BY registered_at, application_number
        ) AS list_rank
    FROM state
    WHERE is_numbered(status)
),
lists AS (                                                         -- Q3: each list's length, and the ratio
    SELECT l.*, r.ratio_first, r.ratio_general, r.starts_first
    FROM (
        SELECT region, locality, birth_year,
               count(*) FILTER (WHERE privilege = 'extraordinary') AS extraordinary,
               count(*) FILTER (WHERE privilege = 'first') AS "first",
               count(*) FILTER (WHERE privilege = 'none') AS "none"
        FROM state
        WHERE is_numbered(status)
        GROUP BY region, locality, birth_year
    ) AS l
    JOIN numbering_rules AS r                                      -- Q3: the ratio in force there
      ON r.region = l.region AND r.valid_from < $until AND $until <= r.valid_until
),
merged AS (                                                        -- Q3: E first, then P,G,G,G …
    -- How many of the other list (G for a P, P for a G) come before rank r of a list in the
    -- merge of q3_merge_key, cycles of ratio_first P and ratio_general G: the cycles before
    -- r's are complete, and in r's own cycle the other list comes first unless r's list
    -- starts the cycle. Once the other list is exhausted this list goes on alone: at most
    -- the other list's length.
    SELECT
        r.*, l.extraordinary, l."first", l."none", l.extraordinary + l."first" + l."none" AS segment_size,
        CASE r.privilege
            WHEN 'first' THEN least(l."none", ((r.list_rank - 1) // l.ratio_first
                                               + CASE WHEN l.starts_first THEN 0 ELSE 1 END) * l.ratio_general)
            WHEN 'none' THEN least(l."first", ((r.list_rank - 1) // l.ratio_general
                                               + CASE WHEN l.starts_first THEN 1 ELSE 0 END) * l.ratio_first)
        END AS other_list_ahead
    FROM ranked AS r
    JOIN lists AS l USING (region, locality, birth_year)
),
ahead AS (                                                         -- Q4: who stands ahead, by list
    SELECT
        *,
        CASE WHEN privilege = 'extraordinary' THEN list_rank - 1 ELSE extraordinary END AS ahead_extraordinary,
        CASE privilege WHEN 'extraordinary' THEN 0 WHEN 'first' THEN list_rank - 1 ELSE other_list_ahead END
            AS ahead_first,
        CASE privilege WHEN 'extraordinary' THEN 0 WHEN 'first' THEN other_list_ahead ELSE list_rank - 1 END
            AS ahead_none
    FROM merged
)
SELECT
    application_number,
    region,
    locality,
    birth_year,
    registered_at,
    privilege,
    status,
    ahead_extraordinary + ahead_first + ahead_none + 1 AS queue_number,           -- Q4
    CASE WHEN privilege = 'none' THEN 0
         ELSE ahead_extraordinary + ahead_first + 1 END AS privileged_queue_number, -- Q4
    segment_size,
    ahead_extraordinary,
    ahead_first,
    ahead_none
FROM ahead
