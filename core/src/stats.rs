//! The ETL's statistics: a game's events (and line stints, when a tracker recorded them) into
//! team, player and goalie game statistics, by the rules of
//! `shared/data/benchsight/VOCABULARY.md`.
//!
//! - Goal: `Goal` / `Goal_Scored`, credited to the actor and the event's team.
//! - Assists: the passer's own row marked `AssistPrimary` / `AssistSecondary` on an event linked
//!   to the goal (`assist_to_goal`); at most one of each per goal, a passer counted once.
//! - Shot attempts (Corsi) = on net (saved + goals) + missed + blocked; Fenwick = Corsi − blocked;
//!   shots on goal = `Shot_OnNetSaved` + goals. `Shot_HitPost` and `Shot_Deflected` are neither.
//! - Faceoffs: the actor wins, `opp_player_1` loses. Saves: `Save` events, to the goalie (actor)
//!   and the goalie's team; goals against go to the goalie facing the goal (`opp_player_1`).
//! - TOI and shifts from stints; plus/minus: a goal belongs to the stint of its period with
//!   `end < goal clock ≤ start` (countdown clock).
//! - Events the review policy hides (confidence below 0.70) are kept out of every figure.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{GameClock, Period, ReviewBand, Team};
use crate::event::{GameEvent, PlayerRole};
use crate::ids::EventId;
use crate::vocabulary::{Detail, EventType};

/// One player's place in a line stint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StintSlot {
    pub team: Team,
    /// `F1`, `D2`, `G`, …
    pub slot: String,
    pub number: u16,
}

/// An interval during which the players on the ice stay the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stint {
    pub period: Period,
    pub start: Option<GameClock>,
    pub end: Option<GameClock>,
    pub duration_s: u32,
    pub strength: String,
    pub players: Vec<StintSlot>,
}

/// A player within a game: team and jersey number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PlayerKey {
    pub team: Team,
    pub number: u16,
}

/// A team's figures for one game.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamStats {
    pub goals: u32,
    /// Goals in each period: index 0 is period 1; as long as the last period with a goal.
    #[serde(default)]
    pub goals_by_period: Vec<u32>,
    /// Shot events of every outcome.
    pub shot_events: u32,
    pub shots_on_goal: u32,
    pub missed: u32,
    pub blocked: u32,
    pub corsi: u32,
    pub fenwick: u32,
    pub faceoff_wins: u32,
    pub saves: u32,
    pub giveaways: u32,
    pub takeaways: u32,
    /// The team's counted events still provisional: confidence 0.70–0.90, no reviewer yet.
    #[serde(default)]
    pub pending_review: u32,
}

/// A skater's (or goalie's) figures for one game.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerStats {
    pub goals: u32,
    pub primary_assists: u32,
    pub secondary_assists: u32,
    pub points: u32,
    pub shot_attempts: u32,
    pub shots_on_goal: u32,
    pub missed: u32,
    pub blocked: u32,
    pub faceoff_wins: u32,
    pub faceoff_losses: u32,
    pub giveaways: u32,
    pub takeaways: u32,
    pub toi_s: u32,
    pub shifts: u32,
    pub plus_minus: i32,
}

/// A goalie's figures for one game.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GoalieStats {
    pub saves: u32,
    pub goals_against: u32,
    pub shots_against: u32,
    /// Saves / shots against; `None` without shots against.
    pub save_pct: Option<f64>,
}

/// Everything the ETL derives for one game.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GameStats {
    pub home: TeamStats,
    pub away: TeamStats,
    pub players: BTreeMap<PlayerKey, PlayerStats>,
    pub goalies: BTreeMap<PlayerKey, GoalieStats>,
    /// Clock time covered by the stints, in seconds.
    pub stint_seconds: u32,
}

impl GameStats {
    pub fn team(&self, team: Team) -> &TeamStats {
        match team {
            Team::Home => &self.home,
            Team::Away => &self.away,
        }
    }

    fn team_mut(&mut self, team: Team) -> &mut TeamStats {
        match team {
            Team::Home => &mut self.home,
            Team::Away => &mut self.away,
        }
    }

    fn player_mut(&mut self, event: &GameEvent, role: PlayerRole) -> Option<&mut PlayerStats> {
        let key = player_key(event, role)?;
        Some(self.players.entry(key).or_default())
    }
}

fn player_key(event: &GameEvent, role: PlayerRole) -> Option<PlayerKey> {
    let player = event.player(role)?;
    Some(PlayerKey {
        team: player.team,
        number: player.number?,
    })
}

const ASSIST_PRIMARY: &str = "AssistPrimary";
const ASSIST_SECONDARY: &str = "AssistSecondary";

/// The ETL: `events` (each event's current version) and `stints` into the game's statistics.
pub fn game_stats(events: &[GameEvent], stints: &[Stint]) -> GameStats {
    let counted: Vec<&GameEvent> = events
        .iter()
        .filter(|e| e.confidence.review_band() != ReviewBand::Hidden)
        .collect();
    let mut stats = GameStats::default();
    let mut goals: Vec<&GameEvent> = Vec::new();
    for event in &counted {
        let Some(team) = event.team else {
            continue;
        };
        if event.confidence.review_band() == ReviewBand::NeedsReview {
            stats.team_mut(team).pending_review += 1;
        }
        match event.event_type {
            EventType::Goal if event.has_detail1(&Detail::GOAL_SCORED) => {
                goals.push(event);
                let team_stats = stats.team_mut(team);
                team_stats.goals += 1;
                let period = usize::from(event.period.number()).saturating_sub(1);
                if team_stats.goals_by_period.len() <= period {
                    team_stats.goals_by_period.resize(period + 1, 0);
                }
                team_stats.goals_by_period[period] += 1;
                if let Some(scorer) = stats.player_mut(event, PlayerRole::ACTOR) {
                    scorer.goals += 1;
                }
                if let Some(goalie) = player_key(event, PlayerRole::OPPONENT) {
                    stats.goalies.entry(goalie).or_default().goals_against += 1;
                }
            }
            EventType::Shot => count_shot(&mut stats, event, team),
            EventType::Faceoff => {
                stats.team_mut(team).faceoff_wins += 1;
                if let Some(winner) = stats.player_mut(event, PlayerRole::ACTOR) {
                    winner.faceoff_wins += 1;
                }
                if let Some(loser) = stats.player_mut(event, PlayerRole::OPPONENT) {
                    loser.faceoff_losses += 1;
                }
            }
            EventType::Save => {
                stats.team_mut(team).saves += 1;
                if let Some(goalie) = player_key(event, PlayerRole::ACTOR) {
                    stats.goalies.entry(goalie).or_default().saves += 1;
                }
            }
            EventType::Turnover => {
                let giveaway = event.has_detail1(&Detail::TURNOVER_GIVEAWAY);
                let takeaway = event.has_detail1(&Detail::TURNOVER_TAKEAWAY);
                let team_stats = stats.team_mut(team);
                team_stats.giveaways += u32::from(giveaway);
                team_stats.takeaways += u32::from(takeaway);
                if let Some(player) = stats.player_mut(event, PlayerRole::ACTOR) {
                    player.giveaways += u32::from(giveaway);
                    player.takeaways += u32::from(takeaway);
                }
            }
            _ => {}
        }
    }
    for team in Team::BOTH {
        let goals_for = stats.team(team).goals;
        let team_stats = stats.team_mut(team);
        team_stats.shots_on_goal += goals_for;
        team_stats.corsi += goals_for;
        team_stats.fenwick += goals_for;
    }
    let goal_ids: BTreeSet<EventId> = goals.iter().map(|g| g.event_id).collect();
    credit_assists(&mut stats, &counted, &goal_ids);
    for player in stats.players.values_mut() {
        player.shots_on_goal += player.goals;
        player.shot_attempts += player.goals;
        player.points = player.goals + player.primary_assists + player.secondary_assists;
    }
    for goalie in stats.goalies.values_mut() {
        goalie.shots_against = goalie.saves + goalie.goals_against;
        goalie.save_pct = (goalie.shots_against > 0)
            .then(|| f64::from(goalie.saves) / f64::from(goalie.shots_against));
    }
    time_on_ice(&mut stats, stints);
    plus_minus(&mut stats, stints, &goals);
    stats
}

/// A shot's outcome for the shooting team and the shooter. Goals are added from the `Goal`
/// events afterwards (the `Shot_Goal` attempt and the `Goal_Scored` event are one goal).
fn count_shot(stats: &mut GameStats, event: &GameEvent, team: Team) {
    let outcome = event.detail1.as_ref();
    let is = |detail: &Detail| outcome == Some(detail);
    let (saved, missed, blocked) = (
        is(&Detail::SHOT_ON_NET_SAVED),
        is(&Detail::SHOT_MISSED),
        is(&Detail::SHOT_BLOCKED),
    );
    let team_stats = stats.team_mut(team);
    team_stats.shot_events += 1;
    team_stats.shots_on_goal += u32::from(saved);
    team_stats.missed += u32::from(missed);
    team_stats.blocked += u32::from(blocked);
    team_stats.corsi += u32::from(saved || missed || blocked);
    team_stats.fenwick += u32::from(saved || missed);
    if let Some(shooter) = stats.player_mut(event, PlayerRole::ACTOR) {
        shooter.shot_attempts += u32::from(saved || missed || blocked);
        shooter.shots_on_goal += u32::from(saved);
        shooter.missed += u32::from(missed);
        shooter.blocked += u32::from(blocked);
    }
}

/// At most one primary and one secondary assist per goal, each passer once.
fn credit_assists(stats: &mut GameStats, events: &[&GameEvent], goals: &BTreeSet<EventId>) {
    let mut per_goal: BTreeMap<EventId, (Option<PlayerKey>, Option<PlayerKey>)> = BTreeMap::new();
    for event in events {
        let Some(goal) = event.assist_to_goal.filter(|g| goals.contains(g)) else {
            continue;
        };
        for player in &event.players {
            let Some(number) = player.number else {
                continue;
            };
            let key = PlayerKey {
                team: player.team,
                number,
            };
            let marks = [&player.play_detail1, &player.play_detail2];
            let marked = |name: &str| {
                marks
                    .iter()
                    .any(|d| d.as_ref().is_some_and(|d| d.as_str() == name))
            };
            let (primary, secondary) = per_goal.entry(goal).or_default();
            if marked(ASSIST_PRIMARY) && primary.is_none() && *secondary != Some(key) {
                *primary = Some(key);
            } else if marked(ASSIST_SECONDARY) && secondary.is_none() && *primary != Some(key) {
                *secondary = Some(key);
            }
        }
    }
    for (primary, secondary) in per_goal.into_values() {
        if let Some(key) = primary {
            stats.players.entry(key).or_default().primary_assists += 1;
        }
        if let Some(key) = secondary {
            stats.players.entry(key).or_default().secondary_assists += 1;
        }
    }
}

/// TOI from stint durations; a shift starts when a player appears in a stint after not being in
/// the previous one of the same period.
fn time_on_ice(stats: &mut GameStats, stints: &[Stint]) {
    let mut previous: (Option<Period>, BTreeSet<PlayerKey>) = (None, BTreeSet::new());
    for stint in stints {
        stats.stint_seconds += stint.duration_s;
        if stint.duration_s == 0 {
            continue;
        }
        let on_ice: BTreeSet<PlayerKey> = stint
            .players
            .iter()
            .map(|slot| PlayerKey {
                team: slot.team,
                number: slot.number,
            })
            .collect();
        let same_period = previous.0 == Some(stint.period);
        for key in &on_ice {
            let player = stats.players.entry(*key).or_default();
            player.toi_s += stint.duration_s;
            if !(same_period && previous.1.contains(key)) {
                player.shifts += 1;
            }
        }
        previous = (Some(stint.period), on_ice);
    }
}

/// +1 to the scoring team's skaters on the ice, −1 to the other team's (goalies excluded).
fn plus_minus(stats: &mut GameStats, stints: &[Stint], goals: &[&GameEvent]) {
    for goal in goals {
        let (Some(team), Some(clock)) = (goal.team, goal.clock) else {
            continue;
        };
        let at = clock.remaining_ms();
        let stint = stints.iter().find(|s| {
            s.period == goal.period
                && s.duration_s > 0
                && matches!((s.start, s.end), (Some(start), Some(end))
                    if end.remaining_ms() < at && at <= start.remaining_ms())
        });
        for slot in stint.into_iter().flat_map(|s| &s.players) {
            if slot.slot == "G" {
                continue;
            }
            let player = stats
                .players
                .entry(PlayerKey {
                    team: slot.team,
                    number: slot.number,
                })
                .or_default();
            player.plus_minus += if slot.team == team { 1 } else { -1 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Confidence, Source};
    use crate::event::EventPlayer;
    use crate::ids::GameId;

    fn player(role: PlayerRole, team: Team, number: u16, mark: Option<&str>) -> EventPlayer {
        EventPlayer {
            role,
            team,
            number: Some(number),
            track_id: None,
            position: None,
            play_detail1: mark.map(|m| Detail::parse(m).unwrap()),
            play_detail2: None,
        }
    }

    fn event(n: u8, kind: EventType, detail: &str, players: Vec<EventPlayer>) -> GameEvent {
        GameEvent {
            event_id: EventId::appliance(1_764_000_000_000, [n; 10]),
            game_id: GameId::parse("g").unwrap(),
            event_type: kind,
            detail1: Some(Detail::parse(detail).unwrap()),
            detail2: None,
            team: Some(Team::Home),
            period: Period::FIRST,
            media_time_ms: None,
            clock: Some(GameClock::from_remaining_ms(600_000)),
            zone: None,
            puck: None,
            players,
            confidence: Confidence::CERTAIN,
            source: Source::Manual,
            evidence: None,
            assist_to_goal: None,
        }
    }

    #[test]
    fn a_goal_has_one_primary_and_one_secondary_assist_and_a_goalie_charged() {
        let goal = event(
            1,
            EventType::Goal,
            "Goal_Scored",
            vec![
                player(PlayerRole::ACTOR, Team::Home, 9, None),
                player(PlayerRole::OPPONENT, Team::Away, 30, None),
            ],
        );
        let mut passes = Vec::new();
        for (n, passer, mark) in [
            (2, 7, "AssistPrimary"),
            (3, 7, "AssistPrimary"), // the same passer marked twice counts once
            (4, 4, "AssistSecondary"),
            (5, 5, "AssistPrimary"), // a second primary is not credited
        ] {
            let mut pass = event(
                n,
                EventType::Pass,
                "Pass_Completed",
                vec![player(PlayerRole::ACTOR, Team::Home, passer, Some(mark))],
            );
            pass.assist_to_goal = Some(goal.event_id);
            passes.push(pass);
        }
        let mut saved = event(
            6,
            EventType::Save,
            "Save_Freeze",
            vec![player(PlayerRole::ACTOR, Team::Away, 30, None)],
        );
        saved.team = Some(Team::Away);
        let mut events = passes;
        events.extend([goal, saved]);
        let stats = game_stats(&events, &[]);
        let get = |n| {
            stats.players[&PlayerKey {
                team: Team::Home,
                number: n,
            }]
        };
        assert_eq!((get(9).goals, get(9).points), (1, 1));
        assert_eq!(get(7).primary_assists, 1);
        assert_eq!(get(4).secondary_assists, 1);
        let second_primary = PlayerKey {
            team: Team::Home,
            number: 5,
        };
        assert_eq!(
            stats.players.get(&second_primary).map_or(0, |p| p.points),
            0
        );
        let goalie = stats.goalies[&PlayerKey {
            team: Team::Away,
            number: 30,
        }];
        assert_eq!(
            (goalie.saves, goalie.goals_against, goalie.shots_against),
            (1, 1, 2)
        );
        assert_eq!(goalie.save_pct, Some(0.5));
    }

    #[test]
    fn hidden_events_count_nowhere_and_post_hits_are_not_attempts() {
        let mut doubtful = event(1, EventType::Shot, "Shot_OnNetSaved", vec![]);
        doubtful.confidence = Confidence::new(0.5).unwrap();
        let post = event(2, EventType::Shot, "Shot_HitPost", vec![]);
        let blocked = event(3, EventType::Shot, "Shot_Blocked", vec![]);
        let stats = game_stats(&[doubtful, post, blocked], &[]);
        assert_eq!(
            (
                stats.home.shot_events,
                stats.home.corsi,
                stats.home.fenwick,
                stats.home.shots_on_goal
            ),
            (2, 1, 0, 0)
        );
    }

    #[test]
    fn events_awaiting_review_are_counted_and_marked_pending_until_accepted() {
        let mut doubtful_goal = event(1, EventType::Goal, "Goal_Scored", vec![]);
        doubtful_goal.confidence = Confidence::new(0.8).unwrap();
        let mut hidden = event(2, EventType::Shot, "Shot_Missed", vec![]);
        hidden.confidence = Confidence::new(0.6).unwrap();
        let sure = event(3, EventType::Shot, "Shot_Missed", vec![]);
        let before = game_stats(&[doubtful_goal.clone(), hidden.clone(), sure.clone()], &[]);
        assert_eq!((before.home.goals, before.home.pending_review), (1, 1));
        let after = game_stats(
            &[crate::review::accepted(&doubtful_goal), hidden, sure],
            &[],
        );
        assert_eq!((after.home.goals, after.home.pending_review), (1, 0));
        assert_eq!(after.away.pending_review, 0);
    }

    #[test]
    fn time_on_ice_shifts_and_plus_minus_come_from_stints() {
        let slot = |team, number, slot: &str| StintSlot {
            team,
            number,
            slot: slot.into(),
        };
        let stint = |start_s: u32, end_s: u32, players: Vec<StintSlot>| Stint {
            period: Period::FIRST,
            start: Some(GameClock::from_remaining_ms(start_s * 1000)),
            end: Some(GameClock::from_remaining_ms(end_s * 1000)),
            duration_s: start_s - end_s,
            strength: "5v5".into(),
            players,
        };
        let stints = [
            stint(
                1080,
                700,
                vec![
                    slot(Team::Home, 9, "F1"),
                    slot(Team::Away, 3, "D1"),
                    slot(Team::Home, 1, "G"),
                ],
            ),
            stint(
                700,
                500,
                vec![
                    slot(Team::Home, 9, "F1"),
                    slot(Team::Away, 4, "D1"),
                    slot(Team::Home, 1, "G"),
                ],
            ),
            stint(
                500,
                0,
                vec![
                    slot(Team::Home, 8, "F1"),
                    slot(Team::Away, 3, "D1"),
                    slot(Team::Home, 1, "G"),
                ],
            ),
        ];
        let mut goal = event(
            1,
            EventType::Goal,
            "Goal_Scored",
            vec![player(PlayerRole::ACTOR, Team::Home, 9, None)],
        );
        goal.clock = Some(GameClock::from_remaining_ms(600_000));
        let stats = game_stats(&[goal], &stints);
        let get = |team, n| stats.players[&PlayerKey { team, number: n }];
        assert_eq!(
            (get(Team::Home, 9).toi_s, get(Team::Home, 9).shifts),
            (580, 1)
        );
        assert_eq!(
            (get(Team::Away, 3).toi_s, get(Team::Away, 3).shifts),
            (880, 2)
        );
        assert_eq!(get(Team::Home, 9).plus_minus, 1);
        assert_eq!(get(Team::Away, 4).plus_minus, -1);
        assert_eq!(get(Team::Away, 3).plus_minus, 0);
        assert_eq!(get(Team::Home, 1).plus_minus, 0, "goalies are left out");
        assert_eq!(stats.stint_seconds, 1080);
    }
}
