//! Smart responses on the server: pre-recorded messages converted to WAV, listed and deleted,
//! hostile uploads refused, and what `audio/speak` says when the device cannot play.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

impl TestApp {
    async fn upload_audio(
        &self,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, serde_json::Value) {
        let response = self
            .http
            .post(self.api("/audio/messages"))
            .query(&[("name", name)])
            .bearer_auth(token)
            .body(bytes)
            .send()
            .await
            .expect("upload audio");
        decode(response).await
    }
}

fn tone(path: &std::path::Path, seconds: u32) {
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
        ])
        .arg(seconds.to_string())
        .arg(path)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
}

#[tokio::test]
async fn messages_are_converted_listed_and_deleted() {
    let app = spawn_app().await;
    let user = app.register("audio").await;
    let path = app.data.path().join("hello.mp3");
    tone(&path, 2);
    let (status, created) = app
        .upload_audio(
            &user.token,
            "Leave it at the door",
            std::fs::read(&path).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let duration = created["duration_seconds"].as_f64().unwrap();
    assert!((duration - 2.0).abs() < 0.2, "{duration}");
    // What the device will fetch is a WAV, 16 kHz mono.
    let url = created["audio_url"].as_str().unwrap();
    let wav = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
    assert_eq!(
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
        16_000
    );

    let (_, listed) = app.get_json(&user.token, "/audio/messages").await;
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1);
    assert_eq!(listed["messages"][0]["name"], "Leave it at the door");
    // Another user sees none of it.
    let other = app.register("other").await;
    let (_, theirs) = app.get_json(&other.token, "/audio/messages").await;
    assert_eq!(theirs["messages"], json!([]));
    let id = created["audio_id"].as_str().unwrap();
    let response = app
        .http
        .delete(app.api(&format!("/audio/messages/{id}")))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .http
        .delete(app.api(&format!("/audio/messages/{id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, listed) = app.get_json(&user.token, "/audio/messages").await;
    assert_eq!(listed["messages"], json!([]));
    assert!(!app.blob_files().iter().any(|f| f.contains(id)));
}

#[tokio::test]
async fn hostile_uploads_and_impossible_speaks_are_refused() {
    let app = spawn_app().await;
    let user = app.register("hostile").await;
    let (status, body) = app
        .upload_audio(&user.token, "noise", vec![7u8; 4096])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let video = app.data.path().join("silent.mp4");
    make_clip(&video, 1).await;
    let (status, body) = app
        .upload_audio(&user.token, "video", std::fs::read(&video).unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let long = app.data.path().join("long.mp3");
    tone(&long, 70);
    let (status, body) = app
        .upload_audio(&user.token, "long", std::fs::read(&long).unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("60"),
        "{body}"
    );
    let (status, _) = app.upload_audio(&user.token, "", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .upload_audio(&user.token, "big", vec![0u8; 13 << 20])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let (device, device_token) = app.create_device(&user.token, "doorbell").await;
    let (status, _) = app.upload_audio(&device_token, "x", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let path = app.data.path().join("hi.mp3");
    tone(&path, 1);
    let (_, created) = app
        .upload_audio(&user.token, "hi", std::fs::read(&path).unwrap())
        .await;
    let speak = |body: serde_json::Value| {
        let app = &app;
        let device = device.clone();
        let token = user.token.clone();
        async move {
            let response = app
                .http
                .post(app.api(&format!("/devices/{device}/audio/speak")))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            decode(response).await
        }
    };
    let (status, body) =
        speak(json!({"type": "pre_recorded", "audio_id": created["audio_id"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "not connected: {body}");
    let (status, body) = speak(json!({"type": "live"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WebRTC")
    );
    let (status, _) =
        speak(json!({"type": "pre_recorded", "audio_url": "http://169.254.169.254/"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        speak(json!({"type": "pre_recorded", "audio_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = speak(json!({"type": "shout", "audio_id": created["audio_id"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
