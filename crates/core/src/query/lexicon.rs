//! Word lists: stop words, prepositions, number words, and English words that are also towns.

use super::token::{Tokens, decimal};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Words dropped from the free words: function words, requests, media nouns, fillers.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "ago", "all", "along", "also", "am", "an", "and", "any",
    "anything", "are", "around", "as", "at", "back", "be", "been", "before", "being", "best",
    "between", "both", "build", "but", "by", "can", "clip", "clips", "compilation", "compile",
    "could", "create", "day", "days", "did", "do", "does", "during", "each", "edit", "er", "erm",
    "even", "ever", "every", "everyone", "everything", "few", "film", "find", "fetch", "footage",
    "for", "from", "gallery", "generate", "get", "give", "go", "going", "gonna", "got", "had",
    "has", "have", "he", "hello", "help", "her", "here", "hers", "hey", "hi", "him", "his", "hm",
    "hmm", "how", "i", "i'd", "i'm", "image", "images", "in", "include", "including", "into", "is",
    "it", "it's", "its", "just", "know", "last", "let", "let's", "like", "look", "looking", "make",
    "many", "may", "me", "media", "memories", "memory", "might", "mine", "montage", "more", "most",
    "movie", "movies", "much", "must", "my", "near", "need", "no", "not", "now", "of", "off", "oh",
    "ok", "okay", "on", "one", "ones", "only", "or", "our", "ours", "out", "over", "pic", "pics",
    "picture", "pictures", "play", "please", "photo", "photos", "produce", "put", "quick",
    "quickly", "really", "recap", "recording", "recordings", "reel", "reels", "render", "right",
    "say", "see", "send", "she", "short", "should", "show", "showing", "since", "slideshow", "so",
    "some", "something", "such", "supercut", "sure", "take", "taken", "tell", "than", "thank",
    "thanks", "that", "the", "their", "them", "then", "there", "these", "they", "thing", "things",
    "this", "those", "through", "time", "times", "to", "together", "too", "took", "uh", "uhm", "um",
    "umm", "up", "us", "very", "via", "video", "videos", "view", "want", "wanna", "was", "watch",
    "we", "well", "were", "what", "when", "where", "which", "while", "who", "whole", "will", "with",
    "within", "would", "yeah", "yes", "you", "your", "highlight", "highlights", "shot", "shots",
    "moments", "moment", "gimme", "turn", "assemble", "craft", "prepare", "into", "stuff", "from",
    "featuring", "starring", "plus", "alongside", "until", "till", "ago", "myself", "whose", "of",
    "and", "mm",
];

/// Words after which a lower-case gazetteer name is taken as a place.
#[rustfmt::skip]
const PLACE_PREPOSITIONS: &[&str] = &[
    "in", "at", "from", "to", "near", "around", "visiting", "visit", "visited", "outside", "inside",
    "across", "through", "into", "toward", "towards", "via", "throughout",
];

/// Verbs (and "for"/"to") after which "me"/"us" is the recipient, not someone in the picture.
#[rustfmt::skip]
const RECIPIENT_BEFORE: &[&str] = &[
    "show", "make", "give", "find", "get", "send", "create", "build", "generate", "let", "tell",
    "bring", "fetch", "play", "help", "pull", "remind", "compile", "for", "to", "gimme", "cut",
    "produce", "render", "edit", "assemble", "prepare",
];

/// English words that are also town names; never places unless after a place preposition.
#[rustfmt::skip]
const PLACE_LOOKALIKES: &[&str] = &[
    "nice", "reading", "bath", "mobile", "orange", "hope", "bend", "eagle", "paradise", "liberty",
    "commerce", "independence", "energy", "surprise", "unity", "harmony", "justice", "welcome",
    "deal", "battle", "march", "street", "wells", "hull", "split", "normal", "boring", "cool",
    "hurricane", "bridge", "barking", "sale", "bury", "rye", "ware", "wool", "ham", "sandwich",
    "turkey", "china", "chad", "jordan", "georgia", "guinea", "jersey", "man", "chance", "faith",
    "grace", "joy", "happy", "lucky", "friendly", "many", "early", "late", "darling", "walking",
    "riding", "living", "sterling", "driving", "kissing", "hiking", "fishing", "bowling",
    "swimming", "skiing", "surfing", "sunny", "rainy", "snowy", "cloudy", "hot", "cold", "warm",
    "good", "great", "big", "little", "long", "short", "old", "new", "young", "best", "fun",
    "funny", "lovely", "pretty", "beautiful", "amazing", "sweet", "home", "house", "school", "work",
    "office", "church", "market", "harbor", "harbour", "university", "college", "hospital",
    "airport", "station", "hill", "valley", "river", "lake", "bay", "point", "rock", "stone",
    "brook", "mills", "falls", "springs", "park", "garden", "gardens", "green", "white", "black",
    "red", "blue", "gold", "silver", "dinner", "lunch", "breakfast", "party", "trip", "holiday",
    "vacation", "weekend", "cake", "wedding", "birthday", "weather", "view", "views", "camp",
    "camping", "forest", "woods", "beach", "mountain", "mountains", "sea", "ocean", "snow", "ice",
    "fire", "water", "sun", "moon", "star", "stars", "boy", "girl", "baby", "dog", "cat", "horse",
    "bear", "deer", "fox", "wolf", "lion", "tiger", "hawk", "swan", "crane", "robin", "rose",
    "lily", "ivy", "daisy", "may", "june", "august", "sunday", "monday", "christmas", "easter",
    "victory", "peace",
];

static STOP: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());
static PREPOSITIONS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLACE_PREPOSITIONS.iter().copied().collect());
static LOOKALIKES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLACE_LOOKALIKES.iter().copied().collect());

pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP.contains(word)
}

pub(crate) fn is_place_preposition(word: &str) -> bool {
    PREPOSITIONS.contains(word)
}

pub(crate) fn is_recipient_marker(word: &str) -> bool {
    RECIPIENT_BEFORE.contains(&word)
}

/// Stop words, look-alikes, and every word the vocabularies know: not evidence of a name.
pub(crate) fn is_common_word(word: &str) -> bool {
    STOP.contains(word)
        || LOOKALIKES.contains(word)
        || super::vocabulary::is_vocabulary_word(word)
        || super::relationship::is_relationship_word(word)
        || super::calendar::is_calendar_word(word)
        || small_number(word).is_some()
}

/// "one" … "ninety" (single words; "twenty five" is read by [`number_at`]).
pub(crate) fn small_number(word: &str) -> Option<u32> {
    const UNITS: &[&str] = &[
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: &[&str] = &[
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(n) = UNITS.iter().position(|&w| w == word) {
        return u32::try_from(n).ok();
    }
    TENS.iter()
        .position(|&w| w == word)
        .and_then(|n| u32::try_from(n * 10 + 20).ok())
}

/// A count at token `i`: digits ("7", "1.5"), words ("twenty five"), "a"/"an" (one),
/// "a couple of" (two), "a few"/"few"/"several" (three). Returns the value and the next index.
pub(crate) fn number_at(tokens: &Tokens, i: usize) -> Option<(f64, usize)> {
    if !tokens.is_free(i) {
        return None;
    }
    let word = tokens.word(i);
    let free_next = |j: usize| tokens.is_free(j) && !tokens.sentence_start(j);
    if let Some(value) = decimal(word) {
        return Some((value, i + 1));
    }
    if let Some(value) = small_number(word) {
        // "twenty five"
        if value >= 20
            && free_next(i + 1)
            && let Some(unit) = small_number(tokens.word(i + 1)).filter(|&u| (1..10).contains(&u))
        {
            return Some((f64::from(value + unit), i + 2));
        }
        return Some((f64::from(value), i + 1));
    }
    let (lead, j) = match word {
        "a" | "an" => (true, i + 1),
        _ => (false, i),
    };
    let counted = |w: &str| match w {
        "couple" => Some(2.0),
        "few" | "several" => Some(3.0),
        _ => None,
    };
    if (j == i || free_next(j)) && counted(tokens.word(j)).is_some() {
        let value = counted(tokens.word(j))?;
        let after = if tokens.word(j + 1) == "of" && free_next(j + 1) {
            j + 2
        } else {
            j + 1
        };
        return Some((value, after));
    }
    lead.then_some((1.0, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_counts() {
        let read = |q: &str| number_at(&Tokens::new(q), 0);
        assert_eq!(read("7 days"), Some((7.0, 1)));
        assert_eq!(read("1.5 minutes"), Some((1.5, 1)));
        assert_eq!(read("twenty five seconds"), Some((25.0, 2)));
        assert_eq!(read("a couple of weeks"), Some((2.0, 3)));
        assert_eq!(read("a few days"), Some((3.0, 2)));
        assert_eq!(read("an hour"), Some((1.0, 1)));
        assert_eq!(read("dogs"), None);
        assert_eq!(read("99999999999 days"), None);
    }

    #[test]
    fn look_alikes_are_common_words() {
        assert!(is_common_word("nice") && is_common_word("reading") && is_common_word("dogs"));
        assert!(!is_common_word("rome") && !is_common_word("anna"));
    }
}
