//! Settings the owner sets for a device from the app and the server pushes down the device's
//! channel. Every field is optional: an absent one leaves the agent's own configuration.

mod motion;

use crate::recording::RecordingMode;
pub use motion::{
    AiDetection, COOLDOWN_SECS, DetectionZone, MAX_DAYS, MAX_TIME_WINDOWS, MAX_ZONE_TEXT_CHARS,
    MAX_ZONES, MotionSettings, POLYGON_POINTS, ScheduleSettings, TimeWindow, ZonePoint,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The device agent's settings. The server accepts only the fields named here (a typo is an
/// error, not a silently ignored key); the agent ignores fields it does not know yet, so an
/// older agent keeps working with a newer server.
// Not `Eq`: motion zones hold floating-point coordinates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentSettings {
    /// Local storage quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_bytes: Option<u64>,
    /// Video bitrate at full power (lower power modes scale it down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_kbps: Option<u32>,
    /// How often the device reports telemetry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry_secs: Option<u32>,
    /// Doorbell motion detection (`PUT /devices/{id}/settings/motion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<MotionSettings>,
    /// Doorbell recording: `event_only`, `24_7` (kept on the device) or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_mode: Option<RecordingMode>,
}

pub const MIN_QUOTA_BYTES: u64 = 64 << 20;
pub const MAX_QUOTA_BYTES: u64 = 16 << 40;
pub const VIDEO_KBPS: std::ops::RangeInclusive<u32> = 200..=50_000;
pub const TELEMETRY_SECS: std::ops::RangeInclusive<u32> = 5..=3600;
const FIELDS: &[&str] = &[
    "quota_bytes",
    "video_kbps",
    "telemetry_secs",
    "motion",
    "recording_mode",
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    #[error("settings must be a JSON object")]
    NotAnObject,
    #[error("unknown setting \"{0}\"; known: {known}", known = FIELDS.join(", "))]
    Unknown(String),
    #[error("setting {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl AgentSettings {
    /// Reads settings from the app: only known fields, each in range.
    pub fn from_owner(value: &serde_json::Value) -> Result<Self, SettingsError> {
        let object = value.as_object().ok_or(SettingsError::NotAnObject)?;
        if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(SettingsError::Unknown(unknown.chars().take(64).collect()));
        }
        let number = |field: &'static str| -> Result<Option<u64>, SettingsError> {
            match object.get(field) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| SettingsError::Invalid {
                    field,
                    message: "must be a whole number of zero or more".into(),
                }),
            }
        };
        let small = |field: &'static str| -> Result<Option<u32>, SettingsError> {
            number(field)?
                .map(|n| {
                    u32::try_from(n).map_err(|_| SettingsError::Invalid {
                        field,
                        message: "is too large".into(),
                    })
                })
                .transpose()
        };
        let settings = Self {
            quota_bytes: number("quota_bytes")?,
            video_kbps: small("video_kbps")?,
            telemetry_secs: small("telemetry_secs")?,
            motion: match object.get("motion") {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(MotionSettings::from_owner(v).map_err(under_motion)?),
            },
            recording_mode: match object.get("recording_mode") {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(
                    v.as_str()
                        .ok_or_else(|| SettingsError::Invalid {
                            field: "recording_mode",
                            message: "must be event_only, 24_7 or off".into(),
                        })?
                        .parse::<RecordingMode>()
                        .map_err(|e| SettingsError::Invalid {
                            field: "recording_mode",
                            message: e.to_string(),
                        })?,
                ),
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        let out_of = |field: &'static str, range: String| SettingsError::Invalid {
            field,
            message: format!("must be {range}"),
        };
        if let Some(q) = self.quota_bytes
            && !(MIN_QUOTA_BYTES..=MAX_QUOTA_BYTES).contains(&q)
        {
            return Err(out_of("quota_bytes", "64 MiB to 16 TiB".into()));
        }
        if let Some(k) = self.video_kbps
            && !VIDEO_KBPS.contains(&k)
        {
            return Err(out_of(
                "video_kbps",
                format!("{} to {}", VIDEO_KBPS.start(), VIDEO_KBPS.end()),
            ));
        }
        if let Some(s) = self.telemetry_secs
            && !TELEMETRY_SECS.contains(&s)
        {
            return Err(out_of(
                "telemetry_secs",
                format!(
                    "{} to {} seconds",
                    TELEMETRY_SECS.start(),
                    TELEMETRY_SECS.end()
                ),
            ));
        }
        if let Some(motion) = &self.motion {
            motion.validate().map_err(under_motion)?;
        }
        Ok(())
    }
}

/// A motion settings error as one of the whole settings: `motion` is the field, the motion
/// field it was about leads the message.
fn under_motion(e: SettingsError) -> SettingsError {
    let message = match e {
        SettingsError::NotAnObject => "must be a JSON object".into(),
        SettingsError::Unknown(key) => format!("unknown field {key:?}"),
        SettingsError::Invalid {
            field: "motion",
            message,
        } => message,
        SettingsError::Invalid { field, message } if message.starts_with('[') => {
            format!("{field}{message}")
        }
        SettingsError::Invalid { field, message } => format!("{field} {message}"),
    };
    SettingsError::Invalid {
        field: "motion",
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_owner_may_set_known_fields_in_range() {
        let s = AgentSettings::from_owner(&json!({"quota_bytes": 1u64 << 30, "video_kbps": 2500}));
        assert_eq!(
            s,
            Ok(AgentSettings {
                quota_bytes: Some(1 << 30),
                video_kbps: Some(2500),
                telemetry_secs: None,
                motion: None,
                recording_mode: None,
            })
        );
        assert_eq!(
            AgentSettings::from_owner(&json!({"telemetry_secs": null})),
            Ok(AgentSettings::default())
        );
    }

    #[test]
    fn unknown_wrong_and_out_of_range_values_are_refused() {
        for bad in [
            json!([]),
            json!({"quota": 5}),
            json!({"video_kbps": "fast"}),
            json!({"video_kbps": -1}),
            json!({"video_kbps": 1.5}),
            json!({"video_kbps": 10}),
            json!({"video_kbps": 1u64 << 40}),
            json!({"quota_bytes": 1000}),
            json!({"telemetry_secs": 1}),
        ] {
            assert!(AgentSettings::from_owner(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_recording_mode_is_one_of_three() {
        let s = AgentSettings::from_owner(&json!({"recording_mode": "24_7"})).unwrap();
        assert_eq!(s.recording_mode, Some(RecordingMode::Continuous));
        for bad in [
            json!({"recording_mode": "always"}),
            json!({"recording_mode": 3}),
        ] {
            let err = AgentSettings::from_owner(&bad).unwrap_err().to_string();
            assert!(err.contains("recording_mode"), "{err}");
        }
    }

    #[test]
    fn the_agent_ignores_fields_it_does_not_know() {
        let s: AgentSettings =
            serde_json::from_value(json!({"video_kbps": 900, "night_vision": {"enabled": true}}))
                .expect("lenient");
        assert_eq!(s.video_kbps, Some(900));
    }

    #[test]
    fn motion_is_a_setting_validated_as_motion_settings() {
        let s = AgentSettings::from_owner(&json!({
            "video_kbps": 900,
            "motion": {"sensitivity": "high"},
        }))
        .expect("valid");
        let motion = s.motion.clone().expect("motion");
        assert_eq!(motion.sensitivity, crate::motion::Sensitivity::High);
        assert_eq!(motion.notification_cooldown_seconds, 60);
        // Stored and pushed as JSON, read back the same.
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(AgentSettings::from_owner(&json), Ok(s.clone()));
        assert_eq!(serde_json::from_value::<AgentSettings>(json).ok(), Some(s));
        assert_eq!(
            AgentSettings::from_owner(&json!({"motion": null})),
            Ok(AgentSettings::default())
        );
        // No motion settings: nothing about motion goes down the channel.
        let none = serde_json::to_value(AgentSettings::default()).expect("json");
        assert_eq!(none, json!({}));
    }

    #[test]
    fn a_bad_motion_setting_names_motion_and_its_field() {
        for (body, expected) in [
            (
                json!({"motion": 5}),
                "setting motion: must be a JSON object",
            ),
            (
                json!({"motion": {"sensitivity": "ultra"}}),
                "setting motion: sensitivity must be low, medium or high",
            ),
            (
                json!({"motion": {"detection_zones": [{"zone_id": "a", "polygon": []}]}}),
                "setting motion: detection_zones[0].polygon must have 3 to 64 points",
            ),
            (
                json!({"motion": {"zones": []}}),
                "setting motion: unknown field \"zones\"",
            ),
        ] {
            let message = AgentSettings::from_owner(&body)
                .expect_err("refused")
                .to_string();
            assert!(message.starts_with(expected), "{message}");
        }
        let unknown = AgentSettings::from_owner(&json!({"motoin": {}})).expect_err("refused");
        assert!(unknown.to_string().contains("motion"), "{unknown}");
        let hand_built = AgentSettings {
            motion: Some(MotionSettings {
                notification_cooldown_seconds: 100_000,
                ..MotionSettings::default()
            }),
            ..AgentSettings::default()
        };
        assert!(hand_built.validate().is_err());
    }
}
