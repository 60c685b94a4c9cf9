//! Which power mode to run in, when to defer low-priority work, and how to batch uploads.

use super::PowerMode;
use super::battery::BatteryReading;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Below this level (percent) the device runs in power save.
pub const POWER_SAVE_BELOW: f32 = 20.0;
/// Below this level (percent) the device runs balanced.
pub const BALANCED_BELOW: f32 = 50.0;
/// Below this level (percent) low-priority work (re-indexing, bulk sync) waits for a charger.
pub const DEFER_LOW_PRIORITY_BELOW: f32 = 30.0;
/// How far above a threshold the level must climb before the mode steps back up.
pub const HYSTERESIS_PERCENT: f32 = 3.0;

/// The mode for a level without history; on a charger always high performance. A level
/// that is not a number counts as empty.
pub fn mode_for(level_percent: f32, charging: bool) -> PowerMode {
    if charging {
        PowerMode::HighPerformance
    } else if level_percent.is_nan() || level_percent < POWER_SAVE_BELOW {
        PowerMode::PowerSave
    } else if level_percent < BALANCED_BELOW {
        PowerMode::Balanced
    } else {
        PowerMode::HighPerformance
    }
}

/// Whether low-priority work should wait: below 30 % and not charging.
pub fn defer_low_priority(level_percent: f32, charging: bool) -> bool {
    !charging && (level_percent.is_nan() || level_percent < DEFER_LOW_PRIORITY_BELOW)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeTransition {
    pub from: PowerMode,
    pub to: PowerMode,
    /// When the reading that caused it was taken.
    pub at: DateTime<Utc>,
}

/// The current mode with hysteresis: it steps down as soon as a threshold is crossed but
/// steps up only once the level is [`HYSTERESIS_PERCENT`] above it (power save is left at
/// 23 %, balanced at 53 %), so a level wobbling around 20 % does not flap. Plugging in a
/// charger switches to high performance at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerPolicy {
    mode: PowerMode,
}

impl PowerPolicy {
    pub fn new(mode: PowerMode) -> Self {
        Self { mode }
    }

    /// Starts in the mode the first reading calls for.
    pub fn from_reading(reading: &BatteryReading) -> Self {
        Self::new(mode_for(reading.level_percent, reading.charging))
    }

    pub fn mode(&self) -> PowerMode {
        self.mode
    }

    /// Takes a reading; returns the transition if the mode changes.
    pub fn observe(&mut self, reading: &BatteryReading) -> Option<ModeTransition> {
        let wanted = mode_for(reading.level_percent, reading.charging);
        let next = if reading.charging || wanted.saving_rank() >= self.mode.saving_rank() {
            wanted
        } else {
            // Stepping up: only as far as the level allows with the margin taken off.
            let cautious = mode_for(reading.level_percent - HYSTERESIS_PERCENT, false);
            if cautious.saving_rank() < self.mode.saving_rank() {
                cautious
            } else {
                self.mode
            }
        };
        if next == self.mode {
            return None;
        }
        let from = std::mem::replace(&mut self.mode, next);
        Some(ModeTransition {
            from,
            to: next,
            at: reading.at,
        })
    }
}

/// How the device reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    Wifi,
    /// Cellular, or relayed through the phone: costlier per byte and per wake-up.
    Metered,
}

/// When queued background uploads go out: as soon as `min_batch` items are waiting or the
/// oldest has waited `max_wait_secs`, whichever comes first, so the radio wakes once per
/// batch. Items the user asked for ("upload this now", a shared clip) are never delayed by
/// batching: they go out at once and take the waiting batch with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatching {
    pub min_batch: u32,
    pub max_wait_secs: u64,
}

impl UploadBatching {
    /// Whether to start uploading now.
    pub fn should_flush(&self, pending: u32, oldest_wait_secs: u64, user_requested: bool) -> bool {
        pending > 0
            && (user_requested
                || pending >= self.min_batch
                || oldest_wait_secs >= self.max_wait_secs)
    }
}

/// Batching per mode and link: immediate on Wi-Fi with a full battery, batches when
/// balanced, bigger batches and longer waits in power save and on metered links.
pub fn upload_batching(mode: PowerMode, connectivity: Connectivity) -> UploadBatching {
    let (min_batch, max_wait_secs) = match (mode, connectivity) {
        (PowerMode::HighPerformance, Connectivity::Wifi) => (1, 0),
        (PowerMode::HighPerformance, Connectivity::Metered) => (3, 120),
        (PowerMode::Balanced, Connectivity::Wifi) => (5, 300),
        (PowerMode::Balanced, Connectivity::Metered) => (10, 900),
        (PowerMode::PowerSave, Connectivity::Wifi) => (20, 1800),
        (PowerMode::PowerSave, Connectivity::Metered) => (30, 3600),
    };
    UploadBatching {
        min_batch,
        max_wait_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PowerMode::*;
    use proptest::prelude::*;

    fn reading(level_percent: f32, charging: bool) -> BatteryReading {
        BatteryReading {
            level_percent,
            charging,
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn thresholds() {
        let cases = [
            (0.0, false, PowerSave),
            (19.9, false, PowerSave),
            (20.0, false, Balanced),
            (49.9, false, Balanced),
            (50.0, false, HighPerformance),
            (100.0, false, HighPerformance),
            (5.0, true, HighPerformance),
            (f32::NAN, false, PowerSave),
        ];
        for (level, charging, expected) in cases {
            assert_eq!(mode_for(level, charging), expected, "{level} {charging}");
        }
        let deferrals = [
            (29.9, false, true),
            (30.0, false, false),
            (10.0, true, false),
            (f32::NAN, false, true),
        ];
        for (level, charging, expected) in deferrals {
            assert_eq!(defer_low_priority(level, charging), expected, "{level}");
        }
    }

    #[test]
    fn hysteresis_steps_down_at_once_and_up_with_a_margin() {
        let mut policy = PowerPolicy::from_reading(&reading(25.0, false));
        assert_eq!(policy.mode(), Balanced);
        // (level, charging, mode afterwards, whether that reading changed it)
        let steps = [
            (19.0, false, PowerSave, true),
            (21.0, false, PowerSave, false),
            (22.9, false, PowerSave, false),
            (19.5, false, PowerSave, false),
            (23.0, false, Balanced, true),
            (52.9, false, Balanced, false),
            (53.0, false, HighPerformance, true),
            (49.0, false, Balanced, true),
            (10.0, true, HighPerformance, true),
            (21.0, false, Balanced, true),
            (10.0, false, PowerSave, true),
            (60.0, false, HighPerformance, true),
        ];
        for (level, charging, mode, changed) in steps {
            let before = policy.mode();
            let transition = policy.observe(&reading(level, charging));
            assert_eq!(policy.mode(), mode, "at {level}");
            assert_eq!(transition.is_some(), changed, "at {level}");
            if let Some(transition) = transition {
                assert_eq!((transition.from, transition.to), (before, mode));
            }
        }
    }

    #[test]
    fn batching_per_mode_and_link() {
        let immediate = upload_batching(HighPerformance, Connectivity::Wifi);
        assert!(immediate.should_flush(1, 0, false));
        assert!(!immediate.should_flush(0, 9999, true));
        let saving = upload_batching(PowerSave, Connectivity::Wifi);
        assert!(!saving.should_flush(3, 60, false));
        assert!(
            saving.should_flush(3, 60, true),
            "user-requested items are not delayed"
        );
        assert!(saving.should_flush(3, 1800, false));
        assert!(saving.should_flush(20, 0, false));
        for link in [Connectivity::Wifi, Connectivity::Metered] {
            let rows = PowerMode::ALL.map(|mode| upload_batching(mode, link));
            assert!(
                rows.windows(2)
                    .all(|pair| pair[0].min_batch < pair[1].min_batch
                        && pair[0].max_wait_secs < pair[1].max_wait_secs)
            );
        }
    }

    proptest! {
        #[test]
        fn wobbling_around_a_threshold_switches_at_most_once(
            threshold in prop::sample::select(vec![POWER_SAVE_BELOW, BALANCED_BELOW]),
            wobble in proptest::collection::vec(-1.4f32..1.4, 1..50),
        ) {
            let mut policy = PowerPolicy::from_reading(&reading(threshold + wobble[0], false));
            let transitions = wobble[1..]
                .iter()
                .filter_map(|w| policy.observe(&reading(threshold + w, false)))
                .count();
            prop_assert!(transitions <= 1);
        }

        #[test]
        fn the_policy_never_saves_less_than_the_level_allows(
            levels in proptest::collection::vec(0.0f32..=100.0, 1..50),
        ) {
            let mut policy = PowerPolicy::new(HighPerformance);
            for level in levels {
                policy.observe(&reading(level, false));
                prop_assert!(policy.mode().saving_rank() >= mode_for(level, false).saving_rank());
            }
        }
    }
}
