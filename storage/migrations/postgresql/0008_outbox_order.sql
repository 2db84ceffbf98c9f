-- The sender keeps each chat's notifications in order: an item waits while an earlier one
-- for the same chat is still pending. This index makes that check cheap.
CREATE INDEX outbox_pending_chat ON outbox (chat_id, id) WHERE sent_at IS NULL AND failed_at IS NULL;
