//! `GET/PUT /devices/{id}/settings`: what the owner sets for a device (quota, video bitrate,
//! telemetry interval). A change is stored, then pushed down the device's channel at once if it
//! is connected, and on its next connection otherwise; the device says which version it applied.
//! `GET/PUT /devices/{id}/settings/motion` read and replace the doorbell's motion detection
//! settings alone (the seed's API), as the `motion` field of the same settings.

use crate::auth::Caller;
use crate::channels::ToDevice;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use sightline_core::DeviceId;
use sightline_core::settings::{AgentSettings, MotionSettings};
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

/// The caller's device, for its owner only.
async fn owned_device(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Device> {
    owner_only(caller)?;
    state
        .backends
        .metadata
        .device(caller.user_id, device_id(id)?)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SettingsView>> {
    let device = owned_device(&state, &caller, &id).await?;
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
    let device = save_and_push(&state, &caller, id, settings).await?;
    Ok(Json(view(&state, device)))
}

/// Stores the whole settings (bumping their version) and pushes them down the device's channel
/// if it is connected; otherwise it gets them when it connects.
async fn save_and_push(
    state: &AppState,
    caller: &Caller,
    id: DeviceId,
    settings: AgentSettings,
) -> ApiResult<Device> {
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
    Ok(device)
}

/// The seed's response (`motion_settings` sums them up), the motion settings in full as the
/// app may PUT them back, and the whole settings with their version.
fn motion_view(state: &AppState, device: Device) -> Value {
    let configured = device.settings.motion.is_some();
    let motion = device.settings.motion.clone().unwrap_or_default();
    let summary = json!({
        "enabled": motion.enabled,
        "sensitivity": motion.sensitivity,
        "zones_count": motion.detection_zones.len(),
        "ai_detection_enabled": motion.ai_detection.any(),
    });
    let presence = state.channels.presence(device.id);
    json!({
        "device_id": device.id,
        "motion_settings": summary,
        "motion": motion,
        // False while the device runs on defaults because the owner set nothing yet.
        "configured": configured,
        "version": device.settings_version,
        "settings": device.settings,
        "applied_version": presence.settings_applied,
        "online": presence.online,
    })
}

/// `GET /devices/{id}/settings/motion`: the defaults when none were set.
pub async fn get_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let device = owned_device(&state, &caller, &id).await?;
    Ok(Json(motion_view(&state, device)))
}

/// `PUT /devices/{id}/settings/motion`: replaces the motion settings (an absent field takes its
/// default), keeps the other settings, and pushes the whole settings like [`put`].
pub async fn put_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let motion =
        MotionSettings::from_owner(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let current = owned_device(&state, &caller, &id).await?;
    // Read, change, write: a concurrent PUT of the other settings between the two may be lost
    // (the store has no compare-and-set on the version); the app sends one at a time.
    let settings = AgentSettings {
        motion: Some(motion),
        ..current.settings
    };
    let device = save_and_push(&state, &caller, current.id, settings).await?;
    Ok(Json(motion_view(&state, device)))
}
