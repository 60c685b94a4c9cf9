//! `sightline demo` end to end: a fresh data directory, the real sample library, everything
//! processed and a memory video made from a sentence; a second run finds the library already
//! there.

use std::process::Command;

fn demo(data: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "demo",
            "--exit",
            "--listen",
            "127.0.0.1:0",
            "--timeout",
            "300",
            "--data-dir",
        ])
        .arg(data)
        // Info, so that the job spans are live: a span misused across awaits panicked in the
        // subscriber only then.
        .env("SIGHTLINE_LOG", "info,sqlx=warn,tower_http=warn")
        .output()
        .expect("demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "a task panicked:\n{stderr}");
    stdout
}

#[test]
fn the_demo_processes_a_real_library() {
    let data = tempfile::tempdir().unwrap();
    let first = demo(data.path());
    for expected in [
        "vtest.avi",
        "Megamind.avi",
        "paris-eiffel.mp4",
        "rome-court.jpg",
        "home-fish.jpg",
        "curl -s",
    ] {
        assert!(first.contains(expected), "missing {expected} in:\n{first}");
    }
    assert!(!first.contains(" failed "), "{first}");
    let ready = first.lines().filter(|l| l.contains(" ready ")).count();
    assert_eq!(ready, 8, "{first}");
    // The generated clips and photos carry their place and date into the library.
    let paris = first
        .lines()
        .find(|l| l.starts_with("paris-eiffel.mp4"))
        .expect("paris row");
    assert!(
        paris.contains("2024-07-14T18:00:00") && paris.contains("48.8584, 2.2945"),
        "{paris}"
    );
    let fish = first
        .lines()
        .find(|l| l.starts_with("home-fish.jpg"))
        .expect("photo row");
    assert!(
        fish.contains("2025-01-01T12:00:00") && fish.contains("52.5200, 13.4050"),
        "{fish}"
    );

    // A memory video made from a sentence, from both sample clips with the couple in them.
    assert!(first.contains("Asking for a memory"), "{first}");
    assert!(first.contains("from 2 clips"), "{first}");
    assert!(first.contains("/api/v1/files/memories/"), "{first}");

    let second = demo(data.path());
    assert_eq!(second.matches("already there").count(), 8, "{second}");
}
