//! The Sightline server: HTTP API, tus uploads and processing workers, over the backends chosen
//! by configuration.

pub mod auth;
pub mod channels;
pub mod config;
pub mod error;
mod ingest;
mod locks;
pub mod memories;
pub mod notifications;
pub mod readmodel;
pub mod retention;
pub mod routes;
pub mod state;
pub mod workers;

use crate::auth::tokens::Keys;
use crate::config::Config;
use crate::state::AppState;
use anyhow::Context;
use sightline_media::Tools;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Opens everything the server runs on; the flag says the search index starts empty.
async fn open_state(config: Config) -> anyhow::Result<(AppState, bool)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let secret = config.resolve_secret()?;
    let mut backends = sightline_store::resolve(&config.metadata_url(), &config.blob_url())
        .await
        .context("cannot open storage")?;
    let retention::RetentionStores { tiers, offsite } =
        retention::open_stores(&config.retention, &mut backends)?;
    let (search, search_is_new) = sightline_search::resolve(
        &config.search_url(),
        &sightline_search::TantivyConfig::default(),
    )
    .context("cannot open the search index (is a server running on this data directory?)")?;
    let tools = Tools {
        ffmpeg: config.media.ffmpeg.clone().into(),
        ffprobe: config.media.ffprobe.clone().into(),
        probe_timeout: Duration::from_secs(config.media.probe_timeout_secs),
        stills_timeout: Duration::from_secs(config.media.probe_timeout_secs * 2),
        normalise_timeout: Duration::from_secs(config.media.transcode_timeout_secs),
    };
    if config.workers.concurrency > 0 {
        match tools.check().await {
            Ok(version) => tracing::info!(%version, "media tools found"),
            Err(e) => {
                tracing::warn!(error = %e, "media processing will fail until this is fixed")
            }
        }
    }
    let state = AppState {
        keys: Arc::new(Keys::new(&secret, config.auth.access_token_secs)),
        config: Arc::new(config),
        backends,
        search,
        hub: tokio::sync::broadcast::channel(state::HUB_CAPACITY).0,
        vocabularies: Arc::default(),
        locks: Arc::default(),
        tools: Arc::new(tools),
        wake: Arc::default(),
        channels: Arc::default(),
        notifications: Arc::new(
            notifications::Notifier::new(&secret).context("cannot set up notifications")?,
        ),
        tiers,
        offsite,
        detector: Arc::default(),
    };
    Ok((state, search_is_new))
}

/// Rebuilds the search index from the write model (the server must not be running on the same
/// data directory). Returns the documents written.
pub async fn reindex(config: Config) -> anyhow::Result<u64> {
    let (state, _) = open_state(config).await?;
    readmodel::rebuild(&state).await
}

/// A running server: its address and its tasks. Dropping it does not stop it; call `shutdown`.
pub struct Server {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// Opens the backends, starts the workers and begins serving on `config.listen`.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        Self::start_on(config, listener).await
    }

    pub async fn start_on(mut config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        config.listen = addr;
        let (state, search_is_new) = open_state(config).await?;
        if search_is_new {
            let written = readmodel::rebuild(&state)
                .await
                .context("cannot build the search index")?;
            tracing::info!(written, "search index built from the library");
        }
        let lost = ingest::recover(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot check the latest originals")?;
        if lost > 0 {
            tracing::warn!(
                lost,
                "items whose original was lost in a crash were removed"
            );
        }
        let mut tasks = workers::spawn(&state).await?;
        let app =
            routes::router(state.clone()).layer(tower_http::trace::TraceLayer::new_for_http());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "http server stopped");
            }
        }));
        tracing::info!(%addr, "sightline listening");
        Ok(Self { addr, state, tasks })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the HTTP server task ends (it runs until the process stops).
    pub async fn wait(mut self) {
        if let Some(http) = self.tasks.pop() {
            let _ = http.await;
        }
    }

    pub fn shutdown(self) {
        // Devices learn at once, as they would when the process ends.
        self.state.channels.close_all();
        for task in self.tasks {
            task.abort();
        }
    }
}
