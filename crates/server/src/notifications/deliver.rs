//! `doorbell.classified` → the owner's webhooks and Web Push subscriptions, when the event
//! notifies. All targets are tried at once; if any fails, those that succeeded are recorded and
//! the bus retries the event with backoff, sending only to the rest.

use super::latency::Channel;
use super::policy::{self, Rule};
use super::{webhook, webpush};
use crate::state::AppState;
use crate::workers::{Job, JobError};
use async_trait::async_trait;
use sightline_core::doorbell_event::DoorbellEventNotice;
use sightline_core::event::Topic;
use sightline_store::notifications::{
    CooldownClaim, Decision, PushSubscription, SuppressReason, Webhook,
};
use std::collections::HashSet;

pub struct DeliverJob;

enum Target<'a> {
    Webhook(&'a Webhook),
    Push(&'a PushSubscription),
}

impl Target<'_> {
    fn key(&self) -> String {
        match self {
            Self::Webhook(h) => format!("webhook:{}", h.id),
            Self::Push(s) => format!("push:{}", s.id),
        }
    }

    fn channel(&self) -> Channel {
        match self {
            Self::Webhook(_) => Channel::Webhook,
            Self::Push(_) => Channel::WebPush,
        }
    }
}

/// Who the push services may contact about this server's pushes (RFC 8292 `sub`).
fn vapid_subject(state: &AppState) -> String {
    let public = state.config.public_url();
    if public.starts_with("https://") {
        public
    } else {
        "mailto:admin@sightline.invalid".into()
    }
}

/// `Ok(false)`: done with this target without delivering (the subscription is gone).
async fn send(
    state: &AppState,
    target: &Target<'_>,
    delivery: &str,
    body: &bytes::Bytes,
) -> Result<bool, String> {
    let notifier = &state.notifications;
    match target {
        Target::Webhook(hook) => webhook::deliver(&notifier.http, hook, delivery, body.clone())
            .await
            .map(|()| true),
        Target::Push(sub) => {
            let subject = vapid_subject(state);
            let outcome =
                webpush::send(&notifier.http, &notifier.vapid, &subject, sub, body).await?;
            if outcome == webpush::PushOutcome::Gone {
                tracing::info!(subscription = %sub.id, "push subscription gone; removed");
                state
                    .backends
                    .notifications
                    .delete_push_subscription(sub.user_id, sub.id)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(false);
            }
            Ok(true)
        }
    }
}

#[async_trait]
impl Job for DeliverJob {
    const CONSUMER: &'static str = "notify-push";
    const WAITS_ON_NETWORK: bool = true;
    const TOPICS: &'static [Topic] = &[Topic::DoorbellClassified];
    type Event = DoorbellEventNotice;

    async fn handle(&self, state: &AppState, notice: &DoorbellEventNotice) -> Result<(), JobError> {
        let store = &state.backends.notifications;
        let user = notice.user_id;
        let (hooks, subs) =
            futures::try_join!(store.webhooks(user), store.push_subscriptions(user))
                .map_err(JobError::transient)?;
        if hooks.is_empty() && subs.is_empty() {
            return Ok(()); // nowhere to push: the feed has it
        }
        let Some(subject) = super::load(state, notice).await? else {
            return Ok(());
        };
        let event = &subject.event;
        let prefs = store.preferences(user).await.map_err(JobError::transient)?;
        let motion = subject.device.settings.motion.as_ref();
        let stale = policy::is_stale(event.occurred_at, event.created_at, chrono::Utc::now());
        let decision = match policy::rule(event.event_type, &prefs, motion, event.created_at) {
            _ if stale => Decision::Suppressed(SuppressReason::Stale),
            Rule::Suppress(reason) => Decision::Suppressed(reason),
            Rule::Notify => Decision::Notify,
            Rule::Cooldown(cooldown) => store
                .claim_cooldown(&CooldownClaim {
                    user,
                    event: event.id,
                    device: event.device_id,
                    at: event.created_at,
                    cooldown,
                })
                .await
                .map_err(JobError::transient)?,
        };
        if let Decision::Suppressed(reason) = decision {
            tracing::debug!(event = %event.id, reason = reason.as_str(), "notification suppressed");
            return Ok(());
        }

        let done: HashSet<String> = store
            .delivered(user, event.id)
            .await
            .map_err(JobError::transient)?
            .into_iter()
            .collect();
        let payload = super::payload(state, &subject).await?;
        let body = bytes::Bytes::from(payload.to_string());
        let delivery = event.id.to_string();
        let targets: Vec<Target> = hooks
            .iter()
            .map(Target::Webhook)
            .chain(subs.iter().map(Target::Push))
            .filter(|t| !done.contains(&t.key()))
            .collect();
        let outcomes =
            futures::future::join_all(targets.iter().map(|t| send(state, t, &delivery, &body)))
                .await;

        let mut sent = Vec::new();
        let mut failed = Vec::new();
        for (target, outcome) in targets.iter().zip(outcomes) {
            match outcome {
                Ok(false) => sent.push(target.key()),
                Ok(true) => {
                    let ms = state.notifications.latency.record(
                        user,
                        target.channel(),
                        event.created_at,
                    );
                    tracing::info!(event = %event.id, target = %target.key(), latency_ms = ms, "notification delivered");
                    sent.push(target.key());
                }
                Err(error) => failed.push(error),
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        // Only now is the partial progress worth a write: the retry skips these.
        store
            .record_delivered(user, event.id, &sent)
            .await
            .map_err(JobError::transient)?;
        Err(JobError::transient(anyhow::anyhow!(
            "{} of {} notification targets failed: {}",
            failed.len(),
            targets.len(),
            failed.join("; ")
        )))
    }

    async fn give_up(
        &self,
        _: &AppState,
        notice: &DoorbellEventNotice,
        reason: &str,
    ) -> Result<(), JobError> {
        tracing::warn!(event = %notice.event_id, %reason, "notification not delivered to every target");
        Ok(())
    }
}
