//! Blob downloads through HMAC-signed, expiring URLs, with single-range requests.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sightline_core::blob_key;
use sightline_core::range::{RangeRequest, parse_range};
use tokio_util::io::ReaderStream;

#[derive(Deserialize)]
pub struct Signature {
    exp: Option<u64>,
    sig: Option<String>,
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next().unwrap_or_default() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "gif" => "image/gif",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "avi" => "video/x-msvideo",
        _ => "application/octet-stream",
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(signature): Query<Signature>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (Some(exp), Some(sig)) = (signature.exp, signature.sig) else {
        return Err(ApiError::Forbidden("unsigned link".into()));
    };
    state
        .keys
        .verify_blob(&key, exp, &sig, AppState::now_secs())?;
    if !blob_key::is_valid_key(&key) {
        return Err(ApiError::NotFound);
    }
    let blobs = &state.backends.blobs;
    let size = blobs.size(&key).await?.ok_or(ApiError::NotFound)?;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, range) = match parse_range(range, size) {
        RangeRequest::Full => (StatusCode::OK, None),
        RangeRequest::Partial(r) => (StatusCode::PARTIAL_CONTENT, Some(r)),
        RangeRequest::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size }),
    };
    let reader = blobs.open(&key, range).await?;
    let mut response = (status, Body::from_stream(ReaderStream::new(reader))).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&key)),
    );
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    out.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.map_or(size, |r| r.len())),
    );
    if let Some(r) = range {
        let value = format!("bytes {}-{}/{size}", r.start, r.end);
        out.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&value).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}
