//! The greedy choice behind [`select_clips`](super::select_clips).
//!
//! Utilities only ever go down as clips are taken (each taken clip adds a decay factor to the
//! others of its video and day), so the greedy "take the best remaining candidate" can run
//! lazily on a max-heap: pop the top, recompute its utility, and if it went down push it back;
//! a top whose utility is current beats every other candidate's (stale, higher or equal) value.
//! The result is the same as recomputing every utility at every step, in O(n log n) instead of
//! O(n²) for n candidates.

use super::score::unit;
use super::select::{Candidate, SelectOptions, SelectedClip};
use crate::ids::MediaId;
use crate::media::MediaKind;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, Utc};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Orders candidates completely, so ties never depend on the input order.
pub(crate) type OrderKey = (DateTime<Utc>, MediaId, u32, u32, u8, u32, u32);

/// A candidate that may be shown, with its duration and base utility.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usable {
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
    pub(crate) fn order_key(&self) -> OrderKey {
        let kind = match self.kind {
            MediaKind::Video => 0,
            MediaKind::Photo => 1,
        };
        (
            self.captured_at,
            self.media_id,
            self.start_secs,
            self.duration_secs,
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

/// The candidates that can be shown, and how many photos were left out and videos were too short.
pub(crate) fn usable_candidates(
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

/// What has been taken so far, and the utility of a candidate given that.
pub(crate) struct Picker<'a> {
    opts: &'a SelectOptions,
    cap: f64,
    crossfade: f64,
    offset: FixedOffset,
    chosen: Vec<SelectedClip>,
    per_video: HashMap<MediaId, i32>,
    per_day: HashMap<NaiveDate, i32>,
    total: f64,
}

impl<'a> Picker<'a> {
    pub(crate) fn new(opts: &'a SelectOptions) -> Self {
        let finite_or_zero = |x: f64| if x.is_finite() { x } else { 0.0 };
        Self {
            opts,
            cap: finite_or_zero(opts.max_duration_secs),
            crossfade: finite_or_zero(opts.crossfade_secs).max(0.0),
            offset: FixedOffset::east_opt(opts.utc_offset_secs).unwrap_or(Utc.fix()),
            chosen: Vec::new(),
            per_video: HashMap::new(),
            per_day: HashMap::new(),
            total: 0.0,
        }
    }

    fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    /// The candidate's utility after the diminishing returns of what was already taken.
    pub(crate) fn utility(&self, c: &Usable) -> f32 {
        let videos = self.per_video.get(&c.media_id).copied().unwrap_or(0);
        let days = self
            .per_day
            .get(&self.day_of(c.captured_at))
            .copied()
            .unwrap_or(0);
        c.utility
            * unit(self.opts.same_video_decay).powi(videos)
            * unit(self.opts.same_day_decay).powi(days)
    }

    /// The overlap the next clip will have with the one before it.
    fn join(&self) -> f64 {
        if self.chosen.is_empty() {
            0.0
        } else {
            self.crossfade
        }
    }

    /// Time left for one more clip: its join gives one crossfade back.
    fn room(&self) -> f64 {
        self.cap - self.total + self.join()
    }

    /// Takes the candidate (trimmed if needed) unless it is a near-duplicate or cannot fit.
    pub(crate) fn offer(&mut self, candidate: &Usable) {
        if self
            .chosen
            .iter()
            .any(|c| near_duplicate(c, candidate, self.opts))
        {
            return;
        }
        let room = self.room();
        let duration = if f64::from(candidate.duration_secs) <= room + 1e-9 {
            candidate.duration_secs
        } else {
            let fit = (room + 1e-9).floor();
            let can_trim = candidate.kind == MediaKind::Video;
            if !can_trim || fit < f64::from(self.opts.min_trimmed_secs.max(1)) {
                return;
            }
            fit as u32
        };
        let utility = self.utility(candidate);
        *self.per_video.entry(candidate.media_id).or_default() += 1;
        *self
            .per_day
            .entry(self.day_of(candidate.captured_at))
            .or_default() += 1;
        self.total += f64::from(duration) - self.join();
        self.chosen.push(candidate.into_clip(duration, utility));
    }

    /// True when no candidate of at least `shortest` seconds can be taken any more.
    pub(crate) fn is_full(&self, shortest: u32) -> bool {
        let smallest_take = shortest.min(self.opts.min_trimmed_secs.max(1));
        self.room() + 1e-9 < f64::from(smallest_take)
    }

    /// The clips taken, in the order taken, and the memory's length.
    pub(crate) fn finish(self) -> (Vec<SelectedClip>, f64) {
        (self.chosen, self.total)
    }
}

/// A heap entry: a candidate with the utility it had when pushed.
struct Ranked {
    utility: f32,
    key: OrderKey,
    index: usize,
}

impl Ord for Ranked {
    /// Higher utility first; on a tie the earlier capture (smaller key) first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.utility
            .total_cmp(&other.utility)
            .then_with(|| other.key.cmp(&self.key))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// The greedy choice (see the module documentation).
pub(crate) fn pick_lazily(usable: Vec<Usable>, opts: &SelectOptions) -> (Vec<SelectedClip>, f64) {
    let shortest = usable.iter().map(|c| c.duration_secs).min().unwrap_or(0);
    let mut picker = Picker::new(opts);
    let mut heap: BinaryHeap<Ranked> = usable
        .iter()
        .enumerate()
        .map(|(index, c)| Ranked {
            utility: c.utility,
            key: c.order_key(),
            index,
        })
        .collect();
    while let Some(top) = heap.pop() {
        if picker.is_full(shortest) {
            break;
        }
        let candidate = &usable[top.index];
        let current = picker.utility(candidate);
        if current.total_cmp(&top.utility) == Ordering::Less {
            heap.push(Ranked {
                utility: current,
                ..top
            });
            continue;
        }
        picker.offer(candidate);
    }
    picker.finish()
}
