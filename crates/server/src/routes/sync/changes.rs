//! `GET /sync/changes?since=TOKEN&limit=N&device_id=…`: what changed after a token, each item
//! once with its state now (or a tombstone), oldest change first. Every token handed out, the
//! page's `next_token` or any change's `token`, is a valid place to resume from.

use super::edits::Synced;
use super::{decode_token, device_for, encode_token};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::media;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use sightline_core::MediaId;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 500;

#[derive(Deserialize)]
pub struct Params {
    since: Option<String>,
    limit: Option<u32>,
    device_id: Option<String>,
}

#[derive(Serialize)]
struct Change {
    /// Resume here to get everything after this change.
    token: String,
    media_id: MediaId,
    /// `upsert` (the item exists; `media` and `sync` are its state) or `delete` (gone).
    op: &'static str,
    media: Option<media::MediaView>,
    sync: Option<Synced>,
}

#[derive(Serialize)]
pub struct Response {
    changes: Vec<Change>,
    next_token: String,
    has_more: bool,
}

pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Response>> {
    let Query(params) = params?;
    let since = decode_token(params.since.as_deref())?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    // A user's token may read without a device; then no cursor moves.
    let device = device_for(&state, caller, params.device_id.as_deref(), false).await?;
    let page = state
        .backends
        .sync
        .changes(caller.user_id, since, limit)
        .await?;
    let mut changes = Vec::with_capacity(page.changes.len());
    for entry in page.changes {
        let row = match &entry.state {
            Some(_) => {
                state
                    .backends
                    .metadata
                    .media(caller.user_id, entry.media_id)
                    .await?
            }
            None => None,
        };
        // Deleted since the page was read: a tombstone now, and its own log entry follows.
        let (media, sync) = match (row, entry.state) {
            (Some(row), Some(edits)) => {
                let synced = Synced::new(entry.media_id, edits);
                let mut view = media::view(&state, row);
                view.set_synced(&synced.state);
                (Some(view), Some(synced))
            }
            _ => (None, None),
        };
        changes.push(Change {
            token: encode_token(entry.seq),
            media_id: entry.media_id,
            op: if media.is_some() { "upsert" } else { "delete" },
            media,
            sync,
        });
    }
    if let Some(device) = device {
        state
            .backends
            .sync
            .record_pull(
                caller.user_id,
                device,
                page.next,
                !page.has_more,
                chrono::Utc::now(),
            )
            .await?;
    }
    Ok(Json(Response {
        changes,
        next_token: encode_token(page.next),
        has_more: page.has_more,
    }))
}
