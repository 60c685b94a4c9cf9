use super::*;

const W: u32 = 8;
const H: u32 = 6;

fn checker(phase: usize) -> Vec<u8> {
    (0..(W * H) as usize)
        .map(|i| {
            let (x, y) = (i % W as usize, i / W as usize);
            if (x + y + phase).is_multiple_of(2) {
                250
            } else {
                5
            }
        })
        .collect()
}

fn s16(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

#[test]
fn records_come_out_whole_whatever_the_chunking() {
    let stream: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    for chunk_len in 1..=13 {
        let mut records = Records::new(7);
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for chunk in stream.chunks(chunk_len) {
            records.push(chunk, |r| seen.push(r.to_vec()));
        }
        let expected: Vec<Vec<u8>> = stream.chunks_exact(7).map(<[u8]>::to_vec).collect();
        assert_eq!(seen, expected, "chunks of {chunk_len}");
        assert_eq!(records.leftover(), 1000 % 7);
    }
}

#[test]
fn audio_samples_split_across_chunks_are_rejoined() {
    let samples: Vec<i16> = (0..40).map(|i| (i * 811 - 16000) as i16).collect();
    let bytes = s16(&samples);
    let mut whole = AudioSeconds::new(10);
    whole.push_bytes(&bytes);
    let mut bytewise = AudioSeconds::new(10);
    bytes.chunks(3).for_each(|c| bytewise.push_bytes(c));
    assert_eq!(whole.sums_of_squares, bytewise.sums_of_squares);
    assert_eq!(whole.sums_of_squares.len(), 4);
    let expected: f64 = samples[10..20].iter().map(|&s| f64::from(s).powi(2)).sum();
    assert_eq!(whole.sums_of_squares[1], (expected, 10));
}

/// Second 0: black (flat, dark, still); second 1: a checkerboard flipping every frame (sharp,
/// moving); second 2: the board flipping once.
fn three_seconds() -> VideoSeconds {
    let mut video = VideoSeconds::new(W, H, 2);
    let black = vec![0u8; (W * H) as usize];
    for frame in [
        &black,
        &black,
        &checker(0),
        &checker(1),
        &checker(1),
        &checker(0),
    ] {
        video.push_frame(frame);
    }
    video
}

#[test]
fn video_seconds_measure_focus_motion_and_flatness() {
    let video = three_seconds();
    assert_eq!(video.complete_seconds(), 3);
    let track = build_track(&video, None, 3);
    assert_eq!(track.seconds.len(), 3);
    assert_eq!(
        (track.frame_width, track.frame_height, track.sample_fps),
        (W, H, 2)
    );
    let [black, flipping, calmer] = [0, 1, 2].map(|i| track.seconds[i]);

    assert!(black.flat && black.dark);
    assert!(!flipping.flat && !flipping.dark && !calmer.flat);
    assert_eq!(black.raw.laplacian_variance, 0.0);
    assert!(flipping.raw.laplacian_variance > 1e5);
    assert_eq!(black.sharpness, 0.0);
    assert_eq!(calmer.sharpness, 1.0);

    // Frame differences: 0 within the black second; black→board (127.5) and board→flipped (245)
    // in the second one; board→board (0) and board→flipped (245) in the third.
    assert_eq!(black.raw.frame_difference, 0.0);
    assert!((flipping.raw.frame_difference - (127.5 + 245.0) / 2.0).abs() < 0.01);
    assert!((calmer.raw.frame_difference - 245.0 / 2.0).abs() < 0.01);
    assert_eq!(black.motion, 0.0);
    assert_eq!(flipping.motion, 1.0);
    assert!(calmer.motion > 0.0 && calmer.motion < 1.0);

    assert_eq!(track.audio_sample_rate, 0);
    assert!(
        track
            .seconds
            .iter()
            .all(|s| s.raw.audio_dbfs == SILENCE_DBFS)
    );
    assert!(track.seconds.iter().all(|s| s.audio == 0.5));
}

#[test]
fn the_track_stops_at_the_whole_seconds() {
    let mut video = three_seconds();
    video.push_frame(&checker(0)); // half of a fourth second
    assert_eq!(video.complete_seconds(), 3);
    assert_eq!(build_track(&video, None, 3).seconds.len(), 3);
    // A duration longer than the frames (a lying container) cannot invent seconds.
    assert_eq!(build_track(&video, None, 10).seconds.len(), 4);
    let at: Vec<u32> = build_track(&video, None, 3)
        .seconds
        .iter()
        .map(|s| s.at_secs)
        .collect();
    assert_eq!(at, [0, 1, 2]);
}

#[test]
fn loud_seconds_rank_above_quiet_ones() {
    let video = three_seconds();
    let mut audio = AudioSeconds::new(4);
    audio.push_bytes(&s16(&[0, 0, 0, 0])); // silence
    audio.push_bytes(&s16(&[16384, -16384, 16384, -16384])); // −6 dBFS
    audio.push_bytes(&s16(&[1000, -1000, 1000, -1000])); // −30.3 dBFS
    let track = build_track(&video, Some(&audio), 3);
    let levels: Vec<f32> = track.seconds.iter().map(|s| s.raw.audio_dbfs).collect();
    assert_eq!(levels[0], SILENCE_DBFS);
    assert!(
        (levels[1] + 6.02).abs() < 0.01 && (levels[2] + 30.3).abs() < 0.01,
        "{levels:?}"
    );
    assert_eq!(track.seconds[0].audio, 0.0);
    assert_eq!(track.seconds[1].audio, 1.0);
    assert!(track.seconds[2].audio > 0.5 && track.seconds[2].audio < 1.0);
    assert_eq!(track.audio_sample_rate, 4);
}
