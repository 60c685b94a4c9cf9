use super::MemoryStore;
use crate::error::Result;
use crate::retention::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::doorbell_event::DoorbellEvent;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{MediaId, UserId};
use std::collections::HashMap;

#[derive(Default)]
pub(super) struct RetentionState {
    plans: HashMap<UserId, Plan>,
    /// By clip; absent is hot without a copy.
    clips: HashMap<(UserId, MediaId), ClipPlace>,
}

#[derive(Default, Clone, Copy)]
struct ClipPlace {
    tier: StorageTier,
    offsite_copied_at: Option<DateTime<Utc>>,
}

impl super::State {
    /// Live events with a live clip, oldest first, with where each clip is.
    fn event_clips(&self) -> Vec<(EventClip, StorageTier, Option<DateTime<Utc>>)> {
        let mut clips: Vec<_> = self
            .doorbell
            .events
            .values()
            .filter_map(|e| self.live_event(e))
            .filter_map(|e| {
                let media = e.media_id?;
                let place = self
                    .retention
                    .clips
                    .get(&(e.user_id, media))
                    .copied()
                    .unwrap_or_default();
                let (tier, copied) = (place.tier, place.offsite_copied_at);
                Some((
                    EventClip {
                        user_id: e.user_id,
                        event_id: e.id,
                        media_id: media,
                        occurred_at: e.occurred_at,
                    },
                    tier,
                    copied,
                ))
            })
            .collect();
        clips.sort_by_key(|(c, ..)| (c.occurred_at, c.event_id));
        clips
    }
}

#[async_trait]
impl RetentionStore for MemoryStore {
    async fn plan(&self, user: UserId) -> Result<Plan> {
        Ok(self
            .lock()?
            .retention
            .plans
            .get(&user)
            .copied()
            .unwrap_or_default())
    }

    async fn set_plan(&self, user: UserId, plan: Plan) -> Result<()> {
        self.lock()?.retention.plans.insert(user, plan);
        Ok(())
    }

    async fn expired_events(
        &self,
        plan: Plan,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DoorbellEvent>> {
        let state = self.lock()?;
        let mut events: Vec<DoorbellEvent> = state
            .doorbell
            .events
            .values()
            .filter_map(|e| state.live_event(e))
            .filter(|e| {
                e.occurred_at < before
                    && state
                        .retention
                        .plans
                        .get(&e.user_id)
                        .copied()
                        .unwrap_or_default()
                        == plan
            })
            .collect();
        events.sort_by_key(|e| (e.occurred_at, e.id));
        events.truncate(limit as usize);
        Ok(events)
    }

    async fn delete_event(&self, user: UserId, id: DoorbellEventId) -> Result<bool> {
        Ok(self.lock()?.doorbell.events.remove(&(user, id)).is_some())
    }

    async fn clips_in_tier(
        &self,
        tier: StorageTier,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<EventClip>> {
        Ok(self
            .lock()?
            .event_clips()
            .into_iter()
            .filter(|(c, t, _)| *t == tier && c.occurred_at < before)
            .map(|(c, ..)| c)
            .take(limit as usize)
            .collect())
    }

    async fn set_clip_tier(&self, user: UserId, media: MediaId, tier: StorageTier) -> Result<()> {
        let mut state = self.lock()?;
        state.retention.clips.entry((user, media)).or_default().tier = tier;
        Ok(())
    }

    async fn clips_without_offsite_copy(&self, limit: u32) -> Result<Vec<EventClip>> {
        Ok(self
            .lock()?
            .event_clips()
            .into_iter()
            .filter(|(_, _, copied)| copied.is_none())
            .map(|(c, ..)| c)
            .take(limit as usize)
            .collect())
    }

    async fn mark_offsite_copy(
        &self,
        user: UserId,
        media: MediaId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut state = self.lock()?;
        state
            .retention
            .clips
            .entry((user, media))
            .or_default()
            .offsite_copied_at = Some(at);
        Ok(())
    }
}
