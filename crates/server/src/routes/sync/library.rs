//! What merged offline edits change in the library beyond the synced fields themselves: people
//! assigned or removed on a device become (or stop being) whole-item appearances, exactly as
//! if assigned by hand, so that search, memories and `GET /media/{id}` see them; a changed
//! title or tag set re-projects the item's search document. A person id that is not one of the
//! user's (deleted since the device saw it, or forged) stays in the merged state, so that every
//! replica still converges, and changes nothing in the library.

use crate::error::ApiResult;
use crate::state::AppState;
use sightline_core::event::{MediaEvent, NewEvent, Topic};
use sightline_core::sync::{Edit, MediaEdits, MediaView};
use sightline_core::{MediaId, PersonId, UserId};
use sightline_store::library::NewAppearance;
use std::collections::HashMap;

/// The visible state of each item before the batch, to tell what it changed.
pub(super) async fn views_before(
    state: &AppState,
    user: UserId,
    edits: &[(MediaId, Edit)],
) -> ApiResult<HashMap<MediaId, MediaView>> {
    let mut ids: Vec<MediaId> = edits.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let synced = state.backends.sync.synced(user, &ids).await?;
    Ok(synced
        .into_iter()
        .map(|(id, edits)| (id, edits.visible()))
        .collect())
}

/// Carries the people and searchable fields of the merged states into the library.
pub(super) async fn apply(
    state: &AppState,
    user: UserId,
    before: &HashMap<MediaId, MediaView>,
    merged: &[(MediaId, MediaEdits)],
    correlation_id: &str,
) -> ApiResult<()> {
    let empty = MediaView::default();
    let mut reproject = Vec::new();
    let mut people_written = false;
    for (id, edits) in merged {
        let after = edits.visible();
        if after.deleted {
            continue;
        }
        let was = before.get(id).unwrap_or(&empty);
        let people_changed =
            reconcile_people(state, user, *id, was, &after, correlation_id).await?;
        people_written |= people_changed;
        if !people_changed && (was.title != after.title || was.tags != after.tags) {
            reproject.push(changed(user, *id, correlation_id));
        }
    }
    if !reproject.is_empty() {
        state.backends.bus.publish(&reproject).await?;
    }
    if people_written || !reproject.is_empty() {
        state.wake.notify_waiters();
    }
    Ok(())
}

fn changed(user: UserId, media: MediaId, correlation_id: &str) -> NewEvent {
    NewEvent::media(
        Topic::MediaChanged,
        &MediaEvent::new(user, media, correlation_id),
    )
}

/// The people of `view` that `other` lacks.
fn people_missing_from(view: &MediaView, other: &MediaView) -> Vec<PersonId> {
    view.people
        .iter()
        .filter(|p| !other.people.contains(p))
        .copied()
        .collect()
}

/// People the merge added get a whole-item appearance unless they already appear; people it
/// removed lose their whole-item appearances (time ranges in a video stay: those say where in
/// it, which the device never saw). Returns whether anything changed.
async fn reconcile_people(
    state: &AppState,
    user: UserId,
    media: MediaId,
    before: &MediaView,
    after: &MediaView,
    correlation_id: &str,
) -> ApiResult<bool> {
    let added = people_missing_from(after, before);
    let removed = people_missing_from(before, after);
    if added.is_empty() && removed.is_empty() {
        return Ok(false);
    }
    let library = &state.backends.library;
    let appearances = library.appearances_in(user, media).await?;
    let mut any = false;
    for person in added {
        if appearances.iter().any(|a| a.person_id == person) {
            continue;
        }
        let whole = NewAppearance {
            media_id: media,
            person_id: person,
            start_secs: None,
            end_secs: None,
        };
        match library
            .add_appearance(user, &whole, &[changed(user, media, correlation_id)])
            .await
        {
            Ok(_) => any = true,
            // Not one of the user's people: nothing to show.
            Err(sightline_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for appearance in appearances
        .iter()
        .filter(|a| removed.contains(&a.person_id) && a.start_secs.is_none())
    {
        let events = [changed(user, media, correlation_id)];
        if library
            .remove_appearance(user, appearance.id, &events)
            .await?
            .is_some()
        {
            any = true;
        }
    }
    Ok(any)
}
