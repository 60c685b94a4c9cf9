//! The consumer loop: claim with a lease, heartbeat while working, ack, or retry with backoff,
//! and dead-letter when attempts run out.

use crate::state::AppState;
use async_trait::async_trait;
use chrono::Utc;
use sightline_core::backoff::RetryPolicy;
use sightline_core::event::{EventPayload, MediaEvent, Topic};
use sightline_store::bus::Delivery;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The input is bad: the media item fails with this reason; retrying cannot help.
    #[error("{0}")]
    Permanent(String),
    /// Something around the job failed (disk, database, a killed tool): retry later.
    #[error("{0:#}")]
    Transient(anyhow::Error),
}

impl JobError {
    pub fn transient(e: impl Into<anyhow::Error>) -> Self {
        Self::Transient(e.into())
    }
}

/// Bad input fails the item; a tool that timed out or a full disk is retried.
impl From<sightline_media::MediaError> for JobError {
    fn from(e: sightline_media::MediaError) -> Self {
        if e.is_permanent() {
            Self::Permanent(e.to_string())
        } else {
            Self::transient(e)
        }
    }
}

/// The item an event is about; `None` when it was deleted meanwhile (nothing left to do).
pub async fn load_media(
    state: &AppState,
    event: &MediaEvent,
) -> Result<Option<sightline_store::model::Media>, JobError> {
    state
        .backends
        .metadata
        .media(event.user_id, event.media_id)
        .await
        .map_err(JobError::transient)
}

#[async_trait]
pub trait Job: Send + Sync + 'static {
    const CONSUMER: &'static str;
    const TOPICS: &'static [Topic];
    type Event: EventPayload;
    /// Jobs that mostly wait on the network (webhooks, push services) run this many at once
    /// whatever `workers.concurrency` says: that setting sizes CPU-heavy work (ffmpeg, the
    /// detector), and one slow receiver must not hold up everyone else's notifications.
    const WAITS_ON_NETWORK: bool = false;
    async fn handle(&self, state: &AppState, event: &Self::Event) -> Result<(), JobError>;
    /// Called when the job fails for good (permanently or after its last attempt): record the
    /// failure where the user sees it.
    async fn give_up(
        &self,
        state: &AppState,
        event: &Self::Event,
        reason: &str,
    ) -> Result<(), JobError>;
}

/// `give_up` of the media pipeline's jobs: the item fails with the reason.
pub async fn fail_media(
    state: &AppState,
    event: &MediaEvent,
    reason: &str,
) -> Result<(), JobError> {
    let failed = sightline_store::model::ProcessingUpdate::failed(reason);
    state
        .backends
        .metadata
        .update_media(event.user_id, event.media_id, &failed, &[])
        .await
        .map_err(JobError::transient)?;
    Ok(())
}

pub async fn start<J: Job>(state: AppState, job: J) -> anyhow::Result<JoinHandle<()>> {
    state.backends.bus.subscribe(J::CONSUMER, J::TOPICS).await?;
    Ok(tokio::spawn(run(state, Arc::new(job))))
}

/// In-flight deliveries of a [`Job::WAITS_ON_NETWORK`] job.
const NETWORK_SLOTS: usize = 32;

/// Keeps up to `slots` deliveries in flight. It claims when all are done (as one batch did), when
/// new events are announced, and every poll interval; so a slow delivery holds up only its own
/// slot, and claims (each a write) come no more often than with whole batches.
async fn run<J: Job>(state: AppState, job: Arc<J>) {
    let config = &state.config.workers;
    let lease = Duration::from_secs(config.lease_secs);
    let poll = Duration::from_millis(config.poll_interval_ms.max(10));
    let slots = if J::WAITS_ON_NETWORK {
        config.concurrency.max(NETWORK_SLOTS)
    } else {
        config.concurrency.max(1)
    };
    // Spawned tasks, not futures polled here: a delivery keeps running (and lets go of its
    // database connection) while this loop awaits a claim.
    let mut in_flight = tokio::task::JoinSet::new();
    // Created before each claim, kept until it fires: an announcement is never missed.
    let mut wake = Box::pin(state.wake.notified());
    let mut may_claim = true;
    loop {
        if may_claim && in_flight.len() < slots {
            let free = (slots - in_flight.len()) as u32;
            match state.backends.bus.claim(J::CONSUMER, free, lease).await {
                Ok(claimed) => {
                    for delivery in claimed {
                        let (state, job) = (state.clone(), Arc::clone(&job));
                        in_flight.spawn(async move {
                            process(&state, job.as_ref(), delivery, lease).await
                        });
                    }
                }
                Err(e) => tracing::warn!(consumer = J::CONSUMER, error = %e, "claim failed"),
            }
        }
        let room = in_flight.len() < slots;
        tokio::select! {
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(consumer = J::CONSUMER, error = %e, "a job panicked; its delivery is retried when its lease ends");
                }
                may_claim = in_flight.is_empty();
            }
            _ = &mut wake, if room => {
                wake = Box::pin(state.wake.notified());
                may_claim = true;
            }
            _ = tokio::time::sleep(poll), if room => may_claim = true,
        }
    }
}

async fn process<J: Job>(state: &AppState, job: &J, delivery: Delivery, lease: Duration) {
    let bus = &state.backends.bus;
    let event: J::Event = match serde_json::from_value(delivery.payload.clone()) {
        Ok(event) => event,
        Err(e) => {
            let reason = format!("unreadable event payload: {e}");
            if let Err(e) = bus.dead_letter(&delivery, &reason).await {
                tracing::error!(error = %e, "could not dead-letter");
            }
            return;
        }
    };
    let span = tracing::info_span!("job", consumer = J::CONSUMER, subject = %event.subject(),
        correlation_id = %event.correlation_id(), attempt = delivery.attempts);
    // Instrumented, not entered: a guard held across awaits leaves the span on whichever
    // thread the task was on, and the subscriber's span stacks fall out of step (it panicked).
    handle_delivery(state, job, &event, &delivery, lease)
        .instrument(span)
        .await;
}

async fn handle_delivery<J: Job>(
    state: &AppState,
    job: &J,
    event: &J::Event,
    delivery: &Delivery,
    lease: Duration,
) {
    let bus = &state.backends.bus;
    let started = std::time::Instant::now();

    // Heartbeat: keep the lease while the job runs, so a long transcode is not handed out twice,
    // while a killed worker's lease still runs out quickly.
    let heartbeat = async {
        loop {
            tokio::time::sleep(lease / 3).await;
            if let Err(e) = bus.extend_lease(delivery, lease).await {
                tracing::warn!(error = %e, "lease extension failed");
            }
        }
    };
    let outcome = tokio::select! {
        outcome = job.handle(state, event) => outcome,
        _ = heartbeat => unreachable!("heartbeat never ends"),
    };
    let policy = RetryPolicy {
        base: Duration::from_secs(state.config.workers.retry_base_secs),
        max: Duration::from_secs(600),
        max_attempts: state.config.workers.max_attempts,
    };
    let result = match outcome {
        Ok(()) => {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "job done"
            );
            bus.ack(delivery).await
        }
        Err(JobError::Permanent(reason)) => {
            tracing::info!(%reason, "job failed permanently");
            match job.give_up(state, event, &reason).await {
                Ok(()) => bus.ack(delivery).await,
                Err(e) => retry(state, delivery, &policy, &e.to_string()).await,
            }
        }
        Err(JobError::Transient(e)) => {
            let error = format!("{e:#}");
            if policy.exhausted(delivery.attempts) {
                tracing::error!(%error, "job gave up");
                let reason = format!(
                    "processing gave up after {} attempts: {error}",
                    delivery.attempts
                );
                if let Err(e) = job.give_up(state, event, &reason).await {
                    tracing::error!(error = %e, "could not record the failure");
                }
                bus.dead_letter(delivery, &error).await
            } else {
                tracing::warn!(%error, "job failed; will retry");
                retry(state, delivery, &policy, &error).await
            }
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "could not record the job outcome; the lease will expire and it reruns");
    }
}

async fn retry(
    state: &AppState,
    delivery: &Delivery,
    policy: &RetryPolicy,
    error: &str,
) -> Result<(), sightline_store::StoreError> {
    let delay = policy.delay_after(delivery.attempts, delivery.event_id as u64);
    let at =
        Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
    state.backends.bus.retry(delivery, error, at).await
}
