//! The edge motion detector on real footage: OpenCV's `vtest.avi` (people walking across a
//! plaza, 768×576 at 10 frames/s, 795 frames), decoded by ffmpeg to 320×240 grey frames the way
//! the agent pipes them.

use sightline_core::motion::{
    MotionConfig, MotionDetector, MotionEvent, MotionTracker, TrackerConfig,
};
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const W: u32 = 320;
const H: u32 = 240;

/// Missing footage or ffmpeg fails the test: CI installs both with scripts/install-deps.sh.
fn decode_grey(path: &str) -> Vec<Vec<u8>> {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: run bash scripts/install-deps.sh"
    );
    let mut child = match Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i", path])
        .args(["-vf", "scale=320:-2,format=gray", "-f", "rawvideo", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("ffmpeg could not start ({e}): run bash scripts/install-deps.sh"),
    };
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut frames = Vec::new();
    let mut frame = vec![0u8; (W * H) as usize];
    loop {
        match stdout.read_exact(&mut frame) {
            Ok(()) => frames.push(frame.clone()),
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("reading ffmpeg output: {e}"),
        }
    }
    assert!(
        child.wait().expect("ffmpeg exit").success(),
        "ffmpeg failed"
    );
    frames
}

#[test]
fn people_walking_in_vtest_are_detected_with_plausible_boxes() {
    let frames = decode_grey(VTEST);
    assert!(frames.len() > 700, "{} frames", frames.len());
    let config = MotionConfig::default();
    let warmup = config.warmup_frames as usize;
    let mut detector = MotionDetector::new(W, H, config).unwrap();
    let min_area = detector.min_area();
    let mut tracker = MotionTracker::new(TrackerConfig::default()).unwrap();

    let mut motion_frames = 0;
    let mut light_frames = 0;
    let mut box_heights = Vec::new();
    let mut box_areas = Vec::new();
    let mut frame_box_fraction = Vec::new();
    let mut starts = 0;
    let mut times = Vec::with_capacity(frames.len());
    for (i, frame) in frames.iter().enumerate() {
        let clock = Instant::now();
        let analysis = detector.analyse(frame).unwrap();
        times.push(clock.elapsed());
        if i < warmup {
            assert!(analysis.warming_up);
            continue;
        }
        light_frames += usize::from(analysis.light_change);
        if analysis.has_motion() {
            motion_frames += 1;
        }
        let mut covered = 0;
        for b in analysis.boxes {
            assert!(b.width > 0 && b.height > 0, "{b:?}");
            assert!(
                b.x + b.width <= W && b.y + b.height <= H,
                "outside the frame: {b:?}"
            );
            assert!(b.area >= min_area && b.area <= b.width * b.height, "{b:?}");
            assert!((0.0..=1.0).contains(&b.confidence), "{b:?}");
            box_heights.push(b.height);
            box_areas.push(b.width * b.height);
            covered += b.width * b.height;
        }
        frame_box_fraction.push(covered as f32 / (W * H) as f32);
        if i % 200 == 0 {
            eprintln!("frame {i}: {:?}", analysis.boxes);
        }
        let at = Duration::from_millis(i as u64 * 100);
        if let Some(MotionEvent::MotionStarted {
            boxes, confidence, ..
        }) = tracker.update(at, &analysis)
        {
            starts += 1;
            assert!(!boxes.is_empty() && confidence > 0.0);
        }
    }
    let analysed = frames.len() - warmup;
    // Median and 90th percentile: the machine is shared, the mean catches preemptions.
    times.sort_unstable();
    let per_frame = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    box_heights.sort_unstable();
    box_areas.sort_unstable();
    frame_box_fraction.sort_by(f32::total_cmp);
    let median = |v: &[u32]| v[v.len() / 2];
    eprintln!(
        "vtest: {} frames, {motion_frames}/{analysed} with motion, {starts} events, \
         {light_frames} light-change frames, {} boxes, median box height {} area {}, \
         median covered fraction {:.3}, {per_frame:?} per frame (median, p90 {p90:?})",
        frames.len(),
        box_heights.len(),
        median(&box_heights),
        median(&box_areas),
        frame_box_fraction[frame_box_fraction.len() / 2],
    );

    // People walk through the whole clip: motion on most frames, and it is one long event
    // (or a few, the default 60 s cooldown between them).
    assert!(
        motion_frames * 10 >= analysed * 8,
        "motion on {motion_frames} of {analysed} frames"
    );
    assert!((1..=3).contains(&starts), "{starts} events");
    assert_eq!(light_frames, 0, "no light changes in this clip");
    // Boxes are people-sized at this scale (a walker is roughly 15–35 × 40–90 px), not the
    // whole frame: median height within a person's range, boxes covering a minority of it.
    let h = median(&box_heights);
    assert!((12..=120).contains(&h), "median box height {h}");
    assert!(
        frame_box_fraction[frame_box_fraction.len() / 2] < 0.25,
        "boxes cover most of the frame"
    );
    assert!(
        median(&box_areas) < W * H / 10,
        "median box area {}",
        median(&box_areas)
    );
}
