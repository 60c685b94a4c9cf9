//! Spoken commands end to end: a recording of the wearer (espeak-ng) plays into the agent's
//! microphone; "take a picture" takes one that reaches the server once, and speech that is not
//! a command is announced, not acted on.

use crate::proxy::Mode;
use crate::{World, drained, unique};
use sightline_agent::microphone::{self, MicrophoneSource};
use sightline_core::command::Command;
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

fn run(program: &str, args: &[&str]) {
    let status = Process::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|err| panic!("{program} is missing ({err}): run scripts/install-deps.sh"));
    assert!(status.success(), "{program} {args:?}");
}

/// 16 kHz mono s16le of any audio file.
fn pcm(path: &Path) -> Vec<u8> {
    let out = Process::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-ac", "1", "-ar", "16000", "-"])
        .output()
        .expect("ffmpeg is missing: run scripts/install-deps.sh");
    assert!(out.status.success(), "ffmpeg could not decode {path:?}");
    out.stdout
}

/// Room noise, each phrase spoken, a second of room noise after each: one 16 kHz WAV.
fn recording(dir: &Path, phrases: &[&str]) -> std::path::PathBuf {
    let room = dir.join("room.wav");
    let room_path = room.to_str().unwrap();
    let noise = "anoisesrc=d=1:c=pink:a=0.002:r=16000:seed=3";
    run(
        "ffmpeg",
        &[
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            noise,
            room_path,
        ],
    );
    let room = pcm(&room);
    let mut all = room.clone();
    for (i, phrase) in phrases.iter().enumerate() {
        let spoken = dir.join(format!("phrase{i}.wav"));
        let spoken_path = spoken.to_str().unwrap();
        run(
            "espeak-ng",
            &["-v", "en-us+klatt", "-s", "140", "-w", spoken_path, phrase],
        );
        all.extend(pcm(&spoken));
        all.extend(&room);
    }
    let raw = dir.join("wearer.raw");
    std::fs::write(&raw, all).unwrap();
    let out = dir.join("wearer.wav");
    run(
        "ffmpeg",
        &[
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "s16le",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-i",
            raw.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_picture_arrives_and_other_speech_is_ignored() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(&dir.path().join("agent")).await;
    let mut announcements = agent.announcements();
    let wav = recording(dir.path(), &["take a picture", "what time is it"]);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listening = microphone::listen(agent.clone(), &MicrophoneSource::File(wav), Some(tx))
        .expect("voice models installed (scripts/install-deps.sh)")
        .expect("a file source listens");
    let mut spoken = Vec::new();
    while let Some(result) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the recording is a few seconds long")
    {
        spoken.push(result);
    }
    listening.await.unwrap();

    assert_eq!(spoken.len(), 2, "{spoken:#?}");
    let picture = spoken[0].outcome.as_ref().expect("a command");
    assert!(picture.ok, "{}", picture.message);
    assert_eq!(picture.command, Some(Command::TakePicture));
    println!(
        "spoken end -> command {:?}, command -> photo stored {:.1} ms",
        spoken[0].heard.latency, picture.latency_ms
    );
    assert!(spoken[1].outcome.is_none(), "{:?}", spoken[1]);
    let mut told = Vec::new();
    while let Ok(message) = announcements.try_recv() {
        told.push(message);
    }
    assert!(
        told.iter().any(|m| m.contains("did not catch a command")),
        "{told:?}"
    );

    drained(&agent, Duration::from_secs(30)).await;
    let on_server = unique(&world.server_media().await);
    let photo = picture.media_id.expect("photo id").to_string();
    assert_eq!(on_server.into_iter().collect::<Vec<_>>(), vec![photo]);
}

#[tokio::test]
async fn a_missing_microphone_file_ends_listening_without_commands() {
    let world = World::start(Mode::Up).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = world.start_agent(&dir.path().join("agent")).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let source = MicrophoneSource::File(dir.path().join("nothing-here.wav"));
    let listening = microphone::listen(agent, &source, Some(tx))
        .unwrap()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .expect("ffmpeg gives up at once")
        .unwrap();
    assert!(rx.recv().await.is_none());
}
