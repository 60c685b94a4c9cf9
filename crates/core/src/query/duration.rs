//! Requested video length: "a 1-minute video", "30 second clip", "2 min", "90s",
//! "three minutes", "1.5 minutes", "a minute and a half", "half a minute", "2 min 30 s", "1:30 long".

use super::lexicon::number_at;
use super::token::{Role, Tokens, decimal};

/// Longest length accepted; anything longer is not read as a duration.
const MAX_SECONDS: f64 = 86_400.0;

/// Claims the first duration phrase and returns its length in seconds.
pub(crate) fn extract(t: &mut Tokens) -> Option<u32> {
    for i in 0..t.len() {
        if let Some((seconds, end)) = duration_at(t, i) {
            t.claim(i, end, Role::Duration);
            return Some(seconds);
        }
    }
    None
}

fn unit_seconds(word: &str) -> Option<f64> {
    match word {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1.0),
        "min" | "mins" | "minute" | "minutes" => Some(60.0),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3600.0),
        _ => None,
    }
}

/// "90s", "2min", "1.5min", "30secs".
fn glued(word: &str) -> Option<f64> {
    let split = word.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = word.split_at(split);
    Some(decimal(number)? * unit_seconds(unit)?)
}

/// "1:30" as minutes and seconds.
fn clock(word: &str) -> Option<f64> {
    let (minutes, seconds) = word.split_once(':')?;
    let minutes = decimal(minutes)?;
    let seconds = decimal(seconds).filter(|s| *s < 60.0 && !seconds.contains('.'))?;
    Some(minutes * 60.0 + seconds)
}

fn duration_at(t: &Tokens, i: usize) -> Option<(u32, usize)> {
    // "the last 2 minutes" is a time window, not a length.
    if !t.is_free(i) || matches!(t.prev_word(i), "last" | "past" | "first" | "next") {
        return None;
    }
    let (seconds, mut end) = glued_at(t, i)
        .or_else(|| clock_at(t, i))
        .or_else(|| half_at(t, i))
        .or_else(|| counted_at(t, i))?;
    if next_is(t, end, "long") {
        end += 1;
    }
    if t.word(end) == "ago" {
        return None;
    }
    let rounded = seconds.round();
    (1.0..=MAX_SECONDS)
        .contains(&rounded)
        .then_some((rounded as u32, end))
}

/// Token `j` is free, in the same sentence, and reads `word`.
fn next_is(t: &Tokens, j: usize, word: &str) -> bool {
    joins(t, j) && t.word(j) == word
}

fn joins(t: &Tokens, j: usize) -> bool {
    t.free_run(j, j + 1) && !t.sentence_start(j)
}

/// The unit at token `j`, if it continues the phrase.
fn unit_at(t: &Tokens, j: usize) -> Option<f64> {
    unit_seconds(t.word(j)).filter(|_| joins(t, j))
}

/// "90s", "2min"; but "the 90s" is a decade.
fn glued_at(t: &Tokens, i: usize) -> Option<(f64, usize)> {
    let seconds = glued(t.word(i))?;
    let decade = t.word(i).ends_with('s')
        && (t.list[i].apostrophe_before
            || matches!(t.prev_word(i), "the" | "in" | "early" | "late" | "mid"));
    (!decade).then_some((seconds, i + 1))
}

/// "1:30 min", "a 1:30 long video", "1:30 video".
fn clock_at(t: &Tokens, i: usize) -> Option<(f64, usize)> {
    let seconds = clock(t.word(i))?;
    if unit_at(t, i + 1) == Some(60.0) {
        return Some((seconds, i + 2));
    }
    let video_follows = matches!(
        t.word(i + 1),
        "long" | "video" | "clip" | "movie" | "memory" | "montage" | "reel"
    );
    video_follows.then_some((seconds, i + 1))
}

/// "half a minute", "half an hour".
fn half_at(t: &Tokens, i: usize) -> Option<(f64, usize)> {
    if t.word(i) != "half" || !matches!(t.word(i + 1), "a" | "an") || !joins(t, i + 1) {
        return None;
    }
    Some((unit_at(t, i + 2)? / 2.0, i + 3))
}

/// "30 seconds", "three minute", "a minute and a half", "2 minutes 30 seconds", "2 min and 15".
fn counted_at(t: &Tokens, i: usize) -> Option<(f64, usize)> {
    let (count, j) = number_at(t, i)?;
    let (count, j) = and_a_half(t, count, j);
    let unit = unit_at(t, j)?;
    // "a second video" is not a one-second video.
    if unit == 1.0 && matches!(t.word(i), "a" | "an") {
        return None;
    }
    let (count, after) = and_a_half(t, count, j + 1);
    let seconds = count * unit;
    if unit == 1.0 {
        return Some((seconds, after));
    }
    let and = usize::from(next_is(t, after, "and"));
    let Some((extra, k)) = number_at(t, after + and).filter(|_| joins(t, after + and)) else {
        return Some((seconds, after));
    };
    let smaller = unit / 60.0;
    match unit_at(t, k) {
        Some(u) if u == smaller => Some((seconds + extra * smaller, k + 1)),
        // "2 min 30": a bare count after minutes is seconds.
        None if unit == 60.0 && extra < 60.0 && !matches!(t.word(after + and), "a" | "an") => {
            Some((seconds + extra, k))
        }
        _ => Some((seconds, after)),
    }
}

/// "one and a half minutes", "a minute and a half".
fn and_a_half(t: &Tokens, count: f64, j: usize) -> (f64, usize) {
    let words = [t.word(j), t.word(j + 1), t.word(j + 2)];
    if words == ["and", "a", "half"]
        && t.free_run(j, j + 3)
        && !(j..j + 3).any(|k| t.sentence_start(k))
    {
        (count + 0.5, j + 3)
    } else {
        (count, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(query: &str) -> Option<u32> {
        extract(&mut Tokens::new(query))
    }

    #[test]
    fn reads_lengths() {
        assert_eq!(read("a 1-minute video"), Some(60));
        assert_eq!(read("30 second clip"), Some(30));
        assert_eq!(read("2 min"), Some(120));
        assert_eq!(read("90s"), Some(90));
        assert_eq!(read("three minute"), Some(180));
        assert_eq!(read("1.5 minutes"), Some(90));
        assert_eq!(read("a minute and a half"), Some(90));
        assert_eq!(read("one and a half minutes"), Some(90));
        assert_eq!(read("half a minute"), Some(30));
        assert_eq!(read("2 minutes 30 seconds"), Some(150));
        assert_eq!(read("2 min and 15"), Some(135));
        assert_eq!(read("a 1:30 long video"), Some(90));
        assert_eq!(read("twenty five seconds"), Some(25));
    }

    #[test]
    fn ignores_lookalikes() {
        assert_eq!(read("3 minutes ago"), None);
        assert_eq!(read("the 90s"), None);
        assert_eq!(read("a second video"), None);
        assert_eq!(read("0 seconds"), None);
        assert_eq!(read("99999 hours"), None);
        assert_eq!(read("at 1:30"), None);
    }
}
