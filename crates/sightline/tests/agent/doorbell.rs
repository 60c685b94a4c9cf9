//! The doorbell profile end to end: a real agent on a test pattern or a synthetic scene, its
//! pre-roll ring and motion tier, and a real server that receives the event with its alert clip
//! first and its full clip after the post-roll. Clips are checked by decoding their frames.

use crate::{World, create_device};
use serde_json::Value;
use sightline_agent::camera::{CaptureSource, FrameFormat};
use sightline_agent::doorbell::DoorbellConfig;
use sightline_agent::doorbell::input::Trigger;
use sightline_agent::doorbell::motion::MotionRuntime;
use sightline_agent::doorbell::plan::ClipTiming;
use sightline_agent::{Agent, Profile};
use sightline_core::motion::{MotionConfig, Polygon};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FORMAT: FrameFormat = FrameFormat {
    width: 320,
    height: 240,
    fps: 15,
};

struct Doorbell {
    world: World,
    device_id: String,
    device_token: String,
}

impl Doorbell {
    async fn start() -> Self {
        let world = World::start(crate::proxy::Mode::Up).await;
        let (device_id, device_token) = create_device(
            &world.http,
            &world.server.url(),
            &world.user_token,
            "doorbell",
        )
        .await;
        Self {
            world,
            device_id,
            device_token,
        }
    }

    async fn agent(
        &self,
        dir: &Path,
        source: CaptureSource,
        motion: MotionRuntime,
        post_roll: Duration,
    ) -> Agent {
        self.agent_with(dir, source, motion, post_roll, |_| {})
            .await
    }

    async fn agent_with(
        &self,
        dir: &Path,
        source: CaptureSource,
        motion: MotionRuntime,
        post_roll: Duration,
        adjust: impl FnOnce(&mut DoorbellConfig),
    ) -> Agent {
        let mut config = crate::agent_config_for(
            &self.world.proxy.url(),
            &self.device_id,
            &self.device_token,
            dir,
        );
        config.profile = Profile::Doorbell;
        config.source = source;
        config.format = FORMAT;
        let mut doorbell = DoorbellConfig::new(dir.join("ring"));
        doorbell.timing = ClipTiming {
            pre_roll: Duration::from_secs(3),
            post_roll,
            max_length: Duration::from_secs(60),
        };
        doorbell.motion = motion;
        doorbell.ring_kbps = 800;
        adjust(&mut doorbell);
        config.doorbell = Some(doorbell);
        let (agent, _) = Agent::start(config).await.unwrap();
        agent.camera().ready(Duration::from_secs(30)).await.unwrap();
        agent
    }

    async fn events(&self) -> Vec<Value> {
        let body: Value = self
            .world
            .http
            .get(format!(
                "{}/api/v1/devices/{}/events",
                self.world.server.url(),
                self.device_id
            ))
            .bearer_auth(&self.world.user_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// Polls the server's events until `check` holds for the list.
    async fn events_until(&self, within: Duration, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let events = self.events().await;
            if check(&events) {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "events never got there: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn download(&self, event: &Value, to: &Path) -> PathBuf {
        let url = event["video_url"].as_str().expect("the event has a clip");
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.world.server.url())
        };
        let bytes = self
            .world
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        std::fs::write(to, &bytes).unwrap();
        to.to_owned()
    }
}

fn motion_off() -> MotionRuntime {
    MotionRuntime {
        enabled: false,
        ..MotionRuntime::default()
    }
}

fn duration_of(path: &Path) -> f64 {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0.0)
}

/// Mean luma of a region of every frame of `clip` (x, y, w, h in pixels of 320×240).
fn region_brightness(clip: &Path, region: (u32, u32, u32, u32)) -> Vec<f64> {
    let (x, y, w, h) = region;
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(clip)
        .args([
            "-vf",
            &format!("crop={w}:{h}:{x}:{y},format=gray"),
            "-f",
            "rawvideo",
            "pipe:1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = (w * h) as usize;
    out.stdout
        .chunks_exact(size)
        .map(|f| f.iter().map(|&v| f64::from(v)).sum::<f64>() / size as f64)
        .collect()
}

/// A still, slightly noisy grey scene where a white, person-sized box walks in at 6 s and
/// leaves at 10 s, then stillness again until 20 s.
fn scene(dir: &Path) -> PathBuf {
    let path = dir.join("scene.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=c=0x606060:s=320x240:r=15:d=20")
        .args(["-f", "lavfi", "-i", "color=c=white:s=50x140:r=15:d=20"])
        .args([
            "-filter_complex",
            "[0]noise=alls=6:allf=t[bg];[bg][1]overlay=x='20+(t-6)*50':y=50:enable='between(t,6,10)'",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

#[tokio::test]
async fn a_pir_trigger_reaches_the_server_with_its_pre_roll_then_its_full_clip() {
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::TestPattern,
            motion_off(),
            Duration::from_secs(2),
        )
        .await;
    // Enough ring for the whole pre-roll.
    let ring = agent.doorbell().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while ring.segments().len() < 4 {
        assert!(Instant::now() < deadline, "the ring never filled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let triggered = Instant::now();
    ring.trigger(Trigger::Pir).await;
    let events = doorbell
        .events_until(Duration::from_secs(20), |e| !e.is_empty())
        .await;
    let alerted = triggered.elapsed();
    assert_eq!(events.len(), 1);
    let alert = &events[0];
    assert_eq!(alert["event_type"], "motion");
    let pre_roll = alert["pre_roll_seconds"].as_f64().unwrap();
    assert!((2.5..=4.5).contains(&pre_roll), "pre-roll {pre_roll}");
    let alert_clip = doorbell
        .download(alert, &dir.path().join("alert.mp4"))
        .await;
    let alert_length = duration_of(&alert_clip);
    assert!(
        alert_length >= pre_roll,
        "alert clip {alert_length} s holds the pre-roll"
    );
    assert!(alerted < Duration::from_secs(5), "alert after {alerted:?}");
    // After the post-roll the full clip replaces it.
    let first_clip = alert["media_id"].clone();
    let events = doorbell
        .events_until(Duration::from_secs(30), |e| {
            e.first()
                .is_some_and(|e| e["media_id"] != first_clip && !e["media_id"].is_null())
        })
        .await;
    let full = &events[0];
    assert_eq!(full["event_id"], alert["event_id"]);
    let length = full["duration_seconds"].as_f64().unwrap();
    assert!(
        length >= pre_roll + 2.0,
        "full clip {length} s: pre-roll and post-roll"
    );
    let clip = doorbell.download(full, &dir.path().join("full.mp4")).await;
    let probed = duration_of(&clip);
    assert!(
        (probed - length).abs() < 0.5,
        "clip is {probed} s, event says {length}"
    );
}

#[tokio::test]
async fn the_button_makes_a_press_event() {
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::TestPattern,
            motion_off(),
            Duration::from_secs(1),
        )
        .await;
    agent.doorbell().unwrap().trigger(Trigger::Button).await;
    let events = doorbell
        .events_until(Duration::from_secs(20), |e| !e.is_empty())
        .await;
    assert_eq!(events[0]["event_type"], "doorbell_press");
    let local = agent.doorbell().unwrap().recent_events(10).await.unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(
        local[0].event_id.to_string(),
        events[0]["event_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn motion_in_the_scene_makes_an_event_whose_clip_starts_before_it() {
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let source = CaptureSource::File(scene(dir.path()));
    let motion = MotionRuntime {
        enabled: true,
        config: MotionConfig::default(),
        schedule: None,
        night: false,
    };
    let _agent = doorbell
        .agent(dir.path(), source, motion, Duration::from_secs(2))
        .await;
    let events = doorbell
        .events_until(Duration::from_secs(30), |e| !e.is_empty())
        .await;
    let event = &events[0];
    assert_eq!(event["event_type"], "motion");
    let boxes = event["detection_metadata"]["bounding_boxes"]
        .as_array()
        .unwrap();
    assert!(!boxes.is_empty(), "the box that walked in: {event}");
    let pre_roll = event["pre_roll_seconds"].as_f64().unwrap();
    let clip = doorbell
        .download(event, &dir.path().join("alert.mp4"))
        .await;
    // The box walks along y 50..190 from x = 20: its path's left part shows it first.
    let path_brightness = region_brightness(&clip, (0, 60, 320, 120));
    let fps = f64::from(FORMAT.fps);
    let first_seen = path_brightness
        .iter()
        .position(|&b| b > 0x60 as f64 + 12.0)
        .expect("the walker is in the alert clip");
    let before = first_seen as f64 / fps;
    assert!(
        before >= 2.5 && before <= pre_roll + 0.5,
        "the clip shows {before:.2} s of the scene before the walker (pre-roll {pre_roll})"
    );
}

#[tokio::test]
async fn a_privacy_mask_over_the_walkers_path_keeps_the_scene_quiet() {
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let source = CaptureSource::File(scene(dir.path()));
    let motion = MotionRuntime {
        enabled: true,
        config: MotionConfig {
            privacy_masks: vec![Polygon::rect(0.0, 0.1, 1.0, 0.9).unwrap()],
            ..MotionConfig::default()
        },
        schedule: None,
        night: false,
    };
    let agent = doorbell
        .agent(dir.path(), source, motion, Duration::from_secs(2))
        .await;
    // The walker crosses between 6 and 10 s of the scene.
    tokio::time::sleep(Duration::from_secs(14)).await;
    assert!(doorbell.events().await.is_empty());
    assert!(
        agent
            .doorbell()
            .unwrap()
            .recent_events(10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn motion_settings_put_on_the_server_reach_the_doorbell() {
    use sightline_agent::telemetry::{self, TelemetryConfig};
    use sightline_core::motion::Sensitivity;
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::TestPattern,
            MotionRuntime::default(),
            Duration::from_secs(1),
        )
        .await;
    telemetry::spawn(
        agent.clone(),
        TelemetryConfig {
            interval: Duration::from_millis(500),
            ..TelemetryConfig::default()
        },
    );
    let response = doorbell
        .world
        .http
        .put(format!(
            "{}/api/v1/devices/{}/settings/motion",
            doorbell.world.server.url(),
            doorbell.device_id
        ))
        .bearer_auth(&doorbell.world.user_token)
        .json(&serde_json::json!({
            "enabled": true,
            "sensitivity": "high",
            "detection_zones": [{
                "zone_id": "path", "name": "Front path",
                "polygon": [{"x": 0, "y": 50}, {"x": 100, "y": 50}, {"x": 100, "y": 100}, {"x": 0, "y": 100}]
            }],
            "schedule": {"enabled": true, "time_windows": [{"start": "22:00", "end": "06:00", "days": ["all"]}]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let ring = agent.doorbell().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while ring.motion().config.sensitivity != Sensitivity::High {
        assert!(
            Instant::now() < deadline,
            "settings never reached the doorbell"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runtime = ring.motion();
    assert_eq!(runtime.config.zones.len(), 1);
    assert!(
        runtime
            .schedule
            .is_some_and(|s| s.enabled && s.windows.len() == 1)
    );
}

#[tokio::test]
async fn people_walking_in_real_footage_make_an_event_the_server_calls_a_person() {
    const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let _agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::File(VTEST.into()),
            MotionRuntime::default(),
            Duration::from_secs(2),
        )
        .await;
    // The device reports motion; the server's AI tier finds the people in its clip.
    let events = doorbell
        .events_until(Duration::from_secs(40), |e| {
            e.first().is_some_and(|e| e["event_type"] == "person")
        })
        .await;
    let event = &events[0];
    let confidence = event["detection_metadata"]["confidence"].as_f64().unwrap();
    assert!(confidence >= 0.5, "confidence {confidence}");
    let boxes = event["detection_metadata"]["bounding_boxes"]
        .as_array()
        .unwrap();
    let people: Vec<_> = boxes.iter().filter(|b| b["label"] == "person").collect();
    assert!(!people.is_empty(), "{event}");
    for b in people {
        let (w, h) = (b["w"].as_f64().unwrap(), b["h"].as_f64().unwrap());
        assert!(w > 0.0 && h > w && h < 0.9, "a person-sized box: {b}");
    }
    let clip = doorbell.download(event, &dir.path().join("clip.mp4")).await;
    assert!(duration_of(&clip) >= 1.0);
}

#[tokio::test]
async fn with_recording_off_an_event_is_reported_without_video() {
    use sightline_core::recording::RecordingMode;
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::TestPattern,
            motion_off(),
            Duration::from_secs(1),
        )
        .await;
    let ring = agent.doorbell().unwrap();
    ring.set_recording(RecordingMode::Off);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ring.segments().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the ring keeps video with recording off"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ring.trigger(Trigger::Button).await;
    let events = doorbell
        .events_until(Duration::from_secs(20), |e| !e.is_empty())
        .await;
    assert_eq!(events[0]["event_type"], "doorbell_press");
    assert!(events[0]["media_id"].is_null(), "{}", events[0]);
    assert!(ring.segments().is_empty());
    assert!(doorbell.world.server_media().await.is_empty());
}

#[tokio::test]
async fn footage_kept_24_7_on_the_device_can_be_exported_as_a_clip() {
    use sightline_core::recording::RecordingMode;
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = doorbell
        .agent(
            dir.path(),
            CaptureSource::TestPattern,
            motion_off(),
            Duration::from_secs(1),
        )
        .await;
    let ring = agent.doorbell().unwrap();
    ring.set_recording(RecordingMode::Continuous);
    let deadline = Instant::now() + Duration::from_secs(20);
    while ring.continuous().last.is_none_or(|last| {
        ring.continuous()
            .first
            .is_none_or(|first| (last - first).num_seconds() < 5)
    }) {
        assert!(Instant::now() < deadline, "24/7 footage never kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let summary = ring.continuous();
    assert!(summary.bytes > 0);
    // More than the pre-roll ring holds: 24/7 is its own store.
    let (first, last) = (summary.first.unwrap(), summary.last.unwrap());
    let media = ring
        .export(first, last)
        .await
        .expect("an export of kept footage");
    crate::drained(&agent, Duration::from_secs(30)).await;
    assert!(
        doorbell
            .world
            .server_media()
            .await
            .contains(&media.to_string())
    );
    let out = agent
        .doorbell()
        .unwrap()
        .export(last, last + chrono::Duration::seconds(30))
        .await;
    assert!(out.is_err(), "footage not kept cannot be exported");
}

#[tokio::test]
async fn a_pre_recorded_message_plays_on_the_doorbell_and_is_cached() {
    use sightline_agent::speaker::SpeakerSink;
    use sightline_agent::telemetry::{self, TelemetryConfig};
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let played = dir.path().join("speaker.wav");
    let sink = played.clone();
    let agent = doorbell
        .agent_with(
            dir.path(),
            CaptureSource::TestPattern,
            motion_off(),
            Duration::from_secs(1),
            move |c| c.speaker = SpeakerSink::File(sink),
        )
        .await;
    telemetry::spawn(
        agent.clone(),
        TelemetryConfig {
            interval: Duration::from_millis(500),
            ..TelemetryConfig::default()
        },
    );
    let tone = dir.path().join("message.mp3");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660",
            "-t",
            "1",
        ])
        .arg(&tone)
        .status()
        .unwrap();
    assert!(status.success());
    let url = doorbell.world.server.url();
    let http = &doorbell.world.http;
    let created: Value = http
        .post(format!("{url}/api/v1/audio/messages?name=Please%20wait"))
        .bearer_auth(&doorbell.world.user_token)
        .body(std::fs::read(&tone).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let served = http
        .get(created["audio_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let speak =
        || async {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let response = http
                .post(format!("{url}/api/v1/devices/{}/audio/speak", doorbell.device_id))
                .bearer_auth(&doorbell.world.user_token)
                .json(&serde_json::json!({"type": "pre_recorded", "audio_id": created["audio_id"]}))
                .send()
                .await
                .unwrap();
                let status = response.status();
                let body: Value = response.json().await.unwrap();
                // 409 until the agent's channel is up.
                if status == 200 || Instant::now() > deadline {
                    return (status, body);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
    let (status, body) = speak().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "playing");
    assert_eq!(
        std::fs::read(&played).unwrap(),
        served.to_vec(),
        "the message played"
    );
    std::fs::remove_file(&played).unwrap();
    let (status, body) = speak().await;
    assert_eq!(status, 200);
    assert!(
        body["message"].as_str().unwrap().contains("cached"),
        "{body}"
    );
    assert!(played.exists());
}

#[tokio::test]
async fn outside_its_schedule_the_doorbell_ignores_motion() {
    use sightline_core::motion::{Schedule, ScheduleWindow};
    let doorbell = Doorbell::start().await;
    let dir = tempfile::tempdir().unwrap();
    let source = CaptureSource::File(scene(dir.path()));
    // Armed only from two to three hours from now.
    let now = chrono::Local::now();
    let hhmm = |t: chrono::DateTime<chrono::Local>| t.format("%H:%M").to_string();
    let window = ScheduleWindow::parse(
        &hhmm(now + chrono::Duration::hours(2)),
        &hhmm(now + chrono::Duration::hours(3)),
        &["all"],
    )
    .unwrap();
    let motion = MotionRuntime {
        enabled: true,
        config: MotionConfig::default(),
        schedule: Some(Schedule {
            enabled: true,
            windows: vec![window],
        }),
        night: false,
    };
    let agent = doorbell
        .agent(dir.path(), source, motion, Duration::from_secs(2))
        .await;
    // The walker crosses between 6 and 10 s of the scene.
    tokio::time::sleep(Duration::from_secs(13)).await;
    assert!(doorbell.events().await.is_empty());
    // The schedule covers motion only: the button still rings.
    agent.doorbell().unwrap().trigger(Trigger::Button).await;
    let events = doorbell
        .events_until(Duration::from_secs(20), |e| !e.is_empty())
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_type"], "doorbell_press");
}
