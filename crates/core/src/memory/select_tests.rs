use super::*;
use crate::memory::pick::{Picker, Usable, pick_lazily, usable_candidates};
use chrono::{Duration, TimeZone};
use proptest::prelude::*;
use uuid::Uuid;

fn media(n: u8) -> MediaId {
    MediaId(Uuid::from_bytes([n; 16]))
}

/// 2024-07-`day` 10:00 UTC plus `secs`.
fn at(day: u32, secs: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, day, 10, 0, 0)
        .single()
        .expect("valid date")
        + Duration::seconds(i64::from(secs))
}

/// A video segment `[start, end)` of video `n`, which started on July `day` at 10:00.
fn video(n: u8, day: u32, start: u32, end: u32, relevance: f32, quality: f32) -> Candidate {
    Candidate {
        media_id: media(n),
        kind: MediaKind::Video,
        captured_at: at(day, start),
        start_secs: start,
        end_secs: end,
        relevance,
        quality,
    }
}

fn photo(n: u8, day: u32, secs: u32, relevance: f32) -> Candidate {
    Candidate {
        kind: MediaKind::Photo,
        captured_at: at(day, secs),
        ..video(n, day, 0, 0, relevance, 0.5)
    }
}

fn windows(selection: &Selection) -> Vec<(MediaId, u32, u32)> {
    selection
        .clips
        .iter()
        .map(|c| (c.media_id, c.start_secs, c.end_secs))
        .collect()
}

#[test]
fn nothing_to_choose_from_says_why() {
    let s = select_clips(Vec::new(), SelectOptions::default());
    assert!(s.clips.is_empty());
    assert_eq!(s.reason().as_deref(), Some("no matching videos or photos"));

    let s = select_clips(
        vec![photo(1, 1, 0, 0.9), photo(2, 1, 60, 0.9)],
        SelectOptions::default(),
    );
    assert_eq!(
        s.reason().as_deref(),
        Some("no matching videos (2 matching photos were left out: photos were not included)")
    );

    let s = select_clips(vec![video(1, 1, 0, 1, 0.9, 0.9)], SelectOptions::default());
    assert_eq!(s.reason().as_deref(), Some("matches are shorter than 2 s"));

    let opts = SelectOptions {
        max_duration_secs: 1.5,
        ..SelectOptions::default()
    };
    let s = select_clips(vec![video(1, 1, 0, 10, 0.9, 0.9)], opts);
    assert_eq!(
        s.empty_reason,
        Some(NoClipsReason::CapTooShort {
            max_duration_secs: 1.5
        })
    );
    assert_eq!(s.total_secs, 0.0);
}

#[test]
fn the_cap_counts_crossfades_and_the_last_clip_is_trimmed() {
    let candidates: Vec<_> = (1..=12)
        .map(|n| video(n, u32::from(n), 0, 15, 0.9, 0.8))
        .collect();
    let s = select_clips(candidates, SelectOptions::default());
    // 8 × 15 − 7 × 0.5 = 116.5; room for a 9th: 120 − 116.5 + 0.5 = 4 s.
    assert_eq!(s.clips.len(), 9);
    let durations: Vec<_> = s.clips.iter().map(SelectedClip::duration_secs).collect();
    assert_eq!(durations.iter().filter(|&&d| d == 15).count(), 8);
    let trimmed: Vec<_> = s.clips.iter().filter(|c| c.trimmed).collect();
    assert_eq!(trimmed.len(), 1);
    assert_eq!(trimmed[0].duration_secs(), 4);
    assert_eq!(s.total_secs, 120.0);
    assert_eq!(s.empty_reason, None);
}

#[test]
fn a_clip_is_not_trimmed_below_three_seconds() {
    // 15 + 10 − 0.5 = 24.5 of 27: room for 3 s → trimmed; of 26.5: room 2.5 → left out.
    let candidates = vec![
        video(1, 1, 0, 15, 1.0, 1.0),
        video(2, 2, 0, 10, 0.9, 0.9),
        video(3, 3, 0, 10, 0.8, 0.8),
    ];
    let opts = |cap| SelectOptions {
        max_duration_secs: cap,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates.clone(), opts(27.0));
    assert_eq!(s.clips.len(), 3);
    assert_eq!(s.clips[2].duration_secs(), 3);
    assert_eq!(s.total_secs, 27.0);
    let s = select_clips(candidates, opts(26.5));
    assert_eq!(s.clips.len(), 2);
    assert_eq!(s.total_secs, 24.5);
}

#[test]
fn a_short_clip_that_fits_is_taken_whole() {
    let candidates = vec![video(1, 1, 0, 15, 1.0, 1.0), video(2, 2, 0, 2, 0.1, 0.1)];
    let opts = SelectOptions {
        max_duration_secs: 17.0,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates, opts);
    assert_eq!(windows(&s), [(media(1), 0, 15), (media(2), 0, 2)]);
    assert_eq!(s.total_secs, 16.5);
}

#[test]
fn relevance_outweighs_quality() {
    let candidates = vec![video(1, 1, 0, 10, 0.9, 0.3), video(2, 2, 0, 10, 0.4, 0.9)];
    let opts = SelectOptions {
        max_duration_secs: 10.0,
        ..SelectOptions::default()
    };
    assert_eq!(
        windows(&select_clips(candidates, opts)),
        [(media(1), 0, 10)]
    );
}

#[test]
fn other_videos_get_a_turn_before_a_second_segment_of_the_same_one() {
    let mut candidates: Vec<_> = (0..5)
        .map(|i| video(1, 1, i * 20, i * 20 + 10, 0.9, 0.9))
        .collect();
    candidates.push(video(2, 2, 0, 10, 0.8, 0.8));
    candidates.push(video(3, 3, 0, 10, 0.8, 0.8));
    let opts = SelectOptions {
        max_duration_secs: 29.0,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates, opts);
    let ids: Vec<_> = s.clips.iter().map(|c| c.media_id).collect();
    assert_eq!(ids, [media(1), media(2), media(3)]);
}

#[test]
fn other_days_get_a_turn_before_more_of_the_same_day() {
    // Four different videos on day 1, one on day 5 slightly less relevant.
    let mut candidates: Vec<_> = (1..=4)
        .map(|n| video(n, 1, u32::from(n) * 600, u32::from(n) * 600 + 10, 0.9, 0.9))
        .collect();
    candidates.push(video(9, 5, 0, 10, 0.85, 0.85));
    let opts = SelectOptions {
        max_duration_secs: 19.5,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates, opts);
    let ids: Vec<_> = s.clips.iter().map(|c| c.media_id).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&media(9)), "{ids:?}");
}

#[test]
fn days_follow_the_users_offset() {
    // 23:30 and 00:30 UTC: two days in UTC, one day at UTC−2.
    let late = Utc
        .with_ymd_and_hms(2024, 7, 1, 23, 30, 0)
        .single()
        .expect("valid");
    let early = late + Duration::hours(1);
    let mut a = video(1, 1, 0, 10, 0.9, 0.9);
    a.captured_at = late;
    let mut b = video(2, 1, 0, 10, 0.9, 0.9);
    b.captured_at = early;
    let c = video(3, 9, 0, 10, 0.85, 0.85);
    let opts = |offset| SelectOptions {
        max_duration_secs: 19.5,
        utc_offset_secs: offset,
        ..SelectOptions::default()
    };
    let utc = select_clips(vec![a, b, c], opts(0));
    assert_eq!(windows(&utc).len(), 2);
    assert!(!utc.clips.iter().any(|c| c.media_id == media(3)));
    let west = select_clips(vec![a, b, c], opts(-2 * 3600));
    assert!(west.clips.iter().any(|c| c.media_id == media(3)));
}

#[test]
fn near_duplicates_are_left_out() {
    let candidates = vec![
        video(1, 1, 0, 10, 0.9, 0.9),
        // Touching and overlapping windows of the same video.
        video(1, 1, 10, 20, 0.9, 0.9),
        video(1, 1, 5, 15, 0.9, 0.9),
        // Another device filming the same moment, and a clip starting 2 s after the first ends.
        Candidate {
            captured_at: at(1, 3),
            ..video(2, 1, 0, 10, 0.9, 0.9)
        },
        Candidate {
            captured_at: at(1, 12),
            ..video(3, 1, 0, 10, 0.9, 0.9)
        },
        // Far enough apart: kept.
        video(1, 1, 40, 50, 0.5, 0.5),
        Candidate {
            captured_at: at(1, 300),
            ..video(4, 1, 0, 10, 0.5, 0.5)
        },
    ];
    let s = select_clips(candidates, SelectOptions::default());
    assert_eq!(
        windows(&s),
        [(media(1), 0, 10), (media(1), 40, 50), (media(4), 0, 10)]
    );
}

#[test]
fn clips_come_in_capture_order() {
    let candidates = vec![
        video(1, 20, 0, 10, 0.5, 0.5),
        video(2, 3, 0, 10, 0.9, 0.9),
        video(3, 11, 0, 10, 0.7, 0.7),
    ];
    let s = select_clips(candidates, SelectOptions::default());
    let days: Vec<_> = s.clips.iter().map(|c| c.captured_at).collect();
    assert_eq!(days, [at(3, 0), at(11, 0), at(20, 0)]);
    assert_eq!(s.total_secs, 29.0);
}

#[test]
fn photos_are_three_second_stills_only_when_asked_for() {
    let candidates = vec![video(1, 1, 0, 10, 0.9, 0.9), photo(2, 2, 0, 0.95)];
    let s = select_clips(candidates.clone(), SelectOptions::default());
    assert_eq!(windows(&s), [(media(1), 0, 10)]);
    let opts = SelectOptions {
        include_photos: true,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates.clone(), opts);
    assert_eq!(windows(&s), [(media(1), 0, 10), (media(2), 0, 3)]);
    assert_eq!(s.clips[1].kind, MediaKind::Photo);
    assert_eq!(s.total_secs, 12.5);
    // A still is never cut short: with room for only 2.5 s it is left out.
    let opts = SelectOptions {
        include_photos: true,
        max_duration_secs: 12.0,
        ..SelectOptions::default()
    };
    let s = select_clips(candidates, opts);
    assert_eq!(windows(&s), [(media(1), 0, 10)]);
}

#[test]
fn garbage_scores_do_not_break_the_order() {
    let candidates = vec![
        video(1, 1, 0, 10, f32::NAN, 0.5),
        video(2, 2, 0, 10, 0.5, f32::INFINITY),
        video(3, 3, 0, 10, -1.0, 2.0),
    ];
    let s = select_clips(candidates, SelectOptions::default());
    assert_eq!(s.clips.len(), 3);
    assert!(s.clips.iter().all(|c| (0.0..=1.0).contains(&c.utility)));
}

fn arb_candidate() -> impl Strategy<Value = Candidate> {
    (
        0u8..6,
        0u32..400,
        0u32..20,
        0.0f32..1.0,
        0.0f32..1.0,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(n, start, len, relevance, quality, is_photo)| {
            // Item n was captured on July n + 1; its segments start at that time + offset.
            let mut c = video(n, u32::from(n) + 1, start, start + len, relevance, quality);
            if is_photo {
                c.kind = MediaKind::Photo;
            }
            c
        })
}

fn arb_options() -> impl Strategy<Value = SelectOptions> {
    (
        0.0f64..200.0,
        prop::bool::ANY,
        prop::sample::select(vec![0.0, 0.5, 1.0]),
    )
        .prop_map(|(cap, include_photos, crossfade_secs)| SelectOptions {
            max_duration_secs: cap,
            include_photos,
            crossfade_secs,
            ..SelectOptions::default()
        })
}

proptest! {
    #[test]
    fn selections_keep_every_promise(
        candidates in prop::collection::vec(arb_candidate(), 0..60),
        opts in arb_options(),
    ) {
        let s = select_clips(candidates.clone(), opts);
        prop_assert_eq!(s.clips.is_empty(), s.empty_reason.is_some());

        let sum: u32 = s.clips.iter().map(SelectedClip::duration_secs).sum();
        let joins = s.clips.len().saturating_sub(1) as f64;
        prop_assert!((s.total_secs - (f64::from(sum) - joins * opts.crossfade_secs)).abs() < 1e-9);
        prop_assert!(s.total_secs <= opts.max_duration_secs + 1e-9, "{} > {}", s.total_secs, opts.max_duration_secs);

        for pair in s.clips.windows(2) {
            prop_assert!(pair[0].captured_at <= pair[1].captured_at);
        }
        for (i, a) in s.clips.iter().enumerate() {
            match a.kind {
                MediaKind::Photo => {
                    prop_assert!(opts.include_photos);
                    prop_assert_eq!(a.duration_secs(), opts.photo_secs);
                }
                MediaKind::Video => {
                    let floor = if a.trimmed { opts.min_trimmed_secs } else { opts.min_clip_secs };
                    prop_assert!(a.duration_secs() >= floor, "{a:?}");
                }
            }
            for b in &s.clips[i + 1..] {
                if a.media_id == b.media_id {
                    prop_assert!(
                        a.end_secs + opts.same_video_min_gap_secs <= b.start_secs
                            || b.end_secs + opts.same_video_min_gap_secs <= a.start_secs,
                        "{a:?} {b:?}"
                    );
                } else {
                    let end = |c: &SelectedClip| c.captured_at + Duration::seconds(i64::from(c.duration_secs()));
                    let gap = Duration::seconds(i64::from(opts.other_media_min_gap_secs));
                    prop_assert!(end(a) + gap <= b.captured_at || end(b) + gap <= a.captured_at, "{a:?} {b:?}");
                }
            }
        }

        // Same input, same answer, whatever the order of the candidates.
        prop_assert_eq!(&s, &select_clips(candidates.clone(), opts));
        let mut reversed = candidates;
        reversed.reverse();
        prop_assert_eq!(&s, &select_clips(reversed, opts));
    }
}

/// The plain greedy: recompute every utility at every step.
fn eager_greedy(usable: Vec<Usable>, opts: &SelectOptions) -> (Vec<SelectedClip>, f64) {
    let mut remaining = usable;
    let mut picker = Picker::new(opts);
    while !remaining.is_empty() {
        let rank = |c: &Usable| (picker.utility(c), std::cmp::Reverse(c.order_key()));
        let best = (0..remaining.len())
            .max_by(|&a, &b| {
                let (ra, rb) = (rank(&remaining[a]), rank(&remaining[b]));
                ra.0.total_cmp(&rb.0).then_with(|| ra.1.cmp(&rb.1))
            })
            .expect("not empty");
        let candidate = remaining.swap_remove(best);
        picker.offer(&candidate);
    }
    picker.finish()
}

proptest! {
    #[test]
    fn the_lazy_greedy_picks_exactly_what_the_plain_one_does(
        candidates in prop::collection::vec(arb_candidate(), 0..80),
        opts in arb_options(),
    ) {
        let (usable, _, _) = usable_candidates(candidates, &opts, opts.min_clip_secs.max(1));
        prop_assert_eq!(pick_lazily(usable.clone(), &opts), eager_greedy(usable, &opts));
    }
}

#[test]
fn thousands_of_candidates_are_chosen_from_quickly() {
    // 40 videos a day for 100 days, 5 segments each: 20 000 candidates.
    let candidates: Vec<_> = (0..20_000u32)
        .map(|i| {
            let (video, segment) = (i / 5, i % 5);
            let mut c = video_at(video, segment * 20, segment * 20 + 10);
            c.relevance = ((i * 7919) % 1000) as f32 / 1000.0;
            c.quality = ((i * 104_729) % 1000) as f32 / 1000.0;
            c
        })
        .collect();
    let started = std::time::Instant::now();
    let s = select_clips(candidates, SelectOptions::default());
    let took = started.elapsed();
    assert!(
        s.total_secs > 115.0 && s.total_secs <= 120.0,
        "{}",
        s.total_secs
    );
    // The plain O(n²) greedy needs seconds here; generous for slow unoptimised builds.
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
}

/// A segment of video `video` (a distinct id), captured 36 min apart from the previous video.
fn video_at(video: u32, start: u32, end: u32) -> Candidate {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&video.to_be_bytes());
    Candidate {
        media_id: MediaId(Uuid::from_bytes(id)),
        kind: MediaKind::Video,
        captured_at: at(1, 0) + Duration::seconds(i64::from(video) * 2160 + i64::from(start)),
        start_secs: start,
        end_secs: end,
        relevance: 0.5,
        quality: 0.5,
    }
}
