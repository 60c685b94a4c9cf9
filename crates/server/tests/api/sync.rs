//! App ↔ server sync: offline edits replayed, the change log paged and resumed, status and
//! trigger, conflicts, and convergence of two devices editing offline.

use crate::helpers::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sightline_client::UploadMeta;
use sightline_core::sync::{Change, Clock, Edit, Hlc, MediaEdits, NodeId, Tag, Title};
use sightline_core::{MediaId, PersonId};
use std::collections::{HashMap, HashSet};

async fn idle_app() -> TestApp {
    spawn_app_with(|c| c.workers.concurrency = 0).await
}

/// Uploads `n` small items without processing them and returns their ids.
async fn seed(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let meta = UploadMeta {
            filename: Some(format!("p{i}.jpg")),
            ..UploadMeta::new(MediaId::new_random())
        };
        let bytes = bytes::Bytes::from(vec![7u8; 500]);
        app.client(token)
            .upload_bytes(bytes, &meta)
            .await
            .expect("upload");
        ids.push(meta.media_id.to_string());
    }
    ids
}

fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis() as u64
}

fn stamp(device: &str, wall_ms: u64) -> Hlc {
    Hlc::new(wall_ms, 0, NodeId::parse(device).unwrap()).unwrap()
}

fn set_title(device: &str, wall_ms: u64, title: &str) -> Value {
    json!({"stamp": stamp(device, wall_ms), "op": "set_title", "title": title})
}

async fn post_edits(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.api("/sync/edits"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("post edits");
    decode(response).await
}

async fn post_trigger(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.api(&format!("/sync/trigger{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("trigger");
    decode(response).await
}

#[tokio::test]
async fn edits_are_applied_visible_and_idempotent() {
    let app = idle_app().await;
    let user = app.register("editor").await;
    let (device, device_token) = app.create_device(&user.token, "smart_glass").await;
    let ids = seed(&app, &user.token, 1).await;
    let media = &ids[0];
    let t = now_ms();
    let body = json!({"edits": [
        {"media_id": media, "edit": set_title(&device, t, "Beach day")},
        {"media_id": media, "edit": {"stamp": stamp(&device, t + 1), "op": "add_tag", "tag": "  Sunset "}},
        {"media_id": media, "edit": {"stamp": stamp(&device, t + 2), "op": "set_favourite", "favourite": true}},
    ]});
    let (status, first) = post_edits(&app, &device_token, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let statuses: Vec<&str> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "applied", "applied"]);
    let synced = &first["media"][0];
    assert_eq!(synced["media_id"], media.as_str());
    assert_eq!(synced["state"]["title"], "Beach day");
    assert_eq!(synced["state"]["tags"], json!(["sunset"]));
    assert_eq!(synced["state"]["favourite"], true);
    assert_eq!(synced["conflicts"], json!([]));

    // The library shows the synced fields.
    let (status, item) = app.get_json(&user.token, &format!("/media/{media}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item["title"], "Beach day");
    assert_eq!(item["favourite"], true);
    assert_eq!(item["tags"], json!(["sunset"]));
    let (_, list) = app.get_json(&user.token, "/media").await;
    assert_eq!(list["items"][0]["title"], "Beach day");

    // A replay (the device never saw the answer) changes nothing.
    let (status, replay) = post_edits(&app, &device_token, body).await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    assert!(
        replay["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "duplicate")
    );
    assert_eq!(replay["media"], first["media"]);

    // The phone app may send with the user's token, naming its device.
    let (phone, _) = app.create_device(&user.token, "phone_app").await;
    let (status, body) = post_edits(
        &app,
        &user.token,
        json!({"device_id": phone, "edits": [{"media_id": media, "edit": {"stamp": stamp(&phone, t + 3), "seen": stamp(&device, t + 2), "op": "set_favourite", "favourite": false}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["media"][0]["state"]["favourite"], false);
    assert_eq!(body["new_conflicts"], json!([]), "the phone had seen it");

    // A stamp reused for a different edit is refused as a whole.
    let (status, body) = post_edits(
        &app,
        &device_token,
        json!({"edits": [{"media_id": media, "edit": set_title(&device, t, "Other")}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn bad_edits_are_refused_and_other_users_media_is_not_found() {
    let app = idle_app().await;
    let user = app.register("strict").await;
    let other = app.register("other").await;
    let (device, device_token) = app.create_device(&user.token, "smart_glass").await;
    let (elsewhere, _) = app.create_device(&user.token, "phone_app").await;
    let (others_device, others_token) = app.create_device(&other.token, "smart_glass").await;
    let ids = seed(&app, &user.token, 1).await;
    let media = &ids[0];
    let t = now_ms();
    let cases = [
        (
            "stamped by another device",
            json!({"edits": [{"media_id": media, "edit": set_title(&elsewhere, t, "x")}]}),
        ),
        (
            "too far ahead",
            json!({"edits": [{"media_id": media, "edit": set_title(&device, t + 10 * 60 * 1000, "x")}]}),
        ),
        (
            "bad stamp",
            json!({"edits": [{"media_id": media, "edit": {"stamp": "yesterday", "op": "delete"}}]}),
        ),
        (
            "unknown op",
            json!({"edits": [{"media_id": media, "edit": {"stamp": stamp(&device, t), "op": "paint"}}]}),
        ),
        (
            "bad media id",
            json!({"edits": [{"media_id": "nope", "edit": set_title(&device, t, "x")}]}),
        ),
        (
            "device id of another device",
            json!({"device_id": elsewhere, "edits": []}),
        ),
    ];
    for (what, body) in cases {
        let (status, answer) = post_edits(&app, &device_token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some(), "{answer}");
    }
    let (status, answer) = post_edits(
        &app,
        &device_token,
        json!({"edits": [{"media_id": media, "edit": set_title(&elsewhere, t, "x")}]}),
    )
    .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not by the calling device"),
        "{status} {answer}"
    );
    let (status, _) = post_edits(&app, &user.token, json!({"edits": []})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a user token names its device"
    );
    // Nothing of the refused batches was stored.
    let (_, item) = app.get_json(&user.token, &format!("/media/{media}")).await;
    assert_eq!(item["title"], Value::Null);

    // Another user's media: not found per item, nothing changes; their device: 404.
    let (status, answer) = post_edits(
        &app,
        &others_token,
        json!({"edits": [{"media_id": media, "edit": set_title(&others_device, t, "mine")}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["results"][0]["status"], "not_found");
    assert_eq!(answer["media"], json!([]));
    let (status, _) = app.get_json(&other.token, &format!("/media/{media}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_edits(
        &app,
        &user.token,
        json!({"device_id": others_device, "edits": []}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/sync/status?device_id={others_device}"),
        format!("/sync/changes?device_id={others_device}"),
    ] {
        let (status, _) = app.get_json(&user.token, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = post_trigger(&app, &user.token, &format!("?device_id={others_device}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, changes) = app.get_json(&others_token, "/sync/changes").await;
    assert_eq!(changes["changes"], json!([]), "{changes}");
}

/// Pages through the log from `since`, returning (media ids in order, final token).
async fn pull_all(app: &TestApp, token: &str, since: &str, limit: u32) -> (Vec<String>, String) {
    let (mut ids, mut since) = (Vec::new(), since.to_string());
    loop {
        let (status, page) = app
            .get_json(token, &format!("/sync/changes?since={since}&limit={limit}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let changes = page["changes"].as_array().unwrap();
        assert!(changes.len() <= limit as usize);
        ids.extend(
            changes
                .iter()
                .map(|c| c["media_id"].as_str().unwrap().to_string()),
        );
        since = page["next_token"].as_str().unwrap().to_string();
        if page["has_more"] == false {
            return (ids, since);
        }
    }
}

#[tokio::test]
async fn changes_page_and_resume_mid_stream() {
    let app = idle_app().await;
    let user = app.register("puller").await;
    let (device, device_token) = app.create_device(&user.token, "smart_glass").await;
    let ids = seed(&app, &user.token, 5).await;

    // Everything from the beginning, two at a time, each item once.
    let (seen, end) = pull_all(&app, &device_token, "", 2).await;
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "{seen:?}");
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    let (_, nothing) = app
        .get_json(&device_token, &format!("/sync/changes?since={end}"))
        .await;
    assert_eq!(nothing["changes"], json!([]));
    assert_eq!(nothing["has_more"], false);
    assert_eq!(nothing["next_token"], end.as_str());

    // An edit and a deletion show up after the last token, the deletion as a tombstone.
    let t = now_ms();
    let (status, _) = post_edits(
        &app,
        &device_token,
        json!({"edits": [{"media_id": ids[1], "edit": set_title(&device, t, "Renamed")}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let deleted = app
        .http
        .delete(app.api(&format!("/media/{}", ids[2])))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (_, page) = app
        .get_json(
            &device_token,
            &format!("/sync/changes?since={end}&limit=10"),
        )
        .await;
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{page}");
    assert_eq!(changes[0]["media_id"], ids[1].as_str());
    assert_eq!(changes[0]["op"], "upsert");
    assert_eq!(changes[0]["media"]["title"], "Renamed");
    assert_eq!(changes[0]["sync"]["state"]["title"], "Renamed");
    assert_eq!(changes[1]["media_id"], ids[2].as_str());
    assert_eq!(changes[1]["op"], "delete");
    assert_eq!(changes[1]["media"], Value::Null);

    // Stopping in the middle of a page and resuming from the last change received loses
    // nothing and repeats nothing.
    let (_, page) = app.get_json(&device_token, "/sync/changes?limit=3").await;
    let first_two: Vec<String> = page["changes"].as_array().unwrap()[..2]
        .iter()
        .map(|c| c["media_id"].as_str().unwrap().to_string())
        .collect();
    let resume = page["changes"][1]["token"].as_str().unwrap();
    let (rest, _) = pull_all(&app, &device_token, resume, 1).await;
    let mut all = first_two.clone();
    all.extend(rest);
    let (whole, _) = pull_all(&app, &device_token, "", 100).await;
    assert_eq!(all, whole);
    assert_eq!(whole.len(), 5, "each item once, the tombstone included");

    for bad in [
        "/sync/changes?since=garbage",
        "/sync/changes?since=bG9nOi0x",
        "/sync/changes?limit=0",
        "/sync/changes?limit=501",
        "/sync/changes?device_id=not-a-uuid",
    ] {
        let (status, body) = app.get_json(&device_token, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    // The pull moved the device's cursor and last sync.
    let (status, sync) = app.get_json(&device_token, "/sync/status").await;
    assert_eq!(status, StatusCode::OK, "{sync}");
    assert_eq!(sync["pending_downloads"], 0);
    assert!(sync["last_sync"].as_str().is_some(), "{sync}");
    let (_, row) = app
        .get_json(&user.token, &format!("/devices/{device}"))
        .await;
    assert!(row["last_sync_at"].as_str().is_some(), "{row}");
}

#[tokio::test]
async fn status_and_trigger_have_the_seed_shapes() {
    let app = idle_app().await;
    let user = app.register("status").await;
    let (device, device_token) = app.create_device(&user.token, "smart_glass").await;
    seed(&app, &user.token, 3).await;
    // An upload the device has started but not finished.
    let created = app
        .http
        .post(app.api("/uploads"))
        .bearer_auth(&device_token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header(
            "Upload-Metadata",
            metadata(&[
                ("media_id", &MediaId::new_random().to_string()),
                ("filename", "half.jpg"),
            ]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    let (status, body) = app
        .get_json(&user.token, &format!("/sync/status?device_id={device}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pending_uploads"], 1);
    assert_eq!(body["pending_downloads"], 3);
    assert_eq!(body["last_sync"], Value::Null);
    assert_eq!(body["sync_in_progress"], false);
    let (status, _) = app.get_json(&user.token, "/sync/status").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a user token names the device"
    );

    // The device listens on its event stream; the trigger tells it to sync.
    let mut stream = app
        .http
        .get(app.api("/events/stream"))
        .bearer_auth(&device_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let before = chrono::Utc::now();
    let (status, started) = post_trigger(&app, &user.token, &format!("?device_id={device}")).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["status"], "sync_started");
    let eta: chrono::DateTime<chrono::Utc> = started["estimated_completion"]
        .as_str()
        .unwrap()
        .parse()
        .expect("RFC 3339");
    assert!(eta > before);
    let mut seen = String::new();
    let read = async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: sync.requested") && seen.contains(&device) {
                return;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .unwrap_or_else(|_| panic!("no sync.requested event; got {seen:?}"));
    let (_, body) = app.get_json(&device_token, "/sync/status").await;
    assert_eq!(body["sync_in_progress"], true);

    // A pull that stops early leaves it in progress; reaching the end finishes it.
    let (_, page) = app.get_json(&device_token, "/sync/changes?limit=1").await;
    assert_eq!(page["has_more"], true);
    let (_, body) = app.get_json(&device_token, "/sync/status").await;
    assert_eq!(body["sync_in_progress"], true);
    assert_eq!(body["pending_downloads"], 2);
    let since = page["next_token"].as_str().unwrap();
    pull_all(&app, &device_token, since, 10).await;
    let (_, body) = app.get_json(&device_token, "/sync/status").await;
    assert_eq!(body["sync_in_progress"], false, "{body}");
    assert_eq!(body["pending_downloads"], 0);
    assert!(
        body["last_sync"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .is_ok()
    );

    // A device triggers itself with its own token; a JSON body may name it too.
    let (status, _) = post_trigger(&app, &device_token, "").await;
    assert_eq!(status, StatusCode::OK);
    let response = app
        .http
        .post(app.api("/sync/trigger"))
        .bearer_auth(&user.token)
        .json(&json!({"device_id": device}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_titles_are_listed_as_conflicts() {
    let app = idle_app().await;
    let user = app.register("conflicted").await;
    let (glasses, glasses_token) = app.create_device(&user.token, "smart_glass").await;
    let (phone, phone_token) = app.create_device(&user.token, "phone_app").await;
    let ids = seed(&app, &user.token, 2).await;
    let t = now_ms();
    // Both offline, neither saw the other's title.
    let (status, _) = post_edits(
        &app,
        &glasses_token,
        json!({"edits": [{"media_id": ids[0], "edit": set_title(&glasses, t, "Beach")}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = post_edits(
        &app,
        &phone_token,
        json!({"edits": [{"media_id": ids[0], "edit": set_title(&phone, t + 5, "Lisbon")}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["new_conflicts"][0]["field"], "title", "{answer}");
    assert_eq!(answer["media"][0]["state"]["title"], "Lisbon");

    let (status, body) = app.get_json(&user.token, "/sync/conflicts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let conflicts = body["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{body}");
    let item = &conflicts[0];
    assert_eq!(item["media_id"], ids[0].as_str());
    assert_eq!(item["state"]["title"], "Lisbon");
    let field = &item["fields"][0];
    assert_eq!(field["field"], "title");
    assert_eq!(field["winner"]["value"], "Lisbon");
    assert_eq!(field["winner"]["device_id"], phone.as_str());
    assert_eq!(field["losers"][0]["value"], "Beach");
    assert_eq!(field["losers"][0]["device_id"], glasses.as_str());
    assert_eq!(
        field["losers"][0]["stamp"],
        stamp(&glasses, t).to_string().as_str()
    );

    // Another user sees none of it.
    let other = app.register("bystander").await;
    let (_, body) = app.get_json(&other.token, "/sync/conflicts").await;
    assert_eq!(body["conflicts"], json!([]));

    // The glasses, having now seen "Lisbon", settle it: no conflict left.
    let (status, _) = post_edits(
        &app,
        &glasses_token,
        json!({"edits": [{"media_id": ids[0], "edit": {"stamp": stamp(&glasses, t + 10), "seen": stamp(&phone, t + 5), "op": "set_title", "title": "Lisbon beach"}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get_json(&user.token, "/sync/conflicts").await;
    assert_eq!(body["conflicts"], json!([]), "{body}");
}

/// A device with its own clock and replica, editing offline and syncing now and then.
struct Replica {
    token: String,
    clock: Clock,
    skew_ms: i64,
    state: HashMap<String, MediaEdits>,
    queue: Vec<Value>,
    since: String,
    /// Items whose tombstone this device pulled: deleted for good, dropped from `state`.
    gone: HashSet<String>,
    /// Edits made, for the test to check it did something.
    made: usize,
}

const TITLES: [Option<&str>; 4] = [None, Some("Beach"), Some("Sunset"), Some("Lisbon")];
const TAGS: [&str; 3] = ["beach", "sunset", "family trip"];

impl Replica {
    fn new(device: &str, token: String, skew_ms: i64) -> Self {
        Self {
            token,
            clock: Clock::new(NodeId::parse(device).unwrap()),
            skew_ms,
            state: HashMap::new(),
            queue: Vec::new(),
            since: String::new(),
            gone: HashSet::new(),
            made: 0,
        }
    }

    fn edit(&mut self, rng: &mut StdRng, media: &str, people: &[PersonId]) {
        if self.gone.contains(media) {
            return;
        }
        let local = self.state.entry(media.to_string()).or_default();
        let tag = Tag::parse(TAGS[rng.gen_range(0..TAGS.len())]).unwrap();
        let person = people[rng.gen_range(0..people.len())];
        // Deleting is final, so it is rare: most items live to have their fields compared.
        let roll = rng.gen_range(0..60);
        let change = match if roll == 59 { 12 } else { roll % 12 } {
            0..=2 => Change::SetTitle {
                title: TITLES[rng.gen_range(0..TITLES.len())].map(|t| Title::parse(t).unwrap()),
            },
            3..=4 => Change::SetFavourite {
                favourite: rng.gen_bool(0.5),
            },
            5..=7 => Change::AddTag { tag },
            8..=9 => Change::RemoveTag {
                observed: local.observed_tag(&tag),
                tag,
            },
            10 => Change::AddPerson { person },
            11 => Change::RemovePerson {
                observed: local.observed_person(&person),
                person,
            },
            _ => Change::Delete,
        };
        // Physical time jitters and may go backwards; the clock still moves forward.
        let physical = now_ms() as i64 + self.skew_ms + rng.gen_range(-2_000..2_000);
        let edit: Edit = local.local_edit(self.clock.tick(physical.max(0) as u64), change);
        local.apply(&edit);
        self.made += 1;
        self.queue.push(json!({"media_id": media, "edit": edit}));
    }

    /// Uploads the queue (in random chunks, sometimes sending one twice), then pulls.
    async fn sync(&mut self, app: &TestApp, rng: &mut StdRng) {
        let mut rest = std::mem::take(&mut self.queue);
        while !rest.is_empty() {
            let n = rng.gen_range(1..=rest.len());
            let chunk: Vec<Value> = rest.drain(..n).collect();
            let times = if rng.gen_bool(0.3) { 2 } else { 1 };
            for _ in 0..times {
                let (status, body) =
                    post_edits(app, &self.token, json!({"edits": chunk.clone()})).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
        let limit = rng.gen_range(1..4);
        loop {
            let (status, page) = app
                .get_json(
                    &self.token,
                    &format!("/sync/changes?since={}&limit={limit}", self.since),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for change in page["changes"].as_array().unwrap() {
                if change["op"] == "delete" {
                    let media = change["media_id"].as_str().unwrap().to_string();
                    self.state.remove(&media);
                    self.gone.insert(media);
                } else if let Some(edits) = change["sync"].get("edits") {
                    let theirs: MediaEdits = serde_json::from_value(edits.clone()).unwrap();
                    let media = change["media_id"].as_str().unwrap().to_string();
                    self.state.entry(media).or_default().merge(&theirs);
                }
            }
            self.since = page["next_token"].as_str().unwrap().to_string();
            if page["has_more"] == false {
                break;
            }
        }
    }

    fn visible(&self, media: &str) -> sightline_core::sync::MediaView {
        self.state
            .get(media)
            .map(MediaEdits::visible)
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn two_offline_devices_converge_with_the_server() {
    let app = idle_app().await;
    let user = app.register("converge").await;
    let (glasses, glasses_token) = app.create_device(&user.token, "smart_glass").await;
    let (phone, phone_token) = app.create_device(&user.token, "phone_app").await;
    let people: Vec<PersonId> = (0..3).map(|_| PersonId::new_random()).collect();
    let (mut made, mut conflicted, mut deleted, mut kept) = (0, 0, 0, 0);
    for seed_value in 0..24u64 {
        let mut rng = StdRng::seed_from_u64(seed_value);
        let media = seed(&app, &user.token, 2).await;
        let mut a = Replica::new(
            &glasses,
            glasses_token.clone(),
            rng.gen_range(-60_000..60_000),
        );
        let mut b = Replica::new(&phone, phone_token.clone(), rng.gen_range(-60_000..60_000));
        for _ in 0..rng.gen_range(2..6) {
            for replica in [&mut a, &mut b] {
                for _ in 0..rng.gen_range(0..5) {
                    let item = &media[rng.gen_range(0..media.len())];
                    replica.edit(&mut rng, item, &people);
                }
            }
            // Either, both or neither comes online, in either order.
            if rng.gen_bool(0.5) {
                a.sync(&app, &mut rng).await;
            }
            if rng.gen_bool(0.5) {
                b.sync(&app, &mut rng).await;
            }
            if rng.gen_bool(0.3) {
                a.sync(&app, &mut rng).await;
            }
        }
        // Back online for good: each sends what it has and pulls what it lacks.
        a.sync(&app, &mut rng).await;
        b.sync(&app, &mut rng).await;
        a.sync(&app, &mut rng).await;
        // The server's merged view, people included, as a fresh reader of the log sees it.
        let (_, page) = app.get_json(&user.token, "/sync/changes?limit=500").await;
        let merged: HashMap<String, Value> = page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["media_id"].as_str().unwrap().to_string(),
                    c["sync"]["state"].clone(),
                )
            })
            .collect();
        made += a.made + b.made;
        conflicted += media
            .iter()
            .filter(|m| a.state.get(*m).is_some_and(|s| !s.conflicts().is_empty()))
            .count();
        for item in &media {
            if a.gone.contains(item) || b.gone.contains(item) {
                // A merged delete removed the item: both devices pulled its tombstone.
                assert!(
                    a.gone.contains(item) && b.gone.contains(item),
                    "seed {seed_value}"
                );
                assert_eq!(merged[item], Value::Null, "seed {seed_value}");
                let (status, _) = app.get_json(&user.token, &format!("/media/{item}")).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "seed {seed_value}");
                deleted += 1;
                continue;
            }
            kept += 1;
            assert_eq!(
                merged[item],
                serde_json::to_value(a.visible(item)).unwrap(),
                "seed {seed_value}: server and devices differ on {item}"
            );
            let (status, server) = app.get_json(&user.token, &format!("/media/{item}")).await;
            assert_eq!(status, StatusCode::OK);
            let (left, right) = (a.visible(item), b.visible(item));
            assert_eq!(left, right, "seed {seed_value}: devices differ on {item}");
            assert_eq!(
                a.state.get(item).cloned().unwrap_or_default(),
                b.state.get(item).cloned().unwrap_or_default(),
                "seed {seed_value}: merged edits differ"
            );
            assert_eq!(server["title"], json!(left.title), "seed {seed_value}");
            assert_eq!(server["favourite"], left.favourite, "seed {seed_value}");
            assert_eq!(server["tags"], json!(left.tags), "seed {seed_value}");
            assert_eq!(server["deleted"], left.deleted, "seed {seed_value}");
        }
    }
    assert!(made > 100, "only {made} edits were made");
    assert!(conflicted > 0, "no seed produced a conflict");
    assert!(
        deleted > 0 && kept > deleted,
        "{deleted} deleted, {kept} kept"
    );
}
