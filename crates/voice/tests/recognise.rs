//! Spoken commands from espeak-ng through both decoders: every fixed command is understood,
//! the memory request keeps its free text, and speech that is not a command is rejected rather
//! than forced into the nearest one.

mod common;

use common::*;
use sightline_core::command::Command;
use sightline_voice::Recognizer;

/// Speech with a little room noise on either side, as a microphone hears it.
fn spoken(text: &str) -> Vec<i16> {
    let quiet = noise(300, "pink", 0.002);
    concat(&[&quiet, &speech(text, 130), &quiet])
}

#[test]
fn fixed_commands_are_understood() {
    let mut recognizer = Recognizer::new().expect("Sphinx en-us models (scripts/install-deps.sh)");
    let cases = [
        ("take a picture", Command::TakePicture),
        ("snap a photo", Command::TakePicture),
        ("take a photo", Command::TakePicture),
        ("record a video", Command::RecordVideo { seconds: None }),
        ("start recording", Command::RecordVideo { seconds: None }),
        (
            "record a ten second video",
            Command::RecordVideo { seconds: Some(10) },
        ),
        ("stop recording", Command::StopRecording),
        ("stop the video", Command::StopRecording),
    ];
    let mut wrong = Vec::new();
    for (text, expected) in cases {
        let heard = recognizer.recognise(&spoken(text)).expect("decode");
        println!(
            "{text:?}: grammar {:?}, free {:?}, margin {:.1}, finish {:?}",
            heard.grammar_text, heard.free_text, heard.margin, heard.finish_time
        );
        if heard.command.as_ref() != Ok(&expected) {
            wrong.push(format!("{text:?} heard as {:?}", heard.command));
        }
    }
    assert!(wrong.is_empty(), "misheard: {wrong:#?}");
}

#[test]
fn memory_request_keeps_its_subject() {
    let mut recognizer = Recognizer::new().expect("Sphinx en-us models");
    let heard = recognizer
        .recognise(&spoken("create a memory video of my trip to paris"))
        .expect("decode");
    println!("{heard:?}");
    match &heard.command {
        Ok(Command::CreateMemory { query }) => {
            assert!(query.contains("trip to paris"), "subject lost: {query:?}")
        }
        _ => panic!("not a memory request: {heard:?}"),
    }
}

#[test]
fn other_speech_is_not_a_command() {
    let mut recognizer = Recognizer::new().expect("Sphinx en-us models");
    let mut accepted = Vec::new();
    for text in [
        "what time is it",
        "the weather is nice today",
        "hello how are you",
        "turn on the lights please",
        "call my mother",
        "play some music",
        "where is my phone",
        "go forward ten meters",
    ] {
        let heard = recognizer.recognise(&spoken(text)).expect("decode");
        println!(
            "{text:?}: grammar {:?}, free {:?}, margin {:.1}",
            heard.grammar_text, heard.free_text, heard.margin
        );
        if let Ok(command) = heard.command {
            accepted.push(format!("{text:?} taken as {command:?}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "not commands, yet accepted: {accepted:#?}"
    );
}

#[test]
fn noise_and_silence_are_nothing() {
    let mut recognizer = Recognizer::new().expect("Sphinx en-us models");
    for pcm in [silence(1000), noise(1000, "white", 0.05)] {
        let heard = recognizer.recognise(&pcm).expect("decode");
        assert!(heard.command.is_err(), "{heard:?}");
    }
}

#[test]
fn missing_models_say_what_to_install() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = Recognizer::with_model_dir(dir.path())
        .err()
        .expect("no models there");
    assert!(err.to_string().contains("install-deps.sh"), "{err}");
}
