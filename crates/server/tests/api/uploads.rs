//! The tus protocol, byte by byte, with a raw HTTP client.

use crate::helpers::*;
use reqwest::StatusCode;
use sightline_core::MediaId;

const OCTETS: &str = "application/offset+octet-stream";

/// A creation request, before its metadata and body.
fn creation_request(app: &TestApp, token: &str, length: usize) -> reqwest::RequestBuilder {
    app.http
        .post(app.api("/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
}

async fn create(app: &TestApp, token: &str, length: usize, meta: &str) -> reqwest::Response {
    creation_request(app, token, length)
        .header("Upload-Metadata", meta)
        .send()
        .await
        .expect("create")
}

async fn patch(
    app: &TestApp,
    token: &str,
    location: &str,
    offset: usize,
    body: Vec<u8>,
    checksum: Option<String>,
) -> reqwest::Response {
    let mut request = app
        .http
        .patch(format!("{}{location}", app.url))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", OCTETS);
    if let Some(checksum) = checksum {
        request = request.header("Upload-Checksum", checksum);
    }
    request.body(body).send().await.expect("patch")
}

async fn head_offset(app: &TestApp, token: &str, location: &str) -> (StatusCode, Option<u64>) {
    let response = app
        .http
        .head(format!("{}{location}", app.url))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    let offset = response
        .headers()
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (response.status(), offset)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("Location")
        .expect("Location")
        .to_str()
        .unwrap()
        .to_string()
}

/// A creation-with-upload request, before its metadata and body.
fn creation_with_body(app: &TestApp, token: &str, length: usize) -> reqwest::RequestBuilder {
    creation_request(app, token, length).header("Content-Type", OCTETS)
}

/// The bytes served at an item's signed original URL.
async fn original_bytes(app: &TestApp, item: &serde_json::Value) -> Vec<u8> {
    let url = item["urls"]["original"].as_str().expect("original URL");
    let response = app.http.get(url).send().await.expect("original");
    response.bytes().await.expect("original body").to_vec()
}

fn video_meta(media_id: &str) -> String {
    metadata(&[
        ("media_id", media_id),
        ("kind", "video"),
        ("filename", "clip.mp4"),
    ])
}

#[tokio::test]
async fn options_advertises_the_protocol() {
    let app = spawn_app().await;
    let response = app
        .http
        .request(reqwest::Method::OPTIONS, app.api("/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let header = |name| {
        response
            .headers()
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("Tus-Version"), "1.0.0");
    assert!(header("Tus-Extension").contains("checksum"));
    assert!(header("Tus-Extension").contains("termination"));
    assert_eq!(header("Tus-Checksum-Algorithm"), "sha256");
    assert_eq!(header("Tus-Max-Size"), (64 * 1024 * 1024).to_string());
}

#[tokio::test]
async fn chunked_upload_interrupted_and_resumed() {
    let app = spawn_app().await;
    let user = app.register("uma").await;
    let clip = app.data.path().join("clip.mp4");
    make_clip(&clip, 2).await;
    let bytes = std::fs::read(&clip).unwrap();
    let media_id = MediaId::new_random().to_string();

    let created = create(&app, &user.token, bytes.len(), &video_meta(&media_id)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = location(&created);
    let third = bytes.len() / 3;

    // First chunk with a checksum.
    let first = patch(
        &app,
        &user.token,
        &location,
        0,
        bytes[..third].to_vec(),
        Some(sha256_header(&bytes[..third])),
    )
    .await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(first.headers()["Upload-Offset"], third.to_string().as_str());

    // The client "loses" its connection; it asks where to continue, then finishes.
    assert_eq!(
        head_offset(&app, &user.token, &location).await,
        (StatusCode::OK, Some(third as u64))
    );
    let (status, list) = app.get_json(&user.token, "/media").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "an unfinished upload is never listed"
    );
    let rest = patch(
        &app,
        &user.token,
        &location,
        third,
        bytes[third..].to_vec(),
        Some(sha256_header(&bytes[third..])),
    )
    .await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);

    let item = app.wait_processed(&user.token, &media_id).await;
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!(item["size_bytes"], bytes.len());
    assert_eq!(
        original_bytes(&app, &item).await,
        bytes,
        "stored bytes are the uploaded bytes"
    );
}

#[tokio::test]
async fn wrong_offset_checksum_mismatch_and_overrun() {
    let app = spawn_app().await;
    let user = app.register("olga").await;
    let bytes = vec![7u8; 1000];
    let created = create(
        &app,
        &user.token,
        bytes.len(),
        &video_meta(&MediaId::new_random().to_string()),
    )
    .await;
    let location = location(&created);

    let wrong = patch(
        &app,
        &user.token,
        &location,
        10,
        bytes[..100].to_vec(),
        None,
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::CONFLICT);

    let mismatch = patch(
        &app,
        &user.token,
        &location,
        0,
        bytes[..100].to_vec(),
        Some(sha256_header(b"other bytes")),
    )
    .await;
    assert_eq!(mismatch.status().as_u16(), 460);
    assert_eq!(
        head_offset(&app, &user.token, &location).await.1,
        Some(0),
        "the bad chunk was discarded"
    );

    let unknown_algorithm = patch(
        &app,
        &user.token,
        &location,
        0,
        bytes[..100].to_vec(),
        Some("md5 AAAA".into()),
    )
    .await;
    assert_eq!(unknown_algorithm.status(), StatusCode::BAD_REQUEST);

    let overrun = patch(&app, &user.token, &location, 0, vec![1u8; 1001], None).await;
    assert_eq!(overrun.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(head_offset(&app, &user.token, &location).await.1, Some(0));

    let wrong_type = app
        .http
        .patch(format!("{}{location}", app.url))
        .bearer_auth(&user.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn creation_is_validated() {
    let app = spawn_app().await;
    let user = app.register("cara").await;
    let too_big = create(
        &app,
        &user.token,
        65 * 1024 * 1024,
        &video_meta(&MediaId::new_random().to_string()),
    )
    .await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    for (meta, needle) in [
        ("media_id !!!notbase64", "base64"),
        (
            metadata(&[("media_id", "not-a-uuid"), ("kind", "video")]).as_str(),
            "media_id",
        ),
        (metadata(&[("kind", "audio")]).as_str(), "kind"),
        (
            metadata(&[("kind", "photo"), ("lat", "1000"), ("lon", "0")]).as_str(),
            "lat/lon",
        ),
        (
            metadata(&[
                ("kind", "photo"),
                ("device_id", &MediaId::new_random().to_string()),
            ])
            .as_str(),
            "device",
        ),
    ] {
        let response = create(&app, &user.token, 10, meta).await;
        let (status, body) = decode(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{meta}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{meta}: {body}"
        );
    }

    let no_version = app
        .http
        .post(app.api("/uploads"))
        .bearer_auth(&user.token)
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_FAILED);
    let no_token = app
        .http
        .post(app.api("/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn foreign_uploads_are_not_found_and_termination_removes() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let created = create(
        &app,
        &owner.token,
        100,
        &video_meta(&MediaId::new_random().to_string()),
    )
    .await;
    let location = location(&created);

    assert_eq!(
        head_offset(&app, &other.token, &location).await.0,
        StatusCode::NOT_FOUND
    );
    let foreign_patch = patch(&app, &other.token, &location, 0, vec![0u8; 10], None).await;
    assert_eq!(foreign_patch.status(), StatusCode::NOT_FOUND);

    let terminate = |token: String| {
        app.http
            .delete(format!("{}{location}", app.url))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .send()
    };
    assert_eq!(
        terminate(other.token.clone()).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        terminate(owner.token.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        head_offset(&app, &owner.token, &location).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn stale_partial_uploads_expire() {
    let app = spawn_app_with(|c| {
        c.uploads.expire_after_secs = 1;
        c.uploads.janitor_interval_secs = 1;
    })
    .await;
    let user = app.register("stale").await;
    let created = create(
        &app,
        &user.token,
        100,
        &video_meta(&MediaId::new_random().to_string()),
    )
    .await;
    let location = location(&created);
    assert_eq!(
        patch(&app, &user.token, &location, 0, vec![1u8; 10], None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while head_offset(&app, &user.token, &location).await.0 != StatusCode::NOT_FOUND {
        assert!(
            std::time::Instant::now() < deadline,
            "expired upload still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let staged: Vec<_> = std::fs::read_dir(app.data.path().join("staging"))
        .unwrap()
        .collect();
    assert!(staged.is_empty(), "staged bytes removed with the upload");
}

#[tokio::test]
async fn the_same_media_id_from_two_concurrent_clients_yields_one_item() {
    let app = spawn_app().await;
    let user = app.register("twin").await;
    let clip = app.data.path().join("twin.mp4");
    make_clip(&clip, 1).await;
    let media_id = MediaId::new_random();
    let meta = sightline_client::UploadMeta::new(media_id).with_file_defaults(&clip);
    let a = app.client(&user.token).with_chunk_size(4096);
    let b = app.client(&user.token).with_chunk_size(4096);
    let quiet = |_: u64, _: u64| {};
    let (ra, rb) = tokio::join!(
        a.upload_file(&clip, &meta, &quiet),
        b.upload_file(&clip, &meta, &quiet)
    );
    ra.expect("first client succeeds");
    rb.expect("second client succeeds");
    // A one-shot upload with the same id is absorbed too.
    let form = reqwest::multipart::Form::new()
        .part(
            "video",
            reqwest::multipart::Part::bytes(std::fs::read(&clip).unwrap()).file_name("twin.mp4"),
        )
        .text("metadata", format!("{{\"media_id\": \"{media_id}\"}}"));
    let (status, body) = decode(
        app.http
            .post(app.api("/device/videos"))
            .bearer_auth(&user.token)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["status"], "already_uploaded");

    let (_, list) = app.get_json(&user.token, "/media").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], media_id.to_string());
    let raw: Vec<_> = app
        .blob_files()
        .into_iter()
        .filter(|f| f.starts_with("raw/"))
        .collect();
    assert_eq!(raw.len(), 1, "{raw:?}");
}

#[tokio::test]
async fn a_declared_file_checksum_commits_only_those_bytes() {
    let app = spawn_app().await;
    let user = app.register("sabine").await;
    let bytes = vec![3u8; 1000];
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let meta = |id: &str, sha: &str| {
        metadata(&[
            ("media_id", id),
            ("kind", "video"),
            ("filename", "clip.mp4"),
            ("sha256", sha),
        ])
    };

    let malformed = create(
        &app,
        &user.token,
        1000,
        &meta(&MediaId::new_random().to_string(), "abc"),
    )
    .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(malformed.text().await.unwrap().contains("sha256"));

    // The bytes changed on the way: the last PATCH is refused and the upload is dropped.
    let id = MediaId::new_random().to_string();
    let created = create(&app, &user.token, 1000, &meta(&id, &digest)).await;
    let url = location(&created);
    let first = patch(&app, &user.token, &url, 0, bytes[..500].to_vec(), None).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    let changed = patch(&app, &user.token, &url, 500, vec![4u8; 500], None).await;
    assert_eq!(changed.status().as_u16(), 460);
    let (status, body) = decode(changed).await;
    assert_eq!(status.as_u16(), 460);
    assert_eq!(body["error"]["code"], "file_checksum_mismatch", "{body}");
    assert_eq!(
        head_offset(&app, &user.token, &url).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(item["error"]["code"], "not_found", "{item}");

    // Sent again, intact, under the same media id: committed.
    let created = create(&app, &user.token, 1000, &meta(&id, &digest)).await;
    let url = location(&created);
    let done = patch(&app, &user.token, &url, 0, bytes.clone(), None).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let (status, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{item}");
}

/// creation-with-upload carrying a whole small file: the body is checked as one piece, and a
/// body cut short still becomes a resumable upload at the offset it reached.
#[tokio::test]
async fn a_whole_file_in_the_creation_is_checked_and_a_cut_one_resumes() {
    let app = spawn_app().await;
    let user = app.register("petra").await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let creation = |id: &str, sha: &str| {
        creation_with_body(&app, &user.token, bytes.len()).header(
            "Upload-Metadata",
            metadata(&[
                ("media_id", id),
                ("kind", "photo"),
                ("filename", "a.jpg"),
                ("sha256", sha),
            ]),
        )
    };

    // Changed on the way (request checksum), or not the file declared (file sha256): refused,
    // and nothing of it is kept.
    let id = MediaId::new_random().to_string();
    let changed = creation(&id, &digest)
        .header("Upload-Checksum", sha256_header(b"other"))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 460);
    let other = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"other"));
    let (status, body) = decode(
        creation(&id, &other)
            .body(bytes.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status.as_u16(), 460);
    assert_eq!(body["error"]["code"], "file_checksum_mismatch", "{body}");
    assert!(app.blob_files().iter().all(|f| !f.starts_with("raw/")));

    // Intact: committed at once, the stored bytes are the sent bytes.
    let created = creation(&id, &digest)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.headers()["Upload-Offset"],
        bytes.len().to_string().as_str()
    );
    let (status, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(original_bytes(&app, &item).await, bytes);

    // Cut short: the client's connection breaks after 80,000 bytes of a 200,000-byte body.
    let cut = MediaId::new_random().to_string();
    let first = bytes::Bytes::copy_from_slice(&bytes[..80_000]);
    let broken = futures::stream::iter(vec![
        Ok::<_, std::io::Error>(first),
        Err(std::io::Error::other("connection lost")),
    ]);
    let sent = creation(&cut, &digest)
        .header("Content-Length", bytes.len().to_string())
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    assert!(sent.is_err(), "the client saw its request fail");
    // The retried creation finds the upload and where it stopped (all or part of what was
    // sent before the break reached the server); the rest completes it.
    let meta = metadata(&[
        ("media_id", &cut),
        ("kind", "photo"),
        ("filename", "a.jpg"),
        ("sha256", &digest),
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (resumed, offset) = loop {
        let again = create(&app, &user.token, bytes.len(), &meta).await;
        let offset: Option<usize> = again
            .headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        if again.status() == StatusCode::OK
            && let Some(offset) = offset
        {
            break (again, offset);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never resumable: {:?}",
            again.headers()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(offset <= 80_000, "{offset}");
    let url = location(&resumed);
    let rest = patch(
        &app,
        &user.token,
        &url,
        offset,
        bytes[offset..].to_vec(),
        None,
    )
    .await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    let (status, item) = app.get_json(&user.token, &format!("/media/{cut}")).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["size_bytes"], bytes.len());
}

/// Whole-file creations of one media id racing each other: every client is told its file is
/// stored, and there is one item with the bytes sent.
#[tokio::test]
async fn whole_file_creations_of_one_media_id_race_to_one_item() {
    let app = spawn_app().await;
    let user = app.register("racer").await;
    let bytes: Vec<u8> = (0..150_000u32).map(|i| (i % 239) as u8).collect();
    let id = MediaId::new_random().to_string();
    let meta = metadata(&[("media_id", &id), ("kind", "photo"), ("filename", "r.jpg")]);
    let creations = (0..8).map(|_| {
        creation_with_body(&app, &user.token, bytes.len())
            .header("Upload-Metadata", &meta)
            .body(bytes.clone())
            .send()
    });
    let answers = futures::future::join_all(creations).await;
    let mut created = 0;
    for answer in answers {
        let answer = answer.expect("creation answered");
        match answer.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("unexpected {other}"),
        }
        // Whoever answers, the upload it names is complete.
        let (status, offset) = head_offset(&app, &user.token, &location(&answer)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(offset, Some(bytes.len() as u64));
    }
    assert!(created >= 1, "one creation stored the file");

    let (_, list) = app.get_json(&user.token, "/media").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let (_, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(original_bytes(&app, &item).await, bytes);
}

/// The state a crash between renaming the staged file into place and committing leaves: the
/// upload full, its staged file gone, a blob at the key. The blob becomes the item only if it
/// is the upload's bytes; otherwise it and the upload go, and the client sends the file again.
#[tokio::test]
async fn a_blob_left_by_a_crash_becomes_the_item_only_if_it_is_the_uploads_bytes() {
    use sightline_store::MetadataStore;
    let app = spawn_app().await;
    let user = app.register("survivor").await;
    let bytes = vec![5u8; 1000];
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let crash_with = |blob: Vec<u8>| {
        let app = &app;
        let user = &user;
        let digest = digest.clone();
        async move {
            let id = MediaId::new_random();
            let meta = metadata(&[
                ("media_id", &id.to_string()),
                ("kind", "video"),
                ("filename", "clip.mp4"),
                ("captured_at", "2024-03-01T10:00:00Z"),
                ("sha256", &digest),
            ]);
            let url = location(&create(app, &user.token, 1000, &meta).await);
            let upload = sightline_core::UploadId::parse(url.rsplit('/').next().unwrap()).unwrap();
            let metadata: &dyn MetadataStore = app._server.state.backends.metadata.as_ref();
            metadata.set_upload_offset(upload, 1000).await.unwrap();
            let staged = app.data.path().join(format!("staging/{upload}.part"));
            std::fs::remove_file(&staged).unwrap();
            let key = format!("raw/{}/2024/03/01/{id}.mp4", user.id);
            let blob_path = app.data.path().join("blobs").join(&key);
            std::fs::create_dir_all(blob_path.parent().unwrap()).unwrap();
            std::fs::write(&blob_path, blob).unwrap();
            (id, url, blob_path)
        }
    };

    // Same length, other bytes (blocks lost to a power cut): refused, nothing kept.
    let (id, url, blob) = crash_with(vec![0u8; 1000]).await;
    assert_eq!(
        head_offset(&app, &user.token, &url).await.0,
        StatusCode::GONE
    );
    assert_eq!(
        head_offset(&app, &user.token, &url).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!blob.exists(), "the damaged blob is removed");
    let (status, _) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The upload's own bytes: committed as the item.
    let (id, url, blob) = crash_with(bytes.clone()).await;
    assert_eq!(
        head_offset(&app, &user.token, &url).await,
        (StatusCode::OK, Some(1000))
    );
    assert_eq!(std::fs::read(&blob).unwrap(), bytes);
    let (status, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{item}");
}
