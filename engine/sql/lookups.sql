-- Everything a lookup at the snapshot's date answers, one row per application, kept in the
-- snapshot at publication and found through the number as typed (`number_key`) with one
-- index probe: the application, its state (`states`), its numbers (`queue`, Q4) and how many
-- of each privilege class stand ahead of it in the merged list of its segment (Q1, Q3:
-- "ahead" is a smaller queue_number in the same segment). Not numbered: numbers and
-- counts are NULL. What the status of an application not queued rests on (since when, the
-- kindergarten named, the events a rule's deadline counts from: sql/status_facts.sql) is kept
-- too, so that a lookup reads no events.
WITH ahead AS (
    SELECT
        application_number,
        count(*) FILTER (WHERE privilege = 'extraordinary') OVER earlier AS ahead_extraordinary,
        count(*) FILTER (WHERE privilege = 'first') OVER earlier AS ahead_first,
        count(*) FILTER (WHERE privilege = 'none') OVER earlier AS ahead_none
    FROM queue
    WINDOW earlier AS (
        PARTITION BY region, locality, birth_year                -- Q1 segment
        ORDER BY queue_number                                    -- Q4: unique in a segment
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )
)
SELECT
    a.number_key, a.application_number, a.region, a.locality, a.birth_year, a.registered_at,
    s.status, s.privilege,
    q.queue_number, q.privileged_queue_number, q.segment_size,
    h.ahead_extraordinary, h.ahead_first, h.ahead_none,
    f.since AS status_since, f.event AS status_event, f.opened_at AS status_opened_at,
    f.extended_at AS status_extended_at, f.kindergarten_id AS status_kindergarten_id,
    f.name_kk AS status_name_kk, f.name_ru AS status_name_ru, f.annulments AS status_annulments
FROM applications AS a
JOIN states AS s USING (application_number)
LEFT JOIN queue AS q USING (application_number)
LEFT JOIN ahead AS h USING (application_number)
LEFT JOIN ({status_facts}) AS f USING (application_number)   -- not queued only
ORDER BY a.number_key, a.application_number
