//! One contract test suite for every [`SearchIndex`] implementation. It creates its own users,
//! so it can share an index with other data, except for the final `clear`.

use crate::model::{CityFilter, MediaDoc, SearchPage, SearchQuery, TimeRange};
use crate::{SearchError, SearchIndex};
use chrono::{DateTime, Duration, TimeZone, Utc};
use sightline_core::media::MediaKind;
use sightline_core::{DeviceId, MediaId, PersonId, PlaceId, UserId};

/// A photo of `user` at noon on the given day of July 2024, with nothing else known.
pub fn doc(user: UserId, day: u32, text: &str) -> MediaDoc {
    MediaDoc {
        user,
        media: MediaId::new_random(),
        kind: MediaKind::Photo,
        captured_at: july(day),
        duration_secs: None,
        people: Vec::new(),
        city: None,
        nearby_cities: Vec::new(),
        region: None,
        country_code: None,
        place_ids: Vec::new(),
        things: Vec::new(),
        text: text.to_string(),
        device_id: None,
    }
}

fn july(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, day, 12, 0, 0)
        .single()
        .expect("valid date")
}

async fn ids(index: &dyn SearchIndex, query: &SearchQuery) -> Vec<MediaId> {
    page(index, query)
        .await
        .hits
        .iter()
        .map(|h| h.media)
        .collect()
}

async fn page(index: &dyn SearchIndex, query: &SearchQuery) -> SearchPage {
    index.search(query).await.expect("search")
}

async fn put(index: &dyn SearchIndex, docs: &[MediaDoc]) {
    index.upsert(docs.to_vec()).await.expect("upsert");
    index.commit().await.expect("commit");
}

fn sorted(mut ids: Vec<MediaId>) -> Vec<MediaId> {
    ids.sort();
    ids
}

/// Runs every check; ends by clearing the index.
pub async fn search_index_suite(index: &dyn SearchIndex) {
    writes_are_visible_after_commit_and_idempotent(index).await;
    users_are_isolated(index).await;
    filters_are_exact(index).await;
    words_and_things_rank(index).await;
    hostile_text_is_just_words(index).await;
    pages_and_time_order(index).await;
    clear_removes_everything(index).await;
}

async fn writes_are_visible_after_commit_and_idempotent(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    let mut video = doc(user, 3, "IMG_0001.mp4 first draft");
    video.kind = MediaKind::Video;
    video.duration_secs = Some(12.5);
    index.upsert(vec![video.clone()]).await.expect("upsert");
    assert!(
        page(index, &SearchQuery::for_user(user))
            .await
            .hits
            .is_empty()
    );
    index.commit().await.expect("commit");

    let found = page(index, &SearchQuery::for_user(user)).await;
    assert_eq!(found.total, 1);
    let hit = &found.hits[0];
    assert_eq!(
        (hit.media, hit.captured_at, hit.kind, hit.duration_secs),
        (video.media, video.captured_at, MediaKind::Video, Some(12.5))
    );

    // The same item again, twice in one batch and once more later, with new text.
    let mut revised = video.clone();
    revised.text = "IMG_0001.mp4 final cut".into();
    put(index, &[video.clone(), revised.clone()]).await;
    put(index, &[revised.clone()]).await;
    assert_eq!(
        ids(index, &SearchQuery::for_user(user)).await,
        vec![video.media]
    );
    let mut by_word = SearchQuery::for_user(user);
    by_word.text = vec!["draft".into()];
    assert!(ids(index, &by_word).await.is_empty(), "old text is gone");
    by_word.text = vec!["final".into()];
    assert_eq!(ids(index, &by_word).await, vec![video.media]);

    // Staged writes apply in order: delete then re-add keeps the item.
    index.delete(user, video.media).await.expect("delete");
    index.upsert(vec![revised.clone()]).await.expect("upsert");
    index.commit().await.expect("commit");
    assert_eq!(
        ids(index, &SearchQuery::for_user(user)).await,
        vec![video.media]
    );

    index.delete(user, video.media).await.expect("delete");
    index
        .delete(user, MediaId::new_random())
        .await
        .expect("absent");
    index.commit().await.expect("commit");
    assert_eq!(page(index, &SearchQuery::for_user(user)).await.total, 0);

    let mut bad = SearchQuery::for_user(user);
    bad.limit = 0;
    assert!(matches!(
        index.search(&bad).await,
        Err(SearchError::InvalidQuery(_))
    ));
    bad.limit = 10;
    bad.offset = crate::model::MAX_WINDOW;
    assert!(matches!(
        index.search(&bad).await,
        Err(SearchError::InvalidQuery(_))
    ));
}

async fn users_are_isolated(index: &dyn SearchIndex) {
    let (alice, bob) = (UserId::new_random(), UserId::new_random());
    let person = PersonId::new_random();
    let place = PlaceId::new_random();
    let device = DeviceId::new_random();
    let shared = |user| {
        let mut d = doc(user, 10, "shared words beach");
        d.people = vec![person];
        d.city = Some("Paris".into());
        d.country_code = Some("FR".into());
        d.place_ids = vec![place];
        d.device_id = Some(device);
        d.things = vec!["dog".into()];
        d
    };
    let alices = shared(alice);
    // A client-chosen media id may collide across users; it must not merge their items.
    let mut bobs = shared(bob);
    bobs.media = alices.media;
    let bob_only = shared(bob);
    put(index, &[alices.clone(), bobs.clone(), bob_only.clone()]).await;

    let mut everything = SearchQuery::for_user(alice);
    everything.all_people = vec![person];
    everything.any_people = vec![person];
    everything.cities = vec![CityFilter {
        name: "paris".into(),
        country_code: None,
    }];
    everything.place_ids = vec![place];
    everything.devices = vec![device];
    everything.things = vec!["dog".into()];
    everything.text = vec![
        "beach".into(),
        format!("user:{bob}"),
        format!("{bob} OR *"),
        "*".into(),
    ];
    assert_eq!(ids(index, &everything).await, vec![alices.media]);
    for text in [format!("user:{bob}"), "*:*".into(), "shared".into()] {
        let mut words_only = SearchQuery::for_user(alice);
        words_only.text = vec![text];
        assert!(
            ids(index, &words_only)
                .await
                .iter()
                .all(|m| *m == alices.media),
            "only alice's item can match"
        );
    }
    let stranger = SearchQuery::for_user(UserId::new_random());
    assert_eq!(page(index, &stranger).await.total, 0);

    // Deleting alice's item leaves bob's with the same media id.
    index.delete(alice, alices.media).await.expect("delete");
    index.commit().await.expect("commit");
    assert!(ids(index, &SearchQuery::for_user(alice)).await.is_empty());
    assert_eq!(
        sorted(ids(index, &SearchQuery::for_user(bob)).await),
        sorted(vec![bobs.media, bob_only.media])
    );

    put(index, std::slice::from_ref(&alices)).await;
    index.delete_user(bob).await.expect("delete user");
    index.commit().await.expect("commit");
    assert!(ids(index, &SearchQuery::for_user(bob)).await.is_empty());
    assert_eq!(
        ids(index, &SearchQuery::for_user(alice)).await,
        vec![alices.media]
    );
}

async fn filters_are_exact(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    let (me, wife, friend) = (
        PersonId::new_random(),
        PersonId::new_random(),
        PersonId::new_random(),
    );
    let (home, work) = (PlaceId::new_random(), PlaceId::new_random());
    let (glasses, doorbell) = (DeviceId::new_random(), DeviceId::new_random());

    let mut paris = doc(user, 1, "eiffel");
    paris.people = vec![me, wife];
    paris.city = Some("Paris".into());
    paris.region = Some("Île-de-France".into());
    paris.country_code = Some("FR".into());
    paris.device_id = Some(glasses);
    let mut texas = doc(user, 2, "rodeo");
    texas.people = vec![me];
    texas.city = Some("PARIS".into());
    texas.region = Some("Texas".into());
    texas.country_code = Some("us".into());
    texas.kind = MediaKind::Video;
    let mut lyon = doc(user, 3, "bouchon");
    lyon.people = vec![wife, friend];
    lyon.city = Some("Lyon".into());
    lyon.region = Some("Auvergne-Rhône-Alpes".into());
    lyon.country_code = Some("FR".into());
    lyon.place_ids = vec![work];
    let mut porch = doc(user, 4, "parcel");
    porch.place_ids = vec![home];
    porch.device_id = Some(doorbell);
    porch.kind = MediaKind::Video;
    put(
        index,
        &[paris.clone(), texas.clone(), lyon.clone(), porch.clone()],
    )
    .await;

    let base = SearchQuery::for_user(user);
    let check = async |query: SearchQuery, expected: Vec<&MediaDoc>, why: &str| {
        let expected = sorted(expected.iter().map(|d| d.media).collect());
        assert_eq!(sorted(ids(index, &query).await), expected, "{why}");
    };
    let city = |name: &str, country_code: Option<&str>| CityFilter {
        name: name.into(),
        country_code: country_code.map(str::to_string),
    };

    check(
        base.clone(),
        vec![&paris, &texas, &lyon, &porch],
        "no filter",
    )
    .await;
    let mut q = base.clone();
    q.kinds = vec![MediaKind::Video];
    check(q, vec![&texas, &porch], "kind").await;
    let mut q = base.clone();
    q.devices = vec![glasses, doorbell];
    check(q, vec![&paris, &porch], "devices any of").await;
    let mut q = base.clone();
    q.all_people = vec![me, wife];
    check(q, vec![&paris], "all people").await;
    let mut q = base.clone();
    q.any_people = vec![me, friend];
    check(q, vec![&paris, &texas, &lyon], "any people").await;
    let mut q = base.clone();
    q.all_people = vec![wife];
    q.any_people = vec![me, PersonId::new_random()];
    check(q, vec![&paris], "all and any people").await;
    let mut q = base.clone();
    q.cities = vec![city("paris", None)];
    check(q, vec![&paris, &texas], "city in any country").await;
    let mut q = base.clone();
    q.cities = vec![city(" PARIS ", Some("fr"))];
    check(q, vec![&paris], "city with country").await;
    let mut q = base.clone();
    q.regions = vec!["île-de-france".into(), "TEXAS".into()];
    check(q, vec![&paris, &texas], "regions").await;
    let mut q = base.clone();
    q.countries = vec!["fr".into()];
    check(q, vec![&paris, &lyon], "country").await;
    let mut q = base.clone();
    q.place_ids = vec![home];
    check(q, vec![&porch], "user place").await;
    let mut q = base.clone();
    q.cities = vec![city("Lyon", Some("FR"))];
    q.countries = vec!["US".into()];
    q.place_ids = vec![home];
    check(q, vec![&texas, &lyon, &porch], "places are any of").await;
    let mut q = base.clone();
    q.cities = vec![city("  ", None)];
    check(q, vec![], "a blank city matches nothing").await;
    let mut q = base.clone();
    q.time = Some(TimeRange {
        start: july(2),
        end: july(4),
    });
    check(q, vec![&texas, &lyon], "start included, end excluded").await;
    let mut q = base.clone();
    q.time = Some(TimeRange {
        start: july(4),
        end: july(2),
    });
    check(q, vec![], "empty range").await;
    let mut q = base.clone();
    q.time = Some(TimeRange {
        start: july(1) - Duration::microseconds(1),
        end: july(1) + Duration::microseconds(1),
    });
    check(q, vec![&paris], "microsecond bounds").await;
    let mut q = base.clone();
    q.any_people = vec![me];
    q.countries = vec!["FR".into()];
    q.time = Some(TimeRange {
        start: july(1),
        end: july(31),
    });
    q.kinds = vec![MediaKind::Photo];
    q.text = vec!["nothing matches this".into()];
    check(q, vec![&paris], "filters combine; words do not filter").await;
}

async fn words_and_things_rank(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    let both = doc(user, 1, "sunset beach");
    let one = doc(user, 2, "sunset forest");
    let none = doc(user, 3, "birthday cake");
    let mut dog = doc(user, 4, "garden party");
    dog.things = vec!["Dog".into(), "Frisbee".into()];
    put(
        index,
        &[both.clone(), one.clone(), none.clone(), dog.clone()],
    )
    .await;

    let mut words_only = SearchQuery::for_user(user);
    words_only.text = vec!["Sunset BEACH".into()];
    let found = page(index, &words_only).await;
    assert_eq!(
        found.hits.iter().map(|h| h.media).collect::<Vec<_>>(),
        vec![both.media, one.media],
        "words alone must match at least one"
    );
    assert!(found.hits[0].score > found.hits[1].score && found.hits[1].score > 0.0);

    let mut filtered = words_only.clone();
    filtered.time = Some(TimeRange {
        start: july(1),
        end: july(31),
    });
    assert_eq!(
        ids(index, &filtered).await,
        vec![both.media, one.media, dog.media, none.media],
        "with a filter words rank, the rest follows newest first"
    );

    let mut things_only = SearchQuery::for_user(user);
    things_only.things = vec!["DOG ".into()];
    assert_eq!(ids(index, &things_only).await, vec![dog.media]);
    let mut things_and_words = things_only.clone();
    things_and_words.text = vec!["beach".into()];
    assert_eq!(
        sorted(ids(index, &things_and_words).await),
        sorted(vec![dog.media, both.media]),
        "things and words: any of them"
    );
}

async fn hostile_text_is_just_words(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    let target = doc(user, 1, "foo bar");
    let other = doc(user, 2, "unrelated");
    put(index, &[target.clone(), other.clone()]).await;
    let hostile = [
        "title:foo AND -(bar OR \"baz\" ^2 ~ * ? \\ [a TO z] {x TO y}",
        "foo\" OR \"1\"=\"1",
        "*",
        "text:* OR user:*",
        "\u{0}foo\u{7f}",
        "+-&&||!(){}[]^\"~*?:\\/",
        "",
        "ｆｏｏ",
    ];
    for text in hostile {
        let mut q = SearchQuery::for_user(user);
        q.text = vec![text.to_string()];
        let found = index.search(&q).await.expect("hostile text never errors");
        assert!(
            found
                .hits
                .iter()
                .all(|h| h.media == target.media || !text_has_words(text)),
            "{text:?} matched beyond its words"
        );
    }
    let mut long = SearchQuery::for_user(user);
    long.text = vec!["foo ".repeat(5_000), "é".repeat(10_000)];
    assert_eq!(ids(index, &long).await, vec![target.media]);
}

/// Whether `text` has any word characters; a query without words behaves as no text.
fn text_has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

async fn pages_and_time_order(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    let docs: Vec<MediaDoc> = (1..=7).map(|day| doc(user, day, "day")).collect();
    put(index, &docs).await;
    let newest_first: Vec<MediaId> = docs.iter().rev().map(|d| d.media).collect();

    let mut q = SearchQuery::for_user(user);
    q.limit = 3;
    let first = page(index, &q).await;
    assert_eq!(first.total, 7);
    assert_eq!(first.next_offset, Some(3));
    let mut seen: Vec<MediaId> = first.hits.iter().map(|h| h.media).collect();
    q.offset = 3;
    seen.extend(ids(index, &q).await);
    q.offset = 6;
    let last = page(index, &q).await;
    assert_eq!(last.next_offset, None);
    seen.extend(last.hits.iter().map(|h| h.media));
    assert_eq!(seen, newest_first);
    assert!(first.hits.iter().all(|h| h.score == 0.0));
}

async fn clear_removes_everything(index: &dyn SearchIndex) {
    let user = UserId::new_random();
    put(index, &[doc(user, 1, "kept until clear")]).await;
    index.clear().await.expect("clear");
    assert_eq!(
        page(index, &SearchQuery::for_user(user)).await.total,
        1,
        "staged"
    );
    let after = doc(user, 2, "added after clear");
    index.upsert(vec![after.clone()]).await.expect("upsert");
    index.commit().await.expect("commit");
    assert_eq!(
        ids(index, &SearchQuery::for_user(user)).await,
        vec![after.media]
    );
}
