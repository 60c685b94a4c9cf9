//! Processing workers: consumers of the event bus. Each job is idempotent (it checks the media
//! row's state first), so at-least-once delivery never processes an item into a wrong state.

pub mod classify;
mod derive;
mod index;
mod memory;
mod probe;
mod runner;

use crate::state::AppState;
use tokio::task::JoinHandle;

pub(crate) use runner::Job;
pub use runner::JobError;

/// Every consumer of the bus, as `spawn` starts them (for the metrics).
pub const CONSUMERS: [&str; 10] = [
    <probe::ProbeJob as Job>::CONSUMER,
    <derive::DeriveJob as Job>::CONSUMER,
    <index::IndexMediaJob as Job>::CONSUMER,
    <index::IndexLibraryJob as Job>::CONSUMER,
    <memory::MemoryJob as Job>::CONSUMER,
    <memory::NotifyJob as Job>::CONSUMER,
    <classify::ClassifyEventJob as Job>::CONSUMER,
    <classify::ClassifyClipJob as Job>::CONSUMER,
    <crate::notifications::feed::FeedJob as Job>::CONSUMER,
    <crate::notifications::deliver::DeliverJob as Job>::CONSUMER,
];

/// Starts every consumer (unless `workers.concurrency` is 0) and the upload janitor.
pub async fn spawn(state: &AppState) -> anyhow::Result<Vec<JoinHandle<()>>> {
    // Scratch space of jobs a killed process left behind; their jobs rerun from the start.
    let work = state.config.data_dir.join("work");
    if let Err(e) = tokio::fs::remove_dir_all(&work).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, dir = %work.display(), "could not clear the work directory");
    }
    let mut handles = vec![tokio::spawn(janitor(state.clone()))];
    if state.config.workers.concurrency == 0 {
        return Ok(handles);
    }
    handles.push(tokio::spawn(crate::retention::run(state.clone())));
    handles.push(runner::start(state.clone(), probe::ProbeJob).await?);
    handles.push(runner::start(state.clone(), derive::DeriveJob).await?);
    handles.push(runner::start(state.clone(), index::IndexMediaJob).await?);
    handles.push(runner::start(state.clone(), index::IndexLibraryJob).await?);
    handles.push(runner::start(state.clone(), memory::MemoryJob).await?);
    handles.push(runner::start(state.clone(), memory::NotifyJob).await?);
    handles.push(runner::start(state.clone(), classify::ClassifyEventJob).await?);
    handles.push(runner::start(state.clone(), classify::ClassifyClipJob).await?);
    handles.push(runner::start(state.clone(), crate::notifications::feed::FeedJob).await?);
    handles.push(runner::start(state.clone(), crate::notifications::deliver::DeliverJob).await?);
    Ok(handles)
}

async fn janitor(state: AppState) {
    let every = std::time::Duration::from_secs(state.config.uploads.janitor_interval_secs.max(1));
    loop {
        if let Err(e) = crate::routes::uploads::expire_stale(&state).await {
            tracing::warn!(error = %e, "upload janitor failed");
        }
        let staging = state.config.staging_dir();
        let max_age = std::time::Duration::from_secs(2 * state.config.uploads.expire_after_secs);
        match tokio::task::spawn_blocking(move || sweep_stale_files(&staging, max_age)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "stale staging files removed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "staging sweep failed"),
            Err(e) => tracing::warn!(error = %e, "staging sweep panicked"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Every upload expires within `expire_after_secs` of its creation, so a staging file untouched
/// for twice that long belongs to nothing (a request cut short by a crash).
fn sweep_stale_files(
    dir: &std::path::Path,
    max_age: std::time::Duration,
) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
        if age > max_age && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
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

#[cfg(test)]
mod tests {
    #[test]
    fn sweeps_only_old_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fresh.part"), b"x").unwrap();
        assert_eq!(
            super::sweep_stale_files(dir.path(), std::time::Duration::from_secs(60)).unwrap(),
            0
        );
        assert_eq!(
            super::sweep_stale_files(dir.path(), std::time::Duration::ZERO).unwrap(),
            1
        );
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        assert_eq!(
            super::sweep_stale_files(&dir.path().join("missing"), std::time::Duration::ZERO)
                .unwrap(),
            0
        );
    }
}
