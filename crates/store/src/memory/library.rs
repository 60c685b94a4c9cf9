use super::MemoryStore;
use crate::error::{Result, StoreError};
use crate::library::*;
use async_trait::async_trait;
use chrono::Utc;
use sightline_core::event::NewEvent;
use sightline_core::{MediaId, MemoryId, PersonId, PlaceId, UserId};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub(super) struct LibraryState {
    people: HashMap<(UserId, PersonId), Person>,
    appearances: BTreeMap<i64, (UserId, Appearance)>,
    places: HashMap<(UserId, PlaceId), Place>,
    annotations: HashMap<(UserId, MediaId), Annotations>,
    memories: HashMap<(UserId, MemoryId), Memory>,
    versions: HashMap<UserId, i64>,
}

impl LibraryState {
    pub(super) fn bump(&mut self, user: UserId) {
        *self.versions.entry(user).or_default() += 1;
    }

    /// What deleting a media row cascades to.
    pub(super) fn forget_media(&mut self, user: UserId, media: MediaId) {
        self.appearances
            .retain(|_, (u, a)| !(*u == user && a.media_id == media));
        self.annotations.remove(&(user, media));
        self.bump(user);
    }

    fn clear_me(&mut self, user: UserId) {
        for ((u, _), p) in self.people.iter_mut() {
            if *u == user {
                p.is_me = false;
            }
        }
    }

    fn has_me(&self, user: UserId) -> bool {
        self.people.iter().any(|((u, _), p)| *u == user && p.is_me)
    }
}

#[async_trait]
impl LibraryStore for MemoryStore {
    async fn create_person(&self, user: UserId, p: &Person, events: &[NewEvent]) -> Result<()> {
        let mut state = self.lock()?;
        if p.is_me && state.library.has_me(user) {
            return Err(StoreError::Conflict(
                "another person is already marked as you".into(),
            ));
        }
        state.library.people.insert((user, p.id), p.clone());
        state.library.bump(user);
        state.insert_events(events);
        Ok(())
    }

    async fn people(&self, user: UserId) -> Result<Vec<Person>> {
        let state = self.lock()?;
        let mut people: Vec<Person> = state
            .library
            .people
            .iter()
            .filter(|((u, _), _)| *u == user)
            .map(|(_, p)| p.clone())
            .collect();
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(people)
    }

    async fn person(&self, user: UserId, id: PersonId) -> Result<Option<Person>> {
        Ok(self.lock()?.library.people.get(&(user, id)).cloned())
    }

    async fn update_person(
        &self,
        user: UserId,
        id: PersonId,
        patch: &PersonPatch,
        events: &[NewEvent],
    ) -> Result<Option<Person>> {
        let mut state = self.lock()?;
        if !state.library.people.contains_key(&(user, id)) {
            return Ok(None);
        }
        if patch.is_me == Some(true) {
            state.library.clear_me(user);
        }
        let Some(p) = state.library.people.get_mut(&(user, id)) else {
            return Ok(None);
        };
        if let Some(name) = &patch.name {
            p.name = name.clone();
        }
        if let Some(relationship) = &patch.relationship {
            p.relationship = relationship.clone();
        }
        if let Some(birthday) = patch.birthday {
            p.birthday = birthday;
        }
        if let Some(is_me) = patch.is_me {
            p.is_me = is_me;
        }
        let updated = p.clone();
        state.library.bump(user);
        state.insert_events(events);
        Ok(Some(updated))
    }

    async fn delete_person(&self, user: UserId, id: PersonId, events: &[NewEvent]) -> Result<bool> {
        let mut state = self.lock()?;
        if state.library.people.remove(&(user, id)).is_none() {
            return Ok(false);
        }
        state
            .library
            .appearances
            .retain(|_, (u, a)| !(*u == user && a.person_id == id));
        state.library.bump(user);
        state.insert_events(events);
        Ok(true)
    }

    async fn merge_people(
        &self,
        user: UserId,
        kept: PersonId,
        merged: PersonId,
        events: &[NewEvent],
    ) -> Result<Option<Person>> {
        if kept == merged {
            return Err(StoreError::Conflict(
                "cannot merge a person into itself".into(),
            ));
        }
        let mut state = self.lock()?;
        let lib = &mut state.library;
        if !lib.people.contains_key(&(user, kept)) {
            return Ok(None);
        }
        let Some(gone) = lib.people.remove(&(user, merged)) else {
            return Ok(None);
        };
        let kept_spans: Vec<(MediaId, Option<f64>, Option<f64>)> = lib
            .appearances
            .values()
            .filter(|(u, a)| *u == user && a.person_id == kept)
            .map(|(_, a)| (a.media_id, a.start_secs, a.end_secs))
            .collect();
        lib.appearances.retain(|_, (u, a)| {
            !(*u == user
                && a.person_id == merged
                && kept_spans.contains(&(a.media_id, a.start_secs, a.end_secs)))
        });
        for (u, a) in lib.appearances.values_mut() {
            if *u == user && a.person_id == merged {
                a.person_id = kept;
            }
        }
        let Some(keep) = lib.people.get_mut(&(user, kept)) else {
            return Ok(None);
        };
        keep.is_me |= gone.is_me;
        keep.relationship = keep.relationship.take().or(gone.relationship);
        keep.birthday = keep.birthday.or(gone.birthday);
        let result = keep.clone();
        lib.bump(user);
        state.insert_events(events);
        Ok(Some(result))
    }

    async fn add_appearance(
        &self,
        user: UserId,
        a: &NewAppearance,
        events: &[NewEvent],
    ) -> Result<Appearance> {
        let mut state = self.lock()?;
        if !state.media.contains_key(&(user, a.media_id))
            || !state.library.people.contains_key(&(user, a.person_id))
        {
            return Err(StoreError::NotFound);
        }
        let id = state
            .library
            .appearances
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            + 1;
        let appearance = Appearance {
            id,
            media_id: a.media_id,
            person_id: a.person_id,
            start_secs: a.start_secs,
            end_secs: a.end_secs,
            created_at: Utc::now(),
        };
        state
            .library
            .appearances
            .insert(id, (user, appearance.clone()));
        state.library.bump(user);
        state.insert_events(events);
        Ok(appearance)
    }

    async fn remove_appearance(
        &self,
        user: UserId,
        id: i64,
        events: &[NewEvent],
    ) -> Result<Option<Appearance>> {
        let mut state = self.lock()?;
        match state.library.appearances.get(&id) {
            Some((u, _)) if *u == user => {}
            _ => return Ok(None),
        }
        let removed = state.library.appearances.remove(&id).map(|(_, a)| a);
        state.library.bump(user);
        state.insert_events(events);
        Ok(removed)
    }

    async fn appearances_in(&self, user: UserId, media: MediaId) -> Result<Vec<Appearance>> {
        let state = self.lock()?;
        let mut found: Vec<Appearance> = state
            .library
            .appearances
            .values()
            .filter(|(u, a)| *u == user && a.media_id == media)
            .map(|(_, a)| a.clone())
            .collect();
        found.sort_by(|a, b| {
            a.start_secs
                .partial_cmp(&b.start_secs)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.id.cmp(&b.id))
        });
        Ok(found)
    }

    async fn media_with(&self, user: UserId, person: PersonId) -> Result<Vec<MediaId>> {
        let state = self.lock()?;
        let mut media: Vec<MediaId> = state
            .library
            .appearances
            .values()
            .filter(|(u, a)| *u == user && a.person_id == person)
            .map(|(_, a)| a.media_id)
            .collect();
        media.sort();
        media.dedup();
        Ok(media)
    }

    async fn create_place(&self, user: UserId, p: &Place, events: &[NewEvent]) -> Result<()> {
        let mut state = self.lock()?;
        state.library.places.insert((user, p.id), p.clone());
        state.library.bump(user);
        state.insert_events(events);
        Ok(())
    }

    async fn places(&self, user: UserId) -> Result<Vec<Place>> {
        let state = self.lock()?;
        let mut places: Vec<Place> = state
            .library
            .places
            .iter()
            .filter(|((u, _), _)| *u == user)
            .map(|(_, p)| p.clone())
            .collect();
        places.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(places)
    }

    async fn delete_place(&self, user: UserId, id: PlaceId, events: &[NewEvent]) -> Result<bool> {
        let mut state = self.lock()?;
        if state.library.places.remove(&(user, id)).is_none() {
            return Ok(false);
        }
        state.library.bump(user);
        state.insert_events(events);
        Ok(true)
    }

    async fn set_annotations(&self, user: UserId, media: MediaId, a: &Annotations) -> Result<()> {
        let mut state = self.lock()?;
        if !state.media.contains_key(&(user, media)) {
            return Err(StoreError::NotFound);
        }
        state.library.annotations.insert((user, media), a.clone());
        state.library.bump(user);
        Ok(())
    }

    async fn annotations(&self, user: UserId, media: MediaId) -> Result<Option<Annotations>> {
        Ok(self
            .lock()?
            .library
            .annotations
            .get(&(user, media))
            .cloned())
    }

    async fn place_names(&self, user: UserId) -> Result<Vec<Annotations>> {
        let state = self.lock()?;
        let mut names: Vec<Annotations> = Vec::new();
        for ((u, _), a) in &state.library.annotations {
            let name = Annotations {
                interest: None,
                ..a.clone()
            };
            if *u == user && a.country_code.is_some() && !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    async fn users_with_media(&self) -> Result<Vec<UserId>> {
        let state = self.lock()?;
        let mut users: Vec<UserId> = state.media.keys().map(|(u, _)| *u).collect();
        users.sort();
        users.dedup();
        Ok(users)
    }

    async fn library_version(&self, user: UserId) -> Result<i64> {
        Ok(self
            .lock()?
            .library
            .versions
            .get(&user)
            .copied()
            .unwrap_or(0))
    }

    async fn insert_memory(&self, m: &Memory, events: &[NewEvent]) -> Result<()> {
        let mut state = self.lock()?;
        state.library.memories.insert((m.user_id, m.id), m.clone());
        state.insert_events(events);
        Ok(())
    }

    async fn memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>> {
        Ok(self.lock()?.library.memories.get(&(user, id)).cloned())
    }

    async fn memories(&self, user: UserId, limit: u32) -> Result<Vec<Memory>> {
        let state = self.lock()?;
        let mut found: Vec<Memory> = state
            .library
            .memories
            .iter()
            .filter(|((u, _), _)| *u == user)
            .map(|(_, m)| m.clone())
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn cached_memory(
        &self,
        user: UserId,
        cache_key: &str,
        library_version: i64,
    ) -> Result<Option<Memory>> {
        let state = self.lock()?;
        Ok(state
            .library
            .memories
            .values()
            .filter(|m| {
                m.user_id == user
                    && m.cache_key == cache_key
                    && m.library_version == library_version
                    && m.status != MemoryStatus::Failed
            })
            .max_by_key(|m| m.created_at)
            .cloned())
    }

    async fn update_memory(
        &self,
        user: UserId,
        id: MemoryId,
        u: &MemoryUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Memory>> {
        let mut state = self.lock()?;
        let Some(m) = state.library.memories.get_mut(&(user, id)) else {
            return Ok(None);
        };
        m.status = u.status;
        m.reason = u.reason.clone();
        m.clips = u.clips.clone();
        m.video_key = u.video_key.clone();
        m.thumbnail_key = u.thumbnail_key.clone();
        m.duration_secs = u.duration_secs;
        m.render_ms = u.render_ms;
        m.updated_at = Utc::now();
        let updated = m.clone();
        state.insert_events(events);
        Ok(Some(updated))
    }

    async fn delete_memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>> {
        Ok(self.lock()?.library.memories.remove(&(user, id)))
    }
}
