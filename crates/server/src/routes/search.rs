//! `POST /videos/search`: the seeds' search, a sentence and/or explicit filters → matching
//! videos with their best segments.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::memories::plan::matching_media;
use crate::memories::understand::Vocabulary;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_core::PersonId;
use sightline_core::media::MediaKind;
use sightline_core::query::proper_nouns;
use sightline_core::query::{Intent, PersonMention, Place, TimeRange, Understood};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[serde(default)]
    query: String,
    #[serde(default)]
    filters: Filters,
    limit: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    date_range: Option<DateRange>,
    /// Person ids; every one must appear.
    #[serde(default)]
    people: Vec<PersonId>,
    /// Names of the user's places or of cities; any of them.
    #[serde(default)]
    places: Vec<String>,
    /// `video` and/or `photo`; default videos.
    #[serde(default)]
    kinds: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn far_future() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

fn empty_query() -> Understood {
    Understood {
        intent: Intent::Search,
        people_all: Vec::new(),
        people_any: Vec::new(),
        places: Vec::new(),
        time: None,
        things: Vec::new(),
        words: Vec::new(),
        duration_seconds: None,
    }
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<SearchBody>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let limit = body.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    let user = caller.user_id;
    let (vocabulary, _) = state
        .vocabularies
        .get(&state, user)
        .await
        .map_err(ApiError::internal)?;
    let mut understood = if body.query.trim().is_empty() {
        empty_query()
    } else {
        vocabulary
            .understand(&body.query)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?
    };
    apply_filters(&mut understood, &body.filters, &vocabulary)?;
    let kinds = parse_kinds(&body.filters.kinds)?;

    let required = proper_nouns(&body.query, &understood);
    let matches = matching_media(&state, user, &understood, &kinds, &required)
        .await
        .map_err(ApiError::internal)?;
    let total = matches.len();
    let videos: Vec<Value> = matches
        .iter()
        .take(limit)
        .map(|m| {
            let ready_link = |key: &Option<String>| key.as_ref().map(|k| state.signed_url(k));
            json!({
                "video_id": m.media.id,
                "kind": m.media.kind,
                "captured_at": m.media.captured_at,
                "duration": m.media.facts.as_ref().and_then(|f| f.duration_secs),
                "thumbnail_url": ready_link(&m.media.thumbnail_key),
                "relevance": m.relevance,
                "matched_clips": m.segments.iter().map(|s| json!({
                    "start_secs": s.start_secs,
                    "end_secs": s.end_secs,
                    "score": s.score,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "videos": videos,
        "total": total,
        "understood": vocabulary.describe(&understood),
    })))
}

fn parse_kinds(kinds: &[String]) -> ApiResult<Vec<MediaKind>> {
    if kinds.is_empty() {
        return Ok(vec![MediaKind::Video]);
    }
    kinds
        .iter()
        .map(|k| {
            k.parse().map_err(|e: sightline_core::media::InvalidEnum| {
                ApiError::BadRequest(e.to_string())
            })
        })
        .collect()
}

/// Explicit filters narrow what the sentence said: people add to those that must appear,
/// places replace the sentence's, a date range replaces its time.
fn apply_filters(
    understood: &mut Understood,
    filters: &Filters,
    vocabulary: &Vocabulary,
) -> ApiResult<()> {
    for id in &filters.people {
        let person = vocabulary
            .people
            .iter()
            .find(|p| p.id == *id)
            .ok_or_else(|| {
                ApiError::BadRequest(format!("person {id} is not one of your people"))
            })?;
        if !understood.people_all.iter().any(|m| m.person == *id) {
            understood.people_all.push(PersonMention {
                person: *id,
                said: person.name.clone(),
            });
        }
    }
    if !filters.places.is_empty() {
        understood.places = filters
            .places
            .iter()
            .map(|name| {
                let own = vocabulary
                    .places
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name.trim()));
                match own {
                    Some(p) => Place::UserPlace {
                        id: p.id,
                        name: p.name.clone(),
                    },
                    None => Place::City {
                        name: name.trim().to_string(),
                        country_code: String::new(),
                    },
                }
            })
            .collect();
    }
    if let Some(range) = &filters.date_range {
        let start = range.from.map(|t| t.date_naive()).unwrap_or_default();
        let end = range
            .to
            .map(|t| t.date_naive() + chrono::Days::new(1))
            .unwrap_or(far_future());
        if start >= end {
            return Err(ApiError::BadRequest(
                "date_range.from must be before date_range.to".into(),
            ));
        }
        understood.time = Some(TimeRange {
            start,
            end,
            phrase: "date_range".into(),
        });
    }
    Ok(())
}
