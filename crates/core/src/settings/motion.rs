//! Motion detection settings as the owner sets them (`PUT /devices/{id}/settings/motion`, the
//! seed's shape) and what the doorbell agent turns them into: a detector configuration and a
//! schedule. Zone points are **percent** of the frame (0..=100, origin top left) as in the seed;
//! the detector works in fractions, so [`MotionSettings::detector_config`] divides by 100.
//!
//! [`MotionSettings::from_owner`] is strict (unknown fields and wrong types are errors naming
//! the field); plain `Deserialize` is lenient and fills defaults, so an older agent still reads
//! what a newer server sends.

use super::SettingsError;
use crate::motion::{MotionConfig, NormPoint, Polygon, Schedule, ScheduleWindow, Sensitivity};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::ops::RangeInclusive;

/// At most this many detection zones, and as many privacy masks.
pub const MAX_ZONES: usize = 16;
/// Points per zone polygon.
pub const POLYGON_POINTS: RangeInclusive<usize> = 3..=64;
/// Zone ids and names: at most this many characters.
pub const MAX_ZONE_TEXT_CHARS: usize = 64;
/// At most this many schedule windows.
pub const MAX_TIME_WINDOWS: usize = 16;
/// At most this many day names per window (`mon`…`sun`).
pub const MAX_DAYS: usize = 7;
pub const COOLDOWN_SECS: RangeInclusive<u32> = 0..=86_400;

const FIELDS: &[&str] = &[
    "enabled",
    "sensitivity",
    "detection_zones",
    "privacy_masks",
    "ai_detection",
    "notification_cooldown_seconds",
    "schedule",
];
const ZONE_FIELDS: &[&str] = &["zone_id", "name", "polygon", "enabled"];
const POINT_FIELDS: &[&str] = &["x", "y"];
const AI_FIELDS: &[&str] = &[
    "person_detection",
    "vehicle_detection",
    "animal_detection",
    "package_detection",
];
const SCHEDULE_FIELDS: &[&str] = &["enabled", "time_windows"];
const WINDOW_FIELDS: &[&str] = &["start", "end", "days"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MotionSettings {
    pub enabled: bool,
    pub sensitivity: Sensitivity,
    /// Motion counts only inside the enabled zones; none means the whole frame.
    pub detection_zones: Vec<DetectionZone>,
    /// Our extension: motion never counts inside the enabled masks (a neighbour's window).
    pub privacy_masks: Vec<DetectionZone>,
    pub ai_detection: AiDetection,
    pub notification_cooldown_seconds: u32,
    pub schedule: ScheduleSettings,
}

impl Default for MotionSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            sensitivity: Sensitivity::Medium,
            detection_zones: Vec::new(),
            privacy_masks: Vec::new(),
            ai_detection: AiDetection::default(),
            notification_cooldown_seconds: 60,
            schedule: ScheduleSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionZone {
    pub zone_id: String,
    #[serde(default)]
    pub name: String,
    pub polygon: Vec<ZonePoint>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// Percent of the frame's width and height, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZonePoint {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AiDetection {
    pub person_detection: bool,
    pub vehicle_detection: bool,
    pub animal_detection: bool,
    pub package_detection: bool,
}

impl Default for AiDetection {
    fn default() -> Self {
        Self {
            person_detection: true,
            vehicle_detection: false,
            animal_detection: false,
            package_detection: true,
        }
    }
}

impl AiDetection {
    /// Whether any object class is asked for.
    pub fn any(&self) -> bool {
        self.person_detection
            || self.vehicle_detection
            || self.animal_detection
            || self.package_detection
    }
}

/// When detection is armed; disabled (the default) or without windows means always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleSettings {
    pub enabled: bool,
    pub time_windows: Vec<TimeWindow>,
}

/// `"HH:MM"` local times; an end not after the start runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: String,
    pub end: String,
    #[serde(default = "all_days")]
    pub days: Vec<String>,
}

fn yes() -> bool {
    true
}

fn all_days() -> Vec<String> {
    vec!["all".into()]
}

fn invalid(field: &'static str, message: String) -> SettingsError {
    SettingsError::Invalid { field, message }
}

/// `path` and a space, or nothing at the top of a field.
fn lead(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path} ")
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(64).collect()
}

/// An object with only `known` keys.
fn object<'a>(
    field: &'static str,
    path: &str,
    value: &'a Value,
    known: &[&str],
) -> Result<&'a Map<String, Value>, SettingsError> {
    let map = value
        .as_object()
        .ok_or_else(|| invalid(field, format!("{}must be an object", lead(path))))?;
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(invalid(
            field,
            format!(
                "{}has unknown field {:?}; known: {}",
                lead(path),
                excerpt(unknown),
                known.join(", ")
            ),
        ));
    }
    Ok(map)
}

/// The value as a `T`; absent or `null` is `None`.
fn typed<T: DeserializeOwned>(
    field: &'static str,
    path: &str,
    value: Option<&Value>,
    what: &str,
) -> Result<Option<T>, SettingsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => T::deserialize(v)
            .map(Some)
            .map_err(|_| invalid(field, format!("{}must be {what}", lead(path)))),
    }
}

fn required<T>(field: &'static str, path: &str, value: Option<T>) -> Result<T, SettingsError> {
    value.ok_or_else(|| invalid(field, format!("{}is required", lead(path))))
}

/// A list of at most `max` items; absent or `null` is empty. Checked before its items are read.
fn list<'a>(
    field: &'static str,
    path: &str,
    value: Option<&'a Value>,
    max: usize,
    what: &str,
) -> Result<&'a [Value], SettingsError> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.len() <= max => Ok(items),
        Some(Value::Array(_)) => Err(invalid(
            field,
            format!("{}must hold at most {max} {what}", lead(path)),
        )),
        Some(_) => Err(invalid(field, format!("{}must be a list", lead(path)))),
    }
}

fn zones_from(
    field: &'static str,
    value: Option<&Value>,
) -> Result<Vec<DetectionZone>, SettingsError> {
    let items = list(field, "", value, MAX_ZONES, "zones")?;
    let mut zones = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("[{i}]");
        let map = object(field, &at, item, ZONE_FIELDS)?;
        let sub = |key: &str| format!("{at}.{key}");
        let zone_id = typed(field, &sub("zone_id"), map.get("zone_id"), "a string")?;
        let points = list(
            field,
            &sub("polygon"),
            map.get("polygon"),
            *POLYGON_POINTS.end(),
            "points",
        )?;
        let mut polygon = Vec::with_capacity(points.len());
        for (j, point) in points.iter().enumerate() {
            let at = format!("{at}.polygon[{j}]");
            let p = object(field, &at, point, POINT_FIELDS)?;
            let coord = |key: &str| -> Result<f64, SettingsError> {
                let path = format!("{at}.{key}");
                required(
                    field,
                    &path,
                    typed(field, &path, p.get(key), "a number from 0 to 100")?,
                )
            };
            polygon.push(ZonePoint {
                x: coord("x")?,
                y: coord("y")?,
            });
        }
        zones.push(DetectionZone {
            zone_id: required(field, &sub("zone_id"), zone_id)?,
            name: typed(field, &sub("name"), map.get("name"), "a string")?.unwrap_or_default(),
            polygon,
            enabled: typed(field, &sub("enabled"), map.get("enabled"), "true or false")?
                .unwrap_or(true),
        });
    }
    Ok(zones)
}

fn ai_from(value: Option<&Value>) -> Result<AiDetection, SettingsError> {
    let field = "ai_detection";
    let mut ai = AiDetection::default();
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(ai);
    };
    let map = object(field, "", value, AI_FIELDS)?;
    for (key, slot) in [
        ("person_detection", &mut ai.person_detection),
        ("vehicle_detection", &mut ai.vehicle_detection),
        ("animal_detection", &mut ai.animal_detection),
        ("package_detection", &mut ai.package_detection),
    ] {
        if let Some(on) = typed(field, key, map.get(key), "true or false")? {
            *slot = on;
        }
    }
    Ok(ai)
}

fn schedule_from(value: Option<&Value>) -> Result<ScheduleSettings, SettingsError> {
    let field = "schedule";
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(ScheduleSettings::default());
    };
    let map = object(field, "", value, SCHEDULE_FIELDS)?;
    let enabled = typed(field, "enabled", map.get("enabled"), "true or false")?.unwrap_or(false);
    let items = list(
        field,
        "time_windows",
        map.get("time_windows"),
        MAX_TIME_WINDOWS,
        "windows",
    )?;
    let mut time_windows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("time_windows[{i}]");
        let w = object(field, &at, item, WINDOW_FIELDS)?;
        let time = |key: &str| -> Result<String, SettingsError> {
            let path = format!("{at}.{key}");
            let text = typed(field, &path, w.get(key), "a time of day HH:MM")?;
            required(field, &path, text)
        };
        let days_path = format!("{at}.days");
        let days = match w.get("days") {
            None | Some(Value::Null) => all_days(),
            some => list(field, &days_path, some, MAX_DAYS, "days")?
                .iter()
                .map(|d| {
                    d.as_str().map(str::to_string).ok_or_else(|| {
                        invalid(field, format!("{days_path} must be a list of day names"))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        time_windows.push(TimeWindow {
            start: time("start")?,
            end: time("end")?,
            days,
        });
    }
    Ok(ScheduleSettings {
        enabled,
        time_windows,
    })
}

/// Checks one list of zones (or masks): ids, names and polygons.
fn check_zones(field: &'static str, zones: &[DetectionZone]) -> Result<(), SettingsError> {
    if zones.len() > MAX_ZONES {
        return Err(invalid(
            field,
            format!("must hold at most {MAX_ZONES} zones"),
        ));
    }
    let mut ids = HashSet::new();
    for (i, zone) in zones.iter().enumerate() {
        let printable = |text: &str| {
            text.chars().count() <= MAX_ZONE_TEXT_CHARS && !text.chars().any(char::is_control)
        };
        if zone.zone_id.trim().is_empty() || !printable(&zone.zone_id) {
            return Err(invalid(
                field,
                format!("[{i}].zone_id must be 1 to {MAX_ZONE_TEXT_CHARS} printable characters"),
            ));
        }
        if !ids.insert(zone.zone_id.as_str()) {
            return Err(invalid(
                field,
                format!("[{i}].zone_id {:?} is used twice", zone.zone_id),
            ));
        }
        if !printable(&zone.name) {
            return Err(invalid(
                field,
                format!("[{i}].name must be at most {MAX_ZONE_TEXT_CHARS} printable characters"),
            ));
        }
        if !POLYGON_POINTS.contains(&zone.polygon.len()) {
            return Err(invalid(
                field,
                format!(
                    "[{i}].polygon must have {} to {} points",
                    POLYGON_POINTS.start(),
                    POLYGON_POINTS.end()
                ),
            ));
        }
        for (j, p) in zone.polygon.iter().enumerate() {
            for (axis, v) in [("x", p.x), ("y", p.y)] {
                if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                    return Err(invalid(
                        field,
                        format!(
                            "[{i}].polygon[{j}].{axis} must be 0 to 100 (percent of the frame)"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The enabled zones as normalised polygons.
fn polygons(field: &'static str, zones: &[DetectionZone]) -> Result<Vec<Polygon>, SettingsError> {
    zones
        .iter()
        .filter(|z| z.enabled)
        .map(|z| {
            let points = z
                .polygon
                .iter()
                .map(|p| NormPoint {
                    x: p.x / 100.0,
                    y: p.y / 100.0,
                })
                .collect();
            Polygon::new(points).map_err(|e| invalid(field, format!("{:?}: {e}", z.zone_id)))
        })
        .collect()
}

impl ScheduleSettings {
    /// The windows as the detector's, each checked.
    fn windows(&self) -> Result<Vec<ScheduleWindow>, SettingsError> {
        let field = "schedule";
        if self.time_windows.len() > MAX_TIME_WINDOWS {
            return Err(invalid(
                field,
                format!("time_windows must hold at most {MAX_TIME_WINDOWS} windows"),
            ));
        }
        self.time_windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if w.days.is_empty() || w.days.len() > MAX_DAYS {
                    return Err(invalid(
                        field,
                        format!("time_windows[{i}].days must name 1 to {MAX_DAYS} days"),
                    ));
                }
                let days: Vec<&str> = w.days.iter().map(String::as_str).collect();
                ScheduleWindow::parse(&w.start, &w.end, &days)
                    .map_err(|e| invalid(field, format!("time_windows[{i}]: {e}")))
            })
            .collect()
    }
}

impl MotionSettings {
    /// Reads the owner's body: every field optional (defaults as [`Default`]), only known
    /// fields, each of the right type and in range.
    pub fn from_owner(value: &Value) -> Result<Self, SettingsError> {
        let top = value.as_object().ok_or(SettingsError::NotAnObject)?;
        if let Some(unknown) = top.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(
                "motion",
                format!(
                    "unknown field {:?}; known: {}",
                    excerpt(unknown),
                    FIELDS.join(", ")
                ),
            ));
        }
        let defaults = Self::default();
        let cooldown: Option<u64> = typed(
            "notification_cooldown_seconds",
            "",
            top.get("notification_cooldown_seconds"),
            "a whole number of seconds",
        )?;
        let cooldown = match cooldown {
            None => defaults.notification_cooldown_seconds,
            // Out of u32 is out of range too; validate() says so below.
            Some(secs) => u32::try_from(secs).unwrap_or(u32::MAX),
        };
        let settings = Self {
            enabled: typed("enabled", "", top.get("enabled"), "true or false")?
                .unwrap_or(defaults.enabled),
            sensitivity: typed(
                "sensitivity",
                "",
                top.get("sensitivity"),
                "low, medium or high",
            )?
            .unwrap_or(defaults.sensitivity),
            detection_zones: zones_from("detection_zones", top.get("detection_zones"))?,
            privacy_masks: zones_from("privacy_masks", top.get("privacy_masks"))?,
            ai_detection: ai_from(top.get("ai_detection"))?,
            notification_cooldown_seconds: cooldown,
            schedule: schedule_from(top.get("schedule"))?,
        };
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        check_zones("detection_zones", &self.detection_zones)?;
        check_zones("privacy_masks", &self.privacy_masks)?;
        if !COOLDOWN_SECS.contains(&self.notification_cooldown_seconds) {
            return Err(invalid(
                "notification_cooldown_seconds",
                format!(
                    "must be {} to {} seconds",
                    COOLDOWN_SECS.start(),
                    COOLDOWN_SECS.end()
                ),
            ));
        }
        self.schedule.windows()?;
        Ok(())
    }

    /// Detector config: sensitivity + enabled zones/masks converted to normalised core Polygons
    /// (percent/100). Disabled zones are left out; with no enabled zone the whole frame counts.
    /// Whether detection runs at all is [`Self::enabled`], the caller's to check.
    pub fn detector_config(&self) -> Result<MotionConfig, SettingsError> {
        check_zones("detection_zones", &self.detection_zones)?;
        check_zones("privacy_masks", &self.privacy_masks)?;
        Ok(MotionConfig {
            zones: polygons("detection_zones", &self.detection_zones)?,
            privacy_masks: polygons("privacy_masks", &self.privacy_masks)?,
            ..MotionConfig::with_sensitivity(self.sensitivity)
        })
    }

    /// None when the schedule is disabled or has no windows (= always on).
    pub fn schedule(&self) -> Result<Option<Schedule>, SettingsError> {
        let windows = self.schedule.windows()?;
        if !self.schedule.enabled || windows.is_empty() {
            return Ok(None);
        }
        Ok(Some(Schedule {
            enabled: true,
            windows,
        }))
    }
}

#[cfg(test)]
#[path = "motion_tests.rs"]
mod tests;
