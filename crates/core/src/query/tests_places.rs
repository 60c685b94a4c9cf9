//! Places: the user's own places, gazetteer names, and English words that only look like towns.

use super::test_support::{check_table, run};

#[test]
#[rustfmt::skip]
fn world_and_user_places() {
    check_table(
        &[
            ("Paris", "search | places=city:Paris,FR"),
            ("photos from Nice", "search | places=city:Nice,FR"),
            ("in nice", "search | places=city:Nice,FR"),
            ("in reading last year", "search | places=city:Reading,GB | time=2025-01-01..2026-01-01<last year>"),
            ("a weekend in Bath", "search | places=city:Bath,GB | time=2026-11-21..2026-11-23<weekend>"),
            ("Rome last summer", "search | places=city:Rome,IT | time=2026-06-01..2026-09-01<last summer>"),
            ("italy", "search | places=country:IT:Italy"),
            ("Paris, Texas", "search | places=city:Paris,US"),
            ("in paris texas", "search | places=city:Paris,US"),
            ("New York last summer", "search | places=city:New York,US | time=2026-06-01..2026-09-01<last summer>"),
            ("dogs in new york", "search | places=city:New York,US | things=dog"),
            ("New York City at night", "search | places=city:New York,US | things=night"),
            ("Rio de Janeiro 2024", "search | places=city:Rio de Janeiro,BR | time=2024-01-01..2025-01-01<2024>"),
            ("carnival in rio de janeiro", "search | places=city:Rio de Janeiro,BR | words=carnival"),
            ("São Paulo", "search | places=city:São Paulo,BR"),
            ("San Francisco, California", "search | places=city:San Francisco,US;region:California,US"),
            ("in texas", "search | places=region:Texas,US"),
            ("in the US", "search | places=country:US:United States"),
            ("in turkey", "search | places=country:TR:Turkey"),
            ("in Paris, Rome and Nice", "search | places=city:Paris,FR;city:Rome,IT;city:Nice,FR"),
            ("in paris and rome", "search | places=city:Paris,FR;city:Rome,IT"),
            ("photos from Orange", "search | places=city:Orange,FR"),
            ("the beach at long beach", "search | places=city:Long Beach,US | things=beach"),
            ("St. Louis in June", "search | places=city:St. Louis,US | time=2026-06-01..2026-07-01<June>"),
            ("Venice's canals", "search | places=city:Venice,IT | words=canals"),
            ("trip to Venice and Florence", "search | places=city:Venice,IT;city:Florence,IT | words=trip"),
            ("in Mobile", "search | places=city:Mobile,US"),
            ("at home", "search | places=user:home"),
            ("at grandma's", "search | places=user:grandma's"),
            ("at the office with Sam", "search | all=Sam Lee<Sam> | places=user:the office"),
            ("home videos from Italy", "search | places=user:home;country:IT:Italy"),
            ("SHOW ME PARIS", "search | places=city:Paris,FR"),
            ("NICE WEATHER IN PARIS", "search | places=city:Paris,FR | words=nice,weather"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn ordinary_words_are_not_places() {
    check_table(
        &[
            ("nice weather", "search | words=nice,weather"),
            ("Nice weather", "search | words=nice,weather"),
            ("nice view from the hotel", "search | words=nice,hotel"),
            ("reading a book", "search | things=book | words=reading"),
            ("Reading festival", "search | things=festival | words=reading"),
            ("Bath time with Tom", "search | all=Tom<Tom> | words=bath"),
            ("rome", "search | words=rome"),
            ("texas", "search | words=texas"),
            ("turkey sandwich", "search | things=sandwich | words=turkey"),
            ("at sunset", "search | things=sunset"),
            ("in orange", "search | things=orange"),
            ("oranges and apples", "search | things=orange,apple"),
            ("long beach", "search | things=beach | words=long"),
            ("protest march", "search | words=protest,march"),
            ("mobile phone pictures", "search | things=cell phone"),
        ],
        run,
    );
}
