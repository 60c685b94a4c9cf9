use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the metadata store answers; reports the job backlog.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let backlog = state.backends.bus.backlog().await?;
    Ok(Json(json!({"status": "ready", "job_backlog": backlog})))
}
