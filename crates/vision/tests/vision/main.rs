//! The vision crate on real models and real pixels: NanoDet from the model cache on the
//! OpenCV sample footage (Debian `opencv-doc`), tiny YOLO-format fixtures, ffmpeg keyframes.

mod keyframes;
mod load_errors;
mod nanodet;
mod yolo;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sightline_vision::ObjectDetector;

/// A file of Debian's `opencv-doc` sample data.
pub fn opencv_data(name: &str) -> PathBuf {
    let path = Path::new("/usr/share/doc/opencv-doc/examples/data").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/install-deps.sh (Debian opencv-doc)",
        path.display()
    );
    path
}

/// The default NanoDet detector, loaded once per test binary.
pub fn nanodet() -> &'static ObjectDetector {
    static DETECTOR: OnceLock<ObjectDetector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        ObjectDetector::load_default()
            .unwrap_or_else(|e| panic!("the default detector must be installed: {e}"))
    })
}

/// A file of this crate's test fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs ffmpeg with `args` (quiet, overwriting) and fails the test if it fails.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs (scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
