-- Personal data at rest: from here on inbox and outbox payloads are encrypted, an update
-- leaves the inbox once handled and acknowledged, and a message's content is cleared once it
-- was delivered or given up. What earlier versions kept in plain text goes now (with
-- PRAGMA secure_delete on, the freed space is overwritten). Rows still waiting are kept and
-- read as before until they are handled or delivered.
DELETE FROM inbox WHERE done = 1;
UPDATE outbox SET payload = '' WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL;
