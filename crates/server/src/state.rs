use crate::auth::tokens::Keys;
use crate::config::Config;
use crate::locks::KeyedLocks;
use sightline_media::Tools;
use sightline_store::Backends;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub backends: Backends,
    /// The read model: search index over ready media.
    pub search: Arc<dyn sightline_search::SearchIndex>,
    pub keys: Arc<Keys>,
    /// One PATCH at a time per upload; one commit at a time per media id.
    pub locks: Arc<KeyedLocks>,
    pub tools: Arc<Tools>,
    /// What query understanding needs per user, reused while their library is unchanged.
    pub vocabularies: Arc<crate::memories::understand::VocabularyCache>,
    /// Notes for the users' event streams.
    pub hub: tokio::sync::broadcast::Sender<Notification>,
    /// Rung after events are written, so idle workers start at once instead of at the next poll.
    pub wake: Arc<tokio::sync::Notify>,
    /// Devices connected on `/devices/channel`.
    pub channels: Arc<crate::channels::DeviceChannels>,
    /// Webhook and Web Push delivery, and notification latency.
    pub notifications: Arc<crate::notifications::Notifier>,
    /// Storage tiers of event clips, when configured; `backends.blobs` is this same store.
    pub tiers: Option<Arc<sightline_store::blob::TieredBlobStore>>,
    /// The off-site copy of event clips, when configured.
    pub offsite: Option<Arc<dyn sightline_store::BlobStore>>,
    /// The cloud AI tier's detector, loaded on first use.
    pub detector: Arc<crate::workers::classify::DetectorSlot>,
}

/// One event for one user's `/events/stream`.
#[derive(Debug, Clone)]
pub struct Notification {
    pub user: sightline_core::UserId,
    pub kind: &'static str,
    pub data: serde_json::Value,
}

/// Notes kept for slow stream readers before they are told they lagged.
pub const HUB_CAPACITY: usize = 256;

impl AppState {
    pub fn now_secs() -> u64 {
        chrono::Utc::now().timestamp().max(0) as u64
    }

    /// An absolute, signed, expiring URL for a blob.
    pub fn signed_url(&self, key: &str) -> String {
        let expires = Self::now_secs() + self.config.auth.signed_url_secs;
        format!(
            "{}/api/v1/files/{key}?{}",
            self.config.public_url(),
            self.keys.sign_blob(key, expires)
        )
    }
}
