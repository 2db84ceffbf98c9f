-- Fees disclosed before signing: the rates the merchant confirmed are kept with the text's
-- hash (basis points, fen; NULL = no schedule was configured and support confirms the rates).
ALTER TABLE agreement_signatures ADD COLUMN fee_debit_bp BIGINT;
ALTER TABLE agreement_signatures ADD COLUMN fee_credit_bp BIGINT;
ALTER TABLE agreement_signatures ADD COLUMN fee_scan_bp BIGINT;
ALTER TABLE agreement_signatures ADD COLUMN fee_debit_cap_fen BIGINT;
ALTER TABLE agreement_signatures ADD COLUMN fee_deposit_fen BIGINT;

-- Shipping binds a device: the terminal's serial travels with the shipment, and /activate
-- accepts only that serial. One device is shipped once.
ALTER TABLE shipments ADD COLUMN terminal_serial TEXT;
CREATE UNIQUE INDEX shipments_by_serial ON shipments (terminal_serial)
    WHERE terminal_serial IS NOT NULL;

-- /activate's two steps (serial, then code) survive a restart.
CREATE TABLE activation_sessions (
    merchant_id  BIGINT PRIMARY KEY,
    serial       TEXT,
    started_at   TEXT NOT NULL
);

-- Duplicate checks on the review card: a keyed hash (blind index) of identifying answers
-- (credit code, ID number, bank account, phone), never the plaintext.
ALTER TABLE application_answers ADD COLUMN lookup_hash TEXT;
CREATE INDEX application_answers_by_lookup ON application_answers (field, lookup_hash);

-- Documents reach the review chat as one album per submission round; the next round posts
-- only the documents that changed and links to the earlier album.
CREATE TABLE review_albums (
    application_id  BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    round           BIGINT NOT NULL,
    documents       TEXT NOT NULL,
    message_id      BIGINT,
    posted_at       TEXT NOT NULL,
    PRIMARY KEY (application_id, round)
);

-- Every submission keeps a keyed digest of each answer (HMAC, never the value), so the card
-- can say which fields changed since the last one, including those re-asked as a consequence;
-- its time stays for the timeline.
CREATE TABLE application_submissions (
    application_id  BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    round           BIGINT NOT NULL,
    digests         TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    PRIMARY KEY (application_id, round)
);
