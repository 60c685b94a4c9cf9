//! Names the user typed that understanding could not place.

use super::Understood;

/// Words the user capitalised mid-sentence that understanding left as free words ("a trip to
/// Lisbon" when nothing is known as Lisbon): names the library does not know. A search should
/// require them rather than merely rank by them, or "Lisbon last summer" would answer with last
/// summer anywhere. A capital at the start of the sentence says nothing and is ignored.
pub fn proper_nouns(raw: &str, understood: &Understood) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let tokens = raw
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|t| !t.is_empty());
    for token in tokens.skip(1) {
        let word = token
            .trim_end_matches("'s")
            .trim_matches(|c| c == '\'' || c == '-');
        if !word.chars().next().is_some_and(char::is_uppercase) {
            continue;
        }
        let lower = word.to_lowercase();
        if understood.words.contains(&lower) && !found.contains(&lower) {
            found.push(lower);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::test_support::{gazetteer, people, places, today};
    use crate::query::{QueryContext, understand};

    fn nouns(raw: &str) -> Vec<String> {
        let (gazetteer, people, places) = (gazetteer(), people(), places());
        let ctx = QueryContext {
            today: today(),
            people: &people,
            places: &places,
            gazetteer: &gazetteer,
        };
        proper_nouns(raw, &understand(raw, &ctx).expect("understood"))
    }

    #[test]
    fn capitalised_unknown_words_are_names() {
        assert_eq!(
            nouns("Make a video of our trip to Lisbon and Paris last summer"),
            ["lisbon"],
            "Paris is a known place"
        );
        assert!(nouns("make a video of our trip to lisbon").is_empty());
        assert!(
            nouns("Lisbon pictures").is_empty(),
            "a capital to start a sentence says nothing"
        );
    }
}
