//! People, places, search and memory videos end to end, on real pixels: a library of generated
//! clips with GPS and dates in three cities over several years, people assigned by hand.

use crate::helpers::*;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sightline_client::UploadMeta;
use sightline_core::MediaId;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const PARIS: (f64, f64) = (48.8566, 2.3522);
const ROME: (f64, f64) = (41.8902, 12.4922);
const NEW_YORK: (f64, f64) = (40.758, -73.9855);

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
        .single()
        .expect("date")
}

/// The most recent summer that is over, as the query understanding reads "last summer".
fn last_summer_year() -> i32 {
    let today = Utc::now();
    if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// A 12 s clip with a distinct test pattern and a tone, so every source is recognisable.
async fn make_source(dir: &Path, name: &str, hue: u32) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.mp4"));
    let video = format!("testsrc2=size=320x240:rate=30,hue=h={hue}");
    let audio = format!("sine=frequency={}:sample_rate=48000", 300 + hue);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        &audio,
        "-t",
        "12",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        &path.to_string_lossy(),
    ])
    .await;
    path
}

async fn upload_video(
    app: &TestApp,
    token: &str,
    path: &Path,
    place: (f64, f64),
    when: DateTime<Utc>,
) -> String {
    let mut meta = UploadMeta::new(MediaId::new_random());
    meta.lat = Some(place.0);
    meta.lon = Some(place.1);
    meta.captured_at = Some(when);
    let id = meta.media_id.to_string();
    app.client(token)
        .upload_file(path, &meta.with_file_defaults(path), &|_, _| {})
        .await
        .expect("upload");
    id
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    decode(
        app.http
            .post(app.api(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn person(app: &TestApp, token: &str, body: Value) -> String {
    let (status, person) = post(app, token, "/people", body).await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    person["id"].as_str().expect("id").to_string()
}

async fn appears(app: &TestApp, token: &str, media: &str, person: &str, span: Option<(f64, f64)>) {
    let mut body = json!({ "person_id": person });
    if let Some((start, end)) = span {
        body["start_secs"] = json!(start);
        body["end_secs"] = json!(end);
    }
    let (status, answer) = post(app, token, &format!("/media/{media}/people"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

/// Creates a memory and waits until it is made (or found empty).
async fn memory(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    memory_with(app, token, json!({ "query": query })).await
}

async fn memory_with(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, created) = post(app, token, "/memories/create", body).await;
    if !matches!(status, StatusCode::ACCEPTED | StatusCode::OK) {
        return (status, created);
    }
    let id = created["memory_id"]
        .as_str()
        .expect("memory id")
        .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let (_, body) = app.get_json(token, &format!("/memories/{id}")).await;
        if !matches!(body["status"].as_str(), Some("queued" | "rendering")) {
            let mut body = body;
            body["cached"] = created["cached"].clone();
            return (status, body);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "memory not made: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn clip_sources(memory: &Value) -> BTreeSet<String> {
    memory["clips_used"]
        .as_array()
        .expect("clips")
        .iter()
        .map(|c| c["media_id"].as_str().expect("media id").to_string())
        .collect()
}

fn ids(list: &[&String]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Downloads the memory and checks it: decodes without a single error, and lasts what its
/// clips add up to minus the crossfades, within a frame.
async fn check_video(app: &TestApp, memory: &Value, dir: &Path) {
    let url = memory["video_url"].as_str().expect("video url");
    let bytes = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let file = dir.join(format!("{}.mp4", memory["memory_id"].as_str().unwrap()));
    std::fs::write(&file, &bytes).unwrap();
    let decode = tokio::process::Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(&file)
        .args(["-f", "null", "-"])
        .output()
        .await
        .unwrap();
    assert!(
        decode.status.success() && decode.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&decode.stderr)
    );
    let clips = memory["clips_used"].as_array().unwrap();
    let planned: f64 = clips
        .iter()
        .map(|c| c["out_secs"].as_f64().unwrap() - c["in_secs"].as_f64().unwrap())
        .sum::<f64>()
        - 0.5 * (clips.len() as f64 - 1.0);
    let probe = tokio::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,duration",
            "-of",
            "json",
        ])
        .arg(&file)
        .output()
        .await
        .unwrap();
    let probed: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let streams = probed["streams"].as_array().unwrap();
    let duration_of = |kind: &str| {
        streams
            .iter()
            .find(|s| s["codec_type"] == kind)
            .and_then(|s| s["duration"].as_str())
            .and_then(|d| d.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {kind} stream: {probed}"))
    };
    let video = duration_of("video");
    assert!(
        (video - planned).abs() <= 1.0 / 30.0 + 1e-3,
        "video {video} s, planned {planned} s"
    );
    let audio = duration_of("audio");
    assert!(
        (audio - video).abs() < 0.05,
        "audio {audio} s vs video {video} s"
    );
    let thumbnail = memory["thumbnail_url"].as_str().expect("thumbnail");
    assert_eq!(
        app.http.get(thumbnail).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn memories_from_sentences_on_a_real_library() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let alex = app.register("alex").await;
    let token = alex.token.as_str();

    let me = person(&app, token, json!({ "name": "Alex", "is_me": true })).await;
    let wife = person(
        &app,
        token,
        json!({ "name": "Anna", "relationship": "wife" }),
    )
    .await;
    let mom = person(
        &app,
        token,
        json!({ "name": "Maria", "relationship": "mom" }),
    )
    .await;

    let summer = last_summer_year();
    let mut sources = Vec::new();
    for (i, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        sources.push(make_source(work.path(), name, i as u32 * 50).await);
    }
    let paris_us = upload_video(&app, token, &sources[0], PARIS, at(2024, 5, 10)).await;
    let paris_anna = upload_video(&app, token, &sources[1], PARIS, at(2025, 3, 2)).await;
    let rome_last_summer = upload_video(&app, token, &sources[2], ROME, at(summer, 7, 15)).await;
    let rome_old = upload_video(&app, token, &sources[3], ROME, at(2021, 7, 15)).await;
    let new_york_mom = upload_video(&app, token, &sources[4], NEW_YORK, at(2024, 8, 1)).await;
    let paris_mom = upload_video(&app, token, &sources[5], PARIS, at(2024, 10, 3)).await;
    for id in [
        &paris_us,
        &paris_anna,
        &rome_last_summer,
        &rome_old,
        &new_york_mom,
        &paris_mom,
    ] {
        assert_eq!(app.wait_processed(token, id).await["status"], "ready");
    }
    let item = app.wait_processed(token, &paris_us).await;
    assert_eq!(item["place"]["city"], "Paris", "{item}");
    assert_eq!(item["place"]["country"], "France");

    appears(&app, token, &paris_us, &me, None).await;
    appears(&app, token, &paris_us, &wife, None).await;
    appears(&app, token, &paris_anna, &wife, None).await;
    appears(&app, token, &new_york_mom, &mom, Some((2.0, 9.0))).await;
    appears(&app, token, &paris_mom, &mom, None).await;
    appears(&app, token, &paris_mom, &me, None).await;

    // Another user with their own "wife" in Paris: never in Alex's results, nor Alex's in theirs.
    let other = app.register("other").await;
    let their_wife = person(
        &app,
        &other.token,
        json!({ "name": "Eve", "relationship": "wife" }),
    )
    .await;
    let their_me = person(&app, &other.token, json!({ "name": "Sam", "is_me": true })).await;
    let theirs = upload_video(&app, &other.token, &sources[6], PARIS, at(2024, 5, 11)).await;
    assert_eq!(
        app.wait_processed(&other.token, &theirs).await["status"],
        "ready"
    );
    appears(&app, &other.token, &theirs, &their_wife, None).await;
    appears(&app, &other.token, &theirs, &their_me, None).await;

    // Let the projector catch up with the appearances.
    wait_indexed(&app, token, "videos in Paris", 3).await;

    let (status, made) = memory(
        &app,
        token,
        "Create a memory video of my wife and me in Paris",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{made}");
    assert_eq!(made["status"], "ready", "{made}");
    assert_eq!(clip_sources(&made), ids(&[&paris_us]));
    check_video(&app, &made, work.path()).await;

    let (_, rome) = memory(&app, token, "Rome last summer").await;
    assert_eq!(rome["status"], "ready", "{rome}");
    assert_eq!(clip_sources(&rome), ids(&[&rome_last_summer]));
    check_video(&app, &rome, work.path()).await;

    let (_, with_mom) = memory(&app, token, "everything with mom in 2024").await;
    assert_eq!(with_mom["status"], "ready", "{with_mom}");
    assert_eq!(clip_sources(&with_mom), ids(&[&new_york_mom, &paris_mom]));
    for clip in with_mom["clips_used"].as_array().unwrap() {
        if clip["media_id"] == new_york_mom.as_str() {
            // Mom is only in seconds 2 to 9 of that video.
            let (from, to) = (
                clip["in_secs"].as_f64().unwrap(),
                clip["out_secs"].as_f64().unwrap(),
            );
            assert!(from >= 1.5 && to <= 9.5, "{clip}");
        }
    }
    check_video(&app, &with_mom, work.path()).await;

    // The same words again hit the cache; a new upload changes the library and misses it.
    let (status, again) = memory(
        &app,
        token,
        "create a memory video of me and my wife in paris!",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["memory_id"], made["memory_id"]);
    assert_eq!(again["cached"], true);
    let extra = upload_video(&app, token, &sources[6], ROME, at(2022, 1, 1)).await;
    app.wait_processed(token, &extra).await;
    let (status, fresh) = memory(
        &app,
        token,
        "Create a memory video of my wife and me in Paris",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{fresh}");
    assert_ne!(fresh["memory_id"], made["memory_id"]);

    // Nothing matches: an empty memory with the reason, never an empty video.
    let (_, nothing) = memory(&app, token, "my wife in Paris in 2019").await;
    assert_eq!(nothing["status"], "empty", "{nothing}");
    assert!(
        nothing["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no matching"),
        "{nothing}"
    );
    assert!(nothing["video_url"].is_null());

    // A place the library has never been to is not ignored: last summer elsewhere is no answer.
    let (_, lisbon) = memory(
        &app,
        token,
        "Make a video from our trip to Lisbon last summer",
    )
    .await;
    assert_eq!(lisbon["status"], "empty", "{lisbon}");

    // An unknown person is named in a clear answer.
    let (status, unknown) = memory(&app, token, "a video of Bob and me").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Bob"),
        "{unknown}"
    );

    // The other user's memory has only their own clip.
    let (_, theirs_made) = memory(&app, &other.token, "my wife and me in Paris").await;
    assert_eq!(theirs_made["status"], "ready", "{theirs_made}");
    assert_eq!(clip_sources(&theirs_made), ids(&[&theirs]));
    let (status, _) = app
        .get_json(
            &other.token,
            &format!("/memories/{}", made["memory_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Polls the video search until at least `count` videos match: the index follows the write
/// model asynchronously.
async fn wait_indexed(app: &TestApp, token: &str, query: &str, count: usize) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, found) = post(app, token, "/videos/search", json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        if found["videos"].as_array().map_or(0, Vec::len) >= count {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "not indexed: {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn people_places_and_search_with_filters() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let user = app.register("searcher").await;
    let token = user.token.as_str();
    let anna = person(
        &app,
        token,
        json!({ "name": "Anna", "relationship": "Wife" }),
    )
    .await;
    let twin = person(&app, token, json!({ "name": "Annie" })).await;

    // Bad input: a second "me", missing name, unknown fields, foreign ids.
    person(&app, token, json!({ "name": "Me", "is_me": true })).await;
    let (status, _) = post(
        &app,
        token,
        "/people",
        json!({ "name": "Me2", "is_me": true }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(&app, token, "/people", json!({ "name": "  " })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(&app, token, "/people", json!({ "name": "X", "colour": 1 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let clip = make_source(work.path(), "home", 10).await;
    let home_video = upload_video(&app, token, &clip, PARIS, at(2024, 6, 1)).await;
    app.wait_processed(token, &home_video).await;
    let (status, place) = post(
        &app,
        token,
        "/places",
        json!({ "name": "home", "lat": PARIS.0 + 0.0005, "lon": PARIS.1, "radius_m": 200 }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{place}");
    let (status, _) = post(
        &app,
        token,
        "/places",
        json!({ "name": "x", "lat": 91, "lon": 0 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A range must lie inside the video.
    let (status, answer) = post(
        &app,
        token,
        &format!("/media/{home_video}/people"),
        json!({ "person_id": twin, "start_secs": 5, "end_secs": 60 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    appears(&app, token, &home_video, &twin, Some((1.0, 6.0))).await;

    // Merging Annie into Anna moves the appearance.
    let (status, merged) = post(
        &app,
        token,
        &format!("/people/{anna}/merge"),
        json!({ "merge": twin }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, item) = app.get_json(token, &format!("/media/{home_video}")).await;
    assert_eq!(item["people"][0]["person_id"], anna.as_str(), "{item}");
    assert_eq!(item["people"][0]["relationship"], "wife");

    // The user's place, the relationship and explicit filters all find it.
    let found = wait_indexed(&app, token, "my wife at home", 1).await;
    assert_eq!(found["videos"][0]["video_id"], home_video.as_str());
    let clips = found["videos"][0]["matched_clips"].as_array().unwrap();
    assert!(!clips.is_empty());
    let (_, filtered) = post(
        &app,
        token,
        "/videos/search",
        json!({ "filters": { "people": [anna], "places": ["home"],
                "date_range": { "from": "2024-05-01T00:00:00Z", "to": "2024-06-30T00:00:00Z" } } }),
    )
    .await;
    assert_eq!(filtered["total"], 1, "{filtered}");
    let (_, outside) = post(
        &app,
        token,
        "/videos/search",
        json!({ "filters": { "date_range": { "from": "2025-01-01T00:00:00Z" } } }),
    )
    .await;
    assert_eq!(outside["total"], 0, "{outside}");

    // The library listing takes the same filters.
    let (status, listed) = app
        .get_json(
            token,
            &format!("/media?person={anna}&city=paris&from=2024-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"][0]["id"], home_video.as_str(), "{listed}");
    let (_, listed) = app.get_json(token, "/media?country=IT").await;
    assert_eq!(listed["items"], json!([]), "{listed}");
    let (status, _) = app.get_json(token, "/media?person=not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another user sees nothing of it, and cannot use its ids.
    let stranger = app.register("stranger").await;
    let (_, theirs) = post(
        &app,
        &stranger.token,
        "/videos/search",
        json!({ "query": "Paris" }),
    )
    .await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (status, _) = post(
        &app,
        &stranger.token,
        "/videos/search",
        json!({ "filters": { "people": [anna] } }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        &app,
        &stranger.token,
        &format!("/media/{home_video}/people"),
        json!({ "person_id": anna }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Deleting the person removes them from the item and from search.
    let response = app
        .http
        .delete(app.api(&format!("/people/{anna}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, item) = app.get_json(token, &format!("/media/{home_video}")).await;
    assert_eq!(item["people"], json!([]));
}

#[tokio::test]
async fn memory_events_stream_to_their_owner() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let user = app.register("streamer").await;
    let token = user.token.as_str();
    let clip = make_source(work.path(), "s", 80).await;
    let id = upload_video(&app, token, &clip, ROME, at(2024, 4, 4)).await;
    app.wait_processed(token, &id).await;
    wait_indexed(&app, token, "Rome", 1).await;

    let mut stream = app
        .http
        .get(app.api("/events/stream"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let (status, created) = post(
        &app,
        token,
        "/memories/create",
        json!({ "query": "make a video of Rome" }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let memory_id = created["memory_id"].as_str().unwrap().to_string();
    let mut seen = String::new();
    let read = async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: memory.ready") && seen.contains(&memory_id) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or_else(|_| panic!("no memory.ready event; got {seen:?}"));
}

/// `sightline reindex`: the index is a projection, so throwing it away loses nothing.
#[tokio::test]
async fn the_search_index_is_rebuilt_from_the_library() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let user = app.register("reindexer").await;
    let token = user.token.as_str();
    let clip = make_source(work.path(), "r", 30).await;
    let id = upload_video(&app, token, &clip, ROME, at(2024, 4, 4)).await;
    app.wait_processed(token, &id).await;
    wait_indexed(&app, token, "Rome", 1).await;

    let TestApp { _server, data, .. } = app;
    _server.shutdown();
    let index = data.path().join("index");
    // The writer lock goes with the aborted tasks; wait for it.
    let mut written = None;
    for _ in 0..50 {
        match sightline_server::reindex(test_config(data.path())).await {
            Ok(n) => {
                written = Some(n);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(written, Some(1), "one ready item projected");

    // A deleted index directory is rebuilt at start.
    std::fs::remove_dir_all(&index).unwrap();
    let again = start_on(data).await;
    let found = wait_indexed(&again, token, "Rome", 1).await;
    assert_eq!(found["videos"][0]["video_id"], id.as_str());
}

/// Photos join a memory as Ken Burns stills only when asked; otherwise the reason says so.
#[tokio::test]
async fn photos_become_stills_when_asked() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let user = app.register("photographer").await;
    let token = user.token.as_str();
    let photo = Path::new(OPENCV_DATA).join("messi5.jpg");
    let photo_id = upload_video(&app, token, &photo, PARIS, at(2024, 5, 2)).await;
    assert_eq!(
        app.wait_processed(token, &photo_id).await["status"],
        "ready"
    );
    wait_indexed_kinds(&app, token, "Paris", 1).await;

    let (_, only_photos) = memory(&app, token, "make a video of Paris").await;
    assert_eq!(only_photos["status"], "empty", "{only_photos}");
    assert!(
        only_photos["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("photo"),
        "{only_photos}"
    );

    let clip = make_source(work.path(), "p", 200).await;
    let video_id = upload_video(&app, token, &clip, PARIS, at(2024, 5, 1)).await;
    app.wait_processed(token, &video_id).await;
    wait_indexed(&app, token, "Paris", 1).await;
    let body = json!({ "query": "make a video of Paris", "include_photos": true });
    let (status, made) = memory_with(&app, token, body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{made}");
    assert_eq!(made["status"], "ready", "{made}");
    assert_eq!(clip_sources(&made), ids(&[&photo_id, &video_id]));
    check_video(&app, &made, work.path()).await;
}

/// Like [`wait_indexed`], counting photos too.
async fn wait_indexed_kinds(app: &TestApp, token: &str, query: &str, count: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let body = json!({ "query": query, "filters": { "kinds": ["photo", "video"] } });
        let (_, found) = post(app, token, "/videos/search", body).await;
        if found["videos"].as_array().map_or(0, Vec::len) >= count {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "not indexed: {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// People and tags a user gives an item on a device while offline count like ones given in
/// the app: once the edits sync, search finds the item by them and the item lists the person.
#[tokio::test]
async fn people_and_tags_synced_from_a_device_reach_search() {
    use sightline_core::sync::{Hlc, NodeId};
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let user = app.register("offline-editor").await;
    let token = user.token.as_str();
    let (device, device_token) = app.create_device(token, "smart_glass").await;
    let mom = person(
        &app,
        token,
        json!({ "name": "Maria", "relationship": "mom" }),
    )
    .await;
    let clip = make_source(work.path(), "picnic", 200).await;
    let id = upload_video(&app, token, &clip, ROME, at(2024, 7, 14)).await;
    app.wait_processed(token, &id).await;
    wait_indexed(&app, token, "Rome", 1).await;

    let node = NodeId::parse(&device).unwrap();
    let now = Utc::now().timestamp_millis() as u64;
    let stamp = |n: u64| Hlc::new(now + n, 0, node.clone()).unwrap();
    let stranger = app.register("stranger").await;
    let foreign = person(&app, &stranger.token, json!({ "name": "Eve" })).await;
    let sync = |edits: Value| {
        post(
            &app,
            &device_token,
            "/sync/edits",
            json!({ "device_id": device, "edits": edits }),
        )
    };
    let (status, answer) = sync(json!([
        { "media_id": id, "edit": { "stamp": stamp(1), "op": "add_person", "person": mom } },
        { "media_id": id, "edit": { "stamp": stamp(2), "op": "add_tag", "tag": "picnic" } },
        { "media_id": id, "edit": { "stamp": stamp(3), "op": "add_person", "person": foreign } },
    ]))
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "applied", "applied"]);

    let (_, item) = app.get_json(token, &format!("/media/{id}")).await;
    let people = item["people"].as_array().unwrap();
    assert_eq!(
        people.len(),
        1,
        "another user's person has no effect: {item}"
    );
    assert_eq!(people[0]["person_id"], mom.as_str());
    assert_eq!(people[0]["start_secs"], Value::Null, "the whole item");
    let found = wait_indexed(&app, token, "everything with mom", 1).await;
    assert_eq!(found["videos"][0]["video_id"], id.as_str());
    let found = wait_indexed(&app, token, "picnic", 1).await;
    assert_eq!(found["videos"][0]["video_id"], id.as_str());

    // Removed on the device: gone from the item and from search.
    // The device saw the one add (its dot is the add's stamp).
    let observed = json!([stamp(1)]);
    let (status, answer) = sync(json!([{ "media_id": id, "edit": {
        "stamp": stamp(4), "op": "remove_person", "person": mom, "observed": observed } }]))
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["media"][0]["state"]["people"],
        json!([foreign]),
        "{answer}"
    );
    let (_, item) = app.get_json(token, &format!("/media/{id}")).await;
    assert_eq!(item["people"], json!([]), "{item}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, found) = post(
            &app,
            token,
            "/videos/search",
            json!({ "filters": { "people": [mom] } }),
        )
        .await;
        if found["total"] == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still found: {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
