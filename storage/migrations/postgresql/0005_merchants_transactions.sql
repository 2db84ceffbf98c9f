-- Merchants with a POS machine. Standalone on purpose: no foreign key to users or
-- applications, so imports and the demo work before anyone has talked to the bot.
CREATE TABLE merchants (
    merchant_no        TEXT PRIMARY KEY,             -- M + 10 digits, e.g. M3301000001
    telegram_id        BIGINT,                      -- the merchant's Telegram user, if linked
    name               TEXT NOT NULL,
    timezone           TEXT NOT NULL,                -- IANA name; the business day is local
    summary_time       TEXT NOT NULL DEFAULT '21:30',  -- local HH:MM of the daily summary
    summaries_enabled  BIGINT NOT NULL DEFAULT 1,
    application_id     BIGINT,
    created_at         TEXT NOT NULL
);
CREATE INDEX merchants_by_telegram ON merchants (telegram_id) WHERE telegram_id IS NOT NULL;

-- POS transactions. Amounts and fees are positive integer fen; the type gives the sign.
-- occurred_at is UTC text in one fixed format, 'YYYY-MM-DDTHH:MM:SSZ', so that comparing
-- text compares instants and a business day is a plain range scan.
-- Clustered by (merchant, time) because every report reads one merchant's day at a time.
CREATE TABLE transactions (
    merchant_no   TEXT NOT NULL REFERENCES merchants (merchant_no),
    occurred_at   TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    terminal_sn   TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('sale', 'void', 'refund', 'preauth',
                                                'preauth_cancel', 'preauth_complete')),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    fee           INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    channel       TEXT NOT NULL CHECK (channel IN ('card', 'alipay', 'wechat', 'unionpay_qr')),
    original_id   TEXT,              -- the pre-auth (or sale) this row cancels or completes
    created_at    TEXT NOT NULL,
    PRIMARY KEY (merchant_no, occurred_at, external_id)
);
-- Ingestion is idempotent by the acquirer's id.
CREATE UNIQUE INDEX transactions_external_id ON transactions (external_id);
-- Open pre-auth holds: the pre-auths of a merchant and what closed them.
CREATE INDEX transactions_preauths ON transactions (merchant_no, occurred_at)
    WHERE type = 'preauth';
CREATE INDEX transactions_by_original ON transactions (original_id)
    WHERE original_id IS NOT NULL;

-- One row per (merchant, business day) summary: claimed before sending so that two
-- scheduler processes never both send it.
CREATE TABLE summary_deliveries (
    merchant_no   TEXT NOT NULL,
    business_day  TEXT NOT NULL,     -- YYYY-MM-DD in the merchant's time zone
    state         TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    claimed_at    TEXT NOT NULL,
    sent_at       TEXT,
    late          BIGINT NOT NULL DEFAULT 0,  -- sent as catch-up after the day had passed
    PRIMARY KEY (merchant_no, business_day)
);
