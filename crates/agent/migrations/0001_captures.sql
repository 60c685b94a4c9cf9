-- Every capture the device made, from the moment it starts being written until the server
-- has it. A row is written before its file, so a crash leaves either a row in `writing`
-- (recovered or dropped at start-up) or a complete file with its row; never an unknown file.
CREATE TABLE captures (
    media_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
    file_name       TEXT NOT NULL,
    -- writing → pending → uploaded → evicted; corrupt when the file no longer matches.
    state           TEXT NOT NULL CHECK (state IN ('writing', 'pending', 'uploaded', 'evicted', 'corrupt')),
    bytes           INTEGER NOT NULL DEFAULT 0,
    sha256          TEXT,
    captured_at     INTEGER NOT NULL,
    lat             REAL,
    lon             REAL,
    -- Lower goes first: user-requested photos, then videos, then background captures.
    priority        INTEGER NOT NULL,
    upload_url      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT,
    uploaded_at     INTEGER
);
CREATE INDEX captures_queue ON captures (state, priority, captured_at);

-- Every command heard or typed, with what it did and how long it took.
CREATE TABLE commands (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    text        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL
);
