//! Edge motion detection for the doorbell, the pure part: the agent pipes downscaled grey frames
//! from ffmpeg (`-f rawvideo -pix_fmt gray`) into a [`MotionDetector`] and feeds each
//! [`FrameAnalysis`] to a [`MotionTracker`], which turns frames into motion events.
//!
//! Per frame: a global tone correction (the frame's brightness against the background, per
//! brightness band, by medians, so headlights, clouds and the IR switch shift the model instead
//! of firing while a person covering less than half the frame does not move it) → foreground
//! against a running-average background whose per-pixel variability raises the threshold of
//! pixels that always flicker (a swaying tree) → 3×3 opening and closing → connected components
//! (two-pass union-find) → boxes above the minimum area, each with a confidence.
//!
//! Numbers from the doorbell write-up: medium sensitivity is MOG2's `varThreshold = 16` (a pixel
//! moves when it is 4 standard deviations off its background), the minimum area is its 5 000
//! pixels of a 1080p frame (0.24 %), frame confidence builds on its `min(10 × moving fraction,
//! 1)` and the cooldown defaults to 60 s.

mod background;
mod components;
mod config;
mod detector;
mod morph;
mod schedule;
mod tone;
mod tracker;
mod zones;

#[cfg(test)]
#[path = "scene_tests.rs"]
mod scene_tests;

pub use components::MotionBox;
pub use config::{MotionConfig, Sensitivity, SensitivityParams};
pub use detector::{FrameAnalysis, MotionDetector};
pub use schedule::{Schedule, ScheduleWindow};
pub use tracker::{MotionEvent, MotionTracker, TrackerConfig};
pub use zones::{NormPoint, Polygon, ZoneMask};

/// Input the detector cannot work with. Nothing here panics on bad input; it returns one of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MotionError {
    #[error("frame size {width}x{height} is empty")]
    ZeroSize { width: u32, height: u32 },
    #[error("frame size {width}x{height} is larger than {max} pixels")]
    FrameTooLarge { width: u32, height: u32, max: u64 },
    #[error("frame buffer has {actual} bytes, expected {expected} (width x height grey bytes)")]
    WrongBufferLength { expected: usize, actual: usize },
    #[error("polygon has {points} points, at least 3 are needed")]
    PolygonTooFewPoints { points: usize },
    #[error("polygon point ({x}, {y}) is outside 0..=1")]
    CoordinateOutOfRange { x: f64, y: f64 },
    #[error("invalid motion setting {name}: {reason}")]
    InvalidSetting {
        name: &'static str,
        reason: &'static str,
    },
    #[error("invalid time of day {0:?}, expected HH:MM")]
    InvalidTime(String),
    #[error("unknown day {0:?}, expected all, mon..sun or monday..sunday")]
    UnknownDay(String),
}

/// The first 32 characters of untrusted text, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(32).collect()
}
