//! The public shapes: what `understand` reads (the user's context) and what it returns.

use crate::ids::{PersonId, PlaceId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything outside the sentence that understanding depends on.
pub struct QueryContext<'a> {
    /// Relative expressions ("last summer", "3 days ago") are resolved against this day.
    pub today: NaiveDate,
    /// The user's own people. At most one should have `is_me`; the first one wins.
    pub people: &'a [KnownPerson],
    /// Places the user named ("home", "grandma's", "the office").
    pub places: &'a [KnownPlace],
    /// World place names.
    pub gazetteer: &'a dyn Gazetteer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPerson {
    pub id: PersonId,
    pub name: String,
    /// Free text as the user typed it ("wife", "Mum", "best friend"); synonyms are mapped.
    pub relationship: Option<String>,
    pub is_me: bool,
    pub birthday: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPlace {
    pub id: PlaceId,
    pub name: String,
}

/// World place names, e.g. built from GeoNames.
pub trait Gazetteer: Send + Sync {
    /// `phrase` is lower-case, single-spaced, 1 to 4 words, without a trailing possessive.
    /// Hyphens and periods separate words ("Ile-de-France" → "ile de france", "St. Louis" →
    /// "st louis"); apostrophes inside words stay as `'`. Return the most likely place for
    /// ambiguous names.
    fn lookup(&self, phrase: &str) -> Option<GazetteerHit>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GazetteerHit {
    City { name: String, country_code: String },
    Region { name: String, country_code: String },
    Country { code: String, name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Build a memory video from the matches.
    CreateMemory,
    /// List the matches.
    Search,
}

/// A person who must appear, with the words that named them ("my wife", "me", "Anna's").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMention {
    pub person: PersonId,
    pub said: String,
}

/// At least one member must appear ("my family", "the kids").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleGroup {
    pub said: String,
    pub members: Vec<PersonId>,
}

/// A place filter; a media item matches if it matches any of the query's places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// Filter by this name and country code as the gazetteer gave them.
    City {
        name: String,
        country_code: String,
    },
    Region {
        name: String,
        country_code: String,
    },
    Country {
        code: String,
        name: String,
    },
    UserPlace {
        id: PlaceId,
        name: String,
    },
}

/// Dates from `start` (inclusive) to `end` (exclusive), in the user's local calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The words that produced the range, as typed ("last summer", "May 12, 2024").
    pub phrase: String,
}

/// What a query means. Filters combine with AND: every person in `people_all`, at least one
/// member of each group in `people_any`, any of `places`, inside `time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Understood {
    pub intent: Intent,
    pub people_all: Vec<PersonMention>,
    pub people_any: Vec<PeopleGroup>,
    pub places: Vec<Place>,
    pub time: Option<TimeRange>,
    /// Labels from [`vocabulary()`](super::vocabulary), in the order they were mentioned.
    pub things: Vec<String>,
    /// The remaining meaningful words, lower-case, for full-text and semantic search.
    pub words: Vec<String>,
    /// Requested length of the memory video.
    pub duration_seconds: Option<u32>,
}
