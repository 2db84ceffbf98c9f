-- Which instance claimed a summary (bot/cluster.py's instance_id; NULL for SQLite's single
-- process): a claim left by an instance that is gone is taken over at once, not after
-- STALE_CLAIM (scheduler/summaries.py).
ALTER TABLE summary_deliveries ADD COLUMN claimed_by TEXT;
