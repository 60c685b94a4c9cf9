//! What the cloud AI tier makes of an event clip: the detections of its keyframes (in time
//! order) → the event's type and the detections kept with it. Pure.
//!
//! Only detections scoring at least [`NOTIFY_SCORE`] count: the detector's own 0.3 floor lets
//! through the odd "sheep 0.41" in a street scene, and a notification must not. The type is the
//! most specific thing seen: a package that appeared or disappeared between the first and the
//! last keyframe, else a person, else a package, a vehicle, an animal; with none of these the
//! device's own type (motion, doorbell press) stays. A press always stays a press: the visitor
//! rang, whatever else is in view.

use crate::classes::DoorbellClass;
use crate::detector::Detected;
use crate::package::{PackageChange, package_change_in_zones};
use sightline_core::doorbell_event::{Detection, EventType, MAX_DETECTIONS};
use sightline_core::motion::Polygon;

/// Least detector score that decides an event's type or is kept with it.
pub const NOTIFY_SCORE: f32 = 0.5;

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub event_type: EventType,
    /// The best box of each label over the clip, best first; a package change adds a
    /// `package_delivered` / `package_removed` entry with the package's box.
    pub detections: Vec<Detection>,
    /// The best score of what decided the type; `None` when the detector saw nothing.
    pub confidence: Option<f64>,
    pub package: Option<PackageChange>,
}

fn rank(class: DoorbellClass) -> u8 {
    match class {
        DoorbellClass::Person => 4,
        DoorbellClass::Package => 3,
        DoorbellClass::Vehicle => 2,
        DoorbellClass::Animal => 1,
        DoorbellClass::Other => 0,
    }
}

/// `zones`: the device's enabled detection zones, where a package change counts (none: the
/// whole frame).
pub fn verdict(device_type: EventType, frames: &[Vec<Detected>], zones: &[Polygon]) -> Verdict {
    let confident = |frame: &Vec<Detected>| -> Vec<Detected> {
        frame
            .iter()
            .filter(|d| d.confidence >= NOTIFY_SCORE && d.class != DoorbellClass::Other)
            .cloned()
            .collect()
    };
    let frames: Vec<Vec<Detected>> = frames.iter().map(confident).collect();
    let package = match (frames.first(), frames.last()) {
        (Some(first), Some(last)) if frames.len() > 1 => {
            package_change_in_zones(first, last, zones)
        }
        _ => None,
    };
    // The best detection of each label.
    let mut best: Vec<Detected> = Vec::new();
    for d in frames.iter().flatten() {
        match best.iter_mut().find(|b| b.label == d.label) {
            Some(b) if b.confidence < d.confidence => *b = d.clone(),
            Some(_) => {}
            None => best.push(d.clone()),
        }
    }
    best.sort_by(|a, b| {
        rank(b.class)
            .cmp(&rank(a.class))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    let top = best.first();
    let seen_type = match package {
        Some(_) => Some(EventType::Package),
        None => top.and_then(|d| d.class.event_type()),
    };
    let event_type = match device_type {
        EventType::DoorbellPress => EventType::DoorbellPress,
        other => seen_type.unwrap_or(other),
    };
    let mut detections: Vec<Detection> = Vec::new();
    if let Some(change) = package {
        let side = match change {
            PackageChange::Delivered => frames.last(),
            PackageChange::Removed => frames.first(),
        };
        if let Some(parcel) = side
            .into_iter()
            .flatten()
            .find(|d| d.class == DoorbellClass::Package)
        {
            detections.push(Detection {
                label: match change {
                    PackageChange::Delivered => "package_delivered".into(),
                    PackageChange::Removed => "package_removed".into(),
                },
                ..parcel.to_detection()
            });
        }
    }
    detections.extend(best.iter().map(Detected::to_detection));
    detections.truncate(MAX_DETECTIONS);
    let confidence = match package {
        Some(_) => best
            .iter()
            .find(|d| d.class == DoorbellClass::Package)
            .map(|d| f64::from(d.confidence)),
        None => top.map(|d| f64::from(d.confidence)),
    };
    Verdict {
        event_type,
        detections,
        confidence,
        package,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(label: &str, confidence: f32, x: f32) -> Detected {
        Detected {
            label: label.into(),
            class: DoorbellClass::from_label(label),
            confidence,
            x,
            y: 0.5,
            w: 0.1,
            h: 0.1,
        }
    }

    #[test]
    fn a_person_makes_a_motion_event_a_person_event() {
        let frames = vec![
            vec![seen("person", 0.6, 0.1), seen("sheep", 0.41, 0.5)],
            vec![seen("person", 0.8, 0.2), seen("car", 0.7, 0.6)],
        ];
        let v = verdict(EventType::Motion, &frames, &[]);
        assert_eq!(v.event_type, EventType::Person);
        assert_eq!(v.confidence, Some(0.8f32 as f64));
        let labels: Vec<_> = v.detections.iter().map(|d| d.label.as_str()).collect();
        assert_eq!(labels, ["person", "car"], "the weak sheep is dropped");
        assert!(
            (v.detections[0].x - 0.2).abs() < 1e-6,
            "the best box of the person"
        );
    }

    #[test]
    fn nothing_confident_keeps_the_device_type() {
        let frames = vec![vec![seen("person", 0.4, 0.1)], vec![seen("kite", 0.9, 0.1)]];
        let v = verdict(EventType::Motion, &frames, &[]);
        assert_eq!(v.event_type, EventType::Motion);
        assert!(v.detections.is_empty());
        assert_eq!(v.confidence, None);
        assert_eq!(
            verdict(EventType::Motion, &[], &[]).event_type,
            EventType::Motion
        );
    }

    #[test]
    fn a_press_stays_a_press_with_what_was_seen() {
        let v = verdict(
            EventType::DoorbellPress,
            &[vec![seen("person", 0.9, 0.3)]],
            &[],
        );
        assert_eq!(v.event_type, EventType::DoorbellPress);
        assert_eq!(v.detections[0].label, "person");
    }

    #[test]
    fn a_package_left_at_the_door_is_a_delivery() {
        let frames = vec![
            vec![seen("person", 0.9, 0.4)],
            vec![seen("person", 0.8, 0.4), seen("suitcase", 0.7, 0.7)],
            vec![seen("suitcase", 0.75, 0.7)],
        ];
        let v = verdict(EventType::Motion, &frames, &[]);
        assert_eq!(v.package, Some(PackageChange::Delivered));
        assert_eq!(v.event_type, EventType::Package);
        assert_eq!(v.detections[0].label, "package_delivered");
        assert_eq!(v.confidence, Some(0.75f32 as f64));
        let taken = verdict(
            EventType::Motion,
            &[
                vec![seen("backpack", 0.8, 0.7)],
                vec![seen("person", 0.9, 0.2)],
            ],
            &[],
        );
        assert_eq!(taken.package, Some(PackageChange::Removed));
        assert_eq!(taken.detections[0].label, "package_removed");
    }
}
