//! The whole path on a stream: Silero VAD finds the speech, the endpointer cuts it, both
//! decoders hear it as it is spoken; commands come out in order, fixed ones without waiting
//! for the full end-of-speech silence.

mod common;

use std::ops::ControlFlow;

use common::*;
use sightline_core::command::Command;
use sightline_voice::{
    CHUNK_SAMPLES, HeardUtterance, Listener, SILERO_VAD_FILE, Vad, VadModel, VoiceError,
};

fn room(ms: usize) -> Vec<i16> {
    noise(ms, "pink", 0.002)
}

#[test]
fn vad_tells_speech_from_silence_and_noise() {
    let model = VadModel::from_models_dir().expect("Silero VAD (scripts/install-models.sh)");
    let mean = |pcm: &[i16]| {
        let mut vad = model.stream();
        let probs = vad.push_i16(pcm).expect("vad");
        assert_eq!(probs.len(), pcm.len() / CHUNK_SAMPLES);
        probs.iter().sum::<f32>() / probs.len() as f32
    };
    let speech = mean(&speech("take a picture of the sunset over the sea", 150));
    let quiet = mean(&room(2000));
    let hiss = mean(&noise(2000, "white", 0.02));
    println!("speech {speech:.2} room {quiet:.2} hiss {hiss:.2}");
    assert!(speech > 0.5, "speech {speech}");
    assert!(quiet < 0.1, "room noise {quiet}");
    assert!(hiss < 0.2, "white noise {hiss}");
}

#[test]
fn a_stream_of_commands_comes_out_in_order() {
    let mut listener = Listener::from_default_models().expect("models installed");
    let stream = concat(&[
        &room(500),
        &speech("take a picture", 140),
        &room(1000),
        &speech("create a memory video of my trip to paris", 140),
        &room(1000),
        &speech("what time is it", 140),
        &room(1000),
        &speech("stop recording", 140),
        &room(700),
    ]);
    let bytes: Vec<u8> = stream.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut heard: Vec<HeardUtterance> = Vec::new();
    // Odd-sized reads split samples across calls, as a pipe may.
    let reader = std::io::BufReader::with_capacity(777, bytes.as_slice());
    listener
        .run(reader, |h| {
            heard.push(h);
            ControlFlow::Continue(())
        })
        .expect("listen");
    for h in &heard {
        println!(
            "{:?} -> {:?} early {} latency {:?}",
            h.heard.text, h.heard.command, h.early, h.latency
        );
    }
    assert_eq!(heard.len(), 4, "{heard:#?}");
    assert_eq!(heard[0].heard.command, Ok(Command::TakePicture));
    assert!(matches!(
        &heard[1].heard.command,
        Ok(Command::CreateMemory { query }) if query.contains("paris")
    ));
    assert!(heard[2].heard.command.is_err(), "{:?}", heard[2].heard);
    assert_eq!(heard[3].heard.command, Ok(Command::StopRecording));
    // Fixed commands end as soon as they are whole; a memory request waits for its subject.
    assert!(heard[0].early && heard[3].early);
    assert!(!heard[1].early);
    // Utterances are in stream order and do not overlap.
    for pair in heard.windows(2) {
        assert!(pair[0].utterance.speech_end_ms <= pair[1].utterance.start_ms);
    }
}

#[test]
fn a_stream_ending_mid_command_still_counts() {
    let mut listener = Listener::from_default_models().expect("models installed");
    let mut heard = listener
        .push(&concat(&[&room(300), &speech("take a photo", 140)]))
        .expect("listen");
    heard.extend(listener.finish().expect("finish"));
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].heard.command, Ok(Command::TakePicture));
}

#[test]
fn a_wrong_or_missing_vad_model_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(SILERO_VAD_FILE);
    let err = VadModel::load(&path).err().expect("no model there");
    assert!(matches!(err, VoiceError::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("install-models.sh"), "{err}");
    std::fs::write(&path, b"not an onnx model").expect("write");
    let err = VadModel::load(&path)
        .err()
        .expect("garbage is not the model");
    assert!(matches!(err, VoiceError::ModelChecksum { .. }), "{err}");
}

#[test]
fn a_chunk_of_the_wrong_size_is_an_error() {
    let mut vad = Vad::from_models_dir().expect("Silero VAD");
    assert!(vad.chunk_probability(&[0.0; 100]).is_err());
    assert!(vad.chunk_probability(&[0.0; CHUNK_SAMPLES]).is_ok());
}
