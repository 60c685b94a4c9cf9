//! How [`MediaEdits`] is stored: one JSON value with a version, so old rows stay readable.

use super::{MediaEdits, STATE_VERSION};
use crate::ids::PersonId;
use crate::sync::{AddWinsSet, Lww, Tag, Title};
use serde::{Deserialize, Serialize};

/// The stored JSON: the state plus its version.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    version: u32,
    title: Lww<Option<Title>>,
    favourite: Lww<bool>,
    deleted: Lww<bool>,
    tags: AddWinsSet<Tag>,
    people: AddWinsSet<PersonId>,
}

#[derive(Debug, thiserror::Error)]
#[error("stored media edits have version {0}, this build reads {STATE_VERSION}")]
pub struct UnsupportedVersion(u32);

impl TryFrom<Stored> for MediaEdits {
    type Error = UnsupportedVersion;
    fn try_from(s: Stored) -> Result<Self, Self::Error> {
        if s.version != STATE_VERSION {
            return Err(UnsupportedVersion(s.version));
        }
        Ok(Self {
            title: s.title,
            favourite: s.favourite,
            deleted: s.deleted,
            tags: s.tags,
            people: s.people,
        })
    }
}

impl From<MediaEdits> for Stored {
    fn from(m: MediaEdits) -> Self {
        Self {
            version: STATE_VERSION,
            title: m.title,
            favourite: m.favourite,
            deleted: m.deleted,
            tags: m.tags,
            people: m.people,
        }
    }
}
