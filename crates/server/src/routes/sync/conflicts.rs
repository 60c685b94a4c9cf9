//! `GET /sync/conflicts`: the edits a user should look at again. Per item and field, the value
//! that won and the values it replaced without their writer having seen it, each with the
//! device (node) and stamp that wrote it.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use sightline_core::MediaId;
use sightline_core::sync::{Field, MediaView, Version};

#[derive(Serialize)]
struct Side {
    value: serde_json::Value,
    stamp: String,
    /// The node that wrote it: a device id (or `server`).
    device_id: String,
}

impl From<&Version> for Side {
    fn from(v: &Version) -> Self {
        Self {
            value: serde_json::to_value(&v.value).unwrap_or(serde_json::Value::Null),
            stamp: v.stamp.to_string(),
            device_id: v.node.to_string(),
        }
    }
}

#[derive(Serialize)]
struct FieldConflict {
    field: Field,
    winner: Side,
    losers: Vec<Side>,
}

#[derive(Serialize)]
struct Item {
    media_id: MediaId,
    state: MediaView,
    fields: Vec<FieldConflict>,
}

#[derive(Serialize)]
pub struct Response {
    conflicts: Vec<Item>,
}

pub async fn conflicts(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Response>> {
    let conflicted = state.backends.sync.conflicted(caller.user_id).await?;
    let conflicts = conflicted
        .into_iter()
        .map(|(media_id, edits)| {
            let mut fields: Vec<FieldConflict> = Vec::new();
            // Sorted by field, so each field's conflicts are adjacent and share one winner.
            for c in edits.conflicts() {
                match fields.last_mut() {
                    Some(last) if last.field == c.field => last.losers.push((&c.discarded).into()),
                    _ => fields.push(FieldConflict {
                        field: c.field,
                        winner: (&c.kept).into(),
                        losers: vec![(&c.discarded).into()],
                    }),
                }
            }
            Item {
                media_id,
                state: edits.visible(),
                fields,
            }
        })
        .collect();
    Ok(Json(Response { conflicts }))
}
