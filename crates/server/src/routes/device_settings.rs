//! `GET/PUT /devices/{id}/settings`: what the owner sets for a device (quota, video bitrate,
//! telemetry interval). A change is stored, then pushed down the device's channel at once if it
//! is connected, and on its next connection otherwise; the device says which version it applied.

use crate::auth::Caller;
use crate::channels::ToDevice;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Serialize;
use sightline_core::DeviceId;
use sightline_core::settings::AgentSettings;
use sightline_store::model::Device;

#[derive(Serialize)]
pub struct SettingsView {
    device_id: DeviceId,
    version: u64,
    settings: AgentSettings,
    /// The version the device last said it applied; `null` if it has not since it connected.
    applied_version: Option<u64>,
    online: bool,
}

fn view(state: &AppState, device: Device) -> SettingsView {
    let presence = state.channels.presence(device.id);
    SettingsView {
        device_id: device.id,
        version: device.settings_version,
        settings: device.settings,
        applied_version: presence.settings_applied,
        online: presence.online,
    }
}

fn owner_only(caller: &Caller) -> ApiResult<()> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "device settings are the owner's: use a user token".into(),
        ));
    }
    Ok(())
}

fn device_id(id: &str) -> ApiResult<DeviceId> {
    DeviceId::parse(id).map_err(|_| ApiError::NotFound)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SettingsView>> {
    owner_only(&caller)?;
    let device = state
        .backends
        .metadata
        .device(caller.user_id, device_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, device)))
}

/// Replaces the settings (an absent field goes back to the device's own configuration).
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<SettingsView>> {
    owner_only(&caller)?;
    let id = device_id(&id)?;
    let Json(body) = body?;
    let settings =
        AgentSettings::from_owner(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let device = state
        .backends
        .metadata
        .set_device_settings(caller.user_id, id, &settings)
        .await?
        .ok_or(ApiError::NotFound)?;
    let pushed = state.channels.push(
        id,
        ToDevice::Settings {
            version: device.settings_version,
            settings,
        },
    );
    tracing::info!(device = %id, version = device.settings_version, pushed, "device settings changed");
    Ok(Json(view(&state, device)))
}
