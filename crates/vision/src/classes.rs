//! The 80 COCO classes the detectors know, and what a doorbell cares about among them.

use sightline_core::doorbell_event::EventType;

/// COCO class names in the order of the 80 outputs of NanoDet and of YOLO models trained on
/// COCO.
pub use sightline_core::coco::COCO_LABELS;

/// The COCO labels as owned strings, the default label list of a YOLO model.
pub fn coco_labels() -> Vec<String> {
    COCO_LABELS.iter().map(|l| (*l).to_owned()).collect()
}

/// What a detection means at a front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DoorbellClass {
    Person,
    Vehicle,
    Animal,
    /// COCO has no parcel class: suitcases, backpacks and handbags stand in for packages.
    Package,
    Other,
}

impl DoorbellClass {
    /// The doorbell class of a detector label: COCO names, plus the obvious names a custom
    /// YOLO model might use (`package`, `parcel`, `van`, …). Case and `_`/space do not matter.
    pub fn from_label(label: &str) -> Self {
        let label = label.trim().to_ascii_lowercase().replace('_', " ");
        match label.as_str() {
            "person" | "people" | "pedestrian" => Self::Person,
            "bicycle" | "car" | "motorcycle" | "motorbike" | "bus" | "truck" | "van"
            | "vehicle" => Self::Vehicle,
            "bird" | "cat" | "dog" | "horse" | "sheep" | "cow" | "elephant" | "bear" | "zebra"
            | "giraffe" | "animal" | "fox" | "deer" | "raccoon" => Self::Animal,
            "suitcase" | "backpack" | "handbag" | "package" | "parcel" | "box" => Self::Package,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Vehicle => "vehicle",
            Self::Animal => "animal",
            Self::Package => "package",
            Self::Other => "other",
        }
    }

    /// The doorbell event type this class raises, if any.
    pub fn event_type(self) -> Option<EventType> {
        match self {
            Self::Person => Some(EventType::Person),
            Self::Vehicle => Some(EventType::Vehicle),
            Self::Animal => Some(EventType::Animal),
            Self::Package => Some(EventType::Package),
            Self::Other => None,
        }
    }
}

impl std::fmt::Display for DoorbellClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coco_classes_map_as_the_issue_says() {
        let class = |l| DoorbellClass::from_label(l);
        assert_eq!(class("person"), DoorbellClass::Person);
        for v in ["car", "truck", "bus", "motorcycle", "bicycle"] {
            assert_eq!(class(v), DoorbellClass::Vehicle, "{v}");
        }
        for a in ["bird", "cat", "dog", "horse", "sheep", "cow", "bear"] {
            assert_eq!(class(a), DoorbellClass::Animal, "{a}");
        }
        for p in ["suitcase", "backpack", "handbag"] {
            assert_eq!(class(p), DoorbellClass::Package, "{p}");
        }
        for o in ["traffic light", "toothbrush", "train", "chair"] {
            assert_eq!(class(o), DoorbellClass::Other, "{o}");
        }
        // Custom model spellings.
        assert_eq!(class(" Package "), DoorbellClass::Package);
        assert_eq!(
            class("Motor_Bike".replace('_', "").as_str()),
            DoorbellClass::Vehicle
        );
    }

    #[test]
    fn labels_are_the_80_coco_names() {
        assert_eq!(COCO_LABELS[0], "person");
        assert_eq!(COCO_LABELS[28], "suitcase");
        assert_eq!(COCO_LABELS[79], "toothbrush");
        let mut unique = COCO_LABELS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 80);
    }

    #[test]
    fn classes_raise_their_event_types() {
        assert_eq!(DoorbellClass::Person.event_type(), Some(EventType::Person));
        assert_eq!(
            DoorbellClass::Package.event_type(),
            Some(EventType::Package)
        );
        assert_eq!(DoorbellClass::Other.event_type(), None);
    }
}
