use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn register_login_refresh_and_rotation() {
    let app = spawn_app().await;
    let user = app.register("ann").await;
    let (status, _) = app.get_json(&user.token, "/media").await;
    assert_eq!(status, StatusCode::OK);

    let login = |password: &'static str| {
        app.http
            .post(app.api("/auth/login"))
            .json(&json!({"email": "ANN@example.com", "password": password}))
            .send()
    };
    let (status, body) = decode(login("correct horse battery").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], user.id.as_str());
    let (status, body) = decode(login("wrong password").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    let refresh = |token: String| {
        app.http
            .post(app.api("/auth/refresh"))
            .json(&json!({"refresh_token": token}))
            .send()
    };
    let (status, body) = decode(refresh(user.refresh.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .get_json(body["access_token"].as_str().unwrap(), "/media")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = decode(refresh(user.refresh.clone()).await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a refresh token works once"
    );
}

#[tokio::test]
async fn bad_registrations_get_clear_errors() {
    let app = spawn_app().await;
    app.register("bob").await;
    let register =
        |body: serde_json::Value| app.http.post(app.api("/auth/register")).json(&body).send();
    let (status, body) = decode(
        register(json!({"email": "bob@example.com", "password": "long enough"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = decode(
        register(json!({"email": "not-an-email", "password": "long enough"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("email"));
    let (status, _) = decode(
        register(json!({"email": "c@example.com", "password": "short"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let malformed = app
        .http
        .post(app.api("/auth/register"))
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = decode(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("JSON"),
        "{body}"
    );
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_401() {
    let app = spawn_app_with(|c| c.auth.access_token_secs = 1).await;
    let user = app.register("eve").await;
    let (status, _) = decode(app.http.get(app.api("/media")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get_json("eyJhbGciOiJIUzI1NiJ9.e30.forged", "/media")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get_json("sld_unknowndevicetoken", "/media").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Access tokens live one second here; the validator allows five seconds of clock skew.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let (status, body) = app.get_json(&user.token, "/media").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}
