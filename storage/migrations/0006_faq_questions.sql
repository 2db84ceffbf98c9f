-- Every FAQ answer a merchant was shown, and every question the bot could not answer,
-- with their 👍/👎 vote: what support reads to improve the knowledge base.
CREATE TABLE faq_questions (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER NOT NULL REFERENCES users (telegram_id),
    question     TEXT,              -- as typed, personal data masked; NULL when browsed in /faq
    language     TEXT NOT NULL CHECK (language IN ('zh-CN', 'en')),
    source       TEXT NOT NULL CHECK (source IN ('asked', 'candidate', 'browsed')),
    entry_id     TEXT,              -- the entry shown; NULL when the bot did not know
    reason       TEXT,              -- the retriever's decision for typed questions
    score        REAL,
    vote         INTEGER CHECK (vote IN (-1, 1)),  -- 👍 = 1, 👎 = -1, NULL = no vote yet
    voted_at     TEXT,
    created_at   TEXT NOT NULL
);
