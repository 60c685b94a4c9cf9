//! `GET /devices/channel`: a device's WebSocket to the server, and
//! `POST /devices/{id}/commands`, which sends a command down it and waits for the result.
//!
//! Frames are JSON text with a `type` tag. The device sends `telemetry` (battery, power,
//! storage, queue, connectivity, firmware) and `command_result`; the server sends `command`
//! and, for a frame it cannot use, `error` (the connection stays open). A frame over
//! [`MAX_FRAME_BYTES`] closes the connection. The device authenticates with its token in the
//! `Authorization: Bearer` header (not in the URL, where proxies would log it).

use super::check_text;
use crate::auth::Caller;
use crate::channels::{CommandResult, Registration, SendError, Telemetry, ToDevice};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use sightline_core::command::{self, Command};
use sightline_core::media::Connectivity;
use sightline_core::{DeviceId, UserId};
use sightline_store::model::DeviceReport;
use std::time::Duration;
use tokio::time::Instant;

/// Largest frame or message a device may send; telemetry is a few hundred bytes.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// How long `POST /devices/{id}/commands` waits for the device's answer.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Pings keep NAT mappings open and show a dead link.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A device silent this long (not even a pong) is taken as gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
/// WebSocket close code 1008: policy violation (the device was deleted).
const CLOSE_POLICY: u16 = 1008;
/// WebSocket close code 1012: service restart (replaced by a newer connection, or stopping).
const CLOSE_RESTART: u16 = 1012;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromDevice {
    Telemetry(TelemetryFrame),
    CommandResult(CommandResult),
    SettingsApplied { version: u64 },
}

/// Every field is optional: an absent one leaves what the server knows unchanged. Unknown
/// fields are ignored so that newer agents can report more.
#[derive(Debug, Deserialize)]
struct TelemetryFrame {
    battery_level: Option<i64>,
    charging: Option<bool>,
    power_mode: Option<String>,
    storage_free_bytes: Option<u64>,
    storage_used_bytes: Option<u64>,
    pending_uploads: Option<u64>,
    connectivity: Option<String>,
    firmware_version: Option<String>,
}

pub async fn connect(
    State(state): State<AppState>,
    caller: Caller,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let device = caller.device_id.ok_or_else(|| {
        ApiError::Forbidden("the device channel needs a device token, not a user token".into())
    })?;
    Ok(upgrade
        .max_frame_size(MAX_FRAME_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| serve(state, caller.user_id, device, socket)))
}

async fn serve(state: AppState, user: UserId, device: DeviceId, socket: WebSocket) {
    let Registration { serial, mut outbox } = state.channels.connect(device);
    tracing::info!(%device, serial, "device connected");
    let (mut sink, mut stream) = socket.split();
    // The owner's settings first, so the device runs with them from the start.
    match state.backends.metadata.device(user, device).await {
        Ok(Some(row)) if row.settings_version > 0 => {
            let frame = ToDevice::Settings {
                version: row.settings_version,
                settings: row.settings,
            };
            if let Ok(text) = serde_json::to_string(&frame)
                && sink.send(Message::Text(text.into())).await.is_err()
            {
                state.channels.disconnect(device, serial);
                return;
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(%device, error = %e, "device settings not read"),
    }
    let mut last_report: Option<DeviceReport> = None;
    let mut last_heard = Instant::now();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let close = |code: u16, reason: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        let reply = tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        match handle(&state, user, device, &text, &mut last_report).await {
                            Ok(reply) => reply,
                            Err(Gone) => {
                                let _ = sink.send(close(CLOSE_POLICY, "device deleted")).await;
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => Some(ToDevice::Error {
                        message: "binary frames are not accepted; send JSON text".into(),
                    }),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        state.channels.seen(device, None);
                        None
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    // Oversized frames, protocol errors, a dropped link.
                    Some(Err(e)) => {
                        tracing::info!(%device, error = %e, "device channel closed on error");
                        break;
                    }
                }
            }
            out = outbox.recv() => match out {
                Some(message) => Some(message),
                None => {
                    let _ = sink.send(close(CLOSE_RESTART, "connection replaced or server stopping")).await;
                    break;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    tracing::info!(%device, "device silent; channel closed");
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
                None
            }
        };
        if let Some(message) = reply {
            let text = match serde_json::to_string(&message) {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(error = %e, "channel frame not serialisable");
                    continue;
                }
            };
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    }
    state.channels.disconnect(device, serial);
    tracing::info!(%device, serial, "device disconnected");
    // Kept for a restarted server, which has no live presence of its own yet.
    let seen = DeviceReport {
        seen_at: Some(Utc::now()),
        ..Default::default()
    };
    if let Err(e) = state
        .backends
        .metadata
        .report_device(user, device, &seen)
        .await
    {
        tracing::warn!(%device, error = %e, "last seen time not stored");
    }
}

/// The device no longer exists (deleted, token revoked): the connection ends.
struct Gone;

async fn handle(
    state: &AppState,
    user: UserId,
    device: DeviceId,
    text: &str,
    last_report: &mut Option<DeviceReport>,
) -> Result<Option<ToDevice>, Gone> {
    let error = |message: String| Ok(Some(ToDevice::Error { message }));
    let frame: FromDevice = match serde_json::from_str(text) {
        Ok(frame) => frame,
        Err(e) => return error(format!("invalid frame: {e}")),
    };
    match frame {
        FromDevice::Telemetry(frame) => {
            let (report, telemetry) = match validate(frame) {
                Ok(parts) => parts,
                Err(message) => return error(message),
            };
            // Unchanged columns are not written again at every beat.
            if last_report.as_ref() != Some(&report) {
                match state
                    .backends
                    .metadata
                    .report_device(user, device, &report)
                    .await
                {
                    Ok(Some(_)) => *last_report = Some(report),
                    Ok(None) => return Err(Gone),
                    Err(e) => {
                        tracing::warn!(%device, error = %e, "telemetry not stored");
                        return error("telemetry not stored; send it again later".into());
                    }
                }
            }
            state.channels.seen(device, Some(telemetry));
            Ok(None)
        }
        FromDevice::SettingsApplied { version } => {
            state.channels.settings_applied(device, version);
            Ok(None)
        }
        FromDevice::CommandResult(mut result) => {
            state.channels.seen(device, None);
            result.message = result.message.chars().take(1000).collect();
            let id = result.id;
            if state.channels.result(device, result) {
                Ok(None)
            } else {
                error(format!("no command {id} is waiting for a result"))
            }
        }
    }
}

fn validate(frame: TelemetryFrame) -> Result<(DeviceReport, Telemetry), String> {
    let text = |field: &str, value: &Option<String>, max: usize| match value {
        Some(v) => check_text(field, v, max).map_err(|e| e.to_string()),
        None => Ok(()),
    };
    text("firmware_version", &frame.firmware_version, 50)?;
    text("power_mode", &frame.power_mode, 40)?;
    let battery_level = frame
        .battery_level
        .map(|b| u8::try_from(b).ok().filter(|b| *b <= 100))
        .map(|b| b.ok_or_else(|| "battery_level must be 0 to 100 or null".to_string()))
        .transpose()?;
    let connectivity = frame
        .connectivity
        .map(|c| c.parse::<Connectivity>())
        .transpose()
        .map_err(|e| e.to_string())?;
    let now = Utc::now();
    let telemetry = Telemetry {
        charging: frame.charging,
        power_mode: frame.power_mode,
        storage_free_bytes: frame.storage_free_bytes,
        storage_used_bytes: frame.storage_used_bytes,
        pending_uploads: frame.pending_uploads,
        reported_at: now,
    };
    let report = DeviceReport {
        firmware_version: frame.firmware_version,
        battery_level,
        connectivity,
        last_sync_at: None,
        seen_at: Some(now),
        telemetry: serde_json::to_value(&telemetry).ok(),
    };
    Ok((report, telemetry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    /// The command as the wearer would say it: "take a picture", "record a 10 second video".
    command: String,
}

#[derive(Serialize)]
pub struct CommandReply {
    command: Command,
    #[serde(flatten)]
    result: CommandResult,
}

/// Sends a command to one of the caller's devices and answers with what the device did.
pub async fn send_command(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<CommandRequest>, JsonRejection>,
) -> ApiResult<Json<CommandReply>> {
    let id = DeviceId::parse(&id).map_err(|_| ApiError::NotFound)?;
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "devices cannot send commands to devices".into(),
        ));
    }
    let Json(body) = body?;
    state
        .backends
        .metadata
        .device(caller.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_text("command", &body.command, 500)?;
    let command = command::parse(&body.command).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    match state
        .channels
        .command(id, command.clone(), COMMAND_TIMEOUT)
        .await
    {
        Ok(result) => Ok(Json(CommandReply {
            command: command.redacted(),
            result,
        })),
        Err(SendError::NotConnected) => Err(ApiError::Conflict(format!(
            "device {id} is not connected: it takes commands while its agent is online"
        ))),
        Err(SendError::Timeout) => Err(ApiError::Timeout(format!(
            "device {id} did not answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        ))),
    }
}
