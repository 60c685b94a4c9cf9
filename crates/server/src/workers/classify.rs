//! The cloud AI tier: each new doorbell event's clip is decoded to a few keyframes and run
//! through the object detector (NanoDet on tract, or the YOLO ONNX the owner configured); the
//! verdict (person, package delivered, vehicle, animal, or the device's own type) and its boxes
//! replace the event's, and `doorbell.classified` goes out, which is what notifications follow.
//! A full clip attached later is looked at again, more thoroughly, without a second notification.
//! Without a detector (model not installed, AI off) events pass through unchanged, so nobody
//! misses a visitor because a model is missing.

use super::runner::{Job, JobError};
use crate::state::AppState;
use async_trait::async_trait;
use sightline_core::doorbell_event::{Classification, DoorbellEvent, DoorbellEventNotice};
use sightline_core::event::{NewEvent, Topic};
use sightline_core::motion::Polygon;
use sightline_vision::{ObjectDetector, VisionError, decode_keyframes_with, verdict};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Whether a new event goes through the AI tier before it notifies; events that do not have
/// their `doorbell.classified` written with them.
pub fn needs_classification(state: &AppState, event: &DoorbellEvent) -> bool {
    state.config.ai.enabled && event.media_id.is_some()
}

/// The detector, loaded once; `None` when there is none (and the reason was logged).
#[derive(Default)]
pub struct DetectorSlot(OnceCell<Option<ObjectDetector>>);

impl DetectorSlot {
    async fn get(&self, state: &AppState) -> Option<ObjectDetector> {
        self.0
            .get_or_init(|| async {
                let ai = state.config.ai.clone();
                if !ai.enabled {
                    tracing::info!("AI tier off (ai.enabled = false): events keep the device's type");
                    return None;
                }
                let loaded = tokio::task::spawn_blocking(move || {
                    if ai.yolo_model.is_empty() {
                        ObjectDetector::load_default()
                    } else {
                        ObjectDetector::load_yolo(&PathBuf::from(&ai.yolo_model), ai.yolo_labels)
                    }
                })
                .await;
                match loaded {
                    Ok(Ok(detector)) => Some(detector),
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "no object detector: doorbell events are not classified");
                        None
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "loading the object detector panicked");
                        None
                    }
                }
            })
            .await
            .clone()
    }
}

/// The event as it is now; `None` when it was deleted meanwhile.
async fn current(
    state: &AppState,
    notice: &DoorbellEventNotice,
) -> Result<Option<DoorbellEvent>, JobError> {
    state
        .backends
        .doorbell_events
        .event(notice.user_id, notice.event_id)
        .await
        .map_err(JobError::transient)
}

/// The device's enabled detection zones, where packages are watched (none: the whole frame).
async fn package_zones(state: &AppState, event: &DoorbellEvent) -> Result<Vec<Polygon>, JobError> {
    let device = state
        .backends
        .metadata
        .device(event.user_id, event.device_id)
        .await
        .map_err(JobError::transient)?;
    let motion = device.and_then(|d| d.settings.motion);
    // Settings were checked when the owner saved them; a zone that no longer parses counts
    // as no zone rather than failing the event.
    Ok(motion
        .and_then(|m| m.detector_config().ok())
        .map(|config| config.zones)
        .unwrap_or_default())
}

/// How thoroughly a clip is looked at.
#[derive(Clone, Copy)]
struct Sampling {
    every_secs: f32,
    max_frames: usize,
}

/// Looks at `event`'s clip; `None` when there is no clip or no detector.
async fn look(
    state: &AppState,
    event: &DoorbellEvent,
    sampling: Sampling,
) -> Result<Option<Classification>, JobError> {
    let Some(media_id) = event.media_id else {
        return Ok(None);
    };
    let Some(detector) = state.detector.get(state).await else {
        return Ok(None);
    };
    let Some(media) = state
        .backends
        .metadata
        .media(event.user_id, media_id)
        .await
        .map_err(JobError::transient)?
    else {
        return Ok(None);
    };
    let started = Instant::now();
    let blobs = &state.backends.blobs;
    let scratch = state.config.data_dir.join("work").join("classify");
    let (clip, temporary) = match blobs.local_path(&media.raw_key) {
        Some(path) => (path, false),
        None => {
            tokio::fs::create_dir_all(&scratch)
                .await
                .map_err(JobError::transient)?;
            let path = scratch.join(format!("{}.clip", event.id));
            blobs
                .download_to(&media.raw_key, &path)
                .await
                .map_err(JobError::transient)?;
            (path, true)
        }
    };
    let frames = decode_keyframes_with(
        &state.tools.ffmpeg,
        &clip,
        sampling.every_secs,
        sampling.max_frames,
        Duration::from_secs(60),
    )
    .await;
    if temporary {
        let _ = tokio::fs::remove_file(&clip).await;
    }
    let frames = match frames {
        Ok(frames) => frames,
        // A clip ffmpeg cannot read will not read next time either.
        Err(err @ (VisionError::FrameStream(_) | VisionError::InvalidArgument(_))) => {
            return Err(JobError::Permanent(format!("clip unreadable: {err}")));
        }
        Err(err) => return Err(JobError::transient(err)),
    };
    let count = frames.len();
    let seen = tokio::task::spawn_blocking(move || {
        frames
            .iter()
            .map(|(_, image)| detector.detect_image(image))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(JobError::transient)?
    .map_err(JobError::transient)?;
    let found = verdict(event.event_type, &seen, &package_zones(state, event).await?);
    tracing::info!(
        event = %event.id,
        frames = count,
        kind = %found.event_type,
        objects = found.detections.len(),
        ms = started.elapsed().as_millis() as u64,
        "doorbell clip classified"
    );
    Ok(Some(Classification {
        event_type: found.event_type,
        detections: found.detections,
        confidence: found.confidence,
    }))
}

/// New events: classified, then announced as `doorbell.classified` (also when there was
/// nothing to classify).
pub struct ClassifyEventJob;

#[async_trait]
impl Job for ClassifyEventJob {
    const CONSUMER: &'static str = "classify";
    const TOPICS: &'static [Topic] = &[Topic::DoorbellEvent];
    type Event = DoorbellEventNotice;

    async fn handle(&self, state: &AppState, notice: &DoorbellEventNotice) -> Result<(), JobError> {
        let Some(event) = current(state, notice).await? else {
            return Ok(());
        };
        if !needs_classification(state, &event) {
            return Ok(()); // announced with the event
        }
        let ai = &state.config.ai;
        let sampling = Sampling {
            every_secs: ai.every_secs,
            max_frames: ai.max_frames,
        };
        let verdict = look(state, &event, sampling)
            .await?
            .unwrap_or(Classification {
                event_type: event.event_type,
                detections: event.detections.clone(),
                confidence: event.confidence,
            });
        announce(state, notice, &verdict).await
    }

    /// The clip could not be looked at: the owner is told of the event as the device saw it.
    async fn give_up(
        &self,
        state: &AppState,
        notice: &DoorbellEventNotice,
        reason: &str,
    ) -> Result<(), JobError> {
        tracing::warn!(event = %notice.event_id, %reason, "event not classified; notifying as reported");
        let event = NewEvent::new(Topic::DoorbellClassified, notice);
        state
            .backends
            .bus
            .publish(&[event])
            .await
            .map_err(JobError::transient)?;
        state.wake.notify_waiters();
        Ok(())
    }
}

async fn announce(
    state: &AppState,
    notice: &DoorbellEventNotice,
    verdict: &Classification,
) -> Result<(), JobError> {
    let Some(current) = current(state, notice).await? else {
        return Ok(());
    };
    let classified = NewEvent::new(
        Topic::DoorbellClassified,
        &DoorbellEventNotice::of(&verdict.apply(&current), notice.correlation_id.clone()),
    );
    state
        .backends
        .doorbell_events
        .classify(notice.user_id, notice.event_id, verdict, &[classified])
        .await
        .map_err(JobError::transient)?;
    state.wake.notify_waiters();
    Ok(())
}

/// A full clip attached after the alert: looked at over its whole length; the verdict is kept
/// with the event, nobody is notified again.
pub struct ClassifyClipJob;

#[async_trait]
impl Job for ClassifyClipJob {
    const CONSUMER: &'static str = "classify-clip";
    const TOPICS: &'static [Topic] = &[Topic::DoorbellClipUpdated];
    type Event = DoorbellEventNotice;

    async fn handle(&self, state: &AppState, notice: &DoorbellEventNotice) -> Result<(), JobError> {
        let Some(event) = current(state, notice).await? else {
            return Ok(());
        };
        let ai = &state.config.ai;
        let sampling = Sampling {
            every_secs: ai.every_secs * 2.0,
            max_frames: ai.max_frames * 2,
        };
        if let Some(verdict) = look(state, &event, sampling).await? {
            // Once classified as something, a longer look does not make it "motion" again.
            let verdict = if verdict.detections.is_empty() {
                Classification {
                    event_type: event.event_type,
                    ..verdict
                }
            } else {
                verdict
            };
            state
                .backends
                .doorbell_events
                .classify(notice.user_id, notice.event_id, &verdict, &[])
                .await
                .map_err(JobError::transient)?;
        }
        Ok(())
    }

    async fn give_up(
        &self,
        _: &AppState,
        _: &DoorbellEventNotice,
        _: &str,
    ) -> Result<(), JobError> {
        Ok(())
    }
}
