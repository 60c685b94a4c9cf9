//! Smart responses: the owner's pre-recorded messages for visitors and playing one on a doorbell.
//!
//! - `POST /audio/messages?name=…` with the audio as the body (any format ffmpeg reads, at most
//!   a minute): converted once to 16 kHz mono WAV, which every device can play;
//! - `GET /audio/messages`, `DELETE /audio/messages/{id}`;
//! - `POST /devices/{id}/audio/speak {"type": "pre_recorded", "audio_id": …}` (the seed's
//!   shape): sent down the device's channel with a signed URL; the device caches the message
//!   and answers once it plays.
//!
//! A message is two blobs, `audio/{user}/{id}.wav` and its `.json` description, so it goes
//! wherever the library's blobs go.

use super::channel::COMMAND_TIMEOUT;
use crate::auth::Caller;
use crate::channels::SendError;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sightline_core::command::Command;
use sightline_core::{DeviceId, UserId};
use std::time::Duration;
use uuid::Uuid;

/// Largest upload accepted: a minute of uncompressed CD audio is about 10 MiB.
pub const MAX_UPLOAD_BYTES: usize = 12 << 20;
/// Longest message: a visitor listens to a sentence or two, not a speech.
const MAX_SECONDS: f64 = 60.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Message {
    audio_id: Uuid,
    name: String,
    duration_seconds: f64,
    created_at: DateTime<Utc>,
}

fn wav_key(user: UserId, id: Uuid) -> String {
    format!("audio/{user}/{id}.wav")
}

fn meta_key(user: UserId, id: Uuid) -> String {
    format!("audio/{user}/{id}.json")
}

fn owner_only(caller: &Caller) -> ApiResult<()> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "messages are the owner's: use a user token".into(),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct UploadParams {
    name: Option<String>,
}

pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    owner_only(&caller)?;
    let name = params.name.unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "name (query parameter) must be 1 to 100 characters, e.g. ?name=Leave%20it%20at%20the%20door".into(),
        ));
    }
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "the body must be the audio file".into(),
        ));
    }
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "a message is at most {} MiB",
            MAX_UPLOAD_BYTES >> 20
        )));
    }
    let id = Uuid::new_v4();
    let work = state.config.data_dir.join("work").join("audio");
    tokio::fs::create_dir_all(&work)
        .await
        .map_err(ApiError::internal)?;
    let (input, output) = (
        work.join(format!("{id}.in")),
        work.join(format!("{id}.wav")),
    );
    tokio::fs::write(&input, &body)
        .await
        .map_err(ApiError::internal)?;
    let converted = convert(&state, &input, &output).await;
    let _ = tokio::fs::remove_file(&input).await;
    let duration = match converted {
        Ok(duration) => duration,
        Err(err) => {
            let _ = tokio::fs::remove_file(&output).await;
            return Err(err);
        }
    };
    let message = Message {
        audio_id: id,
        name,
        duration_seconds: (duration * 100.0).round() / 100.0,
        created_at: Utc::now(),
    };
    let blobs = &state.backends.blobs;
    blobs
        .put_file(&wav_key(caller.user_id, id), &output)
        .await?;
    let description = serde_json::to_vec(&message).map_err(ApiError::internal)?;
    blobs
        .put_bytes(&meta_key(caller.user_id, id), description.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, caller.user_id, &message)),
    ))
}

/// Any audio ffmpeg reads → 16 kHz mono PCM WAV; the duration, or a 400 saying what is wrong.
async fn convert(
    state: &AppState,
    input: &std::path::Path,
    output: &std::path::Path,
) -> ApiResult<f64> {
    let probe = sightline_media::process::run_tool(
        &state.tools.ffprobe,
        &[
            "-v".to_owned(),
            "error".into(),
            "-select_streams".into(),
            "a:0".into(),
            "-show_entries".into(),
            "format=duration:stream=codec_type".into(),
            "-of".into(),
            "json".into(),
            format!("file:{}", input.display()),
        ],
        state.tools.probe_timeout,
    )
    .await
    .map_err(|_| ApiError::BadRequest("the body is not an audio file ffmpeg can read".into()))?;
    let facts: Value = serde_json::from_slice(&probe).unwrap_or_default();
    let has_audio = facts["streams"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["codec_type"] == "audio"));
    if !has_audio {
        return Err(ApiError::BadRequest("the file has no audio".into()));
    }
    let duration: f64 = facts["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    if !(duration > 0.0 && duration <= MAX_SECONDS) {
        return Err(ApiError::BadRequest(format!(
            "a message lasts up to {MAX_SECONDS} s (this one: {duration:.1} s)"
        )));
    }
    sightline_media::process::run_tool(
        &state.tools.ffmpeg,
        &[
            "-nostdin".to_owned(),
            "-v".into(),
            "error".into(),
            "-y".into(),
            "-i".into(),
            format!("file:{}", input.display()),
            "-vn".into(),
            "-ac".into(),
            "1".into(),
            "-ar".into(),
            "16000".into(),
            "-c:a".into(),
            "pcm_s16le".into(),
            "-f".into(),
            "wav".into(),
            format!("file:{}", output.display()),
        ],
        Duration::from_secs(60),
    )
    .await
    .map_err(|e| ApiError::BadRequest(format!("the audio could not be converted: {e}")))?;
    Ok(duration)
}

fn view(state: &AppState, user: UserId, message: &Message) -> Value {
    json!({
        "audio_id": message.audio_id,
        "name": message.name,
        "duration_seconds": message.duration_seconds,
        "created_at": message.created_at,
        "audio_url": state.signed_url(&wav_key(user, message.audio_id)),
    })
}

async fn message(state: &AppState, user: UserId, id: Uuid) -> ApiResult<Message> {
    let key = meta_key(user, id);
    if state.backends.blobs.size(&key).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let mut reader = state.backends.blobs.open(&key, None).await?;
    let mut text = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut text)
        .await
        .map_err(ApiError::internal)?;
    serde_json::from_slice(&text).map_err(ApiError::internal)
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    owner_only(&caller)?;
    let prefix = format!("audio/{}/", caller.user_id);
    let mut messages = Vec::new();
    for key in state.backends.blobs.list(&prefix).await? {
        let Some(id) = key
            .strip_prefix(&prefix)
            .and_then(|name| name.strip_suffix(".json"))
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            continue;
        };
        messages.push(message(&state, caller.user_id, id).await?);
    }
    messages.sort_by_key(|m| m.created_at);
    let views: Vec<Value> = messages
        .iter()
        .map(|m| view(&state, caller.user_id, m))
        .collect();
    Ok(Json(json!({ "messages": views })))
}

fn audio_id(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ApiError::NotFound)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    owner_only(&caller)?;
    let id = audio_id(&id)?;
    message(&state, caller.user_id, id).await?;
    state
        .backends
        .blobs
        .delete(&wav_key(caller.user_id, id))
        .await?;
    state
        .backends
        .blobs
        .delete(&meta_key(caller.user_id, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakRequest {
    #[serde(rename = "type")]
    kind: String,
    audio_id: Option<String>,
    /// The seed's field; accepted and ignored for pre-recorded messages (the stored length
    /// is the truth).
    #[serde(default, rename = "duration_seconds")]
    _duration_seconds: Option<f64>,
    /// The seed's field: the device plays only messages of its owner's, so a URL is refused.
    audio_url: Option<String>,
}

pub async fn speak(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<SpeakRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    owner_only(&caller)?;
    let device = DeviceId::parse(&id).map_err(|_| ApiError::NotFound)?;
    let Json(body) = body?;
    state
        .backends
        .metadata
        .device(caller.user_id, device)
        .await?
        .ok_or(ApiError::NotFound)?;
    match body.kind.as_str() {
        "pre_recorded" => {}
        "live" => {
            return Err(ApiError::BadRequest(
                "live talk-back rides the live view's WebRTC session, which this server does not offer yet; use type pre_recorded with an audio_id".into(),
            ));
        }
        _ => {
            return Err(ApiError::BadRequest(
                "type must be pre_recorded or live".into(),
            ));
        }
    }
    if body.audio_url.is_some() {
        return Err(ApiError::BadRequest(
            "give audio_id of one of your messages (POST /audio/messages), not an audio_url: the device plays only your own".into(),
        ));
    }
    let id = audio_id(body.audio_id.as_deref().ok_or_else(|| {
        ApiError::BadRequest("audio_id is required for a pre_recorded message".into())
    })?)
    .map_err(|_| ApiError::BadRequest("audio_id must be one of your messages' ids".into()))?;
    let message = message(&state, caller.user_id, id).await?;
    let command = Command::PlayMessage {
        audio_id: id.to_string(),
        url: state.signed_url(&wav_key(caller.user_id, id)),
    };
    match state
        .channels
        .command(device, command, COMMAND_TIMEOUT)
        .await
    {
        Ok(result) if result.ok => Ok(Json(json!({
            "status": "playing",
            "audio_id": id,
            "device_id": device,
            "duration_seconds": message.duration_seconds,
            "message": result.message,
        }))),
        Ok(result) => Err(ApiError::Conflict(format!(
            "the device could not play it: {}",
            result.message
        ))),
        Err(SendError::NotConnected) => Err(ApiError::Conflict(format!(
            "device {device} is not connected: it plays messages while its agent is online"
        ))),
        Err(SendError::Timeout) => Err(ApiError::Timeout(format!(
            "device {device} did not answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        ))),
    }
}
