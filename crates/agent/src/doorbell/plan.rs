//! When an event's clip starts and ends, and which ring segments make it up. Pure: times in,
//! times and segment choices out.
//!
//! A clip runs from `pre_roll` before the trigger to `post_roll` after the last activity (motion
//! still seen, the PIR firing again), and never longer than `max_length` after the trigger, so
//! a tree that keeps moving cannot record forever.

use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipTiming {
    pub pre_roll: Duration,
    pub post_roll: Duration,
    pub max_length: Duration,
}

impl Default for ClipTiming {
    /// The defaults: 3 s before, 20 s after, at most two minutes.
    fn default() -> Self {
        Self {
            pre_roll: Duration::from_secs(3),
            post_roll: Duration::from_secs(20),
            max_length: Duration::from_secs(120),
        }
    }
}

/// One encoded second of the ring, with the wall-clock times of its first frame and of the end
/// of its last one.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub path: PathBuf,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An event being recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventWindow {
    pub trigger: DateTime<Utc>,
    last_activity: DateTime<Utc>,
    timing: ClipTiming,
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl EventWindow {
    pub fn new(trigger: DateTime<Utc>, timing: ClipTiming) -> Self {
        Self {
            trigger,
            last_activity: trigger,
            timing,
        }
    }

    /// Something happened again: the post-roll counts from here. Earlier times change nothing.
    pub fn extend(&mut self, at: DateTime<Utc>) {
        self.last_activity = self.last_activity.max(at);
    }

    pub fn clip_start(&self) -> DateTime<Utc> {
        self.trigger - chrono(self.timing.pre_roll)
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        let after_activity = self.last_activity + chrono(self.timing.post_roll);
        after_activity.min(self.trigger + chrono(self.timing.max_length))
    }

    /// Activity at `at` still belongs to this event (rather than starting a new one).
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        at < self.ends_at()
    }
}

/// The segments that overlap `[from, to)`, in order. A segment that merely touches `from` (ends
/// exactly there) holds nothing of the clip.
pub fn covering(segments: &[Segment], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Segment> {
    segments
        .iter()
        .filter(|s| s.end > from && s.start < to)
        .cloned()
        .collect()
}

/// The whole span the segments cover, if any.
pub fn span(segments: &[Segment]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((segments.first()?.start, segments.last()?.end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: f64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_800_000_000_000 + (secs * 1000.0) as i64)
            .unwrap()
    }

    fn ring(from: i64, to: i64) -> Vec<Segment> {
        (from..to)
            .map(|i| Segment {
                path: format!("seg_{i}.ts").into(),
                start: t(i as f64),
                end: t(i as f64 + 1.0),
            })
            .collect()
    }

    #[test]
    fn the_clip_starts_pre_roll_before_the_trigger_and_ends_post_roll_after_activity() {
        let mut window = EventWindow::new(t(10.5), ClipTiming::default());
        assert_eq!(window.clip_start(), t(7.5));
        assert_eq!(window.ends_at(), t(30.5));
        window.extend(t(15.0));
        assert_eq!(window.ends_at(), t(35.0));
        window.extend(t(12.0));
        assert_eq!(
            window.ends_at(),
            t(35.0),
            "an earlier time does not shorten it"
        );
        assert!(window.is_open_at(t(34.9)));
        assert!(!window.is_open_at(t(35.0)));
    }

    #[test]
    fn endless_activity_is_cut_at_the_maximum_length() {
        let mut window = EventWindow::new(t(0.0), ClipTiming::default());
        window.extend(t(500.0));
        assert_eq!(window.ends_at(), t(120.0));
    }

    #[test]
    fn segments_are_chosen_by_overlap() {
        let segments = ring(0, 20);
        let chosen = covering(&segments, t(7.5), t(11.0));
        let names: Vec<_> = chosen
            .iter()
            .map(|s| s.path.display().to_string())
            .collect();
        assert_eq!(names, ["seg_7.ts", "seg_8.ts", "seg_9.ts", "seg_10.ts"]);
        assert_eq!(span(&chosen), Some((t(7.0), t(11.0))));
        assert!(covering(&segments, t(30.0), t(40.0)).is_empty());
        assert_eq!(span(&[]), None);
        // Touching the start is not overlapping it.
        assert_eq!(covering(&segments, t(8.0), t(8.5)).len(), 1);
    }
}
