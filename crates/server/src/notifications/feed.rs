//! `doorbell.classified` (an event as the AI tier left it) → a note on the owner's
//! `/events/stream`, for every event.

use super::latency::Channel;
use crate::state::{AppState, Notification};
use crate::workers::{Job, JobError};
use async_trait::async_trait;
use sightline_core::doorbell_event::DoorbellEventNotice;
use sightline_core::event::Topic;

pub struct FeedJob;

#[async_trait]
impl Job for FeedJob {
    const CONSUMER: &'static str = "notify-feed";
    const TOPICS: &'static [Topic] = &[Topic::DoorbellClassified];
    type Event = DoorbellEventNotice;

    async fn handle(&self, state: &AppState, notice: &DoorbellEventNotice) -> Result<(), JobError> {
        let Some(subject) = super::load(state, notice).await? else {
            return Ok(()); // the event or its device went meanwhile
        };
        let data = super::payload(state, &subject).await?;
        // Nobody listening is fine: the event list is the record.
        let _ = state.hub.send(Notification {
            user: subject.event.user_id,
            kind: "doorbell.event",
            data,
        });
        let ms = state.notifications.latency.record(
            subject.event.user_id,
            Channel::Sse,
            subject.event.created_at,
        );
        tracing::debug!(event = %subject.event.id, latency_ms = ms, "doorbell event on the feed");
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
