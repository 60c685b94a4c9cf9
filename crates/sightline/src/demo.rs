//! `sightline demo`: the embedded server with a demo user, a device and a real sample library,
//! processed end to end, then a summary of where to look.

use crate::samples;
use crate::session::Session;
use anyhow::Context;
use serde_json::Value;
use sightline_client::{TusClient, UploadMeta, media_id_for_file};
use sightline_server::Server;
use sightline_server::config::Config;
use std::time::{Duration, Instant};

pub const DEMO_EMAIL: &str = "demo@sightline.local";
pub const DEMO_PASSWORD: &str = "sightline-demo";

pub struct DemoOptions {
    /// Stop once the summary is printed instead of serving until Ctrl-C.
    pub exit_when_done: bool,
    pub timeout: Duration,
}

pub async fn run(config: Config, options: DemoOptions) -> anyhow::Result<()> {
    let data_dir = config.data_dir.clone();
    let server = Server::start(config).await?;
    let base = server.url();
    println!(
        "Sightline is running at {base} (data in {})",
        data_dir.display()
    );

    let session = Session::login_or_register(&base, DEMO_EMAIL, DEMO_PASSWORD).await?;
    let device_id = session.ensure_device("Demo glasses", "smart_glass").await?;
    println!(
        "Demo user {DEMO_EMAIL} (password {DEMO_PASSWORD}), device \"Demo glasses\" {device_id}"
    );

    let library = samples::prepare(&data_dir.join("samples"))
        .await
        .context("preparing sample media")?;
    let client = TusClient::new(&base, session.access_token.clone())?;
    let mut ids = Vec::new();
    for sample in &library {
        let path = sample.path.clone();
        let media_id = tokio::task::spawn_blocking(move || media_id_for_file(&path)).await??;
        let meta = UploadMeta {
            device_id: Some(device_id.clone()),
            ..UploadMeta::new(media_id)
        }
        .with_file_defaults(&sample.path);
        let outcome = client
            .upload_file(&sample.path, &meta, &|_, _| {})
            .await
            .with_context(|| format!("uploading {}", sample.path.display()))?;
        let verb = if outcome.already_present() {
            "already there"
        } else {
            "uploaded"
        };
        println!("  {verb:<13} {}", sample.path.display());
        ids.push(media_id.to_string());
    }

    println!(
        "Processing {} items (probe, thumbnails, normalised renditions)…",
        ids.len()
    );
    let items = wait_until_processed(&session, &ids, options.timeout).await?;
    print_summary(&items);
    println!();
    println!("Look around:");
    println!("  web API:  {base}/api/v1/media   (Authorization: Bearer <token>)");
    println!(
        "  list it:  curl -s -H \"Authorization: Bearer {}\" {base}/api/v1/media",
        session.access_token
    );
    println!(
        "  a token lives {} minutes; log in again with:",
        server.state.config.auth.access_token_secs / 60
    );
    println!(
        "            curl -s -X POST -H 'Content-Type: application/json' -d '{{\"email\":\"{DEMO_EMAIL}\",\"password\":\"{DEMO_PASSWORD}\"}}' {base}/api/v1/auth/login"
    );
    if let Some(first) = items.iter().find(|i| i["urls"]["thumbnail"].is_string()) {
        println!(
            "  a thumbnail (signed link, valid 1 h): {}",
            first["urls"]["thumbnail"].as_str().unwrap_or_default()
        );
    }
    if options.exit_when_done {
        server.shutdown();
        return Ok(());
    }
    println!("Serving until Ctrl-C.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn wait_until_processed(
    session: &Session,
    ids: &[String],
    timeout: Duration,
) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            items.push(session.get(&format!("/media/{id}")).await?);
        }
        let done = items
            .iter()
            .all(|i| matches!(i["status"].as_str(), Some("ready" | "failed")));
        if done {
            return Ok(items);
        }
        if Instant::now() > deadline {
            print_summary(&items);
            anyhow::bail!("processing did not finish within {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn print_summary(items: &[Value]) {
    println!();
    println!(
        "{:<22} {:<6} {:<8} {:<21} {:<20} {:>9} {:>10}",
        "file", "kind", "status", "captured (UTC)", "place (lat, lon)", "size", "duration"
    );
    for item in items {
        let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
        let place = match (
            item["location"]["lat"].as_f64(),
            item["location"]["lon"].as_f64(),
        ) {
            (Some(lat), Some(lon)) => format!("{lat:.4}, {lon:.4}"),
            _ => "-".into(),
        };
        let size = match (
            item["facts"]["width"].as_u64(),
            item["facts"]["height"].as_u64(),
        ) {
            (Some(w), Some(h)) => format!("{w}x{h}"),
            _ => "-".into(),
        };
        let duration = item["facts"]["duration_secs"]
            .as_f64()
            .map_or("-".into(), |d| format!("{d:.1} s"));
        let captured = text(&item["captured_at"])
            .chars()
            .take(19)
            .collect::<String>();
        println!(
            "{:<22} {:<6} {:<8} {:<21} {:<20} {:>9} {:>10}",
            text(&item["filename"]),
            text(&item["kind"]),
            text(&item["status"]),
            captured,
            place,
            size,
            duration
        );
        if let Some(reason) = item["failure_reason"].as_str() {
            println!("    failed: {reason}");
        }
    }
}
