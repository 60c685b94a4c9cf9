//! Who is calling: a user with an access token, or one of the user's devices with its token.

pub mod password;
pub mod tokens;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sightline_core::{DeviceId, UserId};

#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user_id: UserId,
    /// Set when the caller authenticated with a device token.
    pub device_id: Option<DeviceId>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer header".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or_else(|| ApiError::Unauthorized("expected a Bearer token".into()))?;
        if token.starts_with(tokens::DEVICE_PREFIX) {
            let device = state
                .backends
                .metadata
                .device_by_token(&tokens::hash_token(token))
                .await?
                .ok_or_else(|| ApiError::Unauthorized("unknown or revoked device token".into()))?;
            return Ok(Caller {
                user_id: device.user_id,
                device_id: Some(device.id),
            });
        }
        let user_id = state.keys.verify_access(token)?;
        Ok(Caller {
            user_id,
            device_id: None,
        })
    }
}
