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
    /// Streams the camera live to an RTMP(S) destination (a social platform's ingest URL with
    /// its stream key); without `url` the device's configured destination is used. Typed or
    /// sent from the app only: the spoken grammar leaves it out, because a misheard sentence
    /// must never put the wearer on air.
    StartStream {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    StopStream,
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
    #[error("{0}")]
    BadStreamUrl(String),
}

/// Longest destination URL accepted (ingest URLs with stream keys are well under this).
pub const MAX_STREAM_URL_LEN: usize = 1024;

/// Checks a live-stream destination: `rtmp://` or `rtmps://` with a host, no spaces or
/// control characters (it is handed to ffmpeg as one argument, never through a shell).
pub fn check_stream_url(url: &str) -> Result<(), CommandError> {
    let bad = |why: &str| {
        Err(CommandError::BadStreamUrl(format!(
            "stream destination {why}"
        )))
    };
    if url.len() > MAX_STREAM_URL_LEN {
        return bad(&format!("is longer than {MAX_STREAM_URL_LEN} bytes"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain spaces or control characters");
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("rtmp://")
        .or_else(|| lower.strip_prefix("rtmps://"))
    else {
        return bad("must start with rtmp:// or rtmps://");
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return bad("needs a host (rtmp://host/app/stream-key)");
    }
    Ok(())
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
    if let Some(command) = live_stream(&cleaned, &words)? {
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

/// `rtmp://host/app/stream-key` → `rtmp://host/app/…`: the key is a secret and stays out of
/// logs, status and replies.
pub fn redact_stream_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "…".into();
    };
    let path_start = url[scheme_end + 3..].find('/').map(|i| i + scheme_end + 3);
    match path_start.and_then(|start| url[start + 1..].find('/').map(|i| i + start + 1)) {
        Some(key_start) => format!("{}/…", &url[..key_start]),
        None => format!("{}/…", path_start.map_or(url, |start| &url[..start])),
    }
}

impl Command {
    /// The command as it may be shown or logged: a stream destination loses its key.
    pub fn redacted(&self) -> Command {
        match self {
            Command::StartStream { url: Some(url) } => Command::StartStream {
                url: Some(redact_stream_url(url)),
            },
            other => other.clone(),
        }
    }
}

/// "go live", "start a live stream [to rtmp://…]", "stop streaming".
fn live_stream(cleaned: &str, words: &[&str]) -> Result<Option<Command>, CommandError> {
    let streaming = words
        .iter()
        .any(|w| matches!(*w, "stream" | "streaming" | "livestream" | "broadcast"));
    if words.starts_with(&["go", "live"]) || words == ["live"] {
        return start_stream(cleaned).map(Some);
    }
    if !streaming {
        return Ok(None);
    }
    match words[0] {
        "stop" | "end" | "finish" => Ok(Some(Command::StopStream)),
        "start" | "begin" | "stream" | "streaming" | "livestream" | "broadcast" => {
            start_stream(cleaned).map(Some)
        }
        _ => Ok(None),
    }
}

/// The destination is read from the sentence as typed: stream keys are case-sensitive.
fn start_stream(cleaned: &str) -> Result<Command, CommandError> {
    let url = cleaned
        .split_whitespace()
        .find(|w| {
            let w = w.to_ascii_lowercase();
            w.starts_with("rtmp://") || w.starts_with("rtmps://")
        })
        .map(str::to_owned);
    if let Some(url) = &url {
        check_stream_url(url)?;
    }
    Ok(Command::StartStream { url })
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
            ("go live", Command::StartStream { url: None }),
            ("start a live stream", Command::StartStream { url: None }),
            ("Start streaming", Command::StartStream { url: None }),
            ("stop the live stream", Command::StopStream),
            ("stop streaming", Command::StopStream),
            ("end stream", Command::StopStream),
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
    fn stream_keys_stay_out_of_what_is_shown() {
        assert_eq!(
            redact_stream_url("rtmp://live.example.com/app/SECRET-key"),
            "rtmp://live.example.com/app/…"
        );
        assert_eq!(
            redact_stream_url("rtmps://a.rtmp.youtube.com:443/live2/xyz?x=1"),
            "rtmps://a.rtmp.youtube.com:443/live2/…"
        );
        assert_eq!(redact_stream_url("rtmp://host/key"), "rtmp://host/…");
        assert_eq!(redact_stream_url("rtmp://host"), "rtmp://host/…");
        assert_eq!(redact_stream_url("garbage"), "…");
    }

    #[test]
    fn live_streams_keep_the_destination_as_typed() {
        assert_eq!(
            parse("start a live stream to rtmp://live.example.com/app/AbC-123"),
            Ok(Command::StartStream {
                url: Some("rtmp://live.example.com/app/AbC-123".into())
            })
        );
        assert_eq!(
            parse("go live on RTMPS://a.rtmp.youtube.com:443/live2/xYz"),
            Ok(Command::StartStream {
                url: Some("RTMPS://a.rtmp.youtube.com:443/live2/xYz".into())
            })
        );
        for (url, why) in [
            ("http://example.com/live", "rtmp://"),
            ("rtmp:///app/key", "needs a host"),
            ("rtmp://user@host/app", "needs a host"),
        ] {
            match check_stream_url(url) {
                Err(CommandError::BadStreamUrl(message)) => {
                    assert!(message.contains(why), "{url}: {message}")
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        assert!(check_stream_url(&format!("rtmp://h/{}", "k".repeat(2000))).is_err());
        assert!(check_stream_url("rtmp://h/a\nb").is_err());
        assert!(check_stream_url("rtmp://127.0.0.1:1935/live/key").is_ok());
        // Streams are not recordings: "stop streaming" must not end a recording.
        assert_eq!(parse("stop streaming"), Ok(Command::StopStream));
        assert!(matches!(
            parse("I watched a stream yesterday"),
            Err(CommandError::Unknown(_))
        ));
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
