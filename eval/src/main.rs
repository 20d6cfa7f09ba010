//! `benchsight-eval`: the appliance's perception measured on held-out simulator games.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use benchsight_core::detector::rink_region;
use benchsight_edge::calibration::load_homography;
use benchsight_edge::inference::{Detector, InferenceSettings, OnnxRuntime};
use benchsight_edge::model::ModelPackage;
use benchsight_edge::perception::Perception;
use benchsight_edge::replay::replay_file;
use benchsight_eval::bench::{first_frame, raw_inference, run_pipeline};
use benchsight_eval::games::{GameSet, RenderedGame};
use benchsight_eval::tracking::{ScoringRules, Substitutes, TrackingReport, TrackingScorer};
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

impl GameArgs {
    fn set(&self) -> GameSet {
        GameSet {
            seeds: self.seeds,
            seconds: self.seconds,
            profile: self.profile.clone(),
            width: self.width,
            height: self.height,
        }
    }
}

/// The detector and how ONNX Runtime runs it (the same for every pipeline measured).
#[derive(Debug, clap::Args)]
struct NetworkArgs {
    /// Model folder holding model.toml and the ONNX file.
    #[arg(long)]
    model: PathBuf,
    /// The ONNX Runtime shared library.
    #[arg(long, env = "ORT_DYLIB_PATH")]
    onnxruntime: PathBuf,
    /// Threads inside one operator (0: ONNX Runtime decides).
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

impl NetworkArgs {
    fn runtime(&self) -> anyhow::Result<(OnnxRuntime, InferenceSettings)> {
        let settings = InferenceSettings {
            intra_threads: self.threads,
            ..InferenceSettings::default()
        };
        Ok((OnnxRuntime::load(&self.onnxruntime)?, settings))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay held-out games through the perception stages and score skater tracking (MOTA,
    /// IDF1), the puck on the rink (within 2 ft) and team assignment against the truth.
    Tracking {
        #[command(flatten)]
        games: GameArgs,
        #[command(flatten)]
        network: NetworkArgs,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also write, per frame, the puck's truth, the puck candidates and the people (JSON
        /// lines, one file per game: FILE-SEED.jsonl), to study the puck tracker offline.
        #[arg(long)]
        dump_puck: Option<PathBuf>,
        /// Also write, per frame, the people tracker's input (detections down to its floor, torso
        /// colours) and the true skaters (JSON lines, FILE-SEED.jsonl), for `retrack`.
        #[arg(long)]
        dump_tracker: Option<PathBuf>,
    },
    /// Run the people tracker again over inputs written by `tracking --dump-tracker` and score
    /// skater tracking (MOTA, IDF1) as `tracking` does: tracker designs compared in seconds.
    Retrack {
        /// The dumped games (FILE-SEED.jsonl).
        #[arg(required = true)]
        dumps: Vec<PathBuf>,
        /// Tracker settings to try instead of the defaults, as JSON (any subset of the fields of
        /// `TrackerSettings`, e.g. '{"first_iou": 0.3}').
        #[arg(long)]
        settings: Option<String>,
        /// Feed the tracker the true boxes of the skaters at least this visible (0..1) instead
        /// of the detections: what the association alone gets right.
        #[arg(long, value_name = "MIN_VISIBILITY")]
        true_boxes: Option<f32>,
        /// Replace each skater's torso colour by one standing for its true team (the team of
        /// the true skater a detection overlaps most): what perfect team evidence would give.
        #[arg(long)]
        true_teams: bool,
        /// Add to the detections the true box of every skater at least this visible (0..1) that
        /// no detection covers (IoU 0.3, one to one): what the detector's misses cost.
        #[arg(long, value_name = "MIN_VISIBILITY")]
        add_missed: Option<f32>,
        /// Leave out the skater detections that cover no true skater, however hidden (IoU 0.3,
        /// one to one): what the detector's strays cost.
        #[arg(long)]
        drop_strays: bool,
        /// Also count the changes of a visible skater's track by what its old track was doing
        /// and where the new one came from, how long the skater went unmatched and how far a
        /// lost old track was predicted from it.
        #[arg(long)]
        explain: bool,
    },
    /// Run the puck tracker again over the frames written by `tracking --dump-puck` and score the
    /// puck on the rink (within 2 ft where visible) as `tracking` does, beside the dumped run's
    /// own figure; misses are split by how the tracker knew where the puck was.
    Repuck {
        /// The dumped games (FILE-SEED.jsonl).
        #[arg(required = true)]
        dumps: Vec<PathBuf>,
        /// Puck tracker settings to try instead of the defaults, as JSON (any subset of the
        /// fields of `PuckTrackerSettings`, e.g. '{"miss_cost": 0.3}').
        #[arg(long)]
        settings: Option<String>,
    },
    /// Score the game-event engine alone (mode a): simulated games' true tracks, corrupted as a
    /// perception pipeline would report them, through the engine, against the true event log.
    Events {
        /// Seeds of the games (never used while tuning the engine: 1..=999 are for tuning).
        #[arg(long, default_value = "9201..9210", value_parser = benchsight_sim::parse_seed_range)]
        seeds: (u64, u64),
        /// Game-clock length of each period, in seconds.
        #[arg(long, default_value_t = 360)]
        period_seconds: u32,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also list, per game, the events of this kind that found no partner (missed and
        /// spurious), each with the true and derived events around it: e.g. "goal", "save".
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(benchsight_core::event_scoring::CATEGORIES))]
        misses: Option<String>,
        /// Feed the engine the true tracks, uncorrupted (its own mistakes apart from the noise's;
        /// not mode a's figures).
        #[arg(long)]
        uncorrupted: bool,
    },
    /// Score the game-event engine on video (mode b): held-out games rendered at full size,
    /// replayed through the appliance's perception (detector, puck network, trackers, teams,
    /// calibration) into the engine, its events against the true event log.
    EventsVideo {
        #[command(flatten)]
        games: GameArgs,
        #[command(flatten)]
        network: NetworkArgs,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also write, per game, the rink states perception produced, its puck candidates and
        /// the engine's derived events (JSON lines: STEM.states.jsonl, STEM.puck.jsonl,
        /// STEM.events.jsonl) into this folder.
        #[arg(long, conflicts_with = "from_states")]
        save_states: Option<PathBuf>,
        /// Feed the engine the rink states saved by an earlier `--save-states DIR` run instead of
        /// running perception (the network is not loaded): for studying the engine on video.
        #[arg(long)]
        from_states: Option<PathBuf>,
        /// With `--from-states`: replace the saved states' puck by the puck tracker run again
        /// over the puck candidates saved beside them (STEM.puck.jsonl, as `tracking
        /// --dump-puck` writes them), so a puck tracker change is measured on the events in
        /// seconds.
        #[arg(long, requires = "from_states")]
        repuck: bool,
        /// With `--repuck`: puck tracker settings to try instead of the defaults, as JSON (as
        /// `repuck --settings`).
        #[arg(long, requires = "repuck")]
        puck_settings: Option<String>,
        /// Also list, per game, the events of this kind that found no partner, as `events
        /// --misses` does.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(benchsight_core::event_scoring::CATEGORIES))]
        misses: Option<String>,
        /// Also print, per game, frame by frame over this stretch of media time (seconds,
        /// FROM..TO), the true puck, the puck perception reported and the engine's records
        /// beside the true events, as `trace` does for the engine-only evaluation.
        #[arg(long, value_parser = parse_seconds_range)]
        trace: Option<(f64, f64)>,
    },
    /// Print, frame by frame over a stretch of one simulated game, the true puck, the puck as the
    /// engine-only evaluation reports it, who has the puck, and the engine's records, beside the
    /// true events (for studying one of the engine's mistakes).
    Trace {
        #[arg(long)]
        seed: u64,
        /// Game-clock length of each period, in seconds.
        #[arg(long, default_value_t = 360)]
        period_seconds: u32,
        /// Media time of the stretch, in seconds (FROM..TO).
        #[arg(long, value_parser = parse_seconds_range)]
        seconds: (f64, f64),
        /// Feed the engine the true tracks, uncorrupted.
        #[arg(long)]
        uncorrupted: bool,
    },
    /// Write a simulated game's tracks, corrupted as a perception pipeline would report them,
    /// as rink states (JSON lines): the daemon's `camera.recorded_states` source plays them.
    States {
        #[arg(long)]
        seed: u64,
        /// Game-clock length of each period, in seconds.
        #[arg(long, default_value_t = 360)]
        period_seconds: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmark the uplink: a store holding COUNT records (a day of one rink is ~50 k) drained
    /// through the broker to an acker that acks as the cloud does, next to the same payloads
    /// published bare (no store, no acks).
    Drain {
        #[arg(long, default_value_t = 50_000)]
        records: usize,
        #[arg(long, env = "BENCHSIGHT_TEST_MQTT_HOST", default_value = "127.0.0.1")]
        host: String,
        #[arg(long, env = "BENCHSIGHT_TEST_MQTT_PORT")]
        port: u16,
    },
    /// Benchmark the cloud's ingest: COUNT engine events through the broker and the ingest
    /// worker, next to a raw UNNEST insert of the same rows; and the ETL over the real
    /// hand-tracked games next to BenchSight's Python ETL (303 s for 4 games).
    IngestBench {
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// A superuser URL of the PostgreSQL server (a database bs_bench_ingest is re-created).
        #[arg(long, env = "BENCHSIGHT_TEST_PG_ADMIN_URL")]
        admin_url: String,
        #[arg(long, env = "BENCHSIGHT_TEST_MQTT_HOST", default_value = "127.0.0.1")]
        host: String,
        #[arg(long, env = "BENCHSIGHT_TEST_MQTT_PORT")]
        port: u16,
        /// The hand-tracked games.
        #[arg(long, default_value = "../shared/data/benchsight/games")]
        games: PathBuf,
    },
    /// Benchmark, on one video with one model and the same ONNX Runtime threads: the network
    /// alone, our full pipeline (`benchsight-edge replay`) and a Python reference pipeline
    /// (OpenCV + onnxruntime + Roboflow trackers ByteTrack): fps, time per frame outside the
    /// network, and peak memory.
    Bench {
        #[command(flatten)]
        games: GameArgs,
        #[command(flatten)]
        network: NetworkArgs,
        /// Python with scripts/reference/requirements.txt installed (`make bench-perception`
        /// prepares .venv-ref).
        #[arg(long, default_value = ".venv-ref/bin/python")]
        python: PathBuf,
        /// The Python reference pipeline.
        #[arg(long, default_value = "scripts/reference/pipeline.py")]
        reference: PathBuf,
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
            network,
            json,
            dump_puck,
            dump_tracker,
        } => tracking(
            &games,
            &network,
            json.as_deref(),
            Dumps {
                puck: dump_puck.as_deref(),
                tracker: dump_tracker.as_deref(),
            },
        ),
        Command::Retrack {
            dumps,
            settings,
            true_boxes,
            true_teams,
            add_missed,
            drop_strays,
            explain,
        } => retrack(
            &dumps,
            settings.as_deref(),
            Substitutes {
                true_boxes,
                true_teams,
                add_missed,
                drop_strays,
            },
            explain,
        ),
        Command::Repuck { dumps, settings } => repuck(&dumps, settings.as_deref()),
        Command::EventsVideo {
            games,
            network,
            json,
            save_states,
            from_states,
            repuck,
            puck_settings,
            misses,
            trace,
        } => {
            let states = match (save_states, from_states) {
                (Some(dir), _) => StatesFolder::Save(dir),
                (None, Some(dir)) => StatesFolder::Load {
                    dir,
                    repuck: repuck
                        .then(|| settings_with(puck_settings.as_deref()))
                        .transpose()?,
                },
                (None, None) => StatesFolder::None,
            };
            events_video(
                &games,
                &network,
                json.as_deref(),
                &states,
                misses.as_deref(),
                trace.map(seconds_to_ms),
            )
        }
        Command::Events {
            seeds,
            period_seconds,
            json,
            misses,
            uncorrupted,
        } => {
            let levels = if uncorrupted {
                benchsight_eval::corruption::CorruptionLevels::none()
            } else {
                benchsight_eval::corruption::CorruptionLevels::default()
            };
            events(
                seeds,
                period_seconds,
                levels,
                json.as_deref(),
                misses.as_deref(),
            )
        }
        Command::Trace {
            seed,
            period_seconds,
            seconds,
            uncorrupted,
        } => {
            let mut game = benchsight_sim::game::GameConfig::new(seed);
            game.period_length_s = period_seconds;
            let levels = if uncorrupted {
                benchsight_eval::corruption::CorruptionLevels::none()
            } else {
                benchsight_eval::corruption::CorruptionLevels::default()
            };
            for line in benchsight_eval::events::trace(game, levels, seconds_to_ms(seconds)) {
                println!("{line}");
            }
            Ok(())
        }
        Command::States {
            seed,
            period_seconds,
            out,
        } => {
            let mut game = benchsight_sim::game::GameConfig::new(seed);
            game.period_length_s = period_seconds;
            let file = std::fs::File::create(&out)
                .with_context(|| format!("creating {}", out.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let frames = benchsight_eval::events::write_corrupted_states(
                game,
                benchsight_eval::corruption::CorruptionLevels::default(),
                &mut writer,
            )?;
            std::io::Write::flush(&mut writer)?;
            println!("{frames} rink states in {}", out.display());
            Ok(())
        }
        Command::IngestBench {
            events,
            admin_url,
            host,
            port,
            games,
        } => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&games)
                .with_context(|| format!("reading {}", games.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            let report = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(benchsight_eval::ingest_bench::run(
                    &admin_url, &host, port, events, &paths,
                ))?;
            println!("{} events in {} batches", report.events, report.batches);
            print_rates(
                "events/s",
                report.events,
                &[
                    (
                        "ingest: broker → worker → ledger, events, watermark",
                        report.ingest,
                    ),
                    (
                        "raw UNNEST insert of the same rows and batches",
                        report.raw_insert,
                    ),
                ],
            );
            println!(
                "ingest / raw: {:.2}× (goal ≥ 0.5×)",
                report.raw_insert.as_secs_f64() / report.ingest.as_secs_f64()
            );
            let per_game_python = 303.0 / 4.0;
            let etl_per_game = report.etl.as_secs_f64() / report.games.max(1) as f64;
            let import_per_game = report.import_with_etl.as_secs_f64() / report.games.max(1) as f64;
            println!(
                "ETL over {} hand-tracked games: {:.3} ms per game (pure), {:.1} ms per game \
                 imported with the ETL through PostgreSQL; BenchSight's Python ETL: {per_game_python:.1} s \
                 per game → {:.0}× / {:.0}× faster (goal ≥ 300×)",
                report.games,
                etl_per_game * 1e3,
                import_per_game * 1e3,
                per_game_python / etl_per_game,
                per_game_python / import_per_game
            );
            Ok(())
        }
        Command::Drain {
            records,
            host,
            port,
        } => {
            eprintln!("benchsight-eval: building a backlog of {records} engine records");
            let changes = benchsight_eval::drain::backlog(records, 601);
            let dir = std::env::temp_dir().join(format!("benchsight-drain-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let report = benchsight_eval::drain::run(&dir, &changes, &host, port);
            std::fs::remove_dir_all(&dir).ok();
            let report = report?;
            println!(
                "{} records, {:.1} MB of payload, broker {host}:{port}",
                report.records,
                report.payload_bytes as f64 / 1e6
            );
            print_rates(
                "records/s",
                report.records,
                &[
                    ("uplink: store → broker → acker → watermark", report.uplink),
                    ("bare QoS 1 publish of the same payloads", report.bare),
                ],
            );
            println!("goal: a 24 h backlog (~50 k records) in < 10 s");
            Ok(())
        }
        Command::Bench {
            games,
            network,
            python,
            reference,
        } => bench(&games, &network, &python, &reference),
    }
}

/// A stretch of media time in seconds as milliseconds.
fn seconds_to_ms((from, to): (f64, f64)) -> (u64, u64) {
    ((from * 1000.0) as u64, (to * 1000.0) as u64)
}

fn parse_seconds_range(text: &str) -> Result<(f64, f64), String> {
    let (from, to) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?} is not FROM..TO"))?;
    let parse = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|e| format!("{t:?} is not a number of seconds: {e}"))
    };
    let (from, to) = (parse(from)?, parse(to)?);
    if !(0.0..=to).contains(&from) {
        return Err(format!(
            "{text:?}: FROM must be 0 or more and no later than TO"
        ));
    }
    Ok((from, to))
}

/// A benchmark's rows side by side: seconds and `count` per second for each measured way.
fn print_rates(unit: &str, count: u64, rows: &[(&str, std::time::Duration)]) {
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    println!("{:<width$} {:>8} {:>12}", "", "seconds", unit);
    for (label, took) in rows {
        let seconds = took.as_secs_f64();
        println!(
            "{label:<width$} {seconds:>8.2} {:>12.0}",
            count as f64 / seconds.max(1e-9)
        );
    }
}

fn events(
    seeds: (u64, u64),
    period_seconds: u32,
    levels: benchsight_eval::corruption::CorruptionLevels,
    json: Option<&Path>,
    misses: Option<&str>,
) -> anyhow::Result<()> {
    use benchsight_core::event_scoring::EventScores;
    use benchsight_eval::events::engine_only;
    use benchsight_sim::game::GameConfig;

    let mut all = Vec::new();
    let (mut frames, mut engine_time, mut goals) = (0u64, std::time::Duration::ZERO, 0u64);
    for seed in seeds.0..=seeds.1 {
        let mut game = GameConfig::new(seed);
        game.period_length_s = period_seconds;
        let run = engine_only(game, levels);
        let goal = run.scores.category("goal").map_or(0, |c| c.truth);
        eprintln!(
            "benchsight-eval: game {seed}: {} frames, {} true events ({goal} goals), {} derived",
            run.frames,
            run.truth.len(),
            run.derived.len()
        );
        if let Some(category) = misses {
            print_misses(seed, &run.truth, &run.derived, category);
        }
        frames += run.frames;
        engine_time += run.engine_time;
        goals += goal;
        all.push(run.scores);
    }
    let merged = EventScores::merge(&all);
    println!(
        "{} games, {goals} goals, {:.1} min of video; tolerance ±1 s, goals team-exact",
        all.len(),
        frames as f64 / 30.0 / 60.0
    );
    print!("{}", merged.table());
    let per_hour = engine_time.as_secs_f64() * (30.0 * 3600.0) / frames.max(1) as f64;
    println!(
        "engine: {:.2} s for {frames} frames, {per_hour:.3} s per 60 minutes of video",
        engine_time.as_secs_f64()
    );
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_vec_pretty(&merged)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The events of `category` one game left unmatched, each with what happened around it.
fn print_misses(
    seed: u64,
    truth: &[benchsight_core::event::GameEvent],
    derived: &[benchsight_core::event::GameEvent],
    category: &str,
) {
    use benchsight_core::event::GameEvent;
    use benchsight_core::event_scoring::unmatched;
    use benchsight_eval::events::TOLERANCE_MS;

    const AROUND_MS: u64 = 3000;
    let at = |e: &GameEvent| e.media_time_ms.map_or(0, |t| t.0);
    let describe = |e: &GameEvent| {
        let detail = |d: &Option<benchsight_core::vocabulary::Detail>| {
            d.as_ref().map_or("", |d| d.as_str()).to_owned()
        };
        let team = e.team.map_or("-".to_owned(), |t| format!("{t:?}"));
        let puck = e.puck.map_or(String::new(), |p| {
            format!(" @({:.0},{:.0})", p.x_ft(), p.y_ft())
        });
        format!(
            "{:>8.2}s {:?} {} {} {team}{puck} c{:.2}",
            at(e) as f64 / 1000.0,
            e.event_type,
            detail(&e.detail1),
            detail(&e.detail2),
            e.confidence.get()
        )
    };
    let around = |events: &[GameEvent], t: u64| -> Vec<String> {
        events
            .iter()
            .filter(|e| at(e).abs_diff(t) <= AROUND_MS)
            .map(|e| format!("      {}", describe(e)))
            .collect()
    };
    let found = unmatched(truth, derived, TOLERANCE_MS, category);
    for (what, list) in [("missed", &found.missed), ("spurious", &found.spurious)] {
        for event in list.iter() {
            println!("game {seed} {what} {category}: {}", describe(event));
            println!("    truth around:");
            around(truth, at(event))
                .iter()
                .for_each(|l| println!("{l}"));
            println!("    derived around:");
            around(derived, at(event))
                .iter()
                .for_each(|l| println!("{l}"));
        }
    }
}

fn bench(
    args: &GameArgs,
    network: &NetworkArgs,
    python: &Path,
    reference: &Path,
) -> anyhow::Result<()> {
    let (model, onnxruntime, threads) = (&network.model, &network.onnxruntime, network.threads);
    anyhow::ensure!(
        python.is_file(),
        "{} not found: `make bench-perception` sets up the Python reference (or pass --python)",
        python.display()
    );
    let game = args
        .set()
        .prepare(&args.work)?
        .into_iter()
        .next()
        .context("no game to benchmark")?;
    let size = (args.width, args.height);
    let homography = load_homography(&game.calibration)?;
    let (runtime, settings) = network.runtime()?;
    let package = ModelPackage::open(model)?;
    let onnx = package.onnx_path.clone();
    let (input_width, input_height) = (package.spec.input.width, package.spec.input.height);
    let (score, nms_iou) = (
        package.spec.thresholds.score,
        package.spec.thresholds.nms_iou,
    );
    let mut detector = Detector::new(&runtime, package, &settings)?;
    let frame = first_frame(&game.video, size)?;
    let region = detector
        .geometry(
            frame.width,
            frame.height,
            rink_region(&homography, frame.width, frame.height),
        )
        .region;
    eprintln!("benchsight-eval: timing the network alone");
    let raw = raw_inference(&mut detector, &frame, &homography, 200)?;
    drop(detector);

    let scratch = args.work.join("bench");
    std::fs::create_dir_all(&scratch)?;
    let edge = std::env::current_exe()?
        .parent()
        .context("no folder for this program")?
        .join("benchsight-edge");
    let path = |p: &Path| p.display().to_string();
    eprintln!("benchsight-eval: our pipeline ({})", edge.display());
    let ours_stats = scratch.join("ours.json");
    let ours = run_pipeline(
        &edge,
        &[
            "replay".into(),
            path(&game.video),
            "--model".into(),
            path(model),
            "--calibration".into(),
            path(&game.calibration),
            "--out".into(),
            path(&scratch.join("tracks.jsonl")),
            "--width".into(),
            args.width.to_string(),
            "--height".into(),
            args.height.to_string(),
            "--onnxruntime".into(),
            path(onnxruntime),
            "--threads".into(),
            threads.to_string(),
            "--stats".into(),
            path(&ours_stats),
        ],
        &ours_stats,
    )?;
    eprintln!(
        "benchsight-eval: the Python reference ({})",
        reference.display()
    );
    let theirs_stats = scratch.join("reference.json");
    let theirs = run_pipeline(
        python,
        &[
            path(reference),
            "--video".into(),
            path(&game.video),
            "--onnx".into(),
            path(&onnx),
            "--input".into(),
            input_width.to_string(),
            input_height.to_string(),
            "--region".into(),
            region.x0.to_string(),
            region.y0.to_string(),
            region.x1.to_string(),
            region.y1.to_string(),
            "--threads".into(),
            threads.to_string(),
            "--score".into(),
            score.to_string(),
            "--nms-iou".into(),
            nms_iou.to_string(),
            "--stats".into(),
            path(&theirs_stats),
        ],
        &theirs_stats,
    )?;

    let raw_ms = raw.as_secs_f64() * 1000.0;
    let raw_fps = 1000.0 / raw_ms;
    println!(
        "{} frames of {}, {}×{}, model {}, {threads} ONNX Runtime threads",
        ours.summary.frames,
        game.video.display(),
        args.width,
        args.height,
        model.display()
    );
    println!(
        "{:<26} {:>8} {:>14} {:>16} {:>13}",
        "", "fps", "network ms", "other ms/frame", "peak RSS MiB"
    );
    println!(
        "{:<26} {:>8.1} {:>14.2} {:>16} {:>13}",
        "network alone", raw_fps, raw_ms, "-", "-"
    );
    for (name, run) in [("benchsight (Rust)", &ours), ("python reference", &theirs)] {
        println!(
            "{:<26} {:>8.1} {:>14.2} {:>16.2} {:>13.0}",
            name,
            run.summary.fps(),
            run.summary.inference_ms_per_frame(),
            run.summary.other_ms_per_frame(),
            run.peak_rss_mib
        );
    }
    println!(
        "ours / network alone: {:.2} (goal ≥ 0.90); time outside the network, reference / ours: {:.1}× (goal ≥ 5×); our peak RSS {:.0} MiB (goal ≤ 250)",
        ours.summary.fps() / raw_fps,
        theirs.summary.other_ms_per_frame() / ours.summary.other_ms_per_frame().max(1e-9),
        ours.peak_rss_mib
    );
    Ok(())
}

/// A fresh perception pipeline for `game`, set up as an operator would: the model, the camera's
/// calibration and the teams named by their jersey colours.
fn perception_for(
    game: &RenderedGame,
    runtime: &OnnxRuntime,
    settings: &InferenceSettings,
    model: &Path,
) -> anyhow::Result<Perception> {
    let detector = Detector::new(runtime, ModelPackage::open(model)?, settings)?;
    let look = &game.truth.look;
    Ok(Perception::new(
        detector,
        load_homography(&game.calibration)?,
        Some(look.home_colour),
        Some(look.away_colour),
    ))
}

/// Where `events-video` keeps (or finds) the rink states perception produced.
enum StatesFolder {
    None,
    Save(PathBuf),
    /// Read the saved states; with `repuck`, their puck replaced by the puck tracker (with these
    /// settings) run again over the saved puck candidates.
    Load {
        dir: PathBuf,
        repuck: Option<benchsight_core::puck_tracking::PuckTrackerSettings>,
    },
}

impl StatesFolder {
    fn path(dir: &Path, game: &RenderedGame, kind: &str) -> PathBuf {
        let stem = game.video.file_stem().unwrap_or_default().to_string_lossy();
        dir.join(format!("{stem}.{kind}.jsonl"))
    }
}

fn write_json_lines<T: serde::Serialize>(path: &Path, items: &[T]) -> anyhow::Result<()> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for item in items {
            serde_json::to_writer(&mut out, item)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    };
    write().with_context(|| format!("writing {}", path.display()))
}

fn read_states(path: &Path) -> anyhow::Result<Vec<benchsight_core::rink_state::RinkState>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).with_context(|| {
        format!(
            "opening {} (written by `events-video --save-states`)",
            path.display()
        )
    })?;
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&line)
                .with_context(|| format!("{}:{}: not a rink state", path.display(), i + 1))
        })
        .collect()
}

fn events_video(
    args: &GameArgs,
    network: &NetworkArgs,
    json: Option<&Path>,
    states_folder: &StatesFolder,
    misses: Option<&str>,
    trace_ms: Option<(u64, u64)>,
) -> anyhow::Result<()> {
    use benchsight_core::engine::GameEngine;
    use benchsight_core::event_scoring::{EventScores, apply_changes, score_events};
    use benchsight_eval::events::{TOLERANCE_MS, engine_config};

    let games = args.set().prepare(&args.work)?;
    let runtime = match states_folder {
        StatesFolder::Load { .. } => None,
        _ => Some(network.runtime()?),
    };
    if let StatesFolder::Save(dir) = states_folder {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut all = Vec::new();
    let (mut frames, mut goals) = (0u64, 0u64);
    for game in &games {
        let (states, rate) = match (states_folder, &runtime) {
            (StatesFolder::Load { dir, repuck }, _) => {
                let mut states = read_states(&StatesFolder::path(dir, game, "states"))?;
                if let Some(settings) = repuck {
                    let (header, frames) = read_puck_dump(&StatesFolder::path(dir, game, "puck"))?;
                    let pucks = benchsight_eval::tracking::replay_puck(&header, &frames, *settings);
                    for state in &mut states {
                        state.puck = pucks.get(&state.frame).cloned().flatten();
                    }
                }
                (states, "saved states".to_owned())
            }
            (_, Some((runtime, settings))) => {
                let mut perception = perception_for(game, runtime, settings, &network.model)?;
                let mut states = Vec::new();
                let mut dump = match states_folder {
                    StatesFolder::Save(dir) => Some(benchsight_eval::tracking::PuckDump::create(
                        &StatesFolder::path(dir, game, "puck"),
                        game,
                    )?),
                    _ => None,
                };
                let summary = replay_file(
                    &game.video,
                    (args.width, args.height),
                    &mut perception,
                    |perceived| {
                        if let Some(dump) = &mut dump {
                            let truth = usize::try_from(perceived.rink.frame)
                                .ok()
                                .and_then(|i| game.truth.frames.get(i))
                                .ok_or_else(|| {
                                    format!("frame {} has no truth", perceived.rink.frame)
                                })?;
                            dump.add_frame(truth, perceived)
                                .map_err(|e| e.to_string())?;
                        }
                        states.push(perceived.rink.clone());
                        Ok(())
                    },
                )
                .with_context(|| format!("replaying {}", game.video.display()))?;
                if let Some(dump) = dump {
                    dump.finish()?;
                }
                (states, format!("{:.1} frames/s", summary.fps()))
            }
            (_, None) => unreachable!("the network is loaded unless states are read"),
        };
        if let Some(range_ms) = trace_ms {
            println!("game {}:", game.seed);
            for line in benchsight_eval::events::trace_states(&game.truth, &states, range_ms) {
                println!("{line}");
            }
        }
        let mut engine = GameEngine::new(engine_config(&game.truth.game));
        let mut records = Vec::new();
        for state in &states {
            records.extend(engine.process(state));
        }
        records.extend(engine.finish());
        let derived = apply_changes(&records);
        if let StatesFolder::Save(dir) = states_folder {
            write_json_lines(&StatesFolder::path(dir, game, "states"), &states)?;
            write_json_lines(&StatesFolder::path(dir, game, "events"), &derived)?;
        }
        let scores = score_events(&game.truth.events, &derived, TOLERANCE_MS);
        if let Some(category) = misses {
            print_misses(game.seed, &game.truth.events, &derived, category);
        }
        let goal = scores.category("goal").map_or(0, |c| c.truth);
        let found = scores.category("goal").map_or(0, |c| c.matched);
        eprintln!(
            "benchsight-eval: game {}: {} frames ({rate}), {} true events ({goal} goals, {found} found), {} derived",
            game.seed,
            states.len(),
            game.truth.events.len(),
            derived.len()
        );
        frames += states.len() as u64;
        goals += goal;
        all.push(scores);
    }
    let merged = EventScores::merge(&all);
    println!(
        "mode (b), full video: {} games, {goals} goals, {:.1} min of {}×{} video; tolerance ±1 s, goals team-exact",
        all.len(),
        frames as f64 / 30.0 / 60.0,
        args.width,
        args.height
    );
    print!("{}", merged.table());
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_vec_pretty(&merged)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Where `tracking` writes its per-frame dumps (file stems), if anywhere.
struct Dumps<'a> {
    puck: Option<&'a Path>,
    tracker: Option<&'a Path>,
}

fn tracking(
    args: &GameArgs,
    network: &NetworkArgs,
    json: Option<&Path>,
    dumps: Dumps<'_>,
) -> anyhow::Result<()> {
    let games = args.set().prepare(&args.work)?;
    let (runtime, settings) = network.runtime()?;
    let mut reports = Vec::new();
    println!(
        "{:<8} {:>6} {:>6} {:>7} {:>7} {:>6} {:>9} {:>8}",
        "seed", "frames", "fps", "MOTA", "IDF1", "IDsw", "puck≤2ft", "teams"
    );
    for game in &games {
        let mut perception = perception_for(game, &runtime, &settings, &network.model)?;
        let mut scorer = TrackingScorer::new(ScoringRules::default());
        let mut dump = dumps
            .puck
            .map(|stem| {
                let path = PathBuf::from(format!("{}-{}.jsonl", stem.display(), game.seed));
                benchsight_eval::tracking::PuckDump::create(&path, game)
            })
            .transpose()?;
        let mut tracker_dump = dumps
            .tracker
            .map(|stem| dump_file(stem, game.seed))
            .transpose()?;
        let frames = &game.truth.frames;
        let summary = replay_file(
            &game.video,
            (args.width, args.height),
            &mut perception,
            |perceived| {
                let (index, pts_ms) = (perceived.rink.frame, perceived.rink.media_time_ms.0);
                let truth = usize::try_from(index)
                    .ok()
                    .and_then(|i| frames.get(i))
                    .ok_or_else(|| format!("frame {index} has no truth"))?;
                if truth.media_time_ms.abs_diff(pts_ms) > 20 {
                    return Err(format!(
                        "frame {index} at {pts_ms} ms does not line up with the truth at {} ms",
                        truth.media_time_ms
                    ));
                }
                scorer.add_frame(truth, &perceived.tracks, &perceived.rink);
                if let Some(dump) = &mut dump {
                    dump.add_frame(truth, perceived)
                        .map_err(|e| e.to_string())?;
                }
                if let Some(out) = &mut tracker_dump {
                    let record = benchsight_eval::tracking::TrackerFrame::new(
                        truth,
                        &perceived.tracker_input,
                    );
                    serde_json::to_writer(&mut *out, &record).map_err(|e| e.to_string())?;
                    std::io::Write::write_all(out, b"\n").map_err(|e| e.to_string())?;
                }
                Ok(())
            },
        )
        .with_context(|| format!("replaying {}", game.video.display()))?;
        if let Some(dump) = dump {
            dump.finish()?;
        }
        if let Some(mut out) = tracker_dump {
            std::io::Write::flush(&mut out).context("writing the tracker dump")?;
        }
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

/// `STEM-SEED.jsonl`, created for writing.
fn dump_file(stem: &Path, seed: u64) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    let path = PathBuf::from(format!("{}-{seed}.jsonl", stem.display()));
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok(std::io::BufWriter::new(file))
}

fn retrack(
    dumps: &[PathBuf],
    settings: Option<&str>,
    substitutes: Substitutes,
    explain: bool,
) -> anyhow::Result<()> {
    for (option, value) in [
        ("--true-boxes", substitutes.true_boxes),
        ("--add-missed", substitutes.add_missed),
    ] {
        if let Some(v) = value {
            anyhow::ensure!(
                (0.0..=1.0).contains(&v),
                "{option}: a visibility between 0 and 1, not {v}"
            );
        }
    }
    anyhow::ensure!(
        substitutes.true_boxes.is_none()
            || (substitutes.add_missed.is_none() && !substitutes.drop_strays),
        "--true-boxes replaces the detections: --add-missed and --drop-strays change them"
    );
    use benchsight_core::mot::MotSummary;
    use benchsight_core::tracking::TrackerSettings;
    use benchsight_eval::tracking::TrackerFrame;
    use std::io::BufRead;

    println!(
        "{:<40} {:>6} {:>7} {:>7} {:>6} {:>6} {:>6}",
        "game", "frames", "MOTA", "IDF1", "IDsw", "ids", "truth"
    );
    let row = |name: &str, s: &MotSummary| {
        println!(
            "{name:<40} {:>6} {:>7.3} {:>7.3} {:>6} {:>6} {:>6}",
            s.frames, s.mota, s.idf1, s.switches, s.unique_hypotheses, s.unique_truth
        );
    };
    let settings: TrackerSettings = settings_with(settings)?;
    let mut summaries = Vec::new();
    let mut changes = benchsight_eval::tracking::IdentityChanges::default();
    let mut misses = benchsight_eval::tracking::DetectorMisses::default();
    let mut colours = benchsight_eval::tracking::ColourErrors::default();
    let min_visibility = benchsight_eval::tracking::ScoringRules::default().min_visibility;
    for path in dumps {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut frames = Vec::new();
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            let frame: TrackerFrame = serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), number + 1))?;
            frames.push(frame);
        }
        misses.add(benchsight_eval::tracking::DetectorMisses::count(
            &frames,
            min_visibility,
            settings.high_score,
        ));
        colours.add(benchsight_eval::tracking::ColourErrors::count(&frames));
        let summary = benchsight_eval::tracking::retrack(&frames, settings, substitutes);
        row(&path.display().to_string(), &summary);
        summaries.push(summary);
        if explain {
            changes.add(&benchsight_eval::tracking::explain_identity_changes(
                &frames,
                settings,
                substitutes,
            ));
        }
    }
    row("overall", &MotSummary::merge(&summaries));
    println!(
        "detector, as dumped: {} skater-frames at least {min_visibility} visible missed ({} with \
         another skater within {} px), {} skater detections scoring {} or more covering no skater",
        misses.missed,
        misses.missed_close,
        benchsight_eval::tracking::CLOSE_PX,
        misses.strays,
        settings.high_score
    );
    let buckets = benchsight_eval::tracking::OPPONENT_PX
        .iter()
        .map(|px| format!("under {px} px"))
        .chain(std::iter::once("farther".to_string()));
    let shares: Vec<String> = buckets
        .enumerate()
        .map(|(b, name)| {
            let (n, unknown) = (colours.detections[b], colours.unknown[b]);
            let share = |k: u64, of: u64| 100.0 * k as f64 / of.max(1) as f64;
            format!(
                "{name}: {n}, {:.0} % unknown, {:.1} % of the known wrong",
                share(unknown, n),
                share(colours.wrong[b], n - unknown)
            )
        })
        .collect();
    println!(
        "torso colours of skater detections by the nearest opponent (wrong: nearer the other \
         team's mean colour): {}",
        shares.join("; ")
    );
    if explain {
        print_identity_changes(&changes);
    }
    Ok(())
}

fn print_identity_changes(changes: &benchsight_eval::tracking::IdentityChanges) {
    let total: u64 = changes.kinds.values().sum();
    println!("\n{total} changes of a visible skater's track:");
    for ((old, new), n) in &changes.kinds {
        println!("  {n:>6}  {old:<24} {new}");
    }
    let gaps = changes.gaps.map(|n| n.to_string()).join(" / ");
    println!("  frames the skater went unmatched before (1, 5, 15, 45, 90, more): {gaps}");
    let heights = changes.lost_distance.map(|n| n.to_string()).join(" / ");
    println!("  a lost old track predicted within (1, 2, 4, more box heights): {heights}");
}

/// The default settings, overridden field by field by `--settings` JSON.
fn settings_with<T>(json: Option<&str>) -> anyhow::Result<T>
where
    T: Default + serde::Serialize + serde::de::DeserializeOwned,
{
    let Some(json) = json else {
        return Ok(T::default());
    };
    let mut merged = serde_json::to_value(T::default())?;
    let changes: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).context("--settings is not a JSON object")?;
    for (key, value) in changes {
        anyhow::ensure!(
            merged.get(&key).is_some(),
            "--settings: no setting named {key:?}"
        );
        merged[&key] = value;
    }
    serde_json::from_value(merged).context("--settings")
}

fn repuck(dumps: &[PathBuf], settings: Option<&str>) -> anyhow::Result<()> {
    use benchsight_core::puck_tracking::PuckTrackerSettings;
    use benchsight_eval::tracking::PuckScore;

    let settings: PuckTrackerSettings = settings_with(settings)?;
    println!(
        "{:<40} {:>7} {:>8} {:>8} {:>11} {:>11} {:>11} {:>11}",
        "game", "visible", "dumped", "replayed", "seen", "predicted", "held", "none"
    );
    println!(
        "{:>99}",
        "(found / visible frames, by the replayed estimate)"
    );
    let row = |name: &str, replayed: &PuckScore, dumped: &PuckScore| {
        let cells: Vec<String> = replayed
            .by_status
            .iter()
            .map(|(visible, found)| format!("{found}/{visible}"))
            .collect();
        println!(
            "{name:<40} {:>7} {:>8.3} {:>8.3} {:>11} {:>11} {:>11} {:>11}",
            replayed.visible,
            dumped.ratio(),
            replayed.ratio(),
            cells[0],
            cells[1],
            cells[2],
            cells[3]
        );
    };
    let (mut all_replayed, mut all_dumped) = (Vec::new(), Vec::new());
    for path in dumps {
        let (header, frames) = read_puck_dump(path)?;
        let (replayed, dumped) = benchsight_eval::tracking::repuck(&header, &frames, settings);
        row(&path.display().to_string(), &replayed, &dumped);
        all_replayed.push(replayed);
        all_dumped.push(dumped);
    }
    row(
        "overall",
        &PuckScore::merge(&all_replayed),
        &PuckScore::merge(&all_dumped),
    );
    Ok(())
}

/// A game's puck dump, written by `tracking --dump-puck`: its homography and its frames.
fn read_puck_dump(
    path: &Path,
) -> anyhow::Result<(
    benchsight_eval::tracking::PuckDumpHeader,
    Vec<benchsight_eval::tracking::PuckDumpFrame>,
)> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let first = lines
        .next()
        .with_context(|| format!("{} is empty", path.display()))?
        .with_context(|| format!("reading {}", path.display()))?;
    let header = serde_json::from_str(&first).with_context(|| {
        format!(
            "{} line 1: no homography (a dump from `tracking --dump-puck` of this version)",
            path.display()
        )
    })?;
    let mut frames = Vec::new();
    for (number, line) in lines.enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        frames.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), number + 2))?,
        );
    }
    Ok((header, frames))
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
