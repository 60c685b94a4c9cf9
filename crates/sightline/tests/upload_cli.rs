//! `sightline upload` imports a folder into a running server, and re-importing it adds nothing.

use std::path::Path;
use std::process::Command;

fn upload(url: &str, folder: &Path, state: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "upload",
            "--quiet",
            "--server",
            url,
            "--email",
            "cli@example.com",
            "--password",
            "cli password 1",
        ])
        .arg(folder)
        .env("XDG_STATE_HOME", state)
        .output()
        .expect("upload runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn imports_a_folder_once() {
    let data = tempfile::tempdir().unwrap();
    let mut config = sightline_server::config::Config {
        data_dir: data.path().join("server"),
        ..Default::default()
    };
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.workers.concurrency = 0;
    let server = sightline_server::Server::start(config).await.unwrap();
    let url = server.url();
    sightline::session::Session::login_or_register(&url, "cli@example.com", "cli password 1")
        .await
        .unwrap();

    let folder = data.path().join("import");
    std::fs::create_dir_all(folder.join("nested")).unwrap();
    let opencv = Path::new("/usr/share/doc/opencv-doc/examples/data");
    std::fs::copy(opencv.join("messi5.jpg"), folder.join("messi5.jpg")).unwrap();
    std::fs::copy(opencv.join("vtest.avi"), folder.join("nested/walk.avi")).unwrap();
    std::fs::write(folder.join("notes.txt"), "not media").unwrap();
    let state = data.path().join("state");

    let (url2, folder2, state2) = (url.clone(), folder.clone(), state.clone());
    let first = tokio::task::spawn_blocking(move || upload(&url2, &folder2, &state2))
        .await
        .unwrap();
    assert!(
        first.contains("uploaded 2, already on the server 0, skipped (not media) 1, failed 0"),
        "{first}"
    );
    let second = tokio::task::spawn_blocking(move || upload(&url, &folder, &state))
        .await
        .unwrap();
    assert!(
        second.contains("uploaded 0, already on the server 2"),
        "{second}"
    );

    let session =
        sightline::session::Session::login(&server.url(), "cli@example.com", "cli password 1")
            .await
            .unwrap();
    let library = session.get("/media").await.unwrap();
    assert_eq!(library["items"].as_array().unwrap().len(), 2, "{library}");
}
