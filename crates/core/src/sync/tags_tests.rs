use super::*;
use crate::sync::NodeId;
use proptest::prelude::*;

fn dot(wall: u64, node: &str) -> Hlc {
    Hlc::new(wall, 0, NodeId::parse(node).unwrap()).unwrap()
}

fn tag(text: &str) -> Tag {
    Tag::parse(text).unwrap()
}

#[test]
fn tags_are_normalised() {
    assert_eq!(tag("  Beach \t  DAY\n").as_str(), "beach day");
    assert_eq!(tag("Été").as_str(), "été");
    assert_eq!(Tag::parse(" \n "), Err(TagError::Empty));
    assert_eq!(Tag::parse(&"x".repeat(65)), Err(TagError::TooLong));
    assert!(Tag::parse(&"é".repeat(64)).is_ok());
    assert_eq!(Tag::parse("bell\u{7}"), Err(TagError::ControlChar));
    assert_eq!(Tag::parse("a\u{0}b"), Err(TagError::ControlChar));
    assert_eq!(serde_json::to_string(&tag("Beach")).unwrap(), "\"beach\"");
    let err = serde_json::from_str::<Tag>("\"\"").unwrap_err();
    assert!(err.to_string().contains("tag is empty"));
}

#[test]
fn concurrent_add_survives_remove() {
    let beach = tag("beach");
    let mut set = AddWinsSet::new();
    set.add(beach.clone(), dot(1, "phone"));
    let seen_by_phone = set.observed(&beach);
    // The glasses add the same tag while the phone, not knowing, removes what it saw.
    set.add(beach.clone(), dot(2, "glasses"));
    set.remove(&beach, &seen_by_phone);
    assert!(set.contains(&beach));
    assert_eq!(set.observed(&beach), vec![dot(2, "glasses")]);
}

#[test]
fn remove_that_observed_every_add_removes() {
    let beach = tag("beach");
    let mut set = AddWinsSet::new();
    set.add(beach.clone(), dot(1, "phone"));
    set.add(beach.clone(), dot(2, "glasses"));
    set.remove(&beach, &set.observed(&beach));
    assert!(!set.contains(&beach));
    assert_eq!(set.elements().count(), 0);
}

#[test]
fn remove_arriving_before_its_add_still_removes_it() {
    let beach = tag("beach");
    let mut early = AddWinsSet::new();
    early.remove(&beach, &[dot(1, "phone")]);
    early.add(beach.clone(), dot(1, "phone"));
    let mut late = AddWinsSet::new();
    late.add(beach.clone(), dot(1, "phone"));
    late.remove(&beach, &[dot(1, "phone")]);
    assert!(!early.contains(&beach));
    assert_eq!(early, late);
}

#[test]
fn empty_remove_is_a_no_op_and_serde_round_trips() {
    let mut set: AddWinsSet<Tag> = AddWinsSet::new();
    set.remove(&tag("x"), &[]);
    assert_eq!(set, AddWinsSet::new());
    set.add(tag("a"), dot(1, "n"));
    set.add(tag("b"), dot(2, "n"));
    set.remove(&tag("b"), &[dot(2, "n")]);
    let json = serde_json::to_string(&set).unwrap();
    assert_eq!(serde_json::from_str::<AddWinsSet<Tag>>(&json).unwrap(), set);
}

#[derive(Debug, Clone)]
enum Op {
    Add(u8, u64),
    Remove(u8, Vec<u64>),
}

fn apply_all(ops: &[Op]) -> AddWinsSet<u8> {
    let mut set = AddWinsSet::new();
    for op in ops {
        match op {
            Op::Add(e, d) => set.add(*e, dot(*d, "n")),
            Op::Remove(e, ds) => {
                let dots: Vec<Hlc> = ds.iter().map(|d| dot(*d, "n")).collect();
                set.remove(e, &dots);
            }
        }
    }
    set
}

fn arb_set() -> impl Strategy<Value = AddWinsSet<u8>> {
    let op = prop_oneof![
        (0..4u8, 0..12u64).prop_map(|(e, d)| Op::Add(e, d)),
        (0..4u8, proptest::collection::vec(0..12u64, 0..4)).prop_map(|(e, d)| Op::Remove(e, d)),
    ];
    proptest::collection::vec(op, 0..12).prop_map(|ops| apply_all(&ops))
}

fn joined(a: &AddWinsSet<u8>, b: &AddWinsSet<u8>) -> AddWinsSet<u8> {
    let mut out = a.clone();
    out.merge(b);
    out
}

proptest! {
    #[test]
    fn merge_is_a_join(a in arb_set(), b in arb_set(), c in arb_set()) {
        prop_assert_eq!(joined(&a, &b), joined(&b, &a));
        prop_assert_eq!(joined(&joined(&a, &b), &c), joined(&a, &joined(&b, &c)));
        prop_assert_eq!(joined(&a, &a), a);
    }
}
