//! The device's side of sync: it follows the server's change log from its last token, so what
//! the owner deletes in the app also leaves the glasses (and is never uploaded again).

use std::time::Duration;
use tokio::sync::watch;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sightline_core::MediaId;

use crate::capture::Captures;
use crate::queue::Connectivity;
use crate::store::{AgentStore, StoreError};

/// How often a connected device catches up when nothing asks it to.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(60);
const PAGE: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the server answered the sync pull with {status}: {body}")]
    Status {
        status: reqwest::StatusCode,
        body: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Deserialize)]
struct Page {
    changes: Vec<Change>,
    next_token: String,
    has_more: bool,
}

#[derive(Debug, Deserialize)]
struct Change {
    media_id: MediaId,
    op: String,
    #[serde(default)]
    media: Option<MediaState>,
}

#[derive(Debug, Deserialize)]
struct MediaState {
    #[serde(default)]
    deleted: bool,
}

/// What one catch-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub changes: u64,
    /// Local captures removed because the owner deleted them.
    pub removed: Vec<MediaId>,
}

#[derive(Clone)]
pub struct Syncer {
    http: reqwest::Client,
    changes_url: String,
    token: String,
    store: AgentStore,
    captures: Captures,
}

impl Syncer {
    pub fn new(server: &str, token: String, store: AgentStore, captures: Captures) -> Self {
        Self {
            http: reqwest::Client::new(),
            changes_url: format!("{}/api/v1/sync/changes", server.trim_end_matches('/')),
            token,
            store,
            captures,
        }
    }

    /// Pulls every page since the saved token, applying each before saving the next token, so
    /// an interrupted pull resumes where it stopped.
    pub async fn pull(&self) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        loop {
            let since = self.store.sync_position().await?.map(|(token, _)| token);
            let mut request = self
                .http
                .get(&self.changes_url)
                .bearer_auth(&self.token)
                .timeout(Duration::from_secs(30))
                .query(&[("limit", PAGE.to_string())]);
            if let Some(since) = &since {
                request = request.query(&[("since", since)]);
            }
            let response = request.send().await?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(SyncError::Status {
                    status,
                    body: body.chars().take(500).collect(),
                });
            }
            let page: Page = response.json().await?;
            for change in &page.changes {
                report.changes += 1;
                let gone =
                    change.op == "delete" || change.media.as_ref().is_some_and(|m| m.deleted);
                if gone && self.remove_local(change.media_id).await? {
                    report.removed.push(change.media_id);
                }
            }
            self.store
                .set_sync_position(&page.next_token, Utc::now())
                .await?;
            if !page.has_more {
                return Ok(report);
            }
        }
    }

    async fn remove_local(&self, id: MediaId) -> Result<bool, SyncError> {
        let Some(capture) = self.store.remove_deleted(id).await? else {
            return Ok(false);
        };
        let path = self.captures.media_dir().join(&capture.file_name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "deleted capture's file not removed")
            }
        }
        Ok(true)
    }

    pub async fn last_sync(&self) -> Option<DateTime<Utc>> {
        self.store
            .sync_position()
            .await
            .ok()
            .flatten()
            .map(|(_, at)| at)
    }

    /// Catches up now, then every `interval`, and at once whenever the device comes back
    /// online (deletions made in the app meanwhile should not wait for the next interval).
    pub async fn run(self, interval: Duration, mut connectivity: watch::Receiver<Connectivity>) {
        loop {
            match self.pull().await {
                Ok(report) if !report.removed.is_empty() => tracing::info!(
                    removed = report.removed.len(),
                    "captures deleted on the server removed from the device"
                ),
                Ok(_) => {}
                Err(err) => tracing::debug!(error = %err, "sync pull did not complete"),
            }
            let back_online = async {
                loop {
                    let was_offline = matches!(
                        *connectivity.borrow_and_update(),
                        Connectivity::Offline { .. }
                    );
                    if connectivity.changed().await.is_err() {
                        return std::future::pending().await;
                    }
                    let online = matches!(*connectivity.borrow(), Connectivity::Online);
                    if was_offline && online {
                        return;
                    }
                }
            };
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = back_online => tracing::debug!("back online: syncing now"),
            }
        }
    }
}
