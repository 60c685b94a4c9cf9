//! What the index holds (one document per media item) and what a search asks for.

use crate::error::{Result, SearchError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::media::MediaKind;
use sightline_core::{DeviceId, MediaId, PersonId, PlaceId, UserId};

/// Largest page a search returns.
pub const MAX_LIMIT: usize = 1_000;
/// Deepest result a search reaches (`offset + limit`): deeper paging costs linear work.
pub const MAX_WINDOW: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 50;

/// The read-model projection of one media item: its row, people, places, detections and text.
/// Times are kept to the microsecond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaDoc {
    pub user: UserId,
    pub media: MediaId,
    pub kind: MediaKind,
    pub captured_at: DateTime<Utc>,
    pub duration_secs: Option<f64>,
    pub people: Vec<PersonId>,
    pub city: Option<String>,
    /// Towns bordering where it was taken; a city filter matches these too.
    #[serde(default)]
    pub nearby_cities: Vec<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    /// The user's own places (home, work…) the item was taken at.
    pub place_ids: Vec<PlaceId>,
    /// Object and scene detector labels.
    pub things: Vec<String>,
    /// Filename, transcript, OCR, place names, people's names…
    pub text: String,
    pub device_id: Option<DeviceId>,
}

/// A city filter; without a country code it matches the name in any country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityFilter {
    pub name: String,
    pub country_code: Option<String>,
}

/// `start` included, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One user's search. Every filter given must hold: `all_people` all present, `any_people` at
/// least one, places any of `cities`/`regions`/`countries`/`place_ids`, `kinds` and `devices` any
/// of. `things` and `text` rank results (BM25) without filtering them, unless they are all the
/// query has: then at least one must match. Without `things` or `text`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub user: UserId,
    pub all_people: Vec<PersonId>,
    pub any_people: Vec<PersonId>,
    pub cities: Vec<CityFilter>,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub place_ids: Vec<PlaceId>,
    pub time: Option<TimeRange>,
    pub kinds: Vec<MediaKind>,
    pub devices: Vec<DeviceId>,
    pub things: Vec<String>,
    /// Free words; any characters are allowed, none has a query-language meaning.
    pub text: Vec<String>,
    pub limit: usize,
    pub offset: usize,
}

impl SearchQuery {
    /// Everything of `user`, newest first, first page.
    pub fn for_user(user: UserId) -> Self {
        Self {
            user,
            all_people: Vec::new(),
            any_people: Vec::new(),
            cities: Vec::new(),
            regions: Vec::new(),
            countries: Vec::new(),
            place_ids: Vec::new(),
            time: None,
            kinds: Vec::new(),
            devices: Vec::new(),
            things: Vec::new(),
            text: Vec::new(),
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(SearchError::InvalidQuery(format!(
                "limit must be 1..={MAX_LIMIT}, got {}",
                self.limit
            )));
        }
        if self.offset.saturating_add(self.limit) > MAX_WINDOW {
            return Err(SearchError::InvalidQuery(format!(
                "offset + limit must be at most {MAX_WINDOW}"
            )));
        }
        Ok(())
    }

    /// Whether any filter beyond the user is given.
    pub fn has_filters(&self) -> bool {
        !self.all_people.is_empty()
            || !self.any_people.is_empty()
            || self.has_place_filter()
            || self.time.is_some()
            || !self.kinds.is_empty()
            || !self.devices.is_empty()
    }

    pub fn has_place_filter(&self) -> bool {
        !self.cities.is_empty()
            || !self.regions.is_empty()
            || !self.countries.is_empty()
            || !self.place_ids.is_empty()
    }

    /// A time range that no instant satisfies.
    pub(crate) fn time_is_empty(&self) -> bool {
        self.time.is_some_and(|range| range.start >= range.end)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub media: MediaId,
    /// Text relevance; 0 when the query has no text or the item matched none of it.
    pub score: f32,
    pub captured_at: DateTime<Utc>,
    pub kind: MediaKind,
    pub duration_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Items matching the query in all.
    pub total: u64,
    /// Offset of the next page, when there is one within [`MAX_WINDOW`].
    pub next_offset: Option<usize>,
}

impl SearchPage {
    pub(crate) fn new(query: &SearchQuery, hits: Vec<SearchHit>, total: u64) -> Self {
        let end = query.offset + hits.len();
        let next_offset =
            ((end as u64) < total && end < MAX_WINDOW && !hits.is_empty()).then_some(end);
        Self {
            hits,
            total,
            next_offset,
        }
    }

    pub(crate) fn empty() -> Self {
        Self {
            hits: Vec::new(),
            total: 0,
            next_offset: None,
        }
    }
}

/// Microseconds since the epoch: the precision the index keeps.
pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}
