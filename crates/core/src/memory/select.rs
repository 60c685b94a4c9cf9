//! Which segments make a memory video: the best-ranked within a duration cap, spread across days
//! and source videos, without near-duplicates, in capture order.
//!
//! Greedy with diminishing returns (in the spirit of maximal marginal relevance): every
//! candidate has a utility `relevance_weight × relevance + (1 − relevance_weight) × quality`,
//! multiplied by `same_video_decay` for each clip already taken from its video and by
//! `same_day_decay` for each clip already taken on its day. The best candidate is taken if it is
//! not a near-duplicate of a taken clip and fits the remaining time, else trimmed to fit (whole
//! seconds, at least `min_trimmed_secs`), else dropped. Ties are broken by capture time, media id
//! and window, so the result does not depend on the order of the input.
//!
//! The memory's length is `Σ clip durations − (n − 1) × crossfade_secs`: every join overlaps
//! its two clips by one crossfade.

use super::score::unit;
use crate::ids::MediaId;
use crate::media::MediaKind;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A segment of a matched media item. For a photo, `start_secs`/`end_secs` are ignored: it is
/// shown as a still of `SelectOptions::photo_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub media_id: MediaId,
    pub kind: MediaKind,
    /// When the segment's first frame was captured.
    pub captured_at: DateTime<Utc>,
    /// Window within the video, whole seconds, end exclusive.
    pub start_secs: u32,
    pub end_secs: u32,
    /// How well the media matches the request, 0..1 (from search).
    pub relevance: f32,
    /// How good the segment looks, 0..1 (its `Segment::score`).
    pub quality: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectOptions {
    /// Cap on the memory's length, crossfades accounted for.
    pub max_duration_secs: f64,
    /// Overlap of two clips at each join.
    pub crossfade_secs: f64,
    /// Show matching photos as stills of `photo_secs`.
    pub include_photos: bool,
    pub photo_secs: u32,
    /// Video segments shorter than this are not used.
    pub min_clip_secs: u32,
    /// The last clip may be cut short to fit the cap, but not below this.
    pub min_trimmed_secs: u32,
    /// Share of relevance in a candidate's utility; quality has the rest.
    pub relevance_weight: f32,
    /// Utility factor per clip already taken from the same video, and on the same day.
    pub same_video_decay: f32,
    pub same_day_decay: f32,
    /// Two windows of one video closer than this (overlapping, touching) are near-duplicates.
    pub same_video_min_gap_secs: u32,
    /// Two different items whose capture intervals are closer than this are near-duplicates
    /// (the same moment filmed twice, a burst of photos, a re-upload).
    pub other_media_min_gap_secs: u32,
    /// The user's UTC offset, for what counts as one day.
    pub utc_offset_secs: i32,
}

impl Default for SelectOptions {
    fn default() -> Self {
        Self {
            max_duration_secs: 120.0,
            crossfade_secs: 0.5,
            include_photos: false,
            photo_secs: 3,
            min_clip_secs: 2,
            min_trimmed_secs: 3,
            relevance_weight: 0.65,
            same_video_decay: 0.6,
            same_day_decay: 0.85,
            same_video_min_gap_secs: 2,
            other_media_min_gap_secs: 3,
            utc_offset_secs: 0,
        }
    }
}

/// A clip of the memory. `end_secs` is where the clip ends in its video (trimmed when
/// `trimmed`); for a photo, `start_secs` is 0 and `end_secs` the still's duration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SelectedClip {
    pub media_id: MediaId,
    pub kind: MediaKind,
    pub captured_at: DateTime<Utc>,
    pub start_secs: u32,
    pub end_secs: u32,
    pub relevance: f32,
    pub quality: f32,
    /// The utility (after diminishing returns) at the moment the clip was chosen.
    pub utility: f32,
    pub trimmed: bool,
}

impl SelectedClip {
    pub fn duration_secs(&self) -> u32 {
        self.end_secs.saturating_sub(self.start_secs)
    }
}

/// Why a selection is empty; `Display` is the message for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoClipsReason {
    NoMatches,
    /// Only photos matched and photos were not asked for.
    OnlyPhotos {
        photos: usize,
    },
    TooShort {
        min_secs: u32,
    },
    CapTooShort {
        max_duration_secs: f64,
    },
}

impl fmt::Display for NoClipsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoMatches => f.write_str("no matching videos or photos"),
            Self::OnlyPhotos { photos } => write!(
                f,
                "no matching videos ({photos} matching photo{} left out: photos were not included)",
                if *photos == 1 { " was" } else { "s were" }
            ),
            Self::TooShort { min_secs } => write!(f, "matches are shorter than {min_secs} s"),
            Self::CapTooShort { max_duration_secs } => write!(
                f,
                "a maximum duration of {max_duration_secs} s is too short for any matching clip"
            ),
        }
    }
}

/// The chosen clips in capture order and the memory's length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub clips: Vec<SelectedClip>,
    /// Σ durations − (n − 1) × crossfade; 0 when empty.
    pub total_secs: f64,
    /// Set exactly when `clips` is empty.
    pub empty_reason: Option<NoClipsReason>,
}

impl Selection {
    /// The human-readable reason why nothing qualified.
    pub fn reason(&self) -> Option<String> {
        self.empty_reason.as_ref().map(ToString::to_string)
    }
}

/// Chooses the clips of a memory video from the candidates (see the module documentation).
pub fn select_clips(candidates: Vec<Candidate>, opts: SelectOptions) -> Selection {
    let cap = if opts.max_duration_secs.is_finite() {
        opts.max_duration_secs
    } else {
        0.0
    };
    let crossfade = if opts.crossfade_secs.is_finite() {
        opts.crossfade_secs.max(0.0)
    } else {
        0.0
    };
    let min_clip = opts.min_clip_secs.max(1);

    let (usable, excluded_photos, too_short) = usable_candidates(candidates, &opts, min_clip);
    if usable.is_empty() {
        let reason = if too_short > 0 {
            NoClipsReason::TooShort { min_secs: min_clip }
        } else if excluded_photos > 0 {
            NoClipsReason::OnlyPhotos {
                photos: excluded_photos,
            }
        } else {
            NoClipsReason::NoMatches
        };
        return empty(reason);
    }

    let mut remaining = usable;
    let mut chosen: Vec<SelectedClip> = Vec::new();
    let mut per_video: HashMap<MediaId, i32> = HashMap::new();
    let mut per_day: HashMap<NaiveDate, i32> = HashMap::new();
    let mut total = 0.0f64;
    let offset = FixedOffset::east_opt(opts.utc_offset_secs).unwrap_or(Utc.fix());
    let day_of = |at: DateTime<Utc>| at.with_timezone(&offset).date_naive();

    while !remaining.is_empty() {
        let utility = |c: &Usable| {
            let videos = per_video.get(&c.media_id).copied().unwrap_or(0);
            let days = per_day.get(&day_of(c.captured_at)).copied().unwrap_or(0);
            c.utility
                * unit(opts.same_video_decay).powi(videos)
                * unit(opts.same_day_decay).powi(days)
        };
        let Some(best) = (0..remaining.len()).max_by(|&a, &b| {
            let (ca, cb) = (&remaining[a], &remaining[b]);
            utility(ca)
                .total_cmp(&utility(cb))
                .then_with(|| cb.order_key().cmp(&ca.order_key()))
        }) else {
            break;
        };
        let candidate = remaining.swap_remove(best);
        if chosen.iter().any(|c| near_duplicate(c, &candidate, &opts)) {
            continue;
        }
        // Time left for this clip: a join adds one crossfade back.
        let room = cap - total + if chosen.is_empty() { 0.0 } else { crossfade };
        let full = f64::from(candidate.duration_secs);
        let duration = if full <= room + 1e-9 {
            candidate.duration_secs
        } else {
            let fit = (room + 1e-9).floor();
            if candidate.kind == MediaKind::Photo || fit < f64::from(opts.min_trimmed_secs.max(1)) {
                continue;
            }
            fit as u32
        };
        let picked_utility = utility(&candidate);
        *per_video.entry(candidate.media_id).or_default() += 1;
        *per_day.entry(day_of(candidate.captured_at)).or_default() += 1;
        total += f64::from(duration) - if chosen.is_empty() { 0.0 } else { crossfade };
        chosen.push(candidate.into_clip(duration, picked_utility));
    }

    if chosen.is_empty() {
        return empty(NoClipsReason::CapTooShort {
            max_duration_secs: cap,
        });
    }
    chosen.sort_by_key(order_key);
    Selection {
        clips: chosen,
        total_secs: total,
        empty_reason: None,
    }
}

fn empty(reason: NoClipsReason) -> Selection {
    Selection {
        clips: Vec::new(),
        total_secs: 0.0,
        empty_reason: Some(reason),
    }
}

/// A candidate that may be shown, with its duration and base utility.
#[derive(Debug, Clone, Copy)]
struct Usable {
    media_id: MediaId,
    kind: MediaKind,
    captured_at: DateTime<Utc>,
    start_secs: u32,
    duration_secs: u32,
    relevance: f32,
    quality: f32,
    utility: f32,
}

impl Usable {
    /// Orders candidates completely, so ties never depend on the input order.
    fn order_key(&self) -> (DateTime<Utc>, MediaId, u32, u32, u8, u32, u32) {
        let kind = match self.kind {
            MediaKind::Video => 0,
            MediaKind::Photo => 1,
        };
        let (captured_at, media_id, start, duration) = (
            self.captured_at,
            self.media_id,
            self.start_secs,
            self.duration_secs,
        );
        (
            captured_at,
            media_id,
            start,
            duration,
            kind,
            self.relevance.to_bits(),
            self.quality.to_bits(),
        )
    }

    fn into_clip(self, duration_secs: u32, utility: f32) -> SelectedClip {
        SelectedClip {
            media_id: self.media_id,
            kind: self.kind,
            captured_at: self.captured_at,
            start_secs: self.start_secs,
            end_secs: self.start_secs.saturating_add(duration_secs),
            relevance: self.relevance,
            quality: self.quality,
            utility,
            trimmed: duration_secs < self.duration_secs,
        }
    }
}

fn order_key(c: &SelectedClip) -> (DateTime<Utc>, MediaId, u32) {
    (c.captured_at, c.media_id, c.start_secs)
}

/// The candidates that can be shown, and how many photos were left out and videos were too short.
fn usable_candidates(
    candidates: Vec<Candidate>,
    opts: &SelectOptions,
    min_clip: u32,
) -> (Vec<Usable>, usize, usize) {
    let (mut excluded_photos, mut too_short) = (0, 0);
    let weight = unit(opts.relevance_weight);
    let mut usable = Vec::with_capacity(candidates.len());
    for c in candidates {
        let (start_secs, duration_secs) = match c.kind {
            MediaKind::Photo if !opts.include_photos => {
                excluded_photos += 1;
                continue;
            }
            MediaKind::Photo => (0, opts.photo_secs.max(1)),
            MediaKind::Video => {
                let duration = c.end_secs.saturating_sub(c.start_secs);
                if duration < min_clip {
                    too_short += 1;
                    continue;
                }
                (c.start_secs, duration)
            }
        };
        let (relevance, quality) = (unit(c.relevance), unit(c.quality));
        usable.push(Usable {
            media_id: c.media_id,
            kind: c.kind,
            captured_at: c.captured_at,
            start_secs,
            duration_secs,
            relevance,
            quality,
            utility: weight * relevance + (1.0 - weight) * quality,
        });
    }
    (usable, excluded_photos, too_short)
}

/// Overlapping or nearly touching windows of one video; different items captured at nearly
/// the same time.
fn near_duplicate(taken: &SelectedClip, candidate: &Usable, opts: &SelectOptions) -> bool {
    if taken.media_id == candidate.media_id {
        let gap = i64::from(taken.start_secs.max(candidate.start_secs))
            - i64::from(
                taken
                    .end_secs
                    .min(candidate.start_secs.saturating_add(candidate.duration_secs)),
            );
        return gap < i64::from(opts.same_video_min_gap_secs);
    }
    let interval = |at: DateTime<Utc>, secs: u32| (at, at + Duration::seconds(i64::from(secs)));
    let (a0, a1) = interval(taken.captured_at, taken.duration_secs());
    let (b0, b1) = interval(candidate.captured_at, candidate.duration_secs);
    let gap = a0.max(b0) - a1.min(b1);
    gap < Duration::seconds(i64::from(opts.other_media_min_gap_secs))
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
