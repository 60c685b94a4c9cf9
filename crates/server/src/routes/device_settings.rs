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
    let device = save_and_push(&state, &caller, id, settings, None).await?;
    Ok(Json(view(&state, device)))
}

/// Stores the whole settings (bumping their version; with `expected_version`, only if they are
/// still at it) and pushes them down the device's channel if it is connected; otherwise it gets
/// them when it connects.
async fn save_and_push(
    state: &AppState,
    caller: &Caller,
    id: DeviceId,
    settings: AgentSettings,
    expected_version: Option<u64>,
) -> ApiResult<Device> {
    let device = state
        .backends
        .metadata
        .set_device_settings(caller.user_id, id, &settings, expected_version)
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
    // Read, change, write only if nothing was written in between (another PUT of the settings
    // would otherwise be lost); a lost race reads again.
    for _ in 0..MOTION_WRITE_ATTEMPTS {
        let current = owned_device(&state, &caller, &id).await?;
        let settings = AgentSettings {
            motion: Some(motion.clone()),
            ..current.settings
        };
        let version = Some(current.settings_version);
        match save_and_push(&state, &caller, current.id, settings, version).await {
            Ok(device) => return Ok(Json(motion_view(&state, device))),
            Err(ApiError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::Conflict(
        "the device settings keep changing; try again".into(),
    ))
}

/// Reads and compare-and-set writes of `put_motion` before it gives up with 409.
const MOTION_WRITE_ATTEMPTS: usize = 8;
