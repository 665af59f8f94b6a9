-- Rules written once, as SQL macros stored in every snapshot (engine/numbering.py creates
-- them at publication): the numbering, the spans of a history, the lookups and the audit
-- all call these, so that a rule cannot read one way in one place and another elsewhere.
-- `{schema}` is where they are created (the snapshot being built, or a test's database).

-- Q1: the applications of one segment (region, locality, birth year); a NULL argument
-- keeps every value of its column (all NULL: every application).
CREATE OR REPLACE MACRO {schema}segment_applications(r, l, y) AS TABLE
    SELECT * FROM applications
    WHERE (r IS NULL OR region = r) AND (l IS NULL OR locality = l) AND (y IS NULL OR birth_year = y);

-- Q2: an application with this status holds a queue number.
CREATE OR REPLACE MACRO {schema}is_numbered(status) AS status IN {numbered_statuses};

-- Q3: extraordinary applications come before all others (block 0), then the merged lists.
CREATE OR REPLACE MACRO {schema}q3_block(privilege) AS CASE WHEN privilege = 'extraordinary' THEN 0 ELSE 1 END;

-- Q3: the place in the merge of the application with rank r (1-based) in its privilege
-- list: the extraordinary list in its order; first-priority (P) and general (G) in cycles
-- of a P and g G (the ruleset's ratio_first and ratio_general), a cycle starting with P when
-- starts_first (pattern_starts_with = 'first'). Unique within a block of a segment.
CREATE OR REPLACE MACRO {schema}q3_merge_key(privilege, r, a, g, starts_first) AS (
    CASE privilege
        WHEN 'extraordinary' THEN r
        WHEN 'first' THEN (r - 1) // a * (a + g) + (r - 1) % a + CASE WHEN starts_first THEN 0 ELSE g END
        ELSE (r - 1) // g * (a + g) + (r - 1) % g + CASE WHEN starts_first THEN a ELSE 0 END
    END
);
