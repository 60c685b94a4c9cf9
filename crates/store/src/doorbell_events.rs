//! Doorbell events: one row per event a device reported, keyed by the client-minted event id
//! (a replayed POST finds the row it made the first time), written with its bus event in one
//! transaction. Scoped by user like everything else; a device's events go with the device, and
//! a deleted clip leaves the event without one.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sightline_core::doorbell_event::{Classification, ClipUpdate, DoorbellEvent, EventType};
use sightline_core::event::NewEvent;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{DeviceId, UserId};

/// The most events one page may hold.
pub const MAX_PAGE: u32 = 200;

/// What became of [`DoorbellEventStore::insert_event`].
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    /// Stored, and its events written.
    Created(DoorbellEvent),
    /// This id was stored before: that row, unchanged; nothing was written.
    Existing(DoorbellEvent),
    /// The clip it names is not one of the user's media: nothing was written.
    UnknownClip,
}

/// What became of [`DoorbellEventStore::update_clip`].
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    /// The event as it is now. Its events were written only if the row changed, so a replayed
    /// update is answered the same and notifies nobody twice.
    Updated(DoorbellEvent),
    /// No such event of this user and device: nothing was written.
    NotFound,
    /// The clip it names is not one of the user's media: nothing was written.
    UnknownClip,
}

/// Which events, newest first. Both time bounds are inclusive.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub device: Option<DeviceId>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub event_type: Option<EventType>,
    /// 1 to [`MAX_PAGE`]; larger values are cut to it.
    pub limit: u32,
    pub offset: u32,
    /// Keyset paging: only events older than this one in the listing's order (time, then id,
    /// newest first), so a page does not shift when new events arrive.
    pub after: Option<EventCursor>,
}

/// Where a page ended: the last event's time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: DoorbellEventId,
}

impl EventCursor {
    pub fn of(event: &DoorbellEvent) -> Self {
        Self {
            occurred_at: event.occurred_at,
            id: event.id,
        }
    }

    /// Whether `event` comes after the cursor in the listing (is older).
    pub fn precedes(&self, event: &DoorbellEvent) -> bool {
        let key = |t: DateTime<Utc>, id: DoorbellEventId| (t.timestamp_millis(), id.to_string());
        key(event.occurred_at, event.id) < key(self.occurred_at, self.id)
    }
}

impl Default for EventQuery {
    fn default() -> Self {
        Self {
            device: None,
            start: None,
            end: None,
            event_type: None,
            limit: 50,
            offset: 0,
            after: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPage {
    pub events: Vec<DoorbellEvent>,
    /// How many match the query's filters, over all pages (the cursor aside).
    pub total: u64,
    /// More events follow this page.
    pub has_more: bool,
}

#[async_trait]
pub trait DoorbellEventStore: Send + Sync + 'static {
    /// One transaction: the row and `events`. A replayed id returns the stored row and writes
    /// nothing. `NotFound` when the device is not the event's user's.
    async fn insert_event(
        &self,
        event: &DoorbellEvent,
        events: &[NewEvent],
    ) -> Result<InsertOutcome>;

    async fn event(&self, user: UserId, id: DoorbellEventId) -> Result<Option<DoorbellEvent>>;

    /// One transaction: the AI tier's verdict replaces type, detections and confidence, and
    /// `events` are written. `None` when the event is gone.
    async fn classify(
        &self,
        user: UserId,
        id: DoorbellEventId,
        verdict: &Classification,
        events: &[NewEvent],
    ) -> Result<Option<DoorbellEvent>>;

    /// One transaction: the event's clip and duration (and confidence and detections when
    /// given) replaced, and `events` written, unless the row already reads so.
    async fn update_clip(
        &self,
        user: UserId,
        device: DeviceId,
        id: DoorbellEventId,
        update: &ClipUpdate,
        events: &[NewEvent],
    ) -> Result<UpdateOutcome>;

    /// One page of the user's events matching `query`, newest first (ties by id), and the total.
    async fn events(&self, user: UserId, query: &EventQuery) -> Result<EventPage>;
}

/// The stored form of the detections: versioned like every payload.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredDetections {
    pub version: u32,
    pub items: Vec<sightline_core::doorbell_event::Detection>,
}
