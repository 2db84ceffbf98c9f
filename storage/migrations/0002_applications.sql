-- Merchant applications for a POS machine; a draft is an application in state 'draft'.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES users (telegram_id),
    number        TEXT UNIQUE,      -- AP20261125-0001, given on submit
    state         TEXT NOT NULL DEFAULT 'draft',
    editing       TEXT,             -- field re-asked from the review page, if any
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    submitted_at  TEXT
);
-- At most one draft per merchant.
CREATE UNIQUE INDEX applications_one_draft ON applications (merchant_id) WHERE state = 'draft';
CREATE INDEX applications_by_merchant ON applications (merchant_id, id);

-- One row per answered field; sensitive values hold ciphertext (encrypted = 1).
CREATE TABLE application_answers (
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    field           TEXT NOT NULL,
    value           TEXT NOT NULL,
    encrypted       INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (application_id, field)
);

-- Uploaded documents; the bytes live encrypted in the content-addressed DocumentStore.
CREATE TABLE application_documents (
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    slot            TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    mime_type       TEXT NOT NULL,
    size            INTEGER NOT NULL,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (application_id, slot)
);
CREATE INDEX application_documents_by_sha ON application_documents (sha256);

-- Daily counters behind the human-readable application numbers.
CREATE TABLE application_counters (
    day   TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

-- Audit trail of every state change.
CREATE TABLE application_events (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    actor           INTEGER,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    note            TEXT,
    at              TEXT NOT NULL
);

-- Updates already handled, so one delivered twice (crash before the offset was
-- acknowledged) has no second effect.
CREATE TABLE processed_updates (
    update_id   INTEGER PRIMARY KEY,
    handled_at  TEXT NOT NULL
);
