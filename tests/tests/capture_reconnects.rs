//! Capture from a live RTSP camera (the simulator's virtual camera) survives the camera going
//! away and coming back, without restarting the process; frames flow again.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use benchsight_edge::capture::{Capture, CaptureEvent, CaptureSettings};
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::rtsp::VirtualCamera;

fn frames_within(capture: &Capture, wanted: usize, limit: Duration) -> usize {
    let started = Instant::now();
    let mut seen = 0;
    while seen < wanted && started.elapsed() < limit {
        if let Some(CaptureEvent::Frame(frame)) = capture.next(Duration::from_millis(200)) {
            assert_eq!(
                (frame.width, frame.height, frame.rgb.len()),
                (320, 180, 320 * 180 * 3)
            );
            seen += 1;
        }
    }
    seen
}

#[test]
fn frames_flow_again_after_the_camera_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("game.mp4");
    let job = RenderJob {
        game: GameConfig::new(31),
        seconds: 8,
        profile: "arena".into(),
        width: 320,
        height: 180,
    };
    render_game(&job, &video, &dir.path().join("truth.json"), |_, _| {}).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let camera = VirtualCamera::serve(&video, "127.0.0.1", port, "game").unwrap();
    let mut settings = CaptureSettings::live(camera.url(), 320, 180);
    settings.reconnect_max = Duration::from_millis(500);
    let capture = Capture::start(settings).unwrap();
    assert_eq!(frames_within(&capture, 20, Duration::from_secs(15)), 20);

    // The camera goes away…
    drop(camera);
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(2) {
        capture.next(Duration::from_millis(100));
    }
    // …and comes back on the same address.
    let _camera = VirtualCamera::serve(&video, "127.0.0.1", port, "game").unwrap();
    assert_eq!(frames_within(&capture, 20, Duration::from_secs(20)), 20);
    assert!(
        capture
            .stats()
            .restarts
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
}
