//! The durable upload queue. Its state is the local store, so a kill -9 loses nothing: on
//! restart every `pending` capture is sent again, resuming at the server's offset (the upload
//! URL is saved as soon as the server gives it), and the media id minted at capture makes a
//! repeated upload land on the same media item instead of a second one.

use crate::capture::Captures;
use crate::store::{AgentStore, Capture, Priority, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_client::{ClientError, Source, TusClient, UploadMeta};
use sightline_core::backoff::RetryPolicy;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The queue's own retry schedule: a device may stay offline for days, so waits grow to
/// minutes but never stop.
pub const UPLOAD_RETRY: RetryPolicy = RetryPolicy {
    base: Duration::from_secs(1),
    max: Duration::from_secs(300),
    max_attempts: u32::MAX,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connectivity {
    Unknown,
    Online,
    Offline {
        since: DateTime<Utc>,
        reason: String,
    },
}

/// When background uploads wait to go out together, so the radio wakes once for many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Background captures wait until this many are queued…
    pub min_batch: u64,
    /// …or the oldest has waited this long. User-requested captures never wait.
    pub max_wait: Duration,
}

impl Batching {
    pub const IMMEDIATE: Self = Self {
        min_batch: 1,
        max_wait: Duration::ZERO,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct UploadQueue {
    inner: Arc<Inner>,
}

struct Inner {
    store: AgentStore,
    captures: Captures,
    client: TusClient,
    device_id: Option<String>,
    wake: Arc<Notify>,
    connectivity: watch::Sender<Connectivity>,
    batching: watch::Sender<Batching>,
    /// Low battery: background captures wait until it recovers or the device charges.
    defer_background: std::sync::atomic::AtomicBool,
    /// Announcements for the wearer (offline, back online, corrupt file).
    announce: tokio::sync::broadcast::Sender<String>,
    /// Each capture the server has taken, as it happens.
    uploaded: tokio::sync::broadcast::Sender<sightline_core::MediaId>,
    health_url: String,
}

enum Outcome {
    Uploaded,
    Failed { offline: bool },
    Corrupt,
}

impl UploadQueue {
    pub fn new(
        store: AgentStore,
        captures: Captures,
        client: TusClient,
        device_id: Option<String>,
        wake: Arc<Notify>,
        announce: tokio::sync::broadcast::Sender<String>,
    ) -> Self {
        let health_url = format!("{}healthz", client.base());
        Self {
            inner: Arc::new(Inner {
                store,
                captures,
                client,
                device_id,
                wake,
                connectivity: watch::channel(Connectivity::Unknown).0,
                batching: watch::channel(Batching::IMMEDIATE).0,
                defer_background: Default::default(),
                announce,
                uploaded: tokio::sync::broadcast::channel(64).0,
                health_url,
            }),
        }
    }

    /// Media ids as their uploads complete (doorbell events wait for their clips).
    pub fn uploads(&self) -> tokio::sync::broadcast::Receiver<sightline_core::MediaId> {
        self.inner.uploaded.subscribe()
    }

    pub fn connectivity(&self) -> Connectivity {
        self.inner.connectivity.borrow().clone()
    }

    /// Follows the connectivity as it changes.
    pub fn connectivity_changes(&self) -> watch::Receiver<Connectivity> {
        self.inner.connectivity.subscribe()
    }

    pub fn set_batching(&self, batching: Batching) {
        self.inner.batching.send_replace(batching);
        self.inner.wake.notify_one();
    }

    pub fn set_defer_background(&self, defer: bool) {
        let was = self
            .inner
            .defer_background
            .swap(defer, std::sync::atomic::Ordering::Relaxed);
        if was && !defer {
            self.inner.wake.notify_one();
        }
    }

    /// Try everything now (the app asked for a sync, or the network came back).
    pub async fn trigger(&self) -> Result<(), QueueError> {
        self.inner.store.retry_all_now().await?;
        self.inner.batching.send_modify(|_| {});
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Runs the queue for as long as the agent runs.
    pub async fn run(self) {
        let prober = self.clone();
        tokio::spawn(async move { prober.probe_while_offline().await });
        let mut batch_started: Option<tokio::time::Instant> = None;
        loop {
            let next = match self.inner.store.next_due(Utc::now()).await {
                Ok(next) => next,
                Err(err) => {
                    tracing::error!(error = %err, "upload queue cannot read the local store");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let Some(capture) = next else {
                batch_started = None;
                self.idle().await;
                continue;
            };
            // Due items come in priority order: a deferred background capture at the head
            // means nothing more urgent is waiting.
            if capture.priority == Priority::Background
                && self
                    .inner
                    .defer_background
                    .load(std::sync::atomic::Ordering::Relaxed)
            {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                    _ = self.inner.wake.notified() => {}
                }
                continue;
            }
            if capture.priority != Priority::UserRequested
                && let Some(wait) = self.batch_wait(&mut batch_started).await
            {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.inner.wake.notified() => {}
                }
                continue;
            }
            match self.upload(&capture).await {
                Outcome::Uploaded => self.set_online().await,
                Outcome::Corrupt => {}
                Outcome::Failed { offline } => {
                    if offline {
                        self.set_offline(&capture).await;
                    }
                }
            }
        }
    }

    /// `Some(wait)` while background captures should keep waiting for more to batch.
    async fn batch_wait(&self, started: &mut Option<tokio::time::Instant>) -> Option<Duration> {
        let batching = *self.inner.batching.borrow();
        let (_, background) = self.inner.store.pending_counts().await.ok()?;
        let started = *started.get_or_insert_with(tokio::time::Instant::now);
        let waited = started.elapsed();
        if background >= batching.min_batch || waited >= batching.max_wait {
            return None;
        }
        Some(batching.max_wait - waited)
    }

    /// Sleeps until a capture is queued or the earliest backoff ends.
    async fn idle(&self) {
        let until_retry = match self.inner.store.next_retry_at().await {
            Ok(Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(50)),
            _ => Duration::from_secs(60),
        };
        tokio::select! {
            _ = self.inner.wake.notified() => {}
            _ = tokio::time::sleep(until_retry) => {}
        }
    }

    /// Checks the file against its capture checksum; a damaged one is set aside and announced.
    async fn verified(&self, capture: &Capture) -> bool {
        let inner = &self.inner;
        let Err(reason) = inner
            .captures
            .verify(&capture.file_name, capture.sha256.as_deref())
            .await
        else {
            return true;
        };
        tracing::error!(media_id = %capture.media_id, %reason, "corrupt capture not uploaded");
        let _ = inner.announce.send(format!(
            "a capture is damaged and was not uploaded: {reason}"
        ));
        if let Err(err) = inner.store.mark_corrupt(capture.media_id, &reason).await {
            tracing::error!(error = %err, "could not mark a capture corrupt");
        }
        false
    }

    async fn upload(&self, capture: &Capture) -> Outcome {
        let inner = &self.inner;
        if !self.verified(capture).await {
            return Outcome::Corrupt;
        }
        let sent = self.send(capture).await;
        // The server refuses bytes that differ from the capture checksum: the file may have
        // changed while it was being sent, so look at it again before trying once more.
        if sent
            .as_ref()
            .is_err_and(|e| e.status().is_some_and(|s| s.as_u16() == 460))
            && !self.verified(capture).await
        {
            return Outcome::Corrupt;
        }
        match sent {
            Ok(()) => match inner
                .store
                .mark_uploaded(capture.media_id, Utc::now())
                .await
            {
                Ok(()) => {
                    let _ = inner.uploaded.send(capture.media_id);
                    Outcome::Uploaded
                }
                Err(err) => {
                    tracing::error!(error = %err, "uploaded, but the local store did not record it");
                    Outcome::Failed { offline: false }
                }
            },
            Err(err) => {
                let offline = matches!(&err, ClientError::Transport(_));
                let attempts = capture.attempts.saturating_add(1);
                let seed = capture.media_id.0.as_u64_pair().0;
                let delay = UPLOAD_RETRY.delay_after(attempts, seed);
                let retry_at = Utc::now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(300));
                let reason = err.describe();
                tracing::info!(media_id = %capture.media_id, attempts, ?delay, %reason, "upload failed; will retry");
                if let Err(err) = inner
                    .store
                    .mark_failed(capture.media_id, attempts, retry_at, &reason)
                    .await
                {
                    tracing::error!(error = %err, "could not record an upload failure");
                }
                Outcome::Failed { offline }
            }
        }
    }

    async fn send(&self, capture: &Capture) -> Result<(), ClientError> {
        let inner = &self.inner;
        let path = inner.captures.media_dir().join(&capture.file_name);
        let source = Source::file(&path).await?;
        let meta = UploadMeta {
            kind: Some(capture.kind),
            captured_at: Some(capture.captured_at),
            lat: capture.location.map(|l| l.0),
            lon: capture.location.map(|l| l.1),
            device_id: inner.device_id.clone(),
            filename: Some(capture.file_name.clone()),
            sha256: capture.sha256.clone(),
            ..UploadMeta::new(capture.media_id)
        };
        let started = inner
            .client
            .start(&source, &meta, capture.upload_url.as_deref())
            .await?;
        // Saved before the rest is sent: a restart resumes here instead of from zero. A small
        // file the creation request carried whole has no rest, and skips that local commit.
        if !started.is_complete()
            && capture.upload_url.as_deref() != Some(started.url.as_str())
            && let Err(err) = inner
                .store
                .set_upload_url(capture.media_id, &started.url)
                .await
        {
            tracing::warn!(error = %err, "could not save the upload url");
        }
        inner.client.finish(started, &source, &|_, _| {}).await?;
        Ok(())
    }

    async fn set_online(&self) {
        let was = self.inner.connectivity.send_replace(Connectivity::Online);
        if matches!(was, Connectivity::Offline { .. }) {
            let waiting = self.waiting().await;
            let _ = self
                .inner
                .announce
                .send(format!("back online: uploading {waiting} waiting captures"));
            if let Err(err) = self.trigger().await {
                tracing::warn!(error = %err, "could not wake the queue");
            }
        }
    }

    async fn set_offline(&self, capture: &Capture) {
        let already = matches!(
            *self.inner.connectivity.borrow(),
            Connectivity::Offline { .. }
        );
        if already {
            return;
        }
        let reason = capture
            .last_error
            .clone()
            .unwrap_or_else(|| "the server cannot be reached".into());
        self.inner.connectivity.send_replace(Connectivity::Offline {
            since: Utc::now(),
            reason,
        });
        let waiting = self.waiting().await;
        let _ = self.inner.announce.send(format!(
            "offline: {waiting} captures are kept on the device and will upload when the network is back"
        ));
    }

    async fn waiting(&self) -> u64 {
        self.inner
            .store
            .pending_counts()
            .await
            .map(|(a, b)| a + b)
            .unwrap_or(0)
    }

    /// While offline, asks the server's health endpoint every two seconds, so uploads resume
    /// as soon as the network is back rather than when the longest backoff ends.
    async fn probe_while_offline(&self) {
        let mut changes = self.inner.connectivity.subscribe();
        loop {
            let offline = matches!(*changes.borrow_and_update(), Connectivity::Offline { .. });
            if !offline {
                if changes.changed().await.is_err() {
                    return;
                }
                continue;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            let reachable = reqwest::Client::new()
                .get(&self.inner.health_url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if reachable {
                self.set_online().await;
            }
        }
    }
}
