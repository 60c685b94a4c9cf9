//! Decoding rows into the model. A row that does not decode is reported, never unwrapped.

use crate::error::{Result, StoreError};
use crate::model::*;
use chrono::{DateTime, Utc};
use sightline_core::geo::GeoPoint;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::str::FromStr;

pub(super) fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms}")))
}

pub(super) fn parse<T: FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

fn opt_parse<T: FromStr>(text: Option<String>, what: &str) -> Result<Option<T>> {
    text.map(|t| parse(&t, what)).transpose()
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn user(row: &SqliteRow) -> Result<User> {
    Ok(User {
        id: parse(&row.try_get::<String, _>("id")?, "user id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

pub(super) fn device(row: &SqliteRow) -> Result<Device> {
    Ok(Device {
        id: parse(&row.try_get::<String, _>("id")?, "device id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        device_type: parse(&row.try_get::<String, _>("device_type")?, "device type")?,
        name: row.try_get("name")?,
        firmware_version: row.try_get("firmware_version")?,
        battery_level: row
            .try_get::<Option<i64>, _>("battery_level")?
            .map(|b| b.clamp(0, 100) as u8),
        connectivity: opt_parse(row.try_get("connectivity")?, "connectivity")?,
        last_sync_at: row
            .try_get::<Option<i64>, _>("last_sync_at")?
            .map(time)
            .transpose()?,
        settings: serde_json::from_str(&row.try_get::<String, _>("settings")?)
            .map_err(|e| StoreError::Corrupt(format!("device settings: {e}")))?,
        settings_version: row.try_get::<i64, _>("settings_version")?.max(0) as u64,
        created_at: time(row.try_get("created_at")?)?,
        last_seen_at: row
            .try_get::<Option<i64>, _>("last_seen_at")?
            .map(time)
            .transpose()?,
        telemetry: row
            .try_get::<Option<String>, _>("telemetry")?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("device telemetry: {e}")))?,
    })
}

pub(super) fn upload(row: &SqliteRow) -> Result<Upload> {
    Ok(Upload {
        id: parse(&row.try_get::<String, _>("id")?, "upload id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        length: row.try_get::<i64, _>("length")? as u64,
        offset: row.try_get::<i64, _>("offset")? as u64,
        media: json(&row.try_get::<String, _>("media")?, "upload media")?,
        created_at: time(row.try_get("created_at")?)?,
        expires_at: time(row.try_get("expires_at")?)?,
        completed: row.try_get::<i64, _>("completed")? != 0,
    })
}

pub(super) fn media(row: &SqliteRow) -> Result<Media> {
    let location = match (
        row.try_get::<Option<f64>, _>("lat")?,
        row.try_get::<Option<f64>, _>("lon")?,
    ) {
        (Some(lat), Some(lon)) => {
            Some(GeoPoint::new(lat, lon).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        }
        _ => None,
    };
    Ok(Media {
        id: parse(&row.try_get::<String, _>("id")?, "media id")?,
        user_id: parse(&row.try_get::<String, _>("user_id")?, "user id")?,
        kind: parse(&row.try_get::<String, _>("kind")?, "kind")?,
        status: parse(&row.try_get::<String, _>("status")?, "status")?,
        failure_reason: row.try_get("failure_reason")?,
        filename: row.try_get("filename")?,
        device_id: opt_parse(row.try_get("device_id")?, "device id")?,
        captured_at: time(row.try_get("captured_at")?)?,
        captured_at_from_client: row.try_get::<i64, _>("captured_at_from_client")? != 0,
        location,
        size_bytes: row.try_get::<i64, _>("size_bytes")? as u64,
        raw_key: row.try_get("raw_key")?,
        facts: row
            .try_get::<Option<String>, _>("facts")?
            .map(|f| json(&f, "media facts"))
            .transpose()?,
        thumbnail_key: row.try_get("thumbnail_key")?,
        preview_key: row.try_get("preview_key")?,
        rendition_key: row.try_get("rendition_key")?,
        created_at: time(row.try_get("created_at")?)?,
        updated_at: time(row.try_get("updated_at")?)?,
    })
}
