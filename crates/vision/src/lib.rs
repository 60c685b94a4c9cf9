//! Object detection for doorbell events (the cloud AI tier), in pure Rust on tract:
//!
//! * [`ObjectDetector`] runs NanoDet (80 COCO classes, from the model cache, checksum verified)
//!   or any YOLO-format ONNX the user configures, and returns [`Detected`] boxes with their
//!   [`DoorbellClass`] (person, vehicle, animal, package, other);
//! * [`decode_keyframes`] samples a clip's frames with ffmpeg for it;
//! * [`package_change`] compares the packages of the first and last frames of a zone.
//!
//! `scripts/install-detector.sh` (run by `scripts/install-models.sh`) fetches and converts the
//! default model; a missing model is an error that says so.

mod boxes;
mod classes;
mod detector;
mod error;
mod image;
mod keyframes;
mod nanodet;
mod package;
mod preprocess;
mod verdict;
mod yolo;

pub use boxes::iou;
pub use classes::{COCO_LABELS, DoorbellClass, coco_labels};
pub use detector::{
    DetectConfig, Detected, NANODET_FILE, NANODET_INPUT, NANODET_SHA256, ObjectDetector,
    YOLO_DEFAULT_INPUT,
};
pub use error::{INSTALL_DETECTOR_HINT, VisionError};
pub use image::RgbImage;
pub use keyframes::{
    KEYFRAME_MAX_SIDE, KEYFRAME_TIMEOUT, decode_image, decode_keyframes, decode_keyframes_with,
};
pub use package::{PackageChange, SAME_PACKAGE_IOU, package_change};
pub use verdict::{NOTIFY_SCORE, Verdict, verdict};
