//! The device channel: a WebSocket to the server's `/api/v1/devices/channel`, kept open and
//! reopened with backoff. It reports battery, power mode, storage, the upload queue,
//! connectivity and firmware on connect, every [`TelemetryConfig::interval`] and when the
//! battery, power mode or connectivity change; it carries out the commands the server sends
//! and answers each with a `command_result`.

use crate::queue::Connectivity;
use crate::{Agent, CommandOutcome};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use sightline_core::MediaId;
use sightline_core::backoff::RetryPolicy;
use sightline_core::command::Command;
use sightline_core::settings::AgentSettings;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, http::header::AUTHORIZATION};

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// A full report at least this often.
    pub interval: Duration,
    /// Waits between failed connection attempts (jittered, growing to `max`).
    pub reconnect: RetryPolicy,
    /// Reported as the device's firmware; `None` leaves what the server has.
    pub firmware_version: Option<String>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            reconnect: RetryPolicy {
                base: Duration::from_secs(1),
                max: Duration::from_secs(60),
                max_attempts: u32::MAX,
            },
            firmware_version: Some(concat!("sightline-agent ", env!("CARGO_PKG_VERSION")).into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("server address {0} must start with http:// (wss:// is not built into this agent)")]
    Url(String),
    #[error("the device token cannot go in a header")]
    Token,
    #[error("connecting timed out")]
    Timeout,
    #[error(transparent)]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the server went silent")]
    Silent,
}

/// The channel's URL for a server root such as `http://127.0.0.1:8080`.
pub fn channel_url(server: &str) -> Result<String, ChannelError> {
    let root = server.trim().trim_end_matches('/');
    let (scheme, rest) = if let Some(rest) = root.strip_prefix("https://") {
        ("wss", rest)
    } else if let Some(rest) = root.strip_prefix("http://") {
        ("ws", rest)
    } else {
        return Err(ChannelError::Url(server.to_owned()));
    };
    if rest.is_empty() {
        return Err(ChannelError::Url(server.to_owned()));
    }
    Ok(format!("{scheme}://{rest}/api/v1/devices/channel"))
}

/// One telemetry frame, as the server's channel reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TelemetryFrame {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub battery_level: Option<u8>,
    pub charging: Option<bool>,
    pub power_mode: String,
    pub storage_free_bytes: Option<u64>,
    pub storage_used_bytes: Option<u64>,
    pub pending_uploads: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connectivity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
}

/// What a change worth reporting at once is made of (not storage, which moves all the time),
/// read without touching the local database.
type Key = (Option<u8>, Option<bool>, &'static str, Option<&'static str>);

fn key(agent: &Agent) -> Key {
    let power = agent.power().state();
    (
        battery_level(&power),
        power.battery.as_ref().map(|b| b.charging),
        power.mode.as_str(),
        connectivity(agent),
    )
}

fn battery_level(power: &crate::power::PowerState) -> Option<u8> {
    power
        .battery
        .as_ref()
        .map(|b| b.level_percent.round().clamp(0.0, 100.0) as u8)
}

fn connectivity(agent: &Agent) -> Option<&'static str> {
    match agent.queue().connectivity() {
        Connectivity::Offline { .. } => Some("offline"),
        _ => link_kind(),
    }
}

/// The agent's state as a telemetry frame.
pub async fn telemetry(agent: &Agent, firmware_version: Option<String>) -> TelemetryFrame {
    let power = agent.power().state();
    let status = agent.status().await;
    if let Err(err) = &status {
        tracing::warn!(error = %err, "telemetry without storage and queue");
    }
    let status = status.ok();
    TelemetryFrame {
        kind: "telemetry",
        battery_level: battery_level(&power),
        charging: power.battery.as_ref().map(|b| b.charging),
        power_mode: power.mode.as_str().to_owned(),
        storage_free_bytes: status.as_ref().map(|s| {
            let used = s.storage.unsynced_bytes + s.storage.synced_bytes;
            s.storage
                .disk_free_bytes
                .min(s.storage.quota_bytes.saturating_sub(used))
        }),
        storage_used_bytes: status
            .as_ref()
            .map(|s| s.storage.unsynced_bytes + s.storage.synced_bytes),
        pending_uploads: status
            .as_ref()
            .map(|s| s.queue.pending_user_requested + s.queue.pending_other),
        connectivity: connectivity(agent),
        firmware_version,
    }
}

/// Wi-Fi or cellular, from the network interfaces that are up; `None` when neither is.
fn link_kind() -> Option<&'static str> {
    let mut found = None;
    for entry in std::fs::read_dir("/sys/class/net").ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let up =
            std::fs::read_to_string(entry.path().join("operstate")).is_ok_and(|s| s.trim() == "up");
        if !up {
            continue;
        }
        if entry.path().join("wireless").exists() || name.starts_with("wl") {
            return Some("wifi");
        }
        if name.starts_with("ww") || name.starts_with("rmnet") {
            found = Some("cellular");
        }
    }
    found
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromServer {
    Command {
        id: String,
        command: serde_json::Value,
    },
    /// The owner's settings, whole.
    Settings {
        version: u64,
        settings: AgentSettings,
    },
    Error {
        message: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Serialize)]
struct SettingsApplied {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u64,
}

#[derive(Serialize)]
struct CommandResult {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    ok: bool,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_id: Option<MediaId>,
}

/// Keeps the channel open for as long as the agent runs.
pub fn spawn(agent: Agent, config: TelemetryConfig) -> JoinHandle<()> {
    tokio::spawn(run(agent, config))
}

pub async fn run(agent: Agent, config: TelemetryConfig) {
    let url = match channel_url(&agent.config().server) {
        Ok(url) => url,
        Err(err) => {
            tracing::warn!(error = %err, "no device channel: the server cannot send commands");
            return;
        }
    };
    let mut failures = 0u32;
    loop {
        let started = Instant::now();
        match session(&agent, &config, &url).await {
            Ok(()) => tracing::info!("device channel closed by the server"),
            Err(err) => tracing::info!(error = %err, "device channel down"),
        }
        // A connection that lasted starts the schedule over.
        if started.elapsed() > config.reconnect.max {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        let seed = uuid::Uuid::new_v4().as_u128() as u64;
        tokio::time::sleep(config.reconnect.delay_after(failures, seed)).await;
    }
}

/// The server pings every 20 s; this long without a frame means the link is dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often connectivity is looked at for a change.
const LOOK_EVERY: Duration = Duration::from_secs(2);

async fn session(agent: &Agent, config: &TelemetryConfig, url: &str) -> Result<(), ChannelError> {
    let mut request = url.into_client_request()?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", agent.config().token))
        .map_err(|_| ChannelError::Token)?;
    request.headers_mut().insert(AUTHORIZATION, bearer);
    let (socket, _) =
        tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request))
            .await
            .map_err(|_| ChannelError::Timeout)??;
    tracing::info!(%url, "device channel open");
    let (mut sink, mut stream) = socket.split();
    let (results, mut finished) = mpsc::channel::<CommandResult>(16);
    let mut power = agent.power().subscribe();
    let mut beat = tokio::time::interval(config.interval);
    let mut look = tokio::time::interval(LOOK_EVERY);
    let mut last_key = None;
    let mut last_heard = Instant::now();
    loop {
        let mut report = false;
        let mut full = false;
        tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<FromServer>(&text) {
                        Ok(FromServer::Settings { version, settings }) => {
                            agent.apply_settings(&settings);
                            let every = settings
                                .telemetry_secs
                                .map_or(config.interval, |s| Duration::from_secs(s.into()));
                            // Its first tick is now: the owner sees the new state at once.
                            beat = tokio::time::interval(every);
                            tracing::info!(version, ?settings, "settings from the owner applied");
                            let applied = SettingsApplied { kind: "settings_applied", version };
                            send(&mut sink, &applied).await?;
                        }
                        Ok(frame) => {
                            if let Some(reply) = on_frame(agent, frame, &results) {
                                send(&mut sink, &reply).await?;
                            }
                        }
                        Err(err) => tracing::warn!(error = %err, "unreadable frame from the server"),
                    },
                    // The pong is queued by the library; flushing sends it.
                    Some(Ok(Message::Ping(_))) => sink.flush().await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(err)) => return Err(err.into()),
                }
            }
            Some(result) = finished.recv() => send(&mut sink, &result).await?,
            _ = beat.tick() => full = true,
            changed = power.changed() => report = changed.is_ok(),
            _ = look.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return Err(ChannelError::Silent);
                }
                report = true;
            }
        }
        if report || full {
            let now = key(agent);
            if full || last_key != Some(now) {
                last_key = Some(now);
                let frame = telemetry(agent, config.firmware_version.clone()).await;
                send(&mut sink, &frame).await?;
            }
        }
    }
}

async fn send<S>(sink: &mut S, value: &impl Serialize) -> Result<(), ChannelError>
where
    S: futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    match serde_json::to_string(value) {
        Ok(text) => Ok(sink.send(Message::Text(text.into())).await?),
        Err(err) => {
            tracing::error!(error = %err, "channel frame not serialisable");
            Ok(())
        }
    }
}

/// Starts a command the server sent (its result is sent when done); answers at once only
/// for what cannot be carried out.
fn on_frame(
    agent: &Agent,
    frame: FromServer,
    results: &mpsc::Sender<CommandResult>,
) -> Option<CommandResult> {
    let (id, command) = match frame {
        FromServer::Command { id, command } => (id, command),
        FromServer::Error { message } => {
            tracing::warn!(%message, "the server refused a frame");
            return None;
        }
        FromServer::Settings { .. } | FromServer::Other => return None,
    };
    let command = match serde_json::from_value::<Command>(command) {
        Ok(command) => command,
        Err(err) => {
            return Some(CommandResult {
                kind: "command_result",
                id,
                ok: false,
                message: format!("this agent does not know that command ({err})"),
                media_id: None,
            });
        }
    };
    tracing::info!(?command, "command from the server");
    let (agent, results) = (agent.clone(), results.clone());
    // Captures take a moment; telemetry and other commands go on meanwhile.
    tokio::spawn(async move {
        let CommandOutcome {
            ok,
            message,
            media_id,
            ..
        } = agent.handle_command(command, "server").await;
        let result = CommandResult {
            kind: "command_result",
            id,
            ok,
            message,
            media_id,
        };
        let _ = results.send(result).await;
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_url_follows_the_server_root() {
        assert_eq!(
            channel_url("http://127.0.0.1:8080/").unwrap(),
            "ws://127.0.0.1:8080/api/v1/devices/channel"
        );
        assert_eq!(
            channel_url("https://photos.example.com").unwrap(),
            "wss://photos.example.com/api/v1/devices/channel"
        );
        assert!(channel_url("ftp://example.com").is_err());
        assert!(channel_url("http://").is_err());
    }

    /// A `wss://` server is reached through TLS (here a listener that is not TLS, so the
    /// handshake must fail with an error rather than go unencrypted or panic).
    #[tokio::test]
    async fn wss_speaks_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            if let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(b"HTTP/1.1 400 not tls\r\n\r\n").await;
            }
        });
        let url = channel_url(&format!("https://localhost:{port}")).unwrap();
        let outcome = tokio_tungstenite::connect_async(url).await;
        let Err(err) = outcome else {
            panic!("a plain listener passed for a TLS server")
        };
        assert!(
            matches!(
                err,
                tokio_tungstenite::tungstenite::Error::Tls(_)
                    | tokio_tungstenite::tungstenite::Error::Io(_)
            ),
            "{err}"
        );
    }

    #[test]
    fn server_frames_are_read_leniently() {
        let command: FromServer = serde_json::from_str(
            r#"{"type":"command","id":"1","command":{"command":"take_picture"}}"#,
        )
        .unwrap();
        assert!(matches!(command, FromServer::Command { .. }));
        let newer: FromServer = serde_json::from_str(r#"{"type":"start_stream","x":1}"#).unwrap();
        assert!(matches!(newer, FromServer::Other));
    }
}
