//! The pre-roll ring: the camera's frames encoded by one ffmpeg into 1 s MPEG-TS segments (a
//! keyframe at every second, so any run of segments joins by stream copy). ffmpeg reports each
//! finished segment on stdout (`-segment_list pipe:1`, CSV); the ring turns its stream times
//! into the wall-clock times of the frames it was fed, keeps the last `keep` of them, and deletes
//! older ones. Events take hard links of the segments they need, so pruning never takes a
//! second from a clip. The directory can be a tmpfs: losing it loses only the ring.

use super::plan::Segment;
use crate::camera::{Camera, FrameFormat};
use crate::process::die_with_parent;
use crate::recorder::{camera_encoder_args, rate_args};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};

#[derive(Debug, Clone)]
pub struct RingSettings {
    pub dir: PathBuf,
    /// How much history is kept: the longest pre-roll asked for, plus slack.
    pub keep: Duration,
    pub bitrate_kbps: u32,
}

#[derive(Clone)]
pub struct SegmentRing {
    inner: Arc<Inner>,
}

struct Inner {
    segments: Mutex<VecDeque<Segment>>,
    added: broadcast::Sender<Segment>,
    keep: Duration,
    /// Off when the owner turned recording off: no encoder runs, nothing is kept.
    enabled: watch::Sender<bool>,
}

/// Wall-clock times of the frames fed to the running encoder, by frame number.
#[derive(Default)]
struct FrameClock {
    first: u64,
    times: VecDeque<DateTime<Utc>>,
}

impl FrameClock {
    fn push(&mut self, at: DateTime<Utc>) {
        self.times.push_back(at);
    }

    fn at(&self, frame: u64) -> Option<DateTime<Utc>> {
        let index = usize::try_from(frame.checked_sub(self.first)?).ok()?;
        self.times.get(index).copied()
    }

    /// Forgets frames before `frame`: their segments are reported.
    fn forget_before(&mut self, frame: u64) {
        while self.first < frame && self.times.pop_front().is_some() {
            self.first += 1;
        }
    }
}

/// One line of ffmpeg's CSV segment list: `name,start,end` in stream seconds.
fn parse_entry(line: &str) -> Option<(String, f64, f64)> {
    let mut fields = line.trim().rsplitn(3, ',');
    let end = fields.next()?.parse().ok()?;
    let start = fields.next()?.parse().ok()?;
    let name = fields.next()?.trim_matches('"').to_owned();
    Some((name, start, end))
}

fn encoder_args(format: FrameFormat, bitrate_kbps: u32, dir: &Path) -> Vec<String> {
    let fps = format.fps.max(1).to_string();
    let kbps = bitrate_kbps.max(100);
    let mut args = camera_encoder_args(format);
    args.extend(
        [
            "-g",
            &fps,
            "-keyint_min",
            &fps,
            "-sc_threshold",
            "0",
            "-force_key_frames",
            "expr:gte(t,n_forced*1)",
        ]
        .map(String::from),
    );
    args.extend(rate_args(kbps));
    args.extend(
        [
            "-f",
            "segment",
            "-segment_time",
            "1",
            "-segment_format",
            "mpegts",
            "-segment_list",
            "pipe:1",
            "-segment_list_type",
            "csv",
        ]
        .map(String::from),
    );
    args.push(dir.join("seg_%08d.ts").display().to_string());
    args
}

impl SegmentRing {
    /// Starts encoding the camera into `settings.dir` (cleared first: segments of an earlier
    /// run have no known times). ffmpeg is restarted whenever it stops, for as long as the
    /// ring lives.
    pub fn start(camera: &Camera, settings: RingSettings) -> std::io::Result<Self> {
        if settings.dir.exists() {
            std::fs::remove_dir_all(&settings.dir)?;
        }
        std::fs::create_dir_all(&settings.dir)?;
        let (added, _) = broadcast::channel(64);
        let ring = Self {
            inner: Arc::new(Inner {
                segments: Mutex::new(VecDeque::new()),
                added,
                keep: settings.keep,
                enabled: watch::channel(true).0,
            }),
        };
        let mut enabled = ring.inner.enabled.subscribe();
        let weak = Arc::downgrade(&ring.inner);
        let camera = camera.clone();
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(200);
            for run in 0u64.. {
                while !*enabled.borrow_and_update() {
                    if enabled.changed().await.is_err() {
                        return;
                    }
                }
                let dir = settings.dir.join(format!("run-{run}"));
                if let Err(err) = std::fs::create_dir_all(&dir) {
                    tracing::error!(error = %err, dir = %dir.display(), "pre-roll ring cannot write");
                }
                let started = Instant::now();
                let outcome = run_encoder(&camera, &settings, &dir, &weak, &mut enabled).await;
                let Some(inner) = weak.upgrade() else {
                    let _ = std::fs::remove_dir_all(&settings.dir);
                    return;
                };
                if !*inner.enabled.borrow() {
                    SegmentRing { inner }.clear();
                    let _ = std::fs::remove_dir_all(&dir);
                    continue;
                }
                tracing::warn!(%outcome, "pre-roll encoder stopped; restarting");
                if started.elapsed() > Duration::from_secs(30) {
                    pause = Duration::from_millis(200);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        });
        Ok(ring)
    }

    /// The segments held now, oldest first.
    pub fn segments(&self) -> Vec<Segment> {
        self.inner
            .segments
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Turns recording on or off (the owner's recording mode).
    pub fn set_enabled(&self, enabled: bool) {
        self.inner.enabled.send_if_modified(|now| {
            let changed = *now != enabled;
            *now = enabled;
            changed
        });
    }

    /// Forgets every held segment and deletes its file.
    fn clear(&self) {
        let held: Vec<Segment> = self
            .inner
            .segments
            .lock()
            .map(|mut s| s.drain(..).collect())
            .unwrap_or_default();
        for segment in held {
            let _ = std::fs::remove_file(&segment.path);
        }
    }

    /// Each segment as it is finished.
    pub fn subscribe(&self) -> broadcast::Receiver<Segment> {
        self.inner.added.subscribe()
    }

    fn add(&self, segment: Segment) {
        let cutoff = segment.end - chrono::Duration::from_std(self.inner.keep).unwrap_or_default();
        let mut expired = Vec::new();
        if let Ok(mut segments) = self.inner.segments.lock() {
            segments.push_back(segment.clone());
            while segments.front().is_some_and(|s| s.end < cutoff) {
                expired.extend(segments.pop_front());
            }
        }
        for old in expired {
            // An event that needed it holds its own link.
            let _ = std::fs::remove_file(&old.path);
        }
        let _ = self.inner.added.send(segment);
    }
}

/// Feeds the camera's frames to one ffmpeg and reports its segments until it stops.
async fn run_encoder(
    camera: &Camera,
    settings: &RingSettings,
    dir: &Path,
    ring: &std::sync::Weak<Inner>,
    enabled: &mut watch::Receiver<bool>,
) -> String {
    let format = camera.format();
    let mut command = tokio::process::Command::new("ffmpeg");
    command
        .args(encoder_args(format, settings.bitrate_kbps, dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    die_with_parent(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return format!("ffmpeg could not start: {err}"),
    };
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return "ffmpeg has no pipes".into();
    };
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let clock = Arc::new(Mutex::new(FrameClock::default()));
    let mut frames = camera.subscribe();
    let feeder_clock = clock.clone();
    let feeder = tokio::spawn(async move {
        loop {
            match frames.recv().await {
                Ok(frame) => {
                    // Written frames only: the clock stays exact when some are skipped.
                    if stdin.write_all(&frame.data).await.is_err() {
                        return;
                    }
                    if let Ok(mut clock) = feeder_clock.lock() {
                        clock.push(frame.captured_at);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(frames = n, "pre-roll encoder fell behind; frames skipped");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let fps = f64::from(format.fps.max(1));
    let frame_time = chrono::Duration::microseconds((1e6 / fps) as i64);
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => line,
                _ => break,
            },
            changed = enabled.changed() => {
                if changed.is_err() || !*enabled.borrow() {
                    break;
                }
                continue;
            }
        };
        let Some(ring) = ring.upgrade().map(|inner| SegmentRing { inner }) else {
            break;
        };
        let Some((name, start, end)) = parse_entry(&line) else {
            tracing::warn!(%line, "unreadable segment list entry");
            continue;
        };
        let first = (start * fps).round() as u64;
        let last = ((end * fps).round() as u64).saturating_sub(1).max(first);
        let times = clock.lock().ok().and_then(|mut clock| {
            let times = (clock.at(first)?, clock.at(last)?);
            clock.forget_before(last + 1);
            Some(times)
        });
        let Some((start_at, last_at)) = times else {
            tracing::warn!(%name, "segment of unknown frames dropped");
            continue;
        };
        ring.add(Segment {
            path: dir.join(&name),
            start: start_at,
            end: last_at + frame_time,
        });
    }
    feeder.abort();
    let _ = child.kill().await;
    let stderr = errors.await.unwrap_or_default();
    let last = stderr.lines().last().unwrap_or("").trim().to_owned();
    format!("ffmpeg stopped {last}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::CaptureSource;

    #[test]
    fn reads_segment_list_entries() {
        assert_eq!(
            parse_entry("seg_00000003.ts,3.000000,4.000000\n"),
            Some(("seg_00000003.ts".into(), 3.0, 4.0))
        );
        assert_eq!(parse_entry("garbage"), None);
        assert_eq!(parse_entry("a.ts,x,1"), None);
    }

    #[test]
    fn the_frame_clock_forgets_reported_frames() {
        let mut clock = FrameClock::default();
        let base = Utc::now();
        for i in 0..10 {
            clock.push(base + chrono::Duration::milliseconds(i * 100));
        }
        assert_eq!(
            clock.at(3),
            Some(base + chrono::Duration::milliseconds(300))
        );
        clock.forget_before(5);
        assert_eq!(clock.at(3), None);
        assert_eq!(
            clock.at(5),
            Some(base + chrono::Duration::milliseconds(500))
        );
        assert_eq!(clock.at(10), None);
    }

    #[tokio::test]
    async fn keeps_one_second_segments_of_the_last_seconds() {
        let format = FrameFormat {
            width: 320,
            height: 240,
            fps: 15,
        };
        let camera = Camera::start(CaptureSource::TestPattern, format);
        camera.ready(Duration::from_secs(20)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ring = SegmentRing::start(
            &camera,
            RingSettings {
                dir: dir.path().join("ring"),
                keep: Duration::from_secs(2),
                bitrate_kbps: 500,
            },
        )
        .unwrap();
        let mut added = ring.subscribe();
        let mut seen = Vec::new();
        while seen.len() < 5 {
            let segment = tokio::time::timeout(Duration::from_secs(10), added.recv())
                .await
                .expect("a segment every second")
                .unwrap();
            seen.push(segment);
        }
        for pair in seen.windows(2) {
            let gap = (pair[1].start - pair[0].end).num_milliseconds().abs();
            assert!(gap < 100, "segments follow each other: {gap} ms apart");
        }
        for segment in &seen {
            let length = (segment.end - segment.start).num_milliseconds();
            assert!((900..=1100).contains(&length), "1 s segment: {length} ms");
        }
        let held = ring.segments();
        assert!(held.len() <= 4, "old segments pruned: {}", held.len());
        assert!(held.iter().all(|s| s.path.exists()));
        assert!(!seen[0].path.exists(), "the oldest segment file is deleted");
    }
}
