use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn devices_are_created_reported_listed_and_revoked() {
    let app = spawn_app().await;
    let user = app.register("dana").await;
    let (device_id, device_token) = app.create_device(&user.token, "doorbell").await;

    // The device reports its state with its own token.
    let report = app
        .http
        .patch(app.api(&format!("/devices/{device_id}")))
        .bearer_auth(&device_token)
        .json(&json!({"firmware_version": "1.2.3", "battery_level": 87, "connectivity": "wifi", "last_sync_at": "2026-01-02T03:04:05Z"}))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(report).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .get_json(&user.token, &format!("/devices/{device_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["type"], "doorbell");
    assert_eq!(body["battery_level"], 87);
    assert_eq!(body["connectivity"], "wifi");
    assert_eq!(body["firmware_version"], "1.2.3");
    let (_, list) = app.get_json(&user.token, "/devices").await;
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);

    let bad = app
        .http
        .patch(app.api(&format!("/devices/{device_id}")))
        .bearer_auth(&device_token)
        .json(&json!({"battery_level": 101}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let deleted = app
        .http
        .delete(app.api(&format!("/devices/{device_id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&device_token, "/media").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "deleting a device revokes its token"
    );
}

#[tokio::test]
async fn another_users_device_is_not_found_and_bad_types_are_rejected() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let (device_id, _) = app.create_device(&alice.token, "smart_glass").await;
    let (status, _) = app
        .get_json(&mallory.token, &format!("/devices/{device_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let delete = app
        .http
        .delete(app.api(&format!("/devices/{device_id}")))
        .bearer_auth(&mallory.token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.get_json(&alice.token, "/devices/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let toaster = app
        .http
        .post(app.api("/devices"))
        .bearer_auth(&alice.token)
        .json(&json!({"type": "toaster", "name": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(toaster).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("smart_glass"),
        "{body}"
    );
}
