-- Notifications (issue 5): preferences, webhooks and Web Push subscriptions per user, the
-- cooldown clock per device, and per event what was decided and which targets have it.
-- Times are Unix milliseconds.
CREATE TABLE notification_preferences (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    prefs      TEXT NOT NULL, -- JSON {"version":1, quiet_hours, notify_types, press_during_quiet_hours}
    updated_at INTEGER NOT NULL
);

CREATE TABLE notification_webhooks (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL, -- the HMAC key: it must be readable to sign
    created_at INTEGER NOT NULL
);
CREATE INDEX notification_webhooks_by_user ON notification_webhooks (user_id, created_at);

CREATE TABLE notification_push_subscriptions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, endpoint)
);

-- The last event of the device that notified under cooldown: kept here, not in memory, so a
-- restart does not reset it.
CREATE TABLE notification_cooldowns (
    device_id        TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    last_notified_at INTEGER NOT NULL
);

-- What the cooldown decided for an event, so a retried delivery keeps its first decision.
-- Goes with the event (retention deletes both).
CREATE TABLE notification_decisions (
    user_id    TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    decision   TEXT NOT NULL, -- notify | cooldown
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id),
    FOREIGN KEY (user_id, event_id) REFERENCES doorbell_events(user_id, id) ON DELETE CASCADE
);

-- Targets (`webhook:<id>`, `push:<id>`) that have an event, written only when another target
-- of the same event failed: the retry then skips these.
CREATE TABLE notification_deliveries (
    user_id      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    target       TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id, target),
    FOREIGN KEY (user_id, event_id) REFERENCES doorbell_events(user_id, id) ON DELETE CASCADE
);
