//! People of a user's library, and who appears in which item (by hand for now; face clustering
//! will write the same appearances later).

use super::{RequestId, check_text, nullable};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sightline_core::event::{MediaEvent, NewEvent, Topic, UserEvent};
use sightline_core::{MediaId, PersonId};
use sightline_store::library::{Appearance, NewAppearance, Person, PersonPatch};

const NAME_MAX: usize = 100;
const RELATIONSHIP_MAX: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    name: String,
    relationship: Option<String>,
    #[serde(default)]
    is_me: bool,
    birthday: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchPerson {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    relationship: Option<Option<String>>,
    is_me: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    birthday: Option<Option<NaiveDate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The person folded into the one in the path, then deleted.
    merge: PersonId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAppearanceBody {
    person_id: PersonId,
    start_secs: Option<f64>,
    end_secs: Option<f64>,
}

fn person_id(text: &str) -> ApiResult<PersonId> {
    PersonId::parse(text).map_err(|_| ApiError::NotFound)
}

fn media_id(text: &str) -> ApiResult<MediaId> {
    MediaId::parse(text).map_err(|_| ApiError::NotFound)
}

fn check_relationship(value: &Option<String>) -> ApiResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(r) => {
            check_text("relationship", r, RELATIONSHIP_MAX)?;
            Ok(Some(r.trim().to_lowercase()))
        }
    }
}

/// Renames and merges change how many items read, so the whole library is re-indexed.
fn library_changed(caller: &Caller, request: &RequestId) -> Vec<NewEvent> {
    vec![NewEvent::new(
        Topic::LibraryChanged,
        &UserEvent::new(caller.user_id, &request.0),
    )]
}

fn forbid_devices(caller: &Caller) -> ApiResult<()> {
    if caller.device_id.is_some() {
        return Err(ApiError::Forbidden(
            "people are managed by the user, not by devices".into(),
        ));
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewPerson>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Person>)> {
    let Json(body) = body?;
    forbid_devices(&caller)?;
    check_text("name", &body.name, NAME_MAX)?;
    let person = Person {
        id: PersonId::new_random(),
        name: body.name.trim().to_string(),
        relationship: check_relationship(&body.relationship)?,
        is_me: body.is_me,
        birthday: body.birthday,
        created_at: Utc::now(),
    };
    state
        .backends
        .library
        .create_person(caller.user_id, &person, &[])
        .await?;
    Ok((StatusCode::CREATED, Json(person)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let people = state.backends.library.people(caller.user_id).await?;
    Ok(Json(serde_json::json!({ "people": people })))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = person_id(&id)?;
    let library = &state.backends.library;
    let person = library
        .person(caller.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let media = library.media_with(caller.user_id, id).await?;
    Ok(Json(
        serde_json::json!({ "person": person, "media_ids": media }),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path(id): Path<String>,
    body: Result<Json<PatchPerson>, JsonRejection>,
) -> ApiResult<Json<Person>> {
    let Json(body) = body?;
    forbid_devices(&caller)?;
    if let Some(name) = &body.name {
        check_text("name", name, NAME_MAX)?;
    }
    let relationship = match &body.relationship {
        None => None,
        Some(r) => Some(check_relationship(r)?),
    };
    let patch = PersonPatch {
        name: body.name.map(|n| n.trim().to_string()),
        relationship,
        is_me: body.is_me,
        birthday: body.birthday,
    };
    let person = state
        .backends
        .library
        .update_person(
            caller.user_id,
            person_id(&id)?,
            &patch,
            &library_changed(&caller, &request),
        )
        .await?;
    person.map(Json).ok_or(ApiError::NotFound)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    forbid_devices(&caller)?;
    let deleted = state
        .backends
        .library
        .delete_person(
            caller.user_id,
            person_id(&id)?,
            &library_changed(&caller, &request),
        )
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// `POST /people/{id}/merge {"merge": other}`: the other person's appearances move to this one.
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path(id): Path<String>,
    body: Result<Json<Merge>, JsonRejection>,
) -> ApiResult<Json<Person>> {
    let Json(body) = body?;
    forbid_devices(&caller)?;
    let kept = person_id(&id)?;
    if kept == body.merge {
        return Err(ApiError::BadRequest(
            "cannot merge a person into itself".into(),
        ));
    }
    let person = state
        .backends
        .library
        .merge_people(
            caller.user_id,
            kept,
            body.merge,
            &library_changed(&caller, &request),
        )
        .await?;
    person.map(Json).ok_or(ApiError::NotFound)
}

/// `POST /media/{id}/people`: this person is in the item, or in `[start_secs, end_secs)` of a
/// video.
pub async fn add_appearance(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path(id): Path<String>,
    body: Result<Json<NewAppearanceBody>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Appearance>)> {
    let Json(body) = body?;
    let media = media_id(&id)?;
    let item = state
        .backends
        .metadata
        .media(caller.user_id, media)
        .await?
        .ok_or(ApiError::NotFound)?;
    let duration = item.facts.as_ref().and_then(|f| f.duration_secs);
    check_span(body.start_secs, body.end_secs, duration)?;
    let changed = NewEvent::media(
        Topic::MediaChanged,
        &MediaEvent::new(caller.user_id, media, &request.0),
    );
    let appearance = state
        .backends
        .library
        .add_appearance(
            caller.user_id,
            &NewAppearance {
                media_id: media,
                person_id: body.person_id,
                start_secs: body.start_secs,
                end_secs: body.end_secs,
            },
            &[changed],
        )
        .await
        .map_err(|e| match e {
            sightline_store::StoreError::NotFound => ApiError::BadRequest(format!(
                "person {} is not one of your people",
                body.person_id
            )),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(appearance)))
}

/// Both ends or neither; within the video (a second of slack for rounding) and not empty.
fn check_span(start: Option<f64>, end: Option<f64>, duration: Option<f64>) -> ApiResult<()> {
    let (start, end) = match (start, end) {
        (None, None) => return Ok(()),
        (Some(start), Some(end)) => (start, end),
        _ => {
            return Err(ApiError::BadRequest(
                "give both start_secs and end_secs, or neither for the whole item".into(),
            ));
        }
    };
    if !(start.is_finite() && end.is_finite() && start >= 0.0 && end > start) {
        return Err(ApiError::BadRequest(
            "start_secs must be ≥ 0 and before end_secs".into(),
        ));
    }
    match duration {
        Some(d) if end > d + 1.0 => Err(ApiError::BadRequest(format!(
            "end_secs {end} is past the end of the video ({d:.1} s)"
        ))),
        None => Err(ApiError::BadRequest(
            "a time range needs a video whose duration is known".into(),
        )),
        _ => Ok(()),
    }
}

pub async fn remove_appearance(
    State(state): State<AppState>,
    caller: Caller,
    request: RequestId,
    Path((id, appearance)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    let media = media_id(&id)?;
    let library = &state.backends.library;
    // Only an appearance in this item: check first, so the event names the right media.
    let belongs = library
        .appearances_in(caller.user_id, media)
        .await?
        .iter()
        .any(|a| a.id == appearance);
    if !belongs {
        return Err(ApiError::NotFound);
    }
    let changed = NewEvent::media(
        Topic::MediaChanged,
        &MediaEvent::new(caller.user_id, media, &request.0),
    );
    library
        .remove_appearance(caller.user_id, appearance, &[changed])
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_must_be_complete_ordered_and_inside_the_video() {
        assert!(check_span(None, None, None).is_ok());
        assert!(check_span(Some(1.0), Some(4.0), Some(10.0)).is_ok());
        assert!(check_span(Some(9.0), Some(10.8), Some(10.0)).is_ok());
        assert!(check_span(Some(1.0), None, Some(10.0)).is_err());
        assert!(check_span(Some(4.0), Some(4.0), Some(10.0)).is_err());
        assert!(check_span(Some(-1.0), Some(4.0), Some(10.0)).is_err());
        assert!(check_span(Some(1.0), Some(f64::NAN), Some(10.0)).is_err());
        assert!(check_span(Some(1.0), Some(30.0), Some(10.0)).is_err());
        assert!(check_span(Some(1.0), Some(3.0), None).is_err());
    }
}
