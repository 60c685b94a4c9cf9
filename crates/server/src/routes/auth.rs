//! Register, log in, refresh. Access tokens are short-lived JWTs; refresh tokens are single-use.

use crate::auth::{password, tokens};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sightline_core::UserId;
use sightline_store::model::User;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[derive(Serialize)]
pub struct Session {
    user_id: UserId,
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
}

fn normalise_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ApiError::BadRequest("email is not a valid address".into()))
    }
}

async fn open_session(state: &AppState, user: UserId) -> ApiResult<Session> {
    let refresh_token = tokens::random_token(tokens::REFRESH_PREFIX);
    let expires = Utc::now() + chrono::Duration::days(state.config.auth.refresh_token_days as i64);
    state
        .backends
        .metadata
        .insert_refresh_token(&tokens::hash_token(&refresh_token), user, expires)
        .await?;
    Ok(Session {
        user_id: user,
        access_token: state.keys.issue_access(user, AppState::now_secs())?,
        token_type: "Bearer",
        expires_in: state.keys.access_ttl_secs,
        refresh_token,
    })
}

pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let Json(body) = body?;
    let email = normalise_email(&body.email)?;
    if body.password.chars().count() < 8 || body.password.len() > 1024 {
        return Err(ApiError::BadRequest(
            "password must have 8 to 1024 characters".into(),
        ));
    }
    let user = User {
        id: UserId::new_random(),
        email,
        password_hash: password::hash(body.password).await?,
        created_at: Utc::now(),
    };
    state.backends.metadata.create_user(&user).await?;
    Ok((
        StatusCode::CREATED,
        Json(open_session(&state, user.id).await?),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> ApiResult<Json<Session>> {
    let Json(body) = body?;
    let denied = || ApiError::Unauthorized("wrong email or password".into());
    let email = normalise_email(&body.email).map_err(|_| denied())?;
    let user = state
        .backends
        .metadata
        .user_by_email(&email)
        .await?
        .ok_or_else(denied)?;
    if !password::verify(body.password, user.password_hash).await? {
        return Err(denied());
    }
    Ok(Json(open_session(&state, user.id).await?))
}

pub async fn refresh(
    State(state): State<AppState>,
    body: Result<Json<RefreshRequest>, JsonRejection>,
) -> ApiResult<Json<Session>> {
    let Json(body) = body?;
    let user = state
        .backends
        .metadata
        .take_refresh_token(&tokens::hash_token(&body.refresh_token), Utc::now())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("refresh token unknown, used or expired".into()))?;
    Ok(Json(open_session(&state, user).await?))
}
