//! The device channel with a real WebSocket client playing the device.

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

fn channel_request(
    app: &TestApp,
    token: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = format!(
        "{}/api/v1/devices/channel",
        app.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

async fn connect(app: &TestApp, token: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(channel_request(app, Some(token)))
        .await
        .expect("channel opens");
    ws
}

/// The next text frame as JSON, skipping pings; `None` when the connection ends.
async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// Polls the device until `check` holds.
async fn device_until(
    app: &TestApp,
    token: &str,
    id: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app.get_json(token, &format!("/devices/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if check(&body) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "device never got there: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn telemetry(battery: Value) -> Value {
    json!({
        "type": "telemetry", "battery_level": battery, "charging": false,
        "power_mode": "balanced", "storage_free_bytes": 1_000_000, "storage_used_bytes": 2048,
        "pending_uploads": 3, "connectivity": "wifi", "firmware_version": "agent 0.1.0"
    })
}

async fn post_command(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.api(&format!("/devices/{id}/commands")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    decode(response).await
}

#[tokio::test]
async fn telemetry_updates_the_device_and_presence_follows_the_connection() {
    let app = spawn_app().await;
    let user = app.register("tess").await;
    let (id, token) = app.create_device(&user.token, "smart_glass").await;
    let (_, before) = app.get_json(&user.token, &format!("/devices/{id}")).await;
    assert_eq!(before["online"], false, "{before}");

    let mut ws = connect(&app, &token).await;
    send(&mut ws, telemetry(json!(42))).await;
    let body = device_until(&app, &user.token, &id, |d| d["battery_level"] == 42).await;
    assert_eq!(body["online"], true, "{body}");
    assert_eq!(body["connectivity"], "wifi");
    assert_eq!(body["firmware_version"], "agent 0.1.0");
    assert_eq!(body["telemetry"]["power_mode"], "balanced");
    assert_eq!(body["telemetry"]["pending_uploads"], 3);
    assert_eq!(body["telemetry"]["storage_free_bytes"], 1_000_000);
    assert!(body["last_seen_at"].is_string(), "{body}");
    let (_, list) = app.get_json(&user.token, "/devices").await;
    assert_eq!(list["devices"][0]["online"], true, "{list}");

    // A later beat with less in it changes only what it carries.
    send(&mut ws, json!({"type": "telemetry", "battery_level": 41})).await;
    let body = device_until(&app, &user.token, &id, |d| d["battery_level"] == 41).await;
    assert_eq!(body["connectivity"], "wifi");

    ws.close(None).await.unwrap();
    drop(ws);
    let body = device_until(&app, &user.token, &id, |d| d["online"] == false).await;
    assert_eq!(body["battery_level"], 41, "the row keeps the last report");
    assert!(body["last_seen_at"].is_string());
}

/// A restarted server has heard from no device yet, and still shows when each was last seen
/// and what it last reported.
#[tokio::test]
async fn last_seen_and_telemetry_outlive_a_server_restart() {
    let app = spawn_app().await;
    let user = app.register("restarter").await;
    let (id, token) = app.create_device(&user.token, "smart_glass").await;
    let mut ws = connect(&app, &token).await;
    send(&mut ws, telemetry(json!(77))).await;
    device_until(&app, &user.token, &id, |d| d["battery_level"] == 77).await;
    ws.close(None).await.unwrap();
    drop(ws);
    let before = device_until(&app, &user.token, &id, |d| d["online"] == false).await;

    let TestApp { _server, data, .. } = app;
    _server.shutdown();
    let again = start_on(data).await;
    let (status, after) = again.get_json(&user.token, &format!("/devices/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["online"], false);
    assert_eq!(after["battery_level"], 77);
    assert_eq!(after["telemetry"]["power_mode"], "balanced", "{after}");
    assert_eq!(after["telemetry"]["storage_free_bytes"], 1_000_000);
    let seen = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["last_seen_at"].as_str().expect("last seen"))
            .expect("a time")
    };
    let drift = (seen(&after) - seen(&before)).num_milliseconds().abs();
    assert!(
        drift < 1000,
        "last seen {} then {}",
        before["last_seen_at"],
        after["last_seen_at"]
    );
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_connection_stays_but_oversized_ones_close_it() {
    let app = spawn_app().await;
    let user = app.register("hal").await;
    let (id, token) = app.create_device(&user.token, "doorbell").await;
    let mut ws = connect(&app, &token).await;

    let hostile = [
        Message::Text("not json at all".into()),
        Message::Text(json!({"type": "launch_missiles"}).to_string().into()),
        Message::Text(telemetry(json!(150)).to_string().into()),
        Message::Text(telemetry(json!(-1)).to_string().into()),
        Message::Text(
            json!({"type": "telemetry", "connectivity": "carrier pigeon"})
                .to_string()
                .into(),
        ),
        Message::Text(
            json!({"type": "telemetry", "firmware_version": "x".repeat(51)})
                .to_string()
                .into(),
        ),
        Message::Text(
            json!({"type": "telemetry", "storage_free_bytes": -5})
                .to_string()
                .into(),
        ),
        Message::Text(
            json!({"type": "command_result", "id": uuid::Uuid::new_v4(), "ok": true})
                .to_string()
                .into(),
        ),
        Message::Binary(vec![0u8, 1, 2].into()),
    ];
    for frame in hostile {
        let shown = format!("{frame:?}");
        ws.send(frame).await.unwrap();
        let reply = next_json(&mut ws).await.expect("connection stays open");
        assert_eq!(reply["type"], "error", "{shown}: {reply}");
        assert!(
            reply["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    }
    // Nothing of that reached the row; a good frame still does.
    let (_, body) = app.get_json(&user.token, &format!("/devices/{id}")).await;
    assert!(body["battery_level"].is_null(), "{body}");
    send(&mut ws, telemetry(json!(7))).await;
    device_until(&app, &user.token, &id, |d| d["battery_level"] == 7).await;

    // Oversized: the server closes the connection.
    let huge = json!({"type": "telemetry", "power_mode": "x".repeat(64 * 1024)});
    let _ = ws.send(Message::Text(huge.to_string().into())).await;
    assert_eq!(next_json(&mut ws).await, None, "oversized frames close");
    device_until(&app, &user.token, &id, |d| d["online"] == false).await;
}

#[tokio::test]
async fn a_command_reaches_the_device_and_its_result_comes_back() {
    let app = spawn_app().await;
    let user = app.register("cleo").await;
    let (id, token) = app.create_device(&user.token, "smart_glass").await;
    let mut ws = connect(&app, &token).await;
    send(&mut ws, telemetry(json!(80))).await;
    device_until(&app, &user.token, &id, |d| d["online"] == true).await;

    let media_id = uuid::Uuid::new_v4();
    let device = tokio::spawn(async move {
        let frame = next_json(&mut ws).await.expect("a command");
        assert_eq!(frame["type"], "command", "{frame}");
        assert_eq!(frame["command"], json!({"command": "take_picture"}));
        let reply = json!({"type": "command_result", "id": frame["id"], "ok": true,
                           "message": "photo saved", "media_id": media_id});
        send(&mut ws, reply).await;
        ws
    });
    let (status, body) =
        post_command(&app, &user.token, &id, json!({"command": "take a picture"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["message"], "photo saved");
    assert_eq!(body["media_id"], media_id.to_string());
    assert_eq!(body["command"]["command"], "take_picture");
    let mut ws = device.await.unwrap();

    // Not a command: refused before the device hears of it.
    let (status, body) = post_command(&app, &user.token, &id, json!({"command": "sing"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post_command(&app, &user.token, &id, json!({"text": "take a picture"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post_command(&app, &token, &id, json!({"command": "take a picture"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "devices do not command devices"
    );

    // A device that never answers: 504 after the timeout.
    let (status, body) =
        post_command(&app, &user.token, &id, json!({"command": "record a video"})).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    let frame = next_json(&mut ws).await.expect("the command arrived");
    assert_eq!(frame["command"]["command"], "record_video");
}

#[tokio::test]
async fn offline_devices_foreign_devices_and_wrong_tokens_are_refused_clearly() {
    let app = spawn_app().await;
    let user = app.register("ida").await;
    let other = app.register("eve").await;
    let (id, token) = app.create_device(&user.token, "smart_glass").await;

    let (status, body) =
        post_command(&app, &user.token, &id, json!({"command": "take a picture"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not connected"), "{message}");

    let (status, _) = post_command(
        &app,
        &other.token,
        &id,
        json!({"command": "take a picture"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_json(&other.token, &format!("/devices/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The channel takes device tokens only.
    for token in [
        None,
        Some(user.token.as_str()),
        Some("sld_not-a-real-token"),
    ] {
        let refused = tokio_tungstenite::connect_async(channel_request(&app, token)).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert!(
                    [401, 403].contains(&response.status().as_u16()),
                    "{token:?}: {}",
                    response.status()
                );
            }
            other => panic!("{token:?} was let in: {:?}", other.map(|_| ())),
        }
    }
    // The device's own token works.
    let _ws = connect(&app, &token).await;
    device_until(&app, &user.token, &id, |d| d["online"] == true).await;
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    let app = spawn_app().await;
    let user = app.register("rex").await;
    let (id, token) = app.create_device(&user.token, "doorbell").await;
    let mut first = connect(&app, &token).await;
    send(&mut first, telemetry(json!(50))).await;
    device_until(&app, &user.token, &id, |d| d["battery_level"] == 50).await;

    let mut second = connect(&app, &token).await;
    assert_eq!(next_json(&mut first).await, None, "the old one is closed");
    let responder = tokio::spawn(async move {
        let frame = next_json(&mut second).await.expect("a command");
        let reply = json!({"type": "command_result", "id": frame["id"], "ok": false,
                           "message": "camera busy"});
        send(&mut second, reply).await;
        second
    });
    let (status, body) =
        post_command(&app, &user.token, &id, json!({"command": "take a picture"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["ok"].clone(), body["message"].clone()),
        (json!(false), json!("camera busy"))
    );
    let _second = responder.await.unwrap();
    let (_, body) = app.get_json(&user.token, &format!("/devices/{id}")).await;
    assert_eq!(
        body["online"], true,
        "the closed old connection does not take the new one down"
    );
}
