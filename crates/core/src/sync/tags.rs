//! Add-wins (observed-remove) sets, for an item's tags and its people. Every add carries a
//! unique dot (its stamp); a remove names the dots it saw and removes only those, so an add
//! the remover had not seen survives.

use super::hlc::Hlc;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A normalised tag: trimmed, lowercase, inner whitespace collapsed to one space.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

pub const MAX_TAG_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("tag is empty")]
    Empty,
    #[error("tag is longer than {MAX_TAG_CHARS} characters")]
    TooLong,
    #[error("tag contains a control character")]
    ControlChar,
}

impl Tag {
    /// "  Beach   Day " and "beach day" are one tag. Tabs and newlines count as whitespace;
    /// any other control character is refused.
    pub fn parse(text: &str) -> Result<Self, TagError> {
        let tag = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let tag = tag.to_lowercase();
        if tag.chars().any(char::is_control) {
            return Err(TagError::ControlChar);
        }
        match tag.chars().count() {
            0 => Err(TagError::Empty),
            n if n > MAX_TAG_CHARS => Err(TagError::TooLong),
            _ => Ok(Self(tag)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

/// The dots of one element. Invariant: `added` and `removed` are disjoint; `removed` stays as a
/// tombstone so that an add arriving after the remove that observed it stays removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Dots {
    added: BTreeSet<Hlc>,
    removed: BTreeSet<Hlc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddWinsSet<T: Ord> {
    elements: BTreeMap<T, Dots>,
}

impl<T: Ord> Default for AddWinsSet<T> {
    fn default() -> Self {
        Self {
            elements: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> AddWinsSet<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, element: &T) -> bool {
        self.elements
            .get(element)
            .is_some_and(|dots| !dots.added.is_empty())
    }

    /// Present elements, sorted.
    pub fn elements(&self) -> impl Iterator<Item = &T> {
        self.elements
            .iter()
            .filter(|(_, dots)| !dots.added.is_empty())
            .map(|(element, _)| element)
    }

    /// The dots a remove issued now should carry: the live adds of `element`.
    pub fn observed(&self, element: &T) -> Vec<Hlc> {
        self.elements
            .get(element)
            .map(|dots| dots.added.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn add(&mut self, element: T, dot: Hlc) {
        let dots = self.elements.entry(element).or_default();
        if !dots.removed.contains(&dot) {
            dots.added.insert(dot);
        }
    }

    pub fn remove(&mut self, element: &T, observed: &[Hlc]) {
        if observed.is_empty() {
            return;
        }
        let dots = self.elements.entry(element.clone()).or_default();
        for dot in observed {
            dots.added.remove(dot);
            dots.removed.insert(dot.clone());
        }
    }

    /// State-based join: union of adds and of tombstones, minus the tombstoned adds.
    pub fn merge(&mut self, other: &AddWinsSet<T>) {
        for (element, theirs) in &other.elements {
            let dots = self.elements.entry(element.clone()).or_default();
            dots.removed.extend(theirs.removed.iter().cloned());
            dots.added.extend(theirs.added.iter().cloned());
            let Dots { added, removed } = dots;
            added.retain(|dot| !removed.contains(dot));
        }
    }
}

/// Stored as a list of entries rather than a map: JSON object keys must be strings.
#[derive(Serialize, Deserialize)]
struct Entry<T> {
    element: T,
    #[serde(flatten)]
    dots: Dots,
}

impl<T: Ord + Serialize> Serialize for AddWinsSet<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct EntryRef<'a, T> {
            element: &'a T,
            #[serde(flatten)]
            dots: &'a Dots,
        }
        serializer.collect_seq(
            self.elements
                .iter()
                .map(|(element, dots)| EntryRef { element, dots }),
        )
    }
}

impl<'de, T: Ord + Clone + Deserialize<'de>> Deserialize<'de> for AddWinsSet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut set = Self::new();
        for Entry { element, dots } in Vec::<Entry<T>>::deserialize(deserializer)? {
            if dots.added.is_empty() && dots.removed.is_empty() {
                continue;
            }
            // Through `merge`, so that a hand-edited row still satisfies the invariant.
            let mut one = Self::new();
            one.elements.insert(element, dots);
            set.merge(&one);
        }
        Ok(set)
    }
}

#[cfg(test)]
#[path = "tags_tests.rs"]
mod tests;
