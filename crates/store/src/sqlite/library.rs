use super::bus::insert_events;
use super::metadata::to_json;
use super::rows::{parse, time};
use super::{SqliteStore, millis};
use crate::error::{Result, StoreError};
use crate::library::*;
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use sightline_core::event::NewEvent;
use sightline_core::{MediaId, MemoryId, PersonId, PlaceId, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

fn person(row: &SqliteRow) -> Result<Person> {
    let birthday: Option<String> = row.try_get("birthday")?;
    Ok(Person {
        id: parse(&row.try_get::<String, _>("id")?, "person id")?,
        name: row.try_get("name")?,
        relationship: row.try_get("relationship")?,
        is_me: row.try_get::<i64, _>("is_me")? != 0,
        birthday: birthday
            .map(|b| parse::<NaiveDate>(&b, "birthday"))
            .transpose()?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn appearance(row: &SqliteRow) -> Result<Appearance> {
    Ok(Appearance {
        id: row.try_get("id")?,
        media_id: parse(&row.try_get::<String, _>("media_id")?, "media id")?,
        person_id: parse(&row.try_get::<String, _>("person_id")?, "person id")?,
        start_secs: row.try_get("start_secs")?,
        end_secs: row.try_get("end_secs")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn place(row: &SqliteRow) -> Result<Place> {
    Ok(Place {
        id: parse(&row.try_get::<String, _>("id")?, "place id")?,
        name: row.try_get("name")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        radius_m: row.try_get("radius_m")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn json_value(text: Option<String>, what: &str) -> Result<serde_json::Value> {
    match text {
        None => Ok(serde_json::Value::Null),
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
        }
    }
}

fn memory(row: &SqliteRow) -> Result<Memory> {
    let status: String = row.try_get("status")?;
    Ok(Memory {
        id: parse(&row.try_get::<String, _>("id")?, "memory id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        query: row.try_get("query")?,
        cache_key: row.try_get("cache_key")?,
        understood: json_value(row.try_get("understood")?, "understood")?,
        max_duration_secs: row.try_get::<i64, _>("max_duration_secs")?.max(0) as u32,
        library_version: row.try_get("library_version")?,
        status: MemoryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("memory status {status:?}")))?,
        reason: row.try_get("reason")?,
        clips: json_value(row.try_get("clips")?, "clips")?,
        video_key: row.try_get("video_key")?,
        thumbnail_key: row.try_get("thumbnail_key")?,
        duration_secs: row.try_get("duration_secs")?,
        render_ms: row.try_get("render_ms")?,
        created_at: time(row.try_get("created_at")?)?,
        updated_at: time(row.try_get("updated_at")?)?,
    })
}

fn nearby(text: Option<String>) -> Result<Vec<String>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("nearby: {e}")))
        }
    }
}

/// Deletes the user's row `id` of `table` (a constant of this module, never input) with its
/// events, in one transaction; returns whether it existed.
async fn delete_owned(
    store: &SqliteStore,
    table: &'static str,
    user: UserId,
    id: &str,
    events: &[NewEvent],
) -> Result<bool> {
    let mut tx = store.write_tx().await?;
    let deleted = sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ? AND id = ?"))
        .bind(user.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if deleted {
        insert_events(&mut tx, events).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

async fn fetch_person(
    conn: &mut SqliteConnection,
    user: UserId,
    id: PersonId,
) -> Result<Option<Person>> {
    let row = sqlx::query("SELECT * FROM people WHERE user_id = ? AND id = ?")
        .bind(user.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(person).transpose()
}

async fn clear_me(conn: &mut SqliteConnection, user: UserId) -> Result<()> {
    sqlx::query("UPDATE people SET is_me = 0 WHERE user_id = ? AND is_me = 1")
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl LibraryStore for SqliteStore {
    async fn create_person(&self, user: UserId, p: &Person, events: &[NewEvent]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO people (user_id, id, name, relationship, is_me, birthday, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.to_string())
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(&p.relationship)
        .bind(p.is_me as i64)
        .bind(p.birthday.map(|b| b.to_string()))
        .bind(millis(p.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("another person is already marked as you".into())
            } else {
                e.into()
            }
        })?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn people(&self, user: UserId) -> Result<Vec<Person>> {
        let rows = sqlx::query("SELECT * FROM people WHERE user_id = ? ORDER BY name, id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(person).collect()
    }

    async fn person(&self, user: UserId, id: PersonId) -> Result<Option<Person>> {
        let mut conn = self.pool.acquire().await?;
        fetch_person(&mut conn, user, id).await
    }

    async fn update_person(
        &self,
        user: UserId,
        id: PersonId,
        patch: &PersonPatch,
        events: &[NewEvent],
    ) -> Result<Option<Person>> {
        let mut tx = self.write_tx().await?;
        let Some(mut p) = fetch_person(&mut tx, user, id).await? else {
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
            if is_me && !p.is_me {
                clear_me(&mut tx, user).await?;
            }
            p.is_me = is_me;
        }
        sqlx::query(
            "UPDATE people SET name = ?, relationship = ?, is_me = ?, birthday = ? \
             WHERE user_id = ? AND id = ?",
        )
        .bind(&p.name)
        .bind(&p.relationship)
        .bind(p.is_me as i64)
        .bind(p.birthday.map(|b| b.to_string()))
        .bind(user.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(Some(p))
    }

    async fn delete_person(&self, user: UserId, id: PersonId, events: &[NewEvent]) -> Result<bool> {
        delete_owned(self, "people", user, &id.to_string(), events).await
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
        let mut tx = self.write_tx().await?;
        let (Some(mut keep), Some(gone)) = (
            fetch_person(&mut tx, user, kept).await?,
            fetch_person(&mut tx, user, merged).await?,
        ) else {
            return Ok(None);
        };
        // Move appearances the kept person does not already have.
        sqlx::query(
            "UPDATE appearances SET person_id = ?1 WHERE user_id = ?2 AND person_id = ?3 \
             AND NOT EXISTS (SELECT 1 FROM appearances k WHERE k.user_id = ?2 AND k.person_id = ?1 \
               AND k.media_id = appearances.media_id \
               AND k.start_secs IS appearances.start_secs AND k.end_secs IS appearances.end_secs)",
        )
        .bind(kept.to_string())
        .bind(user.to_string())
        .bind(merged.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM people WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(merged.to_string())
            .execute(&mut *tx)
            .await?;
        keep.is_me |= gone.is_me;
        keep.relationship = keep.relationship.or(gone.relationship);
        keep.birthday = keep.birthday.or(gone.birthday);
        sqlx::query(
            "UPDATE people SET relationship = ?, is_me = ?, birthday = ? WHERE user_id = ? AND id = ?",
        )
        .bind(&keep.relationship)
        .bind(keep.is_me as i64)
        .bind(keep.birthday.map(|b| b.to_string()))
        .bind(user.to_string())
        .bind(kept.to_string())
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(Some(keep))
    }

    async fn add_appearance(
        &self,
        user: UserId,
        a: &NewAppearance,
        events: &[NewEvent],
    ) -> Result<Appearance> {
        let mut tx = self.write_tx().await?;
        let media_exists = sqlx::query("SELECT 1 FROM media WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(a.media_id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !media_exists || fetch_person(&mut tx, user, a.person_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(
            "INSERT INTO appearances (user_id, media_id, person_id, start_secs, end_secs, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(user.to_string())
        .bind(a.media_id.to_string())
        .bind(a.person_id.to_string())
        .bind(a.start_secs)
        .bind(a.end_secs)
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        appearance(&row)
    }

    async fn remove_appearance(
        &self,
        user: UserId,
        id: i64,
        events: &[NewEvent],
    ) -> Result<Option<Appearance>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("DELETE FROM appearances WHERE user_id = ? AND id = ? RETURNING *")
            .bind(user.to_string())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if row.is_some() {
            insert_events(&mut tx, events).await?;
        }
        tx.commit().await?;
        row.as_ref().map(appearance).transpose()
    }

    async fn appearances_in(&self, user: UserId, media: MediaId) -> Result<Vec<Appearance>> {
        let rows = sqlx::query(
            "SELECT * FROM appearances WHERE user_id = ? AND media_id = ? ORDER BY start_secs, id",
        )
        .bind(user.to_string())
        .bind(media.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(appearance).collect()
    }

    async fn media_with(&self, user: UserId, person: PersonId) -> Result<Vec<MediaId>> {
        let rows = sqlx::query(
            "SELECT DISTINCT media_id FROM appearances WHERE user_id = ? AND person_id = ?",
        )
        .bind(user.to_string())
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse(&r.try_get::<String, _>("media_id")?, "media id"))
            .collect()
    }

    async fn create_place(&self, user: UserId, p: &Place, events: &[NewEvent]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO places (user_id, id, name, lat, lon, radius_m, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.to_string())
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.radius_m)
        .bind(millis(p.created_at))
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn places(&self, user: UserId) -> Result<Vec<Place>> {
        let rows = sqlx::query("SELECT * FROM places WHERE user_id = ? ORDER BY name, id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(place).collect()
    }

    async fn delete_place(&self, user: UserId, id: PlaceId, events: &[NewEvent]) -> Result<bool> {
        delete_owned(self, "places", user, &id.to_string(), events).await
    }

    async fn set_annotations(&self, user: UserId, media: MediaId, a: &Annotations) -> Result<()> {
        let _turn = self.write_turn().await;
        let result = sqlx::query(
            "INSERT INTO annotations (user_id, media_id, city, region, country_code, country, nearby, interest, updated_at) \
             SELECT user_id, id, ?, ?, ?, ?, ?, ?, ? FROM media WHERE user_id = ? AND id = ? \
             ON CONFLICT (user_id, media_id) DO UPDATE SET city = excluded.city, region = excluded.region, \
               country_code = excluded.country_code, country = excluded.country, nearby = excluded.nearby, \
               interest = excluded.interest, updated_at = excluded.updated_at",
        )
        .bind(&a.city)
        .bind(&a.region)
        .bind(&a.country_code)
        .bind(&a.country)
        .bind(to_json(&a.nearby)?)
        .bind(&a.interest)
        .bind(millis(Utc::now()))
        .bind(user.to_string())
        .bind(media.to_string())
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn annotations(&self, user: UserId, media: MediaId) -> Result<Option<Annotations>> {
        let row = sqlx::query("SELECT * FROM annotations WHERE user_id = ? AND media_id = ?")
            .bind(user.to_string())
            .bind(media.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Annotations {
                city: r.try_get("city")?,
                region: r.try_get("region")?,
                country_code: r.try_get("country_code")?,
                country: r.try_get("country")?,
                nearby: nearby(r.try_get("nearby")?)?,
                interest: r.try_get("interest")?,
            })
        })
        .transpose()
    }

    async fn place_names(&self, user: UserId) -> Result<Vec<Annotations>> {
        let rows = sqlx::query(
            "SELECT DISTINCT city, region, country_code, country, nearby FROM annotations \
             WHERE user_id = ? AND country_code IS NOT NULL",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Annotations {
                    city: r.try_get("city")?,
                    region: r.try_get("region")?,
                    country_code: r.try_get("country_code")?,
                    country: r.try_get("country")?,
                    nearby: nearby(r.try_get("nearby")?)?,
                    interest: None,
                })
            })
            .collect()
    }

    async fn users_with_media(&self) -> Result<Vec<UserId>> {
        let rows = sqlx::query("SELECT DISTINCT user_id FROM media ORDER BY user_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| parse(&r.try_get::<String, _>("user_id")?, "user id"))
            .collect()
    }

    async fn library_version(&self, user: UserId) -> Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM library_versions WHERE user_id = ?")
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }

    async fn insert_memory(&self, m: &Memory, events: &[NewEvent]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO memories (user_id, id, query, cache_key, understood, max_duration_secs, \
             library_version, status, reason, clips, video_key, thumbnail_key, duration_secs, \
             render_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.user_id.to_string())
        .bind(m.id.to_string())
        .bind(&m.query)
        .bind(&m.cache_key)
        .bind(to_json(&m.understood)?)
        .bind(m.max_duration_secs as i64)
        .bind(m.library_version)
        .bind(m.status.as_str())
        .bind(&m.reason)
        .bind(to_json(&m.clips)?)
        .bind(&m.video_key)
        .bind(&m.thumbnail_key)
        .bind(m.duration_secs)
        .bind(m.render_ms)
        .bind(millis(m.created_at))
        .bind(millis(m.updated_at))
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>> {
        let row = sqlx::query("SELECT * FROM memories WHERE user_id = ? AND id = ?")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(memory).transpose()
    }

    async fn memories(&self, user: UserId, limit: u32) -> Result<Vec<Memory>> {
        let rows = sqlx::query(
            "SELECT * FROM memories WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ?",
        )
        .bind(user.to_string())
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(memory).collect()
    }

    async fn cached_memory(
        &self,
        user: UserId,
        cache_key: &str,
        library_version: i64,
    ) -> Result<Option<Memory>> {
        let row = sqlx::query(
            "SELECT * FROM memories WHERE user_id = ? AND cache_key = ? AND library_version = ? \
             AND status != 'failed' ORDER BY created_at DESC LIMIT 1",
        )
        .bind(user.to_string())
        .bind(cache_key)
        .bind(library_version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(memory).transpose()
    }

    async fn update_memory(
        &self,
        user: UserId,
        id: MemoryId,
        u: &MemoryUpdate,
        events: &[NewEvent],
    ) -> Result<Option<Memory>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "UPDATE memories SET status = ?, reason = ?, clips = ?, video_key = ?, thumbnail_key = ?, \
             duration_secs = ?, render_ms = ?, updated_at = ? WHERE user_id = ? AND id = ? RETURNING *",
        )
        .bind(u.status.as_str())
        .bind(&u.reason)
        .bind(to_json(&u.clips)?)
        .bind(&u.video_key)
        .bind(&u.thumbnail_key)
        .bind(u.duration_secs)
        .bind(u.render_ms)
        .bind(millis(Utc::now()))
        .bind(user.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            insert_events(&mut tx, events).await?;
        }
        tx.commit().await?;
        row.as_ref().map(memory).transpose()
    }

    async fn delete_memory(&self, user: UserId, id: MemoryId) -> Result<Option<Memory>> {
        let _turn = self.write_turn().await;
        let row = sqlx::query("DELETE FROM memories WHERE user_id = ? AND id = ? RETURNING *")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(memory).transpose()
    }
}
