use super::*;
use proptest::prelude::*;

fn clip(in_secs: f64, out_secs: f64) -> ClipInput {
    ClipInput {
        in_secs,
        out_secs,
        frames: 420,
        copyable: true,
    }
}

fn points(plan: &Plan) -> Vec<(u32, u32)> {
    plan.clips
        .iter()
        .map(|c| (c.in_frame, c.out_frame))
        .collect()
}

#[test]
fn aligned_points_give_whole_gop_bodies_and_one_blend_per_join() {
    let plan = plan(&[clip(1.0, 11.5), clip(1.5, 11.5), clip(1.5, 11.0)], 15).expect("plan");
    assert_eq!(points(&plan), vec![(30, 345), (45, 345), (45, 330)]);
    assert_eq!(
        plan.segments,
        vec![
            Segment::Copy {
                clip: 0,
                from: 30,
                to: 330
            },
            Segment::Piece(0),
            Segment::Copy {
                clip: 1,
                from: 60,
                to: 330
            },
            Segment::Piece(1),
            Segment::Copy {
                clip: 2,
                from: 60,
                to: 330
            },
        ]
    );
    let blend = |clip| Part::Blend {
        clip,
        from_start: 330,
        to_start: 45,
        frames: 15,
    };
    assert_eq!(
        plan.pieces,
        vec![
            Piece {
                parts: vec![blend(0)]
            },
            Piece {
                parts: vec![blend(1)]
            }
        ]
    );
    assert_eq!(plan.total_frames, 315 + 300 + 285 - 2 * 15);
    assert_eq!(plan.encoded_frames(), 30);
    assert_eq!(
        plan.clips.iter().map(|c| c.start).collect::<Vec<_>>(),
        vec![0, 300, 585]
    );
}

#[test]
fn whole_second_points_move_half_a_second_later_and_keep_their_length() {
    let plan = plan(&[clip(1.0, 11.0), clip(2.0, 12.0), clip(3.0, 13.0)], 15).expect("plan");
    // First in: already a keyframe. Middle: both points later. Last out: kept.
    assert_eq!(points(&plan), vec![(30, 345), (75, 375), (105, 390)]);
    assert_eq!(plan.total_frames, (10 + 10 + 10) * 30 - 2 * 15);
}

#[test]
fn the_end_of_the_rendition_pushes_the_out_point_back() {
    let plan = plan(&[clip(1.0, 14.0), clip(1.0, 5.0)], 15).expect("plan");
    assert_eq!(plan.clips[0].out_frame, 405);
}

#[test]
fn a_single_clip_is_one_copy_from_a_keyframe() {
    let plan = plan(&[clip(1.2, 7.77)], 15).expect("plan");
    assert_eq!(points(&plan), vec![(30, 233)]);
    assert_eq!(
        plan.segments,
        vec![Segment::Copy {
            clip: 0,
            from: 30,
            to: 233
        }]
    );
    assert!(plan.pieces.is_empty());
}

#[test]
fn a_foreign_clip_is_encoded_whole_with_both_blends_in_one_piece() {
    let foreign = ClipInput {
        copyable: false,
        ..clip(2.1, 6.1)
    };
    let plan = plan(&[clip(1.0, 5.5), foreign, clip(1.5, 5.0)], 15).expect("plan");
    assert_eq!(plan.clips[1].in_frame, 63, "foreign clips are not moved");
    assert_eq!(
        plan.segments,
        vec![
            Segment::Copy {
                clip: 0,
                from: 30,
                to: 150
            },
            Segment::Piece(0),
            Segment::Copy {
                clip: 2,
                from: 60,
                to: 150
            },
        ]
    );
    assert_eq!(
        plan.pieces[0].parts,
        vec![
            Part::Blend {
                clip: 0,
                from_start: 150,
                to_start: 63,
                frames: 15
            },
            Part::Plain {
                clip: 1,
                from: 78,
                to: 168
            },
            Part::Blend {
                clip: 1,
                from_start: 168,
                to_start: 45,
                frames: 15
            },
        ]
    );
}

#[test]
fn an_unaligned_body_start_gets_an_encoded_lead_in() {
    // With 10-frame fades the in point would need to be 20 (mod 30): 0 cannot move that far.
    let plan = plan(&[clip(1.0, 5.0), clip(0.0, 5.0)], 10).expect("plan");
    assert_eq!(plan.clips[1].in_frame, 0);
    assert_eq!(
        plan.pieces[0].parts,
        vec![
            Part::Blend {
                clip: 0,
                from_start: 150,
                to_start: 0,
                frames: 10
            },
            Part::Plain {
                clip: 1,
                from: 10,
                to: 30
            },
        ]
    );
    assert_eq!(
        plan.segments[2],
        Segment::Copy {
            clip: 1,
            from: 30,
            to: 150
        }
    );
}

#[test]
fn a_clip_made_only_of_fades_has_adjacent_blends() {
    let plan = plan(&[clip(1.0, 3.5), clip(1.5, 2.5), clip(1.5, 3.0)], 15).expect("plan");
    assert_eq!(plan.pieces.len(), 1);
    assert_eq!(plan.pieces[0].parts.len(), 2);
}

#[test]
fn bad_points_are_refused_with_the_clip_index() {
    let refused = |clips: &[ClipInput]| plan(clips, 15).expect_err("refused");
    let e = refused(&[clip(1.0, 5.0), clip(5.0, 5.0)]);
    assert_eq!(e.index, 1);
    assert!(e.reason.contains("not before"), "{}", e.reason);
    let e = refused(&[clip(1.0, 14.5)]);
    assert!(e.reason.contains("beyond the end"), "{}", e.reason);
    let e = refused(&[clip(f64::NAN, 2.0)]);
    assert!(e.reason.contains("finite"), "{}", e.reason);
    let e = refused(&[clip(-1.0, 2.0)]);
    assert!(e.reason.contains("negative"), "{}", e.reason);
    let e = refused(&[clip(1.0, 5.0), clip(2.0, 2.4), clip(1.0, 5.0)]);
    assert!(e.reason.contains("needs at least 1.000 s"), "{}", e.reason);
    // A whisker past the end is the end.
    assert!(plan(&[clip(0.0, 14.0004)], 15).is_ok());
}

fn arb_clip() -> impl Strategy<Value = ClipInput> {
    (0u32..400, 1u32..400, 100u32..500, any::<bool>()).prop_map(|(a, len, frames, copyable)| {
        ClipInput {
            in_secs: f64::from(a) / 30.0 + 0.004,
            out_secs: f64::from((a + len).min(frames)) / 30.0,
            frames,
            copyable,
        }
    })
}

proptest! {
    #[test]
    fn plans_cover_the_timeline_exactly(
        clips in proptest::collection::vec(arb_clip(), 1..8),
        fade in 1u32..40,
    ) {
        let Ok(plan) = plan(&clips, fade) else { return Ok(()); };
        let n = plan.clips.len() as u32;
        let lengths: u32 = plan.clips.iter().map(|c| c.out_frame - c.in_frame).sum();
        prop_assert_eq!(plan.total_frames, lengths - (n - 1) * fade);
        prop_assert_eq!(plan.copied_frames() + plan.encoded_frames(), plan.total_frames);
        for (c, p) in clips.iter().zip(&plan.clips) {
            let asked_in = (c.in_secs * 30.0).round() as u32;
            let asked_out = ((c.out_secs * 30.0).round() as u32).min(c.frames);
            prop_assert!(p.in_frame.abs_diff(asked_in) <= 15 && p.out_frame.abs_diff(asked_out) <= 15);
            prop_assert!(p.out_frame <= c.frames);
        }
        for s in &plan.segments {
            if let Segment::Copy { clip, from, to } = *s {
                let p = plan.clips[clip];
                prop_assert!(clips[clip].copyable && from % 30 == 0 && from < to);
                prop_assert!(p.in_frame <= from && to <= p.out_frame);
            }
        }
        for piece in &plan.pieces {
            for part in &piece.parts {
                if let Part::Blend { clip, from_start, to_start, frames } = *part {
                    prop_assert_eq!(from_start + frames, plan.clips[clip].out_frame);
                    prop_assert_eq!(to_start, plan.clips[clip + 1].in_frame);
                }
            }
        }
    }
}
