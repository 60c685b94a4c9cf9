//! Missing, corrupted and foreign model files fail with messages that say what to do.

use sightline_vision::{NANODET_FILE, ObjectDetector, VisionError};

#[test]
fn a_missing_default_model_names_the_script_that_fetches_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ObjectDetector::load_from_models_dir(dir.path()).expect_err("empty cache");
    assert!(matches!(err, VisionError::ModelMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("scripts/install-detector.sh"), "{message}");
    assert!(message.contains(NANODET_FILE), "{message}");
}

#[test]
fn a_corrupted_default_model_fails_its_checksum() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(NANODET_FILE), b"not an onnx model").expect("write");
    let err = ObjectDetector::load_from_models_dir(dir.path()).expect_err("garbage");
    assert!(matches!(err, VisionError::ModelChecksum { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("SHA-256"), "{message}");
    assert!(
        message.contains("delete it and run scripts/install-detector.sh"),
        "{message}"
    );
}

#[test]
fn a_garbage_configured_model_is_not_loadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("yolo.onnx");
    for bytes in [
        &b"\x08\x07garbage\xff\xff\xff\xff"[..],
        b"",
        &[0xffu8; 4096],
    ] {
        std::fs::write(&path, bytes).expect("write");
        let err = ObjectDetector::load_yolo(&path, vec![]).expect_err("garbage");
        assert!(
            matches!(
                err,
                VisionError::InvalidModel { .. } | VisionError::UnsupportedModel { .. }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("yolo.onnx"), "{err}");
    }
}

#[test]
fn a_missing_configured_model_points_at_the_configuration() {
    let err = ObjectDetector::load_yolo(std::path::Path::new("/nonexistent/yolo.onnx"), vec![])
        .expect_err("missing");
    assert!(
        matches!(err, VisionError::ConfiguredModelMissing { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("/nonexistent/yolo.onnx"), "{err}");
}

#[test]
fn a_model_with_the_wrong_head_is_unsupported() {
    // The YOLO fixture has 2 classes: declaring the 80 COCO labels does not fit its output.
    let err = ObjectDetector::load_yolo(&crate::fixture("yolov8_tiny.onnx"), vec![])
        .expect_err("2-class model, 80 labels");
    assert!(
        matches!(err, VisionError::UnsupportedModel { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("labels"), "{err}");
}
