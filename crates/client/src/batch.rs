//! Importing many files: walk the paths, then upload a few at a time, resuming interrupted
//! uploads from the state file, with one progress bar for the total bytes.

use crate::client::{TusClient, UploadOutcome};
use crate::error::ClientError;
use crate::media_id::media_id_for_file;
use crate::meta::UploadMeta;
use crate::resume::{ResumeKey, ResumeState, write_atomic};
use crate::source::Source;
use crate::walk::{FoundFile, walk_media};
use futures::{StreamExt, stream};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Files uploaded at once.
    pub parallel: usize,
    /// No progress bars (they are also hidden when stderr is not a terminal).
    pub quiet: bool,
    /// Sent as `device_id` with every file, when uploading on a device's behalf.
    pub device_id: Option<String>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            parallel: 2,
            quiet: false,
            device_id: None,
        }
    }
}

#[derive(Debug, Default)]
pub struct Summary {
    pub uploaded: usize,
    /// The server had every byte already (an earlier import, or the same content elsewhere).
    pub already_present: usize,
    pub skipped: usize,
    pub failed: Vec<(PathBuf, String)>,
    pub bytes_sent: u64,
}

/// Uploads the media files under `paths`. Per-file failures land in `Summary::failed`; the
/// whole import stops with an error only when the credentials are refused, since every
/// other file would fail the same way.
pub async fn upload_paths(
    client: &TusClient,
    paths: &[PathBuf],
    opts: &UploadOptions,
    state_path: &Path,
) -> Result<Summary, ClientError> {
    let owned = paths.to_vec();
    let walk = blocking(move || Ok(walk_media(&owned))).await?;
    let state_path = state_path.to_path_buf();
    let state = Mutex::new(blocking(move || ResumeState::load(&state_path)).await?);
    let bars = Bars::new(opts.quiet, walk.total_bytes());
    let mut summary = Summary {
        skipped: walk.skipped,
        failed: walk.errors,
        ..Summary::default()
    };

    let (state, bars) = (&state, &bars);
    let mut results = stream::iter(walk.files)
        .map(|file| async move {
            let result = upload_one(client, state, bars, &file, opts).await;
            (file.path, result)
        })
        .buffer_unordered(opts.parallel.max(1));
    while let Some((path, result)) = results.next().await {
        match result {
            Ok(outcome) => {
                summary.bytes_sent += outcome.bytes_sent_this_run;
                match outcome.already_present() {
                    true => summary.already_present += 1,
                    false => summary.uploaded += 1,
                }
            }
            Err(err) if err.is_auth() => {
                bars.total.abandon();
                return Err(err);
            }
            Err(err) => {
                let message = err.describe();
                bars.println(format!("failed: {}: {message}", path.display()));
                summary.failed.push((path, message));
            }
        }
    }
    bars.total.finish();
    Ok(summary)
}

async fn upload_one(
    client: &TusClient,
    state: &Mutex<ResumeState>,
    bars: &Bars,
    file: &FoundFile,
    opts: &UploadOptions,
) -> Result<UploadOutcome, ClientError> {
    let bar = bars.file(&file.path);
    let (server, path) = (client.base().to_string(), file.path.clone());
    let key = blocking(move || ResumeKey::for_file(&server, &path)).await?;
    let saved = state
        .lock()
        .await
        .get(&key)
        .map(|(url, id)| (url.to_string(), id));
    let media_id = match &saved {
        Some((_, id)) => *id,
        None => {
            bar.0
                .set_message(format!("hashing {}", display_name(&file.path)));
            let path = file.path.clone();
            blocking(move || media_id_for_file(&path)).await?
        }
    };
    bar.0.set_message(display_name(&file.path));
    bar.0.set_length(key.size);

    let meta = UploadMeta {
        device_id: opts.device_id.clone(),
        ..UploadMeta::new(media_id)
    }
    .with_file_defaults(&file.path);
    let source = Source::File {
        path: file.path.clone(),
        len: key.size,
    };
    let saved_url = saved.as_ref().map(|(url, _)| url.as_str());
    let started = client.start(&source, &meta, saved_url).await?;
    let remembered = !started.is_complete() && saved_url != Some(started.url.as_str());
    if remembered {
        let url = started.url.clone();
        update_state(state, |s| s.insert(key.clone(), url, media_id)).await;
    }

    let sent = AtomicU64::new(0);
    let progress = |now: u64, _total: u64| {
        let before = sent.fetch_max(now, Ordering::Relaxed);
        bars.total.inc(now.saturating_sub(before));
        bar.0.set_position(now);
    };
    let outcome = client.finish(started, &source, &progress).await?;
    if saved.is_some() || remembered {
        update_state(state, |s| {
            s.remove(&key);
        })
        .await;
    }
    Ok(outcome)
}

/// Changes the state and writes it out. A failed write only loses the shortcut, so it is
/// logged, not returned.
async fn update_state(state: &Mutex<ResumeState>, change: impl FnOnce(&mut ResumeState)) {
    // Held across the write so two uploads cannot persist their snapshots out of order.
    let mut guard = state.lock().await;
    change(&mut guard);
    let path = guard.path().to_path_buf();
    let result = match guard.to_bytes() {
        Ok(bytes) => {
            let target = path.clone();
            blocking(move || write_atomic(&target, &bytes)).await
        }
        Err(e) => Err(e),
    };
    if let Err(error) = result {
        tracing::warn!(path = %path.display(), %error, "cannot save upload resume state");
    }
}

/// Runs blocking file work (hashing, walking, stat) off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
}

/// One file's bar; taken off the screen when the upload ends, however it ends.
struct FileBar<'a>(ProgressBar, &'a MultiProgress);

impl Drop for FileBar<'_> {
    fn drop(&mut self) {
        self.0.finish_and_clear();
        self.1.remove(&self.0);
    }
}

impl Bars {
    fn new(quiet: bool, total_bytes: u64) -> Self {
        let target = match quiet || !io::stderr().is_terminal() {
            true => ProgressDrawTarget::hidden(),
            false => ProgressDrawTarget::stderr(),
        };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(total_bytes).with_style(style(
            "[{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )));
        Self { multi, total }
    }

    fn file(&self, path: &Path) -> FileBar<'_> {
        let bar = ProgressBar::new(0)
            .with_style(style("  {wide_msg} {bytes}/{total_bytes}"))
            .with_message(display_name(path));
        // Above the total, so the total stays on the last line.
        FileBar(self.multi.insert_before(&self.total, bar), &self.multi)
    }

    fn println(&self, line: String) {
        // Nowhere to print when hidden; the summary carries the failure anyway.
        let _ = self.multi.println(line);
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server address nothing listens on.
    fn closed_port_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    }

    #[tokio::test]
    async fn nothing_to_upload_touches_no_server() {
        // Any request would fail, so success proves none was made.
        let client = TusClient::new(&closed_port_url(), "token").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let opts = UploadOptions {
            quiet: true,
            ..UploadOptions::default()
        };
        let state = dir.path().join("state.json");
        let summary = upload_paths(&client, &[dir.path().to_path_buf()], &opts, &state)
            .await
            .unwrap();
        assert_eq!((summary.uploaded, summary.skipped), (0, 1));
        assert!(summary.failed.is_empty());
    }

    #[tokio::test]
    async fn unreachable_server_fails_the_file_not_the_import() {
        let client = TusClient::new(&closed_port_url(), "token")
            .unwrap()
            .with_retry_policy(sightline_core::backoff::RetryPolicy {
                base: std::time::Duration::ZERO,
                max: std::time::Duration::ZERO,
                max_attempts: 2,
            });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"jpeg").unwrap();
        let opts = UploadOptions {
            quiet: true,
            ..UploadOptions::default()
        };
        let state = dir.path().join("state.json");
        let summary = upload_paths(&client, &[dir.path().to_path_buf()], &opts, &state)
            .await
            .unwrap();
        assert_eq!(summary.failed.len(), 1);
        assert!(
            summary.failed[0].1.contains("request failed"),
            "{:?}",
            summary.failed
        );
    }
}
