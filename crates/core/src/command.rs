//! Device commands a wearer speaks or types ("take a picture", "create a memory video of …"),
//! read from free text. Speech recognisers and the text path share this parser, so a command
//! means the same whichever way it arrived.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    TakePicture,
    /// Starts a recording; `seconds` stops it by itself ("record a 10 second video").
    RecordVideo {
        seconds: Option<u32>,
    },
    StopRecording,
    /// The whole sentence goes to the server, which understands people, places and time.
    CreateMemory {
        query: String,
    },
    /// A pre-recorded message for a visitor, played on the doorbell's speaker (from the app,
    /// never from speech): the device caches it by id and fetches it from the signed `url`.
    PlayMessage {
        audio_id: String,
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("nothing was said")]
    Empty,
    #[error(
        "\"{0}\" is not a command; try \"take a picture\", \"record a video\", \"stop recording\" or \"create a memory video of …\""
    )]
    Unknown(String),
    #[error("a memory video of what? say for example \"create a memory video of my trip to Rome\"")]
    MemoryWithoutSubject,
}

/// Longest recording a spoken duration may ask for; longer is almost always a mis-hearing.
pub const MAX_SPOKEN_RECORDING_SECS: u32 = 3600;

const PICTURE_VERBS: &[&str] = &["take", "snap", "capture", "shoot", "grab"];
const PICTURE_NOUNS: &[&str] = &["picture", "photo", "photograph", "pic", "snapshot", "shot"];
const VIDEO_NOUNS: &[&str] = &["video", "clip", "recording", "movie"];
const MEMORY_VERBS: &[&str] = &["create", "make", "build", "generate", "show"];

pub fn parse(text: &str) -> Result<Command, CommandError> {
    let cleaned = text
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_owned();
    let words: Vec<String> = cleaned
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let words: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| {
            matches!(
                *w,
                "please" | "hey" | "ok" | "okay" | "glasses" | "sightline"
            )
        })
        .collect();
    if words.is_empty() {
        return Err(CommandError::Empty);
    }
    if let Some(command) = memory(&cleaned, &words)? {
        return Ok(command);
    }
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    let stop = words
        .first()
        .is_some_and(|w| matches!(*w, "stop" | "end" | "finish"));
    if stop && (has(VIDEO_NOUNS) || words.len() == 1 || words.contains(&"recording")) {
        return Ok(Command::StopRecording);
    }
    if !stop && (words[0] == "record" || words.starts_with(&["start", "recording"]))
        || (matches!(words[0], "start" | "take" | "shoot" | "capture") && has(VIDEO_NOUNS))
    {
        return Ok(Command::RecordVideo {
            seconds: spoken_duration(&words),
        });
    }
    if (words.first().is_some_and(|w| PICTURE_VERBS.contains(w)) && has(PICTURE_NOUNS))
        || words == ["cheese"]
    {
        return Ok(Command::TakePicture);
    }
    Err(CommandError::Unknown(cleaned))
}

/// "create a memory video of …", "make a memory of …", "memory video of …".
fn memory(cleaned: &str, words: &[&str]) -> Result<Option<Command>, CommandError> {
    let Some(at) = words
        .iter()
        .position(|w| *w == "memory" || *w == "memories")
    else {
        return Ok(None);
    };
    let before_ok = words[..at]
        .iter()
        .all(|w| MEMORY_VERBS.contains(w) || matches!(*w, "a" | "me" | "us" | "new"));
    if !before_ok {
        return Ok(None);
    }
    let rest = &words[at + 1..];
    let rest = rest.strip_prefix(&["video"]).unwrap_or(rest);
    let subject = rest
        .strip_prefix(&["of"])
        .or_else(|| rest.strip_prefix(&["from"]))
        .or_else(|| rest.strip_prefix(&["about"]))
        .unwrap_or(rest);
    if subject.is_empty() {
        return Err(CommandError::MemoryWithoutSubject);
    }
    // The server reads the sentence itself; start it with the verb so that it is a request.
    let query = if words[0] == "memory" || words[0] == "memories" {
        format!("Create a {cleaned}")
    } else {
        cleaned.to_owned()
    };
    Ok(Some(Command::CreateMemory { query }))
}

/// "for 10 seconds", "a 2 minute video", "a ten second clip".
fn spoken_duration(words: &[&str]) -> Option<u32> {
    words.windows(2).find_map(|pair| {
        let unit = match pair[1].trim_end_matches('s') {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            _ => return None,
        };
        let n = number(pair[0])?;
        let secs = n.checked_mul(unit)?;
        (1..=MAX_SPOKEN_RECORDING_SECS)
            .contains(&secs)
            .then_some(secs)
    })
}

fn number(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse() {
        return Some(n);
    }
    const SMALL: &[&str] = &[
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
        "twenty",
    ];
    if let Some(n) = SMALL.iter().position(|w| *w == word) {
        return u32::try_from(n).ok();
    }
    match word {
        "thirty" => Some(30),
        "forty" => Some(40),
        "fifty" => Some(50),
        "sixty" => Some(60),
        "ninety" => Some(90),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_commands_in_their_usual_phrasings() {
        let cases: &[(&str, Command)] = &[
            ("take a picture", Command::TakePicture),
            ("Take a photo.", Command::TakePicture),
            ("please snap a pic", Command::TakePicture),
            ("hey glasses, take picture", Command::TakePicture),
            ("capture a photo", Command::TakePicture),
            ("record a video", Command::RecordVideo { seconds: None }),
            ("start recording", Command::RecordVideo { seconds: None }),
            ("Start a video", Command::RecordVideo { seconds: None }),
            ("record", Command::RecordVideo { seconds: None }),
            (
                "record a 10 second video",
                Command::RecordVideo { seconds: Some(10) },
            ),
            (
                "record a video for two minutes",
                Command::RecordVideo { seconds: Some(120) },
            ),
            ("stop recording", Command::StopRecording),
            ("stop the video", Command::StopRecording),
            ("stop", Command::StopRecording),
            ("end recording", Command::StopRecording),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).as_ref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn memory_requests_keep_the_whole_sentence() {
        assert_eq!(
            parse("Create a memory video of my wife and me in Paris"),
            Ok(Command::CreateMemory {
                query: "Create a memory video of my wife and me in Paris".into()
            })
        );
        assert_eq!(
            parse("make a memory of last summer!"),
            Ok(Command::CreateMemory {
                query: "make a memory of last summer".into()
            })
        );
        assert_eq!(
            parse("memory video of the kids at the beach"),
            Ok(Command::CreateMemory {
                query: "Create a memory video of the kids at the beach".into()
            })
        );
    }

    #[test]
    fn refuses_what_is_not_a_command() {
        assert_eq!(parse("  "), Err(CommandError::Empty));
        assert_eq!(
            parse("what time is it"),
            Err(CommandError::Unknown("what time is it".into()))
        );
        assert_eq!(
            parse("create a memory video of"),
            Err(CommandError::MemoryWithoutSubject)
        );
        // A memory mentioned in passing is not a request.
        assert!(matches!(
            parse("I lost my memory card"),
            Err(CommandError::Unknown(_))
        ));
        // Absurd durations are ignored rather than trusted.
        assert_eq!(
            parse("record a 99999 second video"),
            Ok(Command::RecordVideo { seconds: None })
        );
        assert!(matches!(parse("take a nap"), Err(CommandError::Unknown(_))));
    }
}
