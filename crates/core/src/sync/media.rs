//! The user-editable state of one media item, merged from edits made on any device.

use super::conflict::{self, Conflict, Field, FieldValue};
use super::hlc::Hlc;
use super::lww::{Lww, Write};
use super::tags::{AddWinsSet, Tag};
use super::title::Title;
use crate::ids::PersonId;
use serde::{Deserialize, Serialize};

/// Version of the stored JSON of [`MediaEdits`].
pub const STATE_VERSION: u32 = 1;

/// One edit as a client sends it. `stamp` is the editing node's clock at the edit; for
/// `set_title`, `set_favourite` and `delete`, `seen` is the stamp that field had on the
/// editing node (absent when it had none), which tells a knowing overwrite from a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub stamp: Hlc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Hlc>,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// `"title": null` clears the title.
    SetTitle {
        title: Option<Title>,
    },
    SetFavourite {
        favourite: bool,
    },
    AddTag {
        tag: Tag,
    },
    /// `observed`: the dots of `tag` the remover saw ([`MediaEdits::observed_tag`]).
    RemoveTag {
        tag: Tag,
        observed: Vec<Hlc>,
    },
    AddPerson {
        person: PersonId,
    },
    RemovePerson {
        person: PersonId,
        observed: Vec<Hlc>,
    },
    Delete,
}

impl Edit {
    fn write<T>(&self, value: T) -> Write<T> {
        Write {
            stamp: self.stamp.clone(),
            value,
            seen: self.seen.clone(),
        }
    }
}

impl Change {
    /// The last-writer-wins field this change writes, if any.
    pub fn field(&self) -> Option<Field> {
        match self {
            Self::SetTitle { .. } => Some(Field::Title),
            Self::SetFavourite { .. } => Some(Field::Favourite),
            Self::Delete => Some(Field::Deleted),
            _ => None,
        }
    }
}

/// What an edit did: whether [`MediaEdits::visible`] changed, and the conflicts it added to
/// [`MediaEdits::conflicts`] (a notification; the list itself is the state's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub changed: bool,
    pub conflicts: Vec<Conflict>,
}

/// What clients display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    pub title: Option<String>,
    pub favourite: bool,
    pub deleted: bool,
    pub tags: Vec<String>,
    pub people: Vec<PersonId>,
}

/// One item's merged edits, stored whole as one JSON value. Replicas that received the same
/// edits, in any order or by `merge`, are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "stored::Stored", into = "stored::Stored")]
pub struct MediaEdits {
    title: Lww<Option<Title>>,
    favourite: Lww<bool>,
    deleted: Lww<bool>,
    tags: AddWinsSet<Tag>,
    people: AddWinsSet<PersonId>,
}

impl MediaEdits {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies an edit; applying it again, or in another order with other edits, ends in the
    /// same state. The caller checks the stamp first (its node is the sender, it is not too far
    /// ahead: [`super::Clock::observe`]).
    pub fn apply(&mut self, edit: &Edit) -> Applied {
        let before = self.visible();
        let field = edit.change.field();
        let old_conflicts = field.map(|f| self.conflicts_of(f)).unwrap_or_default();
        match &edit.change {
            Change::SetTitle { title } => _ = self.title.write(edit.write(title.clone())),
            Change::SetFavourite { favourite } => _ = self.favourite.write(edit.write(*favourite)),
            Change::Delete => _ = self.deleted.write(edit.write(true)),
            Change::AddTag { tag } => self.tags.add(tag.clone(), edit.stamp.clone()),
            Change::RemoveTag { tag, observed } => self.tags.remove(tag, observed),
            Change::AddPerson { person } => self.people.add(*person, edit.stamp.clone()),
            Change::RemovePerson { person, observed } => self.people.remove(person, observed),
        }
        let conflicts = field
            .map(|f| self.conflicts_of(f))
            .unwrap_or_default()
            .into_iter()
            .filter(|c| !old_conflicts.contains(c))
            .collect();
        Applied {
            changed: self.visible() != before,
            conflicts,
        }
    }

    /// State-based join: commutative, associative, idempotent; equal to applying both
    /// replicas' edits.
    pub fn merge(&mut self, other: &MediaEdits) {
        self.title.merge(&other.title);
        self.favourite.merge(&other.favourite);
        self.deleted.merge(&other.deleted);
        self.tags.merge(&other.tags);
        self.people.merge(&other.people);
    }

    pub fn visible(&self) -> MediaView {
        MediaView {
            title: self.title.get().map(String::from),
            favourite: self.favourite.get(),
            deleted: self.deleted.get(),
            tags: self.tags.elements().map(|t| t.to_string()).collect(),
            people: self.people.elements().copied().collect(),
        }
    }

    /// Every current conflict, sorted: per field, the winning write against each other node's
    /// latest write with a different value that the winner had not seen ([`Lww::conflicts`]).
    /// Depends only on which edits arrived, not their order.
    pub fn conflicts(&self) -> Vec<Conflict> {
        [Field::Title, Field::Favourite, Field::Deleted]
            .into_iter()
            .flat_map(|f| self.conflicts_of(f))
            .collect()
    }

    fn conflicts_of(&self, field: Field) -> Vec<Conflict> {
        match field {
            Field::Title => {
                conflict::of_register(field, &self.title, |t| FieldValue::Title(t.clone()))
            }
            Field::Favourite => {
                conflict::of_register(field, &self.favourite, |b| FieldValue::Flag(*b))
            }
            Field::Deleted => conflict::of_register(field, &self.deleted, |b| FieldValue::Flag(*b)),
        }
    }

    /// The `seen` for a new edit of `field` made on this replica.
    pub fn stamp(&self, field: Field) -> Option<&Hlc> {
        match field {
            Field::Title => self.title.stamp(),
            Field::Favourite => self.favourite.stamp(),
            Field::Deleted => self.deleted.stamp(),
        }
    }

    /// An edit made on this replica, with `seen` filled in from its state.
    pub fn local_edit(&self, stamp: Hlc, change: Change) -> Edit {
        let seen = change.field().and_then(|f| self.stamp(f).cloned());
        Edit {
            stamp,
            seen,
            change,
        }
    }

    /// The `observed` of a remove of `tag` issued on this replica.
    pub fn observed_tag(&self, tag: &Tag) -> Vec<Hlc> {
        self.tags.observed(tag)
    }

    pub fn observed_person(&self, person: &PersonId) -> Vec<Hlc> {
        self.people.observed(person)
    }
}

mod stored;
pub use stored::UnsupportedVersion;

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
