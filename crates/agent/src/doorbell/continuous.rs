//! 24/7 recording on the device: every ring segment is also kept, by hard link, under
//! `{dir}/{yyyymmdd}/{start ms}-{length ms}.ts`, for as long as the write-up's formula says the
//! capacity holds at the ring's bitrate (at most `max_days`), oldest deleted first. Names carry
//! the times, so a restart finds them again. Only events are uploaded; an owner who wants a
//! stretch of 24/7 footage exports it as a clip ([`Continuous::export_segments`]).

use super::plan::{Segment, covering};
use chrono::{DateTime, TimeZone, Utc};
use sightline_core::recording::local_retention;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ContinuousSettings {
    pub dir: PathBuf,
    pub capacity_bytes: u64,
    pub max_days: u32,
    pub bitrate_kbps: u32,
}

#[derive(Clone)]
pub struct Continuous {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ContinuousSettings,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    segments: VecDeque<(Segment, u64)>,
    bytes: u64,
}

/// What 24/7 recording holds, for status.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContinuousSummary {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub bytes: u64,
    pub capacity_bytes: u64,
    /// How long the capacity holds at the ring's bitrate.
    pub retention_hours: f64,
}

/// Longest stretch one export may cover.
pub const MAX_EXPORT: Duration = Duration::from_secs(600);

fn file_name(segment: &Segment) -> String {
    let length = (segment.end - segment.start).num_milliseconds().max(0);
    format!("{}-{length}.ts", segment.start.timestamp_millis())
}

fn parse_name(path: &Path) -> Option<Segment> {
    let stem = path.file_stem()?.to_str()?;
    let (start, length) = stem.split_once('-')?;
    let start = Utc.timestamp_millis_opt(start.parse().ok()?).single()?;
    let length: i64 = length.parse().ok()?;
    Some(Segment {
        path: path.to_owned(),
        start,
        end: start + chrono::Duration::milliseconds(length),
    })
}

impl Continuous {
    /// Opens the recording directory and finds what an earlier run kept.
    pub fn open(settings: ContinuousSettings) -> std::io::Result<Self> {
        std::fs::create_dir_all(&settings.dir)?;
        let mut found = Vec::new();
        for day in std::fs::read_dir(&settings.dir)? {
            let day = day?.path();
            if !day.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(&day)? {
                let entry = entry?;
                match parse_name(&entry.path()) {
                    Some(segment) => found.push((segment, entry.metadata()?.len())),
                    // A stray file (half a copy from a crash): not ours to keep.
                    None => {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
        found.sort_by_key(|(s, _)| s.start);
        let bytes = found.iter().map(|(_, b)| b).sum();
        let continuous = Self {
            inner: Arc::new(Inner {
                settings,
                kept: Mutex::new(Kept {
                    segments: found.into(),
                    bytes,
                }),
            }),
        };
        continuous.prune(Utc::now());
        Ok(continuous)
    }

    pub fn retention(&self) -> Duration {
        let s = &self.inner.settings;
        local_retention(
            s.capacity_bytes,
            u64::from(s.bitrate_kbps) * 1000,
            s.max_days,
        )
    }

    /// Keeps a finished ring segment.
    pub fn keep(&self, segment: &Segment) -> std::io::Result<()> {
        let day = self
            .inner
            .settings
            .dir
            .join(segment.start.format("%Y%m%d").to_string());
        std::fs::create_dir_all(&day)?;
        let target = day.join(file_name(segment));
        if std::fs::hard_link(&segment.path, &target).is_err() {
            // Another file system: copy under a temporary name, then rename into place.
            let temp = target.with_extension("part");
            std::fs::copy(&segment.path, &temp)?;
            std::fs::rename(&temp, &target)?;
        }
        let bytes = std::fs::metadata(&target)?.len();
        let kept = Segment {
            path: target,
            ..segment.clone()
        };
        if let Ok(mut state) = self.inner.kept.lock() {
            state.segments.push_back((kept, bytes));
            state.bytes += bytes;
        }
        self.prune(segment.end);
        Ok(())
    }

    /// Deletes the oldest segments while over capacity or older than the retention.
    fn prune(&self, now: DateTime<Utc>) {
        let capacity = self.inner.settings.capacity_bytes;
        let oldest_kept = now - chrono::Duration::from_std(self.retention()).unwrap_or_default();
        let mut expired = Vec::new();
        if let Ok(mut state) = self.inner.kept.lock() {
            while let Some((segment, bytes)) = state.segments.front().cloned() {
                if state.bytes <= capacity && segment.end >= oldest_kept {
                    break;
                }
                state.segments.pop_front();
                state.bytes = state.bytes.saturating_sub(bytes);
                expired.push(segment.path);
            }
        }
        for path in expired {
            let _ = std::fs::remove_file(&path);
            if let Some(day) = path.parent() {
                // Only succeeds once the day is empty.
                let _ = std::fs::remove_dir(day);
            }
        }
    }

    /// The kept segments overlapping `[from, to)`, for an export.
    pub fn export_segments(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Segment>, String> {
        if to <= from {
            return Err("end must be after start".into());
        }
        if (to - from).to_std().unwrap_or(Duration::MAX) > MAX_EXPORT {
            return Err(format!(
                "an export covers at most {} minutes",
                MAX_EXPORT.as_secs() / 60
            ));
        }
        let segments: Vec<Segment> = self
            .inner
            .kept
            .lock()
            .map(|s| s.segments.iter().map(|(seg, _)| seg.clone()).collect())
            .unwrap_or_default();
        let chosen = covering(&segments, from, to);
        if chosen.is_empty() {
            return Err("no 24/7 recording is kept for that time".into());
        }
        Ok(chosen)
    }

    pub fn summary(&self) -> ContinuousSummary {
        let (first, last, bytes) = self
            .inner
            .kept
            .lock()
            .map(|s| {
                (
                    s.segments.front().map(|(seg, _)| seg.start),
                    s.segments.back().map(|(seg, _)| seg.end),
                    s.bytes,
                )
            })
            .unwrap_or((None, None, 0));
        ContinuousSummary {
            first,
            last,
            bytes,
            capacity_bytes: self.inner.settings.capacity_bytes,
            retention_hours: self.retention().as_secs_f64() / 3600.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(dir: &Path, at: DateTime<Utc>, bytes: usize) -> Segment {
        let path = dir.join(format!("ring-{}.ts", at.timestamp_millis()));
        std::fs::write(&path, vec![0u8; bytes]).unwrap();
        Segment {
            path,
            start: at,
            end: at + chrono::Duration::seconds(1),
        }
    }

    #[test]
    fn keeps_segments_until_the_capacity_is_full_then_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let ring = dir.path().join("ring");
        std::fs::create_dir_all(&ring).unwrap();
        let settings = ContinuousSettings {
            dir: dir.path().join("24_7"),
            capacity_bytes: 5_000,
            max_days: 7,
            bitrate_kbps: 8,
        };
        let continuous = Continuous::open(settings.clone()).unwrap();
        // Whole milliseconds, as the file names keep them.
        let start = Utc
            .timestamp_millis_opt(Utc::now().timestamp_millis())
            .unwrap();
        for i in 0..8 {
            let s = segment(&ring, start + chrono::Duration::seconds(i), 1_000);
            continuous.keep(&s).unwrap();
            // The ring deletes its copy; the kept link stays.
            std::fs::remove_file(&s.path).unwrap();
        }
        let summary = continuous.summary();
        assert_eq!(summary.bytes, 5_000);
        assert_eq!(summary.first, Some(start + chrono::Duration::seconds(3)));
        // 5 000 bytes at 8 kbit/s: five seconds.
        assert!((summary.retention_hours * 3600.0 - 5.0).abs() < 0.01);
        let chosen = continuous
            .export_segments(
                start + chrono::Duration::milliseconds(3500),
                start + chrono::Duration::seconds(6),
            )
            .unwrap();
        assert_eq!(chosen.len(), 3);
        assert!(chosen.iter().all(|s| s.path.exists()));
        assert!(
            continuous
                .export_segments(start, start + chrono::Duration::seconds(1))
                .is_err(),
            "dropped footage cannot be exported"
        );
        assert!(
            continuous
                .export_segments(start, start + chrono::Duration::hours(1))
                .is_err()
        );
        // A restart finds the same footage by its names.
        drop(continuous);
        let again = Continuous::open(settings).unwrap();
        assert_eq!(again.summary().bytes, 5_000);
        assert_eq!(again.summary().first, summary.first);
    }

    #[test]
    fn names_carry_the_times() {
        let start = Utc.timestamp_millis_opt(1_800_000_000_123).unwrap();
        let s = Segment {
            path: "x".into(),
            start,
            end: start + chrono::Duration::milliseconds(1002),
        };
        let name = file_name(&s);
        assert_eq!(name, "1800000000123-1002.ts");
        let parsed = parse_name(Path::new(&name)).unwrap();
        assert_eq!((parsed.start, parsed.end), (s.start, s.end));
        assert!(parse_name(Path::new("junk.ts")).is_none());
    }
}
