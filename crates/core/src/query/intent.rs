//! Intent: create a memory video, or search.

use super::model::Intent;
use super::token::Tokens;

#[rustfmt::skip]
const CREATE_VERBS: &[&str] = &[
    "create", "creating", "make", "making", "build", "building", "generate", "generating",
    "compile", "compiling", "assemble", "assembling", "produce", "producing", "render", "edit",
    "craft", "prepare", "put", "turn", "gimme",
];

/// What a created thing may be called.
#[rustfmt::skip]
const CREATED_THINGS: &[&str] = &[
    "video", "videos", "memory", "memories", "montage", "montages", "reel", "reels", "compilation",
    "compilations", "highlight", "highlights", "movie", "movies", "film", "slideshow", "recap",
    "supercut", "clip", "clips", "story",
];

/// Phrases that ask for a memory video without a verb.
#[rustfmt::skip]
const CREATE_PHRASES: &[&[&str]] = &[
    &["memory", "video"], &["memories", "video"], &["memory", "movie"], &["memory", "reel"],
    &["montage"], &["compilation"], &["supercut"], &["highlight", "reel"], &["highlight", "video"],
    &["highlights", "video"], &["recap", "video"],
];

/// `CreateMemory` when a create verb comes before something to create ("can you make me a
/// video of …", "put together a montage"), when a memory-video phrase appears, or when a length
/// was asked for a video ("a 1-minute video of Rome"); otherwise `Search`.
pub(crate) fn detect(t: &Tokens, has_duration: bool) -> Intent {
    let words: Vec<&str> = (0..t.len()).map(|i| t.word(i)).collect();
    let verb = words.iter().position(|w| CREATE_VERBS.contains(w));
    let asks_to_create =
        verb.is_some_and(|v| words[v + 1..].iter().any(|w| CREATED_THINGS.contains(w)));
    let names_memory_video = CREATE_PHRASES
        .iter()
        .any(|phrase| words.windows(phrase.len()).any(|w| w == *phrase));
    let sized_video = has_duration && words.iter().any(|w| CREATED_THINGS.contains(w));
    if asks_to_create || names_memory_video || sized_video {
        Intent::CreateMemory
    } else {
        Intent::Search
    }
}
