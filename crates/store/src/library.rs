//! The library around the media: people and who appears where, the user's own places, what the
//! workers derived (place names, interest), memory videos, and the library version that any of
//! these changes bumps. Scoped by user like everything else.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::event::NewEvent;
use sightline_core::{MediaId, MemoryId, PersonId, PlaceId, UserId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    /// "wife", "son", "mom"… as the user said it.
    pub relationship: Option<String>,
    /// This person is the user.
    pub is_me: bool,
    pub birthday: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// Changes to a person; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonPatch {
    pub name: Option<String>,
    pub relationship: Option<Option<String>>,
    pub is_me: Option<bool>,
    pub birthday: Option<Option<NaiveDate>>,
}

/// A person in a media item: all of it, or `[start_secs, end_secs)` of a video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appearance {
    pub id: i64,
    pub media_id: MediaId,
    pub person_id: PersonId,
    pub start_secs: Option<f64>,
    pub end_secs: Option<f64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAppearance {
    pub media_id: MediaId,
    pub person_id: PersonId,
    pub start_secs: Option<f64>,
    pub end_secs: Option<f64>,
}

/// A place the user named: a point and a radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub id: PlaceId,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    pub created_at: DateTime<Utc>,
}

/// What the workers derived about a media item beyond the probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    pub city: Option<String>,
    pub region: Option<String>,
    pub country_code: Option<String>,
    pub country: Option<String>,
    /// Other towns the item was taken among (see `sightline_places::PlaceName::nearby`).
    #[serde(default)]
    pub nearby: Vec<String>,
    /// Per-second interest as JSON; its shape belongs to the media crate.
    pub interest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryStatus {
    Queued,
    Rendering,
    Ready,
    /// Nothing matched; `reason` says why.
    Empty,
    Failed,
}

impl MemoryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Rendering => "rendering",
            Self::Ready => "ready",
            Self::Empty => "empty",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Rendering,
            Self::Ready,
            Self::Empty,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Still being made.
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Queued | Self::Rendering)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    pub id: MemoryId,
    pub user_id: UserId,
    pub query: String,
    /// (canonical query, max duration): with the library version, the result cache key.
    pub cache_key: String,
    pub understood: serde_json::Value,
    pub max_duration_secs: u32,
    pub library_version: i64,
    pub status: MemoryStatus,
    pub reason: Option<String>,
    pub clips: serde_json::Value,
    pub video_key: Option<String>,
    pub thumbnail_key: Option<String>,
    pub duration_secs: Option<f64>,
    pub render_ms: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The outcome of making a memory.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryUpdate {
    pub status: MemoryStatus,
    pub reason: Option<String>,
    pub clips: serde_json::Value,
    pub video_key: Option<String>,
    pub thumbnail_key: Option<String>,
    pub duration_secs: Option<f64>,
    pub render_ms: Option<i64>,
}

#[async_trait]
pub trait LibraryStore: Send + Sync + 'static {
    /// Fails with `Conflict` when `is_me` is set and the user already has a "me".
    async fn create_person(&self, user: UserId, person: &Person, events: &[NewEvent])
    -> Result<()>;
    async fn people(&self, user: UserId) -> Result<Vec<Person>>;
    async fn person(&self, user: UserId, id: PersonId) -> Result<Option<Person>>;
    /// Setting `is_me` moves "me" to this person.
    async fn update_person(
        &self,
        user: UserId,
        id: PersonId,
        patch: &PersonPatch,
        events: &[NewEvent],
    ) -> Result<Option<Person>>;
    /// Also removes the person's appearances. Returns whether it existed.
    async fn delete_person(&self, user: UserId, id: PersonId, events: &[NewEvent]) -> Result<bool>;
    /// Moves `merged`'s appearances to `kept` (a kept person inherits "me" and missing fields)
    /// and deletes `merged`; `None` when either is not the user's.
    async fn merge_people(
        &self,
        user: UserId,
        kept: PersonId,
        merged: PersonId,
        events: &[NewEvent],
    ) -> Result<Option<Person>>;

    /// `NotFound` when the media or the person is not the user's.
    async fn add_appearance(
        &self,
        user: UserId,
        appearance: &NewAppearance,
        events: &[NewEvent],
    ) -> Result<Appearance>;
    /// Returns the removed appearance.
    async fn remove_appearance(
        &self,
        user: UserId,
        id: i64,
        events: &[NewEvent],
    ) -> Result<Option<Appearance>>;
    async fn appearances_in(&self, user: UserId, media: MediaId) -> Result<Vec<Appearance>>;
    /// The media items a person appears in.
    async fn media_with(&self, user: UserId, person: PersonId) -> Result<Vec<MediaId>>;

    async fn create_place(&self, user: UserId, place: &Place, events: &[NewEvent]) -> Result<()>;
    async fn places(&self, user: UserId) -> Result<Vec<Place>>;
    async fn delete_place(&self, user: UserId, id: PlaceId, events: &[NewEvent]) -> Result<bool>;

    /// Replaces the annotations of a media item; `NotFound` when it is gone.
    async fn set_annotations(
        &self,
        user: UserId,
        media: MediaId,
        annotations: &Annotations,
    ) -> Result<()>;
    async fn annotations(&self, user: UserId, media: MediaId) -> Result<Option<Annotations>>;

    /// The distinct place names of the user's media (`interest` left empty): the places a
    /// query can name and find something.
    async fn place_names(&self, user: UserId) -> Result<Vec<Annotations>>;

    /// Users that have at least one media item, for rebuilding read models.
    async fn users_with_media(&self) -> Result<Vec<UserId>>;

    /// 0 for a user whose library never changed.
    async fn library_version(&self, user: UserId) -> Result<i64>;

    async fn insert_memory(&self, memory: &Memory, events: &[NewEvent]) -> Result<()>;
    async fn memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>>;
    /// Newest first.
    async fn memories(&self, user: UserId, limit: u32) -> Result<Vec<Memory>>;
    /// The newest memory made for this key at this library version that did not fail.
    async fn cached_memory(
        &self,
        user: UserId,
        cache_key: &str,
        library_version: i64,
    ) -> Result<Option<Memory>>;
    async fn update_memory(
        &self,
        user: UserId,
        id: MemoryId,
        update: &MemoryUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Memory>>;
    async fn delete_memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>>;
}
