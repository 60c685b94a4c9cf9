//! Reading the library: pagination, isolation, signed URLs, ranges, deletion.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use sightline_client::UploadMeta;
use sightline_core::MediaId;

/// Uploads `n` small "photos" without processing (workers off) and returns their ids.
async fn seed(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let meta = UploadMeta {
            captured_at: Some(
                chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 86_400, 0).unwrap(),
            ),
            filename: Some(format!("p{i}.jpg")),
            ..UploadMeta::new(MediaId::new_random())
        };
        let bytes = bytes::Bytes::from((0..1000u32).map(|b| (b % 251) as u8).collect::<Vec<_>>());
        app.client(token)
            .upload_bytes(bytes, &meta)
            .await
            .expect("upload");
        ids.push(meta.media_id.to_string());
    }
    ids
}

async fn idle_app() -> TestApp {
    spawn_app_with(|c| c.workers.concurrency = 0).await
}

#[tokio::test]
async fn listing_pages_with_a_cursor_and_filters() {
    let app = idle_app().await;
    let user = app.register("lister").await;
    let ids = seed(&app, &user.token, 5).await;
    let mut seen = Vec::new();
    let mut path = "/media?limit=2".to_string();
    loop {
        let (status, page) = app.get_json(&user.token, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/media?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let (_, videos) = app.get_json(&user.token, "/media?kind=video").await;
    assert!(videos["items"].as_array().unwrap().is_empty());
    let (_, pending) = app
        .get_json(
            &user.token,
            "/media?status=pending&from=2023-11-15T00:00:00Z",
        )
        .await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 4);
    for bad in [
        "/media?limit=0",
        "/media?kind=audio",
        "/media?cursor=garbage",
        "/media?from=yesterday",
    ] {
        let (status, body) = app.get_json(&user.token, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

#[tokio::test]
async fn another_users_media_is_not_found() {
    let app = idle_app().await;
    let owner = app.register("owner2").await;
    let thief = app.register("thief").await;
    let id = seed(&app, &owner.token, 1).await.remove(0);
    let (status, _) = app.get_json(&thief.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let delete = app
        .http
        .delete(app.api(&format!("/media/{id}")))
        .bearer_auth(&thief.token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let (_, list) = app.get_json(&thief.token, "/media").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (status, _) = app.get_json(&owner.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn signed_urls_serve_ranges_and_refuse_tampering_and_expiry() {
    let app = spawn_app_with(|c| {
        c.workers.concurrency = 0;
        c.auth.signed_url_secs = 1;
    })
    .await;
    let user = app.register("ranger").await;
    let id = seed(&app, &user.token, 1).await.remove(0);
    let (_, item) = app.get_json(&user.token, &format!("/media/{id}")).await;
    let url = item["urls"]["original"].as_str().unwrap().to_string();
    let expected: Vec<u8> = (0..1000u32).map(|b| (b % 251) as u8).collect();

    let whole = app.http.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["Accept-Ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), expected.as_slice());

    let part = app
        .http
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["Content-Range"], "bytes 100-199/1000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &expected[100..200]);
    let tail = app
        .http
        .get(&url)
        .header("Range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &expected[990..]);
    let beyond = app
        .http
        .get(&url)
        .header("Range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    let tampered_sig = format!("{}0", &url[..url.len() - 1]);
    let tampered_sig = if tampered_sig == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        tampered_sig
    };
    assert_eq!(
        app.http.get(&tampered_sig).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let other_key = url.replace("/raw/", "/processed/");
    assert_eq!(
        app.http.get(&other_key).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let later = url.replace("exp=", "exp=9");
    assert_eq!(
        app.http.get(&later).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let unsigned = url.split('?').next().unwrap();
    assert_eq!(
        app.http.get(unsigned).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = app.http.get(&url).send().await.unwrap();
    let (status, body): (StatusCode, Value) = decode(expired).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn delete_leaves_no_blob_behind() {
    let app = spawn_app().await;
    let user = app.register("deleter").await;
    let clip = app.data.path().join("gone.mp4");
    make_clip(&clip, 1).await;
    let meta = UploadMeta::new(MediaId::new_random()).with_file_defaults(&clip);
    app.client(&user.token)
        .upload_file(&clip, &meta, &|_, _| {})
        .await
        .unwrap();
    let id = meta.media_id.to_string();
    let item = app.wait_processed(&user.token, &id).await;
    assert_eq!(item["status"], "ready");
    assert!(
        app.blob_files()
            .iter()
            .any(|f| f.ends_with("rendition.mp4"))
    );

    let delete = app
        .http
        .delete(app.api(&format!("/media/{id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert!(
        app.blob_files().is_empty(),
        "left behind: {:?}",
        app.blob_files()
    );
    let (status, _) = app.get_json(&user.token, &format!("/media/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let again = app
        .http
        .delete(app.api(&format!("/media/{id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_shot_endpoints_accept_and_validate() {
    let app = idle_app().await;
    let user = app.register("oneshot").await;
    let (device_id, device_token) = app.create_device(&user.token, "smart_glass").await;
    let jpeg = std::fs::read(std::path::Path::new(OPENCV_DATA).join("messi5.jpg")).unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(jpeg.clone()).file_name("IMG_1.jpg"),
        )
        .text(
            "metadata",
            r#"{"timestamp": "2025-11-04T10:00:00Z", "location": {"lat": 41.89, "lon": 12.49}}"#,
        );
    let response = app
        .http
        .post(app.api("/device/photos"))
        .bearer_auth(&device_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "queued");
    let (_, item) = app
        .get_json(
            &user.token,
            &format!("/media/{}", body["photo_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(item["device_id"], device_id.as_str());
    assert_eq!(item["captured_at"], "2025-11-04T10:00:00Z");
    assert_eq!(item["filename"], "IMG_1.jpg");

    let bad_json = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(jpeg.clone()).file_name("x.jpg"),
        )
        .text("metadata", "{not json");
    let (status, body) = decode(
        app.http
            .post(app.api("/device/photos"))
            .bearer_auth(&user.token)
            .multipart(bad_json)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metadata")
    );
    let no_file = reqwest::multipart::Form::new().text("metadata", "{}");
    let (status, _) = decode(
        app.http
            .post(app.api("/videos/upload"))
            .bearer_auth(&user.token)
            .multipart(no_file)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let staged: Vec<_> = std::fs::read_dir(app.data.path().join("staging"))
        .unwrap()
        .flatten()
        .collect();
    assert!(staged.is_empty(), "refused uploads leave nothing staged");
}
