-- Retention (issue 5): each user's subscription plan decides how long doorbell events and their
-- clips are kept (standard 30 days, premium 60, configurable); a user without a row is standard.
CREATE TABLE retention_plans (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    plan    TEXT NOT NULL CHECK (plan IN ('standard', 'premium'))
);

-- Where each event clip's blobs are (hot → warm → cold) and whether the off-site copy is made.
-- A clip without a row is hot and has no copy; the row goes with its media row.
CREATE TABLE clip_storage (
    user_id           TEXT NOT NULL,
    media_id          TEXT NOT NULL,
    tier              TEXT NOT NULL CHECK (tier IN ('hot', 'warm', 'cold')),
    offsite_copied_at INTEGER,
    PRIMARY KEY (user_id, media_id)
);

CREATE TRIGGER clip_storage_media_deleted AFTER DELETE ON media BEGIN
    DELETE FROM clip_storage WHERE user_id = OLD.user_id AND media_id = OLD.id;
END;
