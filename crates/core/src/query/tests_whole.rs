//! Whole sentences: intent, requested length, free words, spoken style, hostile input, the cache
//! key, the echo, and a property test that nothing panics.

use super::test_support::{check_table, gazetteer, people, places, run, today};
use super::*;
use proptest::prelude::*;

#[test]
#[rustfmt::skip]
fn intent_and_duration() {
    check_table(
        &[
            ("make a 1-minute video of Anna and Tom in Italy between May and July", "create | dur=60 | all=Anna<Anna>,Tom<Tom> | places=country:IT:Italy | time=2026-05-01..2026-08-01<between May and July>"),
            ("Make a 2 min video of my son at the beach last summer", "create | dur=120 | all=Tom<my son> | time=2026-06-01..2026-09-01<last summer> | things=beach"),
            ("put together a montage of our trip to Italy", "create | places=country:IT:Italy | words=trip"),
            ("memory video of Rome", "create | places=city:Rome,IT"),
            ("a montage from last Christmas", "create | time=2025-12-24..2025-12-27<last Christmas>"),
            ("generate highlights from Japan", "create | places=country:JP:Japan"),
            ("build a reel of the dogs", "create | things=dog"),
            ("turn my photos from Paris into a movie", "create | places=city:Paris,FR"),
            ("GIMME A VIDEO OF TOM IN ROME", "create | all=Tom<TOM> | places=city:Rome,IT"),
            ("a 30 second clip of the kids", "create | dur=30 | any=[the kids: Tom]"),
            ("90s video of Tom", "create | dur=90 | all=Tom<Tom>"),
            ("three minute montage of Maria", "create | dur=180 | all=Maria<Maria>"),
            ("a two and a half minute video of Rome", "create | dur=150 | places=city:Rome,IT"),
            ("video of Tom, 1:30 long", "create | dur=90 | all=Tom<Tom>"),
            ("30 seconds of Anna", "search | dur=30 | all=Anna<Anna>"),
            ("show me videos of Rome", "search | places=city:Rome,IT"),
            ("highlights of 2025", "search | time=2025-01-01..2026-01-01<2025>"),
            ("my memories of Japan", "search | places=country:JP:Japan"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn spoken_style_punctuation_and_things() {
    check_table(
        &[
            ("show me dogs on the beach", "search | things=dog,beach"),
            ("um can you make me a video of the kids at the beach please", "create | any=[the kids: Tom] | things=beach"),
            ("hey, uh, could you put together like a 30 second clip of mom?", "create | dur=30 | all=Maria<mom>"),
            ("  Rome   ,  LAST summer?? ", "search | places=city:Rome,IT | time=2026-06-01..2026-09-01<LAST summer>"),
            ("dogs, cats & birds!!!", "search | things=dog,cat,bird"),
            ("puppies", "search | things=dog"),
            ("hiking in the mountains with Tom", "search | all=Tom<Tom> | things=hiking,mountains"),
            ("Show me Tom playing football in the park", "search | all=Tom<Tom> | things=sports ball,park | words=playing"),
            ("a hot dog at the stadium", "search | things=hot dog,stadium"),
            ("teddy bears", "search | things=teddy bear"),
            ("birthday party at home", "search | places=user:home | things=birthday party"),
            ("kids playing in the park", "search | any=[kids: Tom] | things=park | words=playing"),
            ("people at a concert", "search | things=person,concert"),
            ("pictures of the Eiffel tower", "search | words=eiffel,tower"),
            ("\u{1F436} at the beach \u{1F3D6}\u{FE0F}", "search | things=beach"),
            ("東京の写真", "search | words=東京の写真"),
            ("show me", "search"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn hostile_input() {
    check_table(
        &[
            ("", "err=Empty"),
            ("   \n\t ", "err=Empty"),
            ("?!...", "err=Empty"),
            ("\u{2014}", "err=Empty"),
        ],
        run,
    );
    assert_eq!(run(&"x".repeat(501)), "err=TooLong(501)");
    assert_eq!(
        run(&"é".repeat(500)),
        format!("search | words={}", "é".repeat(500))
    );
    assert_eq!(run(&"a, ".repeat(150)), "search");
}

fn understand_here(query: &str) -> Result<Understood, QueryError> {
    let (gazetteer, people, places) = (gazetteer(), people(), places());
    let ctx = QueryContext {
        today: today(),
        people: &people,
        places: &places,
        gazetteer: &gazetteer,
    };
    understand(query, &ctx)
}

#[test]
fn canonical_key_ignores_wording_but_not_meaning() {
    let key = |q: &str| understand_here(q).unwrap().canonical();
    let one = key("Create a memory video of my wife and me in Paris last summer");
    assert_eq!(
        one,
        key("make a video of ME and ANNA in paris, last summer!")
    );
    assert_eq!(
        one,
        "q1;create;all=00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000005;\
         places=city:paris:fr;time=2026-06-01/2026-09-01"
    );
    assert_eq!(key("dogs and beaches"), key("Beach, dog"));
    assert_ne!(key("dogs in Rome"), key("dogs in Paris"));
    assert_ne!(key("video of Tom"), key("make a video of Tom"));
    assert_ne!(key("Anna or Tom"), key("Anna and Tom"));
    assert_eq!(key("nice weather"), "q1;search;words=nice,weather");
}

#[test]
fn describe_echoes_the_meaning() {
    let (gazetteer, people, places) = (gazetteer(), people(), places());
    let ctx = QueryContext {
        today: today(),
        people: &people,
        places: &places,
        gazetteer: &gazetteer,
    };
    let describe = |q: &str| understand(q, &ctx).unwrap().describe(&ctx);
    assert_eq!(
        describe("Create a memory video of my wife and me in Paris last summer"),
        "memory video · with Anna (wife) and you · in Paris (FR) · 1 Jun 2026 – 31 Aug 2026"
    );
    assert_eq!(
        describe("a 90 second video of the kids or mom at the beach on 12 May 2024"),
        "1 min 30 s memory video · with any of Tom (son) or Maria (Mom) · 12 May 2024 · showing beach"
    );
    assert_eq!(
        describe("my family at home, nice weather"),
        "search · with any of Anna (wife), Tom (son) or Maria (Mom) · at home · matching \"nice weather\""
    );
}

#[test]
fn errors_read_as_sentences() {
    let message = |q: &str| understand_here(q).unwrap_err().to_string();
    assert_eq!(
        message("with Bob"),
        "I don't know anyone called \"Bob\"; name a person first"
    );
    assert_eq!(
        message("my sister"),
        "Nobody is marked as your \"sister\"; set that relationship on a person first"
    );
    assert_eq!(
        message("Anna's birthday"),
        "I don't know Anna's birthday; add it to the person first"
    );
    assert_eq!(
        understand_here("my sister").unwrap_err().code(),
        "unknown_relationship"
    );
}

#[test]
fn round_trips_through_json() {
    let understood =
        understand_here("a 1-minute video of the kids and Anna in Rome last summer").unwrap();
    let json = serde_json::to_string(&understood).unwrap();
    assert!(
        json.contains("\"intent\":\"create_memory\"") && json.contains("\"kind\":\"city\""),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<Understood>(&json).unwrap(),
        understood
    );
}

const WORD_SOUP: &[&str] = &[
    "my",
    "wife",
    "me",
    "I",
    "and",
    "or",
    "with",
    "of",
    "in",
    "at",
    "the",
    "Anna",
    "Tom's",
    "Bob",
    "mom's",
    "birthday",
    "last",
    "this",
    "past",
    "summer",
    "winter",
    "fall",
    "May",
    "march",
    "12",
    "12th",
    "2024",
    "1900",
    "2100",
    "99999",
    "a",
    "few",
    "couple",
    "days",
    "weeks",
    "ago",
    "between",
    "from",
    "to",
    "until",
    "since",
    "before",
    "-",
    "–",
    ",",
    ".",
    "Paris",
    "Texas",
    "new",
    "york",
    "Rio",
    "de",
    "Janeiro",
    "nice",
    "dogs",
    "hot",
    "dog",
    "kids",
    "family",
    "make",
    "video",
    "1:30",
    "90s",
    "the",
    "half",
    "an",
    "hour",
    "early",
    "late",
    "mid",
    "Feb",
    "29",
    "2023-02-29",
    "31.12.2023",
    "christmas",
    "eve",
    "new",
    "year's",
    "us",
    "US",
    "we",
    "é",
    "\u{0301}",
    "\u{200F}",
    "🐶",
    "'",
    "’s",
    "&",
];

proptest! {
    #[test]
    fn never_panics_on_any_text(query in "\\PC{0,600}") {
        let _ = understand_here(&query);
    }

    #[test]
    fn never_panics_on_word_soup(words in prop::collection::vec(prop::sample::select(WORD_SOUP), 0..40)) {
        let query = words.join(" ");
        if let Ok(understood) = understand_here(&query) {
            if let Some(time) = &understood.time {
                prop_assert!(time.start < time.end, "{query}: {time:?}");
            }
            prop_assert_eq!(understood.canonical(), understood.clone().canonical());
        }
    }
}
