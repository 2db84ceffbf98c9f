-- What staff saw or tried that is not a state change of an application: documents shown in
-- a staff chat, refused attempts to review one's own application or to answer another
-- reviewer's rejection prompt. No foreign key: the trail outlives a purged application, and
-- it holds ids and document kinds only, never the personal data itself.
CREATE TABLE staff_audit (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    action          TEXT NOT NULL,   -- document_shown | own_application_refused | ...
    staff_id        INTEGER,         -- the person who acted, when one person did
    chat_id         INTEGER,         -- the chat something was shown in or tried from
    application_id  INTEGER,
    detail          TEXT             -- the document kind, or what was tried
);
CREATE INDEX staff_audit_by_application ON staff_audit (application_id, id);
