use super::*;
use crate::sync::{Clock, ClockError};
use proptest::prelude::*;

fn node(name: &str) -> NodeId {
    NodeId::parse(name).unwrap()
}

/// Stamps near the clock test's physical times, some with exhausted counters.
fn arb_nearby_hlc() -> impl Strategy<Value = Hlc> {
    let counter = prop_oneof![0..5u32, Just(MAX_COUNTER - 1), Just(MAX_COUNTER)];
    (0..500_000u64, counter, "[a-c]{1,2}")
        .prop_map(|(wall, counter, name)| Hlc::new(wall, counter, node(&name)).unwrap())
}

fn arb_hlc() -> impl Strategy<Value = Hlc> {
    (0..=MAX_WALL_MS, 0..=MAX_COUNTER, "[A-Za-z0-9_-]{1,64}")
        .prop_map(|(wall, counter, name)| Hlc::new(wall, counter, node(&name)).unwrap())
}

#[test]
fn node_ids_are_validated() {
    assert_eq!(NodeId::parse(""), Err(NodeIdError::Empty));
    assert_eq!(NodeId::parse(&"a".repeat(65)), Err(NodeIdError::TooLong));
    assert!(NodeId::parse(&"a".repeat(64)).is_ok());
    for bad in ["a b", "glasses.1", "é", "a/b", "x\n"] {
        assert_eq!(NodeId::parse(bad), Err(NodeIdError::BadChar), "{bad:?}");
    }
    assert_eq!(NodeId::server().as_str(), "server");
    assert!(serde_json::from_str::<NodeId>("\"bad id\"").is_err());
}

#[test]
fn malformed_stamps_are_typed_errors() {
    let cases = [
        ("", HlcError::Format),
        ("garbage", HlcError::Format),
        ("1-000000-a", HlcError::Format),
        ("000000000000001-1-a", HlcError::Format),
        ("00000000000000x-000000-a", HlcError::Format),
        ("+00000000000001-000000-a", HlcError::Format),
        ("000000000000001-00000a-a", HlcError::Format),
        ("000000000000001_000000-a", HlcError::Format),
        ("000000000000001-000000-", HlcError::Format),
        (
            "000000000000001-000000-a b",
            HlcError::Node(NodeIdError::BadChar),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(Hlc::parse(text), Err(want), "{text:?}");
    }
    assert_eq!(
        Hlc::new(MAX_WALL_MS + 1, 0, node("a")),
        Err(HlcError::WallOutOfRange)
    );
    assert_eq!(
        Hlc::new(0, MAX_COUNTER + 1, node("a")),
        Err(HlcError::CounterOutOfRange)
    );
    assert!(serde_json::from_str::<Hlc>("\"2024-01-01\"").is_err());
    // The node alphabet includes '-', so the node is everything after the second dash.
    let dashed = Hlc::parse("000000000000001-000000--a").unwrap();
    assert_eq!(dashed.node().as_str(), "-a");
}

#[test]
fn string_form_and_serde() {
    let stamp = Hlc::new(1_700_000_000_000, 7, node("phone")).unwrap();
    assert_eq!(stamp.to_string(), "001700000000000-000007-phone");
    let json = serde_json::to_string(&stamp).unwrap();
    assert_eq!(json, "\"001700000000000-000007-phone\"");
    assert_eq!(serde_json::from_str::<Hlc>(&json).unwrap(), stamp);
    assert_eq!("001700000000000-000007-phone".parse::<Hlc>(), Ok(stamp));
}

#[test]
fn tick_survives_time_going_backwards_and_counter_exhaustion() {
    let mut clock = Clock::new(node("glasses"));
    let a = clock.tick(10_000);
    let b = clock.tick(5_000);
    assert!(b > a);
    assert_eq!((b.wall_ms(), b.counter()), (10_000, 1));
    let mut full = Clock::resume(&Hlc::new(10_000, MAX_COUNTER, node("glasses")).unwrap());
    let c = full.tick(10_000);
    assert_eq!((c.wall_ms(), c.counter()), (10_001, 0));
}

#[test]
fn observe_refuses_the_far_future_and_exhausted_counters() {
    let mut clock = Clock::new(node("server")).with_max_drift_ms(1_000);
    let start = clock.tick(50_000);
    let year_2099 = Hlc::new(4_070_908_800_000, 0, node("glasses")).unwrap();
    assert!(matches!(
        clock.observe(&year_2099, 50_000),
        Err(ClockError::TooFarAhead {
            max_drift_ms: 1_000,
            ..
        })
    ));
    let exhausted = Hlc::new(50_500, MAX_COUNTER, node("glasses")).unwrap();
    assert_eq!(
        clock.observe(&exhausted, 50_000),
        Err(ClockError::CounterOverflow)
    );
    // Refusals leave the clock as it was.
    assert_eq!(
        clock.tick(50_000),
        Hlc::new(50_000, 1, node("server")).unwrap()
    );
    assert!(start.wall_ms() == 50_000);
    let near = Hlc::new(51_000, 3, node("glasses")).unwrap();
    let seen = clock.observe(&near, 50_000).unwrap();
    assert_eq!((seen.wall_ms(), seen.counter()), (51_000, 4));
    assert!(clock.tick(0) > seen);
    assert_eq!(
        Clock::new(node("a")).with_max_drift_ms(0).node(),
        &node("a")
    );
}

proptest! {
    #[test]
    fn string_form_round_trips_and_sorts_like_the_order(a in arb_hlc(), b in arb_hlc()) {
        prop_assert_eq!(Hlc::parse(&a.to_string()), Ok(a.clone()));
        prop_assert_eq!(a.to_string().cmp(&b.to_string()), a.cmp(&b));
    }

    #[test]
    fn clock_is_strictly_monotonic(
        events in proptest::collection::vec((0u64..100_000, proptest::option::of(arb_nearby_hlc())), 1..60),
    ) {
        let mut clock = Clock::new(node("me"));
        let mut last: Option<Hlc> = None;
        for (now, remote) in events {
            let stamp = match remote {
                None => clock.tick(now),
                Some(remote) => match clock.observe(&remote, now) {
                    Ok(stamp) => {
                        prop_assert!(stamp > remote);
                        stamp
                    }
                    Err(_) => {
                        prop_assert!(remote.wall_ms() > now + DEFAULT_MAX_DRIFT_MS
                            || remote.counter() == MAX_COUNTER);
                        continue;
                    }
                },
            };
            prop_assert!(stamp.wall_ms() >= now.min(MAX_WALL_MS));
            if let Some(last) = &last {
                prop_assert!(stamp > *last, "{} after {}", stamp, last);
            }
            last = Some(stamp);
        }
    }
}
