//! One 0..1 score per second, combining the interest signals and the people in view.
//!
//! `score = (w_sharp·sharpness + w_motion·motion_term + w_audio·audio + w_people·people)
//!          / (sum of the weights in use) × penalties`
//!
//! Default weights ([`ScoreWeights::default`]): sharpness 0.35, motion 0.20, audio 0.15,
//! people 0.30. Focus matters most (a blurred clip is never a good memory), people next (memories
//! are about people), then the action and the sound. When no people information is given (an
//! empty slice) the people weight is left out and the others are rescaled, so a video without
//! face analysis is not marked down as a whole.
//!
//! `motion_term` prefers moderate motion: it rises with the normalised motion up to
//! [`MOTION_PEAK`] and falls back to 0.6 at the top, and it is scaled down when the raw frame
//! difference says the camera is shaking ([`SHAKE_START`]..[`SHAKE_FULL`] grey levels).
//!
//! Penalties: a flat second (lens covered, black) is multiplied by [`FLAT_FACTOR`], a dark one by
//! [`DARK_FACTOR`].

use super::track::SecondInterest;
use serde::{Deserialize, Serialize};

/// Normalised motion at which the motion term is highest.
pub const MOTION_PEAK: f32 = 0.75;
/// Raw mean frame difference (grey levels between frames 0.1 s apart) where shake starts to
/// count, and where it has taken the motion term down to [`SHAKE_FLOOR`] of its value.
pub const SHAKE_START: f32 = 20.0;
pub const SHAKE_FULL: f32 = 45.0;
pub const SHAKE_FLOOR: f32 = 0.2;
pub const FLAT_FACTOR: f32 = 0.1;
pub const DARK_FACTOR: f32 = 0.5;

/// Relative weights of the signals; they need not add up to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreWeights {
    pub sharpness: f32,
    pub motion: f32,
    pub audio: f32,
    pub people: f32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            sharpness: 0.35,
            motion: 0.20,
            audio: 0.15,
            people: 0.30,
        }
    }
}

/// The score of one second. `people` is `None` when the video has no people information, else the
/// share (0..1) of the second during which a person of interest is in view.
pub fn second_score(second: &SecondInterest, people: Option<f32>, weights: &ScoreWeights) -> f32 {
    let w = |x: f32| finite_or_zero(x).max(0.0);
    let mut weighted = w(weights.sharpness) * unit(second.sharpness)
        + w(weights.motion) * motion_term(second.motion, second.raw.frame_difference)
        + w(weights.audio) * unit(second.audio);
    let mut total = w(weights.sharpness) + w(weights.motion) + w(weights.audio);
    if let Some(people) = people {
        weighted += w(weights.people) * unit(people);
        total += w(weights.people);
    }
    if total <= 0.0 {
        return 0.0;
    }
    let mut score = weighted / total;
    if second.flat {
        score *= FLAT_FACTOR;
    }
    if second.dark {
        score *= DARK_FACTOR;
    }
    unit(score)
}

/// Moderate motion is best; extreme shake is not.
pub fn motion_term(normalised: f32, raw_difference: f32) -> f32 {
    let m = unit(normalised);
    let curve = if m <= MOTION_PEAK {
        m / MOTION_PEAK
    } else {
        1.0 - 0.4 * (m - MOTION_PEAK) / (1.0 - MOTION_PEAK)
    };
    let raw = finite_or_zero(raw_difference);
    let shake = ((raw - SHAKE_START) / (SHAKE_FULL - SHAKE_START)).clamp(0.0, 1.0);
    unit(curve * (1.0 - shake * (1.0 - SHAKE_FLOOR)))
}

/// Clamps to 0..1; NaN (a corrupt stored track) counts as 0.
pub(crate) fn unit(x: f32) -> f32 {
    finite_or_zero(x).clamp(0.0, 1.0)
}

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::track::RawSignals;

    fn second(sharpness: f32, motion: f32, audio: f32) -> SecondInterest {
        SecondInterest {
            at_secs: 0,
            sharpness,
            motion,
            audio,
            flat: false,
            dark: false,
            raw: RawSignals {
                laplacian_variance: 0.0,
                frame_difference: 5.0,
                audio_dbfs: -30.0,
                luma_mean: 120.0,
                luma_std: 50.0,
                frames: 10,
            },
        }
    }

    #[test]
    fn weights_are_applied_and_rescaled_without_people() {
        let w = ScoreWeights::default();
        let s = second(1.0, 0.0, 0.0);
        assert!((second_score(&s, Some(0.0), &w) - 0.35).abs() < 1e-6);
        assert!((second_score(&s, None, &w) - 0.35 / 0.70).abs() < 1e-6);
        let all = second(1.0, MOTION_PEAK, 1.0);
        assert!((second_score(&all, Some(1.0), &w) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn people_raise_the_score() {
        let w = ScoreWeights::default();
        let s = second(0.5, 0.5, 0.5);
        assert!(second_score(&s, Some(1.0), &w) > second_score(&s, Some(0.0), &w));
    }

    #[test]
    fn moderate_motion_beats_none_and_the_extreme() {
        assert_eq!(motion_term(0.0, 0.0), 0.0);
        assert!((motion_term(MOTION_PEAK, 5.0) - 1.0).abs() < 1e-6);
        assert!(motion_term(1.0, 5.0) < motion_term(MOTION_PEAK, 5.0));
        assert!(motion_term(1.0, 5.0) > motion_term(0.3, 5.0));
    }

    #[test]
    fn shake_takes_the_motion_term_down() {
        let calm = motion_term(0.7, SHAKE_START);
        let shaking = motion_term(0.7, SHAKE_FULL + 10.0);
        assert!(
            (shaking - calm * SHAKE_FLOOR).abs() < 1e-6,
            "{shaking} {calm}"
        );
    }

    #[test]
    fn flat_and_dark_seconds_score_low() {
        let w = ScoreWeights::default();
        let good = second(0.8, 0.6, 0.6);
        let mut flat = good;
        flat.flat = true;
        let mut dark = good;
        dark.dark = true;
        let g = second_score(&good, None, &w);
        assert!((second_score(&flat, None, &w) - g * FLAT_FACTOR).abs() < 1e-6);
        assert!((second_score(&dark, None, &w) - g * DARK_FACTOR).abs() < 1e-6);
    }

    #[test]
    fn garbage_values_stay_in_range() {
        let w = ScoreWeights::default();
        let s = second(f32::NAN, f32::INFINITY, -3.0);
        let score = second_score(&s, Some(f32::NAN), &w);
        assert!((0.0..=1.0).contains(&score));
        let zero = ScoreWeights {
            sharpness: 0.0,
            motion: 0.0,
            audio: 0.0,
            people: 0.0,
        };
        assert_eq!(second_score(&s, None, &zero), 0.0);
    }
}
