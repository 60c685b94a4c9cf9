//! The power manager on a simulated battery: a low battery switches the agent to power save,
//! the wearer is told, and the next recording is encoded smaller and slower.

use crate::proxy::Mode;
use crate::{World, command};
use sightline_agent::power::BatterySource;
use std::time::Duration;

fn probe(path: &std::path::Path) -> serde_json::Value {
    let output = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height,r_frame_rate", "-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["streams"][0].clone()
}

async fn record(agent: &sightline_agent::Agent, dir: &std::path::Path) -> serde_json::Value {
    command(agent, "record a video").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let video = command(agent, "stop recording").await;
    probe(
        &dir.join("media")
            .join(format!("{}.mp4", video.media_id.unwrap())),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_battery_switches_to_power_save_and_smaller_recordings() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = world.agent_config(dir.path());
    config.format.width = 960;
    config.format.height = 540;
    config.format.fps = 30;
    config.battery = BatterySource::Simulated {
        level_percent: 90.0,
        speedup: 1.0,
    };
    let (agent, _) = sightline_agent::Agent::start(config).await.unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();

    let status = agent.status().await.unwrap();
    assert_eq!(status.power.mode.as_str(), "high_performance");
    assert!(status.power.active_hours_left.unwrap() > 0.0);
    let full = record(&agent, dir.path()).await;
    assert_eq!(
        (full["width"].as_u64(), full["r_frame_rate"].as_str()),
        (Some(960), Some("30/1"))
    );

    agent.power().set_simulated_level(15.0, false).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = agent.status().await.unwrap();
    assert_eq!(status.power.mode.as_str(), "power_save");
    assert!(status.power.defer_low_priority);
    assert!(
        status
            .announcements
            .iter()
            .any(|a| a.contains("battery 15%") && a.contains("power save")),
        "{:?}",
        status.announcements
    );
    let saving = record(&agent, dir.path()).await;
    assert_eq!(
        (
            saving["width"].as_u64(),
            saving["height"].as_u64(),
            saving["r_frame_rate"].as_str()
        ),
        (Some(852), Some(480), Some("15/1")),
        "{saving}"
    );

    // Plugged in: back to full quality at once.
    agent.power().set_simulated_level(15.0, true).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        agent.status().await.unwrap().power.mode.as_str(),
        "high_performance"
    );
}
