-- What if one queue (Q1: region, locality, birth year) had $places more places at the
-- snapshot's date? A1: a bulletin's places go to the first applications of the segment in
-- Q3 order that can take an offer (E3: waiting, not stop-listed, not already notified or
-- referred). The age (E2) and the bulletin's language (E1) are not taken into account.
WITH waiting AS (
    SELECT queue_number, registered_at, privilege,
           row_number() OVER (ORDER BY queue_number) AS turn   -- queue_number is unique in a segment
    FROM queue
    WHERE region = $region AND locality IS NOT DISTINCT FROM $locality AND birth_year = $birth_year
      AND status = 'queued'
)
SELECT count(*) AS waiting,
       count(*) FILTER (WHERE turn <= $places) AS placed,
       count(*) FILTER (WHERE turn <= $places AND privilege = 'extraordinary') AS extraordinary,
       count(*) FILTER (WHERE turn <= $places AND privilege = 'first') AS first,
       count(*) FILTER (WHERE turn <= $places AND privilege = 'none') AS general,
       min(queue_number) FILTER (WHERE turn = 1) AS front_before,           -- the first still waiting now
       min(queue_number) FILTER (WHERE turn = $places + 1) AS front_after,  -- the first still waiting then
       max(registered_at) FILTER (WHERE turn <= $places AND privilege = 'none') AS general_reached
FROM waiting
