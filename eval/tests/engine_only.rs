//! Mode (a) replays: simulated games' true tracks, corrupted as perception would report them,
//! through the game-event engine; the figures must hold and the replay must be deterministic.
//! Seeds 101..=103 are tuning games (the held-out figures come from `benchsight-eval events`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use benchsight_core::event_scoring::EventScores;
use benchsight_eval::corruption::CorruptionLevels;
use benchsight_eval::events::engine_only;
use benchsight_sim::game::GameConfig;

#[test]
fn corrupted_simulator_games_give_the_events_within_the_floors() {
    let runs: Vec<_> = (101..=103)
        .map(|seed| engine_only(GameConfig::new(seed), CorruptionLevels::default()))
        .collect();
    let scores = EventScores::merge(&runs.iter().map(|r| r.scores.clone()).collect::<Vec<_>>());
    let figure = |name: &str| scores.category(name).unwrap().clone();
    let goals = figure("goal");
    assert!(goals.truth >= 60, "{goals:?}");
    assert!(goals.precision >= 0.9 && goals.recall >= 0.9, "{goals:?}");
    for (name, floor) in [
        ("faceoff", 0.9),
        ("zone entry", 0.85),
        ("shot on goal", 0.8),
        ("save", 0.7),
    ] {
        let c = figure(name);
        assert!(c.f1 >= floor, "{name}: {c:?}");
    }
    assert!(figure("turnover").derived > 0);
}

#[test]
fn a_replay_gives_the_same_records() {
    let once = engine_only(GameConfig::new(103), CorruptionLevels::default());
    let again = engine_only(GameConfig::new(103), CorruptionLevels::default());
    assert_eq!(
        serde_json::to_string(&once.records).unwrap(),
        serde_json::to_string(&again.records).unwrap()
    );
    assert!(!once.records.is_empty());
}
