//! The running agent: opens the local store, recovers what a crash interrupted, starts the
//! camera, the upload queue and the local control API, and carries out commands from any path
//! (control API, stdin, speech) the same way.

use crate::camera::{Camera, CaptureSource, FrameFormat};
use crate::capture::{CaptureError, Captures, RecoveryReport};
use crate::doorbell::motion::MotionRuntime;
use crate::doorbell::{Doorbell, DoorbellConfig, DoorbellError};
use crate::live::{LiveError, LiveStatus, LiveStreamer};
use crate::location::{LocationSource, Locator};
use crate::power::{BatterySource, PowerManager, PowerState};
use crate::queue::{Batching, Connectivity, UploadQueue};
use crate::recorder::VideoSettings;
use crate::storage::{Storage, free_bytes};
use crate::store::{AgentStore, CommandLog, Priority, StoreError};
use crate::sync::{SYNC_INTERVAL, SyncError, SyncReport, Syncer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_client::TusClient;
use sightline_core::MediaId;
use sightline_core::backoff::RetryPolicy;
use sightline_core::command::{self, Command};
use sightline_core::power::PowerModel;
use sightline_core::settings::AgentSettings;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    Glasses,
    Doorbell,
}

#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub profile: Profile,
    pub data_dir: PathBuf,
    /// Server root, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// The device token from `POST /api/v1/devices` (or a user access token).
    pub token: String,
    pub device_id: Option<String>,
    pub source: CaptureSource,
    pub format: FrameFormat,
    pub location: LocationSource,
    pub quota_bytes: u64,
    /// EXIF orientation of the camera as mounted (1 = upright).
    pub orientation: Option<u16>,
    pub video: VideoSettings,
    pub battery: BatterySource,
    /// PATCH size of uploads: small enough that a flaky radio link still makes progress.
    pub upload_chunk_bytes: usize,
    /// Local control API; loopback only unless the owner says otherwise.
    pub control: SocketAddr,
    /// The doorbell profile's ring, inputs, motion tier and clip timing.
    pub doorbell: Option<DoorbellConfig>,
    /// Where "go live" streams to when the command names no destination (RTMP/RTMPS URL with
    /// the stream key).
    pub live_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("agent data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("server address: {0}")]
    Server(#[from] sightline_client::ClientError),
    #[error(transparent)]
    Doorbell(#[from] DoorbellError),
    #[error("control API cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl CommandOutcome {
    /// What a command that captured nothing did.
    fn reply(command: Command, ok: bool, message: String, kind: OutcomeKind) -> Self {
        Self {
            ok,
            command: Some(command),
            message,
            media_id: None,
            memory: None,
            latency_ms: 0.0,
            kind,
        }
    }
}

/// What a command did, as the control API and stdin report it.
#[derive(Debug, Clone, Serialize)]
pub struct CommandOutcome {
    pub ok: bool,
    pub command: Option<Command>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<MediaId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<serde_json::Value>,
    /// From receiving the command to its effect being durable (photo stored, recording started).
    pub latency_ms: f64,
    #[serde(skip)]
    pub kind: OutcomeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutcomeKind {
    #[default]
    Done,
    NotUnderstood,
    Refused,
    Unavailable,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub profile: Profile,
    pub device_id: Option<String>,
    pub connectivity: Connectivity,
    pub queue: QueueStatus,
    pub storage: StorageStatus,
    pub recording_since: Option<DateTime<Utc>>,
    /// The live stream on air, if any.
    pub live: Option<LiveStatus>,
    pub camera: String,
    pub power: PowerState,
    /// When the device last caught up with the server's change log.
    pub last_sync: Option<DateTime<Utc>>,
    pub announcements: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doorbell: Option<DoorbellStatus>,
}

/// The doorbell's part of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct DoorbellStatus {
    /// Seconds of video in the pre-roll ring.
    pub ring_seconds: f64,
    pub motion_enabled: bool,
    pub night: crate::doorbell::night::NightState,
    pub recording_mode: sightline_core::recording::RecordingMode,
    pub continuous: crate::doorbell::continuous::ContinuousSummary,
    pub last_event: Option<crate::doorbell::journal::EventRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub pending_user_requested: u64,
    pub pending_other: u64,
    pub corrupt: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StorageStatus {
    pub quota_bytes: u64,
    pub unsynced_bytes: u64,
    pub synced_bytes: u64,
    pub disk_free_bytes: u64,
}

#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    config: AgentConfig,
    store: AgentStore,
    storage: Storage,
    camera: Camera,
    captures: Captures,
    queue: UploadQueue,
    power: PowerManager,
    syncer: Syncer,
    doorbell: Option<Doorbell>,
    live: LiveStreamer,
    http: reqwest::Client,
    announce: broadcast::Sender<String>,
    announcements: Mutex<Vec<String>>,
}

/// Default PATCH size of the agent's uploads.
pub const DEFAULT_UPLOAD_CHUNK_BYTES: usize = 1024 * 1024;

/// How often the battery is read.
const POWER_POLL: Duration = Duration::from_secs(10);

/// Announcements kept for `status`.
const KEPT_ANNOUNCEMENTS: usize = 10;

impl Agent {
    /// Starts everything but the control API (see [`Agent::serve_control`]).
    pub async fn start(config: AgentConfig) -> Result<(Self, RecoveryReport), AgentError> {
        let media_dir = config.data_dir.join("media");
        std::fs::create_dir_all(&media_dir).map_err(|source| AgentError::DataDir {
            path: media_dir.clone(),
            source,
        })?;
        let store = AgentStore::open(&config.data_dir.join("agent.db")).await?;
        let storage = Storage::new(store.clone(), media_dir, config.quota_bytes);
        let camera = Camera::start(config.source.clone(), config.format);
        let locator = Locator::start(config.location.clone());
        let wake = Arc::new(Notify::new());
        let captures = Captures::new(
            store.clone(),
            storage.clone(),
            camera.clone(),
            locator,
            config.orientation,
            config.video,
            wake.clone(),
        );
        let report = captures.recover().await?;
        // A restart is a fresh chance: waits grown while the last run kept failing (a server
        // busy with the dead run's half-sent upload, a flaky link) start over.
        store.retry_all_now().await?;
        // Short in-request retries: the queue keeps its own, much longer backoff.
        let client = TusClient::new(&config.server, config.token.clone())?
            .with_chunk_size(config.upload_chunk_bytes)
            .with_retry_policy(RetryPolicy {
                base: Duration::from_millis(300),
                max: Duration::from_secs(2),
                max_attempts: 2,
            });
        let (announce, _) = broadcast::channel(64);
        let queue = UploadQueue::new(
            store.clone(),
            captures.clone(),
            client,
            config.device_id.clone(),
            wake,
            announce.clone(),
        );
        let power = PowerManager::new(
            config.battery.clone(),
            match config.profile {
                Profile::Glasses => PowerModel::glasses(),
                Profile::Doorbell => PowerModel::doorbell(),
            },
            (config.format.width, config.format.height, config.format.fps),
            config.video.bitrate_kbps,
        );
        let syncer = Syncer::new(
            &config.server,
            config.token.clone(),
            store.clone(),
            captures.clone(),
        );
        let doorbell = match (&config.profile, &config.doorbell) {
            (Profile::Doorbell, Some(doorbell_config)) => {
                let battery = power.clone();
                let parts = crate::doorbell::Parts {
                    camera: &camera,
                    captures: captures.clone(),
                    store: store.clone(),
                    queue: queue.clone(),
                    server: &config.server,
                    device_id: config.device_id.as_deref(),
                    token: config.token.clone(),
                    battery: Box::new(move || {
                        battery
                            .state()
                            .battery
                            .map(|b| b.level_percent.clamp(0.0, 100.0).round() as u8)
                    }),
                };
                Some(Doorbell::start(parts, doorbell_config.clone()).await?)
            }
            _ => None,
        };
        let live = LiveStreamer::new(camera.clone(), config.live_url.clone(), announce.clone());
        let agent = Self {
            inner: Arc::new(Inner {
                syncer: syncer.clone(),
                doorbell,
                live,
                config,
                store,
                storage,
                camera,
                captures,
                queue: queue.clone(),
                power: power.clone(),
                http: reqwest::Client::new(),
                announce: announce.clone(),
                announcements: Mutex::new(Vec::new()),
            }),
        };
        let connectivity = queue.connectivity_changes();
        tokio::spawn(queue.run());
        tokio::spawn(syncer.run(SYNC_INTERVAL, connectivity));
        agent.keep_announcements(announce.subscribe());
        agent.follow_power(power.subscribe());
        tokio::spawn(power.run(POWER_POLL));
        Ok((agent, report))
    }

    fn keep_announcements(&self, mut rx: broadcast::Receiver<String>) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Ok(message) = rx.recv().await {
                let Some(inner) = weak.upgrade() else { return };
                tracing::info!(target: "sightline_agent::announce", "{message}");
                if let Ok(mut kept) = inner.announcements.lock() {
                    kept.push(message);
                    let excess = kept.len().saturating_sub(KEPT_ANNOUNCEMENTS);
                    kept.drain(..excess);
                }
            }
        });
    }

    /// Applies each power state: batching, deferral, the encoding of the next recording, and
    /// a word to the wearer when the mode changes.
    fn follow_power(&self, mut states: tokio::sync::watch::Receiver<PowerState>) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut mode = None;
            loop {
                let state = states.borrow_and_update().clone();
                let Some(inner) = weak.upgrade() else { return };
                inner.queue.set_batching(Batching {
                    min_batch: u64::from(state.batching.min_batch),
                    max_wait: Duration::from_secs(state.batching.max_wait_secs),
                });
                inner.queue.set_defer_background(state.defer_low_priority);
                let native = inner.config.format;
                let e = state.encoding;
                inner.captures.set_video_settings(VideoSettings {
                    bitrate_kbps: e.bitrate_kbps,
                    output: Some(FrameFormat {
                        width: e.width,
                        height: e.height,
                        fps: e.fps,
                    })
                    .filter(|out| *out != native),
                });
                if mode.is_some_and(|m| m != state.mode) {
                    let level = state
                        .battery
                        .map(|b| format!("battery {:.0}%: ", b.level_percent))
                        .unwrap_or_default();
                    let _ = inner.announce.send(format!(
                        "{level}{} mode; videos {}x{} at {} fps",
                        state.mode.as_str().replace('_', " "),
                        e.width,
                        e.height,
                        e.fps
                    ));
                }
                mode = Some(state.mode);
                drop(inner);
                if states.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    pub fn power(&self) -> &PowerManager {
        &self.inner.power
    }

    /// Announcements as they happen (what a speaker would say).
    pub fn announcements(&self) -> broadcast::Receiver<String> {
        self.inner.announce.subscribe()
    }

    /// Applies the owner's settings; an absent field goes back to the agent's configuration.
    pub fn apply_settings(&self, settings: &AgentSettings) {
        let inner = &self.inner;
        inner
            .storage
            .set_quota(settings.quota_bytes.unwrap_or(inner.config.quota_bytes));
        inner.power.set_max_bitrate_kbps(
            settings
                .video_kbps
                .unwrap_or(inner.config.video.bitrate_kbps),
        );
        if let (Some(doorbell), Some(own)) = (&inner.doorbell, &inner.config.doorbell) {
            doorbell.set_recording(settings.recording_mode.unwrap_or(own.recording));
            let runtime = match &settings.motion {
                Some(motion) => match motion_runtime(motion) {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        tracing::warn!(error = %err, "motion settings not applied");
                        return;
                    }
                },
                None => own.motion.clone(),
            };
            doorbell.set_motion(runtime);
        }
    }

    /// The doorbell's events, ring and motion tier; `None` on glasses.
    pub fn doorbell(&self) -> Option<&Doorbell> {
        self.inner.doorbell.as_ref()
    }

    /// Catches up with the server's change log now (deletions made in the app leave the device).
    pub async fn sync_now(&self) -> Result<SyncReport, SyncError> {
        self.inner.syncer.pull().await
    }

    /// Tells the wearer something (spoken or printed by whoever listens; kept for `status`).
    pub fn announce(&self, message: String) {
        let _ = self.inner.announce.send(message);
    }

    pub fn camera(&self) -> &Camera {
        &self.inner.camera
    }

    pub fn queue(&self) -> &UploadQueue {
        &self.inner.queue
    }

    pub fn config(&self) -> &AgentConfig {
        &self.inner.config
    }

    /// Reads, carries out and logs one command from `source` ("text", "stdin", "voice").
    pub async fn handle_text(&self, text: &str, source: &str) -> CommandOutcome {
        self.handle(command::parse(text), text, source).await
    }

    /// Carries out and logs a command that arrived already structured (from the server).
    pub async fn handle_command(&self, command: Command, source: &str) -> CommandOutcome {
        let text = serde_json::to_string(&command.redacted()).unwrap_or_default();
        self.handle(Ok(command), &text, source).await
    }

    async fn handle(
        &self,
        parsed: Result<Command, command::CommandError>,
        text: &str,
        source: &str,
    ) -> CommandOutcome {
        let received = Instant::now();
        let received_at = Utc::now();
        // Stream keys are secrets: neither the log nor the reply keeps them.
        let text = match &parsed {
            Ok(Command::StartStream { url: Some(url) }) => {
                text.replace(url.as_str(), &command::redact_stream_url(url))
            }
            _ => text.to_owned(),
        };
        let mut outcome = match parsed {
            Ok(command) => self.execute(command).await,
            Err(err) => CommandOutcome {
                ok: false,
                command: None,
                message: err.to_string(),
                media_id: None,
                memory: None,
                latency_ms: 0.0,
                kind: OutcomeKind::NotUnderstood,
            },
        };
        outcome.latency_ms = received.elapsed().as_secs_f64() * 1000.0;
        outcome.command = outcome.command.map(|c| c.redacted());
        let log = CommandLog {
            source: source.to_owned(),
            text: text.chars().take(500).collect(),
            outcome: outcome.message.clone(),
            received_at,
            latency: received.elapsed(),
        };
        if let Err(err) = self.inner.store.log_command(&log).await {
            tracing::warn!(error = %err, "command log not written");
        }
        outcome
    }

    pub async fn execute(&self, command: Command) -> CommandOutcome {
        let captures = &self.inner.captures;
        let done = |message: String, media_id: Option<MediaId>| CommandOutcome {
            ok: true,
            command: Some(command.clone()),
            message,
            media_id,
            memory: None,
            latency_ms: 0.0,
            kind: OutcomeKind::Done,
        };
        let result = match &command {
            Command::TakePicture => captures
                .take_photo(Priority::UserRequested)
                .await
                .map(|c| done("photo saved".into(), Some(c.media_id))),
            Command::RecordVideo { seconds } => captures
                .start_recording(seconds.map(|s| Duration::from_secs(u64::from(s))))
                .await
                .map(|id| {
                    let message = match seconds {
                        Some(s) => format!("recording for {s} seconds"),
                        None => "recording".into(),
                    };
                    done(message, Some(id))
                }),
            Command::StopRecording => captures
                .stop_recording()
                .await
                .map(|c| done(format!("video saved ({} bytes)", c.bytes), Some(c.media_id))),
            Command::CreateMemory { query } => {
                return self.create_memory(command.clone(), query).await;
            }
            Command::PlayMessage { audio_id, url } => {
                return self.play_message(command.clone(), audio_id, url).await;
            }
            Command::StartStream { url } => {
                return self.start_stream(command.clone(), url.as_deref()).await;
            }
            Command::StopStream => return self.stop_stream(command.clone()).await,
        };
        result.unwrap_or_else(|err| CommandOutcome {
            ok: false,
            command: Some(command.clone()),
            message: err.to_string(),
            media_id: None,
            memory: None,
            latency_ms: 0.0,
            kind: match err {
                CaptureError::Camera(_) => OutcomeKind::Unavailable,
                _ => OutcomeKind::Refused,
            },
        })
    }

    async fn start_stream(&self, command: Command, url: Option<&str>) -> CommandOutcome {
        let settings = self.inner.captures.video_settings();
        // Commands from the server were parsed there; check again what reaches ffmpeg.
        let checked = match url.map(command::check_stream_url).transpose() {
            Ok(_) => self.inner.live.start(url, settings).await,
            Err(err) => Err(LiveError::BadDestination(err.to_string())),
        };
        let (ok, message, kind) = match checked {
            Ok(destination) => (true, format!("live to {destination}"), OutcomeKind::Done),
            Err(
                err @ (LiveError::NoDestination
                | LiveError::AlreadyStreaming(_)
                | LiveError::BadDestination(_)),
            ) => (false, err.to_string(), OutcomeKind::Refused),
            Err(err) => (false, err.to_string(), OutcomeKind::Unavailable),
        };
        CommandOutcome::reply(command, ok, message, kind)
    }

    async fn stop_stream(&self, command: Command) -> CommandOutcome {
        let (ok, message, kind) = match self.inner.live.stop().await {
            Ok((destination, stats)) => (
                true,
                format!(
                    "stream to {destination} ended after {} frames",
                    stats.frames
                ),
                OutcomeKind::Done,
            ),
            Err(err) => (false, err.to_string(), OutcomeKind::Refused),
        };
        CommandOutcome::reply(command, ok, message, kind)
    }

    /// A pre-recorded message for the visitor at the door.
    async fn play_message(&self, command: Command, audio_id: &str, url: &str) -> CommandOutcome {
        let outcome = |ok, message: String, kind| CommandOutcome {
            ok,
            command: Some(command.clone()),
            message,
            media_id: None,
            memory: None,
            latency_ms: 0.0,
            kind,
        };
        let Some(doorbell) = &self.inner.doorbell else {
            return outcome(
                false,
                "messages for visitors play on a doorbell".into(),
                OutcomeKind::Unavailable,
            );
        };
        match doorbell.speaker().play(audio_id, url).await {
            Ok(cached) => outcome(
                true,
                format!(
                    "playing message {audio_id}{}",
                    if cached { " (cached)" } else { "" }
                ),
                OutcomeKind::Done,
            ),
            Err(err @ crate::speaker::SpeakerError::NoSpeaker) => {
                outcome(false, err.to_string(), OutcomeKind::Unavailable)
            }
            Err(err) => outcome(false, err.to_string(), OutcomeKind::Refused),
        }
    }

    /// Memory videos are made by the server from the whole library; the device asks for one.
    async fn create_memory(&self, command: Command, query: &str) -> CommandOutcome {
        let config = &self.inner.config;
        let url = format!(
            "{}/api/v1/memories/create",
            config.server.trim_end_matches('/')
        );
        let response = self
            .inner
            .http
            .post(&url)
            .bearer_auth(&config.token)
            .json(&serde_json::json!({ "query": query }))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let fail = |message: String, kind| CommandOutcome {
            ok: false,
            command: Some(command.clone()),
            message,
            media_id: None,
            memory: None,
            latency_ms: 0.0,
            kind,
        };
        let response = match response {
            Ok(response) => response,
            Err(err) => {
                return fail(
                    format!(
                        "memory videos are made by the server, which cannot be reached now ({err}); try again when online"
                    ),
                    OutcomeKind::Unavailable,
                );
            }
        };
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if status.is_success() {
            let message = match body.get("status").and_then(|s| s.as_str()) {
                Some("ready") => "your memory video is ready".to_owned(),
                _ => "making your memory video".to_owned(),
            };
            CommandOutcome {
                memory: Some(body),
                ..fail(message, OutcomeKind::Done)
            }
            .succeeded()
        } else {
            let reason = body
                .get("error")
                .and_then(|e| e.get("message").or(Some(e)))
                .and_then(|m| m.as_str())
                .unwrap_or("the server refused")
                .to_owned();
            fail(reason, OutcomeKind::Refused)
        }
    }

    pub async fn status(&self) -> Result<Status, AgentError> {
        let inner = &self.inner;
        let (user, other) = inner.store.pending_counts().await?;
        let usage = inner.storage.usage().await.map_err(CaptureError::from)?;
        Ok(Status {
            profile: inner.config.profile,
            device_id: inner.config.device_id.clone(),
            connectivity: inner.queue.connectivity(),
            queue: QueueStatus {
                pending_user_requested: user,
                pending_other: other,
                corrupt: usage.corrupt_count,
            },
            storage: StorageStatus {
                quota_bytes: inner.storage.quota(),
                unsynced_bytes: usage.unsynced_bytes,
                synced_bytes: usage.synced_bytes,
                disk_free_bytes: free_bytes(inner.storage.media_dir()).unwrap_or(0),
            },
            recording_since: inner.captures.recording_since().await,
            live: inner.live.status().await,
            camera: match inner.camera.latest() {
                Ok(frame) => format!(
                    "{}x{} at {} fps",
                    frame.format.width, frame.format.height, frame.format.fps
                ),
                Err(err) => err.to_string(),
            },
            power: inner.power.state(),
            last_sync: inner.syncer.last_sync().await,
            announcements: inner
                .announcements
                .lock()
                .map(|a| a.clone())
                .unwrap_or_default(),
            doorbell: match &inner.doorbell {
                Some(doorbell) => Some(doorbell_status(doorbell).await?),
                None => None,
            },
        })
    }

    /// Stops cleanly: a running recording is finished and queued rather than salvaged later.
    pub async fn shutdown(&self) {
        if self.inner.live.status().await.is_some() {
            let _ = self.inner.live.stop().await;
        }
        if self.inner.captures.recording_since().await.is_some() {
            match self.inner.captures.stop_recording().await {
                Ok(video) => tracing::info!(media_id = %video.media_id, "recording saved on stop"),
                Err(err) => tracing::warn!(error = %err, "recording could not be finished on stop"),
            }
        }
    }

    /// Reads commands from stdin, one per line, and prints what each did.
    pub async fn read_stdin(self) {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim().is_empty() {
                continue;
            }
            let outcome = self.handle_text(&line, "stdin").await;
            let mark = if outcome.ok { "ok" } else { "error" };
            println!("{mark}: {} ({:.1} ms)", outcome.message, outcome.latency_ms);
        }
    }
}

async fn doorbell_status(doorbell: &Doorbell) -> Result<DoorbellStatus, AgentError> {
    let segments = doorbell.segments();
    let ring_seconds = match (segments.first(), segments.last()) {
        (Some(first), Some(last)) => (last.end - first.start).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    Ok(DoorbellStatus {
        ring_seconds,
        motion_enabled: doorbell.motion().enabled,
        night: doorbell.night_state(),
        recording_mode: doorbell.recording(),
        continuous: doorbell.continuous(),
        last_event: doorbell.recent_events(1).await?.pop(),
    })
}

/// The owner's motion settings as the motion tier runs them.
pub fn motion_runtime(
    settings: &sightline_core::settings::MotionSettings,
) -> Result<MotionRuntime, sightline_core::settings::SettingsError> {
    Ok(MotionRuntime {
        enabled: settings.enabled,
        config: settings.detector_config()?,
        schedule: settings.schedule()?,
        night: false,
    })
}

impl CommandOutcome {
    fn succeeded(mut self) -> Self {
        self.ok = true;
        self
    }
}
