//! Events on the bus. Every stored payload carries a version so old rows stay readable.

use crate::{MediaId, MemoryId, UserId};
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
    /// Who appears in an item changed ([`MediaEvent`]).
    #[serde(rename = "media.changed")]
    MediaChanged,
    /// People or places changed in a way that touches many items ([`UserEvent`]).
    #[serde(rename = "library.changed")]
    LibraryChanged,
    /// [`MemoryEvent`]s: a memory video was asked for, made, or could not be made.
    #[serde(rename = "memory.requested")]
    MemoryRequested,
    #[serde(rename = "memory.ready")]
    MemoryReady,
    #[serde(rename = "memory.failed")]
    MemoryFailed,
    /// A doorbell event was accepted ([`crate::doorbell_event::DoorbellEventNotice`]).
    #[serde(rename = "doorbell.event")]
    DoorbellEvent,
    /// A doorbell event's full clip replaced its alert clip (the same notice, new `media_id`).
    #[serde(rename = "doorbell.clip_updated")]
    DoorbellClipUpdated,
    /// The cloud AI tier looked at a new event's alert clip (or could not, and said why in the
    /// log): notifications go out on this, with the event's final type.
    #[serde(rename = "doorbell.classified")]
    DoorbellClassified,
}

impl Topic {
    pub const ALL: [Topic; 12] = [
        Self::MediaUploaded,
        Self::MediaProbed,
        Self::MediaReady,
        Self::MediaDeleted,
        Self::MediaChanged,
        Self::LibraryChanged,
        Self::MemoryRequested,
        Self::MemoryReady,
        Self::MemoryFailed,
        Self::DoorbellEvent,
        Self::DoorbellClipUpdated,
        Self::DoorbellClassified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MediaUploaded => "media.uploaded",
            Self::MediaProbed => "media.probed",
            Self::MediaReady => "media.ready",
            Self::MediaDeleted => "media.deleted",
            Self::MediaChanged => "media.changed",
            Self::LibraryChanged => "library.changed",
            Self::MemoryRequested => "memory.requested",
            Self::MemoryReady => "memory.ready",
            Self::MemoryFailed => "memory.failed",
            Self::DoorbellEvent => "doorbell.event",
            Self::DoorbellClipUpdated => "doorbell.clip_updated",
            Self::DoorbellClassified => "doorbell.classified",
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

/// An event about a user's whole library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEvent {
    pub version: u32,
    pub user_id: UserId,
    pub correlation_id: String,
}

impl UserEvent {
    pub fn new(user_id: UserId, correlation_id: impl Into<String>) -> Self {
        Self {
            version: PAYLOAD_VERSION,
            user_id,
            correlation_id: correlation_id.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEvent {
    pub version: u32,
    pub user_id: UserId,
    pub memory_id: MemoryId,
    pub correlation_id: String,
}

impl MemoryEvent {
    pub fn new(user_id: UserId, memory_id: MemoryId, correlation_id: impl Into<String>) -> Self {
        Self {
            version: PAYLOAD_VERSION,
            user_id,
            memory_id,
            correlation_id: correlation_id.into(),
        }
    }
}

/// What every payload can say about itself, for logs and job routing.
pub trait EventPayload: Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    fn user_id(&self) -> UserId;
    /// The item the event is about, for log lines.
    fn subject(&self) -> String;
    fn correlation_id(&self) -> &str;
}

impl EventPayload for MediaEvent {
    fn user_id(&self) -> UserId {
        self.user_id
    }
    fn subject(&self) -> String {
        format!("media {}", self.media_id)
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

impl EventPayload for UserEvent {
    fn user_id(&self) -> UserId {
        self.user_id
    }
    fn subject(&self) -> String {
        format!("library of {}", self.user_id)
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

impl EventPayload for MemoryEvent {
    fn user_id(&self) -> UserId {
        self.user_id
    }
    fn subject(&self) -> String {
        format!("memory {}", self.memory_id)
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub topic: Topic,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn media(topic: Topic, event: &MediaEvent) -> Self {
        Self::new(topic, event)
    }

    pub fn new(topic: Topic, payload: &impl EventPayload) -> Self {
        Self {
            topic,
            payload: serde_json::to_value(payload).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_their_serde_names_and_parse_back() {
        for topic in Topic::ALL {
            assert_eq!(
                serde_json::to_value(topic).ok(),
                Some(serde_json::Value::String(topic.as_str().into()))
            );
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
        }
        assert_eq!(
            Topic::parse("doorbell.clip_updated"),
            Some(Topic::DoorbellClipUpdated)
        );
    }
}
