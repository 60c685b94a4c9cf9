//! Doorbell events: what a doorbell reports when it saw motion, was pressed, or (later, after
//! the cloud AI tier) recognised a person, package, vehicle or animal. The device sends an
//! [`EventInput`]; [`EventInput::validate`] turns it into a [`NewDoorbellEvent`] or says exactly
//! which field is wrong. When the event is over, the device attaches the full clip in place of
//! the short alert clip it posted with: a [`ClipUpdateInput`], checked into a [`ClipUpdate`].
//! Everything here is pure.
//!
//! Bounding boxes are **normalised**: `x`, `y`, `w`, `h` are fractions of the frame's width and
//! height (0..=1, origin top left), so they stay right whatever resolution the clip is stored
//! or rendered at.

use crate::event::{EventPayload, PAYLOAD_VERSION};
use crate::ids::DoorbellEventId;
use crate::{DeviceId, MediaId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// At most this many detections per event.
pub const MAX_DETECTIONS: usize = 50;
/// A detection label: 1 to this many characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// A clip lasts at most an hour.
pub const MAX_DURATION_SECS: f64 = 3600.0;
/// Pre-roll is at most a minute.
pub const MAX_PRE_ROLL_SECS: f64 = 60.0;
/// How far ahead of the server's clock an event may claim to be (device clock skew).
pub const MAX_CLOCK_SKEW_SECS: i64 = 24 * 3600;
/// Boxes may overshoot the frame by this much (rounding on the device).
const BOX_EPSILON: f64 = 1e-6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Motion,
    DoorbellPress,
    Person,
    Package,
    Vehicle,
    Animal,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        Self::Motion,
        Self::DoorbellPress,
        Self::Person,
        Self::Package,
        Self::Vehicle,
        Self::Animal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Motion => "motion",
            Self::DoorbellPress => "doorbell_press",
            Self::Person => "person",
            Self::Package => "package",
            Self::Vehicle => "vehicle",
            Self::Animal => "animal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "event_type must be one of motion, doorbell_press, person, package, vehicle, animal, got {0:?}"
)]
pub struct InvalidEventType(pub String);

impl FromStr for EventType {
    type Err = InvalidEventType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidEventType(s.chars().take(64).collect()))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing seen in the clip: a label, how sure the detector was, and where (normalised box).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub label: String,
    pub confidence: f64,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// What a device sends, before any check. Numbers are wide on purpose so an out-of-range value
/// is reported as such rather than as a JSON type error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub event_id: String,
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub duration_seconds: f64,
    #[serde(default)]
    pub pre_roll_seconds: f64,
    #[serde(default)]
    pub media_id: Option<String>,
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub detections: Vec<Detection>,
    #[serde(default)]
    pub battery_level: Option<i64>,
}

/// A checked event, ready to store for `device`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDoorbellEvent {
    pub id: DoorbellEventId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: f64,
    pub pre_roll_secs: f64,
    /// The clip; a doorbell press may come without one.
    pub media_id: Option<MediaId>,
    pub confidence: Option<f64>,
    pub detections: Vec<Detection>,
    pub battery_level: Option<u8>,
}

/// Which field of an event is wrong, in words a device developer can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidEvent {
    #[error("event_id must be a UUID")]
    EventId,
    #[error(transparent)]
    EventType(#[from] InvalidEventType),
    #[error("media_id must be a UUID")]
    MediaId,
    #[error("timestamp must be after 2000-01-01 and at most a day ahead of the server's clock")]
    Timestamp,
    #[error("duration_seconds must be 0 to {MAX_DURATION_SECS}")]
    Duration,
    #[error("pre_roll_seconds must be 0 to {MAX_PRE_ROLL_SECS}")]
    PreRoll,
    #[error("confidence must be 0 to 1")]
    Confidence,
    #[error("battery_level must be 0 to 100")]
    Battery,
    #[error("at most {MAX_DETECTIONS} detections per event")]
    TooManyDetections,
    #[error("detections[{0}].label must be 1 to {MAX_LABEL_CHARS} printable characters")]
    Label(usize),
    #[error("detections[{0}].confidence must be 0 to 1")]
    DetectionConfidence(usize),
    #[error(
        "detections[{0}] box must be normalised: x, y, w, h in 0..1 with x + w <= 1 and y + h <= 1"
    )]
    Box(usize),
}

fn in_range(value: f64, max: f64) -> bool {
    value.is_finite() && (0.0..=max).contains(&value)
}

/// A normalised box inside the frame.
pub fn valid_box(d: &Detection) -> bool {
    [d.x, d.y, d.w, d.h].iter().all(|v| in_range(*v, 1.0))
        && d.x + d.w <= 1.0 + BOX_EPSILON
        && d.y + d.h <= 1.0 + BOX_EPSILON
}

/// 1 to [`MAX_LABEL_CHARS`] characters, not blank, no control characters.
pub fn valid_label(label: &str) -> bool {
    !label.trim().is_empty()
        && label.chars().count() <= MAX_LABEL_CHARS
        && !label.chars().any(char::is_control)
}

/// Checks every detection; the first bad one is reported by index.
pub fn check_detections(detections: &[Detection]) -> Result<(), InvalidEvent> {
    if detections.len() > MAX_DETECTIONS {
        return Err(InvalidEvent::TooManyDetections);
    }
    for (i, d) in detections.iter().enumerate() {
        if !valid_label(&d.label) {
            return Err(InvalidEvent::Label(i));
        }
        if !in_range(d.confidence, 1.0) {
            return Err(InvalidEvent::DetectionConfidence(i));
        }
        if !valid_box(d) {
            return Err(InvalidEvent::Box(i));
        }
    }
    Ok(())
}

fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl EventInput {
    /// Checks everything against hostile input; `now` is the server's clock.
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewDoorbellEvent, InvalidEvent> {
        let id = DoorbellEventId::parse(&self.event_id).map_err(|_| InvalidEvent::EventId)?;
        let event_type: EventType = self.event_type.parse()?;
        let media_id = self
            .media_id
            .as_deref()
            .map(MediaId::parse)
            .transpose()
            .map_err(|_| InvalidEvent::MediaId)?;
        let latest = now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECS);
        if self.timestamp < earliest() || self.timestamp > latest {
            return Err(InvalidEvent::Timestamp);
        }
        if !in_range(self.duration_seconds, MAX_DURATION_SECS) {
            return Err(InvalidEvent::Duration);
        }
        if !in_range(self.pre_roll_seconds, MAX_PRE_ROLL_SECS) {
            return Err(InvalidEvent::PreRoll);
        }
        if self.confidence.is_some_and(|c| !in_range(c, 1.0)) {
            return Err(InvalidEvent::Confidence);
        }
        let battery_level = self
            .battery_level
            .map(|b| u8::try_from(b).ok().filter(|b| *b <= 100))
            .map(|b| b.ok_or(InvalidEvent::Battery))
            .transpose()?;
        check_detections(&self.detections)?;
        let detections = trim_labels(self.detections);
        Ok(NewDoorbellEvent {
            id,
            event_type,
            occurred_at: self.timestamp,
            duration_secs: self.duration_seconds,
            pre_roll_secs: self.pre_roll_seconds,
            media_id,
            confidence: self.confidence,
            detections,
            battery_level,
        })
    }
}

/// `PATCH /devices/{id}/events/{event_id}`: the full clip, once the event is over, replacing
/// the alert clip it was posted with. Confidence and detections replace the stored ones when
/// given (the detector saw the whole event by then) and are kept otherwise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipUpdateInput {
    pub media_id: String,
    pub duration_seconds: f64,
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub detections: Option<Vec<Detection>>,
}

/// What the cloud AI tier found in an event's clip; it replaces the event's type, detections
/// and confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub event_type: EventType,
    pub detections: Vec<Detection>,
    pub confidence: Option<f64>,
}

impl Classification {
    pub fn apply(&self, event: &DoorbellEvent) -> DoorbellEvent {
        DoorbellEvent {
            event_type: self.event_type,
            detections: self.detections.clone(),
            confidence: self.confidence.or(event.confidence),
            ..event.clone()
        }
    }
}

/// A checked clip update.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipUpdate {
    pub media_id: MediaId,
    pub duration_secs: f64,
    pub confidence: Option<f64>,
    pub detections: Option<Vec<Detection>>,
}

impl ClipUpdateInput {
    /// The same ranges as [`EventInput::validate`].
    pub fn validate(self) -> Result<ClipUpdate, InvalidEvent> {
        let media_id = MediaId::parse(&self.media_id).map_err(|_| InvalidEvent::MediaId)?;
        if !in_range(self.duration_seconds, MAX_DURATION_SECS) {
            return Err(InvalidEvent::Duration);
        }
        if self.confidence.is_some_and(|c| !in_range(c, 1.0)) {
            return Err(InvalidEvent::Confidence);
        }
        let detections = self
            .detections
            .map(|detections| check_detections(&detections).map(|()| trim_labels(detections)))
            .transpose()?;
        Ok(ClipUpdate {
            media_id,
            duration_secs: self.duration_seconds,
            confidence: self.confidence,
            detections,
        })
    }
}

impl ClipUpdate {
    /// The event with this clip: what a store writes.
    pub fn apply(&self, event: &DoorbellEvent) -> DoorbellEvent {
        let mut updated = event.clone();
        updated.media_id = Some(self.media_id);
        updated.duration_secs = self.duration_secs;
        if let Some(confidence) = self.confidence {
            updated.confidence = Some(confidence);
        }
        if let Some(detections) = &self.detections {
            updated.detections = detections.clone();
        }
        updated
    }
}

fn trim_labels(detections: Vec<Detection>) -> Vec<Detection> {
    detections
        .into_iter()
        .map(|d| Detection {
            label: d.label.trim().to_string(),
            ..d
        })
        .collect()
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct DoorbellEvent {
    pub id: DoorbellEventId,
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: f64,
    pub pre_roll_secs: f64,
    /// `None` when the event came without a clip or the clip was deleted since.
    pub media_id: Option<MediaId>,
    pub confidence: Option<f64>,
    pub detections: Vec<Detection>,
    pub battery_level: Option<u8>,
    pub created_at: DateTime<Utc>,
}

impl DoorbellEvent {
    pub fn new(
        user_id: UserId,
        device_id: DeviceId,
        event: NewDoorbellEvent,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: event.id,
            user_id,
            device_id,
            event_type: event.event_type,
            occurred_at: event.occurred_at,
            duration_secs: event.duration_secs,
            pre_roll_secs: event.pre_roll_secs,
            media_id: event.media_id,
            confidence: event.confidence,
            detections: event.detections,
            battery_level: event.battery_level,
            created_at: now,
        }
    }

    /// The distinct labels, in the order first seen.
    pub fn detected_objects(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = Vec::new();
        for d in &self.detections {
            if !labels.contains(&d.label.as_str()) {
                labels.push(&d.label);
            }
        }
        labels
    }
}

/// The bus payload of [`crate::event::Topic::DoorbellEvent`] (and of
/// [`crate::event::Topic::DoorbellClipUpdated`]): enough for a notification
/// service to decide and address a push without reading the row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoorbellEventNotice {
    pub version: u32,
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub event_id: DoorbellEventId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub media_id: Option<MediaId>,
    pub correlation_id: String,
}

impl DoorbellEventNotice {
    pub fn of(event: &DoorbellEvent, correlation_id: impl Into<String>) -> Self {
        Self {
            version: PAYLOAD_VERSION,
            user_id: event.user_id,
            device_id: event.device_id,
            event_id: event.id,
            event_type: event.event_type,
            occurred_at: event.occurred_at,
            media_id: event.media_id,
            correlation_id: correlation_id.into(),
        }
    }
}

impl EventPayload for DoorbellEventNotice {
    fn user_id(&self) -> UserId {
        self.user_id
    }
    fn subject(&self) -> String {
        format!("doorbell event {}", self.event_id)
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_770_000_000, 0).expect("time")
    }

    fn person() -> Detection {
        Detection {
            label: "person".into(),
            confidence: 0.9,
            x: 0.25,
            y: 0.1,
            w: 0.5,
            h: 0.9,
        }
    }

    fn input() -> EventInput {
        EventInput {
            event_id: "5b0c3c53-3a64-4a77-9d4d-1b8a7a1a0c01".into(),
            event_type: "motion".into(),
            timestamp: now() - chrono::Duration::seconds(30),
            duration_seconds: 20.0,
            pre_roll_seconds: 3.0,
            media_id: None,
            confidence: Some(0.95),
            detections: vec![person()],
            battery_level: Some(80),
        }
    }

    #[test]
    fn event_types_round_trip_as_snake_case() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(
                serde_json::to_value(t).expect("json"),
                serde_json::Value::String(t.to_string())
            );
        }
        assert_eq!(
            "doorbell_press".parse::<EventType>(),
            Ok(EventType::DoorbellPress)
        );
        assert!("person_detected".parse::<EventType>().is_err());
        assert!("Motion".parse::<EventType>().is_err());
    }

    #[test]
    fn a_good_event_passes_and_labels_are_trimmed() {
        let mut given = input();
        given.detections[0].label = " person ".into();
        let event = given.validate(now()).expect("valid");
        assert_eq!(event.event_type, EventType::Motion);
        assert_eq!(event.detections[0].label, "person");
        assert_eq!(event.battery_level, Some(80));
    }

    #[test]
    fn a_press_without_clip_or_detections_passes() {
        let event = EventInput {
            event_type: "doorbell_press".into(),
            detections: vec![],
            confidence: None,
            battery_level: None,
            duration_seconds: 0.0,
            pre_roll_seconds: 0.0,
            ..input()
        };
        assert!(event.validate(now()).is_ok());
    }

    #[test]
    fn hostile_scalars_are_rejected() {
        let cases: Vec<(EventInput, InvalidEvent)> = vec![
            (
                EventInput {
                    event_id: "evt_abc".into(),
                    ..input()
                },
                InvalidEvent::EventId,
            ),
            (
                EventInput {
                    media_id: Some("clip".into()),
                    ..input()
                },
                InvalidEvent::MediaId,
            ),
            (
                EventInput {
                    confidence: Some(1.5),
                    ..input()
                },
                InvalidEvent::Confidence,
            ),
            (
                EventInput {
                    confidence: Some(f64::NAN),
                    ..input()
                },
                InvalidEvent::Confidence,
            ),
            (
                EventInput {
                    duration_seconds: 3600.5,
                    ..input()
                },
                InvalidEvent::Duration,
            ),
            (
                EventInput {
                    duration_seconds: -1.0,
                    ..input()
                },
                InvalidEvent::Duration,
            ),
            (
                EventInput {
                    pre_roll_seconds: 61.0,
                    ..input()
                },
                InvalidEvent::PreRoll,
            ),
            (
                EventInput {
                    battery_level: Some(101),
                    ..input()
                },
                InvalidEvent::Battery,
            ),
            (
                EventInput {
                    battery_level: Some(-1),
                    ..input()
                },
                InvalidEvent::Battery,
            ),
            (
                EventInput {
                    timestamp: now() + chrono::Duration::days(2),
                    ..input()
                },
                InvalidEvent::Timestamp,
            ),
            (
                EventInput {
                    timestamp: DateTime::from_timestamp(0, 0).expect("epoch"),
                    ..input()
                },
                InvalidEvent::Timestamp,
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(given.validate(now()), Err(expected));
        }
        let bad_type = EventInput {
            event_type: "drone".into(),
            ..input()
        };
        assert!(matches!(
            bad_type.validate(now()),
            Err(InvalidEvent::EventType(_))
        ));
    }

    #[test]
    fn hostile_detections_are_rejected_by_index() {
        let with = |d: Detection| EventInput {
            detections: vec![person(), d],
            ..input()
        };
        let check = |d: Detection| with(d).validate(now()).err();
        assert_eq!(
            check(Detection {
                label: "".into(),
                ..person()
            }),
            Some(InvalidEvent::Label(1))
        );
        assert_eq!(
            check(Detection {
                label: "x".repeat(65),
                ..person()
            }),
            Some(InvalidEvent::Label(1))
        );
        assert_eq!(
            check(Detection {
                label: "per\nson".into(),
                ..person()
            }),
            Some(InvalidEvent::Label(1))
        );
        assert_eq!(
            check(Detection {
                confidence: -0.1,
                ..person()
            }),
            Some(InvalidEvent::DetectionConfidence(1))
        );
        for (x, y, w, h) in [
            (0.6, 0.0, 0.5, 0.5),
            (0.0, 0.0, 1.2, 0.5),
            (-0.1, 0.0, 0.5, 0.5),
            (0.0, 0.9, 0.1, 0.2),
            (100.0, 150.0, 80.0, 200.0),
            (f64::INFINITY, 0.0, 0.1, 0.1),
        ] {
            assert_eq!(
                check(Detection {
                    x,
                    y,
                    w,
                    h,
                    ..person()
                }),
                Some(InvalidEvent::Box(1)),
                "{x} {y} {w} {h}"
            );
        }
        let whole_frame = Detection {
            x: 0.0,
            y: 0.0,
            w: 1.0,
            h: 1.0,
            ..person()
        };
        assert_eq!(check(whole_frame), None);
        let many = EventInput {
            detections: vec![person(); MAX_DETECTIONS + 1],
            ..input()
        };
        assert_eq!(many.validate(now()), Err(InvalidEvent::TooManyDetections));
        let most = EventInput {
            detections: vec![person(); MAX_DETECTIONS],
            ..input()
        };
        assert!(most.validate(now()).is_ok());
    }

    #[test]
    fn unknown_fields_and_wrong_types_do_not_deserialise() {
        let body = serde_json::json!({
            "event_id": "5b0c3c53-3a64-4a77-9d4d-1b8a7a1a0c01",
            "event_type": "motion",
            "timestamp": "2026-02-05T10:30:00Z",
            "admin": true,
        });
        assert!(serde_json::from_value::<EventInput>(body).is_err());
        let body = serde_json::json!({
            "event_id": "5b0c3c53-3a64-4a77-9d4d-1b8a7a1a0c01",
            "event_type": "motion",
            "timestamp": "yesterday",
        });
        assert!(serde_json::from_value::<EventInput>(body).is_err());
    }

    fn clip_update() -> ClipUpdateInput {
        ClipUpdateInput {
            media_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            duration_seconds: 25.0,
            confidence: None,
            detections: None,
        }
    }

    #[test]
    fn a_clip_update_replaces_clip_and_duration_and_what_it_gives() {
        let event = DoorbellEvent::new(
            UserId::new_random(),
            DeviceId::new_random(),
            input().validate(now()).expect("valid"),
            now(),
        );
        let bare = clip_update().validate().expect("valid");
        let updated = bare.apply(&event);
        assert_eq!(updated.media_id, Some(bare.media_id));
        assert_eq!(updated.duration_secs, 25.0);
        assert_eq!(updated.confidence, event.confidence, "kept");
        assert_eq!(updated.detections, event.detections, "kept");
        assert_eq!(
            bare.apply(&updated),
            updated,
            "applying twice changes nothing"
        );
        let full = ClipUpdateInput {
            confidence: Some(0.5),
            detections: Some(vec![Detection {
                label: " dog ".into(),
                ..person()
            }]),
            ..clip_update()
        }
        .validate()
        .expect("valid");
        let updated = full.apply(&event);
        assert_eq!(updated.confidence, Some(0.5));
        assert_eq!(updated.detections[0].label, "dog");
        assert_eq!(updated.id, event.id);
        assert_eq!(updated.occurred_at, event.occurred_at);
        let cleared = ClipUpdateInput {
            detections: Some(vec![]),
            ..clip_update()
        };
        assert!(
            cleared
                .validate()
                .expect("valid")
                .apply(&event)
                .detections
                .is_empty()
        );
    }

    #[test]
    fn hostile_clip_updates_are_rejected() {
        let cases = [
            (
                ClipUpdateInput {
                    media_id: "clip.mp4".into(),
                    ..clip_update()
                },
                InvalidEvent::MediaId,
            ),
            (
                ClipUpdateInput {
                    duration_seconds: 3600.5,
                    ..clip_update()
                },
                InvalidEvent::Duration,
            ),
            (
                ClipUpdateInput {
                    duration_seconds: f64::NAN,
                    ..clip_update()
                },
                InvalidEvent::Duration,
            ),
            (
                ClipUpdateInput {
                    confidence: Some(-0.1),
                    ..clip_update()
                },
                InvalidEvent::Confidence,
            ),
            (
                ClipUpdateInput {
                    detections: Some(vec![Detection { w: 2.0, ..person() }]),
                    ..clip_update()
                },
                InvalidEvent::Box(0),
            ),
            (
                ClipUpdateInput {
                    detections: Some(vec![person(); MAX_DETECTIONS + 1]),
                    ..clip_update()
                },
                InvalidEvent::TooManyDetections,
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(given.validate(), Err(expected));
        }
        let unknown = serde_json::json!({
            "media_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "duration_seconds": 25.0,
            "event_type": "person",
        });
        assert!(serde_json::from_value::<ClipUpdateInput>(unknown).is_err());
        let no_clip = serde_json::json!({"duration_seconds": 25.0});
        assert!(serde_json::from_value::<ClipUpdateInput>(no_clip).is_err());
    }

    #[test]
    fn detected_objects_are_distinct_in_order() {
        let event = DoorbellEvent::new(
            UserId::new_random(),
            DeviceId::new_random(),
            EventInput {
                detections: vec![
                    person(),
                    Detection {
                        label: "dog".into(),
                        ..person()
                    },
                    person(),
                ],
                ..input()
            }
            .validate(now())
            .expect("valid"),
            now(),
        );
        assert_eq!(event.detected_objects(), vec!["person", "dog"]);
    }
}
