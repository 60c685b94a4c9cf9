//! The three tus requests as single attempts, and reading their answers. Retrying is the
//! caller's business.

use crate::client::TusClient;
use crate::error::ClientError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sightline_core::tus::VERSION;

const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// The answer to a creation request.
#[derive(Debug)]
pub(crate) struct Created {
    pub url: String,
    pub offset: u64,
    /// The server said 200 rather than 201: the media id named an upload it already had.
    pub existing: bool,
}

impl TusClient {
    fn tus(&self, builder: RequestBuilder) -> RequestBuilder {
        builder
            .bearer_auth(&self.token)
            .header("Tus-Resumable", VERSION)
    }

    pub(crate) async fn create(
        &self,
        length: u64,
        metadata: &str,
        body: Option<Bytes>,
    ) -> Result<Created, ClientError> {
        let mut request = self
            .tus(self.http.post(self.endpoint.clone()))
            .header("Upload-Length", length)
            .header("Upload-Metadata", metadata);
        request = match body {
            Some(body) => request.header(CONTENT_TYPE, OFFSET_OCTET_STREAM).body(body),
            None => request.body(Bytes::new()),
        };
        let response = check(request.send().await?).await?;
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ClientError::Protocol("creation answered without a Location header".into())
            })?;
        // Location is usually a path; resolving it against the server handles absolute ones too.
        let url = self
            .base
            .join(location)
            .map_err(|e| ClientError::Protocol(format!("bad Location {location:?}: {e}")))?;
        Ok(Created {
            url: url.into(),
            // A bodyless creation may omit the offset; the upload then starts at zero.
            offset: header_u64(&response, "Upload-Offset")?.unwrap_or(0),
            existing: response.status() == StatusCode::OK,
        })
    }

    /// The server's offset and, when it says, the length.
    pub(crate) async fn head(&self, url: &str) -> Result<(u64, Option<u64>), ClientError> {
        let response = check(self.tus(self.http.head(url)).send().await?).await?;
        let offset = header_u64(&response, "Upload-Offset")?
            .ok_or_else(|| ClientError::Protocol("HEAD answered without Upload-Offset".into()))?;
        Ok((offset, header_u64(&response, "Upload-Length")?))
    }

    /// Sends one chunk at `offset` with its SHA-256; returns the server's new offset.
    pub(crate) async fn patch(
        &self,
        url: &str,
        offset: u64,
        chunk: Bytes,
    ) -> Result<u64, ClientError> {
        let mut request = self
            .tus(self.http.patch(url))
            .header("Upload-Offset", offset)
            .header(CONTENT_TYPE, OFFSET_OCTET_STREAM);
        if self.checksums {
            request = request.header("Upload-Checksum", checksum_header(chunk.clone()).await?);
        }
        let request = request.body(chunk);
        let response = check(request.send().await?).await?;
        header_u64(&response, "Upload-Offset")?
            .ok_or_else(|| ClientError::Protocol("PATCH answered without Upload-Offset".into()))
    }
}

/// `sha256 <base64>`, hashed off the async runtime: a chunk is megabytes.
async fn checksum_header(chunk: Bytes) -> Result<String, ClientError> {
    let digest = tokio::task::spawn_blocking(move || Sha256::digest(&chunk))
        .await
        .map_err(std::io::Error::other)?;
    Ok(format!("sha256 {}", STANDARD.encode(digest)))
}

fn header_u64(response: &Response, name: &str) -> Result<Option<u64>, ClientError> {
    response
        .headers()
        .get(name)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .ok_or_else(|| ClientError::Protocol(format!("{name} is not a number: {value:?}")))
        })
        .transpose()
}

/// Passes success through; turns anything else into `Http` with the server's message.
async fn check(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    // The body is only for the message: a failure to read it must not hide the status.
    let body = response.bytes().await.unwrap_or_default();
    let (code, message) = error_message(status, &body);
    Err(ClientError::Http {
        status,
        code,
        message,
    })
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

/// Reads `{"error": {"code", "message"}}`; falls back to the body text, then the reason phrase.
pub(crate) fn error_message(status: StatusCode, body: &[u8]) -> (Option<String>, String) {
    if let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) {
        let message = error
            .message
            .or_else(|| error.code.clone())
            .unwrap_or_default();
        return (error.code, message);
    }
    let text: String = String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(300)
        .collect();
    if !text.is_empty() {
        return (None, text);
    }
    let reason = match status.as_u16() {
        460 => "checksum mismatch",
        _ => status.canonical_reason().unwrap_or("no message"),
    };
    (None, reason.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_server_errors() {
        let body = br#"{"error": {"code": "upload_too_large", "message": "upload exceeds 4 GiB"}}"#;
        let (code, message) = error_message(StatusCode::PAYLOAD_TOO_LARGE, body);
        assert_eq!(code.as_deref(), Some("upload_too_large"));
        assert_eq!(message, "upload exceeds 4 GiB");
        assert_eq!(
            error_message(StatusCode::BAD_GATEWAY, b" proxy down\n").1,
            "proxy down"
        );
        assert_eq!(error_message(StatusCode::NOT_FOUND, b"").1, "not found");
        let checksum = StatusCode::from_u16(460).unwrap();
        assert_eq!(error_message(checksum, b"").1, "checksum mismatch");
    }
}
