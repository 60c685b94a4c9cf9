//! `sightline demo`: the embedded server with a demo user, a device and a real sample library,
//! processed end to end, then a summary of where to look.

use crate::samples;
use crate::session::Session;
use anyhow::Context;
use serde_json::{Value, json};
use sightline_client::{TusClient, UploadMeta, media_id_for_file};
use sightline_core::media::MediaKind;
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
    make_memory(&session, &library, &ids, options.timeout).await?;
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

/// The sentence the demo turns into a memory video.
pub const DEMO_QUERY: &str = "Create a memory video of my wife and me in Paris and Rome";

/// Names the people in the sample clips, then asks for a memory in plain words and waits for it.
async fn make_memory(
    session: &Session,
    library: &[samples::Sample],
    ids: &[String],
    timeout: Duration,
) -> anyhow::Result<()> {
    let people = session.get("/people").await?;
    let known = |name: &str| {
        people["people"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .and_then(|p| p["id"].as_str())
            .map(str::to_string)
    };
    let mut person_ids = Vec::new();
    for (name, body) in [
        ("Alex", json!({"name": "Alex", "is_me": true})),
        ("Anna", json!({"name": "Anna", "relationship": "wife"})),
    ] {
        let id = match known(name) {
            Some(id) => id,
            None => {
                let (status, person) = session.post("/people", body).await?;
                anyhow::ensure!(status == 201, "creating {name} failed: {person}");
                person["id"].as_str().context("person id")?.to_string()
            }
        };
        person_ids.push(id);
    }
    // Both of them are in the Paris and Rome clips.
    for (sample, id) in library.iter().zip(ids) {
        let name = sample
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.starts_with("paris") || name.starts_with("rome"))
            || sample.kind != MediaKind::Video
        {
            continue;
        }
        let item = session.get(&format!("/media/{id}")).await?;
        for person in &person_ids {
            let present = item["people"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["person_id"] == person.as_str());
            if !present {
                session
                    .post(&format!("/media/{id}/people"), json!({"person_id": person}))
                    .await?;
            }
        }
    }

    println!();
    println!("Asking for a memory: \"{DEMO_QUERY}\"");
    let deadline = Instant::now() + timeout;
    let (status, created) = session
        .post("/memories/create", json!({"query": DEMO_QUERY}))
        .await?;
    anyhow::ensure!(
        status == 200 || status == 202,
        "memory request failed: {created}"
    );
    let id = created["memory_id"]
        .as_str()
        .context("memory id")?
        .to_string();
    let memory = loop {
        let memory = session.get(&format!("/memories/{id}")).await?;
        if !matches!(memory["status"].as_str(), Some("queued" | "rendering")) {
            break memory;
        }
        anyhow::ensure!(Instant::now() < deadline, "the memory was not made in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "  understood as: {}",
        memory["understood"]["description"]
            .as_str()
            .unwrap_or_default()
    );
    match memory["status"].as_str() {
        Some("ready") => {
            println!(
                "  made in {} ms: {:.1} s from {} clips",
                memory["render_ms"],
                memory["duration_secs"].as_f64().unwrap_or_default(),
                memory["clips_used"].as_array().map_or(0, Vec::len)
            );
            println!(
                "  watch it (signed link, valid 1 h): {}",
                memory["video_url"].as_str().unwrap_or_default()
            );
        }
        _ => println!(
            "  no video: {} ({})",
            memory["status"],
            memory["reason"].as_str().unwrap_or_default()
        ),
    }
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
