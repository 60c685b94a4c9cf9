//! The doorbell profile: a pre-roll ring of the camera, the PIR sensor and the button, the
//! on-device motion tier, and events: each trigger records pre-roll + activity + post-roll by
//! stream copy from the ring, as two captures that go through the durable upload queue: an
//! alert clip (pre-roll and the trigger's second, so the owner hears of it in under two
//! seconds) and the full clip, attached to the same event when the post-roll is over.

mod clip;
pub mod continuous;
pub mod input;
pub mod journal;
pub mod motion;
pub mod night;
pub mod plan;
mod poster;
pub mod ring;

use crate::camera::Camera;
use crate::capture::{CaptureError, Captures};
use crate::speaker::{Speaker, SpeakerSink};
use crate::store::Priority;
use chrono::{DateTime, Utc};
use continuous::{Continuous, ContinuousSettings, ContinuousSummary};
use input::{InputSource, Trigger};
use journal::{EventRow, EventState, Journal, NewEvent};
use motion::{MotionRuntime, MotionSignal};
use night::{IrSink, LightSource, Night, NightState};
use plan::{ClipTiming, EventWindow, Segment};
use poster::Poster;
use ring::{RingSettings, SegmentRing};
use sightline_core::MediaId;
use sightline_core::doorbell_event::{Detection, EventType};
use sightline_core::ids::DoorbellEventId;
use sightline_core::recording::RecordingMode;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(Debug, Clone)]
pub struct DoorbellConfig {
    /// Where the ring and the events' segments live; a tmpfs spares the flash.
    pub ring_dir: PathBuf,
    pub timing: ClipTiming,
    pub pir: Option<InputSource>,
    pub button: Option<InputSource>,
    /// With a PIR line, camera motion counts only this long after the sensor fired (the
    /// first tier gates the second); without one, motion alone decides.
    pub pir_window: Duration,
    pub motion: MotionRuntime,
    pub ring_kbps: u32,
    pub light: LightSource,
    pub ir: IrSink,
    pub recording: RecordingMode,
    /// Where 24/7 footage is kept and how much of it.
    pub continuous: ContinuousSettings,
    /// Where pre-recorded messages for visitors play.
    pub speaker: SpeakerSink,
}

impl DoorbellConfig {
    pub fn new(ring_dir: PathBuf) -> Self {
        Self {
            ring_dir: ring_dir.clone(),
            timing: ClipTiming::default(),
            pir: None,
            button: None,
            pir_window: Duration::from_secs(10),
            motion: MotionRuntime::default(),
            ring_kbps: 2000,
            light: LightSource::None,
            ir: IrSink::None,
            recording: RecordingMode::EventOnly,
            continuous: ContinuousSettings {
                dir: ring_dir.join("24_7"),
                capacity_bytes: 8 << 30,
                max_days: 7,
                bitrate_kbps: 2000,
            },
            speaker: SpeakerSink::None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DoorbellError {
    #[error("the pre-roll ring cannot be set up in {dir}: {source}")]
    Ring {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("24/7 recording cannot be kept in {dir}: {source}")]
    Continuous {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("doorbell events need the device id (--device-id)")]
    NoDeviceId,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// How far an open event has got; the recording task follows it.
#[derive(Debug, Clone, Copy)]
struct Progress {
    window: EventWindow,
    peak_confidence: f32,
}

struct OpenEvent {
    id: DoorbellEventId,
    kind: EventType,
    progress: watch::Sender<Progress>,
}

#[derive(Clone)]
pub struct Doorbell {
    inner: Arc<Inner>,
}

struct Inner {
    ring: SegmentRing,
    captures: Captures,
    journal: Journal,
    poster: Poster,
    config: DoorbellConfig,
    motion: watch::Sender<MotionRuntime>,
    triggers: mpsc::Sender<Trigger>,
    /// The motion event and the press event being recorded, if any.
    open: Mutex<Vec<OpenEvent>>,
    pir_armed_until: Mutex<Option<DateTime<Utc>>>,
    battery: Box<dyn Fn() -> Option<u8> + Send + Sync>,
    night: Night,
    recording: watch::Sender<RecordingMode>,
    continuous: Continuous,
    speaker: Speaker,
}

/// Bytes a second of the ring holds at most (its rate cap), for making room for a clip.
fn bytes_per_second(kbps: u32) -> u64 {
    u64::from(kbps) * 1000 / 8 * 3 / 2
}

/// Without a new segment for this long the camera has stopped: the event keeps what it has.
const SEGMENT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Parts<'a> {
    pub camera: &'a Camera,
    pub captures: Captures,
    pub store: crate::store::AgentStore,
    pub queue: crate::queue::UploadQueue,
    pub server: &'a str,
    pub device_id: Option<&'a str>,
    pub token: String,
    pub battery: Box<dyn Fn() -> Option<u8> + Send + Sync>,
}

impl Doorbell {
    /// Starts the ring, the inputs, the motion tier and the poster, and finishes what a crash
    /// interrupted.
    pub async fn start(parts: Parts<'_>, config: DoorbellConfig) -> Result<Self, DoorbellError> {
        let device_id = parts.device_id.ok_or(DoorbellError::NoDeviceId)?;
        let ring_dir = config.ring_dir.join("ring");
        let keep = config.timing.pre_roll + Duration::from_secs(3);
        let ring = SegmentRing::start(
            parts.camera,
            RingSettings {
                dir: ring_dir.clone(),
                keep,
                bitrate_kbps: config.ring_kbps,
            },
        )
        .map_err(|source| DoorbellError::Ring {
            dir: ring_dir,
            source,
        })?;
        let continuous = Continuous::open(ContinuousSettings {
            bitrate_kbps: config.ring_kbps,
            ..config.continuous.clone()
        })
        .map_err(|source| DoorbellError::Continuous {
            dir: config.continuous.dir.clone(),
            source,
        })?;
        let journal = Journal::new(parts.store.clone());
        let poster = Poster::new(
            journal.clone(),
            parts.store,
            parts.queue,
            parts.server,
            device_id,
            parts.token,
        );
        let (motion, motion_settings) = watch::channel(config.motion.clone());
        let to_night = motion.clone();
        let night = Night::start(config.light.clone(), config.ir.clone(), move |is_night| {
            to_night.send_modify(|runtime| runtime.night = is_night);
        });
        let (triggers, trigger_rx) = mpsc::channel(16);
        let (signals, signal_rx) = mpsc::channel(64);
        let doorbell = Self {
            inner: Arc::new(Inner {
                ring,
                captures: parts.captures,
                journal,
                poster: poster.clone(),
                config: config.clone(),
                motion,
                triggers: triggers.clone(),
                open: Mutex::new(Vec::new()),
                pir_armed_until: Mutex::new(None),
                battery: parts.battery,
                night,
                recording: watch::channel(config.recording).0,
                continuous,
                speaker: Speaker::new(config.speaker.clone(), config.ring_dir.join("audio")),
            }),
        };
        doorbell.set_recording(config.recording);
        tokio::spawn(doorbell.clone().keep_continuous());
        doorbell.recover().await?;
        doorbell.inner.journal.retry_all_now().await?;
        tokio::spawn(poster.run());
        for (source, trigger) in [
            (&config.pir, Trigger::Pir),
            (&config.button, Trigger::Button),
        ] {
            if let Some(source) = source {
                input::watch(source, trigger, triggers.clone());
            }
        }
        motion::spawn(parts.camera, motion_settings, signals);
        tokio::spawn(doorbell.clone().follow(trigger_rx, signal_rx));
        Ok(doorbell)
    }

    /// A trigger from the control API (a simulated PIR or button).
    pub async fn trigger(&self, trigger: Trigger) {
        let _ = self.inner.triggers.send(trigger).await;
    }

    /// New motion settings from the owner; day or night stays as the light says.
    pub fn set_motion(&self, runtime: MotionRuntime) {
        self.inner.motion.send_modify(|current| {
            *current = MotionRuntime {
                night: current.night,
                ..runtime
            }
        });
    }

    /// The owner's recording mode: `off` stops the ring (events go without clips), `24_7`
    /// keeps every second on the device as well.
    pub fn set_recording(&self, mode: RecordingMode) {
        self.inner.recording.send_replace(mode);
        self.inner.ring.set_enabled(mode != RecordingMode::Off);
    }

    pub fn recording(&self) -> RecordingMode {
        *self.inner.recording.borrow()
    }

    pub fn continuous(&self) -> ContinuousSummary {
        self.inner.continuous.summary()
    }

    /// Cuts `[from, to)` of the 24/7 footage into a clip that uploads like a capture.
    pub async fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<MediaId, ExportError> {
        let segments = self
            .inner
            .continuous
            .export_segments(from, to)
            .map_err(ExportError::Refused)?;
        let paths: Vec<PathBuf> = segments.iter().map(|s| s.path.clone()).collect();
        let media_id = MediaId::new_random();
        self.cut(media_id, from, &paths, Priority::UserRequested)
            .await
            .map_err(|e| ExportError::Failed(e.to_string()))?;
        Ok(media_id)
    }

    /// Hands every ring segment to 24/7 storage while that mode is on.
    async fn keep_continuous(self) {
        let mut added = self.inner.ring.subscribe();
        loop {
            match added.recv().await {
                Ok(segment) if self.recording() == RecordingMode::Continuous => {
                    let continuous = self.inner.continuous.clone();
                    let kept = tokio::task::spawn_blocking(move || continuous.keep(&segment)).await;
                    if let Ok(Err(err)) = kept {
                        tracing::warn!(error = %err, "24/7 segment not kept");
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    pub fn speaker(&self) -> &Speaker {
        &self.inner.speaker
    }

    pub fn night(&self) -> &Night {
        &self.inner.night
    }

    pub fn night_state(&self) -> NightState {
        self.inner.night.state()
    }

    pub fn motion(&self) -> MotionRuntime {
        self.inner.motion.borrow().clone()
    }

    pub async fn recent_events(&self, limit: u32) -> crate::store::Result<Vec<EventRow>> {
        self.inner.journal.recent(limit).await
    }

    /// The ring's segments now (for status and tests).
    pub fn segments(&self) -> Vec<Segment> {
        self.inner.ring.segments()
    }

    async fn follow(
        self,
        mut triggers: mpsc::Receiver<Trigger>,
        mut signals: mpsc::Receiver<MotionSignal>,
    ) {
        loop {
            tokio::select! {
                Some(trigger) = triggers.recv() => self.on_trigger(trigger, Utc::now()),
                Some(signal) = signals.recv() => self.on_motion(signal),
                else => return,
            }
        }
    }

    fn on_trigger(&self, trigger: Trigger, at: DateTime<Utc>) {
        match trigger {
            Trigger::Button => self.activity(EventType::DoorbellPress, at, None, Vec::new()),
            Trigger::Pir => {
                let gating = self.inner.config.pir.is_some();
                let motion_on = self.inner.motion.borrow().enabled;
                if gating && motion_on {
                    let until = at
                        + chrono::Duration::from_std(self.inner.config.pir_window)
                            .unwrap_or_default();
                    if let Ok(mut armed) = self.inner.pir_armed_until.lock() {
                        *armed = Some(until);
                    }
                    // A PIR during an event keeps it going.
                    self.extend(EventType::Motion, at, None);
                } else {
                    // No camera tier to confirm it (a simulated PIR, or motion detection off):
                    // the sensor alone is the event.
                    self.activity(EventType::Motion, at, None, Vec::new());
                }
            }
        }
    }

    fn on_motion(&self, signal: MotionSignal) {
        match signal {
            MotionSignal::Started {
                at,
                confidence,
                boxes,
            } => {
                let armed_until = self.inner.pir_armed_until.lock().ok().and_then(|a| *a);
                let gated =
                    self.inner.config.pir.is_some() && armed_until.is_none_or(|until| at > until);
                if gated {
                    tracing::debug!("camera motion without the PIR: ignored");
                    return;
                }
                let detections = boxes
                    .iter()
                    .map(|b| Detection {
                        label: "motion".into(),
                        confidence: f64::from(b.confidence),
                        x: f64::from(b.x),
                        y: f64::from(b.y),
                        w: f64::from(b.w),
                        h: f64::from(b.h),
                    })
                    .collect();
                self.activity(EventType::Motion, at, Some(confidence), detections);
            }
            MotionSignal::Continues { at, confidence } => {
                self.extend(EventType::Motion, at, Some(confidence));
            }
            MotionSignal::Ended { at } => {
                self.extend(EventType::Motion, at, None);
            }
        }
    }

    /// Extends the open event of `kind`; `false` when there is none still open at `at`.
    fn extend(&self, kind: EventType, at: DateTime<Utc>, confidence: Option<f32>) -> bool {
        let Ok(open) = self.inner.open.lock() else {
            return false;
        };
        let Some(event) = open.iter().find(|e| e.kind == kind) else {
            return false;
        };
        let mut extended = false;
        event.progress.send_if_modified(|p| {
            if !p.window.is_open_at(at) {
                return false;
            }
            p.window.extend(at);
            p.peak_confidence = p.peak_confidence.max(confidence.unwrap_or(0.0));
            extended = true;
            true
        });
        extended
    }

    /// Activity of `kind` at `at`: extends the open event of that kind, or starts one.
    fn activity(
        &self,
        kind: EventType,
        at: DateTime<Utc>,
        confidence: Option<f32>,
        detections: Vec<Detection>,
    ) {
        if self.extend(kind, at, confidence) {
            return;
        }
        let id = DoorbellEventId::new_random();
        let progress = Progress {
            window: EventWindow::new(at, self.inner.config.timing),
            peak_confidence: confidence.unwrap_or(0.0),
        };
        let (tx, rx) = watch::channel(progress);
        if let Ok(mut open) = self.inner.open.lock() {
            open.retain(|e| e.kind != kind);
            open.push(OpenEvent {
                id,
                kind,
                progress: tx,
            });
        }
        let new = NewEvent {
            event_id: id,
            event_type: kind,
            occurred_at: at,
            alert_media_id: MediaId::new_random(),
            clip_media_id: MediaId::new_random(),
            confidence: confidence.map(f64::from),
            detections,
            battery_level: (self.inner.battery)(),
        };
        tracing::info!(event = %id, %kind, "doorbell event");
        let doorbell = self.clone();
        tokio::spawn(async move {
            if let Err(err) = doorbell.record(new, rx).await {
                tracing::error!(event = %id, error = %err, "event recording failed");
                let _ = doorbell.inner.journal.abandon(id, &err.to_string()).await;
            }
            if let Ok(mut open) = doorbell.inner.open.lock() {
                open.retain(|e| e.id != id);
            }
        });
    }

    fn event_dir(&self, id: DoorbellEventId) -> PathBuf {
        self.inner
            .config
            .ring_dir
            .join("events")
            .join(id.to_string())
    }

    /// Records one event from its trigger to the end of its post-roll.
    async fn record(
        &self,
        new: NewEvent,
        mut progress: watch::Receiver<Progress>,
    ) -> Result<(), RecordError> {
        let inner = &self.inner;
        inner.journal.open(&new).await?;
        if self.recording() == RecordingMode::Off {
            // Reported, without video: the owner turned recording off.
            inner.journal.alert_cut(new.event_id, 0, 0).await?;
            inner
                .journal
                .clip_cut(new.event_id, None, None, &new.detections)
                .await?;
            inner.poster.wake();
            return Ok(());
        }
        let dir = self.event_dir(new.event_id);
        tokio::fs::create_dir_all(&dir).await?;
        // Subscribed before the ring is read, so no segment falls between the two.
        let mut added = inner.ring.subscribe();
        let mut linked = Linked::new(dir.clone());
        let clip_start = progress.borrow().window.clip_start();
        for segment in inner.ring.segments() {
            linked.take(&segment, clip_start);
        }
        // The alert clip: everything up to the end of the trigger's second.
        while linked.end().is_none_or(|end| end <= new.occurred_at) {
            match tokio::time::timeout(SEGMENT_TIMEOUT, added.recv()).await {
                Ok(Ok(segment)) => linked.take(&segment, clip_start),
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                _ => break,
            }
        }
        let Some((alert_duration, pre_roll)) = linked.measure(new.occurred_at) else {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(RecordError::NoVideo);
        };
        self.cut(
            new.alert_media_id,
            new.occurred_at,
            &linked.paths,
            Priority::UserRequested,
        )
        .await?;
        inner
            .journal
            .alert_cut(new.event_id, pre_roll, alert_duration)
            .await?;
        inner.poster.wake();
        // The rest: until the post-roll after the last activity is in the ring.
        loop {
            let ends_at = progress.borrow_and_update().window.ends_at();
            if linked.end().is_some_and(|end| end >= ends_at) {
                break;
            }
            tokio::select! {
                segment = tokio::time::timeout(SEGMENT_TIMEOUT, added.recv()) => match segment {
                    Ok(Ok(segment)) => linked.take(&segment, clip_start),
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                    _ => break,
                },
                _ = progress.changed() => {}
            }
        }
        // Closed for new activity from here on.
        let peak = progress.borrow().peak_confidence;
        let clip = match self
            .cut(
                new.clip_media_id,
                new.occurred_at,
                &linked.paths,
                Priority::Video,
            )
            .await
        {
            Ok(()) => linked
                .measure(new.occurred_at)
                .map(|(duration, _)| (new.clip_media_id, duration)),
            Err(err) => {
                tracing::warn!(event = %new.event_id, error = %err, "full clip not made; the alert clip stays");
                None
            }
        };
        let confidence = new.confidence.map(|c| c.max(f64::from(peak)));
        inner
            .journal
            .clip_cut(new.event_id, clip, confidence, &new.detections)
            .await?;
        inner.poster.wake();
        let _ = tokio::fs::remove_dir_all(&dir).await;
        Ok(())
    }

    /// Joins the linked segments into capture `media_id`.
    async fn cut(
        &self,
        media_id: MediaId,
        captured_at: DateTime<Utc>,
        paths: &[PathBuf],
        priority: Priority,
    ) -> Result<(), RecordError> {
        let captures = &self.inner.captures;
        let seconds = paths.len() as u64;
        let partial = captures
            .begin_clip(
                media_id,
                captured_at,
                priority,
                seconds * bytes_per_second(self.inner.config.ring_kbps),
            )
            .await?;
        if let Err(err) = clip::join(paths, &partial).await {
            captures.abandon_clip(media_id).await?;
            return Err(err.into());
        }
        captures.finish_clip(media_id).await?;
        Ok(())
    }

    /// After a crash: an event whose segments survived (the ring on a disk, not a tmpfs) is
    /// finished from them; otherwise it keeps what it had, or is dropped if it had nothing.
    async fn recover(&self) -> Result<(), DoorbellError> {
        let journal = &self.inner.journal;
        for row in journal.in_state(EventState::Recording).await? {
            let linked = Linked::existing(self.event_dir(row.event_id)).await;
            let done = match linked.measure(row.occurred_at) {
                Some((duration, pre_roll)) => self
                    .cut(
                        row.alert_media_id,
                        row.occurred_at,
                        &linked.paths,
                        Priority::UserRequested,
                    )
                    .await
                    .map(|()| (duration, pre_roll)),
                None => Err(RecordError::NoVideo),
            };
            match done {
                Ok((duration, pre_roll)) => {
                    journal.alert_cut(row.event_id, pre_roll, duration).await?;
                    journal
                        .clip_cut(row.event_id, None, None, &row.detections)
                        .await?;
                }
                Err(err) => {
                    journal
                        .abandon(row.event_id, &format!("interrupted: {err}"))
                        .await?
                }
            }
        }
        for row in journal.in_state(EventState::AlertCut).await? {
            let linked = Linked::existing(self.event_dir(row.event_id)).await;
            let clip = match (row.clip_media_id, linked.measure(row.occurred_at)) {
                (Some(clip), Some((duration, _))) if duration > row.alert_duration_ms => self
                    .cut(clip, row.occurred_at, &linked.paths, Priority::Video)
                    .await
                    .ok()
                    .map(|()| (clip, duration)),
                _ => None,
            };
            journal
                .clip_cut(row.event_id, clip, None, &row.detections)
                .await?;
        }
        let events = self.inner.config.ring_dir.join("events");
        let _ = tokio::fs::remove_dir_all(&events).await;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Refused(String),
    #[error("the export could not be made: {0}")]
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
enum RecordError {
    #[error("the camera gave no video for the event")]
    NoVideo,
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Clip(#[from] clip::ClipError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("event segments: {0}")]
    Io(#[from] std::io::Error),
}

/// The segments an event holds its own links to, in order.
struct Linked {
    dir: PathBuf,
    segments: Vec<Segment>,
    paths: Vec<PathBuf>,
}

impl Linked {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            segments: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// What a crash left in an event's directory. Only the file order survives, not the
    /// times, so they are counted as one second each from the trigger's pre-roll.
    async fn existing(dir: PathBuf) -> Self {
        let mut linked = Self::new(dir.clone());
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
            return linked;
        };
        let mut names = Vec::new();
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry.path().extension().is_some_and(|e| e == "ts") {
                names.push(entry.path());
            }
        }
        names.sort();
        linked.paths = names;
        linked
    }

    fn end(&self) -> Option<DateTime<Utc>> {
        self.segments.last().map(|s| s.end)
    }

    /// Links `segment` when it holds part of the clip (it ends after `clip_start`).
    fn take(&mut self, segment: &Segment, clip_start: DateTime<Utc>) {
        if segment.end <= clip_start || self.segments.iter().any(|s| s.path == segment.path) {
            return;
        }
        let Some(name) = segment.path.file_name() else {
            return;
        };
        // Runs of the encoder reuse names: the position keeps them apart and in order.
        let target = self.dir.join(format!(
            "{:06}-{}",
            self.paths.len(),
            name.to_string_lossy()
        ));
        match link_or_copy(&segment.path, &target) {
            Ok(()) => {
                self.segments.push(segment.clone());
                self.paths.push(target);
            }
            Err(err) => {
                tracing::warn!(segment = %segment.path.display(), error = %err, "segment lost to the clip")
            }
        }
    }

    /// `(duration, pre_roll)` in milliseconds, from the segments' times; for segments known
    /// only by file, one second each.
    fn measure(&self, trigger: DateTime<Utc>) -> Option<(u64, u64)> {
        if self.paths.is_empty() {
            return None;
        }
        match plan::span(&self.segments) {
            Some((start, end)) => {
                let ms = |d: chrono::Duration| d.num_milliseconds().max(0) as u64;
                Some((ms(end - start), ms(trigger - start)))
            }
            None => Some((self.paths.len() as u64 * 1000, 0)),
        }
    }
}

fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        // Another file system: a copy of one second costs little.
        Err(_) => std::fs::copy(from, to).map(|_| ()),
    }
}
