//! `sightline bench doorbell`: the whole doorbell path on one machine, as a visitor meets it.
//! An embedded server, a doorbell agent on `vtest.avi` (people walking) and a client on the
//! owner's `/events/stream`; the button is pressed `presses` times, and for each press:
//! press → event accepted by the server (the device cut the alert clip with its pre-roll,
//! uploaded it through the durable queue, posted the event) → the classified note read by the
//! client (the AI tier decoded the clip's keyframes and ran the detector). The goal is
//! a notification with a pre-rolled, classified clip in under two seconds.

use crate::session::Session;
use anyhow::{Context, ensure};
use serde_json::{Value, json};
use sightline_agent::camera::{CaptureSource, FrameFormat};
use sightline_agent::doorbell::DoorbellConfig;
use sightline_agent::doorbell::input::Trigger;
use sightline_agent::doorbell::motion::MotionRuntime;
use sightline_agent::doorbell::plan::ClipTiming;
use sightline_agent::location::LocationSource;
use sightline_agent::power::BatterySource;
use sightline_agent::recorder::VideoSettings;
use sightline_agent::runtime::DEFAULT_UPLOAD_CHUNK_BYTES;
use sightline_agent::{Agent, AgentConfig, Profile};
use sightline_server::Server;
use sightline_server::config::Config;
use sightline_server::notifications::latency::summarise;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

#[derive(Debug, Clone, clap::Args)]
pub struct DoorbellBench {
    /// Button presses, one after another.
    #[arg(long, default_value_t = 20)]
    pub presses: usize,
    /// Seconds between presses, plus up to one more at random (each press's event must be
    /// over before the next).
    #[arg(long, default_value_t = 4)]
    pub every_secs: u64,
    /// Scratch directory.
    #[arg(long, default_value = "/var/tmp")]
    pub dir: PathBuf,
}

/// What the stream client saw of one event.
#[derive(Debug, Clone)]
struct Note {
    read_at: chrono::DateTime<chrono::Utc>,
    accepted_at: chrono::DateTime<chrono::Utc>,
    event_type: String,
}

fn agent_config(dir: &std::path::Path, server: &str, device_id: &str, token: &str) -> AgentConfig {
    let mut doorbell = DoorbellConfig::new(dir.join("ring"));
    doorbell.timing = ClipTiming {
        pre_roll: Duration::from_secs(3),
        post_roll: Duration::from_secs(1),
        max_length: Duration::from_secs(30),
    };
    // Presses only: people walk through every second of vtest.avi.
    doorbell.motion = MotionRuntime {
        enabled: false,
        ..MotionRuntime::default()
    };
    AgentConfig {
        profile: Profile::Doorbell,
        data_dir: dir.to_path_buf(),
        server: server.to_owned(),
        token: token.to_owned(),
        device_id: Some(device_id.to_owned()),
        source: CaptureSource::File(VTEST.into()),
        format: FrameFormat {
            width: 768,
            height: 576,
            fps: 10,
        },
        location: LocationSource::None,
        quota_bytes: 4 << 30,
        orientation: None,
        video: VideoSettings::native(2000),
        battery: BatterySource::Mains,
        upload_chunk_bytes: DEFAULT_UPLOAD_CHUNK_BYTES,
        control: "127.0.0.1:0".parse().expect("a socket address"),
        doorbell: Some(doorbell),
        live_url: None,
    }
}

fn time(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(value.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

pub async fn run(options: DoorbellBench) -> anyhow::Result<()> {
    ensure!(
        std::path::Path::new(VTEST).exists(),
        "{VTEST} is missing: run scripts/install-deps.sh (Debian opencv-doc)"
    );
    let scratch = tempfile::tempdir_in(&options.dir).context("creating the bench directory")?;
    let mut config = Config {
        data_dir: scratch.path().join("server"),
        ..Config::default()
    };
    config.listen = "127.0.0.1:0".parse()?;
    config.workers.poll_interval_ms = 50;
    let server = Server::start(config).await?;
    let session =
        Session::login_or_register(&server.url(), "door@sightline.local", "bench-password").await?;
    let (status, device) = session
        .post(
            "/devices",
            json!({"type": "doorbell", "name": "front door"}),
        )
        .await?;
    ensure!(status == 201, "creating the device failed: {device}");
    let device_id = device["device_id"]
        .as_str()
        .context("device id")?
        .to_owned();
    let token = device["device_token"].as_str().context("token")?.to_owned();
    let notes: Arc<Mutex<HashMap<String, Note>>> = Arc::default();
    let seen = notes.clone();
    super::notify::follow_doorbell_notes(&session, move |payload| {
        let (Some(id), Some(accepted_at)) =
            (payload["event_id"].as_str(), time(&payload["accepted_at"]))
        else {
            return;
        };
        let note = Note {
            read_at: chrono::Utc::now(),
            accepted_at,
            event_type: payload["event_type"].as_str().unwrap_or("").to_owned(),
        };
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), note);
    })
    .await?;
    let agent_dir = scratch.path().join("agent");
    let (agent, _) =
        Agent::start(agent_config(&agent_dir, &server.url(), &device_id, &token)).await?;
    agent.camera().ready(Duration::from_secs(30)).await?;
    let doorbell = agent.doorbell().context("the doorbell profile")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while doorbell.segments().len() < 4 {
        ensure!(Instant::now() < deadline, "the pre-roll ring never filled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "doorbell on {VTEST} (768x576, 10 fps), {} presses {} s apart…",
        options.presses, options.every_secs
    );
    let mut pressed = Vec::with_capacity(options.presses);
    for _ in 0..options.presses {
        pressed.push(chrono::Utc::now());
        doorbell.trigger(Trigger::Button).await;
        // Presses land anywhere within a ring segment, as a visitor's would: the wait for the
        // trigger's second to be encoded is part of what is measured.
        let jitter = u64::from(chrono::Utc::now().timestamp_subsec_micros() % 1000);
        tokio::time::sleep(Duration::from_secs(options.every_secs) + Duration::from_millis(jitter))
            .await;
    }
    // The last ones may still be on their way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while notes.lock().unwrap_or_else(|e| e.into_inner()).len() < options.presses
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = session
        .get(&format!("/devices/{device_id}/events?limit=200"))
        .await?;
    let notes = notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let ms = |d: chrono::Duration| d.num_microseconds().unwrap_or(0) as f64 / 1000.0;
    let (mut to_accepted, mut to_note, mut total, mut pre_rolls) = (vec![], vec![], vec![], vec![]);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let mut with_objects = 0;
    for event in events["events"].as_array().into_iter().flatten() {
        let (Some(id), Some(occurred)) = (event["event_id"].as_str(), time(&event["timestamp"]))
        else {
            continue;
        };
        // The press as the test pressed it: the closest press before the event's time.
        let Some(press) = pressed
            .iter()
            .rev()
            .find(|p| **p <= occurred + chrono::Duration::milliseconds(5))
        else {
            continue;
        };
        pre_rolls.push(event["pre_roll_seconds"].as_f64().unwrap_or(0.0));
        if let Some(note) = notes.get(id) {
            to_accepted.push(ms(note.accepted_at - *press));
            to_note.push(ms(note.read_at - note.accepted_at));
            total.push(ms(note.read_at - *press));
            *kinds.entry(note.event_type.clone()).or_default() += 1;
        }
        let people = event["detection_metadata"]["bounding_boxes"]
            .as_array()
            .map_or(0, |b| b.iter().filter(|b| b["label"] == "person").count());
        if people > 0 {
            with_objects += 1;
        }
    }
    println!(
        "\n| doorbell press (pre-roll {:.1}–{:.1} s) | events | p50 ms | p99 ms | max ms | goal |",
        pre_rolls.iter().copied().fold(f64::INFINITY, f64::min),
        pre_rolls.iter().copied().fold(0.0, f64::max)
    );
    println!("|---|---|---|---|---|---|");
    for (name, values, goal) in [
        (
            "press → event accepted (alert clip cut, uploaded, posted)",
            to_accepted,
            "",
        ),
        ("accepted → classified note read on the stream", to_note, ""),
        ("press → classified notification", total, "< 2000 ms"),
    ] {
        let s = summarise(values);
        println!(
            "| {name} | {}/{} | {:.0} | {:.0} | {:.0} | {goal} |",
            s.count, options.presses, s.p50_ms, s.p99_ms, s.max_ms
        );
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort();
    println!(
        "\nnotified as: {}; events with a person box: {with_objects}",
        kinds
            .iter()
            .map(|(k, n)| format!("{k} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    agent.shutdown().await;
    server.shutdown();
    Ok(())
}
