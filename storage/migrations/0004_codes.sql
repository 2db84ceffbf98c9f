-- Application codes (申请码): the code is encrypted; lookups go through a keyed hash.
CREATE TABLE application_codes (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    code_hash       TEXT NOT NULL UNIQUE,
    code_encrypted  TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT
);
CREATE INDEX application_codes_by_app ON application_codes (application_id);

-- Signed service agreements: what exactly was shown, and when it was accepted.
CREATE TABLE agreement_signatures (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    merchant_id     INTEGER NOT NULL,
    version         TEXT NOT NULL,
    locale          TEXT NOT NULL,
    text_sha256     TEXT NOT NULL,
    signed_at       TEXT NOT NULL
);

-- Shipping and activation.
CREATE TABLE shipments (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    carrier         TEXT NOT NULL,
    tracking_no     TEXT NOT NULL,
    shipped_by      INTEGER NOT NULL,
    shipped_at      TEXT NOT NULL
);
CREATE TABLE terminals (
    serial          TEXT PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    activated_at    TEXT NOT NULL
);
CREATE TABLE activation_attempts (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER NOT NULL,
    ok           INTEGER NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX activation_attempts_by_merchant ON activation_attempts (merchant_id, at);
