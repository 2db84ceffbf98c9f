-- The PostgreSQL versions of ../NNNN_*.sql: the same tables, columns and indexes, with BIGINT
-- for integers (Telegram ids exceed 32 bits; amounts and fees stay INTEGER so SUM is BIGINT),
-- identity columns for row ids and DOUBLE PRECISION for REAL. A new migration needs both.
-- People who have talked to the bot: merchants and staff alike.
CREATE TABLE users (
    telegram_id     BIGINT PRIMARY KEY,
    first_name      TEXT NOT NULL DEFAULT '',
    username        TEXT,
    language_code   TEXT,            -- as Telegram reported it
    locale          TEXT,            -- chosen with /language; NULL = derive from language_code
    unreachable_at  TEXT,            -- set when Telegram says the bot was blocked
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
