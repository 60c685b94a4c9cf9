//! `POST /sync/edits`: a device's offline edits, replayed on reconnect.

use super::{library, required_device};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::RequestId;
use crate::routes::media::delete_item;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::{Deserialize, Serialize};
use sightline_core::MediaId;
use sightline_core::sync::{Clock, Conflict, Edit, MediaEdits, MediaView, NodeId};
use sightline_store::sync::EditOutcome;

/// Most edits one request may carry; a longer queue is sent in several.
pub const MAX_EDITS: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    device_id: Option<String>,
    edits: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    media_id: String,
    edit: Edit,
}

#[derive(Serialize)]
struct Outcome {
    media_id: MediaId,
    /// `applied`, `duplicate` (already had it) or `not_found`.
    status: &'static str,
}

/// An item's merged state: what to show, and the whole merge input for a replica to `merge`.
#[derive(Serialize)]
pub(super) struct Synced {
    pub media_id: MediaId,
    pub state: MediaView,
    pub edits: MediaEdits,
    pub conflicts: Vec<Conflict>,
}

impl Synced {
    pub(super) fn new(media_id: MediaId, edits: MediaEdits) -> Self {
        Self {
            media_id,
            state: edits.visible(),
            conflicts: edits.conflicts(),
            edits,
        }
    }
}

#[derive(Serialize)]
struct NewConflict {
    media_id: MediaId,
    #[serde(flatten)]
    conflict: Conflict,
}

#[derive(Serialize)]
pub struct Response {
    /// One per submitted edit, in order.
    results: Vec<Outcome>,
    /// Each touched item that exists, once.
    media: Vec<Synced>,
    /// Conflicts this batch introduced.
    new_conflicts: Vec<NewConflict>,
}

pub async fn edits(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
    body: Result<Json<Body>, JsonRejection>,
) -> ApiResult<Json<Response>> {
    let Json(body) = body?;
    let device = required_device(&state, caller, body.device_id.as_deref()).await?;
    if body.edits.len() > MAX_EDITS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_EDITS} edits per request"
        )));
    }
    let node = device.to_string();
    // The server's clock only checks the stamps here (it stamps nothing itself).
    let mut clock = Clock::new(NodeId::server());
    let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    let mut edits = Vec::with_capacity(body.edits.len());
    for (i, item) in body.edits.into_iter().enumerate() {
        let media = MediaId::parse(&item.media_id)
            .map_err(|_| ApiError::BadRequest(format!("edits[{i}].media_id must be a UUID")))?;
        let stamp = &item.edit.stamp;
        if stamp.node().as_str() != node {
            return Err(ApiError::BadRequest(format!(
                "edits[{i}]: stamp {stamp} was made by node {:?}, not by the calling device {node}",
                stamp.node().as_str()
            )));
        }
        clock
            .observe(stamp, now_ms)
            .map_err(|e| ApiError::BadRequest(format!("edits[{i}]: {e}")))?;
        edits.push((media, item.edit));
    }
    let before = library::views_before(&state, caller.user_id, &edits).await?;
    let applied = state
        .backends
        .sync
        .apply_edits(caller.user_id, &edits)
        .await?;
    // A merged `delete` is final (nothing undeletes): the item goes as with DELETE /media/{id},
    // files included, and the change log hands every device its tombstone.
    for (id, merged) in &applied.states {
        if merged.visible().deleted {
            delete_item(&state, caller.user_id, *id, request_id.0.clone()).await?;
        }
    }
    library::apply(
        &state,
        caller.user_id,
        &before,
        &applied.states,
        &request_id.0,
    )
    .await?;
    let results = edits
        .iter()
        .zip(&applied.outcomes)
        .map(|((media_id, _), outcome)| Outcome {
            media_id: *media_id,
            status: match outcome {
                EditOutcome::Applied => "applied",
                EditOutcome::Duplicate => "duplicate",
                EditOutcome::NotFound => "not_found",
            },
        })
        .collect();
    let applied_count = applied
        .outcomes
        .iter()
        .filter(|o| **o == EditOutcome::Applied)
        .count();
    tracing::debug!(
        user = %caller.user_id,
        %device,
        edits = edits.len(),
        applied = applied_count,
        conflicts = applied.new_conflicts.len(),
        "sync edits"
    );
    Ok(Json(Response {
        results,
        media: applied
            .states
            .into_iter()
            .map(|(id, edits)| Synced::new(id, edits))
            .collect(),
        new_conflicts: applied
            .new_conflicts
            .into_iter()
            .map(|(media_id, conflict)| NewConflict { media_id, conflict })
            .collect(),
    }))
}
