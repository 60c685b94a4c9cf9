-- App ↔ server sync (issue 4): offline edits, each item's merged state, the change log that
-- every media write feeds, and each device's cursor over it.

-- Every accepted edit, once per (user, media, stamp): a replayed edit is ignored.
CREATE TABLE sync_edits (
    user_id     TEXT NOT NULL,
    media_id    TEXT NOT NULL,
    stamp       TEXT NOT NULL, -- HLC text form; sorts like the clock
    edit        TEXT NOT NULL, -- JSON of sightline_core::sync::Edit
    received_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, media_id, stamp),
    FOREIGN KEY (user_id, media_id) REFERENCES media(user_id, id) ON DELETE CASCADE
);

-- The server's merged state of each edited item: `state` is the whole merge input (JSON of
-- sightline_core::sync::MediaEdits, versioned), the other columns what it shows, for queries.
CREATE TABLE sync_media (
    user_id        TEXT NOT NULL,
    media_id       TEXT NOT NULL,
    state          TEXT NOT NULL,
    title          TEXT,
    favourite      INTEGER NOT NULL DEFAULT 0,
    deleted        INTEGER NOT NULL DEFAULT 0,
    tags           TEXT NOT NULL DEFAULT '[]',   -- JSON array of tags
    people         TEXT NOT NULL DEFAULT '[]',   -- JSON array of person ids
    conflict_count INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, media_id),
    FOREIGN KEY (user_id, media_id) REFERENCES media(user_id, id) ON DELETE CASCADE
);
CREATE INDEX sync_media_conflicts ON sync_media (user_id) WHERE conflict_count > 0;

-- The change log: one row per change of an item, `seq` increasing for the whole server and
-- never reused (AUTOINCREMENT). Fed only by the triggers below, so nothing changes a media row
-- or its edits without appearing here. op: upsert | delete. No foreign key: a deleted item's
-- tombstone outlives it.
CREATE TABLE sync_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    media_id   TEXT NOT NULL,
    op         TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE INDEX sync_log_by_user ON sync_log (user_id, seq);
-- Items stored before this migration: one entry each, so a first pull sees them.
INSERT INTO sync_log (user_id, media_id, op, changed_at)
SELECT user_id, id, 'upsert', updated_at FROM media ORDER BY created_at, id;

CREATE TRIGGER sync_log_media_insert AFTER INSERT ON media BEGIN
    INSERT INTO sync_log (user_id, media_id, op, changed_at)
    VALUES (NEW.user_id, NEW.id, 'upsert', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_log_media_update AFTER UPDATE ON media BEGIN
    INSERT INTO sync_log (user_id, media_id, op, changed_at)
    VALUES (NEW.user_id, NEW.id, 'upsert', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_log_media_delete AFTER DELETE ON media BEGIN
    INSERT INTO sync_log (user_id, media_id, op, changed_at)
    VALUES (OLD.user_id, OLD.id, 'delete', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_log_edit_insert AFTER INSERT ON sync_edits BEGIN
    INSERT INTO sync_log (user_id, media_id, op, changed_at)
    VALUES (NEW.user_id, NEW.media_id, 'upsert', NEW.received_at);
END;

-- Each device's position in the log as the server last handed it out, and a sync it was asked
-- to run (in_progress until a pull reaches the end of the log).
CREATE TABLE sync_cursors (
    device_id    TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    last_sync_at INTEGER,
    in_progress  INTEGER NOT NULL DEFAULT 0,
    started_at   INTEGER
);
