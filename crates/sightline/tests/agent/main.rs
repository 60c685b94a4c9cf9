//! The glasses agent against a real server on loopback, through a proxy that takes the
//! network away: every capture must arrive exactly once, whatever happens on the way.

mod channel;
mod doorbell;
mod kill;
mod live;
mod power;
mod proxy;
mod scenarios;
mod sync;
mod voice;

use proxy::{Mode, Proxy};
use serde_json::{Value, json};
use sightline_agent::camera::{CaptureSource, FrameFormat};
use sightline_agent::location::LocationSource;
use sightline_agent::power::BatterySource;
use sightline_agent::recorder::VideoSettings;
use sightline_agent::{Agent, AgentConfig, Profile};
use sightline_server::Server;
use sightline_server::config::Config;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct World {
    pub server: Server,
    pub proxy: Proxy,
    pub user_token: String,
    pub device_id: String,
    pub device_token: String,
    pub http: reqwest::Client,
    _server_dir: tempfile::TempDir,
}

impl World {
    pub async fn start(mode: Mode) -> Self {
        let server_dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: server_dir.path().to_path_buf(),
            ..Config::default()
        };
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.workers.poll_interval_ms = 50;
        let server = Server::start(config).await.unwrap();
        let http = reqwest::Client::new();
        let (user_token, device_id, device_token) = register_wearer(&http, &server.url()).await;
        let proxy = Proxy::start(server.addr, mode).await;
        Self {
            server,
            proxy,
            user_token,
            device_id,
            device_token,
            http,
            _server_dir: server_dir,
        }
    }

    pub fn agent_config(&self, data_dir: &Path) -> AgentConfig {
        agent_config_for(
            &self.proxy.url(),
            &self.device_id,
            &self.device_token,
            data_dir,
        )
    }

    pub async fn start_agent(&self, data_dir: &Path) -> Agent {
        let (agent, _) = Agent::start(self.agent_config(data_dir)).await.unwrap();
        agent.camera().ready(Duration::from_secs(30)).await.unwrap();
        agent
    }

    /// Media ids the server lists for the wearer (all of them, every page).
    pub async fn server_media(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/v1/media?limit=100", self.server.url());
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let body: Value = self
                .http
                .get(url)
                .bearer_auth(&self.user_token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for item in body["items"].as_array().unwrap() {
                ids.push(item["id"].as_str().unwrap().to_owned());
            }
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

/// A wearer and their glasses on the server at `url`: (user token, device id, device token).
pub async fn register_wearer(http: &reqwest::Client, url: &str) -> (String, String, String) {
    let body: Value = http
        .post(format!("{url}/api/v1/auth/register"))
        .json(&json!({"email": "wearer@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = body["access_token"].as_str().unwrap().to_owned();
    let (id, token) = create_device(http, url, &user, "smart_glass").await;
    (user, id, token)
}

/// A new device of the user's: (device id, device token).
pub async fn create_device(
    http: &reqwest::Client,
    url: &str,
    user_token: &str,
    device_type: &str,
) -> (String, String) {
    let device: Value = http
        .post(format!("{url}/api/v1/devices"))
        .bearer_auth(user_token)
        .json(&json!({"type": device_type, "name": device_type}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        device["device_id"].as_str().unwrap().to_owned(),
        device["device_token"].as_str().unwrap().to_owned(),
    )
}

/// Glasses on a test pattern with small frames at a fixed place, talking to `server`.
pub fn agent_config_for(server: &str, device_id: &str, token: &str, dir: &Path) -> AgentConfig {
    AgentConfig {
        profile: Profile::Glasses,
        data_dir: dir.to_path_buf(),
        server: server.to_owned(),
        token: token.to_owned(),
        device_id: Some(device_id.to_owned()),
        source: CaptureSource::TestPattern,
        format: FrameFormat {
            width: 320,
            height: 240,
            fps: 15,
        },
        location: LocationSource::Fixed {
            lat: 48.8584,
            lon: 2.2945,
        },
        quota_bytes: 1 << 30,
        orientation: Some(1),
        video: VideoSettings::native(1500),
        battery: BatterySource::Mains,
        upload_chunk_bytes: 64 * 1024,
        control: "127.0.0.1:0".parse().unwrap(),
        doorbell: None,
        live_url: None,
    }
}

pub async fn command(agent: &Agent, text: &str) -> sightline_agent::CommandOutcome {
    let outcome = agent.handle_text(text, "test").await;
    assert!(outcome.ok, "{text}: {}", outcome.message);
    outcome
}

/// Waits until the agent's queue has noticed that the server is out of reach.
pub async fn wait_offline(agent: &Agent) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !matches!(
        agent.queue().connectivity(),
        sightline_agent::queue::Connectivity::Offline { .. }
    ) {
        assert!(
            std::time::Instant::now() < deadline,
            "the agent never noticed it is offline"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the agent has nothing left to upload.
pub async fn drained(agent: &Agent, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let status = agent.status().await.unwrap();
        if status.queue.pending_user_requested + status.queue.pending_other == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "queue not drained: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn unique(ids: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        set.len(),
        ids.len(),
        "duplicate media on the server: {ids:?}"
    );
    set
}
