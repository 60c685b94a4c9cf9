-- Compacting the change log finds, for each entry, whether a later one of the same item exists.
CREATE INDEX sync_log_by_item ON sync_log (user_id, media_id, seq);
