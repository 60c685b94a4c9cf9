use super::MemoryStore;
use crate::doorbell_events::*;
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use sightline_core::doorbell_event::{Classification, ClipUpdate, DoorbellEvent};
use sightline_core::event::NewEvent;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, UserId};
use std::collections::HashMap;

/// What SQLite's cascade and trigger do on delete happens here on read: an event whose device
/// is gone is not there, and a clip that is gone reads as none.
#[derive(Default)]
pub(super) struct DoorbellState {
    pub(super) events: HashMap<(UserId, DoorbellEventId), DoorbellEvent>,
}

impl super::State {
    /// The event as SQLite would hold it now, or `None` if its device went.
    pub(super) fn live_event(&self, event: &DoorbellEvent) -> Option<DoorbellEvent> {
        let device = self.devices.get(&event.device_id)?;
        if device.0.user_id != event.user_id {
            return None;
        }
        let mut event = event.clone();
        event.media_id = event
            .media_id
            .filter(|m| self.media.contains_key(&(event.user_id, *m)));
        Some(event)
    }
}

#[async_trait]
impl DoorbellEventStore for MemoryStore {
    async fn insert_event(
        &self,
        new: &DoorbellEvent,
        events: &[NewEvent],
    ) -> Result<InsertOutcome> {
        let mut state = self.lock()?;
        let key = (new.user_id, new.id);
        if let Some(existing) = state.doorbell.events.get(&key) {
            match state.live_event(existing) {
                Some(live) => return Ok(InsertOutcome::Existing(live)),
                // Its device is gone: the row would have been cascaded away.
                None => {
                    state.doorbell.events.remove(&key);
                }
            }
        }
        if state
            .devices
            .get(&new.device_id)
            .is_none_or(|(d, _)| d.user_id != new.user_id)
        {
            return Err(StoreError::NotFound);
        }
        if let Some(media) = new.media_id
            && !state.media.contains_key(&(new.user_id, media))
        {
            return Ok(InsertOutcome::UnknownClip);
        }
        state.doorbell.events.insert(key, new.clone());
        state.insert_events(events);
        Ok(InsertOutcome::Created(new.clone()))
    }

    async fn event(&self, user: UserId, id: DoorbellEventId) -> Result<Option<DoorbellEvent>> {
        let state = self.lock()?;
        Ok(state
            .doorbell
            .events
            .get(&(user, id))
            .and_then(|e| state.live_event(e)))
    }

    async fn classify(
        &self,
        user: UserId,
        id: DoorbellEventId,
        verdict: &Classification,
        events: &[NewEvent],
    ) -> Result<Option<DoorbellEvent>> {
        let mut state = self.lock()?;
        let Some(current) = state
            .doorbell
            .events
            .get(&(user, id))
            .and_then(|e| state.live_event(e))
        else {
            return Ok(None);
        };
        let stored = verdict.apply(&current);
        state.doorbell.events.insert((user, id), stored.clone());
        state.insert_events(events);
        Ok(Some(stored))
    }

    async fn update_clip(
        &self,
        user: UserId,
        device: DeviceId,
        id: DoorbellEventId,
        update: &ClipUpdate,
        events: &[NewEvent],
    ) -> Result<UpdateOutcome> {
        let mut state = self.lock()?;
        let Some(current) = state
            .doorbell
            .events
            .get(&(user, id))
            .and_then(|e| state.live_event(e))
            .filter(|e| e.device_id == device)
        else {
            return Ok(UpdateOutcome::NotFound);
        };
        if !state.media.contains_key(&(user, update.media_id)) {
            return Ok(UpdateOutcome::UnknownClip);
        }
        let wanted = update.apply(&current);
        if wanted != current {
            state.doorbell.events.insert((user, id), wanted.clone());
            state.insert_events(events);
        }
        Ok(UpdateOutcome::Updated(wanted))
    }

    async fn events(&self, user: UserId, q: &EventQuery) -> Result<EventPage> {
        let state = self.lock()?;
        let mut found: Vec<DoorbellEvent> = state
            .doorbell
            .events
            .values()
            .filter(|e| e.user_id == user)
            .filter(|e| q.device.is_none_or(|d| e.device_id == d))
            .filter(|e| q.start.is_none_or(|s| e.occurred_at >= s))
            .filter(|e| q.end.is_none_or(|s| e.occurred_at <= s))
            .filter(|e| q.event_type.is_none_or(|t| e.event_type == t))
            .filter_map(|e| state.live_event(e))
            .collect();
        found.sort_by_key(|e| {
            std::cmp::Reverse((e.occurred_at.timestamp_millis(), e.id.to_string()))
        });
        let total = found.len() as u64;
        let limit = q.limit.clamp(1, MAX_PAGE) as usize;
        let mut events: Vec<DoorbellEvent> = found
            .into_iter()
            .filter(|e| q.after.is_none_or(|c| c.precedes(e)))
            .skip(q.offset as usize)
            .take(limit + 1)
            .collect();
        let has_more = events.len() > limit;
        events.truncate(limit);
        Ok(EventPage {
            events,
            total,
            has_more,
        })
    }
}
