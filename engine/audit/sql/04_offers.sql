-- A1 / Q3 / E1-E3 / A7: were the offers of each bulletin made in queue order?
--
-- An offer group is the notifications of one bulletin of a state kindergarten made at one
-- instant t. They are judged against the queue just before t. An application y is
-- "passed over" by the offer to x when, just before t, y was eligible for the bulletin
-- (E1 segment and language, E2 age, E3 status `queued` and no block of audit.blocks),
-- its state did not change at t (so it got no offer then, for this or another bulletin),
-- it was never offered this bulletin (notifications logged one by one, seconds apart,
-- are one round), and y stood ahead of x in the Q3 order of the segment. An offered
-- application that was not numbered in the segment, or whose language did not match,
-- stands behind all.
--
-- To stay set-based and small at national scale, the replay does not number whole
-- segments for every bulletin. For each group and privilege list it finds the first
-- application passed over (`audit.first_waiting`); x was offered out of order exactly when
-- the first waiting application of some list stands ahead of it. Comparing across lists
-- needs list ranks, counted only up to the furthest application concerned (`audit.head`).
CREATE TABLE audit.offer_groups AS
SELECT
    CAST(row_number() OVER (ORDER BY o.bulletin_id, o."at") AS INTEGER) AS group_id,
    o.bulletin_id, o."at" AS t, b.kindergarten_id, b.seg_id, b.language, b.seats,
    CAST(o."at" AS DATE) - to_years(r.min_age_state) AS born_by,      -- E2: at least min_age_state full years
    CAST(o."at" AS DATE) - to_years(r.max_age) AS born_after,         -- E2: younger than max_age
    r.ratio_first, r.ratio_general, r.pattern_starts_with = 'first' AS starts_first
FROM (SELECT DISTINCT bulletin_id, "at" FROM audit.offers WHERE ownership = 'state') AS o
JOIN audit.bulletins AS b USING (bulletin_id)
JOIN audit.rules AS r ON r.region = b.region AND o."at" >= r.valid_from AND o."at" < r.valid_until;

-- The offers of each group; `in_segment`: in the bulletin's segment and language (Q1, E1).
CREATE TABLE audit.group_offers AS
SELECT g.group_id, o.application_number, o.app_id, o.seq, o.akey,
       o.seg_id IS NOT DISTINCT FROM g.seg_id AND (o.language IS NULL OR o.language = g.language) AS in_segment
FROM audit.offers AS o JOIN audit.offer_groups AS g ON g.bulletin_id = o.bulletin_id AND g.t = o."at";

-- Reading only the head of each queue: the candidates of each privilege list of a segment
-- who want the same language (or any) come in blocks of 64, in the list's order (akey),
-- and a block is "live" at t when one of its intervals may hold t. Children placed long
-- ago fill dead blocks; the first live blocks of a list are the head of its queue, where
-- the first waiting application is. The search reads the head first (up to just past the
-- offers of the group) and the rest only if the head held none: exact either way, as
-- blocks follow the list's order.
CREATE TABLE audit.candidate_blocks AS
SELECT seg_id, privilege, language, block, min(s) AS first_s, max(u) AS last_u
FROM audit.candidates GROUP BY ALL;

CREATE TABLE audit.group_blocks AS
WITH offered AS (                                                 -- the blocks the group's offers came from
    SELECT go.group_id, c.privilege, c.language, max(c.block) AS block
    FROM audit.group_offers AS go
    JOIN audit.offer_groups AS g USING (group_id)
    JOIN audit.candidates AS c ON c.app_id = go.app_id AND c.s < g.t AND g.t <= c.u
    GROUP BY ALL
)
SELECT g.group_id, b.seg_id, b.privilege, b.language, b.block,
       row_number() OVER (PARTITION BY g.group_id, b.privilege, b.language ORDER BY b.block) <= 2
       OR b.block <= coalesce(o.block, -1) + 1 AS in_head
FROM audit.offer_groups AS g
JOIN audit.candidate_blocks AS b
  ON b.seg_id = g.seg_id
 AND (b.language IS NULL OR b.language = g.language)              -- E1
 AND b.first_s < g.t AND g.t < b.last_u
LEFT JOIN offered AS o
  ON o.group_id = g.group_id AND o.privilege = b.privilege AND o.language IS NOT DISTINCT FROM b.language;

-- Who was offered which bulletin, at any instant.
CREATE TABLE audit.offered_pairs AS SELECT DISTINCT app_id, bulletin_id FROM audit.offers;

-- For each group and privilege list, the first eligible application that got no offer.
CREATE TABLE audit.first_waiting AS
WITH found AS (
    SELECT gb.group_id, gb.privilege, gb.language, min(c.akey) AS akey
    FROM audit.group_blocks AS gb
    JOIN audit.candidates AS c
      ON c.seg_id = gb.seg_id AND c.privilege = gb.privilege AND c.language IS NOT DISTINCT FROM gb.language
     AND c.block = gb.block
    JOIN audit.offer_groups AS g ON g.group_id = gb.group_id
    ANTI JOIN audit.offered_pairs AS op ON op.app_id = c.app_id AND op.bulletin_id = g.bulletin_id
    WHERE gb.in_head
      AND c.s < g.t AND g.t < c.u                                 -- queued just before t, unchanged at t
      AND c.birth_date <= g.born_by AND c.birth_date > g.born_after   -- E2
    GROUP BY ALL
),
rest AS (                                                         -- the lists whose head held none
    SELECT gb.* FROM audit.group_blocks AS gb
    ANTI JOIN found AS f ON f.group_id = gb.group_id AND f.privilege = gb.privilege
                        AND f.language IS NOT DISTINCT FROM gb.language
    WHERE NOT gb.in_head
),
found_later AS (
    SELECT gb.group_id, gb.privilege, gb.language, min(c.akey) AS akey
    FROM rest AS gb
    JOIN audit.candidates AS c
      ON c.seg_id = gb.seg_id AND c.privilege = gb.privilege AND c.language IS NOT DISTINCT FROM gb.language
     AND c.block = gb.block
    JOIN audit.offer_groups AS g ON g.group_id = gb.group_id
    ANTI JOIN audit.offered_pairs AS op ON op.app_id = c.app_id AND op.bulletin_id = g.bulletin_id
    WHERE c.s < g.t AND g.t < c.u
      AND c.birth_date <= g.born_by AND c.birth_date > g.born_after
    GROUP BY ALL
)
SELECT group_id, privilege, min(akey) AS akey
FROM (SELECT * FROM found UNION ALL SELECT * FROM found_later)
GROUP BY ALL;

-- Q3 list ranks just before t, counted up to the furthest application each group needs
-- (only live blocks can hold an application numbered at t).
CREATE TABLE audit.numbered_blocks AS
SELECT seg_id, privilege, block, min(s) AS first_s, max(u) AS last_u, min(akey) AS first_akey
FROM audit.numbered GROUP BY ALL;

CREATE TABLE audit.head AS
WITH offered AS (
    SELECT go.group_id, n.privilege, go.akey
    FROM audit.group_offers AS go
    JOIN audit.offer_groups AS g USING (group_id)
    JOIN audit.numbered AS n ON n.app_id = go.app_id AND n.s < g.t AND g.t <= n.u
    WHERE go.in_segment
),
bounds AS (
    SELECT group_id, privilege, max(akey) AS bound
    FROM (SELECT * FROM offered UNION ALL SELECT group_id, privilege, akey FROM audit.first_waiting)
    GROUP BY ALL
),
live AS (
    SELECT b.group_id, b.privilege, b.bound, nb.seg_id, nb.block
    FROM bounds AS b
    JOIN audit.offer_groups AS g USING (group_id)
    JOIN audit.numbered_blocks AS nb
      ON nb.seg_id = g.seg_id AND nb.privilege = b.privilege
     AND nb.first_akey <= b.bound AND nb.first_s < g.t AND g.t <= nb.last_u
)
SELECT l.group_id, n.privilege, n.app_id, n.akey,
       row_number() OVER (PARTITION BY l.group_id, n.privilege ORDER BY n.akey) AS list_rank
FROM live AS l
JOIN audit.numbered AS n ON n.seg_id = l.seg_id AND n.privilege = l.privilege AND n.block = l.block
JOIN audit.offer_groups AS g ON g.group_id = l.group_id
WHERE n.akey <= l.bound AND n.s < g.t AND g.t <= n.u;              -- Q2: numbered just before t

-- Q3 position (block, merge key) of each offered application and of each first waiting one.
CREATE TABLE audit.offer_positions AS
SELECT go.group_id, go.application_number, go.app_id, go.seq, h.privilege, h.list_rank,
       CASE WHEN h.list_rank IS NULL THEN 2 ELSE snap.q3_block(h.privilege) END AS block,
       CASE WHEN h.list_rank IS NULL THEN 0
            ELSE snap.q3_merge_key(h.privilege, h.list_rank, g.ratio_first, g.ratio_general, g.starts_first) END AS merge_key
FROM audit.group_offers AS go
JOIN audit.offer_groups AS g USING (group_id)
LEFT JOIN audit.head AS h ON h.group_id = go.group_id AND h.app_id = go.app_id AND go.in_segment;

CREATE TABLE audit.waiting_positions AS
SELECT w.group_id, w.privilege, h.app_id, h.list_rank, snap.q3_block(w.privilege) AS block,
       snap.q3_merge_key(w.privilege, h.list_rank, g.ratio_first, g.ratio_general, g.starts_first) AS merge_key
FROM audit.first_waiting AS w
JOIN audit.offer_groups AS g USING (group_id)
JOIN audit.head AS h ON h.group_id = w.group_id AND h.privilege = w.privilege AND h.akey = w.akey;

DROP TABLE audit.head;
DROP TABLE audit.group_blocks;
DROP TABLE audit.candidate_blocks;
DROP TABLE audit.numbered_blocks;

-- The offers made while someone eligible stood ahead (out_of_order_offer), and among them
-- those to first-priority applicants while a general one stood ahead (ratio_breach).
CREATE TABLE audit.out_of_order AS
SELECT o.group_id, o.application_number, o.app_id, o.seq, o.privilege, o.block, o.merge_key,
       bool_or(w.privilege = 'none') FILTER (WHERE o.privilege = 'first') AS general_waiting_ahead
FROM audit.offer_positions AS o
JOIN audit.waiting_positions AS w ON w.group_id = o.group_id AND (w.block, w.merge_key) < (o.block, o.merge_key)
GROUP BY ALL;

-- Evidence, for the groups with a finding only: the whole segment numbered just before t
-- (the same Q3/Q4 as engine/sql/numbering.sql) and who was passed over.
CREATE TABLE audit.flagged_queue AS
WITH flagged AS (SELECT DISTINCT group_id FROM audit.out_of_order),
numbered AS (
    SELECT g.group_id, n.app_id, n.privilege, n.akey, g.ratio_first, g.ratio_general, g.starts_first,
           row_number() OVER (PARTITION BY g.group_id, n.privilege ORDER BY n.akey) AS list_rank
    FROM flagged JOIN audit.offer_groups AS g USING (group_id)
    JOIN audit.numbered AS n ON n.seg_id = g.seg_id AND n.s < g.t AND g.t <= n.u
)
SELECT n.group_id, n.app_id, a.application_number, n.privilege, n.akey,
       row_number() OVER (PARTITION BY n.group_id ORDER BY snap.q3_block(n.privilege),
                          snap.q3_merge_key(n.privilege, n.list_rank, n.ratio_first, n.ratio_general, n.starts_first)) AS queue_number
FROM numbered AS n JOIN audit.apps AS a USING (app_id);

CREATE TABLE audit.passed_over AS
SELECT q.group_id, q.app_id, q.application_number, q.privilege, q.queue_number
FROM audit.flagged_queue AS q
JOIN audit.offer_groups AS g USING (group_id)
JOIN audit.candidates AS c ON c.app_id = q.app_id AND c.s < g.t AND g.t < c.u
ANTI JOIN audit.offered_pairs AS op ON op.app_id = c.app_id AND op.bulletin_id = g.bulletin_id
WHERE (c.language IS NULL OR c.language = g.language)
  AND c.birth_date <= g.born_by AND c.birth_date > g.born_after;

CREATE TABLE audit.f_out_of_order_offer AS
WITH x AS (
    SELECT o.*, q.queue_number FROM audit.out_of_order AS o
    LEFT JOIN audit.flagged_queue AS q USING (group_id, app_id)
),
skipped AS (
    SELECT x.group_id, x.app_id,
           count(*) AS n,
           list({'application_number': p.application_number, 'queue_number': p.queue_number, 'privilege': p.privilege}
                ORDER BY p.queue_number)[1:10] AS first
    FROM x JOIN audit.passed_over AS p
      ON p.group_id = x.group_id AND (x.queue_number IS NULL OR p.queue_number < x.queue_number)
    GROUP BY ALL
)
SELECT 'out_of_order_offer' AS type, 'A1' AS rule, x.application_number, g.bulletin_id, g.kindergarten_id,
       g.t AS "at", x.seq AS event_seq,
       json_object('seats', g.seats, 'queue_number', x.queue_number, 'privilege', x.privilege,
                   'passed_over_count', s.n, 'passed_over', s.first) AS evidence
FROM x JOIN audit.offer_groups AS g USING (group_id) JOIN skipped AS s USING (group_id, app_id);

CREATE TABLE audit.f_ratio_breach AS
WITH breach AS (
    SELECT group_id, arg_min(application_number, merge_key) AS application_number,
           list(application_number ORDER BY merge_key) AS ahead_of_turn
    FROM audit.out_of_order WHERE general_waiting_ahead GROUP BY group_id
),
offers AS (
    SELECT group_id, count(*) AS offers,
           count(*) FILTER (WHERE privilege = 'first') AS first_priority_offers
    FROM audit.offer_positions GROUP BY group_id
),
last_ahead AS (                                                   -- the furthest of those offered ahead of turn
    SELECT o.group_id, max(q.queue_number) AS queue_number
    FROM audit.out_of_order AS o JOIN audit.flagged_queue AS q USING (group_id, app_id)
    WHERE o.general_waiting_ahead
    GROUP BY o.group_id
),
general AS (                                                      -- the general applicants they passed over
    SELECT p.group_id, list({'application_number': p.application_number, 'queue_number': p.queue_number}
                            ORDER BY p.queue_number)[1:10] AS waiting
    FROM audit.passed_over AS p JOIN last_ahead AS l USING (group_id)
    WHERE p.privilege = 'none' AND p.queue_number < l.queue_number
    GROUP BY p.group_id
)
SELECT 'ratio_breach' AS type, 'A7' AS rule, b.application_number, g.bulletin_id, g.kindergarten_id,
       g.t AS "at", CAST(NULL AS BIGINT) AS event_seq,
       json_object('seats', g.seats, 'offers', o.offers, 'first_priority_offers', o.first_priority_offers,
                   'ratio', g.ratio_first || ':' || g.ratio_general,
                   'first_priority_ahead_of_turn', b.ahead_of_turn, 'general_waiting', w.waiting) AS evidence
FROM breach AS b JOIN audit.offer_groups AS g USING (group_id) JOIN offers AS o USING (group_id)
LEFT JOIN general AS w USING (group_id);
