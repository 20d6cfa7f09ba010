//! The real hand-tracked games (`shared/data/benchsight/games`) imported and run through the ETL
//! reproduce VOCABULARY.md's reference box scores exactly, and their stints cover the 54
//! minutes of clock.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use benchsight_core::domain::Team;
use benchsight_core::ids::TenantId;
use benchsight_core::stats::{TeamStats, game_stats};
use benchsight_core::tracker::{TrackerGame, read_tracker_file};

fn game(id: u32) -> TrackerGame {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games")
        .join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the shared data folder sits beside the repository)",
            path.display()
        )
    });
    read_tracker_file(&text, &TenantId::parse("league").unwrap()).unwrap()
}

/// (G, shot events, SOG, missed, blocked, faceoff wins, saves) from VOCABULARY.md.
fn reference(stats: &TeamStats) -> [u32; 7] {
    assert_eq!(
        stats.goals_by_period.iter().sum::<u32>(),
        stats.goals,
        "the score by period adds up to the goals"
    );
    assert!(
        stats.goals_by_period.len() <= 4,
        "{:?}",
        stats.goals_by_period
    );
    [
        stats.goals,
        stats.shot_events,
        stats.shots_on_goal,
        stats.missed,
        stats.blocked,
        stats.faceoff_wins,
        stats.saves,
    ]
}

#[test]
fn game_18969_reproduces_the_reference_box_score() {
    let game = game(18969);
    assert_eq!(
        (game.home.name.as_str(), game.away.name.as_str()),
        ("Platinum", "Velodrome")
    );
    let stats = game_stats(&game.events, &game.stints);
    assert_eq!(
        reference(stats.team(Team::Home)),
        [4, 71, 40, 13, 16, 26, 21]
    );
    assert_eq!(reference(stats.team(Team::Away)), [3, 43, 23, 8, 9, 20, 37]);
    assert_eq!(stats.stint_seconds, 3240);
}

#[test]
fn game_18981_reproduces_the_reference_box_score() {
    let game = game(18981);
    assert_eq!(
        (game.home.name.as_str(), game.away.name.as_str()),
        ("Nelson", "Velodrome")
    );
    let stats = game_stats(&game.events, &game.stints);
    assert_eq!(
        reference(stats.team(Team::Home)),
        [2, 59, 34, 10, 15, 18, 13]
    );
    assert_eq!(
        reference(stats.team(Team::Away)),
        [1, 37, 14, 10, 11, 22, 32]
    );
    assert_eq!(stats.stint_seconds, 3240);
}

#[test]
fn players_and_goalies_add_up_to_their_teams() {
    for id in [18969, 18981] {
        let game = game(id);
        assert!(game.skipped.is_empty(), "{id}: {:?}", game.skipped);
        let stats = game_stats(&game.events, &game.stints);
        for team in Team::BOTH {
            let players = stats.players.iter().filter(|(k, _)| k.team == team);
            let goals: u32 = players.clone().map(|(_, p)| p.goals).sum();
            assert_eq!(goals, stats.team(team).goals, "{id} {team:?} goals");
            let wins: u32 = players.clone().map(|(_, p)| p.faceoff_wins).sum();
            assert!(wins <= stats.team(team).faceoff_wins);
            // Every goal has at most one primary and one secondary assist.
            let primary: u32 = players.clone().map(|(_, p)| p.primary_assists).sum();
            let secondary: u32 = players.clone().map(|(_, p)| p.secondary_assists).sum();
            assert!(
                primary <= goals && secondary <= primary,
                "{id} {team:?}: {primary}/{secondary} for {goals}"
            );
            let saves: u32 = stats
                .goalies
                .iter()
                .filter(|(k, _)| k.team == team)
                .map(|(_, g)| g.saves)
                .sum();
            assert_eq!(saves, stats.team(team).saves, "{id} {team:?} saves");
            // Five skaters and a goalie for 54 minutes, give or take special teams.
            let toi: u32 = players.map(|(_, p)| p.toi_s).sum();
            assert!(
                (5 * 3240..=6 * 3240 + 60).contains(&toi),
                "{id} {team:?} TOI {toi}"
            );
        }
        // Plus/minus: each goal gives +1 to the scorers' skaters and −1 to the others', so the
        // total is the skater-count difference summed over goals: 0 at even strength, ±1 or ±2
        // for a goal at 5-on-4 or 5-on-3 — small, and some goal must have moved someone.
        let plus: i32 = stats.players.values().map(|p| p.plus_minus).sum();
        let goals = (stats.home.goals + stats.away.goals) as i32;
        assert!(
            plus.abs() <= goals,
            "{id}: plus/minus total {plus} for {goals} goals"
        );
        assert!(stats.players.values().any(|p| p.plus_minus != 0));
    }
}

#[test]
fn importing_twice_gives_the_same_events() {
    let (a, b) = (game(19038), game(19038));
    assert_eq!(a.events, b.events);
    assert!(
        a.events.iter().any(|e| e.puck.is_some()),
        "19038 has puck positions"
    );
}
