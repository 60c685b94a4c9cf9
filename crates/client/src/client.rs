//! `TusClient`: creates or resumes an upload, then sends the rest in checksummed chunks.
//! Files and in-memory bytes go through the same two steps, [`TusClient::start`] and
//! [`TusClient::finish`]; callers that keep resume state run them separately.

use crate::error::ClientError;
use crate::meta::UploadMeta;
use crate::retry::{Action, Backoff, DEFAULT_POLICY, action, with_retry};
use crate::source::Source;
use bytes::Bytes;
use reqwest::Url;
use sightline_core::MediaId;
use sightline_core::backoff::RetryPolicy;
use std::fmt;
use std::path::Path;
use std::time::Duration;

pub const DEFAULT_CHUNK_SIZE: usize = 8 * 1024 * 1024;

/// Called with (bytes on the server, total bytes) whenever that changes.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

#[derive(Clone)]
pub struct TusClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) endpoint: Url,
    pub(crate) token: String,
    pub(crate) chunk_size: usize,
    pub(crate) retry: RetryPolicy,
    /// Send a SHA-256 `Upload-Checksum` with every PATCH (on by default).
    pub(crate) checksums: bool,
}

impl fmt::Debug for TusClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never in logs.
        f.debug_struct("TusClient")
            .field("base", &self.base.as_str())
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

/// An upload the server knows, before the remaining bytes are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub url: String,
    pub media_id: MediaId,
    pub length: u64,
    /// Bytes the server has now.
    pub offset: u64,
    /// Bytes the server had before this run sent any.
    pub resumed_from: u64,
    /// Bytes this run sent inside the creation request.
    pub sent: u64,
}

impl Started {
    pub fn is_complete(&self) -> bool {
        self.offset >= self.length
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutcome {
    pub upload_url: String,
    pub media_id: MediaId,
    pub length: u64,
    pub bytes_sent_this_run: u64,
    pub resumed_from: u64,
}

impl UploadOutcome {
    /// The server had every byte before this run sent one.
    pub fn already_present(&self) -> bool {
        self.bytes_sent_this_run == 0 && self.resumed_from >= self.length
    }
}

impl TusClient {
    /// `base` is the server root, e.g. `https://sightline.example.org`; uploads go to
    /// `{base}/api/v1/uploads`. The token is a user access token or a device token.
    pub fn new(base: &str, token: impl Into<String>) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: base.to_string(),
            reason,
        };
        // A trailing slash makes `join` keep any path prefix the server lives under.
        let base_url = Url::parse(&format!("{}/", base.trim().trim_end_matches('/')))
            .map_err(|e| bad(e.to_string()))?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(bad("scheme must be http or https".into()));
        }
        let endpoint = base_url
            .join("api/v1/uploads")
            .map_err(|e| bad(e.to_string()))?;
        // Without timeouts a dead connection would hang an upload forever; a read timeout
        // (not a total one) leaves slow uplinks time for big chunks.
        let http = reqwest::Client::builder()
            .user_agent(concat!("sightline-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .build()?;
        Ok(Self {
            http,
            base: base_url,
            endpoint,
            token: token.into(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            retry: DEFAULT_POLICY,
            checksums: true,
        })
    }

    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Turns the per-chunk SHA-256 checksums off (TCP already checksums each segment; the
    /// tus checksum guards against corrupting middleboxes and costs a hash on both ends).
    pub fn with_checksums(mut self, on: bool) -> Self {
        self.checksums = on;
        self
    }

    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The normalised server root (with a trailing slash); resume state is keyed by it.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Uploads a file, resuming whatever the server already has under `meta.media_id`.
    /// `filename` and `kind` default from the path.
    pub async fn upload_file(
        &self,
        path: &Path,
        meta: &UploadMeta,
        progress: Progress<'_>,
    ) -> Result<UploadOutcome, ClientError> {
        let source = Source::file(path).await?;
        let meta = meta.clone().with_file_defaults(path);
        let started = self.start(&source, &meta, None).await?;
        self.finish(started, &source, progress).await
    }

    /// Uploads bytes already in memory: one creation-with-upload request when they fit in a
    /// chunk, chunked like a file otherwise.
    pub async fn upload_bytes(
        &self,
        bytes: Bytes,
        meta: &UploadMeta,
    ) -> Result<UploadOutcome, ClientError> {
        let source = Source::Bytes(bytes);
        let started = self.start(&source, meta, None).await?;
        self.finish(started, &source, &|_, _| {}).await
    }

    /// Finds the upload: HEADs `saved_url` when given (falling back to creation when the
    /// server forgot it), else creates it, sending the whole body along when it fits in a chunk.
    pub async fn start(
        &self,
        source: &Source,
        meta: &UploadMeta,
        saved_url: Option<&str>,
    ) -> Result<Started, ClientError> {
        let length = source.len();
        if let Some(url) = saved_url {
            match with_retry(self.retry, |_| self.head(url)).await {
                Ok((offset, server_len)) if server_len.is_none_or(|l| l == length) => {
                    let url = url.to_string();
                    return Ok(Started {
                        url,
                        media_id: meta.media_id,
                        length,
                        offset,
                        resumed_from: offset,
                        sent: 0,
                    });
                }
                // Expired or about different bytes: start over below.
                Ok(_) => {}
                Err(err) if err.is_gone() => {}
                Err(err) => return Err(err),
            }
        }
        let body = match length <= self.chunk_size as u64 {
            true => Some(source.read(0, length as usize).await?),
            false => None,
        };
        let metadata = meta.to_header();
        let (this, metadata) = (self, metadata.as_str());
        let (created, sent_body) = with_retry(self.retry, move |attempt| {
            // The failed attempt may have reached the server; a bodyless creation is right
            // whatever it kept, and the PATCHes that follow send the rest.
            let body = body.clone().filter(|_| attempt == 0);
            async move {
                let sent_body = body.is_some();
                this.create(length, metadata, body)
                    .await
                    .map(|c| (c, sent_body))
            }
        })
        .await?;
        let offset = created.offset.min(length);
        let ours = sent_body && !created.existing;
        Ok(Started {
            url: created.url,
            media_id: meta.media_id,
            length,
            offset,
            resumed_from: if ours { 0 } else { offset },
            sent: if ours { offset } else { 0 },
        })
    }

    /// PATCHes the rest in chunks of `chunk_size`, each with its SHA-256. After a failure it
    /// backs off, asks the server for its offset and carries on from there.
    pub async fn finish(
        &self,
        started: Started,
        source: &Source,
        progress: Progress<'_>,
    ) -> Result<UploadOutcome, ClientError> {
        let Started {
            url,
            media_id,
            length,
            mut offset,
            resumed_from,
            mut sent,
        } = started;
        progress(offset, length);
        let mut backoff = Backoff::new(self.retry);
        while offset < length {
            let size = (length - offset).min(self.chunk_size as u64) as usize;
            let chunk = source.read(offset, size).await?;
            let (err, act) = match self.patch(&url, offset, chunk).await {
                Ok(new) if new > length => {
                    return Err(ClientError::Protocol(format!(
                        "offset {new} is past the length {length}"
                    )));
                }
                Ok(new) if new > offset => {
                    sent += new - offset;
                    offset = new;
                    backoff.reset();
                    progress(offset, length);
                    continue;
                }
                // Accepted without advancing: give it the tries a server error gets.
                Ok(new) => (
                    ClientError::Protocol(format!("PATCH at {offset} left the offset at {new}")),
                    Action::Again {
                        rehead: true,
                        wait: true,
                    },
                ),
                Err(err) => {
                    let act = action(&err);
                    (err, act)
                }
            };
            let rehead = match act {
                Action::Again { rehead, wait } if backoff.failed(wait).await => rehead,
                _ => return Err(err),
            };
            if rehead {
                match self.head(&url).await {
                    Ok((server_offset, _)) => offset = server_offset.min(length),
                    Err(head_err) if action(&head_err) == Action::Fatal => return Err(head_err),
                    // Keep our offset: the next PATCH answers 409 if it is wrong.
                    Err(_) => {}
                }
                progress(offset, length);
            }
        }
        Ok(UploadOutcome {
            upload_url: url,
            media_id,
            length,
            bytes_sent_this_run: sent,
            resumed_from,
        })
    }
}
