//! Battery model and power policy of the device agent: what each component draws, how long a
//! battery lasts under a usage profile in each power mode, which mode to run in, what to encode
//! and how to batch uploads. Pure: the agent feeds battery readings in and acts on the answers.

mod battery;
mod encoding;
mod model;
mod policy;
mod usage;

pub use battery::{
    BatteryReading, ChargeStatus, SimulatedBattery, SysfsBattery, parse_sysfs, parse_uevent,
};
pub use encoding::{EncodingProfile, encoding_for};
pub use model::{Component, ComponentDraw, ModeScaling, PowerModel};
pub use policy::{
    BALANCED_BELOW, Connectivity, DEFER_LOW_PRIORITY_BELOW, HYSTERESIS_PERCENT, ModeTransition,
    POWER_SAVE_BELOW, PowerPolicy, UploadBatching, defer_low_priority, mode_for, upload_batching,
};
pub use usage::{ACTIVE_HOURS_GOAL, DayEstimate, STANDBY_HOURS_GOAL, UsageProfile, day_estimate};

use serde::{Deserialize, Serialize};
use std::fmt;

/// How hard the device may work. Each mode lowers clocks, encoding quality and radio wake-ups
/// further than the one before it, so each lasts longer on the same battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerMode {
    HighPerformance,
    Balanced,
    PowerSave,
}

impl PowerMode {
    pub const ALL: [PowerMode; 3] = [Self::HighPerformance, Self::Balanced, Self::PowerSave];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HighPerformance => "high_performance",
            Self::Balanced => "balanced",
            Self::PowerSave => "power_save",
        }
    }

    /// 0 for high performance, 2 for power save: higher saves more.
    pub(crate) fn saving_rank(self) -> u8 {
        match self {
            Self::HighPerformance => 0,
            Self::Balanced => 1,
            Self::PowerSave => 2,
        }
    }
}

impl fmt::Display for PowerMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Battery readings that cannot be trusted. Inputs are echoed at most 32 characters long.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PowerError {
    #[error("battery capacity is not a number: {0:?}")]
    CapacityNotANumber(String),
    #[error("battery capacity {0} is outside 0..=100")]
    CapacityOutOfRange(f32),
    #[error("unknown battery status {0:?}")]
    UnknownStatus(String),
    #[error("power_supply uevent has no {0}")]
    MissingField(&'static str),
}

/// The first 32 characters of untrusted text, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(32).collect()
}
