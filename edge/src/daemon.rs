//! The appliance daemon (`benchsight-edge run`): source → perception → game-event engine →
//! event store → uplink, with the game context and calibration the cloud commands, systemd
//! readiness and a watchdog that is pinged only while the pipeline makes progress.
//!
//! Threads and tasks: the pipeline runs on its own thread (capture, ONNX Runtime and the engine
//! are blocking work) and commits each frame's records before it counts the frame; the uplink
//! and the watchdog are tokio tasks. Each holds its own connection to the store (WAL lets them
//! proceed together). A stop (SIGTERM, Ctrl-C) cancels all three; committed records are already
//! durable, and the uplink says `offline` before it disconnects.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchsight_core::engine::{EngineConfig, EngineTuning, GameEngine};
use benchsight_core::rink_state::RinkState;
use benchsight_core::wire::{CommandBody, RecordChange, StartGame, Versions};
use rand::Rng;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::calibration::{CalibrationError, CameraCalibration, calibration_path, load_homography};
use crate::capture::{
    Capture, CaptureError, CaptureEvent, CaptureSettings, RecordingSettings, SegmentEvent,
};
use crate::config::{ConfigError, EdgeConfig, SourceSpec};
use crate::health::PipelineHealth;
use crate::inference::{Detector, InferenceError, InferenceSettings, OnnxRuntime};
use crate::model::{ModelError, ModelPackage};
use crate::perception::Perception;
use crate::recording::{ClipPolicy, ClipUploader, HttpClipUploader, bookkeep_segment, clip_round};
use crate::store::{Store, StoreError, unix_ms};
use crate::uplink::{CommandHandler, Uplink, UplinkError, UplinkSettings};

/// How long the pipeline waits for a frame before it looks at commands and cancellation again.
const POLL: Duration = Duration::from_millis(200);
/// A recorded state overdue by more than this when its turn comes was never seen (the daemon
/// was down): it is skipped, as a live camera's frames would have been.
const MISSED_AFTER: Duration = Duration::from_secs(1);

/// Why the daemon stopped.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Uplink(#[from] UplinkError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error(
        "camera `{camera}` has no usable calibration; run `benchsight-edge calibrate` or send a \
         set_calibration command"
    )]
    Calibration {
        camera: String,
        source: CalibrationError,
    },
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("recorded states {path}: {detail}")]
    RecordedStates { path: PathBuf, detail: String },
    #[error("the pipeline thread failed: {0}")]
    Pipeline(String),
}

/// The game being captured, as a `start_game` command set it.
#[derive(Debug, Clone, PartialEq)]
pub struct GameSession {
    pub start: StartGame,
    pub started_unix_ms: u64,
}

/// What a source hands the pipeline on each poll.
#[derive(Debug)]
pub enum SourceEvent {
    /// One frame's rink state, `lag_ms` behind the camera.
    State { state: RinkState, lag_ms: u64 },
    /// Nothing to deliver by design (a recorded source with no game running): healthy.
    Idle,
    /// Nothing arrived in time: the camera is silent.
    Silent,
}

/// Where the pipeline's rink states come from.
pub trait RinkStateSource: Send {
    /// The game changed (started, or ended with `None`).
    fn game_changed(&mut self, game: Option<&GameSession>) -> Result<(), DaemonError>;
    /// The calibration changed.
    fn calibration_changed(&mut self, calibration: &CameraCalibration);
    /// Waits up to `timeout` for the next rink state.
    fn next(&mut self, timeout: Duration) -> Result<SourceEvent, DaemonError>;
    /// Wall-clock time of media time 0, for the engine's event ids.
    fn media_origin_unix_ms(&self) -> Option<u64>;
    /// Frames dropped so far.
    fn dropped(&self) -> u64;
    /// Recording segments opened and closed since the last call.
    fn segment_events(&mut self) -> Vec<SegmentEvent> {
        Vec::new()
    }
}

/// A live camera through the perception stages.
#[derive(Debug)]
pub struct CameraSource {
    capture: Capture,
    perception: Perception,
    /// Wall-clock time and media time of the first frame.
    first_frame: Option<(u64, u64)>,
    /// Frames perception has settled and the pipeline has not taken yet.
    settled: std::collections::VecDeque<RinkState>,
}

impl CameraSource {
    pub fn start(config: &EdgeConfig, uri: &str) -> Result<Self, DaemonError> {
        let path = calibration_path(&config.state_dir, &config.camera.name);
        let homography = load_homography(&path).map_err(|source| DaemonError::Calibration {
            camera: config.camera.name.clone(),
            source,
        })?;
        let runtime = OnnxRuntime::load(&config.model.onnxruntime)?;
        let settings = InferenceSettings {
            provider: config.model.provider,
            intra_threads: config.model.threads,
            engine_cache_dir: Some(config.state_dir.join("tensorrt-cache")),
            ..InferenceSettings::default()
        };
        let detector = Detector::new(&runtime, ModelPackage::open(&config.model.path)?, &settings)?;
        let mut capture_settings =
            CaptureSettings::live(uri, config.camera.width, config.camera.height);
        capture_settings.latency_ms = config.camera.latency_ms;
        capture_settings.recording = records(config, uri).then(|| RecordingSettings {
            folder: config.state_dir.join("recordings"),
            segment: Duration::from_secs(config.recording.segment_s),
        });
        Ok(Self {
            capture: Capture::start(capture_settings)?,
            perception: Perception::new(detector, homography, None, None),
            first_frame: None,
            settled: std::collections::VecDeque::new(),
        })
    }
}

impl RinkStateSource for CameraSource {
    fn game_changed(&mut self, game: Option<&GameSession>) -> Result<(), DaemonError> {
        if let Some(game) = game {
            self.perception
                .set_team_colours(Some(game.start.home.colour), Some(game.start.away.colour));
        }
        Ok(())
    }

    fn calibration_changed(&mut self, calibration: &CameraCalibration) {
        self.perception
            .set_homography(calibration.homography.clone());
    }

    fn next(&mut self, timeout: Duration) -> Result<SourceEvent, DaemonError> {
        // While the puck tracker fills its lag, a frame settles none: take the next one.
        while self.settled.is_empty() {
            match self.capture.next(timeout) {
                Some(CaptureEvent::Frame(frame)) => {
                    self.first_frame.get_or_insert((unix_ms(), frame.pts_ms));
                    let perceived = self.perception.process(&frame)?;
                    self.settled.extend(perceived.into_iter().map(|p| p.rink));
                }
                Some(CaptureEvent::Failed(error)) => return Err(error.into()),
                Some(CaptureEvent::Finished) => {
                    // The frames still waiting for their puck go out before the end is told.
                    self.settled
                        .extend(self.perception.finish().into_iter().map(|p| p.rink));
                    if self.settled.is_empty() {
                        return Err(DaemonError::Pipeline(
                            "the camera source ended (a file source is played once)".into(),
                        ));
                    }
                }
                None => return Ok(SourceEvent::Silent),
            }
        }
        // A frame comes out once the puck tracker has settled it: its lag behind the camera
        // includes that wait.
        let Some(state) = self.settled.pop_front() else {
            return Ok(SourceEvent::Silent);
        };
        let (wall0, media0) = self.first_frame.unwrap_or((unix_ms(), 0));
        let due = wall0 + state.media_time_ms.0.saturating_sub(media0);
        Ok(SourceEvent::State {
            state,
            lag_ms: unix_ms().saturating_sub(due),
        })
    }

    fn media_origin_unix_ms(&self) -> Option<u64> {
        self.first_frame
            .map(|(wall, media)| wall.saturating_sub(media))
    }

    fn dropped(&self) -> u64 {
        self.capture
            .stats()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn segment_events(&mut self) -> Vec<SegmentEvent> {
        self.capture.segment_events()
    }
}

/// A camera that starts once it is calibrated: until a calibration exists (from `calibrate`
/// or a `set_calibration` command) the pipeline idles — healthy, so the watchdog does not
/// restart a daemon that is waiting to be told where the rink is.
#[derive(Debug)]
pub struct CalibratedCamera {
    config: EdgeConfig,
    uri: String,
    camera: Option<CameraSource>,
    game: Option<GameSession>,
}

impl CalibratedCamera {
    /// Starts the camera now when it is calibrated (any failure then is fatal), else waits.
    pub fn new(config: &EdgeConfig, uri: &str) -> Result<Self, DaemonError> {
        let calibrated = calibration_path(&config.state_dir, &config.camera.name).is_file();
        let camera = if calibrated {
            Some(CameraSource::start(config, uri)?)
        } else {
            tracing::warn!(
                camera = %config.camera.name,
                "no calibration yet: waiting for `benchsight-edge calibrate` or a set_calibration command"
            );
            None
        };
        Ok(Self {
            config: config.clone(),
            uri: uri.to_owned(),
            camera,
            game: None,
        })
    }
}

impl RinkStateSource for CalibratedCamera {
    fn game_changed(&mut self, game: Option<&GameSession>) -> Result<(), DaemonError> {
        self.game = game.cloned();
        match &mut self.camera {
            Some(camera) => camera.game_changed(game),
            None => Ok(()),
        }
    }

    fn calibration_changed(&mut self, calibration: &CameraCalibration) {
        if let Some(camera) = &mut self.camera {
            camera.calibration_changed(calibration);
            return;
        }
        match CameraSource::start(&self.config, &self.uri) {
            Ok(mut camera) => {
                if let Err(error) = camera.game_changed(self.game.as_ref()) {
                    tracing::error!(%error, "cannot hand the game to the camera");
                }
                tracing::info!(camera = %self.config.camera.name, "calibrated: the camera starts");
                self.camera = Some(camera);
            }
            Err(error) => tracing::error!(%error, "the calibrated camera cannot start"),
        }
    }

    fn next(&mut self, timeout: Duration) -> Result<SourceEvent, DaemonError> {
        match &mut self.camera {
            Some(camera) => camera.next(timeout),
            None => {
                std::thread::sleep(timeout);
                Ok(SourceEvent::Idle)
            }
        }
    }

    fn media_origin_unix_ms(&self) -> Option<u64> {
        self.camera.as_ref()?.media_origin_unix_ms()
    }

    fn dropped(&self) -> u64 {
        self.camera.as_ref().map_or(0, RinkStateSource::dropped)
    }

    fn segment_events(&mut self) -> Vec<SegmentEvent> {
        self.camera
            .as_mut()
            .map_or_else(Vec::new, RinkStateSource::segment_events)
    }
}

/// Whether the daemon records `uri`: live cameras only (a file is a recording already).
fn records(config: &EdgeConfig, uri: &str) -> bool {
    config.recording.enabled && !uri.starts_with("file://")
}

/// The clip policy of a recording daemon.
fn clip_policy(config: &EdgeConfig) -> ClipPolicy {
    ClipPolicy {
        before: Duration::from_secs(config.recording.clip_before_s),
        after: Duration::from_secs(config.recording.clip_after_s),
        folder: config.state_dir.join("clips"),
    }
}

/// Rink states recorded by `replay --out` (one JSON object per line), played as a live feed:
/// media time 0 is the moment the game started, and states whose moment passed while the
/// daemon was not running are skipped, as a live camera's frames would be.
#[derive(Debug)]
pub struct RecordedStates {
    path: PathBuf,
    speed: f64,
    playing: Option<(std::io::Lines<std::io::BufReader<std::fs::File>>, u64)>,
    pending: Option<RinkState>,
    skipped: u64,
    line: u64,
}

impl RecordedStates {
    pub fn new(path: &Path, speed: f64) -> Result<Self, DaemonError> {
        if !path.is_file() {
            return Err(DaemonError::RecordedStates {
                path: path.to_owned(),
                detail: "no such file".into(),
            });
        }
        Ok(Self {
            path: path.to_owned(),
            speed,
            playing: None,
            pending: None,
            skipped: 0,
            line: 0,
        })
    }

    fn error(&self, detail: String) -> DaemonError {
        DaemonError::RecordedStates {
            path: self.path.clone(),
            detail,
        }
    }

    /// The wall-clock moment a state is due.
    fn due_unix_ms(&self, origin: u64, state: &RinkState) -> u64 {
        origin + (state.media_time_ms.0 as f64 / self.speed) as u64
    }
}

impl RinkStateSource for RecordedStates {
    fn game_changed(&mut self, game: Option<&GameSession>) -> Result<(), DaemonError> {
        self.pending = None;
        self.line = 0;
        self.playing = match game {
            Some(game) => {
                let file =
                    std::fs::File::open(&self.path).map_err(|e| self.error(e.to_string()))?;
                Some((std::io::BufReader::new(file).lines(), game.started_unix_ms))
            }
            None => None,
        };
        Ok(())
    }

    fn calibration_changed(&mut self, _: &CameraCalibration) {}

    fn next(&mut self, timeout: Duration) -> Result<SourceEvent, DaemonError> {
        let deadline = Instant::now() + timeout;
        loop {
            let Some((lines, origin)) = self.playing.as_mut() else {
                std::thread::sleep(timeout);
                return Ok(SourceEvent::Idle);
            };
            let origin = *origin;
            let state = match self.pending.take() {
                Some(state) => state,
                None => match lines.next() {
                    None => {
                        // The recording is over: the feed falls silent.
                        std::thread::sleep(timeout);
                        return Ok(SourceEvent::Silent);
                    }
                    Some(line) => {
                        self.line += 1;
                        let line = line.map_err(|e| self.error(e.to_string()))?;
                        serde_json::from_str(&line)
                            .map_err(|e| self.error(format!("line {}: {e}", self.line)))?
                    }
                },
            };
            let due = self.due_unix_ms(origin, &state);
            let now = unix_ms();
            if now > due + MISSED_AFTER.as_millis() as u64 {
                self.skipped += 1;
                continue;
            }
            if due > now {
                let wait = Duration::from_millis(due - now);
                if Instant::now() + wait > deadline {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    self.pending = Some(state);
                    return Ok(SourceEvent::Idle);
                }
                std::thread::sleep(wait);
            }
            return Ok(SourceEvent::State {
                lag_ms: unix_ms().saturating_sub(due),
                state,
            });
        }
    }

    fn media_origin_unix_ms(&self) -> Option<u64> {
        self.playing.as_ref().map(|(_, origin)| *origin)
    }

    fn dropped(&self) -> u64 {
        self.skipped
    }
}

/// Carries out the cloud's commands for the daemon: game context and calibration are kept in
/// the state directory (the store and the calibration file), so they survive restarts.
#[derive(Debug)]
pub struct DaemonCommands {
    store: Store,
    state_dir: PathBuf,
    camera: String,
    game: watch::Sender<Option<GameSession>>,
    calibration: watch::Sender<Option<CameraCalibration>>,
}

impl CommandHandler for DaemonCommands {
    fn handle(&mut self, command: &CommandBody) -> Result<(), String> {
        let internal = |e: StoreError| format!("the appliance could not keep it: {e}");
        match command {
            CommandBody::StartGame(start) => {
                let running = self.game.borrow().clone();
                match running {
                    Some(game) if game.start.game_id != start.game_id => {
                        return Err(format!(
                            "game {} is being captured; end it first",
                            game.start.game_id
                        ));
                    }
                    Some(game) if &game.start == start => return Ok(()),
                    _ => {}
                }
                self.store.start_game(start).map_err(internal)?;
                let session =
                    self.store
                        .current_game()
                        .map_err(internal)?
                        .map(|(start, started_unix_ms)| GameSession {
                            start,
                            started_unix_ms,
                        });
                self.game.send_replace(session);
                Ok(())
            }
            CommandBody::EndGame { game_id } => {
                let running = self.game.borrow().as_ref().map(|g| g.start.game_id.clone());
                if running.as_ref() != Some(game_id) {
                    return Err(format!("game {game_id} is not being captured"));
                }
                self.store.end_game(game_id).map_err(internal)?;
                self.game.send_replace(None);
                Ok(())
            }
            CommandBody::SetCalibration { camera, pairs } => {
                if camera != &self.camera {
                    return Err(format!(
                        "this appliance has no camera `{camera}` (it has `{}`)",
                        self.camera
                    ));
                }
                let calibration =
                    CameraCalibration::fit(camera, pairs.clone()).map_err(|e| e.to_string())?;
                calibration
                    .save(&self.state_dir)
                    .map_err(|e| e.to_string())?;
                self.calibration.send_replace(Some(calibration));
                Ok(())
            }
            CommandBody::Ping => Ok(()),
        }
    }
}

/// The pipeline thread's loop: rink states through the engine of the current game into the
/// store. A frame is counted (and so feeds the watchdog) only after its records are committed.
struct Pipeline {
    source: Box<dyn RinkStateSource>,
    store: Store,
    game: watch::Receiver<Option<GameSession>>,
    calibration: watch::Receiver<Option<CameraCalibration>>,
    committed: watch::Sender<u64>,
    health: Arc<PipelineHealth>,
    engine: Option<GameEngine>,
    /// When recording: the clip policy and the recordings' disk budget in bytes.
    recording: Option<(ClipPolicy, u64)>,
}

impl Pipeline {
    fn run(mut self, cancel: &CancellationToken) -> Result<(), DaemonError> {
        self.game.mark_changed();
        while !cancel.is_cancelled() {
            if self.game.has_changed().unwrap_or(false) {
                let game = self.game.borrow_and_update().clone();
                self.switch_game(game.as_ref())?;
            }
            if self.calibration.has_changed().unwrap_or(false)
                && let Some(calibration) = self.calibration.borrow_and_update().clone()
            {
                self.source.calibration_changed(&calibration);
            }
            match self.source.next(POLL)? {
                SourceEvent::State { state, lag_ms } => {
                    if let Some(engine) = self.engine.as_mut() {
                        let changes = engine.process(&state);
                        self.commit(&changes)?;
                    }
                    self.health.frame_processed(lag_ms);
                }
                SourceEvent::Idle => self.health.idle(),
                SourceEvent::Silent => {}
            }
            self.health.set_dropped(self.source.dropped());
            self.bookkeep_recording()?;
        }
        Ok(())
    }

    /// Closes the engine of the game that ended (its last events committed) and opens one for
    /// the game that started.
    fn switch_game(&mut self, game: Option<&GameSession>) -> Result<(), DaemonError> {
        let running = self.engine.as_ref().map(|e| e.config().game_id.clone());
        let wanted = game.map(|g| g.start.game_id.clone());
        if running == wanted {
            return Ok(());
        }
        if let Some(mut engine) = self.engine.take() {
            let changes = engine.finish();
            self.commit(&changes)?;
        }
        self.source.game_changed(game)?;
        // A game this store already logged events of was under way before a restart.
        let under_way = match game {
            Some(game) => self.store.last_event_of(&game.start.game_id, 10_000)?,
            None => None,
        };
        self.engine = game.map(|game| {
            let start = &game.start;
            let config = EngineConfig {
                game_id: start.game_id.clone(),
                home_attacks_right_p1: start.home_attacks_right_p1,
                periods: u8::try_from(start.period_lengths_s.len()).unwrap_or(3),
                recording_start_unix_ms: self
                    .source
                    .media_origin_unix_ms()
                    .unwrap_or(game.started_unix_ms),
                id_seed: rand::rng().random(),
                tuning: EngineTuning::default(),
            };
            match &under_way {
                Some(last) => GameEngine::resumed(config, last),
                None => GameEngine::new(config),
            }
        });
        if let Some(game) = game {
            tracing::info!(game = %game.start.game_id, "capturing a game");
        }
        Ok(())
    }

    /// Enters the recording's segments in the store and prunes beyond the budget.
    fn bookkeep_recording(&mut self) -> Result<(), DaemonError> {
        let Some((_, budget)) = &self.recording else {
            return Ok(());
        };
        for event in self.source.segment_events() {
            let media_ms = match &event {
                SegmentEvent::Opened { media_ms, .. } | SegmentEvent::Closed { media_ms, .. } => {
                    *media_ms
                }
            };
            let origin = self
                .source
                .media_origin_unix_ms()
                .unwrap_or_else(|| unix_ms().saturating_sub(media_ms));
            for path in bookkeep_segment(&mut self.store, &event, origin, *budget)? {
                tracing::info!(path = %path.display(), "pruned a recording segment (disk budget)");
            }
        }
        Ok(())
    }

    fn commit(&mut self, changes: &[RecordChange]) -> Result<(), DaemonError> {
        if changes.is_empty() {
            return Ok(());
        }
        let clips = match (&self.recording, self.source.media_origin_unix_ms()) {
            (Some((policy, _)), Some(origin)) => changes
                .iter()
                .filter_map(|change| match change {
                    RecordChange::Event(event) => policy
                        .window(event, origin)
                        .map(|(from, to)| (event.event_id, event.game_id.clone(), from, to)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let records = self.store.commit_with_clips(changes, &clips)?;
        if let Some(last) = records.last() {
            self.committed.send_replace(last.seq.get());
        }
        self.health.records_committed(records.len() as u64);
        Ok(())
    }
}

/// The device token (the broker password), which also authorises clip uploads.
fn clip_token(config: &EdgeConfig) -> Option<String> {
    let path = config.broker.password_file.as_ref()?;
    std::fs::read_to_string(path)
        .map(|t| t.trim().to_owned())
        .map_err(
            |error| tracing::warn!(path = %path.display(), %error, "cannot read the device token"),
        )
        .ok()
}

/// The clip queue's thread: every second, cuts what is recorded and uploads what is cut.
fn spawn_clip_worker(
    mut store: Store,
    policy: ClipPolicy,
    mut uploader: Option<HttpClipUploader>,
    stop: CancellationToken,
) -> Result<std::thread::JoinHandle<()>, DaemonError> {
    std::thread::Builder::new()
        .name("clips".into())
        .spawn(move || {
            while !stop.is_cancelled() {
                let uploader = uploader.as_mut().map(|u| u as &mut dyn ClipUploader);
                match clip_round(&mut store, &policy, uploader) {
                    Ok((0, 0)) => {}
                    Ok((cut, uploaded)) => tracing::info!(cut, uploaded, "clips"),
                    Err(error) => tracing::error!(%error, "the clip queue failed"),
                }
                for _ in 0..10 {
                    if stop.is_cancelled() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
        .map_err(|e| DaemonError::Pipeline(e.to_string()))
}

/// The systemd watchdog period, when the service manager asked for pings (`WATCHDOG_USEC`,
/// and `WATCHDOG_PID` naming this process when it is set).
pub fn watchdog_period() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    let for_us = std::env::var("WATCHDOG_PID")
        .ok()
        .is_none_or(|pid| pid.parse() == Ok(std::process::id()));
    (for_us && usec > 0).then(|| Duration::from_micros(usec))
}

fn notify(state: &[sd_notify::NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(false, state) {
        tracing::warn!(%error, "cannot reach the service manager's notify socket");
    }
}

/// Pings the watchdog every half period, but only when the pipeline made progress since the
/// last look: a hung camera or engine stops the pings and systemd restarts the service.
async fn watchdog(period: Duration, health: Arc<PipelineHealth>, cancel: CancellationToken) {
    let mut last = health.snapshot().beats;
    let mut stalled_since: Option<Instant> = None;
    let mut ticks = tokio::time::interval(period / 2);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let beats = health.snapshot().beats;
        if beats != last {
            last = beats;
            if let Some(since) = stalled_since.take() {
                tracing::info!(
                    stalled_s = since.elapsed().as_secs(),
                    "the pipeline moves again"
                );
            }
            notify(&[sd_notify::NotifyState::Watchdog]);
        } else {
            let since = *stalled_since.get_or_insert_with(Instant::now);
            let stalled = since.elapsed();
            // Said when the stall begins, then every ten seconds.
            if stalled < period / 2
                || stalled.as_secs() / 10 != (stalled - period / 2).as_secs() / 10
            {
                tracing::warn!(
                    stalled_s = stalled.as_secs(),
                    "the pipeline makes no progress; withholding the watchdog ping"
                );
            }
        }
    }
}

/// The daemon's software versions, as status and telemetry report them.
pub fn versions(config: &EdgeConfig) -> Versions {
    Versions {
        daemon: env!("CARGO_PKG_VERSION").to_owned(),
        model: config.camera.uri.as_ref().and_then(|_| {
            ModelPackage::open(&config.model.path)
                .ok()
                .map(|p| p.spec.name.clone())
        }),
        onnxruntime: None,
    }
}

/// `benchsight-edge run`: everything until `cancel`.
pub async fn run(config: EdgeConfig, cancel: CancellationToken) -> Result<(), DaemonError> {
    config.validate()?;
    let source_spec = config.source()?;
    let state_dir = config.state_dir.clone();
    let store = Store::open_in(&state_dir)?;
    tracing::info!(
        store = %store.store_id(),
        path = %store.path().display(),
        committed = store.last_seq()?,
        acked = store.acked_through()?,
        "event store open"
    );
    let session = store
        .current_game()?
        .map(|(start, started_unix_ms)| GameSession {
            start,
            started_unix_ms,
        });
    let (game_tx, game_rx) = watch::channel(session);
    let (calibration_tx, calibration_rx) = watch::channel(None);
    let (committed_tx, committed_rx) = watch::channel(store.last_seq()?);
    let health = Arc::new(PipelineHealth::default());
    let settings = UplinkSettings::from_config(&config, versions(&config))?;

    let source: Box<dyn RinkStateSource> = match &source_spec {
        SourceSpec::Camera { uri } => Box::new(CalibratedCamera::new(&config, uri)?),
        SourceSpec::RecordedStates { path, speed } => Box::new(RecordedStates::new(path, *speed)?),
    };
    let pipeline = Pipeline {
        source,
        store,
        game: game_rx,
        calibration: calibration_rx,
        committed: committed_tx,
        health: Arc::clone(&health),
        engine: None,
        recording: match &source_spec {
            SourceSpec::Camera { uri } if records(&config, uri) => Some((
                clip_policy(&config),
                config.recording.budget_mb.saturating_mul(1 << 20),
            )),
            _ => None,
        },
    };
    let stop = cancel.child_token();
    let pipeline_stop = stop.clone();
    let pipeline = std::thread::Builder::new()
        .name("pipeline".into())
        .spawn(move || {
            let outcome = pipeline.run(&pipeline_stop);
            // Whatever ended the pipeline ends the daemon.
            pipeline_stop.cancel();
            outcome
        })
        .map_err(|e| DaemonError::Pipeline(e.to_string()))?;

    let commands = DaemonCommands {
        store: Store::open_in(&state_dir)?,
        state_dir: state_dir.clone(),
        camera: config.camera.name.clone(),
        game: game_tx,
        calibration: calibration_tx,
    };
    let uplink = {
        let (store, health, stop) = (
            Store::open_in(&state_dir)?,
            Arc::clone(&health),
            stop.clone(),
        );
        tokio::spawn(async move {
            let outcome = Uplink::run(
                settings,
                store,
                committed_rx,
                commands,
                health,
                stop.clone(),
            )
            .await;
            // An uplink that cannot go on (a broken store) ends the daemon too.
            stop.cancel();
            outcome
        })
    };
    let clips = match &source_spec {
        SourceSpec::Camera { uri } if records(&config, uri) => {
            let uploader = config
                .recording
                .clip_upload_url
                .as_ref()
                .map(|url| HttpClipUploader::new(url, clip_token(&config)));
            Some(spawn_clip_worker(
                Store::open_in(&state_dir)?,
                clip_policy(&config),
                uploader,
                stop.clone(),
            )?)
        }
        _ => None,
    };
    let watchdog = watchdog_period()
        .map(|period| tokio::spawn(watchdog(period, Arc::clone(&health), stop.clone())));
    notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!("running");

    stop.cancelled().await;
    notify(&[sd_notify::NotifyState::Stopping]);
    let pipeline = tokio::task::spawn_blocking(move || pipeline.join())
        .await
        .map_err(|e| DaemonError::Pipeline(e.to_string()))?
        .map_err(|_| DaemonError::Pipeline("the pipeline thread panicked".into()))?;
    let uplink = uplink
        .await
        .map_err(|e| DaemonError::Pipeline(e.to_string()))?;
    if let Some(watchdog) = watchdog {
        let _ = watchdog.await;
    }
    if let Some(clips) = clips {
        let _ = tokio::task::spawn_blocking(move || clips.join()).await;
    }
    pipeline?;
    let report = uplink?;
    tracing::info!(
        acked = report.acked_through,
        committed = report.committed_through,
        "stopped"
    );
    Ok(())
}
