//! Doorbell events: `POST /devices/{id}/events` (the device itself, or its owner) stores one,
//! idempotently by its `event_id`, with a `doorbell.event` on the bus in the same transaction;
//! `GET /devices/{id}/events` and `GET /events` page through them newest first, in the seed's
//! shape. The clip's links are the media item's signed URLs: `video_url` is the rendition once
//! processing made one and the uploaded original until then; `thumbnail_url` appears once the
//! item is ready. `PATCH /devices/{id}/events/{event_id}` attaches the full clip once the
//! event is over, in place of the short alert clip it was posted with, with a
//! `doorbell.clip_updated` on the bus in the same transaction.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::RequestId;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_core::DeviceId;
use sightline_core::doorbell_event::{
    ClipUpdateInput, DoorbellEvent, DoorbellEventNotice, EventInput, EventType,
};
use sightline_core::event::{NewEvent, Topic};
use sightline_core::ids::DoorbellEventId;
use sightline_store::doorbell_events::{
    EventCursor, EventQuery, InsertOutcome, MAX_PAGE, UpdateOutcome,
};

fn device_id(id: &str) -> ApiResult<DeviceId> {
    DeviceId::parse(id).map_err(|_| ApiError::NotFound)
}

/// A device token may only act on its own device; anything else looks absent.
fn check_device(caller: &Caller, device: DeviceId) -> ApiResult<()> {
    match caller.device_id {
        Some(own) if own != device => Err(ApiError::NotFound),
        _ => Ok(()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
    body: Result<Json<EventInput>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let device = device_id(&id)?;
    check_device(&caller, device)?;
    let Json(body) = body?;
    let now = Utc::now();
    let checked = body
        .validate(now)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let event = DoorbellEvent::new(caller.user_id, device, checked, now);
    let notice = DoorbellEventNotice::of(&event, request_id.0);
    let mut notices = vec![NewEvent::new(Topic::DoorbellEvent, &notice)];
    // Nothing for the AI tier to look at: the event is as classified as it gets, and its
    // notification need not wait for a hop through the classifier.
    if !crate::workers::classify::needs_classification(&state, &event) {
        notices.push(NewEvent::new(Topic::DoorbellClassified, &notice));
    }
    let (status, stored) = match state
        .backends
        .doorbell_events
        .insert_event(&event, &notices)
        .await?
    {
        InsertOutcome::Created(stored) => (StatusCode::CREATED, stored),
        InsertOutcome::Existing(stored) if stored.device_id == device => (StatusCode::OK, stored),
        InsertOutcome::Existing(_) => {
            return Err(ApiError::Conflict(
                "event_id is already used by an event of another device".into(),
            ));
        }
        InsertOutcome::UnknownClip => {
            return Err(ApiError::BadRequest(format!(
                "media_id {} is not one of your media: upload the clip first",
                event.media_id.map(|m| m.to_string()).unwrap_or_default()
            )));
        }
    };
    if status == StatusCode::CREATED {
        tracing::info!(event = %stored.id, device = %device, kind = %stored.event_type, "doorbell event stored");
        // The notification consumers start at once instead of at their next poll.
        state.wake.notify_waiters();
    }
    Ok((status, Json(view(&state, &stored).await?)))
}

/// `PATCH /devices/{id}/events/{event_id}`: the full clip (and duration, and confidence and
/// detections when given). Idempotent: the same body again answers the same and writes nothing.
pub async fn update_clip(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    Path((id, event_id)): Path<(String, String)>,
    body: Result<Json<ClipUpdateInput>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let device = device_id(&id)?;
    check_device(&caller, device)?;
    let event_id = DoorbellEventId::parse(&event_id).map_err(|_| ApiError::NotFound)?;
    let Json(body) = body?;
    let update = body
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The notice is built from the row as it will read; what it says besides the clip (type,
    // time, device) never changes, so reading first is no race.
    let current = state
        .backends
        .doorbell_events
        .event(caller.user_id, event_id)
        .await?
        .filter(|e| e.device_id == device)
        .ok_or(ApiError::NotFound)?;
    let request = request_id.0;
    let notice = NewEvent::new(
        Topic::DoorbellClipUpdated,
        &DoorbellEventNotice::of(&update.apply(&current), request.clone()),
    );
    match state
        .backends
        .doorbell_events
        .update_clip(caller.user_id, device, event_id, &update, &[notice])
        .await?
    {
        UpdateOutcome::Updated(stored) => {
            tracing::info!(event = %stored.id, device = %device, media = %update.media_id, "doorbell event clip updated");
            if let Some(old) = current.media_id.filter(|old| *old != update.media_id) {
                drop_superseded_clip(&state, caller.user_id, device, old, request).await?;
            }
            Ok(Json(view(&state, &stored).await?))
        }
        UpdateOutcome::NotFound => Err(ApiError::NotFound),
        UpdateOutcome::UnknownClip => Err(ApiError::BadRequest(format!(
            "media_id {} is not one of your media: upload the clip first",
            update.media_id
        ))),
    }
}

/// The alert clip is the first seconds of the full clip that replaced it: kept, it would show
/// twice in the library and outlive its event. Only a clip the doorbell itself uploaded goes;
/// an owner's own video linked to an event stays theirs.
async fn drop_superseded_clip(
    state: &AppState,
    user: sightline_core::UserId,
    device: DeviceId,
    old: sightline_core::MediaId,
    request: String,
) -> ApiResult<()> {
    let uploaded_by_doorbell = state
        .backends
        .metadata
        .media(user, old)
        .await?
        .is_some_and(|m| m.device_id == Some(device));
    if uploaded_by_doorbell {
        super::media::delete_item(state, user, old, request).await?;
    }
    Ok(())
}

/// Query parameters, all as text so each bad one gets its own message.
#[derive(Deserialize)]
pub struct ListParams {
    start_time: Option<String>,
    end_time: Option<String>,
    event_type: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    /// `GET /events` only.
    device_id: Option<String>,
}

/// A cursor is opaque to clients: base64url of `{occurred_at ms}.{event id}`.
fn encode_cursor(cursor: EventCursor) -> String {
    use base64::Engine;
    let text = format!("{}.{}", cursor.occurred_at.timestamp_millis(), cursor.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(text: &str) -> ApiResult<EventCursor> {
    use base64::Engine;
    let bad = || ApiError::BadRequest("cursor is not one this server gave out".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (ms, id) = text.split_once('.').ok_or_else(bad)?;
    Ok(EventCursor {
        occurred_at: ms
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(bad)?,
        id: DoorbellEventId::parse(id).map_err(|_| bad())?,
    })
}

fn time(name: &str, value: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::BadRequest(format!(
                        "{name} must be an RFC 3339 time such as 2026-02-05T10:30:00Z"
                    ))
                })
        })
        .transpose()
}

fn query(params: &ListParams, device: Option<DeviceId>) -> ApiResult<EventQuery> {
    let start = time("start_time", params.start_time.as_deref())?;
    let end = time("end_time", params.end_time.as_deref())?;
    if let (Some(start), Some(end)) = (start, end)
        && start > end
    {
        return Err(ApiError::BadRequest(
            "start_time must not be after end_time".into(),
        ));
    }
    let event_type = params
        .event_type
        .as_deref()
        .map(str::parse::<EventType>)
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to {MAX_PAGE}")))?,
    };
    let offset = match params.offset.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| ApiError::BadRequest("offset must be a non-negative integer".into()))?,
    };
    let after = params
        .cursor
        .as_deref()
        .filter(|c| c.len() <= 200)
        .map(decode_cursor)
        .transpose()?;
    if after.is_some() && offset > 0 {
        return Err(ApiError::BadRequest(
            "give either cursor or offset, not both".into(),
        ));
    }
    Ok(EventQuery {
        device,
        start,
        end,
        event_type,
        limit,
        offset,
        after,
    })
}

/// `GET /devices/{id}/events`: the device's events; another user's device is not found.
pub async fn list_for_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let device = device_id(&id)?;
    check_device(&caller, device)?;
    let Query(params) = params?;
    if params.device_id.is_some() {
        return Err(ApiError::BadRequest(
            "device_id is the path here; use GET /api/v1/events to filter".into(),
        ));
    }
    let query = query(&params, Some(device))?;
    state
        .backends
        .metadata
        .device(caller.user_id, device)
        .await?
        .ok_or(ApiError::NotFound)?;
    page(&state, &caller, &query).await
}

/// `GET /events`: the user's events across devices (a device token sees its own only).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params?;
    let named = params
        .device_id
        .as_deref()
        .map(|d| {
            DeviceId::parse(d).map_err(|_| ApiError::BadRequest("device_id must be a UUID".into()))
        })
        .transpose()?;
    if let (Some(own), Some(named)) = (caller.device_id, named)
        && own != named
    {
        return Err(ApiError::NotFound);
    }
    let query = query(&params, named.or(caller.device_id))?;
    page(&state, &caller, &query).await
}

async fn page(state: &AppState, caller: &Caller, query: &EventQuery) -> ApiResult<Json<Value>> {
    let found = state
        .backends
        .doorbell_events
        .events(caller.user_id, query)
        .await?;
    let views = futures::future::try_join_all(found.events.iter().map(|e| view(state, e))).await?;
    let next_cursor = found
        .events
        .last()
        .filter(|_| found.has_more)
        .map(|last| encode_cursor(EventCursor::of(last)));
    Ok(Json(json!({
        "events": views,
        "pagination": {
            "total": found.total,
            "limit": query.limit,
            "offset": query.offset,
            "has_more": found.has_more,
            "next_cursor": next_cursor,
        },
    })))
}

/// One event in the seed's shape, with its clip's signed URLs when it has a clip.
async fn view(state: &AppState, event: &DoorbellEvent) -> ApiResult<Value> {
    let ClipLinks {
        clip,
        video_url,
        thumbnail_url,
    } = clip_links(state, event).await?;
    let boxes: Vec<Value> = event
        .detections
        .iter()
        .map(|d| {
            json!({
                "x": d.x, "y": d.y, "w": d.w, "h": d.h,
                "label": d.label, "confidence": d.confidence,
            })
        })
        .collect();
    Ok(json!({
        "event_id": event.id,
        "device_id": event.device_id,
        "event_type": event.event_type,
        "timestamp": event.occurred_at,
        "duration_seconds": event.duration_secs,
        "pre_roll_seconds": event.pre_roll_secs,
        "media_id": clip.as_ref().map(|m| m.id),
        "media_status": clip.as_ref().map(|m| m.status),
        "thumbnail_url": thumbnail_url,
        "video_url": video_url,
        "detection_metadata": {
            "confidence": event.confidence,
            "detected_objects": event.detected_objects(),
            "bounding_boxes": boxes,
        },
        "battery_level": event.battery_level,
        "created_at": event.created_at,
    }))
}

/// An event's clip and its signed links, shared with the notifications.
pub(crate) struct ClipLinks {
    pub clip: Option<sightline_store::model::Media>,
    /// The rendition once processing made one, the uploaded original until then.
    pub video_url: Option<Value>,
    /// Once the clip is ready.
    pub thumbnail_url: Option<Value>,
}

pub(crate) async fn clip_links(state: &AppState, event: &DoorbellEvent) -> ApiResult<ClipLinks> {
    let clip = match event.media_id {
        Some(id) => state.backends.metadata.media(event.user_id, id).await?,
        None => None,
    };
    let urls = clip.as_ref().map(|m| super::media::urls(state, m));
    let url = |name: &str| {
        urls.as_ref()
            .and_then(|u| u.get(name))
            .filter(|v| !v.is_null())
            .cloned()
    };
    Ok(ClipLinks {
        video_url: url("rendition").or_else(|| url("original")),
        thumbnail_url: url("thumbnail"),
        clip,
    })
}
