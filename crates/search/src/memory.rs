//! In-memory search index for unit tests of callers: a scan over the user's documents with the
//! same filters and term normalisation as the tantivy index. Ranking counts matched words and
//! labels instead of BM25, so only clear-cut orderings agree between the two.

use crate::analysis::{
    city_query_term, city_terms, normalize_country, normalize_labels, normalize_name, words,
    words_analyzer,
};
use crate::error::Result;
use crate::index::SearchIndex;
use crate::model::{MediaDoc, SearchHit, SearchPage, SearchQuery, from_micros, to_micros};
use async_trait::async_trait;
use sightline_core::{MediaId, UserId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Default)]
pub struct MemorySearchIndex {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    committed: BTreeMap<UserId, HashMap<MediaId, IndexedDoc>>,
    staged: Vec<Change>,
}

enum Change {
    Upsert(Vec<MediaDoc>),
    Delete(UserId, MediaId),
    DeleteUser(UserId),
    Clear,
}

/// A document with its terms computed as the tantivy index would.
struct IndexedDoc {
    doc: MediaDoc,
    captured_at_micros: i64,
    city_terms: Vec<String>,
    region: Option<String>,
    country: Option<String>,
    things: Vec<String>,
    words: Vec<String>,
}

impl IndexedDoc {
    fn new(doc: MediaDoc) -> Self {
        let mut analyzer = words_analyzer();
        Self {
            captured_at_micros: to_micros(doc.captured_at),
            city_terms: doc
                .city
                .iter()
                .chain(&doc.nearby_cities)
                .flat_map(|city| city_terms(city, doc.country_code.as_deref()))
                .collect(),
            region: doc.region.as_deref().and_then(normalize_name),
            country: doc.country_code.as_deref().and_then(normalize_country),
            things: normalize_labels(&doc.things),
            words: words(&mut analyzer, [doc.text.as_str()]),
            doc,
        }
    }

    fn passes_filters(&self, query: &SearchQuery) -> bool {
        let doc = &self.doc;
        (query.kinds.is_empty() || query.kinds.contains(&doc.kind))
            && (query.devices.is_empty()
                || doc.device_id.is_some_and(|d| query.devices.contains(&d)))
            && query.all_people.iter().all(|p| doc.people.contains(p))
            && (query.any_people.is_empty()
                || query.any_people.iter().any(|p| doc.people.contains(p)))
            && (!query.has_place_filter() || self.is_at_any_place(query))
            && query.time.is_none_or(|range| {
                (to_micros(range.start)..to_micros(range.end)).contains(&self.captured_at_micros)
            })
    }

    fn is_at_any_place(&self, query: &SearchQuery) -> bool {
        query.cities.iter().any(|city| {
            city_query_term(&city.name, city.country_code.as_deref())
                .is_some_and(|term| self.city_terms.contains(&term))
        }) || query
            .regions
            .iter()
            .any(|region| normalize_name(region).is_some_and(|r| self.region.as_ref() == Some(&r)))
            || query.countries.iter().any(|country| {
                normalize_country(country).is_some_and(|c| self.country.as_ref() == Some(&c))
            })
            || query
                .place_ids
                .iter()
                .any(|p| self.doc.place_ids.contains(p))
    }

    /// Matched query words plus matched labels.
    fn score(&self, query_words: &[String], query_things: &[String]) -> f32 {
        let words = query_words
            .iter()
            .filter(|w| self.words.contains(w))
            .count();
        let things = query_things
            .iter()
            .filter(|t| self.things.contains(t))
            .count();
        (words + things) as f32
    }
}

impl MemorySearchIndex {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is only replaced whole, so a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl SearchIndex for MemorySearchIndex {
    async fn upsert(&self, docs: Vec<MediaDoc>) -> Result<()> {
        self.state().staged.push(Change::Upsert(docs));
        Ok(())
    }

    async fn delete(&self, user: UserId, media: MediaId) -> Result<()> {
        self.state().staged.push(Change::Delete(user, media));
        Ok(())
    }

    async fn delete_user(&self, user: UserId) -> Result<()> {
        self.state().staged.push(Change::DeleteUser(user));
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        self.state().staged.push(Change::Clear);
        Ok(())
    }

    async fn commit(&self) -> Result<()> {
        let mut state = self.state();
        let staged = std::mem::take(&mut state.staged);
        for change in staged {
            match change {
                Change::Upsert(docs) => {
                    for doc in docs {
                        state
                            .committed
                            .entry(doc.user)
                            .or_default()
                            .insert(doc.media, IndexedDoc::new(doc));
                    }
                }
                Change::Delete(user, media) => {
                    if let Some(docs) = state.committed.get_mut(&user) {
                        docs.remove(&media);
                    }
                }
                Change::DeleteUser(user) => {
                    state.committed.remove(&user);
                }
                Change::Clear => state.committed.clear(),
            }
        }
        Ok(())
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        query.validate()?;
        if query.time_is_empty() {
            return Ok(SearchPage::empty());
        }
        let mut analyzer = words_analyzer();
        let query_words = words(&mut analyzer, query.text.iter().map(String::as_str));
        let query_things = normalize_labels(&query.things);
        let has_words = !query_words.is_empty() || !query_things.is_empty();
        let must_match_text = has_words && !query.has_filters();

        let state = self.state();
        let Some(docs) = state.committed.get(&query.user) else {
            return Ok(SearchPage::empty());
        };
        let mut matches: Vec<(f32, &IndexedDoc)> = docs
            .values()
            .filter(|doc| doc.passes_filters(query))
            .map(|doc| (doc.score(&query_words, &query_things), doc))
            .filter(|(score, _)| !must_match_text || *score > 0.0)
            .collect();
        matches.sort_by(|(score_a, a), (score_b, b)| {
            score_b
                .total_cmp(score_a)
                .then(b.captured_at_micros.cmp(&a.captured_at_micros))
                .then(a.doc.media.cmp(&b.doc.media))
        });
        let total = matches.len() as u64;
        let hits = matches
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(|(score, indexed)| SearchHit {
                media: indexed.doc.media,
                score,
                captured_at: from_micros(indexed.captured_at_micros),
                kind: indexed.doc.kind,
                duration_secs: indexed.doc.duration_secs.filter(|d| d.is_finite()),
            })
            .collect();
        Ok(SearchPage::new(query, hits, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testsuite::search_index_suite;

    #[tokio::test]
    async fn passes_the_suite() {
        search_index_suite(&MemorySearchIndex::default()).await;
    }
}
