use super::*;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

/// The seed's example body.
fn seed_body() -> Value {
    json!({
        "enabled": true,
        "sensitivity": "medium",
        "detection_zones": [{
            "zone_id": "zone_1",
            "name": "Front Path",
            "polygon": [
                {"x": 0, "y": 0}, {"x": 100, "y": 0}, {"x": 100, "y": 100}, {"x": 0, "y": 100}
            ],
            "enabled": true
        }],
        "ai_detection": {
            "person_detection": true,
            "vehicle_detection": false,
            "animal_detection": false,
            "package_detection": true
        },
        "notification_cooldown_seconds": 60,
        "schedule": {
            "enabled": true,
            "time_windows": [{"start": "22:00", "end": "06:00", "days": ["all"]}]
        }
    })
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!([{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}])
}

fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
    // 2026-02-02 is a Monday.
    NaiveDate::from_ymd_opt(2026, 2, day)
        .and_then(|d| d.and_hms_opt(h, m, 0))
        .expect("date")
}

#[test]
fn the_seed_body_is_read_and_converts_for_the_detector() {
    let s = MotionSettings::from_owner(&seed_body()).expect("valid");
    assert!(s.enabled);
    assert_eq!(s.sensitivity, Sensitivity::Medium);
    assert_eq!(s.detection_zones.len(), 1);
    assert_eq!(s.detection_zones[0].name, "Front Path");
    assert_eq!(
        s.detection_zones[0].polygon[2],
        ZonePoint { x: 100.0, y: 100.0 }
    );
    assert_eq!(s.ai_detection, AiDetection::default());
    let config = s.detector_config().expect("config");
    assert_eq!(config.sensitivity, Sensitivity::Medium);
    assert_eq!(
        config.zones,
        vec![Polygon::rect(0.0, 0.0, 1.0, 1.0).expect("rect")]
    );
    assert!(config.privacy_masks.is_empty());
    let schedule = s.schedule().expect("schedule").expect("armed at night");
    assert!(schedule.is_active(at(2, 23, 0)));
    assert!(!schedule.is_active(at(2, 12, 0)));
    // What is stored and pushed reads back the same, strictly and leniently.
    let stored = serde_json::to_value(&s).expect("json");
    assert_eq!(MotionSettings::from_owner(&stored), Ok(s.clone()));
    assert_eq!(
        serde_json::from_value::<MotionSettings>(stored).ok(),
        Some(s)
    );
}

#[test]
fn every_field_is_optional() {
    let s = MotionSettings::from_owner(&json!({})).expect("valid");
    assert_eq!(s, MotionSettings::default());
    assert!(s.enabled);
    assert_eq!(s.notification_cooldown_seconds, 60);
    assert!(s.ai_detection.person_detection && s.ai_detection.package_detection);
    assert!(!s.ai_detection.vehicle_detection && !s.ai_detection.animal_detection);
    assert_eq!(s.schedule(), Ok(None));
    let config = s.detector_config().expect("config");
    assert!(config.zones.is_empty(), "whole frame");
    let partial = json!({
        "sensitivity": "high",
        "ai_detection": {"vehicle_detection": true},
        "detection_zones": [{"zone_id": "z", "polygon": square(0.0, 0.0, 50.0, 50.0)}],
        "schedule": {"time_windows": [{"start": "08:00", "end": "09:00"}]},
    });
    let s = MotionSettings::from_owner(&partial).expect("valid");
    assert!(s.ai_detection.vehicle_detection && s.ai_detection.person_detection);
    assert!(s.detection_zones[0].enabled);
    assert_eq!(s.detection_zones[0].name, "");
    assert_eq!(s.schedule.time_windows[0].days, vec!["all".to_string()]);
    // Windows given but the schedule not enabled: always on.
    assert_eq!(s.schedule(), Ok(None));
}

#[test]
fn disabled_zones_are_left_out_and_masks_are_kept() {
    let body = json!({
        "detection_zones": [
            {"zone_id": "path", "polygon": square(0.0, 0.0, 50.0, 100.0)},
            {"zone_id": "street", "polygon": square(50.0, 0.0, 100.0, 100.0), "enabled": false},
        ],
        "privacy_masks": [
            {"zone_id": "neighbour", "name": "window", "polygon": square(0.0, 0.0, 25.0, 25.0)},
            {"zone_id": "off", "polygon": square(0.0, 0.0, 10.0, 10.0), "enabled": false},
        ],
        "sensitivity": "low",
    });
    let config = MotionSettings::from_owner(&body)
        .and_then(|s| s.detector_config())
        .expect("config");
    assert_eq!(config.sensitivity, Sensitivity::Low);
    assert_eq!(
        config.zones,
        vec![Polygon::rect(0.0, 0.0, 0.5, 1.0).expect("rect")]
    );
    assert_eq!(
        config.privacy_masks,
        vec![Polygon::rect(0.0, 0.0, 0.25, 0.25).expect("rect")]
    );
    assert_eq!(
        config.learning_rate,
        MotionConfig::default().learning_rate,
        "the rest stays the detector's"
    );
}

#[test]
fn several_windows_make_one_schedule() {
    let body = json!({"schedule": {"enabled": true, "time_windows": [
        {"start": "22:00", "end": "06:00", "days": ["mon", "tue"]},
        {"start": "09:00", "end": "17:00", "days": ["Saturday"]},
    ]}});
    let schedule = MotionSettings::from_owner(&body)
        .and_then(|s| s.schedule())
        .expect("valid")
        .expect("armed");
    assert_eq!(schedule.windows.len(), 2);
    assert!(schedule.is_active(at(3, 23, 0))); // Tuesday night
    assert!(schedule.is_active(at(7, 10, 0))); // Saturday day
    assert!(!schedule.is_active(at(4, 23, 0))); // Wednesday night
    let empty = json!({"schedule": {"enabled": true, "time_windows": []}});
    assert_eq!(
        MotionSettings::from_owner(&empty).and_then(|s| s.schedule()),
        Ok(None)
    );
}

/// `body` is refused with a message naming `field` (and `detail` when given).
fn refused(body: Value, field: &str, detail: &str) {
    let err = MotionSettings::from_owner(&body).expect_err(&body.to_string());
    let message = err.to_string();
    assert!(
        message.contains(field) && message.contains(detail),
        "{body} gave {message:?}, expected {field:?} and {detail:?}"
    );
}

#[test]
fn bad_scalars_name_their_field() {
    refused(json!([]), "must be a JSON object", "");
    refused(json!({"enabled": "yes"}), "enabled", "true or false");
    refused(
        json!({"sensitivity": "ultra"}),
        "sensitivity",
        "low, medium or high",
    );
    refused(json!({"sensitivity": 3}), "sensitivity", "");
    refused(
        json!({"notification_cooldown_seconds": -1}),
        "notification_cooldown_seconds",
        "",
    );
    refused(
        json!({"notification_cooldown_seconds": 1.5}),
        "notification_cooldown_seconds",
        "",
    );
    refused(
        json!({"notification_cooldown_seconds": 86_401}),
        "notification_cooldown_seconds",
        "86400",
    );
    refused(
        json!({"notification_cooldown_seconds": 1u64 << 40}),
        "notification_cooldown_seconds",
        "",
    );
    refused(json!({"sensitivty": "low"}), "sensitivty", "known: enabled");
    refused(
        json!({"ai_detection": {"person": true}}),
        "ai_detection",
        "\"person\"",
    );
    refused(
        json!({"ai_detection": {"person_detection": 1}}),
        "person_detection",
        "true or false",
    );
    refused(json!({"ai_detection": true}), "ai_detection", "object");
    assert!(MotionSettings::from_owner(&json!({"notification_cooldown_seconds": 0})).is_ok());
    assert!(MotionSettings::from_owner(&json!({"notification_cooldown_seconds": 86_400})).is_ok());
}

#[test]
fn bad_zones_name_the_zone_and_point() {
    let zone = |polygon: Value| json!({"detection_zones": [{"zone_id": "a", "polygon": polygon}]});
    refused(
        zone(square(0.0, 0.0, 101.0, 50.0)),
        "detection_zones",
        "[0].polygon[1].x",
    );
    refused(
        zone(square(-1.0, 0.0, 50.0, 50.0)),
        "detection_zones",
        "[0].polygon[0].x",
    );
    refused(
        zone(json!([{"x": 0, "y": 0}, {"x": 1, "y": 1}])),
        "detection_zones",
        "3 to 64 points",
    );
    refused(
        zone(json!([{"x": 0}, {"x": 1, "y": 1}, {"x": 1, "y": 0}])),
        "detection_zones",
        "[0].polygon[0].y is required",
    );
    refused(
        zone(json!([{"x": "0", "y": 0}, {"x": 1, "y": 1}, {"x": 1, "y": 0}])),
        "detection_zones",
        "[0].polygon[0].x must be a number",
    );
    refused(
        zone(json!([{"x": 0, "y": 0, "z": 1}, {"x": 1, "y": 1}, {"x": 1, "y": 0}])),
        "detection_zones",
        "\"z\"",
    );
    refused(
        zone(json!("everywhere")),
        "detection_zones",
        "[0].polygon must be a list",
    );
    let many_points: Vec<Value> = (0..65).map(|i| json!({"x": i, "y": i % 2})).collect();
    refused(
        zone(Value::Array(many_points)),
        "detection_zones",
        "at most 64 points",
    );
    let sq = square(0.0, 0.0, 10.0, 10.0);
    refused(
        json!({"detection_zones": [{"polygon": sq}]}),
        "detection_zones",
        "[0].zone_id is required",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "", "polygon": sq}]}),
        "detection_zones",
        "[0].zone_id",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "x".repeat(65), "polygon": sq}]}),
        "detection_zones",
        "[0].zone_id",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "a", "name": "n".repeat(65), "polygon": sq}]}),
        "detection_zones",
        "[0].name",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "a", "name": "a\nb", "polygon": sq}]}),
        "detection_zones",
        "[0].name",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "a", "polygon": sq, "enabled": "no"}]}),
        "detection_zones",
        "[0].enabled",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "a", "polygon": sq, "colour": "red"}]}),
        "detection_zones",
        "\"colour\"",
    );
    refused(
        json!({"detection_zones": [{"zone_id": "a", "polygon": sq}, {"zone_id": "a", "polygon": sq}]}),
        "detection_zones",
        "[1].zone_id \"a\" is used twice",
    );
    refused(
        json!({"detection_zones": {"zone_id": "a"}}),
        "detection_zones",
        "must be a list",
    );
    refused(
        json!({"privacy_masks": [{"zone_id": "m", "polygon": square(0.0, 0.0, 10.0, 200.0)}]}),
        "privacy_masks",
        "[0].polygon[2].y",
    );
    let zones: Vec<Value> = (0..17)
        .map(|i| json!({"zone_id": format!("z{i}"), "polygon": sq}))
        .collect();
    refused(
        json!({"detection_zones": zones}),
        "detection_zones",
        "at most 16 zones",
    );
    refused(
        json!({"privacy_masks": zones}),
        "privacy_masks",
        "at most 16 zones",
    );
    let sixteen: Vec<Value> = zones.into_iter().take(16).collect();
    assert!(
        MotionSettings::from_owner(&json!({"detection_zones": sixteen, "privacy_masks": sixteen}))
            .is_ok()
    );
}

#[test]
fn bad_schedules_name_the_window() {
    let window = |w: Value| json!({"schedule": {"enabled": true, "time_windows": [w]}});
    refused(
        window(json!({"start": "25:00", "end": "06:00"})),
        "schedule",
        "time_windows[0]",
    );
    refused(
        window(json!({"start": "7pm", "end": "06:00"})),
        "schedule",
        "HH:MM",
    );
    refused(
        window(json!({"end": "06:00"})),
        "schedule",
        "time_windows[0].start is required",
    );
    refused(
        window(json!({"start": 22, "end": "06:00"})),
        "schedule",
        "time_windows[0].start",
    );
    refused(
        window(json!({"start": "22:00", "end": "06:00", "days": ["someday"]})),
        "schedule",
        "someday",
    );
    refused(
        window(json!({"start": "22:00", "end": "06:00", "days": []})),
        "schedule",
        "time_windows[0].days",
    );
    refused(
        window(json!({"start": "22:00", "end": "06:00", "days": "all"})),
        "schedule",
        "time_windows[0].days",
    );
    refused(
        window(json!({"start": "22:00", "end": "06:00", "days": [1]})),
        "schedule",
        "time_windows[0].days",
    );
    refused(
        window(json!({"start": "22:00", "end": "06:00", "tz": "UTC"})),
        "schedule",
        "\"tz\"",
    );
    let eight: Vec<&str> = vec!["mon"; 8];
    refused(
        window(json!({"start": "22:00", "end": "06:00", "days": eight})),
        "schedule",
        "days",
    );
    refused(
        json!({"schedule": {"enabled": "on"}}),
        "schedule",
        "enabled",
    );
    refused(
        json!({"schedule": {"windows": []}}),
        "schedule",
        "\"windows\"",
    );
    let windows: Vec<Value> = (0..17)
        .map(|_| json!({"start": "01:00", "end": "02:00"}))
        .collect();
    refused(
        json!({"schedule": {"time_windows": windows}}),
        "schedule",
        "at most 16 windows",
    );
}

#[test]
fn hand_built_settings_are_validated_too() {
    let mut s = MotionSettings::default();
    s.detection_zones.push(DetectionZone {
        zone_id: "a".into(),
        name: String::new(),
        polygon: vec![
            ZonePoint { x: 0.0, y: 0.0 },
            ZonePoint {
                x: f64::NAN,
                y: 1.0,
            },
            ZonePoint { x: 1.0, y: 0.0 },
        ],
        enabled: true,
    });
    assert!(s.validate().is_err());
    assert!(s.detector_config().is_err());
    let mut s = MotionSettings::default();
    s.schedule.time_windows.push(TimeWindow {
        start: "10:00".into(),
        end: "noon".into(),
        days: all_days(),
    });
    assert!(s.validate().is_err());
    assert!(s.schedule().is_err());
}

#[test]
fn the_agent_reads_stored_settings_leniently() {
    let s: MotionSettings = serde_json::from_value(json!({
        "sensitivity": "high",
        "future_field": 1,
        "detection_zones": [{"zone_id": "a", "polygon": square(0.0, 0.0, 10.0, 10.0), "colour": "red"}],
    }))
    .expect("lenient");
    assert_eq!(s.sensitivity, Sensitivity::High);
    assert!(s.enabled);
    assert!(s.detection_zones[0].enabled);
}
