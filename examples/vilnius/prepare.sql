-- Vilnius's published files (github.com/vilnius/darzeliai) as the tables of Kezek's format,
-- for one snapshot. A preprocessing step that the mapping files of format 1.1 will make
-- unnecessary (constants, computed columns, rows from groups); until then it is plain SQL.
-- Placeholders, replaced by publish.py with quoted literals: `list` the day's
-- laukianciuju_eileje_ataskaita.csv, `groups` its darzeliai_grupes.csv (a day without it
-- keeps the previous kindergartens), `out_<table>` the file each table is written to.
--
-- What is published as what:
--   `Vaiko Identifikacinis Nr.` (the city's pseudonymous child id, stable from day to day)
--       → application_number
--   `Prašymo pateikimo data` → registered_at (the city's own clock, Europe/Vilnius)
--   `Vaiko gimimo data` → birth_date cut to 1 January of its year: no more than the birth
--       year ever leaves this step (Kezek publishes only the year)
--   four of the seven priority flags (3+ children, low work capacity, single parent, parent
--       at school) → privilege `first`; the three flags about where the parents are declared
--       are a condition of the list rather than a priority, and are not used
--   every listed child → status `queued` (the list shows only those waiting)
--   `Nr.` is the row number of the file, not a queue number: not published as a position.
--   The places in each chosen kindergarten's queue need `positions.queue_id` and `choices`
--   (format 1.1) and are left out until the mappings read them.

COPY (
    SELECT "Vaiko Identifikacinis Nr." AS application_number,
           'Vilnius' AS region,
           make_date(year(CAST("Vaiko gimimo data" AS DATE)), 1, 1) AS birth_date,
           CAST("Prašymo pateikimo data" AS TIMESTAMP) AS registered_at,
           CASE WHEN 'Taip' IN ("Prioritetas (šeimoje 3 ir daugiau vaikų)",
                                "Prioritetas (žemas darbingumo lygis)",
                                "Prioritetas (augina tik vienas iš tėvų)",
                                "Prioritetas (vienas iš tėvų mokosi mokykloje)")
                THEN 'first' ELSE 'none' END AS privilege,
           'queued' AS status
    FROM read_csv({list}, delim = ';', header = true, all_varchar = true, null_padding = true)
    WHERE "Vaiko Identifikacinis Nr." IS NOT NULL
    ORDER BY application_number
) TO {out_applications} (HEADER, DELIMITER ',');

-- One kindergarten per institution from its groups: the register has no Lithuanian name
-- field, so the city's name is given as the name in the second language (name_ru).
COPY (
    SELECT DARZ_ID AS kindergarten_id,
           coalesce(any_value(nullif(trim(LABEL), '')), any_value(nullif(trim(SCHOOL_NAME), '')),
                    'Vilnius ' || DARZ_ID) AS name_ru,
           'Vilnius' AS region,
           any_value(nullif(trim(ELDERATE), '')) AS district,
           any_value(nullif(trim(ADDRESS), '')) AS address,
           'state' AS ownership,
           string_agg(DISTINCT CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru'
                                              WHEN 'Lenkų' THEN 'pl' WHEN 'Baltarusių' THEN 'be' END,
                      '|' ORDER BY CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru'
                                                  WHEN 'Lenkų' THEN 'pl' WHEN 'Baltarusių' THEN 'be' END) AS languages,
           sum(TRY_CAST(CAPACITY AS BIGINT)) AS capacity
    FROM read_csv({groups}, header = true, all_varchar = true)
    WHERE DARZ_ID IS NOT NULL
    GROUP BY DARZ_ID
    ORDER BY kindergarten_id
) TO {out_kindergartens} (HEADER, DELIMITER ',');

-- Vilnius publishes free places per group, not bulletins of places offered to a birth
-- year: the required table is published empty.
COPY (
    SELECT NULL AS bulletin_id, NULL AS kindergarten_id, NULL AS announced_at, NULL AS birth_year,
           NULL AS language, NULL AS seats
    WHERE false
) TO {out_vacancies} (HEADER, DELIMITER ',');
