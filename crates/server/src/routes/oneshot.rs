//! The seeds' one-shot multipart endpoints for small files. They stage the file part to disk and
//! go through the same commit path as tus uploads.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ingest;
use crate::routes::{RequestId, resolve_device};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_core::geo::GeoPoint;
use sightline_core::media::MediaKind;
use sightline_core::tus::sanitize_filename;
use sightline_core::{DeviceId, MediaId};
use sightline_store::model::{CommitOutcome, PendingMedia};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// The `metadata` part. `sync_token` / `media_id` is the client's idempotency key.
#[derive(Deserialize, Default)]
struct OneShotMetadata {
    media_id: Option<String>,
    sync_token: Option<String>,
    captured_at: Option<DateTime<Utc>>,
    timestamp: Option<DateTime<Utc>>,
    location: Option<Location>,
    device_id: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    lat: f64,
    lon: f64,
}

struct Received {
    staged: Option<(PathBuf, Option<String>)>,
    metadata: OneShotMetadata,
    device_id: Option<String>,
    sync_token: Option<String>,
}

async fn receive(state: &AppState, multipart: Multipart, file_field: &str) -> ApiResult<Received> {
    let mut received = Received {
        staged: None,
        metadata: OneShotMetadata::default(),
        device_id: None,
        sync_token: None,
    };
    match read_parts(state, multipart, file_field, &mut received).await {
        Ok(()) => Ok(received),
        Err(e) => {
            if let Some((path, _)) = &received.staged {
                ingest::remove_quietly(path).await;
            }
            Err(e)
        }
    }
}

async fn read_parts(
    state: &AppState,
    mut multipart: Multipart,
    file_field: &str,
    received: &mut Received,
) -> ApiResult<()> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field || name == "file" {
            if received.staged.is_some() {
                return Err(ApiError::BadRequest(format!(
                    "more than one {file_field} part"
                )));
            }
            tokio::fs::create_dir_all(state.config.staging_dir())
                .await
                .map_err(ApiError::internal)?;
            let path = state
                .config
                .staging_dir()
                .join(format!("oneshot-{}.part", uuid::Uuid::new_v4()));
            let filename = field.file_name().map(sanitize_filename);
            let mut file = tokio::fs::File::create(&path)
                .await
                .map_err(ApiError::internal)?;
            // Record the path first so a failure below still cleans it up.
            received.staged = Some((path.clone(), filename));
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                file.write_all(&chunk).await.map_err(ApiError::internal)?;
            }
            file.sync_data().await.map_err(ApiError::internal)?;
        } else {
            let text = field.text().await.map_err(bad)?;
            match name.as_str() {
                "metadata" => {
                    received.metadata = serde_json::from_str(&text).map_err(|e| {
                        ApiError::BadRequest(format!("metadata is not valid JSON: {e}"))
                    })?
                }
                "device_id" => received.device_id = Some(text),
                "sync_token" => received.sync_token = Some(text),
                _ => {} // Unknown parts (e.g. device_type, filters) are accepted and ignored.
            }
        }
    }
    Ok(())
}

async fn accept(
    state: AppState,
    caller: Caller,
    request_id: RequestId,
    multipart: Multipart,
    kind: MediaKind,
    field: &str,
) -> ApiResult<(PendingMedia, CommitOutcome)> {
    let received = receive(&state, multipart, field).await?;
    let outcome = commit(&state, caller, &request_id.0, &received, kind, field).await;
    // Commit consumes the staged file; after a refusal it is still there.
    if let Some((path, _)) = &received.staged {
        ingest::remove_quietly(path).await;
    }
    outcome
}

async fn commit(
    state: &AppState,
    caller: Caller,
    correlation: &str,
    r: &Received,
    kind: MediaKind,
    field: &str,
) -> ApiResult<(PendingMedia, CommitOutcome)> {
    let Some((path, filename)) = &r.staged else {
        return Err(ApiError::BadRequest(format!(
            "missing the {field} file part"
        )));
    };
    if tokio::fs::metadata(path)
        .await
        .map_err(ApiError::internal)?
        .len()
        == 0
    {
        return Err(ApiError::BadRequest(format!("the {field} part is empty")));
    }
    let meta = &r.metadata;
    let token = meta
        .media_id
        .as_ref()
        .or(meta.sync_token.as_ref())
        .or(r.sync_token.as_ref());
    let media_id = match token {
        Some(t) => MediaId::parse(t)
            .map_err(|e| ApiError::BadRequest(format!("media_id/sync_token: {e}")))?,
        None => MediaId::new_random(),
    };
    let named_device = meta.device_id.as_ref().or(r.device_id.as_ref());
    let named_device = named_device
        .map(|d| DeviceId::parse(d).map_err(|e| ApiError::BadRequest(e.to_string())))
        .transpose()?;
    let location = meta
        .location
        .as_ref()
        .map(|l| {
            GeoPoint::new(l.lat, l.lon).map_err(|e| ApiError::BadRequest(format!("location: {e}")))
        })
        .transpose()?;
    let pending = PendingMedia {
        media_id,
        kind,
        captured_at: meta.captured_at.or(meta.timestamp),
        location,
        device_id: resolve_device(state, caller, named_device).await?,
        filename: filename.clone(),
        sha256: None,
    };
    let item = ingest::Item {
        user: caller.user_id,
        upload: None,
        pending: &pending,
        received_at: Utc::now(),
        correlation_id: correlation,
    };
    let outcome = ingest::commit(state, item, ingest::Original::Staged(path)).await?;
    Ok((pending, outcome))
}

fn status_word(outcome: &CommitOutcome) -> &'static str {
    match outcome {
        CommitOutcome::Created => "queued",
        CommitOutcome::AlreadyExists => "already_uploaded",
    }
}

/// What differs between the three endpoints: the kind, the file part, the id's name.
struct Endpoint {
    kind: MediaKind,
    file_part: &'static str,
    id_key: &'static str,
    echo_sync_token: bool,
}

async fn handle(
    endpoint: Endpoint,
    state: AppState,
    caller: Caller,
    request_id: RequestId,
    multipart: Multipart,
) -> Reply {
    let (pending, outcome) = accept(
        state,
        caller,
        request_id,
        multipart,
        endpoint.kind,
        endpoint.file_part,
    )
    .await?;
    let mut body = json!({ endpoint.id_key: pending.media_id, "status": status_word(&outcome) });
    if endpoint.echo_sync_token {
        body["sync_token"] = json!(pending.media_id);
    }
    Ok((StatusCode::ACCEPTED, Json(body)))
}

const PHOTO: Endpoint = Endpoint {
    kind: MediaKind::Photo,
    file_part: "photo",
    id_key: "photo_id",
    echo_sync_token: false,
};
const DEVICE_VIDEO: Endpoint = Endpoint {
    kind: MediaKind::Video,
    file_part: "video",
    id_key: "video_id",
    echo_sync_token: false,
};
/// The hybrid-memory seed's endpoint: echoes the sync token.
const VIDEO_UPLOAD: Endpoint = Endpoint {
    echo_sync_token: true,
    ..DEVICE_VIDEO
};

type Reply = ApiResult<(StatusCode, Json<Value>)>;

pub async fn device_photo(
    State(s): State<AppState>,
    c: Caller,
    r: RequestId,
    m: Multipart,
) -> Reply {
    handle(PHOTO, s, c, r, m).await
}

pub async fn device_video(
    State(s): State<AppState>,
    c: Caller,
    r: RequestId,
    m: Multipart,
) -> Reply {
    handle(DEVICE_VIDEO, s, c, r, m).await
}

pub async fn video_upload(
    State(s): State<AppState>,
    c: Caller,
    r: RequestId,
    m: Multipart,
) -> Reply {
    handle(VIDEO_UPLOAD, s, c, r, m).await
}
