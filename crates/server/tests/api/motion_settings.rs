//! `GET/PUT /devices/{id}/settings/motion`: round trip in the seed's shape, a version bump per
//! change, the other settings kept, hostile bodies refused by field, ownership, and the whole
//! settings pushed down a connected device's channel.

use crate::helpers::*;
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The seed's example body.
fn seed_body() -> Value {
    json!({
        "enabled": true,
        "sensitivity": "medium",
        "detection_zones": [{
            "zone_id": "zone_1",
            "name": "Front Path",
            "polygon": [
                {"x": 0, "y": 0}, {"x": 100, "y": 0}, {"x": 100, "y": 100}, {"x": 0, "y": 100}
            ],
            "enabled": true
        }],
        "ai_detection": {
            "person_detection": true,
            "vehicle_detection": false,
            "animal_detection": false,
            "package_detection": true
        },
        "notification_cooldown_seconds": 60,
        "schedule": {
            "enabled": true,
            "time_windows": [{"start": "22:00", "end": "06:00", "days": ["all"]}]
        }
    })
}

async fn put_json(app: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = app
        .http
        .put(app.api(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("put");
    decode(response).await
}

async fn put_motion(app: &TestApp, token: &str, device: &str, body: &Value) -> (StatusCode, Value) {
    put_json(
        app,
        token,
        &format!("/devices/{device}/settings/motion"),
        body,
    )
    .await
}

/// The device's channel, once the server has registered it.
async fn connect(app: &TestApp, owner: &str, device: &str, token: &str) -> Ws {
    let url = format!(
        "{}/api/v1/devices/channel",
        app.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("channel opens");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = app.get_json(owner, &format!("/devices/{device}")).await;
        if body["online"] == true {
            return ws;
        }
        assert!(std::time::Instant::now() < deadline, "never online: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The next text frame as JSON, skipping pings.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("json"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

#[tokio::test]
async fn motion_settings_round_trip_and_bump_the_version() {
    let app = spawn_app().await;
    let user = app.register("motion-owner").await;
    let (device, _) = app.create_device(&user.token, "doorbell").await;
    let path = format!("/devices/{device}/settings/motion");

    // Nothing set yet: the defaults.
    let (status, unset) = app.get_json(&user.token, &path).await;
    assert_eq!(status, StatusCode::OK, "{unset}");
    assert_eq!(unset["configured"], false);
    assert_eq!(unset["version"], 0);
    assert_eq!(
        unset["motion_settings"],
        json!({"enabled": true, "sensitivity": "medium", "zones_count": 0,
               "ai_detection_enabled": true})
    );
    assert_eq!(unset["motion"]["notification_cooldown_seconds"], 60);

    // Other settings first: a motion PUT keeps them.
    let (status, _) = put_json(
        &app,
        &user.token,
        &format!("/devices/{device}/settings"),
        &json!({"video_kbps": 1500}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, put) = put_motion(&app, &user.token, &device, &seed_body()).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["device_id"], device.as_str());
    assert_eq!(
        put["motion_settings"],
        json!({"enabled": true, "sensitivity": "medium", "zones_count": 1,
               "ai_detection_enabled": true})
    );
    assert_eq!(put["version"], 2);
    assert_eq!(put["configured"], true);
    assert_eq!(put["settings"]["video_kbps"], 1500, "other settings kept");
    assert_eq!(put["settings"]["motion"], put["motion"]);
    assert_eq!(put["motion"]["detection_zones"][0]["name"], "Front Path");
    assert_eq!(put["motion"]["privacy_masks"], json!([]));

    let (status, got) = app.get_json(&user.token, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, put);
    let (_, whole) = app
        .get_json(&user.token, &format!("/devices/{device}/settings"))
        .await;
    assert_eq!(whole["settings"]["motion"], put["motion"]);

    // What GET shows may be PUT back as is; each PUT is a new version.
    let mut changed = got["motion"].clone();
    changed["sensitivity"] = json!("high");
    changed["ai_detection"] = json!({"person_detection": false, "package_detection": false});
    let (status, again) = put_motion(&app, &user.token, &device, &changed).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["version"], 3);
    assert_eq!(again["motion_settings"]["sensitivity"], "high");
    assert_eq!(again["motion_settings"]["ai_detection_enabled"], false);

    // An empty body is all defaults.
    let (_, reset) = put_motion(&app, &user.token, &device, &json!({})).await;
    assert_eq!(reset["version"], 4);
    assert_eq!(reset["motion"], unset["motion"]);
    assert_eq!(reset["configured"], true);

    // The whole-settings PUT accepts and checks motion too.
    let (status, _) = put_json(
        &app,
        &user.token,
        &format!("/devices/{device}/settings"),
        &json!({"motion": {"sensitivity": "loud"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let user = app.register("motion-typo").await;
    let (device, _) = app.create_device(&user.token, "doorbell").await;
    let zone = |polygon: Value| json!({"detection_zones": [{"zone_id": "a", "polygon": polygon}]});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"sensitivity": "ultra"}), "sensitivity"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"zones": []}), "zones"),
        (
            json!({"notification_cooldown_seconds": 86_401}),
            "notification_cooldown_seconds",
        ),
        (
            zone(json!([{"x": 0, "y": 0}, {"x": 150, "y": 0}, {"x": 0, "y": 100}])),
            "detection_zones",
        ),
        (zone(json!([{"x": 0, "y": 0}])), "polygon"),
        (
            json!({"privacy_masks": [{"zone_id": "", "polygon": []}]}),
            "privacy_masks",
        ),
        (
            json!({"ai_detection": {"cat_detection": true}}),
            "cat_detection",
        ),
        (
            json!({"schedule": {"enabled": true, "time_windows": [{"start": "25:00", "end": "06:00"}]}}),
            "time_windows",
        ),
        (json!([1, 2]), "object"),
    ];
    for (body, field) in cases {
        let (status, error) = put_motion(&app, &user.token, &device, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{body}: {message}");
    }
    let response = app
        .http
        .put(app.api(&format!("/devices/{device}/settings/motion")))
        .bearer_auth(&user.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (_, settings) = app
        .get_json(&user.token, &format!("/devices/{device}/settings"))
        .await;
    assert_eq!(settings["version"], 0, "nothing bad was stored");
}

#[tokio::test]
async fn only_the_owner_may_read_or_set_motion_settings() {
    let app = spawn_app().await;
    let alice = app.register("motion-alice").await;
    let bob = app.register("motion-bob").await;
    let (device, device_token) = app.create_device(&alice.token, "doorbell").await;
    let path = format!("/devices/{device}/settings/motion");
    for (token, target) in [
        (&bob.token, device.clone()),
        (&alice.token, uuid::Uuid::new_v4().to_string()),
        (&alice.token, "not-a-device".to_string()),
    ] {
        let (status, _) = put_motion(&app, token, &target, &seed_body()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "put {target}");
        let (status, _) = app
            .get_json(token, &format!("/devices/{target}/settings/motion"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "get {target}");
    }
    let (status, _) = put_motion(&app, &device_token, &device, &seed_body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_json(&device_token, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, settings) = app.get_json(&alice.token, &path).await;
    assert_eq!(settings["version"], 0);
}

#[tokio::test]
async fn a_connected_device_gets_the_whole_settings_at_once() {
    let app = spawn_app().await;
    let user = app.register("motion-live").await;
    let (device, device_token) = app.create_device(&user.token, "doorbell").await;
    let (status, _) = put_json(
        &app,
        &user.token,
        &format!("/devices/{device}/settings"),
        &json!({"telemetry_secs": 30}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut ws = connect(&app, &user.token, &device, &device_token).await;
    let on_connect = next_json(&mut ws).await;
    assert_eq!(on_connect["type"], "settings");
    assert_eq!(on_connect["version"], 1);

    let (status, put) = put_motion(&app, &user.token, &device, &seed_body()).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["type"], "settings");
    assert_eq!(frame["version"], 2);
    assert_eq!(
        frame["settings"]["telemetry_secs"], 30,
        "the whole settings"
    );
    assert_eq!(frame["settings"]["motion"], put["motion"]);
    assert_eq!(frame["settings"]["motion"]["sensitivity"], "medium");

    // The device says it applied them; the owner sees it.
    ws.send(Message::Text(
        json!({"type": "settings_applied", "version": 2})
            .to_string()
            .into(),
    ))
    .await
    .expect("send");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, got) = app
            .get_json(&user.token, &format!("/devices/{device}/settings/motion"))
            .await;
        if got["applied_version"] == 2 {
            assert_eq!(got["online"], true);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never applied: {got}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
