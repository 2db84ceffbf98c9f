-- OCR prefill: which answers the merchant confirmed from a document photo (result = the
-- slot read: 'licence' or 'id_front'; no row = typed; item 'corrected:<field>' = the merchant
-- said the photo's reading of it was wrong and typed it), and the cross-checks made when a
-- photo was read (item 'id_name': 'match' | 'mismatch' of the ID card's name and the legal
-- representative; 'id_validity': 'valid' | 'expired'). Never the text that was read.
CREATE TABLE application_readings (
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    item            TEXT NOT NULL,
    result          TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (application_id, item)
);
