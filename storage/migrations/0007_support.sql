-- Support tickets: a merchant's request for a person, answered by staff from Telegram groups.
CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY,   -- shown as T-000123
    merchant_id        INTEGER NOT NULL REFERENCES users (telegram_id),
    status             TEXT NOT NULL DEFAULT 'new'
                       CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    tier               TEXT NOT NULL DEFAULT 'l1' CHECK (tier IN ('l1', 'l2', 'supervisor')),
    priority           TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
    assignee_id        INTEGER,
    staff_chat_id      INTEGER,               -- where follow-ups go: support or escalation chat
    faq_question_id    INTEGER REFERENCES faq_questions (id),
    subject            TEXT NOT NULL DEFAULT '',  -- the description's start, personal data masked
    -- The SLA clock: since when staff owe the merchant a response (NULL = nobody waits).
    waiting_since      TEXT,
    -- Bumped whenever the clock starts again; a reminder or auto-escalation is per round,
    -- so it can never happen twice for the same breach, restart or not.
    sla_round          INTEGER NOT NULL DEFAULT 0,
    first_response_at  TEXT,
    relay_noted_at     TEXT,                  -- the merchant was told follow-ups go here
    undeliverable_at   TEXT,                  -- a reply bounced: the merchant blocked the bot
    resolved_at        TEXT,
    closed_at          TEXT,
    rating             INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment     TEXT,
    comment_wanted     INTEGER NOT NULL DEFAULT 0,  -- the next text is the rating's comment
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX tickets_merchant ON tickets (merchant_id, status);
CREATE INDEX tickets_waiting ON tickets (waiting_since) WHERE waiting_since IS NOT NULL;

-- What was said on a ticket: the merchant's messages, staff replies and internal notes.
CREATE TABLE ticket_messages (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id   INTEGER,
    direction   TEXT NOT NULL CHECK (direction IN ('merchant', 'staff', 'note')),
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'document')),
    body        TEXT NOT NULL DEFAULT '',  -- text or caption, personal data masked
    file_name   TEXT,
    chat_id     INTEGER NOT NULL,          -- where the original is, to copy it again
    message_id  INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);

-- The audit trail: every status change, assignment, escalation and delivery problem.
CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor        INTEGER,                  -- Telegram id; NULL = the bot (SLA, expiry)
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Bot messages in staff chats that belong to a ticket: a reply to any of them answers it.
CREATE TABLE ticket_staff_messages (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,             -- card | message | reminder | notice | ack
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX ticket_staff_messages_ticket ON ticket_staff_messages (ticket_id, kind);

-- A ticket being described: the parts collected before the merchant taps Create.
CREATE TABLE ticket_drafts (
    merchant_id      INTEGER PRIMARY KEY REFERENCES users (telegram_id),
    faq_question_id  INTEGER REFERENCES faq_questions (id),
    parts            TEXT NOT NULL DEFAULT '[]',  -- JSON list of DraftPart
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
