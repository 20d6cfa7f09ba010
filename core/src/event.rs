//! The game event: one BenchSight event with its players, place, time, confidence and the
//! evidence behind it. The same type describes events derived by an appliance and events imported
//! from hand-tracked games; it is what the wire carries and what the ETL reads.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::{Confidence, GameClock, MediaTimeMs, Period, Source, Team, Zone};
use crate::ids::{EventId, GameId};
use crate::rink::RinkPoint;
use crate::vocabulary::{Detail, EventType};

/// Why a player role could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a player role (expected event_player_N or opp_player_N with N in 1..=9, \
     or the tracker's event_team_player_N / opp_team_player_N)"
)]
pub struct RoleError(String);

/// Which side of an event a player is on, and their rank there.
///
/// `EventPlayer(1)` is the actor (shooter, passer, faceoff winner, scorer, the goalie on a save);
/// `EventPlayer(2)` a pass target; `OppPlayer(1)` the opponent (faceoff loser, blocker, the goalie
/// facing a shot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PlayerRole {
    EventPlayer(u8),
    OppPlayer(u8),
}

impl PlayerRole {
    pub const ACTOR: PlayerRole = PlayerRole::EventPlayer(1);
    pub const OPPONENT: PlayerRole = PlayerRole::OppPlayer(1);

    pub fn parse(text: &str) -> Result<Self, RoleError> {
        let bad = || RoleError(text.chars().take(40).collect());
        let (side, rank) = text.rsplit_once('_').ok_or_else(bad)?;
        let rank: u8 = rank.parse().map_err(|_| bad())?;
        if !(1..=9).contains(&rank) {
            return Err(bad());
        }
        match side {
            "event_player" | "event_team_player" => Ok(PlayerRole::EventPlayer(rank)),
            "opp_player" | "opp_team_player" => Ok(PlayerRole::OppPlayer(rank)),
            _ => Err(bad()),
        }
    }

    /// True for the acting side (`event_player_N`).
    pub fn is_event_side(self) -> bool {
        matches!(self, PlayerRole::EventPlayer(_))
    }
}

impl fmt::Display for PlayerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlayerRole::EventPlayer(n) => write!(f, "event_player_{n}"),
            PlayerRole::OppPlayer(n) => write!(f, "opp_player_{n}"),
        }
    }
}

impl FromStr for PlayerRole {
    type Err = RoleError;
    fn from_str(text: &str) -> Result<Self, RoleError> {
        Self::parse(text)
    }
}

impl TryFrom<String> for PlayerRole {
    type Error = RoleError;
    fn try_from(text: String) -> Result<Self, RoleError> {
        Self::parse(&text)
    }
}

impl From<PlayerRole> for String {
    fn from(role: PlayerRole) -> String {
        role.to_string()
    }
}

/// A player taking part in an event. Appliances know track ids (a jersey number only when one
/// was recognised); hand-tracked games know jersey numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPlayer {
    pub role: PlayerRole,
    pub team: Team,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<RinkPoint>,
    /// The tracker's micro-stat on this player's row (`playD1`, e.g. `AssistPrimary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_detail1: Option<Detail>,
    /// The tracker's second micro-stat (`playD2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_detail2: Option<Detail>,
}

/// What an automatically derived event rests on, so a reviewer can check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub first_frame: u64,
    pub last_frame: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub puck_positions: Vec<RinkPoint>,
}

/// One event of a game in BenchSight's vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameEvent {
    pub event_id: EventId,
    pub game_id: GameId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail1: Option<Detail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail2: Option<Detail>,
    /// The acting team; `None` for events of the game itself (GameStart, Intermission, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    pub period: Period,
    /// Position in the recording; appliances always set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_time_ms: Option<MediaTimeMs>,
    /// The game clock (time remaining in the period); unknown to a camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<GameClock>,
    /// Zone from the acting team's point of view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Zone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub puck: Option<RinkPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub players: Vec<EventPlayer>,
    pub confidence: Confidence,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The goal this event (a pass or zone entry) set up, when a tracker linked it
    /// (`assistToGoalIdx`): where the passer's `AssistPrimary` / `AssistSecondary` counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assist_to_goal: Option<EventId>,
}

impl GameEvent {
    /// The player in a role, if the event names one.
    pub fn player(&self, role: PlayerRole) -> Option<&EventPlayer> {
        self.players.iter().find(|p| p.role == role)
    }

    /// True when `detail1` is exactly `detail`.
    pub fn has_detail1(&self, detail: &Detail) -> bool {
        self.detail1.as_ref() == Some(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_accept_both_tracker_spellings() {
        assert_eq!(
            PlayerRole::parse("event_player_1").unwrap(),
            PlayerRole::ACTOR
        );
        assert_eq!(
            PlayerRole::parse("event_team_player_2").unwrap(),
            PlayerRole::EventPlayer(2)
        );
        assert_eq!(
            PlayerRole::parse("opp_team_player_1").unwrap(),
            PlayerRole::OPPONENT
        );
        assert_eq!(PlayerRole::OPPONENT.to_string(), "opp_player_1");
        for bad in [
            "event_player_0",
            "event_player_10",
            "player_1",
            "opp_player",
            "",
        ] {
            assert!(PlayerRole::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
