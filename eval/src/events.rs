//! The engine-only evaluation (mode a): a simulated game's true positions, corrupted as a good
//! perception pipeline would report them, fed to the game-event engine, whose events are scored
//! against the simulator's event log.

use std::time::{Duration, Instant};

use benchsight_core::engine::{EngineConfig, EngineTuning, GameEngine};
use benchsight_core::event::GameEvent;
use benchsight_core::event_scoring::{EventScores, apply_changes, score_events};
use benchsight_core::wire::RecordChange;
use benchsight_sim::game::{GameConfig, GameSim};

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

/// One simulated game run through the engine as [`engine_only`] runs it, told frame by frame over
/// media times `range_ms`: the true puck (position, height, who has it), the puck reported to the
/// engine, and every true event and engine record of the stretch, in time order.
pub fn trace(game: GameConfig, levels: CorruptionLevels, range_ms: (u64, u64)) -> Vec<String> {
    use benchsight_core::event::GameEvent;
    let describe = |e: &GameEvent| {
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
    };
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
        if in_range(now) {
            let truth = state.puck.map_or("-".to_owned(), |p| {
                format!("({:6.1},{:5.1}) h{:.1}", p.x_ft, p.y_ft, p.height_ft)
            });
            let seen = rink.puck.map_or("-".to_owned(), |p| {
                format!("({:6.1},{:5.1})", p.position.x_ft(), p.position.y_ft())
            });
            let holder = state
                .people
                .iter()
                .find(|p| p.has_puck)
                .map_or("-".to_owned(), |p| format!("#{} {:?}", p.track_id, p.team));
            lines.push(format!(
                "{:>9.3}s puck {truth:<24} seen {seen:<16} held by {holder}{}",
                now as f64 / 1000.0,
                if state.play_on {
                    ""
                } else {
                    "  (play stopped)"
                }
            ));
            for event in sim.take_events() {
                lines.push(format!("      truth  {}", describe(&event)));
            }
            for record in &records {
                let line = match record {
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
                };
                lines.push(line);
            }
        } else {
            // Events before the stretch are not told.
            sim.take_events();
        }
        if sim.is_over() || now > range_ms.1 {
            return lines;
        }
        sim.step();
    }
}
