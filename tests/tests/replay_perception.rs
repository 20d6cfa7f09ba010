//! A rendered game replayed through the appliance's perception stages (capture in lock-step,
//! ONNX Runtime detection, tracking, teams, rink positions) lands the skaters where the
//! simulator's truth has them, without the pipeline ever reading that truth.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use benchsight_core::detection::ObjectClass;
use benchsight_core::domain::Team;
use benchsight_edge::calibration::load_homography;
use benchsight_edge::capture::{Capture, CaptureEvent, CaptureSettings};
use benchsight_edge::inference::{Detector, InferenceSettings, OnnxRuntime};
use benchsight_edge::model::ModelPackage;
use benchsight_edge::perception::Perception;
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_sim::truth::GameTruth;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn replayed_skaters_land_where_the_truth_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let (video, truth_path) = (dir.path().join("game.mp4"), dir.path().join("truth.json"));
    let job = RenderJob {
        game: GameConfig::new(9601),
        seconds: 4,
        profile: "heldout".into(),
        width: 1280,
        height: 720,
    };
    let summary = render_game(&job, &video, &truth_path, |_, _| {}).unwrap();
    let calibration = dir.path().join("calibration.json");
    std::fs::write(
        &calibration,
        serde_json::to_string(&summary.calibration).unwrap(),
    )
    .unwrap();
    let truth = GameTruth::read(&truth_path).unwrap();

    let library = std::env::var_os("ORT_DYLIB_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/onnxruntime/1.31.1/libonnxruntime.so.1.31.1"));
    let runtime = OnnxRuntime::load(&library).unwrap();
    let settings = InferenceSettings {
        intra_threads: 2,
        ..InferenceSettings::default()
    };
    let detector = Detector::new(
        &runtime,
        ModelPackage::open(&repo().join("models/bs-det-2")).unwrap(),
        &settings,
    )
    .unwrap();
    let mut perception =
        Perception::new(detector, load_homography(&calibration).unwrap(), None, None);

    let mut capture_settings =
        CaptureSettings::live(&format!("file://{}", video.display()), 1280, 720);
    capture_settings.lock_step = true;
    let capture = Capture::start(capture_settings).unwrap();
    let mut settled = Vec::new();
    let mut frames = 0;
    while let Some(CaptureEvent::Frame(frame)) = capture.next(Duration::from_secs(30)) {
        settled.extend(perception.process(&frame).unwrap());
        frames += 1;
    }
    assert_eq!(frames, 120, "every frame of a replay is decoded");
    settled.extend(perception.finish());
    assert_eq!(
        settled.iter().map(|p| p.rink.frame).collect::<Vec<_>>(),
        (0..120).collect::<Vec<_>>(),
        "every frame comes out once, in order, when the puck tracker has settled it"
    );
    let rink = settled.pop().unwrap().rink;
    let truth_frame = truth.frames.last().unwrap();
    let skaters: Vec<_> = truth_frame
        .objects
        .iter()
        .filter(|o| o.class == ObjectClass::Player && o.visibility > 0.6)
        .collect();
    let placed = skaters
        .iter()
        .filter(|o| {
            rink.tracks
                .iter()
                .any(|t| (t.position.x_ft() - o.x_ft).hypot(t.position.y_ft() - o.y_ft) < 3.0)
        })
        .count();
    assert!(
        placed * 10 >= skaters.len() * 8,
        "{placed} of {} visible skaters placed within 3 ft",
        skaters.len()
    );
    let teams: Vec<Team> = rink.tracks.iter().filter_map(|t| t.team).collect();
    assert!(
        teams.contains(&Team::Home) && teams.contains(&Team::Away),
        "{teams:?}"
    );
}
