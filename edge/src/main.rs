//! `benchsight-edge`: the appliance's command-line entry point. Parses arguments, loads the
//! configuration (TOML file plus `BENCHSIGHT_EDGE_*` environment overrides) and runs the chosen
//! command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use benchsight_core::engine::{EngineConfig, EngineTuning, GameEngine};
use benchsight_core::event::GameEvent;
use benchsight_core::event_scoring::{apply_changes, score_events};
use benchsight_core::ids::GameId;
use benchsight_core::puck_finder::PuckFinderSettings;
use benchsight_core::wire::RecordChange;
use benchsight_edge::calibration::{calibrate, load_homography};
use benchsight_edge::config::EdgeConfig;
use benchsight_edge::eval_detector::evaluate;
use benchsight_edge::inference::{Detector, ExecutionProvider, InferenceSettings, OnnxRuntime};
use benchsight_edge::model::ModelPackage;
use benchsight_edge::perception::Perception;
use benchsight_edge::replay::replay_file;
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Toml};

/// The BenchSight rink-side appliance: captures a game, derives its events and delivers them to
/// the cloud.
#[derive(Debug, Parser)]
#[command(name = "benchsight-edge", version, about)]
struct Cli {
    /// Configuration file. Any key can be overridden by an environment variable such as
    /// BENCHSIGHT_EDGE_BROKER__HOST (sections separated by a double underscore).
    #[arg(
        long,
        global = true,
        env = "BENCHSIGHT_EDGE_CONFIG",
        default_value = "/etc/benchsight/edge.toml"
    )]
    config: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the appliance: capture, perception, game events, the durable event log and the
    /// uplink to the cloud, until SIGTERM or Ctrl-C (systemd `Type=notify`, watchdog aware).
    Run,
    /// Check the camera, calibration, model and execution provider, event store, disk, clock
    /// and broker login, one line per check; fails when any check fails.
    Doctor,
    /// Load and validate the configuration, then print the effective values as JSON (secrets
    /// live in files and are never printed).
    CheckConfig,
    /// Fit a camera's calibration from image↔rink landmark pairs (JSON `{"pairs": [...]}`) or
    /// take a simulator calibration file as it is; print the reprojection error and write the
    /// calibration into the state directory.
    Calibrate {
        /// Camera name (one calibration per camera).
        #[arg(long, default_value = "main")]
        camera: String,
        /// Landmark pairs or a simulator calibration (JSON).
        #[arg(long)]
        landmarks: PathBuf,
        /// State directory to write into; by default the configuration's `state_dir`.
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Run a recorded game through the perception stages (as the live daemon does, but in
    /// lock-step: no frame dropped) and write each frame's rink state as a JSON line.
    Replay {
        /// The video (any container GStreamer decodes).
        video: PathBuf,
        /// Model folder holding model.toml and the ONNX file.
        #[arg(long)]
        model: PathBuf,
        /// The camera's calibration (from `calibrate`, or a simulator calibration file).
        #[arg(long)]
        calibration: PathBuf,
        /// Where to write the rink states (JSON lines).
        #[arg(long)]
        out: PathBuf,
        /// Size frames are decoded to (the calibration's image size).
        #[arg(long, default_value_t = 1280)]
        width: u32,
        #[arg(long, default_value_t = 720)]
        height: u32,
        /// The ONNX Runtime shared library.
        #[arg(long, env = "ORT_DYLIB_PATH")]
        onnxruntime: PathBuf,
        /// Threads inside one operator (0: ONNX Runtime decides).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Also write the replay's frame count and timings here (JSON).
        #[arg(long)]
        stats: Option<PathBuf>,
        /// Also run the game-event engine and write its records (events, amendments,
        /// retractions) here, one JSON object per line.
        #[arg(long)]
        events: Option<PathBuf>,
        /// The game's id in the events.
        #[arg(long, default_value = "replay")]
        game_id: String,
        /// The home team attacks the right end (larger x) in period 1.
        #[arg(long)]
        home_attacks_right: bool,
        /// Regulation periods.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10))]
        periods: u8,
    },
    /// Score derived events against a true event log (a simulator truth file or any JSON with an
    /// `events` array): precision, recall and F1 per kind of event within a time tolerance
    /// (goals also team-exact), and the matched shots by outcome.
    EvalEvents {
        /// JSON with the true events under `events`.
        #[arg(long)]
        truth: PathBuf,
        /// The derived records, one JSON object per line (from `replay --events`).
        #[arg(long)]
        events: PathBuf,
        #[arg(long, default_value_t = 1000)]
        tolerance_ms: u64,
    },
    /// Measure a detector through the deployed inference path on a labelled dataset (YOLO
    /// layout, e.g. from `benchsight-sim dataset`): per-class precision, recall and AP50, the
    /// puck by centre distance, and the time per frame.
    EvalDetector {
        /// Model folder holding model.toml and the ONNX file.
        #[arg(long)]
        model: PathBuf,
        /// Dataset folder (images/SPLIT, labels/SPLIT, optional cameras.json).
        #[arg(long)]
        dataset: PathBuf,
        #[arg(long, default_value = "val")]
        split: String,
        /// The ONNX Runtime shared library.
        #[arg(long, env = "ORT_DYLIB_PATH")]
        onnxruntime: PathBuf,
        #[arg(long, value_enum, default_value = "cpu")]
        provider: Provider,
        /// Threads inside one operator (0: ONNX Runtime decides).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// A found puck's centre must lie within this many pixels of the true one.
        #[arg(long, default_value_t = 3.0)]
        puck_radius_px: f32,
        /// Also write the report as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Evaluate the network alone, without the full-resolution puck blob step (which, as in
        /// the pipeline, only serves models without a puck network).
        #[arg(long)]
        no_puck_finder: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Provider {
    Cpu,
    Cuda,
    Tensorrt,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchsight-edge: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run => run_daemon(load_config(&cli.config)?),
        Command::Doctor => {
            let config = load_config(&cli.config)?;
            install_tls_provider();
            let checks = tokio::runtime::Runtime::new()?
                .block_on(benchsight_edge::doctor::run_checks(&config));
            for check in &checks {
                println!("{check}");
            }
            let failed = checks.iter().filter(|c| !c.ok).count();
            anyhow::ensure!(failed == 0, "{failed} of {} checks failed", checks.len());
            Ok(())
        }
        Command::CheckConfig => {
            let config = load_config(&cli.config)?;
            let shown = serde_json::to_value(&config).context("showing the configuration")?;
            println!("# {} is valid", cli.config.display());
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
        Command::Calibrate {
            camera,
            landmarks,
            state_dir,
        } => {
            let state_dir = match state_dir {
                Some(dir) => dir,
                None => load_config(&cli.config)?.state_dir,
            };
            let calibration = calibrate(&camera, &landmarks)?;
            let path = calibration.save(&state_dir)?;
            match calibration.reprojection {
                Some(error) => println!(
                    "camera {camera}: {} landmarks, reprojection error rms {:.3} ft, max {:.3} ft; wrote {}",
                    calibration.pairs.len(),
                    error.rms_ft,
                    error.max_ft,
                    path.display()
                ),
                None => println!(
                    "camera {camera}: simulator calibration taken as is; wrote {}",
                    path.display()
                ),
            }
            Ok(())
        }
        Command::Replay {
            video,
            model,
            calibration,
            out,
            width,
            height,
            onnxruntime,
            threads,
            stats,
            events,
            game_id,
            home_attacks_right,
            periods,
        } => replay(&ReplayJob {
            video: &video,
            model: &model,
            calibration: &calibration,
            out: &out,
            size: (width, height),
            onnxruntime: &onnxruntime,
            threads,
            stats: stats.as_deref(),
            events: match events {
                Some(path) => Some((
                    path,
                    engine_config(
                        GameId::parse(&game_id).context("--game-id")?,
                        home_attacks_right,
                        periods,
                    ),
                )),
                None => None,
            },
        }),
        Command::EvalEvents {
            truth,
            events,
            tolerance_ms,
        } => eval_events(&truth, &events, tolerance_ms),
        Command::EvalDetector {
            model,
            dataset,
            split,
            onnxruntime,
            provider,
            threads,
            puck_radius_px,
            json,
            no_puck_finder,
        } => {
            let package = ModelPackage::open(&model)?;
            let runtime = OnnxRuntime::load(&onnxruntime)?;
            let settings = InferenceSettings {
                provider: match provider {
                    Provider::Cpu => ExecutionProvider::Cpu,
                    Provider::Cuda => ExecutionProvider::Cuda,
                    Provider::Tensorrt => ExecutionProvider::Tensorrt,
                },
                intra_threads: threads,
                ..InferenceSettings::default()
            };
            let name = package.spec.name.clone();
            let blob_step = !no_puck_finder && package.puck_onnx_path.is_none();
            let mut detector = Detector::new(&runtime, package, &settings)?;
            let finder = PuckFinderSettings::default();
            let finder = blob_step.then_some(&finder);
            let report = evaluate(
                &mut detector,
                &dataset,
                &split,
                puck_radius_px,
                finder,
                |done, total| {
                    if done % 100 == 0 || done == total {
                        eprintln!("benchsight-edge: evaluated {done}/{total} images");
                    }
                },
            )?;
            println!("model {name} on {} ({split}):", dataset.display());
            println!("{}", report.table());
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&report)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
    }
}

/// What `replay` was asked to do.
struct ReplayJob<'a> {
    video: &'a Path,
    model: &'a Path,
    calibration: &'a Path,
    out: &'a Path,
    size: (u32, u32),
    onnxruntime: &'a Path,
    threads: usize,
    stats: Option<&'a Path>,
    /// Where to write the game-event engine's records, and how the engine is set up.
    events: Option<(PathBuf, EngineConfig)>,
}

/// `replay`: the perception stages over a recorded game, in lock-step, with progress.
fn replay(job: &ReplayJob<'_>) -> anyhow::Result<()> {
    use std::io::Write as _;

    let &ReplayJob {
        video,
        model,
        calibration,
        out,
        size,
        onnxruntime,
        threads,
        stats,
        ref events,
    } = job;
    anyhow::ensure!(video.is_file(), "video {} does not exist", video.display());
    let homography = load_homography(calibration)?;
    let runtime = OnnxRuntime::load(onnxruntime)?;
    let settings = InferenceSettings {
        intra_threads: threads,
        ..InferenceSettings::default()
    };
    let detector = Detector::new(&runtime, ModelPackage::open(model)?, &settings)?;
    let mut perception = Perception::new(detector, homography, None, None);
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut engine = match events {
        Some((path, config)) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            Some((
                GameEngine::new(config.clone()),
                std::io::BufWriter::new(file),
            ))
        }
        None => None,
    };
    let started = std::time::Instant::now();
    let summary = replay_file(video, size, &mut perception, |perceived| {
        serde_json::to_writer(&mut writer, &perceived.rink).map_err(|e| e.to_string())?;
        writer.write_all(b"\n").map_err(|e| e.to_string())?;
        if let Some((engine, records)) = &mut engine {
            write_records(records, &engine.process(&perceived.rink)).map_err(|e| e.to_string())?;
        }
        let frames = perceived.rink.frame + 1;
        if frames.is_multiple_of(300) {
            eprintln!(
                "benchsight-edge: replayed {frames} frames ({:.1} s of video) at {:.1} fps",
                perceived.rink.media_time_ms.0 as f64 / 1000.0,
                frames as f64 / started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    })
    .with_context(|| format!("writing {}", out.display()))?;
    writer.flush()?;
    if let Some((engine, records)) = &mut engine {
        write_records(records, &engine.finish())?;
        records.flush()?;
    }
    if let Some(path) = stats {
        std::fs::write(path, serde_json::to_vec(&summary)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "replayed {} frames in {:.1} s: {:.1} fps overall, inference {:.1} ms per frame, {} frames dropped; rink states in {}",
        summary.frames,
        summary.elapsed_s,
        summary.fps(),
        summary.inference_ms_per_frame(),
        summary.dropped,
        out.display()
    );
    Ok(())
}

/// The engine's set-up for a replayed game: the recording starts now, and the event ids' random
/// bits come from the clock and the process.
fn engine_config(game_id: GameId, home_attacks_right_p1: bool, periods: u8) -> EngineConfig {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    EngineConfig {
        game_id,
        home_attacks_right_p1,
        periods,
        recording_start_unix_ms: u64::try_from(now.as_millis()).unwrap_or(0),
        id_seed: u64::from(now.subsec_nanos()) ^ (u64::from(std::process::id()) << 32),
        tuning: EngineTuning::default(),
    }
}

fn write_records(writer: &mut impl std::io::Write, records: &[RecordChange]) -> anyhow::Result<()> {
    for record in records {
        serde_json::to_writer(&mut *writer, record)?;
        writer.write_all(b"\n")?;
    }
    Ok(())
}

/// `eval-events`: derived records against a true event log.
fn eval_events(truth: &Path, events: &Path, tolerance_ms: u64) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct TrueLog {
        events: Vec<GameEvent>,
    }
    let text = std::fs::read(truth).with_context(|| format!("reading {}", truth.display()))?;
    let log: TrueLog = serde_json::from_slice(&text)
        .with_context(|| format!("{} has no readable `events` array", truth.display()))?;
    let text =
        std::fs::read_to_string(events).with_context(|| format!("reading {}", events.display()))?;
    let mut records = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let record: RecordChange = serde_json::from_str(line)
            .with_context(|| format!("{} line {}", events.display(), n + 1))?;
        records.push(record);
    }
    let derived = apply_changes(&records);
    let scores = score_events(&log.events, &derived, tolerance_ms);
    println!(
        "{} true events, {} records → {} derived events; tolerance ±{tolerance_ms} ms, goals team-exact",
        log.events.len(),
        records.len(),
        derived.len()
    );
    print!("{}", scores.table());
    Ok(())
}

/// Reads the configuration file, applies environment overrides and validates the result.
/// rumqttc's TLS goes through rustls built without a default crypto provider: ring is chosen
/// here, once per process.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `run`: logs to stderr (the journal), stops cleanly on SIGTERM or Ctrl-C.
fn run_daemon(config: EdgeConfig) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,ort=warn")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    install_tls_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let cancel = tokio_util::sync::CancellationToken::new();
        let signals = cancel.clone();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(error) => {
                        tracing::error!(%error, "cannot watch SIGTERM");
                        return;
                    }
                };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: stopping"),
            }
            signals.cancel();
        });
        benchsight_edge::daemon::run(config, cancel).await
    })?;
    Ok(())
}

fn load_config(path: &Path) -> anyhow::Result<EdgeConfig> {
    if !path.is_file() {
        bail!(
            "configuration file {} does not exist (pass --config PATH)",
            path.display()
        );
    }
    let config: EdgeConfig = Figment::new()
        .merge(Toml::file_exact(path))
        .merge(
            Env::prefixed("BENCHSIGHT_EDGE_")
                .ignore(&["config"])
                .split("__"),
        )
        .extract()
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
    config
        .validate()
        .with_context(|| format!("invalid configuration in {}", path.display()))?;
    Ok(config)
}
