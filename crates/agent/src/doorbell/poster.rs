//! Tells the server about events: `POST /devices/{id}/events` once the alert clip is uploaded,
//! `PATCH /devices/{id}/events/{event_id}` once the full clip is. Both are idempotent on the
//! server (the event id is minted on the device), so a retry after a lost answer is harmless.
//! Failures back off like uploads; the journal is the queue, so nothing is lost on a restart.

use super::journal::{EventRow, EventState, Journal};
use crate::queue::{UPLOAD_RETRY, UploadQueue};
use crate::store::{AgentStore, CaptureState};
use chrono::Utc;
use serde_json::json;
use sightline_core::MediaId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Poster {
    inner: Arc<Inner>,
}

struct Inner {
    journal: Journal,
    store: AgentStore,
    queue: UploadQueue,
    http: reqwest::Client,
    events_url: String,
    token: String,
    wake: Notify,
}

/// What to do about a clip that is not on the server yet.
enum ClipState {
    OnServer,
    Waiting,
    /// Lost or damaged: the event goes without it.
    Gone,
}

enum Posted {
    Alert,
    Clip,
}

enum Failure {
    /// Worth trying again later.
    Retry(String),
    /// The server will never take this: kept locally with the reason.
    Refused(String),
}

impl Poster {
    pub fn new(
        journal: Journal,
        store: AgentStore,
        queue: UploadQueue,
        server: &str,
        device_id: &str,
        token: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                journal,
                store,
                queue,
                http: reqwest::Client::new(),
                events_url: format!(
                    "{}/api/v1/devices/{device_id}/events",
                    server.trim_end_matches('/')
                ),
                token,
                wake: Notify::new(),
            }),
        }
    }

    /// A clip was cut: look again now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub async fn run(self) {
        let mut uploads = self.inner.queue.uploads();
        loop {
            if let Err(err) = self.post_due().await {
                tracing::error!(error = %err, "doorbell events cannot be read from the journal");
            }
            let wait = match self.inner.journal.next_retry_at().await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                _ => Duration::from_secs(30),
            }
            .max(Duration::from_millis(20));
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = uploads.recv() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn post_due(&self) -> crate::store::Result<()> {
        let journal = &self.inner.journal;
        for row in journal.unposted(Utc::now()).await? {
            let outcome = if !row.alert_posted {
                match self.clip_state(row.alert_media_id).await? {
                    ClipState::Waiting => continue,
                    ClipState::OnServer => self.post(&row, Some(row.alert_media_id)).await,
                    ClipState::Gone => self.post(&row, None).await,
                }
                .map(|()| Posted::Alert)
            } else if let (EventState::ClipCut, Some(clip)) = (row.state, row.clip_media_id) {
                match self.clip_state(clip).await? {
                    ClipState::Waiting => continue,
                    ClipState::OnServer => self.attach(&row, clip).await,
                    // Nothing better to attach: the alert clip stays the event's clip.
                    ClipState::Gone => Ok(()),
                }
                .map(|()| Posted::Clip)
            } else {
                continue;
            };
            match outcome {
                Ok(Posted::Alert) => journal.mark_alert_posted(row.event_id).await?,
                Ok(Posted::Clip) => journal.mark_clip_posted(row.event_id).await?,
                Err(Failure::Retry(reason)) => {
                    let attempts = row.attempts.saturating_add(1);
                    let delay = UPLOAD_RETRY.delay_after(attempts, row.event_id.0.as_u64_pair().0);
                    let retry_at = Utc::now()
                        + chrono::Duration::from_std(delay)
                            .unwrap_or(chrono::Duration::seconds(300));
                    tracing::info!(event = %row.event_id, attempts, ?delay, %reason, "event not posted; will retry");
                    journal
                        .mark_post_failed(row.event_id, attempts, retry_at, &reason)
                        .await?;
                }
                Err(Failure::Refused(reason)) => {
                    tracing::error!(event = %row.event_id, %reason, "the server refused the event");
                    journal.abandon(row.event_id, &reason).await?;
                }
            }
        }
        Ok(())
    }

    async fn clip_state(&self, media: MediaId) -> crate::store::Result<ClipState> {
        Ok(match self.inner.store.get(media).await?.map(|c| c.state) {
            Some(CaptureState::Uploaded | CaptureState::Evicted) => ClipState::OnServer,
            Some(CaptureState::Writing | CaptureState::Pending) => ClipState::Waiting,
            Some(CaptureState::Corrupt) | None => ClipState::Gone,
        })
    }

    async fn post(&self, row: &EventRow, clip: Option<MediaId>) -> Result<(), Failure> {
        let body = json!({
            "event_id": row.event_id,
            "event_type": row.event_type,
            "timestamp": row.occurred_at,
            "duration_seconds": row.alert_duration_ms as f64 / 1000.0,
            "pre_roll_seconds": row.pre_roll_ms as f64 / 1000.0,
            "media_id": clip,
            "confidence": row.confidence,
            "detections": row.detections,
            "battery_level": row.battery_level,
        });
        let request = self.inner.http.post(&self.inner.events_url).json(&body);
        self.send(request).await
    }

    async fn attach(&self, row: &EventRow, clip: MediaId) -> Result<(), Failure> {
        let body = json!({
            "media_id": clip,
            "duration_seconds": row.clip_duration_ms as f64 / 1000.0,
            "confidence": row.confidence,
            "detections": row.detections,
        });
        let url = format!("{}/{}", self.inner.events_url, row.event_id);
        self.send(self.inner.http.patch(url).json(&body)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(), Failure> {
        let response = request
            .bearer_auth(&self.inner.token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| Failure::Retry(format!("server unreachable: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let reason = format!("{status}: {}", text.chars().take(300).collect::<String>());
        // Busy, rate limited or broken for now: later. Anything else is about the event itself.
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(Failure::Retry(reason))
        } else {
            Err(Failure::Refused(reason))
        }
    }
}
