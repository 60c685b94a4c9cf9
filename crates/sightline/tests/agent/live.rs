//! Live streaming end to end: the owner's command, sent through the server, puts the glasses
//! live on a real RTMP server (ffmpeg listening), which receives H.264 with sound until the
//! owner stops it; a destination that refuses is announced and leaves the device free to try
//! again; the stream key never shows.

use crate::World;
use crate::proxy::Mode;
use serde_json::{Value, json};
use sightline_agent::telemetry::{self, TelemetryConfig};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn command(world: &World, text: &str) -> (u16, Value) {
    let response = world
        .http
        .post(format!(
            "{}/api/v1/devices/{}/commands",
            world.server.url(),
            world.device_id
        ))
        .bearer_auth(&world.user_token)
        .json(&json!({ "command": text }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// The streams ffprobe finds in `file`: (codec types and names, duration in seconds).
fn probe(file: &Path) -> (Vec<String>, f64) {
    let output = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let streams = info["streams"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| {
                    format!(
                        "{}:{}",
                        s["codec_type"].as_str().unwrap_or("?"),
                        s["codec_name"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let duration = info["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    (streams, duration)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_through_the_server_puts_the_glasses_live_until_stopped() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let received = dir.path().join("received.flv");
    // The RTMP server a platform would run: takes one publisher and keeps what it sends.
    let mut rtmp_server = tokio::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-listen",
            "1",
            "-i",
        ])
        .arg(format!("rtmp://127.0.0.1:{port}/live/SECRET-KEY"))
        .args(["-c", "copy", "-f", "flv"])
        .arg(&received)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (agent, _) = sightline_agent::Agent::start(world.agent_config(dir.path()))
        .await
        .unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();
    let _channel = telemetry::spawn(agent.clone(), TelemetryConfig::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, reply) = loop {
        let (status, reply) = command(
            &world,
            &format!("start a live stream to rtmp://127.0.0.1:{port}/live/SECRET-KEY"),
        )
        .await;
        // 409 until the device's channel is up.
        if status != 409 || Instant::now() > deadline {
            break (status, reply);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["ok"], true, "{reply}");
    assert!(!reply.to_string().contains("SECRET"), "key shown: {reply}");

    // On air: frames keep going out, and `status` says where (without the key).
    let deadline = Instant::now() + Duration::from_secs(30);
    let live = loop {
        let status = agent.status().await.unwrap();
        if let Some(live) = status.live.filter(|l| l.frames_sent >= 45) {
            break live;
        }
        assert!(Instant::now() < deadline, "the stream never got going");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(live.destination, format!("rtmp://127.0.0.1:{port}/live/…"));
    let (_, busy) = command(&world, "go live").await;
    assert_eq!(busy["ok"], false, "a second stream at once: {busy}");

    let (status, stopped) = command(&world, "stop streaming").await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["ok"], true, "{stopped}");
    assert!(agent.status().await.unwrap().live.is_none());
    let exit = tokio::time::timeout(Duration::from_secs(20), rtmp_server.wait())
        .await
        .expect("the RTMP server saw the stream end")
        .unwrap();
    assert!(exit.success(), "RTMP server: {exit}");

    let (streams, duration) = probe(&received);
    assert!(
        streams.contains(&"video:h264".to_string()) && streams.contains(&"audio:aac".to_string()),
        "{streams:?}"
    );
    assert!(duration >= 2.5, "only {duration} s arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_refuses_is_announced_and_the_device_can_try_again() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let (agent, _) = sightline_agent::Agent::start(world.agent_config(dir.path()))
        .await
        .unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();

    // No destination configured and none named.
    let outcome = agent.handle_text("go live", "text").await;
    assert!(
        !outcome.ok && outcome.message.contains("--live-url"),
        "{outcome:?}"
    );
    // Not an RTMP URL: refused before anything starts.
    let outcome = agent
        .handle_text("start a live stream to rtmp://user@host", "text")
        .await;
    assert!(!outcome.ok, "{outcome:?}");

    let mut announcements = agent.announcements();
    let nobody = free_port();
    let outcome = agent
        .handle_text(
            &format!("start streaming to rtmp://127.0.0.1:{nobody}/live/k"),
            "text",
        )
        .await;
    assert!(outcome.ok, "{outcome:?}");
    let said = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let message = announcements.recv().await.unwrap();
            if message.contains("live stream") {
                break message;
            }
        }
    })
    .await
    .expect("the failed stream was announced");
    assert!(said.contains("stopped"), "{said}");
    assert!(agent.status().await.unwrap().live.is_none());
    // The slot is free again: the next attempt starts (and fails the same way).
    let again = agent
        .handle_text(
            &format!("start streaming to rtmp://127.0.0.1:{nobody}/live/k"),
            "text",
        )
        .await;
    assert!(again.ok, "{again:?}");
}
