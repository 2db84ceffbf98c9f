-- Consent to the privacy notice (PIPL: separate consent for sensitive personal information).
-- Kept after a deletion request, marked withdrawn, as proof of what was agreed and when.
CREATE TABLE consents (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL,
    version       TEXT NOT NULL,          -- bot.privacy.POLICY_VERSION
    locale        TEXT NOT NULL,
    text_sha256   TEXT NOT NULL,          -- of the exact notice the merchant was shown
    agreed_at     TEXT NOT NULL,
    withdrawn_at  TEXT
);
CREATE INDEX consents_current ON consents (telegram_id, version) WHERE withdrawn_at IS NULL;

-- Data-subject requests (consent, export, erasure): who and when, and for an erasure the
-- categories and counts; never the personal data itself.
CREATE TABLE privacy_events (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('consent', 'export', 'erase')),
    detail       TEXT NOT NULL DEFAULT '{}',   -- JSON: versions, categories, counts
    at           TEXT NOT NULL
);
CREATE INDEX privacy_events_by_user ON privacy_events (telegram_id, id);
