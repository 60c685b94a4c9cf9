//! The real binary killed with SIGKILL mid-upload and mid-processing: after a restart the upload
//! resumes at a consistent offset, the job is retried, and nothing half-written is ever ready.

use futures::StreamExt;
use serde_json::{Value, json};
use sightline_client::{TusClient, UploadMeta};
use sightline_core::MediaId;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start(data: &Path, port: u16) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .env("SIGHTLINE__WORKERS__LEASE_SECS", "3")
        .env("SIGHTLINE__WORKERS__POLL_INTERVAL_MS", "100")
        .env("SIGHTLINE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sightline starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{url}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Running { child, url }
}

fn kill_hard(mut running: Running) {
    running.child.kill().expect("SIGKILL");
    running.child.wait().expect("reaped");
}

async fn token(url: &str) -> String {
    let http = reqwest::Client::new();
    let credentials = json!({"email": "crash@example.com", "password": "crash test dummy"});
    http.post(format!("{url}/api/v1/auth/register"))
        .json(&credentials)
        .send()
        .await
        .expect("register");
    let session: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["access_token"].as_str().expect("token").to_string()
}

async fn media(url: &str, token: &str, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{url}/api/v1/media/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn opencv(name: &str) -> PathBuf {
    Path::new("/usr/share/doc/opencv-doc/examples/data").join(name)
}

#[tokio::test]
async fn killed_during_patch_resumes_at_a_consistent_offset() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(data.path(), port).await;
    let token = token(&server.url).await;
    let source = opencv("Megamind.avi");
    let bytes = std::fs::read(&source).unwrap();
    let media_id = MediaId::new_random();
    let meta = UploadMeta::new(media_id).with_file_defaults(&source);
    let http = reqwest::Client::new();

    // Create, send a first chunk, then start a second PATCH that trickles and is cut by SIGKILL.
    let created = http
        .post(format!("{}/api/v1/uploads", server.url))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", meta.to_header())
        .send()
        .await
        .unwrap();
    let location = format!(
        "{}{}",
        server.url,
        created.headers()["Location"].to_str().unwrap()
    );
    let first = bytes.len() / 4;
    let patch = |offset: usize, body: reqwest::Body| {
        http.patch(&location)
            .bearer_auth(&token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(body)
            .send()
    };
    assert_eq!(
        patch(0, bytes[..first].to_vec().into())
            .await
            .unwrap()
            .status(),
        204
    );
    let rest: Vec<Result<Vec<u8>, std::io::Error>> = bytes[first..]
        .chunks(16 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let trickle = futures::stream::iter(rest).then(|chunk| async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        chunk
    });
    let cut = tokio::spawn(patch(first, reqwest::Body::wrap_stream(trickle)));
    // ~16 KiB every 30 ms: after a second, more than the server's 256 KiB write buffer arrived.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    kill_hard(server);
    assert!(cut.await.unwrap().is_err(), "the PATCH was cut");
    let staged = std::fs::metadata(
        data.path()
            .join("staging")
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap()
    .len();
    assert!(
        staged > first as u64,
        "bytes past the committed offset reached the disk ({staged})"
    );

    let server = start(data.path(), port).await;
    let head = http
        .head(&location)
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.headers()["Upload-Offset"],
        first.to_string().as_str(),
        "the offset is the last acknowledged one"
    );
    let listed = media(&server.url, &token, &media_id.to_string()).await;
    assert_eq!(
        listed["error"]["code"], "not_found",
        "an unfinished upload is not an item"
    );

    let client = TusClient::new(&server.url, token.clone()).unwrap();
    let outcome = client
        .upload_file(&source, &meta, &|_, _| {})
        .await
        .expect("resumes");
    assert_eq!(outcome.resumed_from, first as u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    let item = loop {
        let item = media(&server.url, &token, &media_id.to_string()).await;
        if item["status"] == "ready" || item["status"] == "failed" {
            break item;
        }
        assert!(Instant::now() < deadline, "not processed: {item}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(item["status"], "ready", "{item}");
    let stored = http
        .get(item["urls"]["original"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        stored.as_ref() == bytes.as_slice(),
        "the stored file is exactly the uploaded file"
    );
}

#[tokio::test]
async fn killed_during_processing_the_job_is_retried_after_restart() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(data.path(), port).await;
    let token = token(&server.url).await;
    let source = opencv("vtest.avi");
    let media_id = MediaId::new_random();
    let meta = UploadMeta::new(media_id).with_file_defaults(&source);
    TusClient::new(&server.url, token.clone())
        .unwrap()
        .upload_file(&source, &meta, &|_, _| {})
        .await
        .unwrap();

    // Wait until the rendition is being made, then kill the server.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let item = media(&server.url, &token, &media_id.to_string()).await;
        if item["status"] == "processing" && !item["facts"].is_null() {
            break;
        }
        assert!(
            item["status"] != "ready",
            "processed before the kill; make the input longer"
        );
        assert!(
            Instant::now() < deadline,
            "processing never started: {item}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill_hard(server);

    let server = start(data.path(), port).await;
    let item = media(&server.url, &token, &media_id.to_string()).await;
    assert_eq!(
        item["status"], "processing",
        "half-done work is not ready: {item}"
    );
    assert!(item["urls"]["rendition"].is_null());
    let deadline = Instant::now() + Duration::from_secs(180);
    let item = loop {
        let item = media(&server.url, &token, &media_id.to_string()).await;
        if item["status"] == "ready" || item["status"] == "failed" {
            break item;
        }
        assert!(Instant::now() < deadline, "the job was not retried: {item}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(item["status"], "ready", "{item}");
    let rendition = reqwest::get(item["urls"]["rendition"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(rendition.status(), 200);
    assert!(rendition.bytes().await.unwrap().len() > 100_000);
}

/// Every file under `dir` whose name starts with `prefix`.
fn files_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().starts_with(prefix) {
                found.push(path);
            }
        }
    }
    found
}

/// The commit syncs an original and commits its row at the same time, acknowledging only when
/// both are durable. Power lost in between can leave the row without the bytes (ext4 shows such
/// a file empty): at start-up the item is removed, and the device's retry uploads it again.
#[tokio::test]
async fn an_original_lost_before_its_acknowledgement_is_uploaded_again() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(data.path(), port).await;
    let token = token(&server.url).await;
    let source = opencv("HappyFish.jpg");
    let media_id = MediaId::new_random();
    let meta = UploadMeta::new(media_id).with_file_defaults(&source);
    let client = TusClient::new(&server.url, token.clone()).unwrap();
    client
        .upload_file(&source, &meta, &|_, _| {})
        .await
        .unwrap();
    kill_hard(server);

    let originals = files_named(&data.path().join("blobs"), &media_id.to_string());
    assert_eq!(originals.len(), 1, "{originals:?}");
    std::fs::File::create(&originals[0]).unwrap();

    let server = start(data.path(), port).await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/media/{media_id}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "an item without its bytes is not listed"
    );
    let client = TusClient::new(&server.url, token.clone()).unwrap();
    client
        .upload_file(&source, &meta, &|_, _| {})
        .await
        .unwrap();
    let item = media(&server.url, &token, &media_id.to_string()).await;
    let size = std::fs::metadata(&source).unwrap().len();
    assert_eq!(item["size_bytes"], size, "{item}");
    assert_eq!(std::fs::metadata(&originals[0]).unwrap().len(), size);
}
