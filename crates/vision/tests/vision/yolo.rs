//! YOLO-format models: the v8 and v5 output layouts, letterboxing and label mapping, on two
//! tiny fixture models (tests/fixtures/make_yolo_fixtures.py) whose package score is the mean
//! of the red input plane.

use sightline_vision::{DoorbellClass, ObjectDetector, YOLO_DEFAULT_INPUT};

use crate::fixture;

fn labels() -> Vec<String> {
    vec!["package".into(), "dog".into()]
}

/// A 128×64 frame of one colour.
fn frame(rgb: [u8; 3]) -> Vec<u8> {
    std::iter::repeat_n(rgb, 128 * 64).flatten().collect()
}

#[test]
fn v8_and_v5_layouts_decode_the_same_boxes() {
    for file in ["yolov8_tiny.onnx", "yolov5_tiny.onnx"] {
        let detector = ObjectDetector::load_yolo(&fixture(file), labels()).expect("loads");
        assert_eq!(
            detector.input_size(),
            (64, 64),
            "{file}: the size fixed in the file"
        );

        // Red frame: the 64×32 letterboxed image is red (1.0), the bars grey (114/255), so the
        // package scores (1.0 + 0.447) / 2.
        let found = detector
            .detect(&frame([255, 0, 0]), 128, 64)
            .expect("detects");
        assert_eq!(found.len(), 2, "{file}: {found:#?}");
        let dog = &found[0];
        assert_eq!(
            (dog.label.as_str(), dog.class),
            ("dog", DoorbellClass::Animal)
        );
        assert!((dog.confidence - 0.9).abs() < 1e-5);
        let package = &found[1];
        assert_eq!(package.class, DoorbellClass::Package);
        assert!(
            (package.confidence - (1.0 + 114.0 / 255.0) / 2.0).abs() < 1e-3,
            "{package:?}"
        );
        // (16, 24)–(48, 40) in the 64×64 input is the middle half of the 128×64 frame.
        for (got, want) in [
            (package.x, 0.25),
            (package.y, 0.25),
            (package.w, 0.5),
            (package.h, 0.5),
        ] {
            assert!((got - want).abs() < 1e-3, "{file}: {package:?}");
        }

        // Black frame: only the bars are lit, the package scores 0.22, under the threshold.
        let found = detector
            .detect(&frame([0, 0, 0]), 128, 64)
            .expect("detects");
        assert_eq!(found.len(), 1, "{file}: {found:#?}");
        assert_eq!(found[0].label, "dog");
    }
}

#[test]
fn a_yolo_model_takes_any_frame_size() {
    let detector =
        ObjectDetector::load_yolo(&fixture("yolov8_tiny.onnx"), labels()).expect("loads");
    // Portrait and tiny frames letterbox too.
    for (w, h) in [(64u32, 128u32), (1, 1), (333, 77)] {
        let rgb = vec![200u8; (w * h * 3) as usize];
        let found = detector.detect(&rgb, w, h).expect("detects");
        assert!(
            found
                .iter()
                .all(|d| (0.0..=1.0).contains(&d.x) && d.x + d.w <= 1.0 + 1e-6)
        );
    }
    assert_eq!(YOLO_DEFAULT_INPUT, 640);
}
