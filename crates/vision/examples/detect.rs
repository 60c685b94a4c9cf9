//! Runs the default detector on images or clips and prints what it sees and how long it took:
//! `cargo run --release -p sightline-vision --example detect -- FILE…`
//! (clips are sampled one frame a second, at most 10 frames).

use std::path::Path;
use std::time::Instant;

use sightline_vision::{ObjectDetector, VisionError, decode_keyframes};

fn main() -> Result<(), VisionError> {
    let started = Instant::now();
    let detector = ObjectDetector::load_default()?;
    println!("loaded {detector:?} in {:?}", started.elapsed());
    for arg in std::env::args().skip(1) {
        let frames = decode_keyframes(Path::new(&arg), 1.0, 10)?;
        for (t, frame) in frames {
            let started = Instant::now();
            let found = detector.detect_image(&frame)?;
            let took = started.elapsed();
            println!(
                "{arg} @{t:.1}s {}×{}: {} objects in {took:?}",
                frame.width(),
                frame.height(),
                found.len()
            );
            for d in found {
                println!(
                    "  {:<14} {:<8} {:.2}  x {:.3} y {:.3} w {:.3} h {:.3}",
                    d.label, d.class, d.confidence, d.x, d.y, d.w, d.h
                );
            }
        }
    }
    Ok(())
}
