-- What has to happen after a referral, and by when (A4, A5). A deadline is checked only
-- once it lies before the end of the data (`audit.context.data_end`).

-- A4: a referral neither used (enrolment) nor ended otherwise (annulled, cancelled, …)
-- within referral_valid (latest reading), plus extension_max after a recorded extension.
-- Only when the data record enrolments at all.
CREATE TABLE audit.f_overdue_referral AS
WITH r AS (
    SELECT *, audit.period_end("at", referral_valid, referral_valid_unit, 'latest') AS valid_until FROM audit.referrals
),
d AS (
    SELECT *, CASE WHEN extended_at IS NULL THEN valid_until
                   ELSE greatest(valid_until, extended_at) + to_days(extension_max) END AS deadline
    FROM r
)
SELECT 'overdue_referral' AS type, 'A4' AS rule, application_number, bulletin_id,
       place_kindergarten_id AS kindergarten_id, deadline AS "at", seq AS event_seq,
       json_object('issued_at', "at", 'channel', channel, 'valid', referral_valid, 'valid_unit', referral_valid_unit,
                   'extended_at', extended_at, 'deadline', deadline, 'ended_by', end_event, 'ended_at', end_at) AS evidence
FROM d
WHERE deadline < (SELECT data_end FROM audit.context) AND (end_at IS NULL OR end_at > deadline)
  AND (SELECT has_enrolments FROM audit.context);

-- A5: a referral won through a privilege (channel `priority`, privilege first or
-- extraordinary) neither confirmed nor annulled (or otherwise ended without enrolment)
-- by the earlier of privilege_confirm_working working days and privilege_confirm_calendar
-- calendar days (each in its latest reading). Only when the data record confirmations.
CREATE TABLE audit.f_unconfirmed_privilege AS
WITH r AS (
    SELECT *,
           least(audit.period_end("at", privilege_confirm_working, 'working_day', 'latest'),
                 audit.period_end("at", privilege_confirm_calendar, 'calendar_day', 'latest')) AS deadline,
           least(confirmed_at, CASE WHEN end_event <> 'enrolled' THEN end_at END) AS resolved_at
    FROM audit.referrals
    WHERE channel = 'priority' AND privilege_before IN ('first', 'extraordinary')
      AND (SELECT has_privilege_confirmations FROM audit.context)
)
SELECT 'unconfirmed_privilege' AS type, 'A5' AS rule, application_number, bulletin_id,
       place_kindergarten_id AS kindergarten_id, deadline AS "at", seq AS event_seq,
       json_object('issued_at', "at", 'privilege', privilege_before, 'deadline', deadline,
                   'confirmed_at', confirmed_at, 'ended_by', end_event, 'ended_at', end_at) AS evidence
FROM r
WHERE deadline < (SELECT data_end FROM audit.context) AND (resolved_at IS NULL OR resolved_at > deadline);
