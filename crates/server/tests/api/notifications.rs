//! Notifications end to end: events on their owner's stream (and no one else's) with signed
//! clip links; signed webhooks held back by the device's cooldown and by quiet hours but not
//! for a visitor ringing; a failing webhook retried without resending to the others; Web Push
//! encrypted for the browser and signed with VAPID, decrypted here as a browser would.

use crate::helpers::*;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sightline_client::UploadMeta;
use sightline_core::MediaId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(10);

fn event(kind: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": kind,
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "duration_seconds": 5,
    })
}

async fn post_event(app: &TestApp, token: &str, device: &str, body: &Value) -> Value {
    let response = app
        .http
        .post(app.api(&format!("/devices/{device}/events")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("post event");
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn send_json(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .http
        .request(method, app.api(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    decode(response).await
}

/// A user's `/events/stream`, read in the background into `(event, data)` pairs.
struct Stream {
    notes: mpsc::UnboundedReceiver<(String, Value)>,
}

impl Stream {
    async fn open(app: &TestApp, token: &str) -> Self {
        let mut response = app
            .http
            .get(app.api("/events/stream"))
            .bearer_auth(token)
            .send()
            .await
            .expect("stream");
        assert_eq!(response.status(), StatusCode::OK);
        let (tx, notes) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block
                            .lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(str::to_string)
                    };
                    if let (Some(kind), Some(data)) = (field("event: "), field("data: ")) {
                        let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                        if tx.send((kind, data)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Self { notes }
    }

    /// The next `doorbell.event` note, within the deadline.
    async fn next_doorbell(&mut self) -> Value {
        let wait = async {
            while let Some((kind, data)) = self.notes.recv().await {
                if kind == "doorbell.event" {
                    return data;
                }
            }
            panic!("stream ended");
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .expect("a doorbell.event on the stream in time")
    }
}

struct Hit {
    headers: HeaderMap,
    body: bytes::Bytes,
}

/// A local HTTP receiver (a webhook, or a push service): answers with `statuses` in turn, then
/// 200 (or `then`), and keeps what it was sent.
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(statuses: &[u16], then: u16) -> Self {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let script = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        let kept = hits.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: bytes::Bytes| {
            let (kept, script) = (kept.clone(), script.clone());
            async move {
                kept.lock().unwrap().push(Hit { headers, body });
                let status = script.lock().unwrap().pop_front().unwrap_or(then);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/hook/door"),
            hits,
        }
    }

    fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }

    /// Waits until `n` requests came; returns their bodies as JSON (or the raw bytes' length).
    async fn wait_for(&self, n: usize) {
        let started = Instant::now();
        while self.count() < n {
            assert!(
                started.elapsed() < DEADLINE,
                "{} of {n} requests arrived",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn body(&self, i: usize) -> Value {
        serde_json::from_slice(&self.hits.lock().unwrap()[i].body).expect("json body")
    }

    fn header(&self, i: usize, name: &str) -> String {
        self.hits.lock().unwrap()[i].headers[name]
            .to_str()
            .unwrap()
            .to_string()
    }
}

async fn add_webhook(app: &TestApp, token: &str, url: &str, secret: Option<&str>) -> Value {
    let mut body = json!({ "url": url });
    if let Some(secret) = secret {
        body["secret"] = json!(secret);
    }
    let (status, created) = send_json(
        app,
        reqwest::Method::POST,
        token,
        "/notifications/webhooks",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn an_event_reaches_its_owners_stream_with_signed_links_and_no_one_elses() {
    let app = spawn_app().await;
    let alice = app.register("alice-feed").await;
    let bob = app.register("bob-feed").await;
    let (door, door_token) = app.create_device(&alice.token, "doorbell").await;
    let (bobs_door, bobs_token) = app.create_device(&bob.token, "doorbell").await;

    // A processed clip, so both its links are there.
    let path = app.data.path().join("event.mp4");
    make_clip(&path, 1).await;
    let media_id = MediaId::new_random();
    let mut meta = UploadMeta::new(media_id).with_file_defaults(&path);
    meta.device_id = Some(door.clone());
    app.client(&door_token)
        .upload_file(&path, &meta, &|_, _| {})
        .await
        .expect("upload");
    let item = app
        .wait_processed(&alice.token, &media_id.to_string())
        .await;
    assert_eq!(item["status"], "ready", "{item}");

    let mut alices = Stream::open(&app, &alice.token).await;
    let mut bobs = Stream::open(&app, &bob.token).await;
    let mut body = event("person");
    body["media_id"] = json!(media_id.to_string());
    let posted = Instant::now();
    let created = post_event(&app, &door_token, &door, &body).await;
    let note = alices.next_doorbell().await;
    assert!(
        posted.elapsed() < Duration::from_secs(2),
        "within the seed's 2 s"
    );
    assert_eq!(note["event_id"], body["event_id"]);
    assert_eq!(note["event_type"], "person");
    assert_eq!(note["device_id"], door.as_str());
    assert_eq!(note["device_name"], "test device");
    assert_eq!(note["occurred_at"], created["timestamp"]);
    assert_eq!(note["accepted_at"], created["created_at"]);
    for name in ["clip_url", "thumbnail_url"] {
        let url = note[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {note}"));
        assert!(url.contains("sig="), "{name} is signed: {url}");
        let response = app.http.get(url).send().await.expect("fetch");
        assert_eq!(response.status(), StatusCode::OK, "{name}");
    }

    // Bob's stream gets Bob's event, and never Alice's.
    let marker = event("doorbell_press");
    post_event(&app, &bobs_token, &bobs_door, &marker).await;
    let seen = bobs.next_doorbell().await;
    assert_eq!(seen["event_id"], marker["event_id"]);
    assert!(bobs.notes.try_recv().is_err(), "nothing else for bob");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), alices.next_doorbell())
            .await
            .is_err(),
        "bob's event is not on alice's stream"
    );

    // The latency was measured, per user.
    let (status, stats) = app.get_json(&alice.token, "/notifications/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["channels"]["sse"]["count"], 1, "{stats}");
    assert!(stats["channels"]["sse"]["p99_ms"].as_f64().unwrap() < 2000.0);
    let (status, _) = app.get_json(&door_token, "/notifications/stats").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "owner scope");
}

#[tokio::test]
async fn webhooks_are_signed_and_the_cooldown_holds_back_motion_but_not_a_press() {
    let app = spawn_app().await;
    let user = app.register("hooked").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let hook = Receiver::start(&[], 200).await;
    let secret = "a-shared-secret-of-some-length";
    let created = add_webhook(&app, &user.token, &hook.url, Some(secret)).await;
    assert_eq!(created["secret"], secret);

    // No motion settings: the default cooldown of 60 s.
    let first = event("motion");
    post_event(&app, &token, &door, &first).await;
    hook.wait_for(1).await;
    let sent = hook.hits.lock().unwrap()[0].body.clone();
    assert_eq!(
        hook.header(0, "x-sightline-signature"),
        format!("sha256={}", hmac_hex(secret, &sent))
    );
    assert_eq!(hook.header(0, "x-sightline-event"), "doorbell.event");
    assert_eq!(hook.header(0, "x-sightline-delivery"), first["event_id"]);
    let body = hook.body(0);
    assert_eq!(body["type"], "doorbell.event");
    assert_eq!(body["event_id"], first["event_id"]);
    assert_eq!(body["device_name"], "test device");
    assert_eq!(body["clip_url"], Value::Null);

    let second = event("motion");
    post_event(&app, &token, &door, &second).await;
    let press = event("doorbell_press");
    post_event(&app, &token, &door, &press).await;
    hook.wait_for(2).await;
    assert_eq!(
        hook.body(1)["event_id"],
        press["event_id"],
        "the press rang through"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.count(), 2, "the second motion was held back");

    // A cooldown of 0 lets every motion through.
    let (status, set) = send_json(
        &app,
        reqwest::Method::PUT,
        &user.token,
        &format!("/devices/{door}/settings/motion"),
        json!({"notification_cooldown_seconds": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    post_event(&app, &token, &door, &event("motion")).await;
    hook.wait_for(3).await;

    let (_, stats) = app.get_json(&user.token, "/notifications/stats").await;
    assert_eq!(stats["channels"]["webhook"]["count"], 3, "{stats}");
}

/// Until the push consumer has handled everything published so far.
async fn settle(app: &TestApp) {
    let bus = &app._server.state.backends.bus;
    let started = Instant::now();
    while bus.pending("notify-push").await.expect("pending") > 0 {
        assert!(started.elapsed() < DEADLINE, "the push consumer is stuck");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn hhmm(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%H:%M").to_string()
}

#[tokio::test]
async fn quiet_hours_keep_events_on_the_feed_and_off_webhooks() {
    let app = spawn_app().await;
    let user = app.register("sleepy").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let hook = Receiver::start(&[], 200).await;
    add_webhook(&app, &user.token, &hook.url, None).await;
    let mut stream = Stream::open(&app, &user.token).await;
    let now = chrono::Utc::now();
    // Quiet now, in the user's UTC+02:00.
    let local = now + chrono::Duration::hours(2);
    let quiet = |press: bool| {
        json!({
            "quiet_hours": {
                "enabled": true,
                "start": hhmm(local - chrono::Duration::hours(1)),
                "end": hhmm(local + chrono::Duration::hours(1)),
                "utc_offset_minutes": 120,
            },
            "press_during_quiet_hours": press,
        })
    };
    let path = "/notifications/preferences";
    let (status, prefs) =
        send_json(&app, reqwest::Method::PUT, &user.token, path, quiet(true)).await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    assert_eq!(prefs["quiet_hours"]["utc_offset_minutes"], 120);
    assert_eq!(prefs["notify_types"]["motion"], true);
    let (_, read) = app.get_json(&user.token, path).await;
    assert_eq!(read, prefs);

    let motion = event("motion");
    post_event(&app, &token, &door, &motion).await;
    assert_eq!(stream.next_doorbell().await["event_id"], motion["event_id"]);
    let press = event("doorbell_press");
    post_event(&app, &token, &door, &press).await;
    assert_eq!(stream.next_doorbell().await["event_id"], press["event_id"]);
    hook.wait_for(1).await;
    assert_eq!(
        hook.body(0)["event_id"],
        press["event_id"],
        "the press rang through"
    );

    let (status, _) = send_json(&app, reqwest::Method::PUT, &user.token, path, quiet(false)).await;
    assert_eq!(status, StatusCode::OK);
    let silent = event("doorbell_press");
    post_event(&app, &token, &door, &silent).await;
    assert_eq!(stream.next_doorbell().await["event_id"], silent["event_id"]);
    // The feed and the pushes are separate consumers: let the pushes decide before the
    // preferences change again.
    settle(&app).await;
    // Quiet hours over: the next press is delivered, and nothing before it was.
    let (status, _) = send_json(&app, reqwest::Method::PUT, &user.token, path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let marker = event("doorbell_press");
    post_event(&app, &token, &door, &marker).await;
    hook.wait_for(2).await;
    assert_eq!(hook.body(1)["event_id"], marker["event_id"]);
    assert_eq!(
        hook.count(),
        2,
        "motion and the silenced press stayed off the webhook"
    );

    for bad in [
        json!({"quiet_hours": {"enabled": true, "start": "25:00", "end": "07:00"}}),
        json!({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe/Atlantis"}}),
        json!({"notify_types": {"persons": true}}),
        json!({"quiet": true}),
    ] {
        let (status, error) =
            send_json(&app, reqwest::Method::PUT, &user.token, path, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {error}");
    }
    let zoned = json!({"quiet_hours": {"enabled": true, "start": "22:00", "end": "07:00",
        "time_zone": "Asia/Tokyo"}});
    let (status, prefs) = send_json(&app, reqwest::Method::PUT, &user.token, path, zoned).await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    let (_, read) = app.get_json(&user.token, path).await;
    assert_eq!(read["quiet_hours"]["time_zone"], "Asia/Tokyo", "{read}");
    let (status, _) = app.get_json(&token, path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a device token");
}

/// An event a device posts long after it happened (it was offline) is on the feed but not
/// pushed: an alert an hour late would be news from the past.
#[tokio::test]
async fn an_event_from_an_hour_ago_is_on_the_feed_and_not_pushed() {
    let app = spawn_app().await;
    let user = app.register("late").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let hook = Receiver::start(&[], 200).await;
    add_webhook(&app, &user.token, &hook.url, None).await;
    let mut stream = Stream::open(&app, &user.token).await;

    let mut old = event("doorbell_press");
    old["timestamp"] = json!((chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339());
    post_event(&app, &token, &door, &old).await;
    assert_eq!(stream.next_doorbell().await["event_id"], old["event_id"]);
    settle(&app).await;
    let fresh = event("doorbell_press");
    post_event(&app, &token, &door, &fresh).await;
    hook.wait_for(1).await;
    assert_eq!(hook.body(0)["event_id"], fresh["event_id"]);
    settle(&app).await;
    assert_eq!(hook.count(), 1, "the hour-old press was not pushed");
}

#[tokio::test]
async fn a_failing_webhook_is_retried_without_resending_to_the_others() {
    let app = spawn_app().await;
    let user = app.register("flaky").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let flaky = Receiver::start(&[500], 200).await;
    let steady = Receiver::start(&[], 200).await;
    add_webhook(&app, &user.token, &flaky.url, None).await;
    add_webhook(&app, &user.token, &steady.url, None).await;
    let mut stream = Stream::open(&app, &user.token).await;

    let press = event("doorbell_press");
    post_event(&app, &token, &door, &press).await;
    assert_eq!(stream.next_doorbell().await["event_id"], press["event_id"]);
    steady.wait_for(1).await;
    flaky.wait_for(2).await; // 500, then the retry
    assert_eq!(flaky.body(1)["event_id"], press["event_id"]);
    assert_eq!(
        flaky.header(0, "x-sightline-delivery"),
        flaky.header(1, "x-sightline-delivery")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        steady.count(),
        1,
        "the retry went only to the failed webhook"
    );
    assert_eq!(flaky.count(), 2);
}

#[tokio::test]
async fn webhooks_are_checked_listed_without_secrets_and_deleted_by_their_owner() {
    let app = spawn_app().await;
    let user = app.register("hookowner").await;
    let other = app.register("hookother").await;
    let path = "/notifications/webhooks";
    for bad in [
        json!({"url": "ftp://example.com/x"}),
        json!({"url": "not a url"}),
        json!({"url": format!("https://example.com/{}", "a".repeat(3000))}),
        json!({"url": "https://example.com/x", "secret": "short"}),
        json!({"url": "https://example.com/x", "extra": 1}),
    ] {
        let (status, _) =
            send_json(&app, reqwest::Method::POST, &user.token, path, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let created = add_webhook(&app, &user.token, "https://hooks.example.com/door", None).await;
    assert_eq!(
        created["secret"].as_str().map(str::len),
        Some(64),
        "made one"
    );
    let (_, listed) = app.get_json(&user.token, path).await;
    assert_eq!(listed["webhooks"][0]["id"], created["id"]);
    assert!(listed["webhooks"][0].get("secret").is_none(), "{listed}");
    let (_, others) = app.get_json(&other.token, path).await;
    assert_eq!(others["webhooks"], json!([]));
    let one = format!("{path}/{}", created["id"].as_str().unwrap());
    let delete = |token: &str| {
        app.http
            .delete(app.api(&one))
            .bearer_auth(token.to_string())
            .send()
    };
    assert_eq!(
        delete(&other.token).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&user.token).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&user.token).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

/// The browser's half of RFC 8291: what a user agent does with a push message.
fn browser_decrypt(body: &[u8], browser: &p256::SecretKey, auth: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit};
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap());
    assert_eq!(record_size, 4096);
    let id_len = body[20] as usize;
    let sender_raw = &body[21..21 + id_len];
    let sealed = &body[21 + id_len..];
    let sender = p256::PublicKey::from_sec1_bytes(sender_raw).expect("sender key");
    let shared = p256::ecdh::diffie_hellman(browser.to_nonzero_scalar(), sender.as_affine());
    let browser_raw = browser.public_key().to_encoded_point(false);
    let expand = |salt: &[u8], ikm: &[u8], info: &[u8], len: usize| {
        let mut out = vec![0u8; len];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm)
            .expand(info, &mut out)
            .unwrap();
        out
    };
    let info = [
        b"WebPush: info\0".as_slice(),
        browser_raw.as_bytes(),
        sender_raw,
    ]
    .concat();
    let ikm = expand(auth, shared.raw_secret_bytes(), &info, 32);
    let cek = expand(salt, &ikm, b"Content-Encoding: aes128gcm\0", 16);
    let nonce = expand(salt, &ikm, b"Content-Encoding: nonce\0", 12);
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&cek).unwrap();
    let nonce: [u8; 12] = nonce.try_into().unwrap();
    let mut plain = cipher
        .decrypt(&nonce.into(), sealed)
        .expect("authentic ciphertext");
    assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
    plain
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

#[tokio::test]
async fn web_push_is_encrypted_for_the_browser_and_signed_with_vapid() {
    use p256::ecdsa::signature::Verifier;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let app = spawn_app().await;
    let user = app.register("browser").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let (status, vapid) = app
        .get_json(&user.token, "/notifications/vapid-public-key")
        .await;
    assert_eq!(status, StatusCode::OK);
    let vapid_key = vapid["public_key"].as_str().expect("key").to_string();
    assert_eq!(unb64(&vapid_key).len(), 65);

    // The browser's keys, and two push services: one that accepts, one whose subscription
    // is gone.
    let browser = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let p256dh = b64(browser.public_key().to_encoded_point(false).as_bytes());
    let auth: [u8; 16] = rand::random();
    let service = Receiver::start(&[], 201).await;
    let gone = Receiver::start(&[], 410).await;
    let path = "/notifications/push-subscriptions";
    let mut ids = Vec::new();
    for endpoint in [&service.url, &gone.url] {
        let body = json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {"p256dh": p256dh, "auth": b64(&auth)},
        });
        let (status, sub) = send_json(&app, reqwest::Method::POST, &user.token, path, body).await;
        assert_eq!(status, StatusCode::CREATED, "{sub}");
        ids.push(sub["id"].clone());
    }
    let bad = json!({"endpoint": "http://push.example.com/x", "keys": {"p256dh": p256dh, "auth": b64(&auth)}});
    let (status, _) = send_json(&app, reqwest::Method::POST, &user.token, path, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "plain http off loopback");
    let bad = json!({"endpoint": service.url, "keys": {"p256dh": "AAAA", "auth": b64(&auth)}});
    let (status, _) = send_json(&app, reqwest::Method::POST, &user.token, path, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a P-256 key");

    let press = event("doorbell_press");
    post_event(&app, &token, &door, &press).await;
    service.wait_for(1).await;
    gone.wait_for(1).await;

    let hit = service.hits.lock().unwrap().remove(0);
    assert_eq!(hit.headers["content-encoding"], "aes128gcm");
    assert!(hit.headers.contains_key("ttl"));
    let plain = browser_decrypt(&hit.body, &browser, &auth);
    let note: Value = serde_json::from_slice(&plain).expect("json payload");
    assert_eq!(note["event_id"], press["event_id"]);
    assert_eq!(note["event_type"], "doorbell_press");
    assert_eq!(note["device_id"], door.as_str());

    // RFC 8292: `vapid t=<ES256 JWT for the push service's origin>, k=<server key>`.
    let header = hit.headers["authorization"].to_str().unwrap();
    let (jwt, k) = header
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid scheme");
    assert_eq!(k, vapid_key);
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let verifier = p256::ecdsa::VerifyingKey::from_sec1_bytes(&unb64(k)).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&unb64(signature)).unwrap();
    verifier
        .verify(signed.as_bytes(), &signature)
        .expect("the token is signed with the advertised key");
    let claims: Value = serde_json::from_slice(&unb64(signed.split('.').nth(1).unwrap())).unwrap();
    let origin = service.url.trim_end_matches("/hook/door");
    assert_eq!(claims["aud"], origin);
    assert!(claims["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());

    // The subscription the push service called gone was dropped; the other stays.
    let started = Instant::now();
    loop {
        let (_, listed) = app.get_json(&user.token, path).await;
        let left = listed["push_subscriptions"].as_array().unwrap().clone();
        if left.len() == 1 {
            assert_eq!(left[0]["id"], ids[0]);
            break;
        }
        assert!(started.elapsed() < DEADLINE, "{listed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, stats) = app.get_json(&user.token, "/notifications/stats").await;
    assert_eq!(stats["channels"]["web_push"]["count"], 1, "{stats}");
}

/// The cloud AI tier between the event and its notification: a clip of people walking makes a
/// motion event a person event, with the person's box, before the owner hears of it.
#[tokio::test]
async fn a_clip_with_people_is_classified_before_it_notifies() {
    let app = spawn_app().await;
    let owner = app.register("ai").await;
    let (device, device_token) = app.create_device(&owner.token, "doorbell").await;
    let clip = app.data.path().join("walkers.mp4");
    ffmpeg(&[
        "-i",
        "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        clip.to_str().expect("utf-8 path"),
    ])
    .await;
    let media_id = MediaId::new_random();
    let mut meta = UploadMeta::new(media_id).with_file_defaults(&clip);
    meta.device_id = Some(device.clone());
    app.client(&device_token)
        .upload_file(&clip, &meta, &|_, _| {})
        .await
        .expect("upload");
    let mut stream = Stream::open(&app, &owner.token).await;
    let mut body = event("motion");
    body["media_id"] = json!(media_id.to_string());
    body["detections"] = json!([]);
    post_event(&app, &device_token, &device, &body).await;
    let note = stream.next_doorbell().await;
    assert_eq!(note["event_type"], "person", "{note}");
    let (_, listed) = app.get_json(&owner.token, "/events").await;
    let stored = &listed["events"][0];
    assert_eq!(stored["event_type"], "person");
    let boxes = stored["detection_metadata"]["bounding_boxes"]
        .as_array()
        .expect("boxes");
    let person = boxes
        .iter()
        .find(|b| b["label"] == "person")
        .unwrap_or_else(|| panic!("a person box: {stored}"));
    assert!(person["confidence"].as_f64().unwrap_or(0.0) >= 0.5);
    assert!(person["h"].as_f64().unwrap_or(0.0) > person["w"].as_f64().unwrap_or(1.0));
}

/// One user's webhook that never answers holds up only its own delivery: another user's
/// notification goes out meanwhile, well before the hanging one times out.
#[tokio::test]
async fn a_hanging_webhook_does_not_hold_up_other_users_notifications() {
    let app = spawn_app().await;
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging_url = format!("http://{}/hook", hanging.local_addr().unwrap());
    let (accepted_tx, mut accepted) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket); // read nothing, answer nothing
            let _ = accepted_tx.send(());
        }
    });
    let stuck = app.register("stuck").await;
    let (stuck_door, stuck_token) = app.create_device(&stuck.token, "doorbell").await;
    add_webhook(&app, &stuck.token, &hanging_url, None).await;
    let fine = app.register("fine").await;
    let (fine_door, fine_token) = app.create_device(&fine.token, "doorbell").await;
    let hook = Receiver::start(&[], 200).await;
    add_webhook(&app, &fine.token, &hook.url, None).await;

    post_event(&app, &stuck_token, &stuck_door, &event("doorbell_press")).await;
    tokio::time::timeout(Duration::from_secs(5), accepted.recv())
        .await
        .expect("the hanging webhook is being called");
    let started = Instant::now();
    let press = event("doorbell_press");
    post_event(&app, &fine_token, &fine_door, &press).await;
    hook.wait_for(1).await;
    assert_eq!(hook.body(0)["event_id"], press["event_id"]);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "waited {waited:?} behind a webhook that times out after 5 s"
    );
}

/// Latencies are exported for Prometheus at `GET /metrics`, behind a token when one is set.
#[tokio::test]
async fn delivery_latencies_are_exported_as_metrics() {
    let app = spawn_app_with(|c| c.metrics_token = "scrape-me".into()).await;
    let user = app.register("metered").await;
    let (door, token) = app.create_device(&user.token, "doorbell").await;
    let mut stream = Stream::open(&app, &user.token).await;
    let press = event("doorbell_press");
    post_event(&app, &token, &door, &press).await;
    assert_eq!(stream.next_doorbell().await["event_id"], press["event_id"]);

    let scrape = |bearer: Option<&str>| {
        let mut request = app.http.get(format!("{}/metrics", app.url));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    assert_eq!(
        scrape(None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        scrape(Some("guess")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // The feed counts a delivery just after handing the note over: poll until it has.
    let started = Instant::now();
    let text = loop {
        let response = scrape(Some("scrape-me")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        if text.contains("sightline_notifications_delivered_total{channel=\"sse\"} 1") {
            break text;
        }
        assert!(started.elapsed() < DEADLINE, "no delivery counted: {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        text.contains("sightline_notification_latency_ms{channel=\"sse\",quantile=\"0.99\"}"),
        "{text}"
    );
    assert!(
        text.contains("sightline_jobs_pending{consumer=\"notify-push\"}"),
        "{text}"
    );
}
