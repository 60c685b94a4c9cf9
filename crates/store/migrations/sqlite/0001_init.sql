-- Times are Unix milliseconds (UTC); ids are UUID text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_type      TEXT NOT NULL,
    name             TEXT NOT NULL,
    firmware_version TEXT,
    battery_level    INTEGER,
    connectivity     TEXT,
    last_sync_at     INTEGER,
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL
);
CREATE INDEX devices_by_user ON devices (user_id, created_at);

CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    media_id   TEXT NOT NULL,
    length     INTEGER NOT NULL,
    "offset"   INTEGER NOT NULL DEFAULT 0,
    media      TEXT NOT NULL, -- JSON of PendingMedia
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    completed  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, media_id)
);
CREATE INDEX uploads_by_expiry ON uploads (completed, expires_at);

CREATE TABLE media (
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    failure_reason TEXT,
    filename       TEXT,
    device_id      TEXT,
    captured_at    INTEGER NOT NULL,
    -- 1 when the client said when it was taken; otherwise the file's own time may replace it.
    captured_at_from_client INTEGER NOT NULL DEFAULT 0,
    lat            REAL,
    lon            REAL,
    size_bytes     INTEGER NOT NULL,
    raw_key        TEXT NOT NULL,
    facts          TEXT, -- JSON of MediaFacts
    thumbnail_key  TEXT,
    preview_key    TEXT,
    rendition_key  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX media_timeline ON media (user_id, captured_at DESC, id DESC);

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    consumer TEXT NOT NULL,
    topic    TEXT NOT NULL,
    PRIMARY KEY (consumer, topic)
);

-- One row per (event, consumer). state: pending | done | dead.
CREATE TABLE deliveries (
    event_id     INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    consumer     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    available_at INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    PRIMARY KEY (event_id, consumer)
);
CREATE INDEX deliveries_due ON deliveries (consumer, state, available_at);
