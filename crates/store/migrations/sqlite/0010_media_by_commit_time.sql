-- Start-up recovery reads what was committed lately (originals whose sync may not have
-- finished before a crash).
CREATE INDEX media_by_commit_time ON media (created_at);
