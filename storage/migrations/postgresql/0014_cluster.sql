-- Several instances handle the inbox: each update's chat (or sender, or 0) is stored beside it,
-- so an instance can take one chat's turn and handle its updates in order. Rows stored before
-- this have no key until a process reads them again (bot/turns.py fills it in).
ALTER TABLE inbox ADD COLUMN chat_key BIGINT;
CREATE INDEX inbox_chat_pending ON inbox (chat_key, update_id) WHERE done = 0;

-- What a person's conversation holds between two updates (locale, the serial typed after
-- /activate, the ticket in focus), encrypted: with several instances the next update may be
-- handled by another one (storage/sessions.py). Unused by a single SQLite process.
CREATE TABLE user_sessions (
    user_id     BIGINT PRIMARY KEY,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
