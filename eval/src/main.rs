//! `benchsight-eval`: the appliance's perception measured on held-out simulator games.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use benchsight_edge::calibration::load_homography;
use benchsight_edge::inference::{Detector, InferenceSettings, OnnxRuntime};
use benchsight_edge::model::ModelPackage;
use benchsight_edge::perception::Perception;
use benchsight_edge::replay::replay_file;
use benchsight_eval::games::GameSet;
use benchsight_eval::tracking::{ScoringRules, TrackingReport, TrackingScorer};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "benchsight-eval",
    version,
    about = "Measure BenchSight perception on simulator games"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the games come from (rendered on first use into `--work`).
#[derive(Debug, clap::Args)]
struct GameArgs {
    /// Seeds of the games (FIRST..LAST); keep them apart from the detector's training seeds.
    #[arg(long, default_value = "9101..9103", value_parser = benchsight_sim::parse_seed_range)]
    seeds: (u64, u64),
    /// Seconds of play per game.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    seconds: u32,
    /// Look profile (the held-out one is never used in training).
    #[arg(long, default_value = "heldout")]
    profile: String,
    #[arg(long, default_value_t = 1280)]
    width: u32,
    #[arg(long, default_value_t = 720)]
    height: u32,
    /// Folder for the rendered games.
    #[arg(long, default_value = ".work/eval")]
    work: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay held-out games through the perception stages and score skater tracking (MOTA,
    /// IDF1), the puck on the rink (within 2 ft) and team assignment against the truth.
    Tracking {
        #[command(flatten)]
        games: GameArgs,
        /// Model folder holding model.toml and the ONNX file.
        #[arg(long)]
        model: PathBuf,
        /// The ONNX Runtime shared library.
        #[arg(long, env = "ORT_DYLIB_PATH")]
        onnxruntime: PathBuf,
        /// Threads inside one operator (0: ONNX Runtime decides).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchsight-eval: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Tracking {
            games,
            model,
            onnxruntime,
            threads,
            json,
        } => tracking(&games, &model, &onnxruntime, threads, json.as_deref()),
    }
}

fn tracking(
    args: &GameArgs,
    model: &Path,
    onnxruntime: &Path,
    threads: usize,
    json: Option<&Path>,
) -> anyhow::Result<()> {
    let set = GameSet {
        seeds: args.seeds,
        seconds: args.seconds,
        profile: args.profile.clone(),
        width: args.width,
        height: args.height,
    };
    let games = set.prepare(&args.work)?;
    let runtime = OnnxRuntime::load(onnxruntime)?;
    let settings = InferenceSettings {
        intra_threads: threads,
        ..InferenceSettings::default()
    };
    let mut reports = Vec::new();
    println!(
        "{:<8} {:>6} {:>6} {:>7} {:>7} {:>6} {:>9} {:>8}",
        "seed", "frames", "fps", "MOTA", "IDF1", "IDsw", "puck≤2ft", "teams"
    );
    for game in &games {
        let detector = Detector::new(&runtime, ModelPackage::open(model)?, &settings)?;
        // The operator names the teams by their jersey colours, as in the appliance's config.
        let look = &game.truth.look;
        let mut perception = Perception::new(
            detector,
            load_homography(&game.calibration)?,
            Some(look.home_colour),
            Some(look.away_colour),
        );
        let mut scorer = TrackingScorer::new(ScoringRules::default());
        let frames = &game.truth.frames;
        let summary = replay_file(
            &game.video,
            (args.width, args.height),
            &mut perception,
            |frame, perceived| {
                let truth = usize::try_from(frame.index)
                    .ok()
                    .and_then(|i| frames.get(i))
                    .ok_or_else(|| format!("frame {} has no truth", frame.index))?;
                if truth.media_time_ms.abs_diff(frame.pts_ms) > 20 {
                    return Err(format!(
                        "frame {} at {} ms does not line up with the truth at {} ms",
                        frame.index, frame.pts_ms, truth.media_time_ms
                    ));
                }
                scorer.add_frame(truth, &perceived.tracks, &perceived.rink);
                Ok(())
            },
        )
        .with_context(|| format!("replaying {}", game.video.display()))?;
        anyhow::ensure!(
            summary.frames == frames.len() as u64,
            "replayed {} frames of {}",
            summary.frames,
            frames.len()
        );
        let report = scorer.report();
        print_row(&game.seed.to_string(), Some(summary.fps()), &report);
        reports.push(report);
    }
    let overall = TrackingReport::merge(&reports);
    print_row("overall", None, &overall);
    let s = &overall.skaters;
    println!(
        "skaters: {} truth boxes, {} matched, {} missed, {} false, {} switches; MOTP {:.3}",
        s.truth_objects, s.matches, s.misses, s.false_positives, s.switches, s.motp
    );
    println!(
        "puck within 2 ft in {} of {} visible frames; team right in {} of {} skater-frames",
        overall.puck_found_frames,
        overall.puck_visible_frames,
        overall.team_correct_frames,
        overall.team_frames
    );
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_vec_pretty(&overall)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_row(name: &str, fps: Option<f64>, r: &TrackingReport) {
    let fps = fps.map_or_else(|| "-".to_owned(), |f| format!("{f:.1}"));
    println!(
        "{:<8} {:>6} {:>6} {:>7.3} {:>7.3} {:>6} {:>8.1}% {:>7.1}%",
        name,
        r.skaters.frames,
        fps,
        r.skaters.mota,
        r.skaters.idf1,
        r.skaters.switches,
        100.0 * r.puck_within_radius,
        100.0 * r.team_accuracy
    );
}
