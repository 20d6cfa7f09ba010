//! The engine-only evaluation (mode a): a simulated game's true positions, corrupted as a good
//! perception pipeline would report them, fed to the game-event engine, whose events are scored
//! against the simulator's event log.

use std::time::{Duration, Instant};

use benchsight_core::detection::ObjectClass;
use benchsight_core::engine::{EngineConfig, EngineTuning, GameEngine};
use benchsight_core::event::GameEvent;
use benchsight_core::event_scoring::{EventScores, apply_changes, score_events};
use benchsight_core::puck_tracking::PuckStatus;
use benchsight_core::rink_state::{RinkPuck, RinkState};
use benchsight_core::wire::RecordChange;
use benchsight_sim::game::{GameConfig, GameSim};
use benchsight_sim::truth::GameTruth;

use crate::corruption::{CorruptionLevels, Corruptor};

/// Events within this much media time of the truth count as found.
pub const TOLERANCE_MS: u64 = 1000;

/// One game through the engine.
#[derive(Debug, Clone)]
pub struct EngineRun {
    pub seed: u64,
    pub frames: u64,
    pub truth: Vec<GameEvent>,
    pub records: Vec<RecordChange>,
    pub derived: Vec<GameEvent>,
    pub scores: EventScores,
    /// Time spent inside the engine (not the simulator or the corruption).
    pub engine_time: Duration,
}

/// The engine's configuration for a simulated game: what an operator would set up.
pub fn engine_config(game: &GameConfig) -> EngineConfig {
    EngineConfig {
        game_id: game.game_id.clone(),
        home_attacks_right_p1: game.home_attacks_right_p1,
        periods: game.periods,
        recording_start_unix_ms: game.start_unix_ms,
        id_seed: game.seed.wrapping_mul(0x2545_F491_4F6C_DD1D),
        tuning: EngineTuning::default(),
    }
}

/// Simulates game `seed` and writes its corrupted tracks as rink states, one JSON object per
/// line — the format `benchsight-edge replay --out` writes and the daemon's recorded-states
/// source plays. Returns the number of states written.
pub fn write_corrupted_states(
    game: GameConfig,
    levels: CorruptionLevels,
    out: &mut impl std::io::Write,
) -> std::io::Result<u64> {
    let mut corruptor = Corruptor::new(levels, game.seed, game.frames_per_s);
    let mut sim = GameSim::new(game);
    let mut frames = 0;
    loop {
        serde_json::to_writer(&mut *out, &corruptor.corrupt(&sim.state()))?;
        out.write_all(b"\n")?;
        frames += 1;
        if sim.is_over() {
            return Ok(frames);
        }
        sim.step();
    }
}

/// Simulates game `seed`, corrupts its tracks and runs the engine over them.
pub fn engine_only(game: GameConfig, levels: CorruptionLevels) -> EngineRun {
    let seed = game.seed;
    let mut engine = GameEngine::new(engine_config(&game));
    let mut corruptor = Corruptor::new(levels, seed, game.frames_per_s);
    let mut sim = GameSim::new(game);
    let mut records = Vec::new();
    let mut engine_time = Duration::ZERO;
    let mut frames = 0;
    loop {
        let rink = corruptor.corrupt(&sim.state());
        let started = Instant::now();
        records.extend(engine.process(&rink));
        engine_time += started.elapsed();
        frames += 1;
        if sim.is_over() {
            break;
        }
        sim.step();
    }
    records.extend(engine.finish());
    let truth = sim.take_events();
    let derived = apply_changes(&records);
    let scores = score_events(&truth, &derived, TOLERANCE_MS);
    EngineRun {
        seed,
        frames,
        truth,
        records,
        derived,
        scores,
        engine_time,
    }
}

/// One line of a trace for a frame at `now_ms`: the true puck, the puck the engine was told, who
/// had it (as far as known) and whether play was on.
fn trace_frame(now_ms: u64, truth: &str, seen: &str, holder: &str, play_on: bool) -> String {
    format!(
        "{:>9.3}s puck {truth:<24} seen {seen:<22} held by {holder}{}",
        now_ms as f64 / 1000.0,
        if play_on { "" } else { "  (play stopped)" }
    )
}

/// An event in one line: type, details, team, puck and confidence.
fn describe(e: &GameEvent) -> String {
    let detail = |d: &Option<benchsight_core::vocabulary::Detail>| {
        d.as_ref().map_or("", |d| d.as_str()).to_owned()
    };
    let puck = e.puck.map_or(String::new(), |p| {
        format!(" @({:.1},{:.1})", p.x_ft(), p.y_ft())
    });
    format!(
        "{:?} {} {} {:?}{puck} c{:.2}",
        e.event_type,
        detail(&e.detail1),
        detail(&e.detail2),
        e.team,
        e.confidence.get()
    )
}

/// The trace's lines for the true events and the engine's records of one frame.
fn trace_events<'a>(
    truth: impl IntoIterator<Item = &'a GameEvent>,
    records: &[RecordChange],
    lines: &mut Vec<String>,
) {
    for event in truth {
        lines.push(format!("      truth  {}", describe(event)));
    }
    for record in records {
        lines.push(match record {
            RecordChange::Event(e) => format!(
                "      engine {} (at {:.3}s)",
                describe(e),
                e.media_time_ms.map_or(0, |t| t.0) as f64 / 1000.0
            ),
            RecordChange::Amendment(a) => {
                format!(
                    "      engine amends to {} ({})",
                    describe(&a.event),
                    a.reason
                )
            }
            RecordChange::Retraction(r) => {
                format!("      engine retracts {} ({})", r.event_id, r.reason)
            }
        });
    }
}

/// The puck as the engine was told it, with its status.
fn told_puck(puck: Option<&RinkPuck>) -> String {
    puck.map_or("-".to_owned(), |p| {
        let status = match p.status {
            PuckStatus::Seen => "seen".to_owned(),
            PuckStatus::Predicted => "predicted".to_owned(),
            PuckStatus::Held { track_id } => format!("at #{track_id}"),
        };
        format!(
            "({:6.1},{:5.1}) {status}",
            p.position.x_ft(),
            p.position.y_ft()
        )
    })
}

/// One simulated game run through the engine as [`engine_only`] runs it, told frame by frame over
/// media times `range_ms`: the true puck (position, height, who has it), the puck reported to the
/// engine, and every true event and engine record of the stretch, in time order.
pub fn trace(game: GameConfig, levels: CorruptionLevels, range_ms: (u64, u64)) -> Vec<String> {
    let in_range = |t: u64| (range_ms.0..=range_ms.1).contains(&t);
    let mut engine = GameEngine::new(engine_config(&game));
    let mut corruptor = Corruptor::new(levels, game.seed, game.frames_per_s);
    let mut sim = GameSim::new(game);
    let mut lines = Vec::new();
    loop {
        let state = sim.state();
        let rink = corruptor.corrupt(&state);
        let records = engine.process(&rink);
        let now = state.media_time_ms;
        let truth_events = sim.take_events();
        if in_range(now) {
            let truth = state.puck.map_or("-".to_owned(), |p| {
                format!("({:6.1},{:5.1}) h{:.1}", p.x_ft, p.y_ft, p.height_ft)
            });
            let holder = state
                .people
                .iter()
                .find(|p| p.has_puck)
                .map_or("-".to_owned(), |p| format!("#{} {:?}", p.track_id, p.team));
            lines.push(trace_frame(
                now,
                &truth,
                &told_puck(rink.puck.as_ref()),
                &holder,
                state.play_on,
            ));
            trace_events(&truth_events, &records, &mut lines);
        }
        if sim.is_over() || now > range_ms.1 {
            return lines;
        }
        sim.step();
    }
}

/// A rendered game's rink states (what perception reported) run through the engine, told frame
/// by frame over media times `range_ms` as [`trace`] tells a simulated one: the true puck (with
/// its visibility in the picture), the puck perception reported, and the true events and the
/// engine's records of the stretch.
pub fn trace_states(truth: &GameTruth, states: &[RinkState], range_ms: (u64, u64)) -> Vec<String> {
    let in_range = |t: u64| (range_ms.0..=range_ms.1).contains(&t);
    let mut engine = GameEngine::new(engine_config(&truth.game));
    let mut lines = Vec::new();
    let mut told_until = None;
    for (state, frame) in states.iter().zip(&truth.frames) {
        let records = engine.process(state);
        let now = state.media_time_ms.0;
        let truth_events = truth.events.iter().filter(|e| {
            let t = e.media_time_ms.map_or(0, |t| t.0);
            t <= now && told_until.is_none_or(|until| t > until)
        });
        if in_range(now) {
            let puck = frame
                .objects
                .iter()
                .find(|o| o.class == ObjectClass::Puck)
                .map_or("-".to_owned(), |p| {
                    format!("({:6.1},{:5.1}) v{:.1}", p.x_ft, p.y_ft, p.visibility)
                });
            lines.push(trace_frame(
                now,
                &puck,
                &told_puck(state.puck.as_ref()),
                "?",
                frame.play_on,
            ));
            trace_events(truth_events, &records, &mut lines);
        }
        told_until = Some(now);
        if now > range_ms.1 {
            break;
        }
    }
    lines
}
