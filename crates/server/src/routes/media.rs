//! The library: list with cursor pagination and filters, one item with signed URLs, delete.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::RequestId;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sightline_core::blob_key;
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::geo::GeoPoint;
use sightline_core::media::{MediaFacts, MediaKind, MediaStatus};
use sightline_core::{MediaId, UserId};
use sightline_store::model::{Media, MediaCursor, MediaQuery};

#[derive(Deserialize)]
pub struct ListParams {
    limit: Option<u32>,
    cursor: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    kind: Option<String>,
    status: Option<String>,
    /// Search filters: served from the search index (ready items only).
    person: Option<String>,
    place: Option<String>,
    city: Option<String>,
    country: Option<String>,
    q: Option<String>,
}

impl ListParams {
    fn wants_search(&self) -> bool {
        self.person.is_some()
            || self.place.is_some()
            || self.city.is_some()
            || self.country.is_some()
            || self.q.is_some()
    }
}

#[derive(Serialize)]
pub struct MediaView {
    id: MediaId,
    kind: MediaKind,
    status: MediaStatus,
    failure_reason: Option<String>,
    filename: Option<String>,
    device_id: Option<sightline_core::DeviceId>,
    captured_at: DateTime<Utc>,
    location: Option<GeoPoint>,
    size_bytes: u64,
    facts: Option<MediaFacts>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    urls: Value,
    /// The synced fields (merged from every device's edits; see `routes::sync`).
    title: Option<String>,
    favourite: bool,
    tags: Vec<String>,
    deleted: bool,
    /// Who appears in it (single-item reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    people: Option<Vec<Value>>,
    /// Place names derived from its GPS (single-item reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<Value>,
}

/// The item's signed file URLs: `original`, and `thumbnail`, `preview`, `rendition` once ready.
pub(super) fn urls(state: &AppState, media: &Media) -> Value {
    // Derived files are only linked once the item is ready: nothing half-made is served.
    let ready = media.status == MediaStatus::Ready;
    let link = |key: &Option<String>| key.as_ref().filter(|_| ready).map(|k| state.signed_url(k));
    json!({
        "original": state.signed_url(&media.raw_key),
        "thumbnail": link(&media.thumbnail_key),
        "preview": link(&media.preview_key),
        "rendition": link(&media.rendition_key),
    })
}

pub(super) fn view(state: &AppState, media: Media) -> MediaView {
    let urls = urls(state, &media);
    MediaView {
        id: media.id,
        kind: media.kind,
        status: media.status,
        failure_reason: media.failure_reason,
        filename: media.filename,
        device_id: media.device_id,
        captured_at: media.captured_at,
        location: media.location,
        size_bytes: media.size_bytes,
        facts: media.facts,
        created_at: media.created_at,
        updated_at: media.updated_at,
        urls,
        title: None,
        favourite: false,
        tags: Vec::new(),
        deleted: false,
        people: None,
        place: None,
    }
}

impl MediaView {
    /// Shows the item's merged edits.
    pub(super) fn set_synced(&mut self, synced: &sightline_core::sync::MediaView) {
        self.title = synced.title.clone();
        self.favourite = synced.favourite;
        self.tags = synced.tags.clone();
        self.deleted = synced.deleted;
    }
}

/// Fills in the synced fields of the items that were ever edited.
async fn with_synced(
    state: &AppState,
    user: sightline_core::UserId,
    items: &mut [MediaView],
) -> ApiResult<()> {
    let ids: Vec<MediaId> = items.iter().map(|i| i.id).collect();
    let synced = state.backends.sync.synced(user, &ids).await?;
    for item in items {
        if let Some(edits) = synced.get(&item.id) {
            item.set_synced(&edits.visible());
        }
    }
    Ok(())
}

fn encode_cursor(media: &Media) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        media.captured_at.timestamp_millis(),
        media.id
    ))
}

fn decode_cursor(text: &str) -> ApiResult<MediaCursor> {
    let bad = || ApiError::BadRequest("cursor is not one this server issued".into());
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (ms, id) = raw.split_once(':').ok_or_else(bad)?;
    Ok(MediaCursor {
        captured_at_ms: ms.parse().map_err(|_| bad())?,
        id: MediaId::parse(id).map_err(|_| bad())?,
    })
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 500".into()));
    }
    if params.wants_search() {
        return search_list(&state, caller, &params, limit).await;
    }
    let query =
        MediaQuery {
            from: params.from,
            to: params.to,
            kind: params.kind.map(|k| k.parse()).transpose().map_err(
                |e: sightline_core::media::InvalidEnum| ApiError::BadRequest(e.to_string()),
            )?,
            status: params.status.map(|s| s.parse()).transpose().map_err(
                |e: sightline_core::media::InvalidEnum| ApiError::BadRequest(e.to_string()),
            )?,
            after: params.cursor.as_deref().map(decode_cursor).transpose()?,
            limit: limit + 1,
        };
    let mut items = state
        .backends
        .metadata
        .list_media(caller.user_id, &query)
        .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(encode_cursor)
    } else {
        None
    };
    let mut items: Vec<MediaView> = items.into_iter().map(|m| view(&state, m)).collect();
    with_synced(&state, caller.user_id, &mut items).await?;
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })))
}

/// A bound for an open-ended time range that every backend can represent.
fn far(year: i32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `GET /media` with search filters: the read model answers, paged by offset.
async fn search_list(
    state: &AppState,
    caller: Caller,
    params: &ListParams,
    limit: u32,
) -> ApiResult<Json<Value>> {
    let bad = |what: &str| ApiError::BadRequest(format!("{what} must be a UUID"));
    let mut query = sightline_search::SearchQuery::for_user(caller.user_id);
    if let Some(person) = &params.person {
        query
            .all_people
            .push(sightline_core::PersonId::parse(person).map_err(|_| bad("person"))?);
    }
    if let Some(place) = &params.place {
        query
            .place_ids
            .push(sightline_core::PlaceId::parse(place).map_err(|_| bad("place"))?);
    }
    if let Some(city) = &params.city {
        query.cities.push(sightline_search::CityFilter {
            name: city.clone(),
            country_code: None,
        });
    }
    if let Some(country) = &params.country {
        query.countries.push(country.to_uppercase());
    }
    if let Some(q) = &params.q {
        query.text = q.split_whitespace().map(str::to_lowercase).collect();
    }
    if params.from.is_some() || params.to.is_some() {
        query.time = Some(sightline_search::TimeRange {
            start: params.from.unwrap_or_else(|| far(1900)),
            end: params.to.unwrap_or_else(|| far(9999)),
        });
    }
    if let Some(kind) = &params.kind {
        query.kinds.push(
            kind.parse()
                .map_err(|e: sightline_core::media::InvalidEnum| {
                    ApiError::BadRequest(e.to_string())
                })?,
        );
    }
    let bad_cursor = || ApiError::BadRequest("cursor is not one this server issued".into());
    query.offset = match &params.cursor {
        None => 0,
        Some(text) => String::from_utf8(URL_SAFE_NO_PAD.decode(text).map_err(|_| bad_cursor())?)
            .ok()
            .and_then(|t| t.strip_prefix("s:").and_then(|n| n.parse().ok()))
            .ok_or_else(bad_cursor)?,
    };
    query.limit = limit as usize;
    let page = state
        .search
        .search(&query)
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut items = Vec::with_capacity(page.hits.len());
    for hit in &page.hits {
        if let Some(media) = state
            .backends
            .metadata
            .media(caller.user_id, hit.media)
            .await?
        {
            items.push(view(state, media));
        }
    }
    with_synced(state, caller.user_id, &mut items).await?;
    let next_cursor = page
        .next_offset
        .map(|n| URL_SAFE_NO_PAD.encode(format!("s:{n}")));
    Ok(Json(
        json!({ "items": items, "next_cursor": next_cursor, "total": page.total }),
    ))
}

fn parse_id(id: &str) -> ApiResult<MediaId> {
    MediaId::parse(id).map_err(|_| ApiError::NotFound)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<MediaView>> {
    let media = state
        .backends
        .metadata
        .media(caller.user_id, parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let library = &state.backends.library;
    let (appearances, people, annotations) = tokio::try_join!(
        library.appearances_in(caller.user_id, media.id),
        library.people(caller.user_id),
        library.annotations(caller.user_id, media.id),
    )?;
    let mut item = view(&state, media);
    with_synced(&state, caller.user_id, std::slice::from_mut(&mut item)).await?;
    item.people = Some(
        appearances
            .into_iter()
            .map(|a| {
                let person = people.iter().find(|p| p.id == a.person_id);
                json!({
                    "appearance_id": a.id,
                    "person_id": a.person_id,
                    "name": person.map(|p| p.name.as_str()),
                    "relationship": person.and_then(|p| p.relationship.as_deref()),
                    "start_secs": a.start_secs,
                    "end_secs": a.end_secs,
                })
            })
            .collect(),
    );
    item.place = annotations
        .filter(|a| a.country_code.is_some())
        .map(|a| json!({ "city": a.city, "nearby": a.nearby, "region": a.region, "country_code": a.country_code, "country": a.country }));
    Ok(Json(item))
}

/// Removes the row, then the original and every derived file. The `media.deleted` event lets
/// the cleanup consumer finish the blob removal if this process dies in between.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    if delete_item(&state, caller.user_id, id, request_id.0).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Removes an item's row (with a `media.deleted` event) and every blob; false if it was not
/// there.
pub async fn delete_item(
    state: &AppState,
    user: UserId,
    id: MediaId,
    request_id: String,
) -> ApiResult<bool> {
    let event = NewEvent::media(Topic::MediaDeleted, &MediaEvent::new(user, id, request_id));
    let Some(media) = state
        .backends
        .metadata
        .delete_media(user, id, &[event])
        .await?
    else {
        return Ok(false);
    };
    remove_blobs(state, &media).await?;
    Ok(true)
}

pub async fn remove_blobs(state: &AppState, media: &Media) -> ApiResult<()> {
    let blobs = &state.backends.blobs;
    blobs.delete(&media.raw_key).await?;
    blobs
        .delete_prefix(&blob_key::processed_prefix(media.user_id, media.id))
        .await?;
    // Deleted means deleted everywhere, the off-site copy included.
    if let Some(offsite) = &state.offsite {
        offsite.delete(&media.raw_key).await?;
    }
    Ok(())
}

/// Jobs that gave up, for the caller's own media.
pub async fn dead_letters(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let own = caller.user_id.to_string();
    let letters: Vec<_> = state
        .backends
        .bus
        .dead_letters(500)
        .await?
        .into_iter()
        .filter(|d| d.payload.get("user_id").and_then(Value::as_str) == Some(own.as_str()))
        .collect();
    Ok(Json(json!({ "dead_letters": letters })))
}
