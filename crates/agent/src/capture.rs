//! Taking photos and recording videos: each capture gets its media id (the server's
//! idempotency key) the moment it starts, a `writing` row before any byte is written, and its
//! file under the final name only once complete and synced. [`Captures::recover`] finishes or
//! drops what a crash interrupted.

use crate::camera::{Camera, CameraError};
use crate::files;
use crate::location::Locator;
use crate::photo::{PhotoError, encode_jpeg};
use crate::recorder::{RecorderError, Recording, VideoSettings, salvage};
use crate::storage::{Storage, StorageError};
use crate::store::{AgentStore, CaptureState, NewCapture, Priority, StoreError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sightline_core::MediaId;
use sightline_core::media::MediaKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Camera(#[from] CameraError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error(transparent)]
    Recorder(#[from] RecorderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the capture failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("already recording (since {0})")]
    AlreadyRecording(DateTime<Utc>),
    #[error("not recording")]
    NotRecording,
}

/// Seconds of video a recording reserves room for before it starts.
const RECORDING_RESERVE_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub media_id: MediaId,
    pub kind: MediaKind,
    pub path: PathBuf,
    pub bytes: u64,
    pub captured_at: DateTime<Utc>,
    pub location: Option<(f64, f64)>,
}

struct Active {
    recording: Recording,
    media_id: MediaId,
    started_at: DateTime<Utc>,
    /// Bumped for every recording so a timed stop never stops a later one.
    generation: u64,
}

#[derive(Clone)]
pub struct Captures {
    inner: Arc<Inner>,
}

struct Inner {
    store: AgentStore,
    storage: Storage,
    camera: Camera,
    locator: Locator,
    orientation: Option<u16>,
    video: std::sync::Mutex<VideoSettings>,
    active: Mutex<Option<Active>>,
    generation: std::sync::atomic::AtomicU64,
    /// Woken whenever a capture is ready to upload.
    queued: Arc<Notify>,
}

impl Captures {
    pub fn new(
        store: AgentStore,
        storage: Storage,
        camera: Camera,
        locator: Locator,
        orientation: Option<u16>,
        video: VideoSettings,
        queued: Arc<Notify>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                storage,
                camera,
                locator,
                orientation,
                video: std::sync::Mutex::new(video),
                active: Mutex::new(None),
                generation: Default::default(),
                queued,
            }),
        }
    }

    /// The power manager's encoding profile for the next recording.
    pub fn set_video_settings(&self, settings: VideoSettings) {
        if let Ok(mut video) = self.inner.video.lock() {
            *video = settings;
        }
    }

    /// The encoding profile the power manager set last (live streams use it too).
    pub fn video_settings(&self) -> VideoSettings {
        self.inner
            .video
            .lock()
            .map(|video| *video)
            .unwrap_or_else(|poisoned| *poisoned.into_inner())
    }

    fn media_path(&self, file_name: &str) -> PathBuf {
        self.inner.storage.media_dir().join(file_name)
    }

    pub async fn take_photo(&self, priority: Priority) -> Result<Captured, CaptureError> {
        let inner = &self.inner;
        let frame = inner.camera.latest()?;
        // A JPEG is smaller than the raw frame it encodes: room for that is room enough.
        inner
            .storage
            .make_room(frame.format.frame_bytes() as u64)
            .await?;
        let location = inner.locator.current().await;
        let captured_at = frame.captured_at;
        let media_id = MediaId::new_random();
        let file_name = format!("{media_id}.jpg");
        inner
            .store
            .begin_capture(&NewCapture {
                media_id,
                kind: MediaKind::Photo,
                file_name: file_name.clone(),
                captured_at,
                location,
                priority,
            })
            .await?;
        let orientation = inner.orientation;
        let path = self.media_path(&file_name);
        let written = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || -> Result<(u64, String), CaptureError> {
                let jpeg = encode_jpeg(&frame, captured_at, location, orientation)?;
                files::write_durably(&path, &jpeg)?;
                Ok((jpeg.len() as u64, hex::encode(Sha256::digest(&jpeg))))
            })
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
        };
        let (bytes, sha256) = match written {
            Ok(done) => done,
            Err(err) => {
                let _ = std::fs::remove_file(files::partial_path(&path));
                inner.store.forget(media_id).await?;
                return Err(err);
            }
        };
        inner.store.finish_capture(media_id, bytes, &sha256).await?;
        inner.queued.notify_one();
        Ok(Captured {
            media_id,
            kind: MediaKind::Photo,
            path,
            bytes,
            captured_at,
            location,
        })
    }

    /// Starts recording; with `max` it stops by itself after that long.
    pub async fn start_recording(&self, max: Option<Duration>) -> Result<MediaId, CaptureError> {
        let inner = &self.inner;
        let mut active = inner.active.lock().await;
        if let Some(active) = active.as_ref() {
            return Err(CaptureError::AlreadyRecording(active.started_at));
        }
        inner.camera.latest()?;
        let settings = inner
            .video
            .lock()
            .map(|v| *v)
            .unwrap_or(VideoSettings::native(4000));
        let reserve = u64::from(settings.bitrate_kbps) * 1000 / 8 * RECORDING_RESERVE_SECS;
        inner.storage.make_room(reserve).await?;
        let media_id = MediaId::new_random();
        let file_name = format!("{media_id}.mp4");
        let started_at = Utc::now();
        inner
            .store
            .begin_capture(&NewCapture {
                media_id,
                kind: MediaKind::Video,
                file_name: file_name.clone(),
                captured_at: started_at,
                location: inner.locator.current().await,
                priority: Priority::Video,
            })
            .await?;
        let partial = files::partial_path(&self.media_path(&file_name));
        let recording = match Recording::start(&inner.camera, settings, partial) {
            Ok(recording) => recording,
            Err(err) => {
                inner.store.forget(media_id).await?;
                return Err(err.into());
            }
        };
        let generation = inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *active = Some(Active {
            recording,
            media_id,
            started_at,
            generation,
        });
        if let Some(max) = max {
            let captures = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(max).await;
                if let Err(err) = captures.stop_if(generation).await {
                    tracing::warn!(error = %err, "timed recording did not stop cleanly");
                }
            });
        }
        Ok(media_id)
    }

    /// Starts a clip made outside the camera's recorder (a doorbell event's, cut from the
    /// pre-roll ring): room is made and the row written; the clip is to be written at the
    /// returned temporary path, then [`Captures::finish_clip`] or [`Captures::abandon_clip`].
    pub async fn begin_clip(
        &self,
        media_id: MediaId,
        captured_at: DateTime<Utc>,
        priority: Priority,
        expected_bytes: u64,
    ) -> Result<PathBuf, CaptureError> {
        let inner = &self.inner;
        inner.storage.make_room(expected_bytes).await?;
        let file_name = format!("{media_id}.mp4");
        inner
            .store
            .begin_capture(&NewCapture {
                media_id,
                kind: MediaKind::Video,
                file_name: file_name.clone(),
                captured_at,
                location: inner.locator.current().await,
                priority,
            })
            .await?;
        Ok(files::partial_path(&self.media_path(&file_name)))
    }

    /// The clip is written: commit it and queue it for upload.
    pub async fn finish_clip(&self, media_id: MediaId) -> Result<Captured, CaptureError> {
        let inner = &self.inner;
        let capture = inner
            .store
            .get(media_id)
            .await?
            .ok_or(StoreError::Corrupt(format!("clip {media_id} has no row")))?;
        let path = self.media_path(&capture.file_name);
        let (bytes, sha256) = commit_and_hash(&files::partial_path(&path), &path).await?;
        inner.store.finish_capture(media_id, bytes, &sha256).await?;
        inner.queued.notify_one();
        Ok(Captured {
            media_id,
            kind: capture.kind,
            path,
            bytes,
            captured_at: capture.captured_at,
            location: capture.location,
        })
    }

    /// The clip could not be made: nothing of it stays.
    pub async fn abandon_clip(&self, media_id: MediaId) -> Result<(), CaptureError> {
        let path = self.media_path(&format!("{media_id}.mp4"));
        let _ = tokio::fs::remove_file(files::partial_path(&path)).await;
        self.inner.store.forget(media_id).await?;
        Ok(())
    }

    pub async fn recording_since(&self) -> Option<DateTime<Utc>> {
        self.inner
            .active
            .lock()
            .await
            .as_ref()
            .map(|a| a.started_at)
    }

    async fn stop_if(&self, generation: u64) -> Result<(), CaptureError> {
        let mut active = self.inner.active.lock().await;
        if active.as_ref().is_some_and(|a| a.generation == generation)
            && let Some(active) = active.take()
        {
            self.finish_recording(active).await?;
        }
        Ok(())
    }

    pub async fn stop_recording(&self) -> Result<Captured, CaptureError> {
        let active = self.inner.active.lock().await.take();
        let active = active.ok_or(CaptureError::NotRecording)?;
        self.finish_recording(active).await
    }

    async fn finish_recording(&self, active: Active) -> Result<Captured, CaptureError> {
        let inner = &self.inner;
        let Active {
            recording,
            media_id,
            started_at,
            ..
        } = active;
        let partial = recording.path.clone();
        let stats = match recording.stop().await {
            Ok(stats) => stats,
            Err(err) => {
                // Whatever the encoder managed to write is still worth keeping.
                tracing::warn!(error = %err, "recording ended badly; salvaging");
                return self
                    .salvage_recording(media_id)
                    .await
                    .and_then(|c| c.ok_or(CaptureError::Recorder(err)));
            }
        };
        if stats.dropped > 0 {
            tracing::warn!(dropped = stats.dropped, "recording lost frames");
        }
        let capture = inner
            .store
            .get(media_id)
            .await?
            .ok_or(StoreError::Corrupt(format!(
                "recording {media_id} has no row"
            )))?;
        let path = self.media_path(&capture.file_name);
        let (bytes, sha256) = commit_and_hash(&partial, &path).await?;
        inner.store.finish_capture(media_id, bytes, &sha256).await?;
        inner.queued.notify_one();
        Ok(Captured {
            media_id,
            kind: MediaKind::Video,
            path,
            bytes,
            captured_at: started_at,
            location: capture.location,
        })
    }

    /// Turns a recording's partial file into a complete one, or drops the capture when nothing
    /// playable is left.
    async fn salvage_recording(&self, media_id: MediaId) -> Result<Option<Captured>, CaptureError> {
        let inner = &self.inner;
        let Some(capture) = inner.store.get(media_id).await? else {
            return Ok(None);
        };
        let path = self.media_path(&capture.file_name);
        let partial = files::partial_path(&path);
        let mut salvaged = path.clone().into_os_string();
        salvaged.push(".salvaged.partial");
        let salvaged = PathBuf::from(salvaged);
        let outcome = if partial.exists() {
            salvage(&partial, &salvaged).await
        } else {
            Err(RecorderError::Empty)
        };
        let _ = tokio::fs::remove_file(&partial).await;
        if let Err(err) = outcome {
            tracing::warn!(%media_id, error = %err, "nothing of the recording could be kept");
            let _ = tokio::fs::remove_file(&salvaged).await;
            inner.store.forget(media_id).await?;
            return Ok(None);
        }
        let (bytes, sha256) = commit_and_hash(&salvaged, &path).await?;
        inner.store.finish_capture(media_id, bytes, &sha256).await?;
        inner.queued.notify_one();
        Ok(Some(Captured {
            media_id,
            kind: capture.kind,
            path,
            bytes,
            captured_at: capture.captured_at,
            location: capture.location,
        }))
    }

    /// After a crash: finishes captures whose file made it to its final name, salvages cut
    /// recordings, drops photos that never got a file, and removes stray temporary files.
    pub async fn recover(&self) -> Result<RecoveryReport, CaptureError> {
        let inner = &self.inner;
        let mut report = RecoveryReport::default();
        for capture in inner.store.in_state(CaptureState::Writing).await? {
            let path = self.media_path(&capture.file_name);
            if path.exists() {
                // The rename is the commit point: a file under its final name is complete.
                let (bytes, sha256) = hash_file(&path).await?;
                inner
                    .store
                    .finish_capture(capture.media_id, bytes, &sha256)
                    .await?;
                report.finished += 1;
            } else if capture.kind == MediaKind::Video {
                match self.salvage_recording(capture.media_id).await? {
                    Some(_) => report.salvaged += 1,
                    None => report.dropped += 1,
                }
            } else {
                let _ = tokio::fs::remove_file(files::partial_path(&path)).await;
                inner.store.forget(capture.media_id).await?;
                report.dropped += 1;
            }
        }
        let mut entries = tokio::fs::read_dir(inner.storage.media_dir()).await?;
        while let Some(entry) = entries.next_entry().await? {
            if files::is_partial(&entry.path()) {
                tokio::fs::remove_file(entry.path()).await?;
                report.stray_files += 1;
            }
        }
        Ok(report)
    }

    /// Checks a capture's file against the checksum taken when it was written.
    pub async fn verify(&self, file_name: &str, sha256: Option<&str>) -> Result<(), String> {
        let path = self.media_path(file_name);
        let (_, actual) = hash_file(&path)
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        match sha256 {
            Some(expected) if expected == actual => Ok(()),
            Some(expected) => Err(format!(
                "{} changed on disk since it was captured (sha256 {actual}, expected {expected})",
                path.display()
            )),
            None => Err(format!("{} has no checksum", path.display())),
        }
    }

    pub fn media_dir(&self) -> &Path {
        self.inner.storage.media_dir()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub finished: u64,
    pub salvaged: u64,
    pub dropped: u64,
    pub stray_files: u64,
}

async fn commit_and_hash(temp: &Path, dest: &Path) -> Result<(u64, String), CaptureError> {
    let (temp, target) = (temp.to_owned(), dest.to_owned());
    tokio::task::spawn_blocking(move || files::commit(&temp, &target))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    Ok(hash_file(dest).await?)
}

pub async fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let bytes = std::io::copy(&mut file, &mut hasher)?;
        Ok((bytes, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?
}
