//! The best 5–15 s windows of one video, on whole seconds (the rendition's GOP boundaries, so
//! the read path can cut them with stream copy).
//!
//! Greedy: take the available `min_secs` window with the highest mean score, grow it one second
//! at a time towards the better neighbour while that neighbour keeps up with the window
//! (score ≥ `extend_ratio` × window mean) up to `max_secs`, mark its seconds used, repeat. Windows
//! never overlap (they may touch). A video shorter than `min_secs` gives one window of its whole
//! length when that is at least `short_min_secs`.

use super::score::{ScoreWeights, second_score, unit};
use super::track::SecondInterest;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentOptions {
    /// Shortest and longest window of a video at least `min_secs` long.
    pub min_secs: u32,
    pub max_secs: u32,
    /// Shortest video that still gives a (whole-video) window.
    pub short_min_secs: u32,
    /// At most this many windows per video.
    pub max_segments: usize,
    /// Windows whose mean score is below this are not worth showing (dark, covered, blurred).
    pub min_score: f32,
    /// A neighbouring second joins the window while its score is ≥ this × the window's mean.
    pub extend_ratio: f32,
    pub weights: ScoreWeights,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        Self {
            min_secs: 5,
            max_secs: 15,
            short_min_secs: 2,
            max_segments: 12,
            min_score: 0.1,
            extend_ratio: 0.8,
            weights: ScoreWeights::default(),
        }
    }
}

/// A window `[start_secs, end_secs)` of a video with the mean of its per-second scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start_secs: u32,
    pub end_secs: u32,
    pub score: f32,
}

impl Segment {
    pub fn duration_secs(&self) -> u32 {
        self.end_secs.saturating_sub(self.start_secs)
    }
}

/// Per-second scores (see [`super::score`]). `people[i]` is the share (0..1) of second `i` with
/// a person of interest in view; an empty slice means "no people information" (the people weight
/// is left out), while a slice shorter than the track counts the missing seconds as 0.
pub fn second_scores(
    seconds: &[SecondInterest],
    people: &[f32],
    weights: &ScoreWeights,
) -> Vec<f32> {
    seconds
        .iter()
        .enumerate()
        .map(|(i, second)| {
            let present = if people.is_empty() {
                None
            } else {
                Some(people.get(i).copied().unwrap_or(0.0))
            };
            second_score(second, present, weights)
        })
        .collect()
}

/// The best windows of a video, best first (ties: earlier first). `seconds` is
/// `InterestTrack::seconds`; `people` as in [`second_scores`].
pub fn best_segments(
    seconds: &[SecondInterest],
    people: &[f32],
    opts: &SegmentOptions,
) -> Vec<Segment> {
    let scores = second_scores(seconds, people, &opts.weights);
    best_segments_of_scores(&scores, opts)
}

/// [`best_segments`] on precomputed per-second scores (0..1).
pub fn best_segments_of_scores(scores: &[f32], opts: &SegmentOptions) -> Vec<Segment> {
    let scores: Vec<f32> = scores.iter().copied().map(unit).collect();
    let n = scores.len();
    let min_len = opts.min_secs.max(1) as usize;
    let max_len = (opts.max_secs as usize).max(min_len);
    let min_score = unit(opts.min_score);

    if n < min_len {
        let whole = mean(&scores);
        let long_enough = n >= (opts.short_min_secs.max(1) as usize);
        return if long_enough && whole >= min_score && opts.max_segments > 0 {
            vec![segment(0, n, whole)]
        } else {
            Vec::new()
        };
    }

    let mut used = vec![false; n];
    let mut found = Vec::new();
    while found.len() < opts.max_segments {
        let Some(start) = best_free_window(&scores, &used, min_len) else {
            break;
        };
        let (mut lo, mut hi) = (start, start + min_len);
        if mean(&scores[lo..hi]) < min_score {
            break;
        }
        while hi - lo < max_len {
            let window_mean = mean(&scores[lo..hi]);
            let keeps_up = |i: usize| {
                !used[i] && scores[i] >= min_score && scores[i] >= opts.extend_ratio * window_mean
            };
            let right = (hi < n && keeps_up(hi)).then(|| scores[hi]);
            let left = (lo > 0 && keeps_up(lo - 1)).then(|| scores[lo - 1]);
            match (left, right) {
                (Some(l), Some(r)) if l > r => lo -= 1,
                (_, Some(_)) => hi += 1,
                (Some(_), None) => lo -= 1,
                (None, None) => break,
            }
        }
        used[lo..hi].iter_mut().for_each(|u| *u = true);
        found.push(segment(lo, hi, mean(&scores[lo..hi])));
    }
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.start_secs.cmp(&b.start_secs))
    });
    found
}

/// Start of the free window of `len` seconds with the highest sum (earliest on ties).
fn best_free_window(scores: &[f32], used: &[bool], len: usize) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    let (mut sum, mut used_in_window) = (0.0f64, 0usize);
    for i in 0..scores.len() {
        sum += f64::from(scores[i]);
        used_in_window += usize::from(used[i]);
        if i >= len {
            sum -= f64::from(scores[i - len]);
            used_in_window -= usize::from(used[i - len]);
        }
        if i + 1 >= len && used_in_window == 0 {
            let start = i + 1 - len;
            // Rounding noise of the running sum must not reorder equal windows.
            if best.is_none_or(|(_, s)| sum > s + 1e-9) {
                best = Some((start, sum));
            }
        }
    }
    best.map(|(start, _)| start)
}

fn mean(scores: &[f32]) -> f32 {
    if scores.is_empty() {
        return 0.0;
    }
    let sum: f64 = scores.iter().map(|&s| f64::from(s)).sum();
    (sum / scores.len() as f64) as f32
}

fn segment(lo: usize, hi: usize, score: f32) -> Segment {
    let secs = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    Segment {
        start_secs: secs(lo),
        end_secs: secs(hi),
        score,
    }
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
