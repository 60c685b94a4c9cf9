//! Rows of the write model, as the traits exchange them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::geo::GeoPoint;
use sightline_core::media::{Connectivity, DeviceType, MediaFacts, MediaKind, MediaStatus};
use sightline_core::{DeviceId, MediaId, UploadId, UserId};

pub use sightline_core::settings::AgentSettings;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    pub id: DeviceId,
    #[serde(skip)]
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub device_type: DeviceType,
    pub name: String,
    pub firmware_version: Option<String>,
    pub battery_level: Option<u8>,
    pub connectivity: Option<Connectivity>,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// What the owner set for it; pushed down its channel.
    pub settings: AgentSettings,
    /// Goes up with every change of `settings`.
    pub settings_version: u64,
    pub created_at: DateTime<Utc>,
    /// When it was last heard from, and its last telemetry as it sent it: kept so that a
    /// restarted server can still show them (the API shows them with the live presence).
    #[serde(skip)]
    pub last_seen_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub telemetry: Option<serde_json::Value>,
}

/// Fields a device reports about itself; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceReport {
    pub firmware_version: Option<String>,
    pub battery_level: Option<u8>,
    pub connectivity: Option<Connectivity>,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The server heard from the device at this time (its channel).
    pub seen_at: Option<DateTime<Utc>>,
    pub telemetry: Option<serde_json::Value>,
}

/// What a tus upload will become once complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingMedia {
    pub media_id: MediaId,
    pub kind: MediaKind,
    pub captured_at: Option<DateTime<Utc>>,
    pub location: Option<GeoPoint>,
    pub device_id: Option<DeviceId>,
    pub filename: Option<String>,
    /// Whole-file SHA-256 (lowercase hex) the finished upload must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: UploadId,
    pub user_id: UserId,
    pub length: u64,
    pub offset: u64,
    pub media: PendingMedia,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub id: MediaId,
    pub user_id: UserId,
    pub kind: MediaKind,
    pub status: MediaStatus,
    pub failure_reason: Option<String>,
    pub filename: Option<String>,
    pub device_id: Option<DeviceId>,
    pub captured_at: DateTime<Utc>,
    /// False when `captured_at` is only the upload time and the file's own date may replace it.
    pub captured_at_from_client: bool,
    pub location: Option<GeoPoint>,
    pub size_bytes: u64,
    pub raw_key: String,
    pub facts: Option<MediaFacts>,
    pub thumbnail_key: Option<String>,
    pub preview_key: Option<String>,
    pub rendition_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The outcome of processing, written together with the next events.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingUpdate {
    pub status: MediaStatus,
    pub failure_reason: Option<String>,
    pub facts: Option<MediaFacts>,
    /// Replaces the capture time when the file knows better than the client did.
    pub captured_at: Option<DateTime<Utc>>,
    pub location: Option<GeoPoint>,
    pub thumbnail_key: Option<String>,
    pub preview_key: Option<String>,
    pub rendition_key: Option<String>,
}

impl ProcessingUpdate {
    pub fn status(status: MediaStatus) -> Self {
        Self {
            status,
            failure_reason: None,
            facts: None,
            captured_at: None,
            location: None,
            thumbnail_key: None,
            preview_key: None,
            rendition_key: None,
        }
    }

    pub fn failed(reason: impl Into<String>) -> Self {
        Self {
            failure_reason: Some(reason.into()),
            ..Self::status(MediaStatus::Failed)
        }
    }
}

/// Position in the library listing, which is ordered newest capture first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaCursor {
    pub captured_at_ms: i64,
    pub id: MediaId,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub kind: Option<MediaKind>,
    pub status: Option<MediaStatus>,
    pub after: Option<MediaCursor>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    Created,
    /// The media id was already committed: the earlier item stands, nothing new was written.
    AlreadyExists,
}
