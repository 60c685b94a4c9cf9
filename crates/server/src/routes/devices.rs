//! A user's devices. Creating one returns its token once; deleting it revokes the token.

use super::check_text;
use crate::auth::{Caller, tokens};
use crate::channels::Presence;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_core::DeviceId;
use sightline_core::media::{Connectivity, DeviceType};
use sightline_store::model::{Device, DeviceReport};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    #[serde(rename = "type")]
    device_type: String,
    name: String,
    firmware_version: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedDevice {
    device_id: DeviceId,
    device_token: String,
    #[serde(flatten)]
    device: Device,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    firmware_version: Option<String>,
    battery_level: Option<u8>,
    connectivity: Option<String>,
    last_sync_at: Option<DateTime<Utc>>,
}

/// A device with what its channel says: online, last seen, its last telemetry.
#[derive(Serialize)]
pub struct DeviceView {
    #[serde(flatten)]
    device: Device,
    #[serde(flatten)]
    presence: Presence,
}

/// The live presence, or what was stored of it when this server has not heard from the device
/// since it started.
fn view(state: &AppState, device: Device) -> DeviceView {
    let mut presence = state.channels.presence(device.id);
    presence.last_seen_at = presence.last_seen_at.or(device.last_seen_at);
    if presence.telemetry.is_none() {
        presence.telemetry = device
            .telemetry
            .clone()
            .and_then(|json| serde_json::from_value(json).ok());
    }
    DeviceView { presence, device }
}

fn parse_id(id: &str) -> ApiResult<DeviceId> {
    DeviceId::parse(id).map_err(|_| ApiError::NotFound)
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewDevice>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<CreatedDevice>)> {
    let Json(body) = body?;
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "devices cannot register other devices".into(),
        ));
    }
    let device_type: DeviceType = body
        .device_type
        .parse()
        .map_err(|e: sightline_core::media::InvalidEnum| ApiError::BadRequest(e.to_string()))?;
    check_text("name", &body.name, 100)?;
    if let Some(v) = &body.firmware_version {
        check_text("firmware_version", v, 50)?;
    }
    let device = Device {
        id: DeviceId::new_random(),
        user_id: caller.user_id,
        device_type,
        name: body.name.trim().to_string(),
        firmware_version: body.firmware_version,
        battery_level: None,
        connectivity: None,
        last_sync_at: None,
        settings: Default::default(),
        settings_version: 0,
        last_seen_at: None,
        telemetry: None,
        created_at: Utc::now(),
    };
    let token = tokens::random_token(tokens::DEVICE_PREFIX);
    state
        .backends
        .metadata
        .create_device(&device, &tokens::hash_token(&token))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDevice {
            device_id: device.id,
            device_token: token,
            device,
        }),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let devices = state.backends.metadata.devices(caller.user_id).await?;
    let devices: Vec<DeviceView> = devices.into_iter().map(|d| view(&state, d)).collect();
    Ok(Json(serde_json::json!({ "devices": devices })))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DeviceView>> {
    let device = state
        .backends
        .metadata
        .device(caller.user_id, parse_id(&id)?)
        .await?;
    device
        .map(|d| Json(view(&state, d)))
        .ok_or(ApiError::NotFound)
}

/// A device (or its owner) reports firmware, battery, connectivity and last sync.
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<Report>, JsonRejection>,
) -> ApiResult<Json<Device>> {
    let Json(body) = body?;
    let id = parse_id(&id)?;
    if caller.device_id.is_some_and(|own| own != id) {
        return Err(ApiError::NotFound);
    }
    if let Some(v) = &body.firmware_version {
        check_text("firmware_version", v, 50)?;
    }
    if body.battery_level.is_some_and(|b| b > 100) {
        return Err(ApiError::BadRequest(
            "battery_level must be 0 to 100".into(),
        ));
    }
    let connectivity = body
        .connectivity
        .map(|c| c.parse::<Connectivity>())
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = DeviceReport {
        firmware_version: body.firmware_version,
        battery_level: body.battery_level,
        connectivity,
        last_sync_at: body.last_sync_at,
        ..Default::default()
    };
    let device = state
        .backends
        .metadata
        .report_device(caller.user_id, id, &report)
        .await?;
    device.map(Json).ok_or(ApiError::NotFound)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden("devices cannot delete devices".into()));
    }
    if state
        .backends
        .metadata
        .delete_device(caller.user_id, parse_id(&id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
