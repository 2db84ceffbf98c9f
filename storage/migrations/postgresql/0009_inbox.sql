-- Updates as received from Telegram, stored before they are confirmed (by asking for the
-- next offset) and marked done once handled: a crash at any moment loses none and, because a
-- redelivered update is recognised here, handles none twice.
CREATE TABLE inbox (
    update_id    BIGINT PRIMARY KEY,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    done         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX inbox_pending ON inbox (update_id) WHERE done = 0;
