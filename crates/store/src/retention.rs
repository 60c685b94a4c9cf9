//! Retention and storage tiers of doorbell event clips: each user's plan decides how long
//! events are kept; a lifecycle job moves clips from hot to warm to cold storage as they age and
//! makes the optional off-site copy. This trait is what those jobs need of the metadata store.

use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::doorbell_event::DoorbellEvent;
use sightline_core::ids::DoorbellEventId;
use sightline_core::{MediaId, UserId};
use std::str::FromStr;

/// A user's subscription plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    #[default]
    Standard,
    Premium,
}

impl Plan {
    pub const ALL: [Plan; 2] = [Plan::Standard, Plan::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Premium => "premium",
        }
    }
}

impl FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| "plan must be standard or premium".into())
    }
}

/// Where a clip's blobs are.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum StorageTier {
    #[default]
    Hot,
    Warm,
    Cold,
}

impl StorageTier {
    pub const ALL: [StorageTier; 3] = [Self::Hot, Self::Warm, Self::Cold];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot => "hot",
            Self::Warm => "warm",
            Self::Cold => "cold",
        }
    }
}

impl FromStr for StorageTier {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("storage tier {s:?}"))
    }
}

/// An event's clip, for the lifecycle job.
#[derive(Debug, Clone, PartialEq)]
pub struct EventClip {
    pub user_id: UserId,
    pub event_id: DoorbellEventId,
    pub media_id: MediaId,
    pub occurred_at: DateTime<Utc>,
}

#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// The user's plan; standard until one is set.
    async fn plan(&self, user: UserId) -> Result<Plan>;
    async fn set_plan(&self, user: UserId, plan: Plan) -> Result<()>;
    /// Events of users on `plan` that happened before `before`, oldest first.
    async fn expired_events(
        &self,
        plan: Plan,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DoorbellEvent>>;
    /// Deletes one event row (its clip is the caller's to delete); `false` if it was not there.
    async fn delete_event(&self, user: UserId, id: DoorbellEventId) -> Result<bool>;
    /// Clips of events before `before` whose blobs are in `tier`, oldest first.
    async fn clips_in_tier(
        &self,
        tier: StorageTier,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<EventClip>>;
    async fn set_clip_tier(&self, user: UserId, media: MediaId, tier: StorageTier) -> Result<()>;
    /// Event clips that have no off-site copy yet, oldest first.
    async fn clips_without_offsite_copy(&self, limit: u32) -> Result<Vec<EventClip>>;
    async fn mark_offsite_copy(
        &self,
        user: UserId,
        media: MediaId,
        at: DateTime<Utc>,
    ) -> Result<()>;
}
