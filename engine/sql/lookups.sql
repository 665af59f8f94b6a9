-- Everything a lookup at the snapshot's date answers, one row per application, kept in the
-- snapshot at publication and found through the number as typed (`number_key`) with one
-- index probe: the application, its state (`states`), its numbers (Q4) and how many of each
-- privilege class stand ahead of it in the merged list of its segment (Q1, Q3: "ahead" is a
-- smaller queue_number in the same segment), both as numbering.sql gave them (`numbered`:
-- the queue with its `ahead_*` counts). Not numbered: numbers and counts are NULL. What the
-- status of an application not queued rests on (since when, the kindergarten named, the
-- events a rule's deadline counts from: sql/status_facts.sql) is kept too, so that a lookup
-- reads no events.
SELECT
    a.number_key, a.application_number, a.region, a.locality, a.birth_year, a.registered_at,
    s.status, s.privilege,
    q.queue_number, q.privileged_queue_number, q.segment_size,
    q.ahead_extraordinary, q.ahead_first, q.ahead_none,
    f.since AS status_since, f.event AS status_event, f.opened_at AS status_opened_at,
    f.extended_at AS status_extended_at, f.kindergarten_id AS status_kindergarten_id,
    f.name_kk AS status_name_kk, f.name_ru AS status_name_ru, f.annulments AS status_annulments
FROM applications AS a
JOIN states AS s USING (application_number)
LEFT JOIN numbered AS q USING (application_number)
LEFT JOIN ({status_facts}) AS f USING (application_number)   -- not queued only
ORDER BY a.number_key, a.application_number
