-- A merchant's follow-ups reach staff combined, at most one staff message per ticket per
-- SUPPORT_BATCH_SECONDS: the last ticket message already shown to staff, and when.
ALTER TABLE tickets ADD COLUMN relayed_upto BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN relayed_at TEXT;
UPDATE tickets SET relayed_upto = COALESCE(
    (SELECT MAX(id) FROM ticket_messages WHERE ticket_messages.ticket_id = tickets.id), 0
);

-- An outbox row deferred on purpose (a batch that collects follow-ups until then) counts as
-- queued at that time: until it is due, later rows to the same chat go ahead of it.
ALTER TABLE outbox ADD COLUMN not_before TEXT;
