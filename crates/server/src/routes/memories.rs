//! Memory videos from a sentence: `POST /memories/create` understands the words at once (a
//! query naming someone unknown is answered with the word, not a silent empty video), answers
//! from the result cache when nothing in the library changed, or queues the `memory` worker.

use super::RequestId;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_core::MemoryId;
use sightline_core::event::{MemoryEvent, NewEvent, Topic};
use sightline_core::query::Understood;
use sightline_store::library::{Memory, MemoryStatus};

pub const DEFAULT_MAX_DURATION_SECS: u32 = 120;
const MAX_DURATION_RANGE: std::ops::RangeInclusive<u32> = 10..=600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMemory {
    query: String,
    /// Seconds; else what the sentence asked ("a 1-minute video"), else 120.
    max_duration: Option<u32>,
    /// Show matching photos as 3 s Ken Burns stills between the video clips.
    #[serde(default)]
    include_photos: bool,
}

#[derive(Deserialize)]
pub struct ListParams {
    limit: Option<u32>,
}

fn memory_id(text: &str) -> ApiResult<MemoryId> {
    MemoryId::parse(text).map_err(|_| ApiError::NotFound)
}

/// The API's view of a memory.
pub fn view(state: &AppState, memory: &Memory, cached: bool) -> Value {
    let ready = memory.status == MemoryStatus::Ready;
    let link = |key: &Option<String>| key.as_ref().filter(|_| ready).map(|k| state.signed_url(k));
    json!({
        "memory_id": memory.id,
        "status": memory.status,
        "query": memory.query,
        "understood": memory.understood,
        "reason": memory.reason,
        "max_duration": memory.max_duration_secs,
        "duration_secs": memory.duration_secs,
        "video_url": link(&memory.video_key),
        "thumbnail_url": link(&memory.thumbnail_key),
        "clips_used": memory.clips,
        "render_ms": memory.render_ms,
        "cached": cached,
        "created_at": memory.created_at,
        "updated_at": memory.updated_at,
    })
}

/// What the worker reads back: the parsed query, its human echo and the request's options.
pub fn understood_json(
    understood: &Understood,
    description: &str,
    include_photos: bool,
) -> ApiResult<Value> {
    let mut value = serde_json::to_value(understood).map_err(ApiError::internal)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("description".into(), Value::String(description.into()));
        object.insert(INCLUDE_PHOTOS.into(), Value::Bool(include_photos));
    }
    Ok(value)
}

/// Key of the photo option in a memory's `understood`.
pub const INCLUDE_PHOTOS: &str = "include_photos";

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    body: Result<Json<CreateMemory>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(body) = body?;
    if let Some(max) = body.max_duration
        && !MAX_DURATION_RANGE.contains(&max)
    {
        return Err(ApiError::BadRequest(format!(
            "max_duration must be {} to {} seconds",
            MAX_DURATION_RANGE.start(),
            MAX_DURATION_RANGE.end()
        )));
    }
    let user = caller.user_id;
    let (vocabulary, version) = state
        .vocabularies
        .get(&state, user)
        .await
        .map_err(ApiError::internal)?;
    let understood = vocabulary
        .understand(&body.query)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let max_duration = body
        .max_duration
        .or(understood.duration_seconds)
        .unwrap_or(DEFAULT_MAX_DURATION_SECS)
        .clamp(*MAX_DURATION_RANGE.start(), *MAX_DURATION_RANGE.end());
    let photos = if body.include_photos { "|photos" } else { "" };
    let cache_key = format!("{}|max={max_duration}{photos}", understood.canonical());
    let library = &state.backends.library;
    if let Some(hit) = library.cached_memory(user, &cache_key, version).await? {
        let status = if hit.status.in_progress() {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        };
        return Ok((status, Json(view(&state, &hit, true))));
    }

    let now = Utc::now();
    let memory = Memory {
        id: MemoryId::new_random(),
        user_id: user,
        query: body.query.trim().to_string(),
        cache_key,
        understood: understood_json(
            &understood,
            &vocabulary.describe(&understood),
            body.include_photos,
        )?,
        max_duration_secs: max_duration,
        library_version: version,
        status: MemoryStatus::Queued,
        reason: None,
        clips: Value::Null,
        video_key: None,
        thumbnail_key: None,
        duration_secs: None,
        render_ms: None,
        created_at: now,
        updated_at: now,
    };
    let requested = NewEvent::new(
        Topic::MemoryRequested,
        &MemoryEvent::new(user, memory.id, &request.0),
    );
    library.insert_memory(&memory, &[requested]).await?;
    state.wake.notify_waiters();
    let mut answer = view(&state, &memory, false);
    // Smart-cut assembly of a 2-minute memory takes seconds; finding the clips, milliseconds.
    answer["estimated_completion"] = json!(now + chrono::Duration::seconds(5));
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let memory = state
        .backends
        .library
        .memory(caller.user_id, memory_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, &memory, false)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    let memories = state
        .backends
        .library
        .memories(caller.user_id, limit)
        .await?;
    let items: Vec<Value> = memories.iter().map(|m| view(&state, m, false)).collect();
    Ok(Json(json!({ "memories": items })))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let memory = state
        .backends
        .library
        .delete_memory(caller.user_id, memory_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let blobs = &state.backends.blobs;
    for key in [&memory.video_key, &memory.thumbnail_key]
        .into_iter()
        .flatten()
    {
        blobs.delete(key).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
