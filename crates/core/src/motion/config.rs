//! Detector settings: sensitivity levels and the background model's rates.

use super::{MotionError, Polygon};
use serde::{Deserialize, Serialize};

/// The user's sensitivity setting (`PUT /settings/motion`, `"sensitivity": "medium"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Low,
    #[default]
    Medium,
    High,
}

/// What a sensitivity level means for the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensitivityParams {
    /// A pixel moves when it is this many standard deviations off its background. Medium is
    /// the write-up's MOG2 `varThreshold = 16` (squared), low 25, high 9.
    pub sigmas: f32,
    /// …and at least this many grey levels off, whatever its variability (sensor noise floor).
    pub min_difference: f32,
    /// Smallest moving region, as a fraction of the frame. Medium is the write-up's 5 000
    /// pixels of 1920×1080.
    pub min_area_fraction: f32,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn params(self) -> SensitivityParams {
        match self {
            Self::Low => SensitivityParams {
                sigmas: 5.0,
                min_difference: 24.0,
                min_area_fraction: 0.004,
            },
            Self::Medium => SensitivityParams {
                sigmas: 4.0,
                min_difference: 16.0,
                min_area_fraction: 5000.0 / (1920.0 * 1080.0),
            },
            Self::High => SensitivityParams {
                sigmas: 3.0,
                min_difference: 10.0,
                min_area_fraction: 0.0012,
            },
        }
    }
}

/// Everything the detector needs besides the frame size.
#[derive(Debug, Clone, PartialEq)]
pub struct MotionConfig {
    pub sensitivity: Sensitivity,
    /// How fast the background follows a still pixel, per frame.
    pub learning_rate: f32,
    /// How fast the background absorbs a moving pixel (something that stopped and stays).
    pub foreground_learning_rate: f32,
    /// How fast each pixel's variability estimate follows its squared difference.
    pub variance_rate: f32,
    /// The smallest standard deviation a pixel is given (grey levels).
    pub min_sigma: f32,
    /// Frames spent learning the scene before anything is reported.
    pub warmup_frames: u32,
    /// A tone shift of at least this many grey levels is a global light change: the model is
    /// remapped to the new light at once and re-learns fast for `relearn_frames`.
    pub light_shift_threshold: f32,
    pub relearn_frames: u32,
    pub relearn_rate: f32,
    /// A frame where more than this fraction moves at once, spread over the whole frame, out of
    /// a near-quiet one, is a light change the tone correction could not follow (the IR filter
    /// turning materials' brightness around): reported as light, not motion.
    pub sudden_change_fraction: f32,
    /// Motion counts only inside these (normalised) polygons; none means the whole frame.
    pub zones: Vec<Polygon>,
    /// Motion never counts inside these.
    pub privacy_masks: Vec<Polygon>,
}

impl Default for MotionConfig {
    fn default() -> Self {
        Self {
            sensitivity: Sensitivity::Medium,
            learning_rate: 0.02,
            foreground_learning_rate: 0.002,
            variance_rate: 0.02,
            min_sigma: 3.0,
            warmup_frames: 30,
            light_shift_threshold: 12.0,
            relearn_frames: 10,
            relearn_rate: 0.3,
            sudden_change_fraction: 0.45,
            zones: Vec::new(),
            privacy_masks: Vec::new(),
        }
    }
}

impl MotionConfig {
    pub fn with_sensitivity(sensitivity: Sensitivity) -> Self {
        Self {
            sensitivity,
            ..Self::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), MotionError> {
        let rates = [
            ("learning_rate", self.learning_rate),
            ("foreground_learning_rate", self.foreground_learning_rate),
            ("variance_rate", self.variance_rate),
            ("relearn_rate", self.relearn_rate),
            ("sudden_change_fraction", self.sudden_change_fraction),
        ];
        for (name, rate) in rates {
            if !(rate > 0.0 && rate <= 1.0) {
                return Err(MotionError::InvalidSetting {
                    name,
                    reason: "must be in (0, 1]",
                });
            }
        }
        for (name, value) in [
            ("min_sigma", self.min_sigma),
            ("light_shift_threshold", self.light_shift_threshold),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(MotionError::InvalidSetting {
                    name,
                    reason: "must be a positive number",
                });
            }
        }
        Ok(())
    }
}

/// Under IR the sensor is noisier (grain at high gain) and the illuminator makes near
/// surfaces flicker: a pixel must stand further from its background to count, and the model
/// settles faster after the switch.
const NIGHT_SIGMA_FACTOR: f32 = 2.0;

impl MotionConfig {
    /// The same settings for the camera seeing by IR at night.
    pub fn for_night(&self) -> Self {
        Self {
            min_sigma: self.min_sigma * NIGHT_SIGMA_FACTOR,
            warmup_frames: self.warmup_frames.min(15),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod night_tests {
    use super::*;

    #[test]
    fn night_raises_the_noise_floor_and_keeps_zones() {
        let day = MotionConfig {
            privacy_masks: vec![Polygon::rect(0.0, 0.0, 0.5, 0.5).unwrap()],
            ..MotionConfig::with_sensitivity(Sensitivity::High)
        };
        let night = day.for_night();
        assert_eq!(night.min_sigma, day.min_sigma * 2.0);
        assert_eq!(night.sensitivity, Sensitivity::High);
        assert_eq!(night.privacy_masks, day.privacy_masks);
        assert!(night.validate().is_ok());
    }
}
