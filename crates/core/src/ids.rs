//! Typed identifiers. All are UUIDs; the newtypes keep a media id from being passed as a user id.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} must be a UUID, got {got:?}")]
pub struct InvalidId {
    pub what: &'static str,
    pub got: String,
}

macro_rules! uuid_id {
    ($name:ident, $what:literal) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                Uuid::parse_str(text.trim())
                    .map(Self)
                    .map_err(|_| InvalidId {
                        what: $what,
                        got: text.chars().take(64).collect(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(UserId, "user id");
uuid_id!(DeviceId, "device id");
uuid_id!(MediaId, "media id");
uuid_id!(UploadId, "upload id");
uuid_id!(PersonId, "person id");
uuid_id!(PlaceId, "place id");
uuid_id!(MemoryId, "memory id");
uuid_id!(DoorbellEventId, "event id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let id = MediaId::new_random();
        assert_eq!(MediaId::parse(&id.to_string()), Ok(id));
        let err = MediaId::parse("not-a-uuid").unwrap_err();
        assert_eq!(err.what, "media id");
    }
}
