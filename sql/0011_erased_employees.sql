-- Erased employees leave the workforce.
--
-- Until this migration an erasure (DELETE /v1/employees/{id}, MobiliseStore.eraseEmployee) replaced
-- the employee's identifiers by a pseudonym but left the row active, with its gender, site and org
-- unit: the erased person went on counting in the eligible headcount of every campaign, also of
-- campaigns created afterwards. Erasure now deactivates the row and clears those attributes; this
-- does the same to the rows erased before.
--
-- An erased row is recognised by the audit entry its erasure wrote in the same transaction: action
-- 'employee.erase', subject the pseudonym that the row carries as its external_id. The headcount
-- triggers of 0008 take the deactivated rows out of campaign_headcount, as for any leaver.
UPDATE employees e
SET active = false, gender = 'undisclosed', site = NULL, org_unit = NULL, hired_on = NULL, left_on = NULL, updated_at = now()
FROM audit_log a
WHERE a.organisation_id = e.organisation_id AND a.action = 'employee.erase' AND a.subject = e.external_id
  AND (e.active OR e.gender <> 'undisclosed' OR e.site IS NOT NULL OR e.org_unit IS NOT NULL OR e.left_on IS NOT NULL);
