use super::*;
use crate::memory::track::RawSignals;
use proptest::prelude::*;

fn opts() -> SegmentOptions {
    SegmentOptions::default()
}

fn second(at: u32, sharpness: f32) -> SecondInterest {
    SecondInterest {
        at_secs: at,
        sharpness,
        motion: 0.5,
        audio: 0.5,
        flat: false,
        dark: false,
        raw: RawSignals {
            laplacian_variance: 100.0,
            frame_difference: 4.0,
            audio_dbfs: -30.0,
            luma_mean: 120.0,
            luma_std: 40.0,
            frames: 10,
        },
    }
}

fn spans(found: &[Segment]) -> Vec<(u32, u32)> {
    found.iter().map(|s| (s.start_secs, s.end_secs)).collect()
}

#[test]
fn short_videos_give_one_whole_window_from_two_seconds() {
    assert_eq!(
        spans(&best_segments_of_scores(&[0.5; 3], &opts())),
        [(0, 3)]
    );
    assert_eq!(
        spans(&best_segments_of_scores(&[0.5; 4], &opts())),
        [(0, 4)]
    );
    assert_eq!(
        spans(&best_segments_of_scores(&[0.5; 2], &opts())),
        [(0, 2)]
    );
    assert!(best_segments_of_scores(&[0.9], &opts()).is_empty());
    assert!(best_segments_of_scores(&[], &opts()).is_empty());
    assert_eq!(
        spans(&best_segments_of_scores(&[0.5; 5], &opts())),
        [(0, 5)]
    );
}

#[test]
fn a_good_stretch_is_found_exactly() {
    let mut scores = vec![0.2; 60];
    scores[20..30].iter_mut().for_each(|s| *s = 0.9);
    let found = best_segments_of_scores(&scores, &opts());
    assert_eq!(found[0].start_secs, 20);
    assert_eq!(found[0].end_secs, 30);
    assert!((found[0].score - 0.9).abs() < 1e-6);
    // The rest of the video is dull but still shown as lower-ranked windows.
    assert!(found[1..].iter().all(|s| s.score < 0.5));
}

#[test]
fn windows_grow_to_at_most_fifteen_seconds() {
    let found = best_segments_of_scores(&[0.8; 40], &opts());
    assert_eq!(spans(&found), [(0, 15), (15, 30), (30, 40)]);
}

#[test]
fn growth_goes_towards_the_better_neighbour() {
    let mut scores = vec![0.1; 30];
    // Peak 10..15; left neighbour 0.85, right neighbour 0.6: the window grows left first.
    scores[10..15].iter_mut().for_each(|s| *s = 0.9);
    scores[9] = 0.85;
    scores[15] = 0.75;
    let found = best_segments_of_scores(&scores, &opts());
    assert_eq!((found[0].start_secs, found[0].end_secs), (9, 16));
}

#[test]
fn dull_or_covered_videos_give_nothing() {
    assert!(best_segments_of_scores(&[0.05; 30], &opts()).is_empty());
    let covered: Vec<_> = (0..4)
        .map(|i| SecondInterest {
            flat: true,
            ..second(i, 0.9)
        })
        .collect();
    assert!(best_segments(&covered, &[], &opts()).is_empty());
}

#[test]
fn sharp_half_wins_over_blurred_half() {
    let track: Vec<_> = (0..20)
        .map(|i| second(i, if i < 10 { 0.05 } else { 0.95 }))
        .collect();
    let found = best_segments(&track, &[], &opts());
    assert_eq!((found[0].start_secs, found[0].end_secs), (10, 20));
}

#[test]
fn people_in_view_decide_between_equal_seconds() {
    let track: Vec<_> = (0..20).map(|i| second(i, 0.6)).collect();
    let mut people = vec![0.0; 20];
    people[3..9].iter_mut().for_each(|p| *p = 1.0);
    let found = best_segments(&track, &people, &opts());
    assert_eq!((found[0].start_secs, found[0].end_secs), (3, 9));
    // A people slice shorter than the track counts the rest as "nobody".
    let found = best_segments(&track, &people[..9], &opts());
    assert_eq!((found[0].start_secs, found[0].end_secs), (3, 9));
}

#[test]
fn max_segments_is_respected() {
    let o = SegmentOptions {
        max_segments: 2,
        ..opts()
    };
    assert_eq!(best_segments_of_scores(&[0.8; 100], &o).len(), 2);
}

proptest! {
    #[test]
    fn windows_are_valid_disjoint_and_ranked(
        scores in proptest::collection::vec(0.0f32..1.0, 0..120),
    ) {
        let o = opts();
        let found = best_segments_of_scores(&scores, &o);
        let n = scores.len() as u32;
        prop_assert!(found.len() <= o.max_segments);
        for s in &found {
            prop_assert!(s.end_secs <= n);
            let len = s.duration_secs();
            if n >= o.min_secs {
                prop_assert!((o.min_secs..=o.max_secs).contains(&len), "{s:?}");
            } else {
                prop_assert_eq!((s.start_secs, s.end_secs), (0, n));
            }
            let window = &scores[s.start_secs as usize..s.end_secs as usize];
            let mean = window.iter().map(|&x| f64::from(x)).sum::<f64>() / window.len() as f64;
            prop_assert!((f64::from(s.score) - mean).abs() < 1e-5);
            prop_assert!(s.score >= o.min_score);
        }
        for (i, a) in found.iter().enumerate() {
            for b in &found[i + 1..] {
                prop_assert!(a.end_secs <= b.start_secs || b.end_secs <= a.start_secs);
                prop_assert!(a.score >= b.score);
            }
        }
        prop_assert_eq!(found, best_segments_of_scores(&scores, &o));
    }
}
