//! Per-second accumulation of the streamed frames and samples, and the finished track.

use super::signals::{
    laplacian_variance, luma_stats, mean_abs_difference, normalise_robust, rms_dbfs,
};
use sightline_core::memory::{
    INTEREST_TRACK_VERSION, InterestTrack, RawSignals, SILENCE_DBFS, SecondInterest,
};

/// A frame whose luma varies less than this (standard deviation, grey levels) is featureless:
/// black, lens covered, a blank wall.
pub const FLAT_LUMA_STD: f64 = 6.0;
/// A frame whose mean luma is below this (full-range grey levels) is dark.
pub const DARK_LUMA_MEAN: f64 = 30.0;
/// Smallest ranges that [`normalise_robust`] may stretch to 0..1, per signal: sharpness in
/// log10(1 + Laplacian variance), motion in grey levels, audio in dB.
const SHARPNESS_MIN_SPREAD: f32 = 0.3;
const MOTION_MIN_SPREAD: f32 = 2.0;
const AUDIO_MIN_SPREAD: f32 = 6.0;

/// Cuts a byte stream into records of a fixed length (raw frames), whatever the chunking.
#[derive(Debug)]
pub(crate) struct Records {
    len: usize,
    pending: Vec<u8>,
}

impl Records {
    pub(crate) fn new(len: usize) -> Self {
        Self {
            len: len.max(1),
            pending: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, mut chunk: &[u8], mut each: impl FnMut(&[u8])) {
        if !self.pending.is_empty() {
            let take = (self.len - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.pending.len() < self.len {
                return;
            }
            each(&self.pending);
            self.pending.clear();
        }
        let whole = chunk.len() / self.len * self.len;
        chunk[..whole].chunks_exact(self.len).for_each(&mut each);
        self.pending.extend_from_slice(&chunk[whole..]);
    }

    /// Bytes of an incomplete last record.
    pub(crate) fn leftover(&self) -> usize {
        self.pending.len()
    }
}

#[derive(Debug, Default, Clone)]
struct VideoSecond {
    frames: u32,
    laplacian_sum: f64,
    difference_sum: f64,
    differences: u32,
    mean_sum: f64,
    std_sum: f64,
    flat_frames: u32,
    dark_frames: u32,
}

/// Grey frames sampled at `sample_fps`, frame `i` falling in second `i / sample_fps`.
#[derive(Debug)]
pub(crate) struct VideoSeconds {
    width: usize,
    height: usize,
    sample_fps: usize,
    frames: usize,
    previous: Option<Vec<u8>>,
    seconds: Vec<VideoSecond>,
}

impl VideoSeconds {
    pub(crate) fn new(width: u32, height: u32, sample_fps: u32) -> Self {
        Self {
            width: width as usize,
            height: height as usize,
            sample_fps: (sample_fps as usize).max(1),
            frames: 0,
            previous: None,
            seconds: Vec::new(),
        }
    }

    pub(crate) fn frame_len(&self) -> usize {
        self.width * self.height
    }

    pub(crate) fn frames(&self) -> usize {
        self.frames
    }

    pub(crate) fn push_frame(&mut self, frame: &[u8]) {
        let index = self.frames / self.sample_fps;
        if self.seconds.len() <= index {
            self.seconds.resize(index + 1, VideoSecond::default());
        }
        let second = &mut self.seconds[index];
        let (mean, std) = luma_stats(frame);
        second.frames += 1;
        second.laplacian_sum += laplacian_variance(frame, self.width, self.height);
        second.mean_sum += mean;
        second.std_sum += std;
        second.flat_frames += u32::from(std < FLAT_LUMA_STD);
        second.dark_frames += u32::from(mean < DARK_LUMA_MEAN);
        match &mut self.previous {
            Some(previous) => {
                second.difference_sum += mean_abs_difference(previous, frame);
                second.differences += 1;
                previous.copy_from_slice(frame);
            }
            None => self.previous = Some(frame.to_vec()),
        }
        self.frames += 1;
    }

    /// Whole seconds that received all their frames.
    pub(crate) fn complete_seconds(&self) -> usize {
        self.frames / self.sample_fps
    }
}

/// Mono s16le audio at `rate`, sample `i` falling in second `i / rate`.
#[derive(Debug)]
pub(crate) struct AudioSeconds {
    rate: u64,
    samples: u64,
    sums_of_squares: Vec<(f64, u64)>,
    odd_byte: Option<u8>,
}

impl AudioSeconds {
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate: u64::from(rate.max(1)),
            samples: 0,
            sums_of_squares: Vec::new(),
            odd_byte: None,
        }
    }

    pub(crate) fn push_bytes(&mut self, mut bytes: &[u8]) {
        if let (Some(low), Some((&high, rest))) = (self.odd_byte, bytes.split_first()) {
            self.push_sample(i16::from_le_bytes([low, high]));
            self.odd_byte = None;
            bytes = rest;
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.push_sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        if let [last] = pairs.remainder() {
            self.odd_byte = Some(*last);
        }
    }

    fn push_sample(&mut self, sample: i16) {
        let index = (self.samples / self.rate) as usize;
        if self.sums_of_squares.len() <= index {
            self.sums_of_squares.resize(index + 1, (0.0, 0));
        }
        let value = f64::from(sample);
        let slot = &mut self.sums_of_squares[index];
        slot.0 += value * value;
        slot.1 += 1;
        self.samples += 1;
    }

    fn dbfs(&self, second: usize) -> f32 {
        self.sums_of_squares
            .get(second)
            .map_or(SILENCE_DBFS, |&(sum, n)| rms_dbfs(sum, n, SILENCE_DBFS))
    }
}

/// The track of the first `whole_seconds` seconds (fewer if the video stream ended early).
pub(crate) fn build_track(
    video: &VideoSeconds,
    audio: Option<&AudioSeconds>,
    whole_seconds: usize,
) -> InterestTrack {
    let n = whole_seconds.min(video.seconds.len());
    let raws: Vec<RawSignals> = video.seconds[..n]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let per_frame = |sum: f64| {
                if s.frames == 0 {
                    0.0
                } else {
                    (sum / f64::from(s.frames)) as f32
                }
            };
            RawSignals {
                laplacian_variance: per_frame(s.laplacian_sum),
                frame_difference: if s.differences == 0 {
                    0.0
                } else {
                    (s.difference_sum / f64::from(s.differences)) as f32
                },
                audio_dbfs: audio.map_or(SILENCE_DBFS, |a| a.dbfs(i)),
                luma_mean: per_frame(s.mean_sum),
                luma_std: per_frame(s.std_sum),
                frames: s.frames,
            }
        })
        .collect();

    let column = |f: fn(&RawSignals) -> f32| raws.iter().map(f).collect::<Vec<f32>>();
    // Focus varies over orders of magnitude: rank it on a log scale.
    let sharpness = normalise_robust(
        &column(|r| r.laplacian_variance.max(0.0).ln_1p() / std::f32::consts::LN_10),
        SHARPNESS_MIN_SPREAD,
    );
    let motion = normalise_robust(&column(|r| r.frame_difference), MOTION_MIN_SPREAD);
    let loudness = normalise_robust(&column(|r| r.audio_dbfs), AUDIO_MIN_SPREAD);

    let seconds = raws
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let s = &video.seconds[i];
            let mostly = |count: u32| s.frames > 0 && 2 * count > s.frames;
            SecondInterest {
                at_secs: u32::try_from(i).unwrap_or(u32::MAX),
                sharpness: sharpness[i],
                motion: motion[i],
                audio: loudness[i],
                flat: mostly(s.flat_frames),
                dark: mostly(s.dark_frames),
                raw: *raw,
            }
        })
        .collect();
    InterestTrack {
        version: INTEREST_TRACK_VERSION,
        sample_fps: video.sample_fps as u32,
        frame_width: video.width as u32,
        frame_height: video.height as u32,
        audio_sample_rate: audio.map_or(0, |a| a.rate as u32),
        seconds,
    }
}

#[cfg(test)]
#[path = "seconds_tests.rs"]
mod tests;
