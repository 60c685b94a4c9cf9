-- When each device was last heard from and its last telemetry beyond the seed's fields (JSON),
-- so that a restarted server still shows them until the device reconnects.
ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
ALTER TABLE devices ADD COLUMN telemetry TEXT;
