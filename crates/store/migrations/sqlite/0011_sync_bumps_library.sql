-- Synced titles and tags are words search finds an item by, so a cached memory made before
-- they changed is stale: merged edits bump the library version like any other change.
CREATE TRIGGER bump_sync_media_insert AFTER INSERT ON sync_media BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_sync_media_update AFTER UPDATE ON sync_media BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
