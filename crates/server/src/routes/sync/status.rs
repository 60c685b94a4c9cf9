//! `GET /sync/status` and `POST /sync/trigger`, in the seeds' shapes.

use super::{DeviceParam, required_device};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::{AppState, Notification};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sightline_core::DeviceId;
use sightline_store::sync::SyncStatus;

/// A sync asked for this long ago and never finished counts as over (the device went away).
const SYNC_TIMEOUT: Duration = Duration::minutes(10);

#[derive(Serialize)]
pub struct Status {
    device_id: DeviceId,
    pending_uploads: u64,
    pending_downloads: u64,
    last_sync: Option<DateTime<Utc>>,
    sync_in_progress: bool,
}

fn in_progress(status: &SyncStatus, now: DateTime<Utc>) -> bool {
    status.cursor.in_progress
        && status
            .cursor
            .started_at
            .is_some_and(|at| now - at < SYNC_TIMEOUT)
}

pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<DeviceParam>, QueryRejection>,
) -> ApiResult<Json<Status>> {
    let Query(params) = params?;
    let device = required_device(&state, caller, params.device_id.as_deref()).await?;
    let status = state
        .backends
        .sync
        .sync_status(caller.user_id, device)
        .await?;
    Ok(Json(Status {
        device_id: device,
        pending_uploads: status.pending_uploads,
        pending_downloads: status.pending_downloads,
        last_sync: status.cursor.last_sync_at,
        sync_in_progress: in_progress(&status, Utc::now()),
    }))
}

#[derive(Serialize)]
pub struct Started {
    status: &'static str,
    device_id: DeviceId,
    estimated_completion: DateTime<Utc>,
}

/// A rough guess: a few seconds, plus per item to pull and per upload to finish.
fn estimate(status: &SyncStatus) -> Duration {
    let ms = 5_000u64
        .saturating_add(status.pending_downloads.saturating_mul(20))
        .saturating_add(status.pending_uploads.saturating_mul(10_000))
        .min(24 * 3600 * 1000);
    Duration::milliseconds(ms as i64)
}

/// Marks a sync in progress for the device (the pull that reaches the end of the log ends it)
/// and tells the device over the caller's event stream (`sync.requested`).
pub async fn trigger(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<DeviceParam>, QueryRejection>,
    body: Result<Option<Json<DeviceParam>>, JsonRejection>,
) -> ApiResult<Json<Started>> {
    let Query(params) = params?;
    let body = body?.map(|Json(b)| b).unwrap_or_default();
    let named = params.device_id.or(body.device_id);
    let device = required_device(&state, caller, named.as_deref()).await?;
    let now = Utc::now();
    state
        .backends
        .sync
        .start_sync(caller.user_id, device, now)
        .await?;
    let status = state
        .backends
        .sync
        .sync_status(caller.user_id, device)
        .await?;
    let estimated_completion = now + estimate(&status);
    // Nobody listening is fine: the device asks for its changes when it next connects.
    let _ = state.hub.send(Notification {
        user: caller.user_id,
        kind: "sync.requested",
        data: serde_json::json!({
            "device_id": device,
            "estimated_completion": estimated_completion,
        }),
    });
    Ok(Json(Started {
        status: "sync_started",
        device_id: device,
        estimated_completion,
    }))
}
