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

use super::pick::{pick_lazily, usable_candidates};
use crate::ids::MediaId;
use crate::media::MediaKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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

    let (mut chosen, total) = pick_lazily(usable, &opts);
    if chosen.is_empty() {
        return empty(NoClipsReason::CapTooShort {
            max_duration_secs: opts.max_duration_secs,
        });
    }
    chosen.sort_by_key(order_key);
    Selection {
        clips: chosen,
        total_secs: total,
        empty_reason: None,
    }
}

fn order_key(c: &SelectedClip) -> (DateTime<Utc>, MediaId, u32) {
    (c.captured_at, c.media_id, c.start_secs)
}

fn empty(reason: NoClipsReason) -> Selection {
    Selection {
        clips: Vec::new(),
        total_secs: 0.0,
        empty_reason: Some(reason),
    }
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
