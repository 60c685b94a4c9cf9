use super::*;
use crate::assemble::plan::{ClipInput, plan};

const SPF: i64 = SAMPLES_PER_FRAME as i64;

fn make_plan(points: &[(f64, f64)], frames: u32) -> Plan {
    let inputs: Vec<ClipInput> = points
        .iter()
        .map(|&(in_secs, out_secs)| ClipInput {
            in_secs,
            out_secs,
            frames,
            copyable: true,
        })
        .collect();
    plan(&inputs, 15).expect("plan")
}

/// Audio as `normalise` makes it: 1024 samples of priming, packets to the end of the video.
fn audio(plan: &Plan, frames: u32) -> Vec<ClipAudio> {
    let packets = (i64::from(frames) * SPF + 1024 + 1023) / 1024;
    vec![
        ClipAudio {
            priming: 1024,
            packets
        };
        plan.clips.len()
    ]
}

/// How far (in samples) clip `c`'s audio is shifted when its rendition sample `source` plays at
/// output sample `output`.
fn shift(plan: &Plan, c: usize, source: i64, output: i64) -> i64 {
    let clip = &plan.clips[c];
    source - output - (i64::from(clip.in_frame) - i64::from(clip.start)) * SPF
}

/// Checks every promise of the soundtrack plan; returns it.
fn check(plan: &Plan, audio: &[ClipAudio]) -> SoundtrackPlan {
    let sound = plan_soundtrack(plan, audio).expect("soundtrack planned");
    let total = i64::from(plan.total_frames) * SPF;
    let slots = sound.slots.len() as i64;
    assert!(
        slots * PACKET - sound.lead >= total,
        "the slots cover the memory"
    );
    assert!((slots - 1) * PACKET - sound.lead < total, "and no more");
    assert!(sound.lead >= 0 && sound.lead < 2 * PACKET);

    // Copied packets: each clip shifted by one amount of at most half a packet, the first by
    // none, and the encoded stretches' input shifted by the same amount as the clip's copies.
    let mut shifts: Vec<Option<i64>> = vec![None; plan.clips.len()];
    let note = |shifts: &mut Vec<Option<i64>>, c: usize, s: i64| {
        assert!(s.abs() <= PACKET / 2, "clip {c} shifted by {s}");
        assert_eq!(
            *shifts[c].get_or_insert(s),
            s,
            "clip {c}: one shift throughout"
        );
    };
    for (j, slot) in sound.slots.iter().enumerate() {
        if let Slot::Copy { clip, packet } = *slot {
            let source = packet as i64 * PACKET - audio[clip].priming;
            note(
                &mut shifts,
                clip,
                shift(plan, clip, source, j as i64 * PACKET - sound.lead),
            );
        }
    }
    assert_eq!(shifts[0], Some(0), "the first clip is not shifted");
    for (s, stretch) in sound.stretches.iter().enumerate() {
        let input_start = (stretch.first_slot - MARGIN_PACKETS) * PACKET - sound.lead;
        let mut at = input_start;
        for (k, part) in stretch.parts.iter().enumerate() {
            note(
                &mut shifts,
                part.clip,
                shift(plan, part.clip, part.source_from, at),
            );
            at += part.len;
            if k + 1 < stretch.parts.len() {
                at -= i64::from(plan.fade_frames) * SPF;
                let next = &plan.clips[stretch.parts[k + 1].clip];
                assert_eq!(at, i64::from(next.start) * SPF, "parts overlap by the fade");
            }
        }
        let input_end = (stretch.end_slot + MARGIN_PACKETS) * PACKET - sound.lead;
        assert_eq!(
            at, input_end,
            "stretch {s}: input spans its slots and margins"
        );
        let kept: Vec<_> = sound
            .slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| matches!(slot, Slot::Encoded { stretch, .. } if *stretch == s))
            .collect();
        assert_eq!(kept.len() as i64, stretch.kept());
        assert_eq!(kept[0].0 as i64, stretch.first_slot);
        for (n, (_, slot)) in kept.iter().enumerate() {
            assert_eq!(
                **slot,
                Slot::Encoded {
                    stretch: s,
                    index: n
                }
            );
        }
    }
    // Every crossfade sample is in an encoded slot, and margins never reach another fade.
    for clip in plan.clips.iter().skip(1) {
        let fade_start = i64::from(clip.start) * SPF;
        let fade_end = fade_start + i64::from(plan.fade_frames) * SPF;
        let stretch = sound
            .stretches
            .iter()
            .find(|s| {
                s.first_slot * PACKET - sound.lead <= fade_start
                    && s.end_slot * PACKET - sound.lead >= fade_end
            })
            .expect("a stretch covers the fade");
        assert!(stretch.parts.len() >= 2);
    }
    for pair in sound.stretches.windows(2) {
        assert!(pair[1].first_slot >= pair[0].end_slot + 2 * MARGIN_PACKETS);
    }
    sound
}

#[test]
fn one_clip_is_all_copies_from_the_packet_before_its_in_point() {
    let plan = make_plan(&[(2.0, 5.0)], 180);
    let sound = check(&plan, &audio(&plan, 180));
    assert!(sound.stretches.is_empty());
    // In point 96000 samples + 1024 priming = 97024 = packet 94 + 768: packet 93 primes.
    assert_eq!(sound.lead, 1024 + 768);
    assert_eq!(
        sound.slots[0],
        Slot::Copy {
            clip: 0,
            packet: 93
        }
    );
}

#[test]
fn a_clip_from_the_start_keeps_the_rendition_priming() {
    let plan = make_plan(&[(0.0, 3.0)], 180);
    let sound = check(&plan, &audio(&plan, 180));
    assert_eq!(sound.lead, 1024);
    assert_eq!(sound.slots[0], Slot::Copy { clip: 0, packet: 0 });
}

#[test]
fn each_join_is_one_short_stretch() {
    let plan = make_plan(&[(0.2, 3.3), (0.9, 3.7), (1.0, 4.0)], 180);
    let sound = check(&plan, &audio(&plan, 180));
    assert_eq!(sound.stretches.len(), 2);
    for stretch in &sound.stretches {
        assert_eq!(stretch.parts.len(), 2);
        // 0.5 s is 23.4 packets: 24 or 25 of them are encoded per join.
        assert!((24..=25).contains(&stretch.kept()), "{stretch:?}");
    }
    let copied = sound
        .slots
        .iter()
        .filter(|s| matches!(s, Slot::Copy { .. }))
        .count();
    assert!(
        copied * 10 > sound.slots.len() * 8,
        "most packets are copied"
    );
}

#[test]
fn joins_around_a_short_clip_merge_into_one_stretch() {
    // The middle clip is 1 s: 0.5 s of it is its own, less than both margins need.
    let plan = make_plan(&[(0.0, 3.0), (1.0, 2.0), (0.0, 3.0)], 180);
    let sound = check(&plan, &audio(&plan, 180));
    assert_eq!(sound.stretches.len(), 1);
    assert_eq!(
        sound.stretches[0]
            .parts
            .iter()
            .map(|p| p.clip)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

#[test]
fn any_points_give_a_consistent_plan() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..300 {
        let clips = 1 + next(6) as usize;
        let points: Vec<(f64, f64)> = (0..clips)
            .map(|_| {
                let in_frame = next(120) as f64;
                let len = (35 + next(140)) as f64;
                (in_frame / 30.0, ((in_frame + len) / 30.0).min(10.0))
            })
            .collect();
        let plan = make_plan(&points, 300);
        check(&plan, &audio(&plan, 300));
        let mut odd = audio(&plan, 300);
        for (i, a) in odd.iter_mut().enumerate() {
            a.priming = [1024, 2048, 0, 512][i % 4];
            a.packets += 2;
        }
        check(&plan, &odd);
    }
}

#[test]
fn too_few_packets_is_no_plan() {
    let plan = make_plan(&[(0.0, 3.0), (1.0, 6.0)], 180);
    let mut short = audio(&plan, 180);
    short[1].packets = 200;
    assert_eq!(plan_soundtrack(&plan, &short), None);
}
