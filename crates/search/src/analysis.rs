//! How names, labels and free text become index terms. Both implementations use these functions,
//! so a word matches (or not) the same way everywhere.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};

/// Name the text analyzer is registered under in the tantivy index.
pub(crate) const WORDS_TOKENIZER: &str = "sightline_words";

/// Joins a city name and its country code in one term, so "Paris, FR" differs from "Paris, US".
const CITY_COUNTRY_SEPARATOR: char = '\u{1f}';

/// Words longer than this are dropped: base64 blobs or hashes in OCR text are not searchable words.
const MAX_WORD_BYTES: usize = 40;

/// Splits on anything that is not a letter or digit, lowercases and folds accents
/// ("Zürich" → "zurich"), so query words never carry query-language syntax.
pub(crate) fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The distinct words of `texts`, in first-seen order.
pub(crate) fn words<'a>(
    analyzer: &mut TextAnalyzer,
    texts: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let word = &stream.token().text;
            if !out.iter().any(|seen| seen == word) {
                out.push(word.clone());
            }
        }
    }
    out
}

/// Case- and spacing-insensitive form of a place name or detector label; `None` when blank.
pub(crate) fn normalize_name(name: &str) -> Option<String> {
    let joined = name.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then(|| joined.to_lowercase())
}

pub(crate) fn normalize_country(code: &str) -> Option<String> {
    let code = code.trim();
    (!code.is_empty()).then(|| code.to_uppercase())
}

/// The terms a document's city is indexed under: the name alone, and the name with the
/// country when known; a query asks for one or the other.
pub(crate) fn city_terms(name: &str, country_code: Option<&str>) -> Vec<String> {
    let Some(name) = normalize_name(name) else {
        return Vec::new();
    };
    let mut terms = vec![name.clone()];
    if let Some(country) = country_code.and_then(normalize_country) {
        terms.push(city_country_term(&name, &country));
    }
    terms
}

/// The single term a city filter looks for.
pub(crate) fn city_query_term(name: &str, country_code: Option<&str>) -> Option<String> {
    let name = normalize_name(name)?;
    Some(match country_code.and_then(normalize_country) {
        Some(country) => city_country_term(&name, &country),
        None => name,
    })
}

fn city_country_term(name: &str, country: &str) -> String {
    format!("{name}{CITY_COUNTRY_SEPARATOR}{country}")
}

/// Distinct normalised labels.
pub(crate) fn normalize_labels(labels: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in labels.iter().filter_map(|label| normalize_name(label)) {
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_free_of_syntax() {
        let mut analyzer = words_analyzer();
        assert_eq!(
            words(
                &mut analyzer,
                ["Zürich: \"Sunset\" AND title:(beach^2)", "sunset"]
            ),
            vec!["zurich", "sunset", "and", "title", "beach", "2"]
        );
        assert!(words(&mut analyzer, ["+-&&||!(){}[]^\"~*?:\\/"]).is_empty());
        let long = "x".repeat(MAX_WORD_BYTES + 1);
        assert!(words(&mut analyzer, [long.as_str()]).is_empty());
    }

    #[test]
    fn names_and_cities_ignore_case_and_spacing() {
        assert_eq!(normalize_name("  New   York "), Some("new york".into()));
        assert_eq!(normalize_name("   "), None);
        assert_eq!(
            city_terms("PARIS", Some("fr")),
            vec!["paris".to_string(), "paris\u{1f}FR".to_string()]
        );
        assert_eq!(
            city_query_term("Paris", Some(" Fr ")),
            Some("paris\u{1f}FR".into())
        );
        assert_eq!(city_query_term("Paris", None), Some("paris".into()));
        assert_eq!(
            normalize_labels(&["Dog".into(), "dog ".into(), "Cell  Phone".into()]),
            vec!["dog".to_string(), "cell phone".to_string()]
        );
    }
}
