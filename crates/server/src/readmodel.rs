//! The search index as a projection of the write model: one document per ready media item,
//! built from its row, who appears in it, its place names and the user's own places. Rebuilt
//! per item on `media.*` events, per user on `library.changed`, from scratch by `reindex`.

use crate::state::AppState;
use anyhow::Context;
use sightline_core::geo::GeoPoint;
use sightline_core::media::MediaStatus;
use sightline_core::sync::{MediaEdits, MediaView};
use sightline_core::{MediaId, UserId};
use sightline_places::Circle;
use sightline_search::MediaDoc;
use sightline_store::library::{Annotations, Appearance, Person, Place};
use sightline_store::model::{Media, MediaQuery};

/// A page of the library while rebuilding a user's documents.
const REBUILD_PAGE: u32 = 500;

/// Everything about a user's library a document needs besides the item itself.
pub struct UserContext {
    pub people: Vec<Person>,
    pub places: Vec<Place>,
}

impl UserContext {
    pub async fn load(state: &AppState, user: UserId) -> anyhow::Result<Self> {
        let library = &state.backends.library;
        let (people, places) = tokio::try_join!(library.people(user), library.places(user))?;
        Ok(Self { people, places })
    }
}

/// The document of one item; `synced` is its state merged from the devices' edits (its title
/// and tags are words to find it by, its tags things in it too).
pub fn document(
    media: &Media,
    appearances: &[Appearance],
    annotations: Option<&Annotations>,
    synced: Option<&MediaView>,
    context: &UserContext,
) -> MediaDoc {
    let mut people: Vec<_> = appearances.iter().map(|a| a.person_id).collect();
    people.sort();
    people.dedup();
    let place_ids = media
        .location
        .map(|point| places_containing(&context.places, point))
        .unwrap_or_default();

    // Words a user may type that the structured fields do not already answer.
    let mut text: Vec<&str> = Vec::new();
    text.extend(media.filename.as_deref());
    if let Some(view) = synced {
        text.extend(view.title.as_deref());
        text.extend(view.tags.iter().map(String::as_str));
    }
    if let Some(a) = annotations {
        text.extend(a.city.as_deref());
        text.extend(a.region.as_deref());
        text.extend(a.country.as_deref());
        text.extend(a.nearby.iter().map(String::as_str));
    }
    for person in context.people.iter().filter(|p| people.contains(&p.id)) {
        text.push(&person.name);
        text.extend(person.relationship.as_deref());
    }
    for place in context.places.iter().filter(|p| place_ids.contains(&p.id)) {
        text.push(&place.name);
    }
    MediaDoc {
        user: media.user_id,
        media: media.id,
        kind: media.kind,
        captured_at: media.captured_at,
        duration_secs: media.facts.as_ref().and_then(|f| f.duration_secs),
        people,
        city: annotations.and_then(|a| a.city.clone()),
        nearby_cities: annotations.map(|a| a.nearby.clone()).unwrap_or_default(),
        region: annotations.and_then(|a| a.region.clone()),
        country_code: annotations.and_then(|a| a.country_code.clone()),
        place_ids,
        // A user's tags ("beach", "picnic") name what is in the item as a detector would.
        things: synced.map(|view| view.tags.clone()).unwrap_or_default(),
        text: text.join(" "),
        device_id: media.device_id,
    }
}

fn places_containing(places: &[Place], point: GeoPoint) -> Vec<sightline_core::PlaceId> {
    places
        .iter()
        .filter(|p| {
            GeoPoint::new(p.lat, p.lon).is_ok_and(|center| {
                Circle {
                    center,
                    radius_m: p.radius_m,
                }
                .contains(point)
            })
        })
        .map(|p| p.id)
        .collect()
}

/// Brings one item's document up to date: written when the item is ready, removed otherwise
/// (deleted, failed, or not processed yet). Not committed.
pub async fn project_media(state: &AppState, user: UserId, id: MediaId) -> anyhow::Result<()> {
    let search = &state.search;
    let Some(media) = state.backends.metadata.media(user, id).await? else {
        return Ok(search.delete(user, id).await?);
    };
    if media.status != MediaStatus::Ready {
        return Ok(search.delete(user, id).await?);
    }
    let context = UserContext::load(state, user).await?;
    let library = &state.backends.library;
    let ids = [id];
    let (appearances, annotations, synced) = tokio::try_join!(
        library.appearances_in(user, id),
        library.annotations(user, id),
        state.backends.sync.synced(user, &ids),
    )?;
    let view = synced.get(&id).map(MediaEdits::visible);
    let doc = document(
        &media,
        &appearances,
        annotations.as_ref(),
        view.as_ref(),
        &context,
    );
    Ok(search.upsert(vec![doc]).await?)
}

/// Rewrites every document of a user. Not committed.
pub async fn project_user(state: &AppState, user: UserId) -> anyhow::Result<u64> {
    let search = &state.search;
    search.delete_user(user).await?;
    let context = UserContext::load(state, user).await?;
    let library = &state.backends.library;
    let mut query = MediaQuery {
        status: Some(MediaStatus::Ready),
        limit: REBUILD_PAGE,
        ..Default::default()
    };
    let mut written = 0;
    loop {
        let page = state.backends.metadata.list_media(user, &query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(sightline_store::model::MediaCursor {
            captured_at_ms: last.captured_at.timestamp_millis(),
            id: last.id,
        });
        let ids: Vec<MediaId> = page.iter().map(|m| m.id).collect();
        let synced = state.backends.sync.synced(user, &ids).await?;
        let mut docs = Vec::with_capacity(page.len());
        for media in &page {
            let (appearances, annotations) = tokio::try_join!(
                library.appearances_in(user, media.id),
                library.annotations(user, media.id)
            )?;
            let view = synced.get(&media.id).map(MediaEdits::visible);
            docs.push(document(
                media,
                &appearances,
                annotations.as_ref(),
                view.as_ref(),
                &context,
            ));
        }
        written += docs.len() as u64;
        search.upsert(docs).await?;
        if page.len() < REBUILD_PAGE as usize {
            break;
        }
    }
    Ok(written)
}

/// Clears the index and projects every user's library again; returns the documents written.
pub async fn rebuild(state: &AppState) -> anyhow::Result<u64> {
    let search = &state.search;
    search
        .clear()
        .await
        .context("cannot clear the search index")?;
    let mut written = 0;
    for user in state.backends.library.users_with_media().await? {
        written += project_user(state, user).await?;
    }
    search.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use sightline_core::media::MediaKind;
    use sightline_core::{PersonId, PlaceId};

    fn media_at(point: Option<GeoPoint>) -> Media {
        let user = UserId::new_random();
        Media {
            id: MediaId::new_random(),
            user_id: user,
            kind: MediaKind::Video,
            status: MediaStatus::Ready,
            failure_reason: None,
            filename: Some("beach.mp4".into()),
            device_id: None,
            captured_at: Utc::now(),
            captured_at_from_client: true,
            location: point,
            size_bytes: 1,
            raw_key: "raw/x".into(),
            facts: None,
            thumbnail_key: None,
            preview_key: None,
            rendition_key: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn document_carries_people_places_and_words() {
        let home = Place {
            id: PlaceId::new_random(),
            name: "home".into(),
            lat: 48.8566,
            lon: 2.3522,
            radius_m: 200.0,
            created_at: Utc::now(),
        };
        let far = Place {
            id: PlaceId::new_random(),
            name: "office".into(),
            lat: 48.9,
            lon: 2.4,
            radius_m: 200.0,
            created_at: Utc::now(),
        };
        let anna = Person {
            id: PersonId::new_random(),
            name: "Anna".into(),
            relationship: Some("wife".into()),
            is_me: false,
            birthday: None,
            created_at: Utc::now(),
        };
        let media = media_at(GeoPoint::new(48.8567, 2.3523).ok());
        let seen = |start| Appearance {
            id: 1,
            media_id: media.id,
            person_id: anna.id,
            start_secs: start,
            end_secs: start.map(|s| s + 2.0),
            created_at: Utc::now(),
        };
        let annotations = Annotations {
            city: Some("Paris".into()),
            country: Some("France".into()),
            country_code: Some("FR".into()),
            ..Default::default()
        };
        let context = UserContext {
            people: vec![anna.clone()],
            places: vec![home.clone(), far],
        };
        let synced = MediaView {
            title: Some("Picnic by the canal".into()),
            tags: vec!["sunset".into()],
            ..Default::default()
        };
        let doc = document(
            &media,
            &[seen(None), seen(Some(3.0))],
            Some(&annotations),
            Some(&synced),
            &context,
        );
        assert_eq!(doc.people, [anna.id], "one entry per person");
        assert_eq!(doc.things, ["sunset"], "tags count as things");
        assert_eq!(doc.place_ids, [home.id]);
        assert_eq!(doc.city.as_deref(), Some("Paris"));
        let words = [
            "beach.mp4",
            "Paris",
            "France",
            "Anna",
            "wife",
            "home",
            "canal",
            "sunset",
        ];
        for word in words {
            assert!(
                doc.text.contains(word),
                "{word} missing from {:?}",
                doc.text
            );
        }
        assert!(!doc.text.contains("office"));
    }
}
