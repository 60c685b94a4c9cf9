//! Processing workers: consumers of the event bus. Each job is idempotent (it checks the media
//! row's state first), so at-least-once delivery never processes an item into a wrong state.

mod derive;
mod probe;
mod runner;

use crate::state::AppState;
use tokio::task::JoinHandle;

pub use runner::JobError;

/// Starts every consumer (unless `workers.concurrency` is 0) and the upload janitor.
pub async fn spawn(state: &AppState) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut handles = vec![tokio::spawn(janitor(state.clone()))];
    if state.config.workers.concurrency == 0 {
        return Ok(handles);
    }
    handles.push(runner::start(state.clone(), probe::ProbeJob).await?);
    handles.push(runner::start(state.clone(), derive::DeriveJob).await?);
    Ok(handles)
}

async fn janitor(state: AppState) {
    let every = std::time::Duration::from_secs(state.config.uploads.janitor_interval_secs.max(1));
    loop {
        if let Err(e) = crate::routes::uploads::expire_stale(&state).await {
            tracing::warn!(error = %e, "upload janitor failed");
        }
        tokio::time::sleep(every).await;
    }
}

/// A local path to read the original from: the blob itself on a local disk, else a temporary
/// copy that lives as long as the returned guard.
pub(crate) async fn local_original(
    state: &AppState,
    raw_key: &str,
) -> Result<(std::path::PathBuf, Option<tempfile::TempDir>), JobError> {
    if let Some(path) = state.backends.blobs.local_path(raw_key)
        && tokio::fs::try_exists(&path).await.unwrap_or(false)
    {
        return Ok((path, None));
    }
    let dir = work_dir(state)?;
    let path = dir.path().join("original");
    state
        .backends
        .blobs
        .download_to(raw_key, &path)
        .await
        .map_err(JobError::transient)?;
    Ok((path, Some(dir)))
}

pub(crate) fn work_dir(state: &AppState) -> Result<tempfile::TempDir, JobError> {
    let root = state.config.data_dir.join("work");
    std::fs::create_dir_all(&root).map_err(JobError::transient)?;
    tempfile::tempdir_in(root).map_err(JobError::transient)
}
