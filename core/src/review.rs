//! Human review of a game's events: what accepting, editing or adding an event makes of it, how a
//! penalty's length is written, and whether a game's derived score agrees with its official
//! score so that it can be locked. A reviewed event is as certain as a hand-tracked one
//! (confidence 1.0), so the statistics count it whatever the engine's confidence was.

use serde::{Deserialize, Serialize};

use crate::domain::{Confidence, GameClock, MediaTimeMs, Period, Source, Team};
use crate::event::{EventPlayer, GameEvent, PlayerRole};
use crate::ids::{EventId, GameId};
use crate::vocabulary::{Detail, EventType};

/// Why a review step cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("a penalty lasts 2, 4, 5 or 10 minutes; got {0}")]
    PenaltyLength(u32),
    #[error(
        "the score derived from the events is {derived_home}–{derived_away}, the official score {official_home}–{official_away}: review the goals first"
    )]
    ScoreMismatch {
        derived_home: u32,
        derived_away: u32,
        official_home: u32,
        official_away: u32,
    },
    #[error("an event needs a media time or a game clock")]
    NoTime,
}

/// A reviewer's change to an event's facts; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventEdit {
    #[serde(default, rename = "type")]
    pub event_type: Option<EventType>,
    #[serde(default)]
    pub detail1: Option<Detail>,
    #[serde(default)]
    pub detail2: Option<Detail>,
    #[serde(default)]
    pub team: Option<Team>,
    #[serde(default)]
    pub period: Option<Period>,
    /// The jersey number of the actor (shooter, scorer, winner, …).
    #[serde(default)]
    pub actor_number: Option<u16>,
}

/// The event as a reviewer confirmed it.
pub fn accepted(event: &GameEvent) -> GameEvent {
    GameEvent {
        confidence: Confidence::CERTAIN,
        ..event.clone()
    }
}

/// The event with a reviewer's corrections, certain from now on.
pub fn edited(event: &GameEvent, edit: &EventEdit) -> GameEvent {
    let mut event = accepted(event);
    if let Some(kind) = edit.event_type {
        event.event_type = kind;
    }
    if let Some(detail) = &edit.detail1 {
        event.detail1 = Some(detail.clone());
    }
    if let Some(detail) = &edit.detail2 {
        event.detail2 = Some(detail.clone());
    }
    if let Some(team) = edit.team {
        event.team = Some(team);
        for player in &mut event.players {
            if player.role.is_event_side() {
                player.team = team;
            } else {
                player.team = team.opponent();
            }
        }
    }
    if let Some(period) = edit.period {
        event.period = period;
    }
    if let Some(number) = edit.actor_number {
        set_actor_number(&mut event, number);
    }
    event
}

fn set_actor_number(event: &mut GameEvent, number: u16) {
    if let Some(actor) = event
        .players
        .iter_mut()
        .find(|p| p.role == PlayerRole::ACTOR)
    {
        actor.number = Some(number);
    } else if let Some(team) = event.team {
        event.players.push(EventPlayer {
            role: PlayerRole::ACTOR,
            team,
            number: Some(number),
            track_id: None,
            position: None,
            play_detail1: None,
            play_detail2: None,
        });
    }
}

/// An event the engine missed, as a reviewer enters it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedEvent {
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(default)]
    pub detail1: Option<Detail>,
    #[serde(default)]
    pub detail2: Option<Detail>,
    pub team: Team,
    pub period: Period,
    #[serde(default)]
    pub media_time_ms: Option<MediaTimeMs>,
    #[serde(default)]
    pub clock: Option<GameClock>,
    #[serde(default)]
    pub actor_number: Option<u16>,
    /// For a penalty: its length in minutes (2, 4, 5 or 10), which says the strength.
    #[serde(default)]
    pub penalty_minutes: Option<u32>,
}

/// The detail that states a penalty's length: minor 2, double minor 4, major 5, misconduct 10.
pub fn penalty_detail(minutes: u32) -> Result<Detail, ReviewError> {
    let name = match minutes {
        2 => "Penalty_Minor",
        4 => "Penalty_DoubleMinor",
        5 => "Penalty_Major",
        10 => "Penalty_Misconduct",
        other => return Err(ReviewError::PenaltyLength(other)),
    };
    Detail::parse(name).map_err(|_| ReviewError::PenaltyLength(minutes))
}

/// The events that record a missed one: a goal is logged as BenchSight does (`Shot` /
/// `Shot_Goal` followed by `Goal` / `Goal_Scored`), anything else as one event. `ids` gives
/// each new event its id.
pub fn missed_events(
    game: &GameId,
    missed: &MissedEvent,
    mut ids: impl FnMut() -> EventId,
) -> Result<Vec<GameEvent>, ReviewError> {
    if missed.media_time_ms.is_none() && missed.clock.is_none() {
        return Err(ReviewError::NoTime);
    }
    let detail1 = match (missed.event_type, missed.penalty_minutes) {
        (EventType::Penalty, Some(minutes)) => Some(penalty_detail(minutes)?),
        _ => missed.detail1.clone(),
    };
    let base = GameEvent {
        event_id: ids(),
        game_id: game.clone(),
        event_type: missed.event_type,
        detail1,
        detail2: missed.detail2.clone(),
        team: Some(missed.team),
        period: missed.period,
        media_time_ms: missed.media_time_ms,
        clock: missed.clock,
        zone: None,
        puck: None,
        players: Vec::new(),
        confidence: Confidence::CERTAIN,
        source: Source::Manual,
        evidence: None,
        assist_to_goal: None,
    };
    let mut events = if missed.event_type == EventType::Goal {
        let shot = GameEvent {
            event_type: EventType::Shot,
            detail1: Some(Detail::SHOT_GOAL),
            ..base.clone()
        };
        let goal = GameEvent {
            event_id: ids(),
            detail1: Some(Detail::GOAL_SCORED),
            ..base
        };
        vec![shot, goal]
    } else {
        vec![base]
    };
    if let Some(number) = missed.actor_number {
        for event in &mut events {
            set_actor_number(event, number);
        }
    }
    Ok(events)
}

/// A game may be locked once its derived score is the official one.
pub fn check_official_score(derived: (u32, u32), official: (u32, u32)) -> Result<(), ReviewError> {
    if derived == official {
        Ok(())
    } else {
        Err(ReviewError::ScoreMismatch {
            derived_home: derived.0,
            derived_away: derived.1,
            official_home: official.0,
            official_away: official.1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> GameEvent {
        GameEvent {
            event_id: EventId::appliance(1_764_000_000_000, [1; 10]),
            game_id: GameId::parse("g").unwrap(),
            event_type: EventType::Shot,
            detail1: Some(Detail::SHOT_ON_NET_SAVED),
            detail2: None,
            team: Some(Team::Home),
            period: Period::FIRST,
            media_time_ms: Some(MediaTimeMs(61_000)),
            clock: None,
            zone: None,
            puck: None,
            players: vec![EventPlayer {
                role: PlayerRole::OPPONENT,
                team: Team::Away,
                number: Some(30),
                track_id: Some(4),
                position: None,
                play_detail1: None,
                play_detail2: None,
            }],
            confidence: Confidence::new(0.75).unwrap(),
            source: Source::Auto,
            evidence: None,
            assist_to_goal: None,
        }
    }

    #[test]
    fn an_edit_changes_what_it_names_and_makes_the_event_certain() {
        let edit = EventEdit {
            detail1: Some(Detail::SHOT_MISSED),
            team: Some(Team::Away),
            actor_number: Some(17),
            ..EventEdit::default()
        };
        let fixed = edited(&event(), &edit);
        assert_eq!(fixed.detail1, Some(Detail::SHOT_MISSED));
        assert_eq!(fixed.team, Some(Team::Away));
        assert_eq!(fixed.confidence, Confidence::CERTAIN);
        let actor = fixed.player(PlayerRole::ACTOR).unwrap();
        assert_eq!((actor.number, actor.team), (Some(17), Team::Away));
        // The goalie facing the shot switches sides with the shooting team.
        assert_eq!(fixed.player(PlayerRole::OPPONENT).unwrap().team, Team::Home);
        assert_eq!(fixed.media_time_ms, event().media_time_ms);
    }

    #[test]
    fn a_missed_goal_is_logged_as_a_shot_and_a_goal_and_penalties_carry_their_length() {
        let mut n = 0u8;
        let mut ids = || {
            n += 1;
            EventId::appliance(1_764_000_000_000, [n; 10])
        };
        let goal = MissedEvent {
            event_type: EventType::Goal,
            detail1: None,
            detail2: None,
            team: Team::Away,
            period: Period::new(2).unwrap(),
            media_time_ms: Some(MediaTimeMs(90_000)),
            clock: None,
            actor_number: Some(9),
            penalty_minutes: None,
        };
        let events = missed_events(&GameId::parse("g").unwrap(), &goal, &mut ids).unwrap();
        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.event_type, e.detail1.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (EventType::Shot, Some(Detail::SHOT_GOAL)),
                (EventType::Goal, Some(Detail::GOAL_SCORED))
            ]
        );
        assert_ne!(events[0].event_id, events[1].event_id);
        assert!(events.iter().all(|e| e.source == Source::Manual));
        let penalty = MissedEvent {
            event_type: EventType::Penalty,
            penalty_minutes: Some(5),
            ..goal.clone()
        };
        let events = missed_events(&GameId::parse("g").unwrap(), &penalty, &mut ids).unwrap();
        assert_eq!(
            events[0].detail1.as_ref().unwrap().as_str(),
            "Penalty_Major"
        );
        let odd = MissedEvent {
            penalty_minutes: Some(3),
            ..penalty.clone()
        };
        assert_eq!(
            missed_events(&GameId::parse("g").unwrap(), &odd, &mut ids),
            Err(ReviewError::PenaltyLength(3))
        );
        let timeless = MissedEvent {
            media_time_ms: None,
            ..goal
        };
        assert_eq!(
            missed_events(&GameId::parse("g").unwrap(), &timeless, &mut ids),
            Err(ReviewError::NoTime)
        );
    }

    #[test]
    fn a_game_locks_only_on_its_official_score() {
        assert_eq!(check_official_score((4, 3), (4, 3)), Ok(()));
        assert!(matches!(
            check_official_score((4, 2), (4, 3)),
            Err(ReviewError::ScoreMismatch { .. })
        ));
    }
}
