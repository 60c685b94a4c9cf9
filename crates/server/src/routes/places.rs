//! The user's own places ("home", "grandma's"): a point and a radius.

use super::{RequestId, check_text};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use sightline_core::PlaceId;
use sightline_core::event::{NewEvent, Topic, UserEvent};
use sightline_core::geo::GeoPoint;
use sightline_store::library::Place;

const DEFAULT_RADIUS_M: f64 = 150.0;
const RADIUS_RANGE_M: std::ops::RangeInclusive<f64> = 10.0..=50_000.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlace {
    name: String,
    lat: f64,
    lon: f64,
    radius_m: Option<f64>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    body: Result<Json<NewPlace>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Place>)> {
    let Json(body) = body?;
    check_text("name", &body.name, 100)?;
    let point =
        GeoPoint::new(body.lat, body.lon).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let radius_m = body.radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !RADIUS_RANGE_M.contains(&radius_m) {
        return Err(ApiError::BadRequest(format!(
            "radius_m must be {} to {} metres",
            RADIUS_RANGE_M.start(),
            RADIUS_RANGE_M.end()
        )));
    }
    let place = Place {
        id: PlaceId::new_random(),
        name: body.name.trim().to_string(),
        lat: point.lat,
        lon: point.lon,
        radius_m,
        created_at: Utc::now(),
    };
    let changed = NewEvent::new(
        Topic::LibraryChanged,
        &UserEvent::new(caller.user_id, &request.0),
    );
    state
        .backends
        .library
        .create_place(caller.user_id, &place, &[changed])
        .await?;
    Ok((StatusCode::CREATED, Json(place)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let places = state.backends.library.places(caller.user_id).await?;
    Ok(Json(serde_json::json!({ "places": places })))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = PlaceId::parse(&id).map_err(|_| ApiError::NotFound)?;
    let changed = NewEvent::new(
        Topic::LibraryChanged,
        &UserEvent::new(caller.user_id, &request.0),
    );
    if state
        .backends
        .library
        .delete_place(caller.user_id, id, &[changed])
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
