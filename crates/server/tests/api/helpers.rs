use base64::Engine;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sightline_server::Server;
use sightline_server::config::Config;
use std::time::Duration;

pub struct TestApp {
    /// Kept so the server lives as long as the test.
    pub _server: Server,
    pub url: String,
    pub http: Client,
    pub data: tempfile::TempDir,
}

pub struct TestUser {
    pub token: String,
    pub refresh: String,
    pub id: String,
}

pub fn test_config(data: &std::path::Path) -> Config {
    let mut config = Config {
        data_dir: data.to_path_buf(),
        ..Config::default()
    };
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.uploads.max_size = 64 * 1024 * 1024;
    config.uploads.max_oneshot_size = 16 * 1024 * 1024;
    config.workers.lease_secs = 5;
    config.workers.poll_interval_ms = 50;
    config.workers.retry_base_secs = 1;
    config.workers.max_attempts = 3;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(data.path());
    adjust(&mut config);
    let server = Server::start(config).await.expect("server starts");
    let url = server.url();
    TestApp {
        _server: server,
        url,
        http: Client::new(),
        data,
    }
}

/// A server started again on `data` (the same database, blobs and secret).
pub async fn start_on(data: tempfile::TempDir) -> TestApp {
    let server = Server::start(test_config(data.path()))
        .await
        .expect("restarts");
    TestApp {
        url: server.url(),
        _server: server,
        http: Client::new(),
        data,
    }
}

impl TestApp {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    pub async fn register(&self, name: &str) -> TestUser {
        let response = self
            .http
            .post(self.api("/auth/register"))
            .json(&json!({"email": format!("{name}@example.com"), "password": "correct horse battery"}))
            .send()
            .await
            .expect("register");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        TestUser {
            token: body["access_token"].as_str().expect("token").to_string(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_string(),
            id: body["user_id"].as_str().expect("id").to_string(),
        }
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        decode(response).await
    }

    pub async fn create_device(&self, token: &str, kind: &str) -> (String, String) {
        let response = self
            .http
            .post(self.api("/devices"))
            .bearer_auth(token)
            .json(&json!({"type": kind, "name": "test device"}))
            .send()
            .await
            .expect("create device");
        let (status, body) = decode(response).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["device_id"].as_str().expect("id").into(),
            body["device_token"].as_str().expect("token").into(),
        )
    }

    /// Polls the item until it leaves pending/processing.
    pub async fn wait_processed(&self, token: &str, media_id: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        loop {
            let (status, body) = self.get_json(token, &format!("/media/{media_id}")).await;
            if status == StatusCode::OK
                && matches!(body["status"].as_str(), Some("ready" | "failed"))
            {
                return body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "media {media_id} not processed in time: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn client(&self, token: &str) -> sightline_client::TusClient {
        sightline_client::TusClient::new(&self.url, token).expect("client")
    }

    /// Every blob file under the data directory.
    pub fn blob_files(&self) -> Vec<String> {
        let root = self.data.path().join("blobs");
        let mut found = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.push(
                        path.strip_prefix(&root)
                            .expect("under root")
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        found
    }
}

pub async fn decode(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn metadata(pairs: &[(&str, &str)]) -> String {
    sightline_core::tus::encode_metadata(pairs.iter().copied())
}

pub fn sha256_header(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
    )
}

pub async fn ffmpeg(args: &[&str]) {
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .await
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// A short real clip (test pattern, no audio) at `path`.
pub async fn make_clip(path: &std::path::Path, secs: u32) {
    let duration = secs.to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-t",
        &duration,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        &path.to_string_lossy(),
    ])
    .await;
}

pub const OPENCV_DATA: &str = "/usr/share/doc/opencv-doc/examples/data";
