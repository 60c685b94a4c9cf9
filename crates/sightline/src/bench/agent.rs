//! `sightline bench agent`: the glasses agent against an embedded server on loopback.
//! - text command → stored photo latency (p50/p99);
//! - spoken command end → command latency, against waiting for the whole end-of-speech silence;
//! - the upload queue draining what was captured offline, against plain sequential tus
//!   uploads of the same files in the same run;
//! - battery life per power mode from the power model, against the goals.

use crate::session::Session;
use anyhow::{Context, ensure};
use sightline_agent::camera::{CaptureSource, FrameFormat};
use sightline_agent::location::LocationSource;
use sightline_agent::power::BatterySource;
use sightline_agent::recorder::VideoSettings;
use sightline_agent::runtime::DEFAULT_UPLOAD_CHUNK_BYTES;
use sightline_agent::{Agent, AgentConfig, Profile};
use sightline_client::{TusClient, UploadMeta};
use sightline_core::MediaId;
use sightline_core::power::{
    ACTIVE_HOURS_GOAL, PowerMode, PowerModel, STANDBY_HOURS_GOAL, day_estimate,
};
use sightline_server::Server;
use sightline_server::config::Config;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct AgentBench {
    /// Photos taken by text command (their latency is measured).
    #[arg(long, default_value_t = 200)]
    pub photos: usize,
    /// Videos recorded while offline, each `video_secs` long.
    #[arg(long, default_value_t = 4)]
    pub videos: usize,
    #[arg(long, default_value_t = 5)]
    pub video_secs: u64,
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Rounds of spoken commands (six phrases each) for the voice latency.
    #[arg(long, default_value_t = 5)]
    pub spoken_rounds: usize,
    /// Scratch directory (on the disk to measure).
    #[arg(long, default_value = "/var/tmp")]
    pub dir: PathBuf,
}

struct Drain {
    files: usize,
    bytes: u64,
    elapsed: Duration,
}

impl Drain {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }

    fn files_per_s(&self) -> f64 {
        self.files as f64 / self.elapsed.as_secs_f64()
    }
}

pub async fn run(options: AgentBench) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir_in(&options.dir).context("creating the bench directory")?;
    let server_dir = scratch.path().join("server");
    let agent_dir = scratch.path().join("agent");
    let mut config = Config {
        data_dir: server_dir.clone(),
        ..Config::default()
    };
    config.listen = "127.0.0.1:0".parse()?;
    // Only the upload path is measured: processing would compete for the two cores.
    config.workers.concurrency = 0;
    let server = Server::start(config.clone()).await?;
    let addr = server.addr;
    let session =
        Session::login_or_register(&server.url(), "bench@sightline.local", "bench-password")
            .await?;
    let (status, device) = session
        .post(
            "/devices",
            serde_json::json!({"type": "smart_glass", "name": "bench glasses"}),
        )
        .await?;
    ensure!(status == 201, "creating the device failed: {device}");
    let token = device["device_token"].as_str().context("device token")?;
    server.shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Offline: everything is captured with the server down.
    let agent_config = agent_config(&options, &agent_dir, addr, token);
    let (agent, _) = Agent::start(agent_config).await?;
    agent.camera().ready(Duration::from_secs(30)).await?;
    let latencies = take_photos(&agent, options.photos).await?;
    for _ in 0..options.videos {
        ensure!(agent.handle_text("record a video", "bench").await.ok);
        tokio::time::sleep(Duration::from_secs(options.video_secs)).await;
        let stopped = agent.handle_text("stop recording", "bench").await;
        ensure!(stopped.ok, "{}", stopped.message);
    }
    let files = media_files(&agent_dir.join("media"))?;
    let bytes = files.iter().map(|(_, len)| len).sum();

    config.listen = addr;
    let server = Server::start(config)
        .await
        .context("restarting the server")?;
    let started = Instant::now();
    agent.queue().trigger().await?;
    wait_drained(&agent).await?;
    let queue = Drain {
        files: files.len(),
        bytes,
        elapsed: started.elapsed(),
    };
    let plain = plain_uploads(&server.url(), token, &files).await?;
    agent.shutdown().await;
    server.shutdown();

    let spoken = super::voice::run(options.spoken_rounds)?;
    print_latency(&latencies);
    super::voice::print(&spoken);
    print_drain(&options, &queue, &plain);
    print_battery();
    Ok(())
}

fn agent_config(options: &AgentBench, dir: &Path, server: SocketAddr, token: &str) -> AgentConfig {
    AgentConfig {
        profile: Profile::Glasses,
        data_dir: dir.to_path_buf(),
        server: format!("http://{server}"),
        token: token.to_owned(),
        device_id: None,
        source: CaptureSource::TestPattern,
        format: FrameFormat {
            width: options.width,
            height: options.height,
            fps: 30,
        },
        location: LocationSource::Fixed {
            lat: 48.8584,
            lon: 2.2945,
        },
        quota_bytes: 8 << 30,
        orientation: Some(1),
        video: VideoSettings::native(4000),
        battery: BatterySource::Mains,
        upload_chunk_bytes: DEFAULT_UPLOAD_CHUNK_BYTES,
        control: "127.0.0.1:0".parse().expect("a socket address"),
        doorbell: None,
        live_url: None,
    }
}

async fn take_photos(agent: &Agent, photos: usize) -> anyhow::Result<Vec<f64>> {
    let mut latencies = Vec::with_capacity(photos);
    for _ in 0..photos {
        let outcome = agent.handle_text("take a picture", "bench").await;
        ensure!(outcome.ok, "photo failed: {}", outcome.message);
        latencies.push(outcome.latency_ms);
        // One frame apart, as a wearer's burst would be at most.
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    latencies.sort_by(f64::total_cmp);
    Ok(latencies)
}

fn media_files(dir: &Path) -> anyhow::Result<Vec<(PathBuf, u64)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jpg" | "mp4")
        ) {
            let len = std::fs::metadata(&path)?.len();
            files.push((path, len));
        }
    }
    files.sort();
    Ok(files)
}

async fn wait_drained(agent: &Agent) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let status = agent.status().await?;
        if status.queue.pending_user_requested + status.queue.pending_other == 0 {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the queue did not drain: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The same files, one after another like the queue, with fresh media ids.
async fn plain_uploads(base: &str, token: &str, files: &[(PathBuf, u64)]) -> anyhow::Result<Drain> {
    let client = TusClient::new(base, token)?.with_chunk_size(DEFAULT_UPLOAD_CHUNK_BYTES);
    let started = Instant::now();
    for (path, _) in files {
        let meta = UploadMeta::new(MediaId::new_random()).with_file_defaults(path);
        client.upload_file(path, &meta, &|_, _| {}).await?;
    }
    Ok(Drain {
        files: files.len(),
        bytes: files.iter().map(|(_, len)| len).sum(),
        elapsed: started.elapsed(),
    })
}

fn print_latency(sorted_ms: &[f64]) {
    let at = |q: f64| {
        let index = ((sorted_ms.len() as f64 - 1.0) * q).round() as usize;
        sorted_ms.get(index).copied().unwrap_or(f64::NAN)
    };
    println!("\n| text command → stored photo | p50 ms | p99 ms | max ms | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| {} × \"take a picture\" | {:.1} | {:.1} | {:.1} | < 50 ms |",
        sorted_ms.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn print_drain(options: &AgentBench, queue: &Drain, plain: &Drain) {
    println!(
        "\n| upload over loopback ({} photos + {} × {} s videos at {}x{}) | files | MB | s | MB/s | files/s |",
        options.photos, options.videos, options.video_secs, options.width, options.height
    );
    println!("|---|---|---|---|---|---|");
    for (name, run) in [
        ("agent queue drain", queue),
        ("plain tus, sequential", plain),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.2} | {:.1} | {:.1} |",
            run.files,
            run.bytes as f64 / 1e6,
            run.elapsed.as_secs_f64(),
            run.mb_per_s(),
            run.files_per_s()
        );
    }
    println!(
        "| queue / plain | | | | {:.0} % | {:.0} % |",
        100.0 * queue.mb_per_s() / plain.mb_per_s(),
        100.0 * queue.files_per_s() / plain.files_per_s()
    );
}

fn print_battery() {
    println!(
        "\n| battery model | mode | active use h (goal ≥ {ACTIVE_HOURS_GOAL}) | standby h (goal ≥ {STANDBY_HOURS_GOAL}) | day of 4 h use + 20 h standby |"
    );
    println!("|---|---|---|---|---|");
    for (name, model) in [
        ("glasses", PowerModel::glasses()),
        ("doorbell", PowerModel::doorbell()),
    ] {
        for mode in PowerMode::ALL {
            let day = day_estimate(&model, mode, ACTIVE_HOURS_GOAL);
            let mark = |ok: bool| if ok { "✓" } else { "✗" };
            println!(
                "| {name} ({:.0} mAh) | {} | {:.1} {} | {:.1} {} | {:.0} of {:.0} mAh {} |",
                model.battery_mah,
                mode.as_str(),
                day.active_hours,
                mark(day.meets_active_goal),
                day.standby_hours,
                mark(day.meets_standby_goal),
                day.day_mah,
                model.battery_mah,
                mark(day.day_fits)
            );
        }
    }
}
