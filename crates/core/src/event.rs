//! Events on the bus. Every stored payload carries a version so old rows stay readable.

use crate::{MediaId, UserId};
use serde::{Deserialize, Serialize};

pub const PAYLOAD_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    #[serde(rename = "media.uploaded")]
    MediaUploaded,
    #[serde(rename = "media.probed")]
    MediaProbed,
    #[serde(rename = "media.ready")]
    MediaReady,
    #[serde(rename = "media.deleted")]
    MediaDeleted,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Self::MediaUploaded,
        Self::MediaProbed,
        Self::MediaReady,
        Self::MediaDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MediaUploaded => "media.uploaded",
            Self::MediaProbed => "media.probed",
            Self::MediaReady => "media.ready",
            Self::MediaDeleted => "media.deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The body of every media event: which item, whose, and the request that started the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEvent {
    pub version: u32,
    pub user_id: UserId,
    pub media_id: MediaId,
    pub correlation_id: String,
}

impl MediaEvent {
    pub fn new(user_id: UserId, media_id: MediaId, correlation_id: impl Into<String>) -> Self {
        Self {
            version: PAYLOAD_VERSION,
            user_id,
            media_id,
            correlation_id: correlation_id.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub topic: Topic,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn media(topic: Topic, event: &MediaEvent) -> Self {
        Self {
            topic,
            payload: serde_json::to_value(event).unwrap_or_default(),
        }
    }
}
