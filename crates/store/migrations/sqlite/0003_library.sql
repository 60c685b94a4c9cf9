-- People, places, who appears where, derived annotations and memory videos (issue 3).

CREATE TABLE people (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    relationship TEXT,
    is_me        INTEGER NOT NULL DEFAULT 0,
    birthday     TEXT, -- YYYY-MM-DD
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
);
-- At most one "me" per user.
CREATE UNIQUE INDEX people_one_me ON people (user_id) WHERE is_me = 1;

-- A person in a media item: the whole item (start/end NULL) or a time range of a video.
CREATE TABLE appearances (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    media_id   TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    start_secs REAL,
    end_secs   REAL,
    source     TEXT NOT NULL DEFAULT 'manual',
    created_at INTEGER NOT NULL,
    FOREIGN KEY (user_id, media_id) REFERENCES media(user_id, id) ON DELETE CASCADE,
    FOREIGN KEY (user_id, person_id) REFERENCES people(user_id, id) ON DELETE CASCADE
);
CREATE INDEX appearances_by_media ON appearances (user_id, media_id);
CREATE INDEX appearances_by_person ON appearances (user_id, person_id);

CREATE TABLE places (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    radius_m   REAL NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
);

-- What the workers derived beyond the probe: place names and per-second interest.
CREATE TABLE annotations (
    user_id      TEXT NOT NULL,
    media_id     TEXT NOT NULL,
    city         TEXT,
    region       TEXT,
    country_code TEXT,
    country      TEXT,
    interest     TEXT, -- JSON, owned by the media crate
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, media_id),
    FOREIGN KEY (user_id, media_id) REFERENCES media(user_id, id) ON DELETE CASCADE
);

CREATE TABLE memories (
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    query             TEXT NOT NULL,
    cache_key         TEXT NOT NULL,
    understood        TEXT NOT NULL, -- JSON
    max_duration_secs INTEGER NOT NULL,
    library_version   INTEGER NOT NULL,
    status            TEXT NOT NULL,
    reason            TEXT,
    clips             TEXT, -- JSON
    video_key         TEXT,
    thumbnail_key     TEXT,
    duration_secs     REAL,
    render_ms         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX memories_by_key ON memories (user_id, cache_key, library_version);
CREATE INDEX memories_by_time ON memories (user_id, created_at DESC);

-- The library version of each user: any change a memory or search could depend on bumps it,
-- so a cached memory is reused only while nothing it was made from has changed.
CREATE TABLE library_versions (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    version INTEGER NOT NULL
);

CREATE TRIGGER bump_media_insert AFTER INSERT ON media BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_media_update AFTER UPDATE ON media BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_media_delete AFTER DELETE ON media BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_people_insert AFTER INSERT ON people BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_people_update AFTER UPDATE ON people BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_people_delete AFTER DELETE ON people BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_appearances_insert AFTER INSERT ON appearances BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_appearances_delete AFTER DELETE ON appearances BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_places_insert AFTER INSERT ON places BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_places_update AFTER UPDATE ON places BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_places_delete AFTER DELETE ON places BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_annotations_insert AFTER INSERT ON annotations BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER bump_annotations_update AFTER UPDATE ON annotations BEGIN
    INSERT INTO library_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
