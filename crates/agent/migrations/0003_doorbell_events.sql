-- Doorbell events the device saw, from the trigger until the server has both clips. Each event
-- has two clips, both captures (media ids minted at the trigger): the alert clip (pre-roll and
-- the first second, posted with the event so the owner is told in under two seconds) and the
-- full clip (through the post-roll), attached to the event afterwards.
CREATE TABLE doorbell_events (
    event_id          TEXT PRIMARY KEY,
    event_type        TEXT NOT NULL,
    occurred_at       INTEGER NOT NULL, -- Unix ms
    alert_media_id    TEXT NOT NULL,
    clip_media_id     TEXT,             -- NULL when the full clip could not be made
    pre_roll_ms       INTEGER NOT NULL DEFAULT 0,
    alert_duration_ms INTEGER NOT NULL DEFAULT 0,
    clip_duration_ms  INTEGER NOT NULL DEFAULT 0,
    confidence        REAL,
    detections        TEXT NOT NULL DEFAULT '[]', -- JSON [{label,confidence,x,y,w,h}], normalised
    battery_level     INTEGER,
    -- recording → alert_cut → clip_cut; abandoned when nothing could be kept.
    state             TEXT NOT NULL CHECK (state IN ('recording', 'alert_cut', 'clip_cut', 'abandoned')),
    alert_posted      INTEGER NOT NULL DEFAULT 0,
    clip_posted       INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    last_error        TEXT
);
CREATE INDEX doorbell_events_unposted ON doorbell_events (state, alert_posted, clip_posted);
