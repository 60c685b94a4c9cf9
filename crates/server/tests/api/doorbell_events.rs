//! Doorbell events end to end: idempotent posts with their bus event written once, a real clip
//! through tus whose signed URLs show up once processed, filters and paging, ownership, hostile
//! bodies, and what deleting a device or a clip does; the full clip attached to an event posted
//! with its alert clip.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sightline_client::UploadMeta;
use sightline_core::MediaId;
use sightline_core::event::Topic;
use std::time::Duration;

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn body(kind: &str, timestamp: &str) -> Value {
    json!({
        "event_id": new_id(),
        "event_type": kind,
        "timestamp": timestamp,
        "duration_seconds": 20,
        "pre_roll_seconds": 3,
        "confidence": 0.95,
        "detections": [{"label": "person", "confidence": 0.9, "x": 0.2, "y": 0.1, "w": 0.3, "h": 0.8}],
        "battery_level": 81,
    })
}

/// An event's view without its clip's links and status, which change with time (signed URLs,
/// processing).
fn without_links(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(fields) = event.as_object_mut() {
        for name in ["video_url", "thumbnail_url", "media_status"] {
            fields.remove(name);
        }
    }
    event
}

impl TestApp {
    async fn post_event(&self, token: &str, device: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.api(&format!("/devices/{device}/events")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("post event");
        decode(response).await
    }

    async fn patch_event(
        &self,
        token: &str,
        device: &str,
        event: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .patch(self.api(&format!("/devices/{device}/events/{event}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("patch event");
        decode(response).await
    }

    /// A small photo item of the user's, standing in for a clip (only its ownership matters).
    async fn upload_item(&self, token: &str) -> String {
        let media_id = MediaId::new_random();
        let path = self.data.path().join(format!("{media_id}.jpg"));
        std::fs::write(&path, b"not really a jpeg").expect("write");
        let meta = UploadMeta::new(media_id).with_file_defaults(&path);
        self.client(token)
            .upload_file(&path, &meta, &|_, _| {})
            .await
            .expect("upload");
        media_id.to_string()
    }
}

#[tokio::test]
async fn an_event_is_stored_once_and_its_bus_event_written_once() {
    let app = spawn_app().await;
    let bus = app._server.state.backends.bus.clone();
    bus.subscribe("test-notify", &[Topic::DoorbellEvent])
        .await
        .expect("subscribe");
    let user = app.register("ding").await;
    let (device, device_token) = app.create_device(&user.token, "doorbell").await;
    let press = json!({
        "event_id": new_id(),
        "event_type": "doorbell_press",
        "timestamp": "2026-02-05T10:30:00Z",
    });
    let (status, first) = app.post_event(&device_token, &device, &press).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["event_id"], press["event_id"]);
    assert_eq!(first["device_id"], device.as_str());
    assert_eq!(first["event_type"], "doorbell_press");
    assert_eq!(first["video_url"], Value::Null);
    assert_eq!(first["thumbnail_url"], Value::Null);
    assert_eq!(first["detection_metadata"]["detected_objects"], json!([]));
    for _ in 0..2 {
        let (status, again) = app.post_event(&device_token, &device, &press).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again, first);
    }
    // The owner may post for the device too.
    let (status, _) = app
        .post_event(
            &user.token,
            &device,
            &body("motion", "2026-02-05T10:31:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let delivered = bus
        .claim("test-notify", 10, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(delivered.len(), 2, "one bus event per stored event");
    assert_eq!(delivered[0].payload["event_id"], press["event_id"]);
    assert_eq!(delivered[0].payload["user_id"], user.id.as_str());
    assert_eq!(delivered[0].payload["event_type"], "doorbell_press");

    let (status, listed) = app
        .get_json(&user.token, &format!("/devices/{device}/events"))
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["pagination"]["total"], 2);
}

#[tokio::test]
async fn a_clip_uploaded_through_tus_gets_signed_urls_once_processed() {
    let app = spawn_app().await;
    let user = app.register("clip").await;
    let (device, device_token) = app.create_device(&user.token, "doorbell").await;
    let path = app.data.path().join("event.mp4");
    make_clip(&path, 2).await;
    let media_id = MediaId::new_random();
    let mut meta = UploadMeta::new(media_id).with_file_defaults(&path);
    meta.device_id = Some(device.clone());
    app.client(&device_token)
        .upload_file(&path, &meta, &|_, _| {})
        .await
        .expect("upload");

    let mut event = body("person", "2026-02-05T10:30:00Z");
    event["media_id"] = json!(media_id.to_string());
    let (status, created) = app.post_event(&device_token, &device, &event).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["media_id"], media_id.to_string());
    assert!(created["video_url"].is_string(), "the original at once");
    assert_eq!(
        created["detection_metadata"]["bounding_boxes"][0]["label"],
        "person"
    );

    let item = app.wait_processed(&user.token, &media_id.to_string()).await;
    assert_eq!(item["status"], "ready", "{item}");
    let (_, listed) = app
        .get_json(&user.token, &format!("/devices/{device}/events"))
        .await;
    let shown = &listed["events"][0];
    assert_eq!(shown["media_status"], "ready");
    for name in ["thumbnail_url", "video_url"] {
        let url = shown[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {shown}"));
        let response = app.http.get(url).send().await.expect("fetch");
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert!(!response.bytes().await.expect("bytes").is_empty());
    }

    // An unknown clip is refused with a reason (another user's: the store suite).
    let mut unknown = body("motion", "2026-02-05T10:31:00Z");
    unknown["media_id"] = json!(new_id());
    let (status, error) = app.post_event(&device_token, &device, &unknown).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("media_id")
    );

    // Deleting the clip leaves the event, without links.
    let response = app
        .http
        .delete(app.api(&format!("/media/{media_id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, listed) = app.get_json(&user.token, "/events").await;
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["events"][0]["video_url"], Value::Null);
    assert_eq!(listed["events"][0]["thumbnail_url"], Value::Null);
}

#[tokio::test]
async fn events_filter_and_page_newest_first() {
    let app = spawn_app().await;
    let user = app.register("pager").await;
    let (front, front_token) = app.create_device(&user.token, "doorbell").await;
    let (back, back_token) = app.create_device(&user.token, "doorbell").await;
    let kinds = ["motion", "person", "motion", "vehicle", "package"];
    let mut posted = Vec::new();
    for (minute, kind) in kinds.iter().enumerate() {
        let event = body(kind, &format!("2026-02-05T10:0{minute}:00Z"));
        let (device, token) = if minute % 2 == 0 {
            (&front, &front_token)
        } else {
            (&back, &back_token)
        };
        let (status, _) = app.post_event(token, device, &event).await;
        assert_eq!(status, StatusCode::CREATED);
        posted.push(event["event_id"].clone());
    }
    let ids = |page: &Value| -> Vec<Value> {
        page["events"]
            .as_array()
            .map(|a| a.iter().map(|e| e["event_id"].clone()).collect())
            .unwrap_or_default()
    };
    let newest_first: Vec<Value> = posted.iter().rev().cloned().collect();

    let (_, all) = app.get_json(&user.token, "/events").await;
    assert_eq!(ids(&all), newest_first);
    assert_eq!(
        all["pagination"],
        json!({"total": 5, "limit": 50, "offset": 0, "has_more": false, "next_cursor": null})
    );

    let (_, front_only) = app
        .get_json(&user.token, &format!("/devices/{front}/events"))
        .await;
    assert_eq!(
        ids(&front_only),
        vec![posted[4].clone(), posted[2].clone(), posted[0].clone()]
    );
    let (_, same) = app
        .get_json(&user.token, &format!("/events?device_id={front}"))
        .await;
    assert_eq!(ids(&same), ids(&front_only));

    let (_, motion) = app
        .get_json(
            &user.token,
            &format!("/devices/{front}/events?event_type=motion"),
        )
        .await;
    assert_eq!(ids(&motion), vec![posted[2].clone(), posted[0].clone()]);

    let (_, window) = app
        .get_json(
            &user.token,
            "/events?start_time=2026-02-05T10:01:00Z&end_time=2026-02-05T10:03:00Z",
        )
        .await;
    assert_eq!(
        ids(&window),
        vec![posted[3].clone(), posted[2].clone(), posted[1].clone()]
    );

    let (_, first) = app.get_json(&user.token, "/events?limit=2").await;
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(first["pagination"]["total"], 5);
    let (_, last) = app.get_json(&user.token, "/events?limit=2&offset=4").await;
    assert_eq!(ids(&last), vec![posted[0].clone()]);
    assert_eq!(last["pagination"]["has_more"], false);

    // The cursor walks the same list, page by page, to its end.
    let mut walked = ids(&first);
    let mut cursor = first["pagination"]["next_cursor"]
        .as_str()
        .map(str::to_owned);
    while let Some(next) = cursor {
        let (status, page) = app
            .get_json(&user.token, &format!("/events?limit=2&cursor={next}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(ids(&page));
        cursor = page["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(walked, newest_first);

    // A device token sees only its own device's events.
    let (_, own) = app.get_json(&back_token, "/events").await;
    assert_eq!(ids(&own), vec![posted[3].clone(), posted[1].clone()]);

    for bad in [
        "/events?limit=0",
        "/events?limit=201",
        "/events?limit=ten",
        "/events?offset=-1",
        "/events?event_type=drone",
        "/events?start_time=yesterday",
        "/events?end_time=2026-13-01T00:00:00Z",
        "/events?start_time=2026-02-06T00:00:00Z&end_time=2026-02-05T00:00:00Z",
        "/events?device_id=nope",
        "/events?cursor=not-a-cursor",
        "/events?cursor=MTIzLm5vdC1hLXV1aWQ",
        "/events?cursor=MTcwMDAwMDAwMDAwMC4wYmYzYzQ5Mi0xMTExLTRhNGEtOWE5YS0wMDAwMDAwMDAwMDE&offset=1",
    ] {
        let (status, error) = app.get_json(&user.token, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {error}");
        assert!(error["error"]["message"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn foreign_devices_are_not_found_and_hostile_bodies_are_rejected() {
    let app = spawn_app().await;
    let alice = app.register("alice-door").await;
    let bob = app.register("bob-door").await;
    let (door, door_token) = app.create_device(&alice.token, "doorbell").await;
    let (other, _) = app.create_device(&alice.token, "doorbell").await;
    let (_, bobs_token) = app.create_device(&bob.token, "doorbell").await;
    let event = body("motion", "2026-02-05T10:30:00Z");
    for (token, device) in [
        (&bob.token, &door),
        (&bobs_token, &door),
        (&door_token, &other),
        (&alice.token, &new_id()),
        (&alice.token, &"not-a-uuid".to_string()),
    ] {
        let (status, _) = app.post_event(token, device, &event).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .get_json(token, &format!("/devices/{device}/events"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (_, bobs_view) = app
        .get_json(&bob.token, &format!("/events?device_id={door}"))
        .await;
    assert_eq!(bobs_view["pagination"]["total"], 0);

    let hostile: Vec<(&str, Value)> = vec![
        ("event_id", json!("evt_abc123")),
        ("event_type", json!("person_detected")),
        ("timestamp", json!("2999-01-01T00:00:00Z")),
        ("timestamp", json!("soon")),
        ("confidence", json!(1.01)),
        ("duration_seconds", json!(3601)),
        ("pre_roll_seconds", json!(-1)),
        ("battery_level", json!(101)),
        ("media_id", json!("clip.mp4")),
        ("admin", json!(true)),
        (
            "detections",
            json!([{"label": "person", "confidence": 0.9, "x": 100, "y": 150, "w": 80, "h": 200}]),
        ),
        (
            "detections",
            json!([{"label": "x".repeat(65), "confidence": 0.9, "x": 0, "y": 0, "w": 1, "h": 1}]),
        ),
        (
            "detections",
            json!([{"label": "person", "confidence": 9, "x": 0, "y": 0, "w": 1, "h": 1}]),
        ),
        (
            "detections",
            Value::Array(vec![
                json!({"label": "person", "confidence": 0.5, "x": 0, "y": 0, "w": 0.1, "h": 0.1});
                51
            ]),
        ),
    ];
    for (field, value) in hostile {
        let mut bad = event.clone();
        bad[field] = value;
        let (status, error) = app.post_event(&door_token, &door, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {error}");
        assert!(error["error"]["message"].is_string(), "{field}");
    }
    let (_, listed) = app.get_json(&alice.token, "/events").await;
    assert_eq!(
        listed["pagination"]["total"], 0,
        "nothing hostile was stored"
    );
}

#[tokio::test]
async fn deleting_a_device_removes_its_events() {
    let app = spawn_app().await;
    let user = app.register("mover").await;
    let (gone, gone_token) = app.create_device(&user.token, "doorbell").await;
    let (kept, kept_token) = app.create_device(&user.token, "doorbell").await;
    for (device, token) in [(&gone, &gone_token), (&kept, &kept_token)] {
        let (status, _) = app
            .post_event(token, device, &body("motion", "2026-02-05T10:30:00Z"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let response = app
        .http
        .delete(app.api(&format!("/devices/{gone}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("delete device");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, listed) = app.get_json(&user.token, "/events").await;
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["events"][0]["device_id"], kept.as_str());
    let (status, _) = app
        .get_json(&user.token, &format!("/devices/{gone}/events"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_full_clip_replaces_the_alert_clip_once() {
    let app = spawn_app().await;
    let bus = app._server.state.backends.bus.clone();
    bus.subscribe("test-clips", &[Topic::DoorbellClipUpdated])
        .await
        .expect("subscribe");
    let user = app.register("full-clip").await;
    let (device, device_token) = app.create_device(&user.token, "doorbell").await;
    let alert = app.upload_item(&device_token).await;
    let full = app.upload_item(&device_token).await;
    let mut posted = body("person", "2026-02-05T10:30:00Z");
    posted["media_id"] = json!(alert);
    posted["duration_seconds"] = json!(1.5);
    let (status, created) = app.post_event(&device_token, &device, &posted).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let event = posted["event_id"].as_str().expect("id").to_string();

    let patch = json!({"media_id": full, "duration_seconds": 25.0});
    let (status, first) = app
        .patch_event(&device_token, &device, &event, &patch)
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["media_id"], full.as_str());
    assert_eq!(first["duration_seconds"], 25.0);
    assert_eq!(
        first["detection_metadata"], created["detection_metadata"],
        "kept when not given"
    );
    assert_eq!(first["event_type"], "person");
    assert_eq!(first["timestamp"], created["timestamp"]);
    // The same PATCH again: the same answer, and no second bus event.
    let (status, again) = app
        .patch_event(&device_token, &device, &event, &patch)
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(without_links(&again), without_links(&first));
    let delivered = bus
        .claim("test-clips", 10, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].payload["event_id"], event.as_str());
    assert_eq!(delivered[0].payload["media_id"], full.as_str());
    assert_eq!(delivered[0].payload["event_type"], "person");
    bus.ack(&delivered[0]).await.expect("ack");

    // The owner may attach it too, with what the detector saw over the whole event.
    let richer = json!({
        "media_id": full, "duration_seconds": 26.5, "confidence": 0.7,
        "detections": [{"label": " dog ", "confidence": 0.8, "x": 0, "y": 0, "w": 0.5, "h": 0.5}],
    });
    let (status, owner) = app.patch_event(&user.token, &device, &event, &richer).await;
    assert_eq!(status, StatusCode::OK, "{owner}");
    assert_eq!(owner["detection_metadata"]["confidence"], 0.7);
    assert_eq!(
        owner["detection_metadata"]["detected_objects"],
        json!(["dog"])
    );
    let (_, listed) = app
        .get_json(&user.token, &format!("/devices/{device}/events"))
        .await;
    assert_eq!(without_links(&listed["events"][0]), without_links(&owner));
    assert_eq!(listed["pagination"]["total"], 1);
}

#[tokio::test]
async fn clip_updates_check_callers_events_and_bodies() {
    let app = spawn_app().await;
    let alice = app.register("clip-alice").await;
    let bob = app.register("clip-bob").await;
    let (door, door_token) = app.create_device(&alice.token, "doorbell").await;
    let (other, other_token) = app.create_device(&alice.token, "doorbell").await;
    let (bobs_door, bobs_token) = app.create_device(&bob.token, "doorbell").await;
    let clip = app.upload_item(&door_token).await;
    let bobs_clip = app.upload_item(&bobs_token).await;
    let posted = body("motion", "2026-02-05T10:30:00Z");
    let (status, created) = app.post_event(&door_token, &door, &posted).await;
    assert_eq!(status, StatusCode::CREATED);
    let event = posted["event_id"].as_str().expect("id").to_string();
    let patch = json!({"media_id": clip, "duration_seconds": 25.0});

    // Someone else's, another device's, or no such event: not found.
    let unknown = new_id();
    for (token, device, id) in [
        (&bob.token, &door, &event),
        (&bobs_token, &door, &event),
        (&bobs_token, &bobs_door, &event),
        (&door_token, &other, &event),
        (&other_token, &other, &event),
        (&alice.token, &other, &event),
        (&alice.token, &door, &unknown),
        (&alice.token, &door, &"evt_1".to_string()),
        (&alice.token, &"nope".to_string(), &event),
    ] {
        let (status, error) = app.patch_event(token, device, id, &patch).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{device} {id}: {error}");
    }

    // A clip that is not one of alice's: upload it first.
    for missing in [bobs_clip.clone(), new_id()] {
        let bad = json!({"media_id": missing, "duration_seconds": 25.0});
        let (status, error) = app.patch_event(&door_token, &door, &event, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("upload the clip first"), "{message}");
    }

    let hostile: Vec<(&str, Value)> = vec![
        ("media_id", json!("clip.mp4")),
        ("media_id", Value::Null),
        ("duration_seconds", json!(3601)),
        ("duration_seconds", json!(-1)),
        ("duration_seconds", json!("long")),
        ("confidence", json!(1.5)),
        ("event_type", json!("person")),
        (
            "detections",
            json!([{"label": "person", "confidence": 0.9, "x": 100, "y": 150, "w": 80, "h": 200}]),
        ),
        (
            "detections",
            Value::Array(vec![
                json!({"label": "person", "confidence": 0.5, "x": 0, "y": 0, "w": 0.1, "h": 0.1});
                51
            ]),
        ),
    ];
    for (field, value) in hostile {
        let mut bad = patch.clone();
        bad[field] = value;
        let (status, error) = app.patch_event(&door_token, &door, &event, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{field}: {message}");
    }
    let (status, error) = app
        .patch_event(
            &door_token,
            &door,
            &event,
            &json!({"duration_seconds": 25.0}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");

    // Nothing of that was stored.
    let (_, listed) = app
        .get_json(&alice.token, &format!("/devices/{door}/events"))
        .await;
    assert_eq!(without_links(&listed["events"][0]), without_links(&created));
}
