//! Offline devices edit the same item, each with its own clock; whatever order the edits reach
//! the server or the other devices in, every replica ends in the same state.

use super::*;
use crate::ids::PersonId;
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Intent {
    Title(u8),
    Favourite(bool),
    AddTag(u8),
    RemoveTag(u8),
    AddPerson(u8),
    RemovePerson(u8),
    Delete,
}

fn arb_intent() -> impl Strategy<Value = Intent> {
    prop_oneof![
        3 => (0..4u8).prop_map(Intent::Title),
        2 => any::<bool>().prop_map(Intent::Favourite),
        3 => (0..3u8).prop_map(Intent::AddTag),
        2 => (0..3u8).prop_map(Intent::RemoveTag),
        1 => (0..3u8).prop_map(Intent::AddPerson),
        1 => (0..3u8).prop_map(Intent::RemovePerson),
        1 => Just(Intent::Delete),
    ]
}

/// A device's session: its clock skew and its edits with physical-time steps (which may go
/// backwards).
fn arb_device() -> impl Strategy<Value = (u64, Vec<(Intent, i64)>)> {
    (
        0..20_000u64,
        proptest::collection::vec((arb_intent(), -3_000..5_000i64), 0..8),
    )
}

fn tag(n: u8) -> Tag {
    Tag::parse(["Beach", "sunset", "Family  trip"][usize::from(n)]).unwrap()
}

fn person(n: u8) -> PersonId {
    PersonId(Uuid::from_bytes([n + 1; 16]))
}

fn change(intent: &Intent, state: &MediaEdits) -> Change {
    match intent {
        Intent::Title(0) => Change::SetTitle { title: None },
        Intent::Title(n) => Change::SetTitle {
            title: Some(Title::parse(["Beach", "Sunset", "Lisbon"][usize::from(*n - 1)]).unwrap()),
        },
        Intent::Favourite(on) => Change::SetFavourite { favourite: *on },
        Intent::AddTag(n) => Change::AddTag { tag: tag(*n) },
        Intent::RemoveTag(n) => Change::RemoveTag {
            tag: tag(*n),
            observed: state.observed_tag(&tag(*n)),
        },
        Intent::AddPerson(n) => Change::AddPerson { person: person(*n) },
        Intent::RemovePerson(n) => Change::RemovePerson {
            person: person(*n),
            observed: state.observed_person(&person(*n)),
        },
        Intent::Delete => Change::Delete,
    }
}

/// Runs one device offline from the shared `base`, returning its edits in its own order.
fn offline_edits(
    node: &str,
    base: &MediaEdits,
    base_edits: &[Edit],
    session: &(u64, Vec<(Intent, i64)>),
) -> Vec<Edit> {
    let (skew, steps) = session;
    let mut clock = Clock::new(NodeId::parse(node).unwrap());
    let mut now = 1_000_000 + *skew;
    for edit in base_edits {
        clock.observe(&edit.stamp, now).unwrap();
    }
    let mut local = base.clone();
    let mut edits = Vec::new();
    for (intent, step) in steps {
        now = now.saturating_add_signed(*step);
        let edit = local.local_edit(clock.tick(now), change(intent, &local));
        local.apply(&edit);
        edits.push(edit);
    }
    edits
}

/// Merges the sequences in an order chosen by `picks` that keeps each sequence's own order.
fn interleave(sequences: &[Vec<Edit>], picks: &[usize]) -> Vec<Edit> {
    let mut cursors = vec![0; sequences.len()];
    let mut out = Vec::new();
    let mut picks = picks.iter().copied().chain(0..);
    while out.len() < sequences.iter().map(Vec::len).sum() {
        let first = picks.next().unwrap_or(0) % sequences.len();
        let device = (first..first + sequences.len())
            .map(|i| i % sequences.len())
            .find(|&i| cursors[i] < sequences[i].len())
            .unwrap();
        out.push(sequences[device][cursors[device]].clone());
        cursors[device] += 1;
    }
    out
}

fn replay<'a>(start: &MediaEdits, edits: impl IntoIterator<Item = &'a Edit>) -> MediaEdits {
    let mut state = start.clone();
    for edit in edits {
        state.apply(edit);
    }
    state
}

fn scenario(
    base_session: &(u64, Vec<(Intent, i64)>),
    sessions: &[(u64, Vec<(Intent, i64)>)],
    picks: &[Vec<usize>],
) -> Result<(), TestCaseError> {
    // A synced history everyone has seen, so removes and `seen` refer to shared edits.
    let base_edits = offline_edits("web", &MediaEdits::new(), &[], base_session);
    let base = replay(&MediaEdits::new(), &base_edits);
    let nodes = ["glasses", "phone", "doorbell"];
    let devices: Vec<Vec<Edit>> = sessions
        .iter()
        .zip(nodes)
        .map(|(session, node)| offline_edits(node, &base, &base_edits, session))
        .collect();

    let mut replicas = Vec::new();
    for order in picks {
        replicas.push(replay(&base, &interleave(&devices, order)));
    }
    // Each device: its own edits first, then the others' in their order.
    for (i, own) in devices.iter().enumerate() {
        let others = devices
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, e)| e);
        replicas.push(replay(&replay(&base, own), others));
    }
    // And state-based: each device's own replica merged into the base, in any grouping.
    let mut merged = base.clone();
    for own in devices.iter().rev() {
        merged.merge(&replay(&base, own));
    }
    replicas.push(merged);

    let first = &replicas[0];
    for replica in &replicas[1..] {
        prop_assert_eq!(replica, first);
        prop_assert_eq!(replica.conflicts(), first.conflicts());
    }
    let stored = serde_json::to_string(first).unwrap();
    prop_assert_eq!(&serde_json::from_str::<MediaEdits>(&stored).unwrap(), first);

    // Replaying everything again changes nothing and reports nothing new.
    let mut again = first.clone();
    for edit in base_edits.iter().chain(devices.iter().flatten()) {
        let applied = again.apply(edit);
        prop_assert!(
            !applied.changed && applied.conflicts.is_empty(),
            "{:?}",
            edit
        );
    }
    prop_assert_eq!(&again, first);
    Ok(())
}

fn arb_picks() -> impl Strategy<Value = Vec<Vec<usize>>> {
    proptest::collection::vec(proptest::collection::vec(0..3usize, 0..30), 1..5)
}

fn arb_edits() -> impl Strategy<Value = MediaEdits> {
    (arb_device(), arb_device(), "[a-z]{1,3}").prop_map(|(a, b, node)| {
        let base_edits = offline_edits("web", &MediaEdits::new(), &[], &a);
        let base = replay(&MediaEdits::new(), &base_edits);
        replay(&base, &offline_edits(&node, &base, &base_edits, &b))
    })
}

fn joined(a: &MediaEdits, b: &MediaEdits) -> MediaEdits {
    let mut out = a.clone();
    out.merge(b);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn two_offline_devices_converge(
        base in arb_device(), a in arb_device(), b in arb_device(), picks in arb_picks(),
    ) {
        scenario(&base, &[a, b], &picks)?;
    }

    #[test]
    fn three_offline_devices_converge(
        base in arb_device(), a in arb_device(), b in arb_device(), c in arb_device(),
        picks in arb_picks(),
    ) {
        scenario(&base, &[a, b, c], &picks)?;
    }

    #[test]
    fn applying_an_edit_twice_changes_nothing(session in arb_device(), other in arb_device()) {
        let mut state = replay(&MediaEdits::new(), &offline_edits("web", &MediaEdits::new(), &[], &other));
        for edit in offline_edits("phone", &MediaEdits::new(), &[], &session) {
            state.apply(&edit);
            let once = state.clone();
            let again = state.apply(&edit);
            prop_assert!(!again.changed && again.conflicts.is_empty());
            prop_assert_eq!(&state, &once);
        }
    }

    #[test]
    fn merge_is_a_join(a in arb_edits(), b in arb_edits(), c in arb_edits()) {
        prop_assert_eq!(joined(&a, &b), joined(&b, &a));
        prop_assert_eq!(joined(&joined(&a, &b), &c), joined(&a, &joined(&b, &c)));
        prop_assert_eq!(joined(&a, &a), a);
    }
}
