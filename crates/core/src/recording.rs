//! Recording modes of a doorbell and how long 24/7 video fits on the device: the doorbell
//! write-up keeps continuous recording on the device's own storage (cloud 24/7 costs more than
//! the subscription brings in) and uploads only events.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordingMode {
    /// Clips of events only (pre-roll, activity, post-roll).
    #[default]
    #[serde(rename = "event_only")]
    EventOnly,
    /// Everything, kept on the device as long as it fits; events are uploaded as usual.
    #[serde(rename = "24_7")]
    Continuous,
    /// No video at all: events are still reported, without clips.
    #[serde(rename = "off")]
    Off,
}

impl RecordingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventOnly => "event_only",
            Self::Continuous => "24_7",
            Self::Off => "off",
        }
    }
}

impl fmt::Display for RecordingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recording mode must be event_only, 24_7 or off, got {0:?}")]
pub struct InvalidRecordingMode(pub String);

impl FromStr for RecordingMode {
    type Err = InvalidRecordingMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "event_only" => Ok(Self::EventOnly),
            "24_7" => Ok(Self::Continuous),
            "off" => Ok(Self::Off),
            other => Err(InvalidRecordingMode(other.chars().take(32).collect())),
        }
    }
}

/// The write-up's local retention: the days `capacity_bytes` hold at `bitrate_bps`
/// (`capacity / (bitrate / 8 × 86 400)`), at most `max_days`: 128 GiB at 1 Mbit/s holds more
/// than its default 7-day cap.
pub fn local_retention(capacity_bytes: u64, bitrate_bps: u64, max_days: u32) -> Duration {
    let cap = Duration::from_secs(u64::from(max_days) * 86_400);
    if bitrate_bps == 0 {
        return cap;
    }
    let seconds = capacity_bytes as f64 * 8.0 / bitrate_bps as f64;
    Duration::from_secs_f64(seconds.min(cap.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_and_write_as_in_the_seed() {
        for mode in [
            RecordingMode::EventOnly,
            RecordingMode::Continuous,
            RecordingMode::Off,
        ] {
            assert_eq!(mode.as_str().parse(), Ok(mode));
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
        }
        assert!("always".parse::<RecordingMode>().is_err());
    }

    #[test]
    fn retention_follows_the_write_up() {
        let gib = 1u64 << 30;
        // 128 GiB at 1 Mbit/s: 12.7 days (the write-up says 11.8, mixing GB and GiB); capped at 7.
        let days = |d: Duration| d.as_secs_f64() / 86_400.0;
        let uncapped = local_retention(128 * gib, 1_000_000, 365);
        assert!((days(uncapped) - 12.7).abs() < 0.1, "{}", days(uncapped));
        assert_eq!(
            local_retention(128 * gib, 1_000_000, 7),
            Duration::from_secs(7 * 86_400)
        );
        // 1 GiB at 2 Mbit/s: about 72 minutes.
        let small = local_retention(gib, 2_000_000, 7);
        assert!((small.as_secs_f64() / 60.0 - 71.6).abs() < 0.5);
        assert_eq!(local_retention(gib, 0, 3), Duration::from_secs(3 * 86_400));
    }
}
