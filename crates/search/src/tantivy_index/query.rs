//! A [`SearchQuery`] built into tantivy queries term by term: user words are tokenised, never
//! parsed, so no character of theirs has a query-language meaning.

use super::schema::{Fields, kind_code};
use crate::analysis::{city_query_term, normalize_country, normalize_name};
use crate::model::{SearchQuery, to_micros};
use std::ops::Bound;
use tantivy::Term;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

/// The tantivy query, and whether it ranks by text (otherwise results are ordered by time).
pub(crate) struct BuiltQuery {
    pub query: Box<dyn Query>,
    pub ranked: bool,
}

/// `words` and `things` are the query's normalised words and labels.
pub(crate) fn build(
    fields: &Fields,
    query: &SearchQuery,
    words: &[String],
    things: &[String],
) -> BuiltQuery {
    let filter = filters(fields, query);
    let rankers: Vec<Box<dyn Query>> = words
        .iter()
        .map(|word| ranked_term(Term::from_field_text(fields.text, word)))
        .chain(
            things
                .iter()
                .map(|thing| ranked_term(Term::from_field_text(fields.things, thing))),
        )
        .collect();
    if rankers.is_empty() {
        return BuiltQuery {
            query: filter,
            ranked: false,
        };
    }
    let mut clauses = vec![(Occur::Must, filter)];
    if query.has_filters() {
        // Words only rank what the filters select.
        clauses.extend(rankers.into_iter().map(|ranker| (Occur::Should, ranker)));
    } else {
        // Words are the whole query: at least one must match.
        clauses.push((Occur::Must, Box::new(BooleanQuery::union(rankers))));
    }
    BuiltQuery {
        query: Box::new(BooleanQuery::new(clauses)),
        ranked: true,
    }
}

/// Every filter, the user first, scoring nothing.
fn filters(fields: &Fields, query: &SearchQuery) -> Box<dyn Query> {
    let mut required: Vec<Box<dyn Query>> = vec![exact(Term::from_field_bytes(
        fields.user,
        query.user.0.as_bytes(),
    ))];
    if !query.kinds.is_empty() {
        let kinds = query
            .kinds
            .iter()
            .map(|kind| Term::from_field_u64(fields.kind, kind_code(*kind)));
        required.push(any_of(kinds));
    }
    if !query.devices.is_empty() {
        required.push(any_of(
            query.devices.iter().map(|d| id_term(fields.device, &d.0)),
        ));
    }
    required.extend(
        query
            .all_people
            .iter()
            .map(|person| exact(id_term(fields.people, &person.0))),
    );
    if !query.any_people.is_empty() {
        required.push(any_of(
            query
                .any_people
                .iter()
                .map(|p| id_term(fields.people, &p.0)),
        ));
    }
    if query.has_place_filter() {
        required.push(any_of(place_terms(fields, query)));
    }
    if let Some(range) = query.time {
        required.push(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(
                fields.captured_at,
                to_micros(range.start),
            )),
            Bound::Excluded(Term::from_field_i64(
                fields.captured_at,
                to_micros(range.end),
            )),
        )));
    }
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::intersection(required)),
        0.0,
    ))
}

/// Any of the cities, regions, countries and user places. A blank name yields no term, so a
/// place filter of blanks matches nothing rather than everything.
fn place_terms(fields: &Fields, query: &SearchQuery) -> Vec<Term> {
    let cities = query.cities.iter().filter_map(|city| {
        city_query_term(&city.name, city.country_code.as_deref())
            .map(|term| Term::from_field_text(fields.city, &term))
    });
    let regions = query
        .regions
        .iter()
        .filter_map(|region| normalize_name(region))
        .map(|region| Term::from_field_text(fields.region, &region));
    let countries = query
        .countries
        .iter()
        .filter_map(|country| normalize_country(country))
        .map(|country| Term::from_field_text(fields.country, &country));
    let places = query.place_ids.iter().map(|p| id_term(fields.place, &p.0));
    cities
        .chain(regions)
        .chain(countries)
        .chain(places)
        .collect()
}

fn id_term(field: Field, id: &uuid::Uuid) -> Term {
    Term::from_field_bytes(field, id.as_bytes())
}

fn exact(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn ranked_term(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// Matches documents with at least one of `terms`; none at all when `terms` is empty.
fn any_of(terms: impl IntoIterator<Item = Term>) -> Box<dyn Query> {
    let clauses: Vec<Box<dyn Query>> = terms.into_iter().map(exact).collect();
    if clauses.is_empty() {
        return Box::new(tantivy::query::EmptyQuery);
    }
    Box::new(BooleanQuery::union(clauses))
}
