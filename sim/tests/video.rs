//! The simulator's video as a consumer sees it: an MP4 that GStreamer decodes to the requested
//! size and frame count, a truth file that matches it frame for frame, and the same video
//! streamed live by the virtual RTSP camera.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::rtsp::VirtualCamera;
use benchsight_sim::truth::GameTruth;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// Decodes whatever `source` yields (a launch fragment ending in raw video) and returns the
/// number of frames and their size.
fn decode(source: &str, limit: u32) -> (u32, (i32, i32)) {
    gst::init().unwrap();
    let pipeline = gst::parse::launch(&format!(
        "{source} ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false"
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let (mut frames, mut size) = (0, (0, 0));
    while frames < limit {
        let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(10)) else {
            break;
        };
        let caps = sample.caps().unwrap().structure(0).unwrap().to_owned();
        size = (
            caps.get::<i32>("width").unwrap(),
            caps.get::<i32>("height").unwrap(),
        );
        frames += 1;
    }
    pipeline.set_state(gst::State::Null).unwrap();
    (frames, size)
}

fn render_short_game(dir: &Path) -> (std::path::PathBuf, GameTruth) {
    let video = dir.join("game.mp4");
    let truth = dir.join("truth.json");
    let job = RenderJob {
        game: GameConfig::new(21),
        seconds: 3,
        profile: "arena".into(),
        width: 320,
        height: 180,
    };
    let summary = render_game(&job, &video, &truth, |_, _| {}).unwrap();
    assert_eq!(summary.frames, 90);
    (video, GameTruth::read(&truth).unwrap())
}

#[test]
fn the_mp4_decodes_to_the_requested_size_and_length_with_matching_truth() {
    let dir = tempfile::tempdir().unwrap();
    let (video, truth) = render_short_game(dir.path());
    let (frames, size) = decode(
        &format!("filesrc location={} ! decodebin", video.display()),
        1000,
    );
    assert_eq!(frames, 90);
    assert_eq!(size, (320, 180));
    assert_eq!(truth.frames.len(), 90);
    assert_eq!(truth.frames_per_s, 30);
    assert_eq!(truth.frames[89].media_time_ms, 2966);
    assert!(truth.frames[10].objects.len() >= 15);
    assert_eq!(truth.events[0].event_type.as_str(), "GameStart");
}

#[test]
fn the_virtual_camera_streams_the_game_live() {
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = render_short_game(dir.path());
    let camera = VirtualCamera::serve(&video, "127.0.0.1", 0, "game").unwrap();
    assert!(camera.url().starts_with("rtsp://127.0.0.1:"));
    let started = std::time::Instant::now();
    let (frames, size) = decode(
        &format!(
            "rtspsrc location={} protocols=tcp latency=100 ! rtph264depay ! h264parse ! avdec_h264",
            camera.url()
        ),
        60,
    );
    assert_eq!(frames, 60, "frames received");
    assert_eq!(size, (320, 180));
    // Streamed in real time, like a camera: 60 frames at 30 fps take about two seconds.
    assert!(
        started.elapsed() > Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}
