//! `GET/PUT /account/plan`: the caller's subscription plan, which decides how long their doorbell
//! events and clips are kept (`retention.standard_days` / `retention.premium_days`).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_store::retention::Plan;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    plan: String,
}

fn view(state: &AppState, plan: Plan) -> Value {
    let days = match plan {
        Plan::Standard => state.config.retention.standard_days,
        Plan::Premium => state.config.retention.premium_days,
    };
    json!({ "plan": plan, "event_retention_days": days })
}

pub async fn get_plan(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let plan = state.backends.retention.plan(caller.user_id).await?;
    Ok(Json(view(&state, plan)))
}

pub async fn put_plan(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PlanRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "the plan is the owner's: use a user token".into(),
        ));
    }
    let Json(body) = body?;
    let plan: Plan = body.plan.parse().map_err(ApiError::BadRequest)?;
    state
        .backends
        .retention
        .set_plan(caller.user_id, plan)
        .await?;
    Ok(Json(view(&state, plan)))
}
