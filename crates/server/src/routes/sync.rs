//! App ↔ server sync (DESIGN.md "Sync"): devices upload the edits they made offline, pull the
//! change log from their own token, and see what they still have to send and receive. The merge
//! rules are `sightline_core::sync`'s, the storage `sightline_store::SyncStore`'s.
//!
//! - `POST /sync/edits`: a batch of edits stamped by the calling device. A stamp from another
//!   node, an unparsable edit or a stamp too far ahead refuses the whole batch (400, nothing
//!   stored); an item that is not the caller's (or is gone) is reported per item as
//!   `not_found` (the status an item read would answer: 404) and the rest is applied, so one
//!   deleted item does not block a device's queue forever. Replays are no-ops.
//! - `GET /sync/changes?since=TOKEN`: each changed item once, with its state now; resumable from
//!   any token handed out, page or item.
//! - `GET /sync/status`, `POST /sync/trigger`, `GET /sync/conflicts`.

mod changes;
mod conflicts;
mod edits;
mod library;
mod status;

pub use changes::changes;
pub use conflicts::conflicts;
pub use edits::edits;
pub use status::{status, trigger};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sightline_core::DeviceId;

/// `?device_id=` of the reads.
#[derive(Debug, Default, Deserialize)]
pub struct DeviceParam {
    device_id: Option<String>,
}

/// The device the call is about: the calling device, or (for a user's token) the one named,
/// which must be theirs (another user's device answers 404). `None` only when `required` is
/// false and a user's token names none.
async fn device_for(
    state: &AppState,
    caller: Caller,
    named: Option<&str>,
    required: bool,
) -> ApiResult<Option<DeviceId>> {
    let named = named
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            DeviceId::parse(n).map_err(|_| ApiError::BadRequest("device_id must be a UUID".into()))
        })
        .transpose()?;
    match (caller.device_id, named) {
        (Some(own), Some(named)) if own != named => Err(ApiError::BadRequest(format!(
            "device_id {named} is not the calling device ({own})"
        ))),
        (Some(own), _) => Ok(Some(own)),
        (None, Some(named)) => match state
            .backends
            .metadata
            .device(caller.user_id, named)
            .await?
        {
            Some(device) => Ok(Some(device.id)),
            None => Err(ApiError::NotFound),
        },
        (None, None) if required => Err(ApiError::BadRequest(
            "device_id is required with a user token".into(),
        )),
        (None, None) => Ok(None),
    }
}

async fn required_device(
    state: &AppState,
    caller: Caller,
    named: Option<&str>,
) -> ApiResult<DeviceId> {
    device_for(state, caller, named, true)
        .await?
        .ok_or_else(|| ApiError::BadRequest("device_id is required".into()))
}

const TOKEN_PREFIX: &str = "log:";

/// A change-log position as clients see it: opaque, so its form can change.
fn encode_token(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{seq}"))
}

/// Absent or empty: the beginning of the log.
fn decode_token(token: Option<&str>) -> ApiResult<i64> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let bad = || ApiError::BadRequest("since is not a sync token this server issued".into());
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    raw.strip_prefix(TOKEN_PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_token(Some(&encode_token(seq))).unwrap(), seq);
        }
        assert_eq!(decode_token(None).unwrap(), 0);
        assert_eq!(decode_token(Some("")).unwrap(), 0);
        for bad in ["garbage", "bG9nOi0x", "42", "bG9nOng", "!!"] {
            assert!(decode_token(Some(bad)).is_err(), "{bad}");
        }
    }
}
