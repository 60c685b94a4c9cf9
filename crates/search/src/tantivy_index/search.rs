//! Running a query: count every match, collect one page ordered by score then time (or by
//! time alone), and read each hit's id, time, kind and duration from fast fields.

use super::query::build;
use super::schema::{CAPTURED_AT, DURATION, Fields, KIND, MEDIA_HI, MEDIA_LO, kind_from_code};
use crate::analysis::{normalize_labels, words, words_analyzer};
use crate::error::Result;
use crate::model::{SearchHit, SearchPage, SearchQuery, from_micros};
use sightline_core::MediaId;
use std::collections::HashMap;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::{DocAddress, Order, Score, Searcher};
use uuid::Uuid;

pub(super) fn run(searcher: &Searcher, fields: &Fields, query: &SearchQuery) -> Result<SearchPage> {
    if query.time_is_empty() {
        return Ok(SearchPage::empty());
    }
    let query_words = words(&mut words_analyzer(), query.text.iter().map(String::as_str));
    let query_things = normalize_labels(&query.things);
    let built = build(fields, query, &query_words, &query_things);
    let page = TopDocs::with_limit(query.limit).and_offset(query.offset);

    let (total, ranked): (usize, Vec<(Score, DocAddress)>) = if built.ranked {
        let by_score_then_time = page.order_by((
            (SortBySimilarityScore, Order::Desc),
            (
                SortByStaticFastValue::<i64>::for_field(CAPTURED_AT),
                Order::Desc,
            ),
        ));
        let (total, top) = searcher.search(built.query.as_ref(), &(Count, by_score_then_time))?;
        let ranked = top
            .into_iter()
            .map(|((score, _time), address)| (score, address))
            .collect();
        (total, ranked)
    } else {
        let by_time = page.order_by_fast_field::<i64>(CAPTURED_AT, Order::Desc);
        let (total, top) = searcher.search(built.query.as_ref(), &(Count, by_time))?;
        (
            total,
            top.into_iter().map(|(_, address)| (0.0, address)).collect(),
        )
    };

    let mut columns = SegmentColumns::default();
    let hits = ranked
        .into_iter()
        .map(|(score, address)| columns.hit(searcher, score, address))
        .collect::<Result<Vec<_>>>()?;
    Ok(SearchPage::new(query, hits, total as u64))
}

/// Fast-field columns of the segments hits came from, opened once per segment.
#[derive(Default)]
struct SegmentColumns {
    by_segment: HashMap<u32, HitColumns>,
}

struct HitColumns {
    media_hi: Column<u64>,
    media_lo: Column<u64>,
    captured_at: Column<i64>,
    kind: Column<u64>,
    duration: Column<f64>,
}

impl SegmentColumns {
    fn hit(&mut self, searcher: &Searcher, score: Score, address: DocAddress) -> Result<SearchHit> {
        let columns = match self.by_segment.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let fast = searcher.segment_reader(address.segment_ord).fast_fields();
                entry.insert(HitColumns {
                    media_hi: fast.u64(MEDIA_HI)?,
                    media_lo: fast.u64(MEDIA_LO)?,
                    captured_at: fast.i64(CAPTURED_AT)?,
                    kind: fast.u64(KIND)?,
                    duration: fast.f64(DURATION)?,
                })
            }
        };
        let doc = address.doc_id;
        let hi = columns.media_hi.first(doc).unwrap_or_default();
        let lo = columns.media_lo.first(doc).unwrap_or_default();
        Ok(SearchHit {
            media: MediaId(Uuid::from_u64_pair(hi, lo)),
            score,
            captured_at: from_micros(columns.captured_at.first(doc).unwrap_or_default()),
            kind: kind_from_code(columns.kind.first(doc).unwrap_or_default()),
            duration_secs: columns.duration.first(doc),
        })
    }
}
