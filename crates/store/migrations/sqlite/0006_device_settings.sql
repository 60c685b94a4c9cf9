-- What the owner set for each device (JSON of sightline_core::settings::AgentSettings), pushed
-- down its channel; the version goes up with every change so the device can say which it applied.
ALTER TABLE devices ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE devices ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
