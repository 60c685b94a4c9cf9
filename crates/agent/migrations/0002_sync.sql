-- Where the device is in the server's change log, and when it last caught up.
CREATE TABLE sync_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    token        TEXT NOT NULL,
    last_sync_at INTEGER NOT NULL
);
