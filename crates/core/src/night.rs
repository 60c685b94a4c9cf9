//! Night vision: ambient light (lux) decides the IR illuminators' intensity, with the doorbell
//! write-up's thresholds (above 10 lux off; above 1 lux 30 %; above 0.1 lux 60 %; darker 100 %),
//! and when motion detection switches to its night parameters. Light near a threshold (a street
//! lamp flickering, a cloud) must not toggle the LEDs and the IR filter every second, so a level
//! is left only once the light is past its threshold by a margin.

use serde::{Deserialize, Serialize};

/// Ordered brightest first: a darker level compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LightLevel {
    /// More than 10 lux: colour video, no IR.
    Day,
    /// 1–10 lux.
    Dusk,
    /// 0.1–1 lux.
    Night,
    /// Under 0.1 lux.
    Dark,
}

/// Lower bound (lux) of each level, brightest first.
const THRESHOLDS: [(LightLevel, f64); 3] = [
    (LightLevel::Day, 10.0),
    (LightLevel::Dusk, 1.0),
    (LightLevel::Night, 0.1),
];

/// A level changes only when the light is this factor past the threshold between them.
const HYSTERESIS: f64 = 1.5;

impl LightLevel {
    /// The level of `lux` with no history.
    pub fn of(lux: f64) -> Self {
        THRESHOLDS
            .iter()
            .find(|(_, min)| lux > *min)
            .map(|(level, _)| *level)
            .unwrap_or(LightLevel::Dark)
    }

    /// IR illuminator intensity, percent (the write-up's 0 / 30 / 60 / 100).
    pub fn ir_intensity_percent(self) -> u8 {
        match self {
            Self::Day => 0,
            Self::Dusk => 30,
            Self::Night => 60,
            Self::Dark => 100,
        }
    }

    /// The camera sees by IR: motion detection uses its night parameters.
    pub fn is_night(self) -> bool {
        self != Self::Day
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Dusk => "dusk",
            Self::Night => "night",
            Self::Dark => "dark",
        }
    }
}

/// Follows the ambient light with hysteresis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NightVision {
    level: Option<LightLevel>,
}

impl Default for NightVision {
    fn default() -> Self {
        Self::new()
    }
}

impl NightVision {
    pub fn new() -> Self {
        Self { level: None }
    }

    pub fn level(&self) -> Option<LightLevel> {
        self.level
    }

    /// Takes a reading; returns the new level when it changed. Readings that are not a finite,
    /// non-negative number (a broken sensor) change nothing.
    pub fn update(&mut self, lux: f64) -> Option<LightLevel> {
        if !(lux.is_finite() && lux >= 0.0) {
            return None;
        }
        let raw = LightLevel::of(lux);
        let next = match self.level {
            None => raw,
            Some(current) if raw == current => current,
            Some(current) => {
                // Past the margin of the threshold next to the current level, in the
                // direction of the change; otherwise stay. Levels order brightest first.
                let past_margin = if raw > current {
                    LightLevel::of(lux * HYSTERESIS) > current
                } else {
                    LightLevel::of(lux / HYSTERESIS) < current
                };
                if past_margin { raw } else { current }
            }
        };
        let changed = self.level != Some(next);
        self.level = Some(next);
        changed.then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_intensities_follow_the_write_up() {
        assert_eq!(LightLevel::of(500.0), LightLevel::Day);
        assert_eq!(LightLevel::of(5.0), LightLevel::Dusk);
        assert_eq!(LightLevel::of(0.5), LightLevel::Night);
        assert_eq!(LightLevel::of(0.01), LightLevel::Dark);
        assert_eq!(
            LightLevel::of(10.0),
            LightLevel::Dusk,
            "10 lux is not above 10"
        );
        let percent: Vec<u8> = [500.0, 5.0, 0.5, 0.0]
            .iter()
            .map(|&l| LightLevel::of(l).ir_intensity_percent())
            .collect();
        assert_eq!(percent, [0, 30, 60, 100]);
        assert!(!LightLevel::Day.is_night());
        assert!(LightLevel::Dusk.is_night());
    }

    #[test]
    fn light_flickering_around_a_threshold_does_not_toggle() {
        let mut vision = NightVision::new();
        assert_eq!(vision.update(50.0), Some(LightLevel::Day));
        // Just under 10 lux: not far enough past the threshold to switch.
        assert_eq!(vision.update(8.0), None);
        assert_eq!(vision.update(11.0), None);
        assert_eq!(vision.update(6.0), Some(LightLevel::Dusk));
        // Back just over 10: stays dusk until clearly brighter.
        assert_eq!(vision.update(12.0), None);
        assert_eq!(vision.update(16.0), Some(LightLevel::Day));
    }

    #[test]
    fn a_sudden_dark_goes_straight_to_full_ir() {
        let mut vision = NightVision::new();
        vision.update(300.0);
        assert_eq!(vision.update(0.0), Some(LightLevel::Dark));
        assert_eq!(vision.level(), Some(LightLevel::Dark));
        assert_eq!(vision.update(f64::NAN), None);
        assert_eq!(vision.update(-1.0), None);
        assert_eq!(vision.level(), Some(LightLevel::Dark));
    }
}
