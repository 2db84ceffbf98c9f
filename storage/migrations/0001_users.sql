-- People who have talked to the bot: merchants and staff alike.
CREATE TABLE users (
    telegram_id     INTEGER PRIMARY KEY,
    first_name      TEXT NOT NULL DEFAULT '',
    username        TEXT,
    language_code   TEXT,            -- as Telegram reported it
    locale          TEXT,            -- chosen with /language; NULL = derive from language_code
    unreachable_at  TEXT,            -- set when Telegram says the bot was blocked
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
