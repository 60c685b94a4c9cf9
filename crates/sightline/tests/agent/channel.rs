//! The device channel end to end: a real agent keeps a WebSocket to a real server, the server
//! sees its battery, a command posted to the server takes a photo that then arrives, and the
//! agent comes back by itself after the network or the server went away.

use crate::proxy::Mode;
use crate::{World, agent_config_for, drained, register_wearer, unique};
use serde_json::{Value, json};
use sightline_agent::power::BatterySource;
use sightline_agent::telemetry::{self, TelemetryConfig};
use sightline_core::backoff::RetryPolicy;
use sightline_server::Server;
use sightline_server::config::Config;
use std::time::{Duration, Instant};

fn fast_channel() -> TelemetryConfig {
    TelemetryConfig {
        interval: Duration::from_millis(500),
        reconnect: RetryPolicy {
            base: Duration::from_millis(100),
            max: Duration::from_millis(800),
            max_attempts: u32::MAX,
        },
        ..TelemetryConfig::default()
    }
}

/// Polls `GET /devices/{id}` (on a fresh client: no pooled connection to a stopped server)
/// until `check` holds.
async fn device_until(url: &str, token: &str, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = match http
            .get(format!("{url}/api/v1/devices/{id}"))
            .bearer_auth(token)
            .send()
            .await
        {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        if check(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "device never got there: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn take_picture(url: &str, token: &str, id: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v1/devices/{id}/commands"))
        .bearer_auth(token)
        .json(&json!({"command": "take a picture"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sees_the_battery_and_its_command_takes_a_photo_that_arrives() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = world.agent_config(dir.path());
    config.battery = BatterySource::Simulated {
        level_percent: 73.0,
        speedup: 1.0,
    };
    let (agent, _) = sightline_agent::Agent::start(config).await.unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();
    let channel = telemetry::spawn(agent.clone(), fast_channel());
    let (url, user, id) = (world.server.url(), &world.user_token, &world.device_id);

    let device = device_until(&url, user, id, |d| d["battery_level"] == 73).await;
    assert_eq!(device["online"], true, "{device}");
    assert_eq!(device["telemetry"]["charging"], false, "{device}");
    assert!(device["telemetry"]["power_mode"].is_string(), "{device}");
    assert!(
        device["firmware_version"]
            .as_str()
            .unwrap()
            .contains("sightline-agent")
    );

    // A change of battery is reported without waiting for the next full report.
    agent.power().set_simulated_level(41.0, true).unwrap();
    device_until(&url, user, id, |d| {
        d["battery_level"] == 41 && d["telemetry"]["charging"] == true
    })
    .await;

    let (status, result) = take_picture(&url, user, id).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], true, "{result}");
    let media_id = result["media_id"].as_str().unwrap().to_owned();
    drained(&agent, Duration::from_secs(30)).await;
    let on_server = unique(&world.server_media().await);
    assert!(
        on_server.contains(&media_id),
        "{media_id} not in {on_server:?}"
    );

    // The network goes: the server shows the device offline and refuses commands clearly;
    // it comes back: so does the channel.
    world.proxy.set(Mode::Down);
    device_until(&url, user, id, |d| d["online"] == false).await;
    let (status, body) = take_picture(&url, user, id).await;
    assert_eq!(status, 409, "{body}");
    world.proxy.set(Mode::Up);
    device_until(&url, user, id, |d| d["online"] == true).await;
    let (status, result) = take_picture(&url, user, id).await;
    assert_eq!(
        (status, result["ok"].clone()),
        (200, json!(true)),
        "{result}"
    );
    channel.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_reconnects_when_the_server_restarts() {
    let server_dir = tempfile::tempdir().unwrap();
    let mut server_config = Config {
        data_dir: server_dir.path().to_path_buf(),
        // The search index is rebuilt at start; in memory, two servers never fight over it.
        search_url: "memory://".into(),
        ..Config::default()
    };
    server_config.listen = "127.0.0.1:0".parse().unwrap();
    server_config.workers.poll_interval_ms = 50;
    let server = Server::start(server_config.clone()).await.unwrap();
    let url = server.url();
    let (user, id, device_token) = register_wearer(&reqwest::Client::new(), &url).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = agent_config_for(&url, &id, &device_token, dir.path());
    config.battery = BatterySource::Simulated {
        level_percent: 64.0,
        speedup: 1.0,
    };
    let (agent, _) = sightline_agent::Agent::start(config).await.unwrap();
    agent.camera().ready(Duration::from_secs(30)).await.unwrap();
    let channel = telemetry::spawn(agent.clone(), fast_channel());
    let (user, id) = (&user, &id);
    device_until(&url, user, id, |d| {
        d["online"] == true && d["battery_level"] == 64
    })
    .await;

    let addr = server.addr;
    server.shutdown();
    // Same data, same address: a restart.
    server_config.listen = addr;
    let deadline = Instant::now() + Duration::from_secs(10);
    let restarted = loop {
        match Server::start(server_config.clone()).await {
            Ok(server) => break server,
            Err(e) => {
                assert!(Instant::now() < deadline, "server does not restart: {e:#}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let device = device_until(&url, user, id, |d| d["online"] == true).await;
    assert_eq!(device["battery_level"], 64, "{device}");
    let (status, result) = take_picture(&url, user, id).await;
    assert_eq!(
        (status, result["ok"].clone()),
        (200, json!(true)),
        "{result}"
    );
    channel.abort();
    restarted.shutdown();
}

async fn put_settings(world: &World, token: &str, id: &str, body: Value) -> (u16, Value) {
    let response = world
        .http
        .put(format!(
            "{}/api/v1/devices/{id}/settings",
            world.server.url()
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn settings_until(world: &World, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = world
            .http
            .get(format!(
                "{}/api/v1/devices/{}/settings",
                world.server.url(),
                world.device_id
            ))
            .bearer_auth(&world.user_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if check(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "settings never got there: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owners_settings_reach_the_agent_now_or_when_it_connects() {
    let world = World::start(Mode::Up).await;
    let (user, id) = (world.user_token.clone(), world.device_id.clone());

    // Bad settings, someone else's device and the device itself are refused.
    for bad in [json!({"quota": 1}), json!({"video_kbps": 5}), json!([1])] {
        let (status, body) = put_settings(&world, &user, &id, bad).await;
        assert_eq!(status, 400, "{body}");
    }
    let (status, _) = put_settings(&world, &world.device_token, &id, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) =
        put_settings(&world, &user, &uuid::Uuid::new_v4().to_string(), json!({})).await;
    assert_eq!(status, 404);

    // Set while the agent is away: applied when it connects.
    let (status, body) = put_settings(&world, &user, &id, json!({"quota_bytes": 1u64 << 28})).await;
    assert_eq!((status, body["version"].clone()), (200, json!(1)), "{body}");
    assert_eq!(body["online"], false);
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(dir.path()).await;
    let channel = telemetry::spawn(agent.clone(), fast_channel());
    settings_until(&world, |s| s["applied_version"] == 1).await;
    assert_eq!(agent.status().await.unwrap().storage.quota_bytes, 1 << 28);

    // Set while it is connected: applied at once; what is left out goes back to its own.
    let (status, body) = put_settings(&world, &user, &id, json!({"video_kbps": 800})).await;
    assert_eq!((status, body["version"].clone()), (200, json!(2)), "{body}");
    settings_until(&world, |s| s["applied_version"] == 2).await;
    let status = agent.status().await.unwrap();
    assert_eq!(status.power.encoding.bitrate_kbps, 800);
    assert_eq!(
        status.storage.quota_bytes,
        1 << 30,
        "back to the agent's own quota"
    );
    channel.abort();
}
