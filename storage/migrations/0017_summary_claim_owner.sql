-- Which instance claimed a summary (bot/cluster.py's instance_id; NULL for SQLite's single
-- process): a claim left by an instance that is gone is taken over 10 s after it was made,
-- not after STALE_CLAIM (scheduler/summaries.py, storage/merchants.py GONE_CLAIM).
ALTER TABLE summary_deliveries ADD COLUMN claimed_by TEXT;
-- The claims in progress (few at any time) are listed every tick: a partial index keeps that
-- independent of the table's size.
CREATE INDEX summary_deliveries_claimed ON summary_deliveries (claimed_by) WHERE state = 'claimed';
