-- Staff roles (ADMIN_IDS from settings are admins without a row here).
CREATE TABLE staff (
    telegram_id  INTEGER PRIMARY KEY,
    role         TEXT NOT NULL CHECK (role IN ('reviewer', 'support', 'admin')),
    added_by     INTEGER,
    added_at     TEXT NOT NULL
);

-- Who is reviewing an application.
ALTER TABLE applications ADD COLUMN reviewer_id INTEGER;
ALTER TABLE applications ADD COLUMN merchant_no TEXT;

-- Fields a reviewer flagged, with the reason; one set per rejection round.
CREATE TABLE application_flags (
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    round           INTEGER NOT NULL,
    field           TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    fixed           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, round, field)
);

-- A reviewer's rejection being put together in the review chat.
CREATE TABLE pending_rejections (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    reviewer_id     INTEGER NOT NULL,
    fields          TEXT NOT NULL DEFAULT '[]',   -- JSON list, in form order
    reasons         TEXT NOT NULL DEFAULT '{}',   -- JSON field -> reason
    prompt_message  INTEGER,                      -- the bot message reviewers reply to
    started_at      TEXT NOT NULL
);

-- Bot messages in staff chats that belong to an application (cards, prompts).
CREATE TABLE staff_messages (
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);

-- Notifications written in the same transaction as the change that causes them, and
-- delivered by the scheduler's sender: a crash can neither lose nor duplicate them.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    chat_id          INTEGER NOT NULL,
    kind             TEXT NOT NULL,          -- text | photo | media_group | review_card
    payload          TEXT NOT NULL,          -- JSON
    dedupe_key       TEXT UNIQUE,
    created_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    sent_at          TEXT,
    failed_at        TEXT,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
