//! `sightline bench notify`: doorbell events posted at a steady rate to an embedded server on
//! loopback, with a client on the owner's `/events/stream` and a local webhook receiver. For
//! each event: accepted (the server's `created_at`, carried in the payload as `accepted_at`) →
//! note read by the SSE client, and → webhook request received, as p50/p99/max with the count
//! delivered against sent; next to them the server's own numbers from
//! `GET /notifications/stats` (→ note handed to the stream, → webhook answered).
//!
//! The device's cooldown is 0 so every event notifies. `accepted_at` has millisecond
//! precision, so each latency may read up to 1 ms high.

use crate::session::Session;
use anyhow::{Context, ensure};
use serde_json::{Value, json};
use sightline_server::Server;
use sightline_server::config::Config;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct NotifyBench {
    /// Events posted per second.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// For how long.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Bus deliveries each notification consumer claims at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Scratch directory (on the disk to measure: the bus is the SQLite outbox there).
    #[arg(long, default_value = "/var/tmp")]
    pub dir: PathBuf,
}

/// Latency in ms per event id, as each receiver saw it.
type Seen = Arc<Mutex<HashMap<String, f64>>>;

fn since_accepted(payload: &Value) -> Option<(String, f64)> {
    let id = payload["event_id"].as_str()?.to_string();
    let accepted = chrono::DateTime::parse_from_rfc3339(payload["accepted_at"].as_str()?).ok()?;
    let us = (chrono::Utc::now() - accepted.with_timezone(&chrono::Utc)).num_microseconds()?;
    Some((id, us as f64 / 1000.0))
}

/// A webhook receiver on loopback that answers 200 at once.
async fn webhook_receiver(seen: Seen) -> anyhow::Result<String> {
    let app = axum::Router::new().fallback(move |body: bytes::Bytes| {
        let seen = seen.clone();
        async move {
            if let Ok(payload) = serde_json::from_slice::<Value>(&body)
                && let Some((id, ms)) = since_accepted(&payload)
            {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, ms);
            }
            axum::http::StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/bench/webhook"))
}

/// Reads the owner's stream in the background, handing each `doorbell.event` note's payload to
/// `on_note` as it is read.
pub(crate) async fn follow_doorbell_notes(
    session: &Session,
    mut on_note: impl FnMut(Value) + Send + 'static,
) -> anyhow::Result<()> {
    let mut response = session
        .http
        .get(format!("{}/api/v1/events/stream", session.base))
        .bearer_auth(&session.access_token)
        .send()
        .await?;
    ensure!(response.status() == 200, "stream: {}", response.status());
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                if block.lines().any(|l| l == "event: lagged") {
                    eprintln!("the stream client lagged behind");
                }
                if !block.lines().any(|l| l == "event: doorbell.event") {
                    continue;
                }
                let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                if let Some(payload) = data.and_then(|d| serde_json::from_str::<Value>(d).ok()) {
                    on_note(payload);
                }
            }
        }
    });
    Ok(())
}

async fn put(session: &Session, path: &str, body: Value) -> anyhow::Result<Value> {
    let response = session
        .http
        .put(format!("{}/api/v1{path}", session.base))
        .bearer_auth(&session.access_token)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    ensure!(status.is_success(), "PUT {path}: {status} {body}");
    Ok(body)
}

struct Row {
    name: &'static str,
    delivered: usize,
    sent: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

fn row(name: &'static str, values: Vec<f64>, sent: usize) -> Row {
    let s = sightline_server::notifications::latency::summarise(values);
    Row {
        name,
        delivered: s.count,
        sent,
        p50: s.p50_ms,
        p99: s.p99_ms,
        max: s.max_ms,
    }
}

pub async fn run(options: NotifyBench) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir_in(&options.dir).context("creating the bench directory")?;
    let mut config = Config {
        data_dir: scratch.path().join("server"),
        ..Config::default()
    };
    config.listen = "127.0.0.1:0".parse()?;
    config.workers.concurrency = options.concurrency.max(1);
    let server = Server::start(config).await?;
    let session =
        Session::login_or_register(&server.url(), "bench@sightline.local", "bench-password")
            .await?;
    let (status, device) = session
        .post(
            "/devices",
            json!({"type": "doorbell", "name": "bench door"}),
        )
        .await?;
    ensure!(status == 201, "creating the device failed: {device}");
    let device_id = device["device_id"]
        .as_str()
        .context("device id")?
        .to_string();
    let token = device["device_token"]
        .as_str()
        .context("device token")?
        .to_string();
    put(
        &session,
        &format!("/devices/{device_id}/settings/motion"),
        json!({"notification_cooldown_seconds": 0}),
    )
    .await?;
    let hooked: Seen = Arc::default();
    let streamed: Seen = Arc::default();
    let hook_url = webhook_receiver(hooked.clone()).await?;
    let (status, created) = session
        .post("/notifications/webhooks", json!({"url": hook_url}))
        .await?;
    ensure!(status == 201, "registering the webhook failed: {created}");
    let on_stream = streamed.clone();
    follow_doorbell_notes(&session, move |payload| {
        if let Some((id, ms)) = since_accepted(&payload) {
            on_stream
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, ms);
        }
    })
    .await?;

    let total = (u64::from(options.rate) * options.secs) as usize;
    let every = Duration::from_secs_f64(1.0 / f64::from(options.rate.max(1)));
    let url = format!("{}/api/v1/devices/{device_id}/events", session.base);
    let http = reqwest::Client::new();
    let mut ticker = tokio::time::interval(every);
    let started = Instant::now();
    let mut posts = Vec::with_capacity(total);
    for _ in 0..total {
        ticker.tick().await;
        let body = json!({
            "event_id": uuid::Uuid::new_v4().to_string(),
            "event_type": "motion",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "duration_seconds": 5,
        });
        let request = http.post(&url).bearer_auth(&token).json(&body);
        posts.push(tokio::spawn(async move {
            let sent = Instant::now();
            let status = request.send().await.map(|r| r.status().as_u16());
            (status, sent.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let posting = started.elapsed();
    let mut post_ms = Vec::with_capacity(total);
    let mut accepted = 0;
    for post in posts {
        if let Ok((Ok(201), ms)) = post.await {
            accepted += 1;
            post_ms.push(ms);
        }
    }

    // Everything accepted is delivered, or nothing more arrives for 5 s.
    let count = |seen: &Seen| seen.lock().map(|s| s.len()).unwrap_or(0);
    let (mut last, mut quiet_since) = (0, Instant::now());
    while count(&streamed) < accepted || count(&hooked) < accepted {
        let now = count(&streamed) + count(&hooked);
        if now != last {
            (last, quiet_since) = (now, Instant::now());
        } else if quiet_since.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = session.get("/notifications/stats").await?;
    server.shutdown();

    let values = |seen: &Seen| -> Vec<f64> {
        seen.lock()
            .map(|s| s.values().copied().collect())
            .unwrap_or_default()
    };
    let server_row = |name: &'static str, channel: &str| Row {
        name,
        delivered: stats["channels"][channel]["count"].as_u64().unwrap_or(0) as usize,
        sent: accepted,
        p50: stats["channels"][channel]["p50_ms"].as_f64().unwrap_or(0.0),
        p99: stats["channels"][channel]["p99_ms"].as_f64().unwrap_or(0.0),
        max: stats["channels"][channel]["max_ms"].as_f64().unwrap_or(0.0),
    };
    let rows = [
        row("POST event → 201 (device side)", post_ms, total),
        row(
            "accepted → SSE note read by the client",
            values(&streamed),
            accepted,
        ),
        row(
            "accepted → webhook request received",
            values(&hooked),
            accepted,
        ),
        server_row("server: accepted → SSE note sent", "sse"),
        server_row("server: accepted → webhook answered", "webhook"),
    ];
    println!(
        "\n{total} motion events at {} events/s ({:.1} s of posting, {accepted} accepted), \
         cooldown 0, {} deliveries claimed at once; goal p99 < 100 ms (seed < 2 s)\n",
        options.rate,
        posting.as_secs_f64(),
        options.concurrency
    );
    println!("| path | delivered / sent | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} / {} | {:.1} | {:.1} | {:.1} |",
            r.name, r.delivered, r.sent, r.p50, r.p99, r.max
        );
    }
    Ok(())
}
