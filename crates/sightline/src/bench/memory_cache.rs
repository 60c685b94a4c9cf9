//! The cached path of `POST /memories/create`: the same sentence again, with nothing changed in
//! the library, answered from the result cache. Measured over HTTP against an embedded server
//! with a small real library (generated clips in Paris, processed end to end).

use crate::samples::{self, PARIS};
use crate::session::Session;
use anyhow::{Context, ensure};
use chrono::{TimeZone, Utc};
use serde_json::json;
use sightline_client::{TusClient, UploadMeta, media_id_for_file};
use sightline_server::Server;
use sightline_server::config::Config;
use std::time::{Duration, Instant};

const QUERY: &str = "Create a memory video of my wife and me in Paris";

#[derive(Debug, Clone)]
pub struct CachedLatency {
    pub requests: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// How long the first (uncached) memory took from request to ready, end to end.
    pub first_memory: Duration,
}

pub async fn measure(requests: usize) -> anyhow::Result<CachedLatency> {
    let data = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.listen = "127.0.0.1:0".parse()?;
    config.workers.poll_interval_ms = 20;
    let server = Server::start(config).await?;
    let result = run(&server.url(), data.path(), requests).await;
    server.shutdown();
    result
}

async fn run(base: &str, dir: &std::path::Path, requests: usize) -> anyhow::Result<CachedLatency> {
    let session =
        Session::login_or_register(base, "bench@sightline.local", "bench-password").await?;
    let client = TusClient::new(base, session.access_token.clone())?;
    let mut ids = Vec::new();
    for (i, hue) in [0u32, 90, 180].into_iter().enumerate() {
        let path = dir.join(format!("paris-{i}.mp4"));
        let taken = Utc
            .with_ymd_and_hms(2024, 7, 10 + i as u32, 12, 0, 0)
            .single()
            .context("date")?;
        samples::generate_clip(&path, 12, "640x360", hue, Some(PARIS), taken).await?;
        let file = path.clone();
        let media_id = tokio::task::spawn_blocking(move || media_id_for_file(&file)).await??;
        client
            .upload_file(
                &path,
                &UploadMeta::new(media_id).with_file_defaults(&path),
                &|_, _| {},
            )
            .await?;
        ids.push(media_id.to_string());
    }
    let mut people = Vec::new();
    for body in [
        json!({"name": "Alex", "is_me": true}),
        json!({"name": "Anna", "relationship": "wife"}),
    ] {
        let (status, person) = session.post("/people", body).await?;
        ensure!(status == 201, "creating a person failed: {person}");
        people.push(person["id"].as_str().context("person id")?.to_string());
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    for id in &ids {
        loop {
            let item = session.get(&format!("/media/{id}")).await?;
            if item["status"] == "ready" {
                break;
            }
            ensure!(item["status"] != "failed", "processing failed: {item}");
            ensure!(Instant::now() < deadline, "processing took too long");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for person in &people {
            session
                .post(&format!("/media/{id}/people"), json!({"person_id": person}))
                .await?;
        }
    }

    // The first request makes the memory; the rest are answered from the cache.
    let started = Instant::now();
    let (status, created) = session
        .post("/memories/create", json!({"query": QUERY}))
        .await?;
    ensure!(status == 202, "memory request failed: {created}");
    let id = created["memory_id"]
        .as_str()
        .context("memory id")?
        .to_string();
    let first_memory = loop {
        let memory = session.get(&format!("/memories/{id}")).await?;
        match memory["status"].as_str() {
            Some("queued" | "rendering") => {}
            Some("ready") => break started.elapsed(),
            _ => anyhow::bail!("no memory was made: {memory}"),
        }
        ensure!(Instant::now() < deadline, "the memory took too long");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let sent = Instant::now();
        let (status, answer) = session
            .post("/memories/create", json!({"query": QUERY}))
            .await?;
        latencies.push(sent.elapsed());
        ensure!(
            status == 200 && answer["cached"] == true,
            "expected a cache hit, got {status}: {answer}"
        );
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Ok(CachedLatency {
        requests,
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
        first_memory,
    })
}
