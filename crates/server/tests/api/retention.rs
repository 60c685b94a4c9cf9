//! Retention and storage tiers end to end: the sweep deletes exactly the events past their
//! owner's plan with their clips (rows, blobs, derived files, off-site copy), moves aging clips
//! hot → warm → cold where they still play, and copies clips off site.

use crate::helpers::*;
use chrono::{Duration as Span, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sightline_client::UploadMeta;
use sightline_core::MediaId;
use std::path::Path;

fn files_under(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

fn mentions(files: &[String], media: &str) -> bool {
    files.iter().any(|f| f.contains(media))
}

impl TestApp {
    /// A real clip uploaded by `device`, processed, and an event `days_ago` that shows it.
    async fn event_with_clip(
        &self,
        user: &TestUser,
        device: &str,
        device_token: &str,
        days_ago: i64,
    ) -> (String, String) {
        let path = self
            .data
            .path()
            .join(format!("{}.mp4", MediaId::new_random()));
        make_clip(&path, 1).await;
        let media_id = MediaId::new_random();
        let mut meta = UploadMeta::new(media_id).with_file_defaults(&path);
        meta.device_id = Some(device.to_owned());
        self.client(device_token)
            .upload_file(&path, &meta, &|_, _| {})
            .await
            .expect("upload");
        self.wait_processed(&user.token, &media_id.to_string())
            .await;
        let event_id = uuid::Uuid::new_v4().to_string();
        let response = self
            .http
            .post(self.api(&format!("/devices/{device}/events")))
            .bearer_auth(device_token)
            .json(&json!({
                "event_id": event_id,
                "event_type": "motion",
                "timestamp": Utc::now() - Span::days(days_ago),
                "duration_seconds": 1,
                "media_id": media_id.to_string(),
            }))
            .send()
            .await
            .expect("post event");
        assert_eq!(response.status(), StatusCode::CREATED);
        (event_id, media_id.to_string())
    }

    async fn event_ids(&self, token: &str) -> Vec<String> {
        let (_, listed) = self.get_json(token, "/events").await;
        listed["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn the_sweep_deletes_what_is_past_retention_and_tiers_the_rest() {
    let root = tempfile::tempdir().expect("tempdir");
    let (warm, cold, offsite) = (
        root.path().join("warm"),
        root.path().join("cold"),
        root.path().join("offsite"),
    );
    let app = spawn_app_with(|c| {
        c.retention.warm_url = format!("file://{}", warm.display());
        c.retention.cold_url = format!("file://{}", cold.display());
        c.retention.offsite_url = format!("file://{}", offsite.display());
        // Sweeps are run by the test.
        c.retention.interval_secs = 86_400;
    })
    .await;
    let standard = app.register("standard").await;
    let premium = app.register("premium").await;
    let response = app
        .http
        .put(app.api("/account/plan"))
        .bearer_auth(&premium.token)
        .json(&json!({"plan": "premium"}))
        .send()
        .await
        .expect("plan");
    let (status, plan) = decode(response).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["event_retention_days"], 60);
    let (_, plan) = app.get_json(&standard.token, "/account/plan").await;
    assert_eq!(
        plan,
        json!({"plan": "standard", "event_retention_days": 30})
    );

    let (door, door_token) = app.create_device(&standard.token, "doorbell").await;
    let (pro_door, pro_token) = app.create_device(&premium.token, "doorbell").await;
    let (old_event, old_clip) = app.event_with_clip(&standard, &door, &door_token, 40).await;
    let (month_event, month_clip) = app.event_with_clip(&standard, &door, &door_token, 20).await;
    let (week_event, week_clip) = app.event_with_clip(&standard, &door, &door_token, 3).await;
    let (pro_event, pro_clip) = app
        .event_with_clip(&premium, &pro_door, &pro_token, 40)
        .await;

    let report = sightline_server::retention::sweep(&app._server.state, Utc::now())
        .await
        .expect("sweep");
    assert_eq!(report.events_deleted, 1, "{report:?}");
    assert_eq!(report.clips_deleted, 1);
    // 20 and 40 days: past warm (7); the premium one past cold (30) as well.
    assert_eq!(report.clips_to_warm, 2, "{report:?}");
    assert_eq!(report.clips_to_cold, 1, "{report:?}");
    assert_eq!(report.offsite_copies, 3);

    // Exactly the standard event past 30 days is gone, with every file of its clip.
    assert_eq!(
        app.event_ids(&standard.token)
            .await
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        [month_event.clone(), week_event.clone()]
            .into_iter()
            .collect()
    );
    assert!(
        app.event_ids(&standard.token)
            .await
            .iter()
            .all(|e| *e != old_event)
    );
    assert_eq!(app.event_ids(&premium.token).await, vec![pro_event.clone()]);
    let (status, _) = app
        .get_json(&standard.token, &format!("/media/{old_clip}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let everywhere: Vec<String> = [
        app.data.path().join("blobs"),
        warm.clone(),
        cold.clone(),
        offsite.clone(),
    ]
    .iter()
    .flat_map(|d| files_under(d))
    .collect();
    assert!(
        !mentions(&everywhere, &old_clip),
        "blobs of the expired clip remain"
    );

    // The rest sit in their tiers and still play from their signed URLs.
    let (hot_files, warm_files, cold_files) = (
        files_under(&app.data.path().join("blobs")),
        files_under(&warm),
        files_under(&cold),
    );
    assert!(mentions(&hot_files, &week_clip) && !mentions(&warm_files, &week_clip));
    assert!(mentions(&warm_files, &month_clip) && !mentions(&hot_files, &month_clip));
    assert!(mentions(&cold_files, &pro_clip) && !mentions(&warm_files, &pro_clip));
    for (token, clip) in [(&standard.token, &month_clip), (&premium.token, &pro_clip)] {
        let (_, item) = app.get_json(token, &format!("/media/{clip}")).await;
        let url = item["urls"]["original"]
            .as_str()
            .or_else(|| item["original_url"].as_str())
            .unwrap_or_else(|| panic!("a signed URL: {item}"));
        let response = app.http.get(url).send().await.expect("fetch");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.bytes().await.expect("bytes").is_empty());
    }
    let offsite_files = files_under(&offsite);
    for clip in [&month_clip, &week_clip, &pro_clip] {
        assert!(mentions(&offsite_files, clip), "off-site copy of {clip}");
    }

    // A second sweep has nothing left to do; a user's own delete reaches the off-site copy.
    let again = sightline_server::retention::sweep(&app._server.state, Utc::now())
        .await
        .expect("sweep");
    // (Workers still processing the clips may have superseded change-log entries meanwhile.)
    let again = sightline_server::retention::SweepReport {
        log_entries_compacted: 0,
        ..again
    };
    assert_eq!(again, Default::default());
    let response = app
        .http
        .delete(app.api(&format!("/media/{week_clip}")))
        .bearer_auth(&standard.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(!mentions(&files_under(&offsite), &week_clip));
    let _: Value = json!(null);
}

#[tokio::test]
async fn plans_are_checked() {
    let app = spawn_app().await;
    let user = app.register("plans").await;
    let response = app
        .http
        .put(app.api("/account/plan"))
        .bearer_auth(&user.token)
        .json(&json!({"plan": "platinum"}))
        .send()
        .await
        .expect("plan");
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("standard or premium")
    );
    let (_, device_token) = app.create_device(&user.token, "doorbell").await;
    let response = app
        .http
        .put(app.api("/account/plan"))
        .bearer_auth(&device_token)
        .json(&json!({"plan": "premium"}))
        .send()
        .await
        .expect("plan");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
