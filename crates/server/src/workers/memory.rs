//! `memory.requested` → find the clips, assemble the video (smart cut), store it →
//! `memory.ready`, or `empty` with the reason, or `failed`; and the notifier that forwards
//! finished memories to the users' event streams.

use super::runner::{Job, JobError};
use super::work_dir;
use crate::memories::plan::{choose_clips, memory_matches};
use crate::routes::memories::INCLUDE_PHOTOS;
use crate::routes::memories::view;
use crate::state::{AppState, Notification};
use async_trait::async_trait;
use serde_json::{Value, json};
use sightline_core::blob_key;
use sightline_core::event::{MemoryEvent, NewEvent, Topic};
use sightline_core::media::MediaKind;
use sightline_core::memory::SelectedClip;
use sightline_core::query::Understood;
use sightline_core::query::proper_nouns;
use sightline_media::assemble::{DEFAULT_CROSSFADE_SECS, MemoryClip, MemoryRequest};
use sightline_store::library::{Memory, MemoryStatus, MemoryUpdate};
use std::path::PathBuf;
use std::time::Instant;

pub struct MemoryJob;

fn update(status: MemoryStatus, reason: Option<String>) -> MemoryUpdate {
    MemoryUpdate {
        status,
        reason,
        clips: Value::Null,
        video_key: None,
        thumbnail_key: None,
        duration_secs: None,
        render_ms: None,
    }
}

#[async_trait]
impl Job for MemoryJob {
    const CONSUMER: &'static str = "memory";
    const TOPICS: &'static [Topic] = &[Topic::MemoryRequested];
    type Event = MemoryEvent;

    async fn handle(&self, state: &AppState, event: &MemoryEvent) -> Result<(), JobError> {
        let library = &state.backends.library;
        let Some(memory) = load_memory(state, event).await? else {
            return Ok(()); // deleted meanwhile
        };
        if !memory.status.in_progress() {
            return Ok(()); // made already (a redelivered event)
        }
        let started = Instant::now();
        let understood: Understood = serde_json::from_value(memory.understood.clone())
            .map_err(|e| JobError::Permanent(format!("unreadable query: {e}")))?;
        library
            .update_memory(
                memory.user_id,
                memory.id,
                &update(MemoryStatus::Rendering, None),
                &[],
            )
            .await
            .map_err(JobError::transient)?;

        wait_for_index(state).await;
        let include_photos = memory
            .understood
            .get(INCLUDE_PHOTOS)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let required = proper_nouns(&memory.query, &understood);
        let matches = memory_matches(state, memory.user_id, &understood, &required)
            .await
            .map_err(JobError::Transient)?;
        let selection = choose_clips(&matches, memory.max_duration_secs, include_photos);
        if selection.clips.is_empty() {
            let reason = selection
                .reason()
                .unwrap_or_else(|| "no matching videos".into());
            let reason = format!("{reason} for “{}”", describe(&memory));
            return finish(
                state,
                event,
                &memory,
                update(MemoryStatus::Empty, Some(reason)),
            )
            .await;
        }

        let work = work_dir(state)?;
        let mut sources = Vec::with_capacity(selection.clips.len());
        let mut guards = Vec::new();
        let mut still_size = None;
        for clip in &selection.clips {
            let Some(found) = matches.iter().find(|m| m.media.id == clip.media_id) else {
                continue;
            };
            let key = match found.media.kind {
                MediaKind::Video => &found.media.rendition_key,
                MediaKind::Photo => &found.media.preview_key,
            };
            let Some(key) = key else { continue };
            let (path, guard) = super::local_original(state, key).await?;
            guards.extend(guard);
            if found.media.kind == MediaKind::Photo {
                let size = match still_size {
                    Some(size) => size,
                    None => {
                        let size = memory_size(state, &selection.clips, &matches).await;
                        still_size = Some(size);
                        size
                    }
                };
                let still = work.path().join(format!("still-{}.mp4", sources.len()));
                let secs = clip.end_secs.saturating_sub(clip.start_secs).max(1);
                sightline_media::still::ken_burns_still(
                    &state.tools,
                    &path,
                    secs,
                    size,
                    &still,
                    state.tools.normalise_timeout,
                )
                .await?;
                sources.push((still, *clip));
            } else {
                sources.push((path, *clip));
            }
        }
        let video = work.path().join("memory.mp4");
        let thumbnail = work.path().join("memory.jpg");
        let rendered = render(state, &sources, &video, &thumbnail).await?;

        let video_key = blob_key::memory_video(memory.user_id, memory.id);
        let thumbnail_key = blob_key::memory_thumbnail(memory.user_id, memory.id);
        let blobs = &state.backends.blobs;
        blobs
            .put_file(&video_key, &video)
            .await
            .map_err(JobError::transient)?;
        blobs
            .put_file(&thumbnail_key, &thumbnail)
            .await
            .map_err(JobError::transient)?;
        let done = MemoryUpdate {
            status: MemoryStatus::Ready,
            reason: None,
            clips: rendered.clips,
            video_key: Some(video_key.clone()),
            thumbnail_key: Some(thumbnail_key.clone()),
            duration_secs: Some(rendered.duration_secs),
            render_ms: Some(started.elapsed().as_millis() as i64),
        };
        let kept = finish(state, event, &memory, done).await;
        if library
            .memory(memory.user_id, memory.id)
            .await
            .map_err(JobError::transient)?
            .is_none()
        {
            // Deleted while it was being made: take the files with it.
            let _ = blobs.delete(&video_key).await;
            let _ = blobs.delete(&thumbnail_key).await;
        }
        kept
    }

    async fn give_up(
        &self,
        state: &AppState,
        event: &MemoryEvent,
        reason: &str,
    ) -> Result<(), JobError> {
        let failed = update(MemoryStatus::Failed, Some(reason.to_string()));
        let Some(memory) = load_memory(state, event).await? else {
            return Ok(());
        };
        finish(state, event, &memory, failed).await
    }
}

/// The search index follows the write model a moment behind. A memory is cached under the
/// library version it was asked at, so it must be made from an index that has caught up with
/// at least that version: wait (briefly) until the projector has nothing left to do.
async fn wait_for_index(state: &AppState) {
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut pending = 0;
        for consumer in super::index::CONSUMERS {
            pending += state.backends.bus.pending(consumer).await.unwrap_or(0);
        }
        if pending == 0 {
            return;
        }
        if Instant::now() > deadline {
            tracing::warn!(
                pending,
                "search index still behind; making the memory anyway"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The picture size of stills: that of the first video clip's rendition, so stills splice in
/// without re-encoding; 1080p when the memory has no video.
async fn memory_size(
    state: &AppState,
    clips: &[SelectedClip],
    matches: &[crate::memories::plan::VideoMatch],
) -> (u32, u32) {
    const FULL_HD: (u32, u32) = (1920, 1080);
    for clip in clips.iter().filter(|c| c.kind == MediaKind::Video) {
        let Some(key) = matches
            .iter()
            .find(|m| m.media.id == clip.media_id)
            .and_then(|m| m.media.rendition_key.as_ref())
        else {
            continue;
        };
        if let Ok((path, _guard)) = super::local_original(state, key).await
            && let Ok(facts) = state.tools.probe(&path, MediaKind::Video).await
            && let (Some(w), Some(h)) = (facts.width, facts.height)
        {
            return (w, h);
        }
    }
    FULL_HD
}

/// The memory an event is about; `None` when it was deleted.
async fn load_memory(state: &AppState, event: &MemoryEvent) -> Result<Option<Memory>, JobError> {
    state
        .backends
        .library
        .memory(event.user_id, event.memory_id)
        .await
        .map_err(JobError::transient)
}

fn describe(memory: &Memory) -> String {
    memory
        .understood
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or(&memory.query)
        .to_string()
}

/// Records the outcome with its event: `memory.ready` when there is a video, else
/// `memory.failed` (nothing matched, or making it failed).
async fn finish(
    state: &AppState,
    event: &MemoryEvent,
    memory: &Memory,
    outcome: MemoryUpdate,
) -> Result<(), JobError> {
    let topic = if outcome.status == MemoryStatus::Ready {
        Topic::MemoryReady
    } else {
        Topic::MemoryFailed
    };
    state
        .backends
        .library
        .update_memory(
            memory.user_id,
            memory.id,
            &outcome,
            &[NewEvent::new(topic, event)],
        )
        .await
        .map_err(JobError::transient)?;
    state.wake.notify_waiters();
    Ok(())
}

struct Rendered {
    clips: Value,
    duration_secs: f64,
}

/// Smart-cut assembly of the chosen clips (renditions, in time order) into one MP4 plus a
/// thumbnail.
async fn render(
    state: &AppState,
    sources: &[(PathBuf, SelectedClip)],
    video: &std::path::Path,
    thumbnail: &std::path::Path,
) -> Result<Rendered, JobError> {
    let request = MemoryRequest {
        clips: sources
            .iter()
            .map(|(path, clip)| MemoryClip {
                rendition: path.clone(),
                in_secs: f64::from(clip.start_secs),
                out_secs: f64::from(clip.end_secs),
            })
            .collect(),
        crossfade_secs: DEFAULT_CROSSFADE_SECS,
    };
    let timeout = state.tools.normalise_timeout;
    let assembled = state
        .tools
        .assemble_memory(&request, video, thumbnail, timeout)
        .await
        .map_err(|e| {
            if e.is_permanent() {
                JobError::Permanent(e.to_string())
            } else {
                JobError::transient(e)
            }
        })?;
    let used: Vec<Value> = assembled
        .timeline
        .iter()
        .map(|placed| {
            let (_, clip) = &sources[placed.source_index];
            json!({
                "media_id": clip.media_id,
                "captured_at": clip.captured_at,
                "in_secs": placed.in_secs,
                "out_secs": placed.out_secs,
                "at_secs": placed.starts_at_secs,
                "copied": placed.copied,
                "quality": clip.quality,
                "relevance": clip.relevance,
            })
        })
        .collect();
    Ok(Rendered {
        clips: Value::Array(used),
        duration_secs: assembled.duration_secs,
    })
}

/// Forwards finished memories to their owner's event streams.
pub struct NotifyJob;

#[async_trait]
impl Job for NotifyJob {
    const CONSUMER: &'static str = "notify";
    const TOPICS: &'static [Topic] = &[Topic::MemoryReady, Topic::MemoryFailed];
    type Event = MemoryEvent;

    async fn handle(&self, state: &AppState, event: &MemoryEvent) -> Result<(), JobError> {
        let Some(memory) = load_memory(state, event).await? else {
            return Ok(());
        };
        let kind = if memory.status == MemoryStatus::Ready {
            "memory.ready"
        } else {
            "memory.failed"
        };
        // Nobody listening is fine: the memory's status is the record.
        let _ = state.hub.send(Notification {
            user: memory.user_id,
            kind,
            data: view(state, &memory, false),
        });
        Ok(())
    }

    async fn give_up(&self, _: &AppState, _: &MemoryEvent, _: &str) -> Result<(), JobError> {
        Ok(())
    }
}
