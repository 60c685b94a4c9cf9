//! `kill -9` at random points of capture and upload, over and over: afterwards every capture
//! the agent acknowledged is on the server exactly once and the local store is consistent.
//! `SIGHTLINE_AGENT_KILL_ITERATIONS` sets the number of kills (100 by default).

use crate::proxy::Mode;
use crate::{World, unique};
use serde_json::{Value, json};
use sightline_agent::store::{AgentStore, CaptureState};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A small deterministic generator: the seed is printed so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

async fn spawn_agent(world: &World, dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .arg("agent")
        .arg("--data-dir")
        .arg(dir)
        .args(["--server", &world.proxy.url()])
        .args(["--token", &world.device_token])
        .args(["--device-id", &world.device_id])
        .args(["--source", "testsrc", "--width", "320", "--height", "240"])
        .args(["--fps", "15", "--location", "fixed:41.8986,12.4769"])
        .args(["--video-kbps", "800", "--control", "127.0.0.1:0"])
        // Upload failures (and their reasons) are info: a queue that stops moving says why.
        .env("SIGHTLINE_LOG", "warn,sightline_agent::queue=info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("agent starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("agent prints its control address")
        .unwrap()
        .expect("a line");
    let control = line
        .rsplit_once("http://")
        .map(|(_, addr)| format!("http://{addr}"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (child, control)
}

async fn camera_ready(http: &reqwest::Client, control: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = http.get(format!("{control}/status")).send().await
            && let Ok(status) = response.json::<Value>().await
            && status["camera"]
                .as_str()
                .is_some_and(|c| c.ends_with("fps"))
        {
            return;
        }
        assert!(Instant::now() < deadline, "camera never ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `text`; the media id when the agent acknowledged a finished capture.
async fn send(http: reqwest::Client, control: String, text: &'static str) -> Option<String> {
    let response = http
        .post(format!("{control}/command"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .ok()?;
    let ok = response.status().is_success();
    let body: Value = response.json().await.ok()?;
    let finished = matches!(text, "take a picture" | "stop recording");
    (ok && finished)
        .then(|| body["media_id"].as_str().map(str::to_owned))
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_loses_nothing_and_duplicates_nothing() {
    let iterations: u64 = std::env::var("SIGHTLINE_AGENT_KILL_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("kill loop seed {seed}");
    // The in-process server's warnings (a request still running after 30 s names itself) show
    // in the output of a failing run.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_test_writer()
        .try_init();
    let mut rng = Rng(seed);
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut acknowledged = BTreeSet::new();

    for i in 0..iterations {
        let (mut child, control) = spawn_agent(&world, dir.path()).await;
        // One kill in ten lands during start-up (recovery, camera start).
        if rng.below(10) > 0 {
            camera_ready(&http, &control).await;
            let mut sent = Vec::new();
            for _ in 0..=rng.below(3) {
                sent.push(tokio::spawn(send(
                    http.clone(),
                    control.clone(),
                    "take a picture",
                )));
            }
            if i % 7 == 3 {
                let (http, control) = (http.clone(), control.clone());
                let stop_after = Duration::from_millis(rng.below(800));
                sent.push(tokio::spawn(async move {
                    send(http.clone(), control.clone(), "record a video").await;
                    tokio::time::sleep(stop_after).await;
                    send(http, control, "stop recording").await
                }));
            }
            tokio::time::sleep(Duration::from_millis(rng.below(600))).await;
            child.start_kill().unwrap();
            for task in sent {
                if let Ok(Some(id)) = task.await {
                    acknowledged.insert(id);
                }
            }
        } else {
            tokio::time::sleep(Duration::from_millis(rng.below(150))).await;
            child.start_kill().unwrap();
        }
        child.wait().await.unwrap();
    }

    // A last, undisturbed run uploads whatever is left.
    let (mut child, control) = spawn_agent(&world, dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status: Value = http
            .get(format!("{control}/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pending = status["queue"]["pending_user_requested"].as_u64().unwrap()
            + status["queue"]["pending_other"].as_u64().unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never drained: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    let on_server = unique(&world.server_media().await);
    let lost: Vec<_> = acknowledged.difference(&on_server).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");

    // The local store agrees with the server and with the files on disk.
    let store = AgentStore::open(&dir.path().join("agent.db"))
        .await
        .unwrap();
    // The last run recovered whatever the kills left half-written.
    assert!(
        store
            .in_state(CaptureState::Writing)
            .await
            .unwrap()
            .is_empty()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("media"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let uploaded = store.in_state(CaptureState::Uploaded).await.unwrap();
    let local: BTreeSet<String> = uploaded.iter().map(|c| c.media_id.to_string()).collect();
    assert_eq!(local, on_server, "local store and server disagree");
    assert!(
        store
            .in_state(CaptureState::Pending)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .in_state(CaptureState::Corrupt)
            .await
            .unwrap()
            .is_empty()
    );
    for capture in &uploaded {
        let path = dir.path().join("media").join(&capture.file_name);
        let (_, sha) = sightline_agent::capture::hash_file(&path).await.unwrap();
        assert_eq!(Some(sha), capture.sha256, "{}", path.display());
    }
    println!(
        "{iterations} kills: {} acknowledged, {} on the server",
        acknowledged.len(),
        on_server.len()
    );
}
