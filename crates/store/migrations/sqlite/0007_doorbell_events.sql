-- Doorbell events (issue 5): one row per event a device reported. `id` is minted by the device
-- and is the idempotency key: a replayed POST finds this row instead of making a second one.
-- Times are Unix milliseconds; seconds are REAL (clips are cut on keyframes).
CREATE TABLE doorbell_events (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    device_id     TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    event_type    TEXT NOT NULL, -- motion | doorbell_press | person | package | vehicle | animal
    occurred_at   INTEGER NOT NULL,
    duration_secs REAL NOT NULL,
    pre_roll_secs REAL NOT NULL,
    -- The clip (a media row of the same user), NULL when there is none or it was deleted: the
    -- trigger below clears it, as a composite ON DELETE SET NULL would also clear user_id.
    media_id      TEXT,
    confidence    REAL,
    detections    TEXT NOT NULL, -- JSON {"version":1,"items":[{label,confidence,x,y,w,h}]}, boxes normalised
    battery_level INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX doorbell_events_by_user ON doorbell_events (user_id, occurred_at DESC, id DESC);
CREATE INDEX doorbell_events_by_device ON doorbell_events (device_id, occurred_at DESC, id DESC);
CREATE INDEX doorbell_events_by_clip ON doorbell_events (user_id, media_id) WHERE media_id IS NOT NULL;

CREATE TRIGGER doorbell_events_clip_deleted AFTER DELETE ON media BEGIN
    UPDATE doorbell_events SET media_id = NULL WHERE user_id = OLD.user_id AND media_id = OLD.id;
END;
