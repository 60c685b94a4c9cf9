//! Conflicts the user should see: an edit of theirs that another device's edit replaced
//! without that device having seen it.

use super::hlc::{Hlc, NodeId};
use super::lww::{Lww, Write};
use super::title::Title;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Favourite,
    Deleted,
}

/// A field's value as JSON shows it: a title (or null) or a flag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Flag(bool),
    Title(Option<Title>),
}

/// One side of a conflict. `node` repeats the stamp's node so clients need not parse stamps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version {
    pub value: FieldValue,
    pub stamp: Hlc,
    pub node: NodeId,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    pub field: Field,
    pub kept: Version,
    pub discarded: Version,
}

impl Version {
    fn of<T>(write: &Write<T>, wrap: fn(&T) -> FieldValue) -> Self {
        Self {
            value: wrap(&write.value),
            stamp: write.stamp.clone(),
            node: write.stamp.node().clone(),
        }
    }
}

/// The conflicts of one register, sorted: see [`Lww::conflicts`] for the rule.
pub(super) fn of_register<T: Ord + Clone + Default>(
    field: Field,
    register: &Lww<T>,
    wrap: fn(&T) -> FieldValue,
) -> Vec<Conflict> {
    let mut conflicts: Vec<Conflict> = register
        .conflicts()
        .into_iter()
        .map(|(kept, discarded)| Conflict {
            field,
            kept: Version::of(kept, wrap),
            discarded: Version::of(discarded, wrap),
        })
        .collect();
    conflicts.sort();
    conflicts
}
