use super::*;
use crate::sync::{Clock, NodeId, Version};
use serde_json::json;

fn stamp(wall: u64, node: &str) -> Hlc {
    Hlc::new(wall, 0, NodeId::parse(node).unwrap()).unwrap()
}

fn title(text: &str) -> Option<Title> {
    Some(Title::parse(text).unwrap())
}

fn set_title(wall: u64, node: &str, text: &str) -> Edit {
    Edit {
        stamp: stamp(wall, node),
        seen: None,
        change: Change::SetTitle { title: title(text) },
    }
}

#[test]
fn edits_read_the_json_clients_send() {
    let s = "001700000000000-000000-phone";
    let edit: Edit =
        serde_json::from_value(json!({"stamp": s, "op": "set_title", "title": "Beach"})).unwrap();
    assert_eq!(edit, set_title(1_700_000_000_000, "phone", "Beach"));
    let person = PersonId::new_random();
    let cases = [
        (
            json!({"stamp": s, "op": "set_title", "title": null}),
            Change::SetTitle { title: None },
        ),
        (
            json!({"stamp": s, "op": "set_favourite", "favourite": true}),
            Change::SetFavourite { favourite: true },
        ),
        (
            json!({"stamp": s, "op": "add_tag", "tag": " Beach "}),
            Change::AddTag {
                tag: Tag::parse("beach").unwrap(),
            },
        ),
        (
            json!({"stamp": s, "op": "remove_tag", "tag": "beach", "observed": [s]}),
            Change::RemoveTag {
                tag: Tag::parse("beach").unwrap(),
                observed: vec![stamp(1_700_000_000_000, "phone")],
            },
        ),
        (
            json!({"stamp": s, "op": "add_person", "person": person}),
            Change::AddPerson { person },
        ),
        (
            json!({"stamp": s, "op": "remove_person", "person": person, "observed": []}),
            Change::RemovePerson {
                person,
                observed: vec![],
            },
        ),
        (json!({"stamp": s, "op": "delete"}), Change::Delete),
    ];
    for (value, change) in cases {
        let edit: Edit = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(edit.change, change);
        assert_eq!(serde_json::to_value(&edit).unwrap()["op"], value["op"]);
        let again: Edit = serde_json::from_value(serde_json::to_value(&edit).unwrap()).unwrap();
        assert_eq!(again, edit);
    }
    let with_seen: Edit =
        serde_json::from_value(json!({"stamp": s, "seen": s, "op": "delete"})).unwrap();
    assert_eq!(with_seen.seen, Some(stamp(1_700_000_000_000, "phone")));
}

#[test]
fn bad_edits_are_refused() {
    let s = "001700000000000-000000-phone";
    let long = "x".repeat(201);
    let bad = [
        (
            json!({"stamp": s, "op": "set_title", "title": long}),
            "longer than 200",
        ),
        (
            json!({"stamp": s, "op": "add_tag", "tag": "  "}),
            "tag is empty",
        ),
        (
            json!({"stamp": s, "op": "add_tag", "tag": "a\u{1}"}),
            "control character",
        ),
        (
            json!({"stamp": "yesterday", "op": "delete"}),
            "stamp must look like",
        ),
        (
            json!({"stamp": "001700000000000-000000-bad node", "op": "delete"}),
            "node id",
        ),
        (json!({"stamp": s, "op": "explode"}), "unknown variant"),
        (json!({"op": "delete"}), "stamp"),
        (
            json!({"stamp": s, "op": "add_person", "person": "bob"}),
            "UUID",
        ),
    ];
    for (value, want) in bad {
        let err = serde_json::from_value::<Edit>(value.clone())
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{value}: {err}");
    }
}

#[test]
fn offline_titles_conflict_the_same_way_in_either_order() {
    let beach = set_title(1_000, "glasses", "Beach");
    let sunset = set_title(2_000, "phone", "Sunset");
    let expected = Conflict {
        field: Field::Title,
        kept: Version {
            value: FieldValue::Title(title("Sunset")),
            stamp: sunset.stamp.clone(),
            node: NodeId::parse("phone").unwrap(),
        },
        discarded: Version {
            value: FieldValue::Title(title("Beach")),
            stamp: beach.stamp.clone(),
            node: NodeId::parse("glasses").unwrap(),
        },
    };
    for order in [[&beach, &sunset], [&sunset, &beach]] {
        let mut edits = MediaEdits::new();
        assert_eq!(edits.apply(order[0]).conflicts, vec![]);
        let second = edits.apply(order[1]);
        assert_eq!(second.changed, order[1] == &sunset);
        assert_eq!(second.conflicts, vec![expected.clone()]);
        assert_eq!(edits.conflicts(), vec![expected.clone()]);
        assert_eq!(edits.visible().title.as_deref(), Some("Sunset"));
    }
    assert_eq!(
        serde_json::to_value(&expected).unwrap(),
        json!({
            "field": "title",
            "kept": {"value": "Sunset", "stamp": "000000000002000-000000-phone", "node": "phone"},
            "discarded": {"value": "Beach", "stamp": "000000000001000-000000-glasses", "node": "glasses"},
        })
    );
}

#[test]
fn knowing_overwrites_same_values_and_own_rewrites_are_not_conflicts() {
    let mut edits = MediaEdits::new();
    edits.apply(&set_title(1_000, "glasses", "Beach"));
    // The phone synced, showed "Beach", and the user changed it.
    let knowing = edits.local_edit(
        stamp(2_000, "phone"),
        Change::SetTitle {
            title: title("Sunset"),
        },
    );
    assert_eq!(knowing.seen, Some(stamp(1_000, "glasses")));
    assert!(edits.apply(&knowing).conflicts.is_empty());
    edits.apply(&set_title(500, "web", "Sunset"));
    let dusk = edits.local_edit(
        stamp(3_000, "phone"),
        Change::SetTitle {
            title: title("Dusk"),
        },
    );
    edits.apply(&dusk);
    assert!(edits.conflicts().is_empty(), "{:?}", edits.conflicts());

    let mut favourite = MediaEdits::new();
    let fav = |wall, node, on| Edit {
        stamp: stamp(wall, node),
        seen: None,
        change: Change::SetFavourite { favourite: on },
    };
    favourite.apply(&fav(1, "glasses", true));
    let applied = favourite.apply(&fav(2, "phone", false));
    assert_eq!(applied.conflicts.len(), 1);
    assert_eq!(applied.conflicts[0].field, Field::Favourite);
    // A later edit that saw the result settles the conflict.
    let settle = favourite.local_edit(
        stamp(3, "glasses"),
        Change::SetFavourite { favourite: true },
    );
    assert!(favourite.apply(&settle).conflicts.is_empty());
    assert!(favourite.conflicts().is_empty());
}

#[test]
fn view_is_sorted_and_delete_is_a_field() {
    let mut clock = Clock::new(NodeId::parse("phone").unwrap());
    let mut edits = MediaEdits::new();
    let (p1, p2) = (PersonId::new_random(), PersonId::new_random());
    for change in [
        Change::AddTag {
            tag: Tag::parse("Sunset").unwrap(),
        },
        Change::AddTag {
            tag: Tag::parse("beach").unwrap(),
        },
        Change::AddPerson { person: p1 },
        Change::AddPerson { person: p2 },
        Change::SetFavourite { favourite: true },
    ] {
        let edit = edits.local_edit(clock.tick(10), change);
        assert!(edits.apply(&edit).changed);
    }
    let mut people = vec![p1, p2];
    people.sort();
    let view = edits.visible();
    assert_eq!(view.tags, vec!["beach", "sunset"]);
    assert_eq!(view.people, people);
    assert!(view.favourite && !view.deleted);
    let remove = Change::RemovePerson {
        person: p1,
        observed: edits.observed_person(&p1),
    };
    edits.apply(&edits.local_edit(clock.tick(10), remove));
    let delete = edits.local_edit(clock.tick(10), Change::Delete);
    let applied = edits.apply(&delete);
    assert!(applied.changed && edits.visible().deleted);
    assert_eq!(edits.visible().people, vec![p2]);
    assert!(!edits.apply(&delete).changed, "replayed");
}

#[test]
fn state_is_stored_as_versioned_json() {
    let mut edits = MediaEdits::new();
    edits.apply(&set_title(1, "glasses", "Beach"));
    edits.apply(&set_title(2, "phone", "Sunset"));
    edits.apply(&Edit {
        stamp: stamp(3, "phone"),
        seen: None,
        change: Change::AddTag {
            tag: Tag::parse("x").unwrap(),
        },
    });
    let mut json = serde_json::to_value(&edits).unwrap();
    assert_eq!(json["version"], STATE_VERSION);
    assert_eq!(
        serde_json::from_value::<MediaEdits>(json.clone()).unwrap(),
        edits
    );
    json["version"] = 99.into();
    let err = serde_json::from_value::<MediaEdits>(json).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}
