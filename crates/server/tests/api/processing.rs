//! Uploads through processing: real files, real ffmpeg, results checked with ffprobe.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use sightline_client::UploadMeta;
use sightline_core::MediaId;
use std::path::Path;

async fn upload(app: &TestApp, token: &str, path: &Path, meta: UploadMeta) -> String {
    let id = meta.media_id.to_string();
    app.client(token)
        .upload_file(path, &meta.with_file_defaults(path), &|_, _| {})
        .await
        .expect("upload");
    id
}

async fn download(app: &TestApp, url: &Value, to: &Path) {
    let response = app
        .http
        .get(url.as_str().expect("url"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    std::fs::write(to, response.bytes().await.unwrap()).unwrap();
}

async fn ffprobe_json(path: &Path, args: &[&str]) -> Value {
    let out = tokio::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json"])
        .args(args)
        .arg(path)
        .output()
        .await
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ffprobe json")
}

#[tokio::test]
async fn a_real_video_gets_a_normalised_rendition() {
    let app = spawn_app().await;
    let user = app.register("vid").await;
    let source = Path::new(OPENCV_DATA).join("vtest.avi");
    let id = upload(
        &app,
        &user.token,
        &source,
        UploadMeta::new(MediaId::new_random()),
    )
    .await;
    let item = app.wait_processed(&user.token, &id).await;
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!(item["facts"]["width"], 768);
    assert_eq!(item["facts"]["height"], 576);
    let source_secs = item["facts"]["duration_secs"].as_f64().unwrap();

    let rendition = app.data.path().join("rendition.mp4");
    download(&app, &item["urls"]["rendition"], &rendition).await;
    let streams = ffprobe_json(&rendition, &["-show_streams", "-show_format"]).await;
    let streams = streams["streams"].as_array().unwrap();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .expect("video stream");
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .expect("silent AAC added");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["pix_fmt"], "yuv420p");
    assert_eq!(video["r_frame_rate"], "30/1");
    assert_eq!(video["avg_frame_rate"], "30/1", "constant frame rate");
    assert_eq!(audio["codec_name"], "aac");

    let packets = ffprobe_json(
        &rendition,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,dts_time,flags,duration_time",
        ],
    )
    .await;
    let packets = packets["packets"].as_array().unwrap();
    let mut keyframe_times = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        let key = packet["flags"].as_str().unwrap().contains('K');
        assert_eq!(
            key,
            i % 30 == 0,
            "packet {i} keyframe flag: a keyframe exactly every second"
        );
        if key {
            keyframe_times.push(packet["pts_time"].as_str().unwrap().parse::<f64>().unwrap());
        }
        assert_eq!(
            packet["pts_time"], packet["dts_time"],
            "no B-frames: decode order is display order"
        );
    }
    for (i, t) in keyframe_times.iter().enumerate() {
        assert!((t - i as f64).abs() < 0.01, "keyframe {i} at {t}");
    }
    let rendition_secs = packets.len() as f64 / 30.0;
    assert!(
        (rendition_secs - source_secs).abs() < 0.2,
        "duration {rendition_secs} vs source {source_secs}"
    );

    let thumb = app.data.path().join("thumb.jpg");
    download(&app, &item["urls"]["thumbnail"], &thumb).await;
    let thumb = ffprobe_json(&thumb, &["-show_streams"]).await;
    assert!(thumb["streams"][0]["width"].as_u64().unwrap() <= 320);
}

#[tokio::test]
async fn a_photo_gets_thumbnail_preview_and_the_clients_place_and_time() {
    let app = spawn_app().await;
    let user = app.register("pho").await;
    let source = Path::new(OPENCV_DATA).join("messi5.jpg");
    let taken = chrono::DateTime::parse_from_rfc3339("2024-07-14T10:00:00Z")
        .unwrap()
        .to_utc();
    let meta = UploadMeta {
        captured_at: Some(taken),
        lat: Some(48.8584),
        lon: Some(2.2945),
        ..UploadMeta::new(MediaId::new_random())
    };
    let id = upload(&app, &user.token, &source, meta).await;
    let item = app.wait_processed(&user.token, &id).await;
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!(item["kind"], "photo");
    assert_eq!(item["captured_at"], "2024-07-14T10:00:00Z");
    assert_eq!(item["location"]["lat"], 48.8584);
    assert!(item["urls"]["rendition"].is_null());
    let preview = app.data.path().join("preview.jpg");
    download(&app, &item["urls"]["preview"], &preview).await;
    let probe = ffprobe_json(&preview, &["-show_streams"]).await;
    assert_eq!(
        probe["streams"][0]["width"], item["facts"]["width"],
        "small photos are not upscaled"
    );
}

#[tokio::test]
async fn garbage_named_mp4_fails_with_a_reason_and_the_server_carries_on() {
    let app = spawn_app().await;
    let user = app.register("junk").await;
    let junk = app.data.path().join("junk.mp4");
    std::fs::write(
        &junk,
        (0..50_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let junk_id = upload(
        &app,
        &user.token,
        &junk,
        UploadMeta::new(MediaId::new_random()),
    )
    .await;
    let photo_as_video = Path::new(OPENCV_DATA).join("messi5.jpg");
    let wrong_kind = UploadMeta {
        kind: Some(sightline_core::media::MediaKind::Video),
        ..UploadMeta::new(MediaId::new_random())
    };
    let wrong_id = upload(&app, &user.token, &photo_as_video, wrong_kind).await;

    for id in [&junk_id, &wrong_id] {
        let item = app.wait_processed(&user.token, id).await;
        assert_eq!(item["status"], "failed", "{item}");
        let reason = item["failure_reason"].as_str().expect("a reason");
        assert!(!reason.is_empty());
        assert!(item["urls"]["thumbnail"].is_null());
    }

    // The server is fine: a good upload still goes through.
    let clip = app.data.path().join("fine.mp4");
    make_clip(&clip, 1).await;
    let good = upload(
        &app,
        &user.token,
        &clip,
        UploadMeta::new(MediaId::new_random()),
    )
    .await;
    assert_eq!(
        app.wait_processed(&user.token, &good).await["status"],
        "ready"
    );
}
