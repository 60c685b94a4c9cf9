//! Per-second interest scores of one video, computed once at ingest from the normalised
//! rendition (see `sightline_media::analyse_interest`) and stored as JSON beside the media.

use serde::{Deserialize, Serialize};

/// Version of the [`InterestTrack`] format and of the analysis that fills it. A stored track with
/// an older version should be recomputed rather than trusted.
pub const INTEREST_TRACK_VERSION: u32 = 1;

/// Floor of the measured audio level, in dBFS: quieter seconds (digital silence, videos without
/// audio, codec leakage around a sound) all count as silent. Real microphones hiss at about
/// −60…−70 dBFS, so nothing audible is lost below it.
pub const SILENCE_DBFS: f32 = -70.0;

/// How interesting each whole second of a video is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterestTrack {
    /// [`INTEREST_TRACK_VERSION`] at the time of analysis.
    pub version: u32,
    /// Grey frames analysed per second of video.
    pub sample_fps: u32,
    /// Size of the analysed (downscaled) grey frames.
    pub frame_width: u32,
    pub frame_height: u32,
    /// Rate of the mono audio that was analysed; 0 when the video has no audio stream.
    pub audio_sample_rate: u32,
    /// One entry per whole second of the video, in order: `seconds[i]` covers `[i, i + 1)` s. A
    /// trailing partial second is left out (clips are cut on whole seconds).
    pub seconds: Vec<SecondInterest>,
}

/// The signals of one second. The `0..1` values are normalised within the video (robustly,
/// between its 5th and 95th percentiles), so they rank the seconds of one video; `raw` keeps
/// the absolute measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SecondInterest {
    /// Start of the second within the video (equal to its index in the track).
    pub at_secs: u32,
    /// Focus: high when the picture is crisp, low when blurred.
    pub sharpness: f32,
    /// How much the picture changes.
    pub motion: f32,
    /// Loudness.
    pub audio: f32,
    /// Most sampled frames are featureless (lens covered, black, a blank wall).
    pub flat: bool,
    /// Most sampled frames are very dark.
    pub dark: bool,
    pub raw: RawSignals,
}

/// Absolute measurements of one second, on the analysed grey frames (8-bit luma).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RawSignals {
    /// Mean over the sampled frames of the variance of the 4-neighbour Laplacian.
    pub laplacian_variance: f32,
    /// Mean absolute difference between consecutive sampled frames, in grey levels (0..255).
    pub frame_difference: f32,
    /// RMS level of the audio, in dBFS ([`SILENCE_DBFS`] for silence).
    pub audio_dbfs: f32,
    /// Mean luma (0..255) and its standard deviation within a frame, averaged over the frames.
    pub luma_mean: f32,
    pub luma_std: f32,
    /// How many frames were sampled in this second.
    pub frames: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let track = InterestTrack {
            version: INTEREST_TRACK_VERSION,
            sample_fps: 10,
            frame_width: 160,
            frame_height: 90,
            audio_sample_rate: 8000,
            seconds: vec![SecondInterest {
                at_secs: 0,
                sharpness: 0.25,
                motion: 0.5,
                audio: 1.0,
                flat: false,
                dark: true,
                raw: RawSignals {
                    laplacian_variance: 123.5,
                    frame_difference: 2.5,
                    audio_dbfs: SILENCE_DBFS,
                    luma_mean: 12.0,
                    luma_std: 30.0,
                    frames: 10,
                },
            }],
        };
        let json = serde_json::to_string(&track).expect("serialises");
        assert!(json.contains("\"laplacian_variance\":123.5"), "{json}");
        let back: InterestTrack = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, track);
    }
}
