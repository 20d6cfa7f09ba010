//! BenchSight's event vocabulary: event types and detail names with their exact wire spellings
//! (`shared/data/benchsight/VOCABULARY.md`).
//!
//! Types are a closed enum: every consumer must handle each one. Details are open-ended names
//! (the tracker grows new ones), normalised once at the boundary (`-` and `/` become `_`) and
//! offered as constants for the ones the system itself produces or counts.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a type or detail name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabularyError {
    #[error("{0:?} is not a BenchSight event type")]
    UnknownType(String),
    #[error("detail {0:?} is empty or longer than {MAX_DETAIL_LEN} bytes")]
    DetailLength(String),
    #[error("detail {0:?} may only contain ASCII letters, digits and '_' after normalisation")]
    DetailCharacter(String),
}

macro_rules! event_types {
    ($($variant:ident => $wire:literal,)*) => {
        /// The `type` of a BenchSight event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventType {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The exact spelling used by the tracker and on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $wire,)*
                }
            }
        }

        impl FromStr for EventType {
            type Err = VocabularyError;
            fn from_str(value: &str) -> Result<Self, VocabularyError> {
                match normalise_name(value).as_str() {
                    $($wire => Ok(EventType::$variant),)*
                    _ => Err(VocabularyError::UnknownType(value.chars().take(64).collect())),
                }
            }
        }
    };
}

event_types! {
    Faceoff => "Faceoff",
    Shot => "Shot",
    Goal => "Goal",
    Save => "Save",
    Rebound => "Rebound",
    ZoneEntryExit => "Zone_Entry_Exit",
    Pass => "Pass",
    Turnover => "Turnover",
    Possession => "Possession",
    Stoppage => "Stoppage",
    Penalty => "Penalty",
    PenaltyDelayed => "Penalty_Delayed",
    DeadIce => "DeadIce",
    LoosePuck => "LoosePuck",
    Play => "Play",
    GameStart => "GameStart",
    GameEnd => "GameEnd",
    Intermission => "Intermission",
    Clockstop => "Clockstop",
    Timeout => "Timeout",
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Normalises the tracker's spelling variants: `-` and `/` become `_`, surrounding blanks go.
pub fn normalise_name(value: &str) -> String {
    value.trim().replace(['-', '/'], "_")
}

/// The longest detail name accepted, in bytes.
pub const MAX_DETAIL_LEN: usize = 64;

/// A `detail1` / `detail2` name in its normalised BenchSight spelling, e.g. `Shot_OnNetSaved`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Detail(Cow<'static, str>);

impl Detail {
    /// Parses and normalises a detail name (`Pass-Forehand` → `Pass_Forehand`).
    pub fn parse(value: &str) -> Result<Self, VocabularyError> {
        let name = normalise_name(value);
        if name.is_empty() || name.len() > MAX_DETAIL_LEN {
            return Err(VocabularyError::DetailLength(
                value.chars().take(80).collect(),
            ));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(VocabularyError::DetailCharacter(
                value.chars().take(80).collect(),
            ));
        }
        Ok(Self(Cow::Owned(name)))
    }

    /// Parses an optional detail: blank strings (common in tracker files) mean "none".
    pub fn parse_optional(value: &str) -> Result<Option<Self>, VocabularyError> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(value).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    const fn known(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    pub const FACEOFF: Detail = Detail::known("Faceoff");
    pub const FACEOFF_AFTER_STOPPAGE: Detail = Detail::known("Faceoff_AfterStoppage");
    pub const FACEOFF_AFTER_GOAL: Detail = Detail::known("Faceoff_AfterGoal");
    pub const FACEOFF_AFTER_PENALTY: Detail = Detail::known("Faceoff_AfterPenalty");
    pub const FACEOFF_PERIOD_START: Detail = Detail::known("Faceoff_PeriodStart");
    pub const FACEOFF_GAME_START: Detail = Detail::known("Faceoff_GameStart");

    pub const SHOT_ON_NET_SAVED: Detail = Detail::known("Shot_OnNetSaved");
    pub const SHOT_BLOCKED: Detail = Detail::known("Shot_Blocked");
    pub const SHOT_MISSED: Detail = Detail::known("Shot_Missed");
    pub const SHOT_GOAL: Detail = Detail::known("Shot_Goal");
    pub const SHOT_DEFLECTED: Detail = Detail::known("Shot_Deflected");
    pub const SHOT_HIT_POST: Detail = Detail::known("Shot_HitPost");

    pub const GOAL_SCORED: Detail = Detail::known("Goal_Scored");

    pub const SAVE_REBOUND: Detail = Detail::known("Save_Rebound");
    pub const SAVE_FREEZE: Detail = Detail::known("Save_Freeze");
    pub const SAVE_PLAYED: Detail = Detail::known("Save_Played");

    pub const ZONE_ENTRY: Detail = Detail::known("Zone_Entry");
    pub const ZONE_EXIT: Detail = Detail::known("Zone_Exit");
    pub const ZONE_ENTRY_CARRIED: Detail = Detail::known("ZoneEntry_Carried");
    pub const ZONE_ENTRY_DUMP_IN: Detail = Detail::known("ZoneEntry_DumpIn");
    pub const ZONE_ENTRY_PASS: Detail = Detail::known("ZoneEntry_Pass");
    pub const ZONE_EXIT_CARRIED: Detail = Detail::known("ZoneExit_Carried");
    pub const ZONE_EXIT_PASS: Detail = Detail::known("ZoneExit_Pass");
    pub const ZONE_EXIT_CLEAR: Detail = Detail::known("ZoneExit_Clear");

    pub const TURNOVER_GIVEAWAY: Detail = Detail::known("Turnover_Giveaway");
    pub const TURNOVER_TAKEAWAY: Detail = Detail::known("Turnover_Takeaway");

    pub const POSSESSION_PUCK_RECOVERY: Detail = Detail::known("Possession_PuckRecovery");

    pub const STOPPAGE_PLAY: Detail = Detail::known("Stoppage_Play");
    pub const STOPPAGE_PERIOD_END: Detail = Detail::known("Stoppage_PeriodEnd");
    pub const STOPPAGE_GAME_END: Detail = Detail::known("Stoppage_GameEnd");
    pub const STOPPAGE_GOAL: Detail = Detail::known("Stoppage_Goal");
    pub const STOPPAGE_GOALIE_STOPPAGE: Detail = Detail::known("Stoppage_GoalieStoppage");
    pub const STOPPAGE_ICING: Detail = Detail::known("Stoppage_Icing");

    pub const PASS_COMPLETED: Detail = Detail::known("Pass_Completed");
    pub const PASS_INTERCEPTED: Detail = Detail::known("Pass_Intercepted");
}

impl FromStr for Detail {
    type Err = VocabularyError;
    fn from_str(value: &str) -> Result<Self, VocabularyError> {
        Self::parse(value)
    }
}

impl TryFrom<String> for Detail {
    type Error = VocabularyError;
    fn try_from(value: String) -> Result<Self, VocabularyError> {
        Self::parse(&value)
    }
}

impl From<Detail> for String {
    fn from(detail: Detail) -> String {
        detail.as_str().to_owned()
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_with_exact_spellings() {
        for &event_type in EventType::ALL {
            let json = serde_json::to_string(&event_type).unwrap();
            assert_eq!(json, format!("\"{}\"", event_type.as_str()));
            assert_eq!(
                serde_json::from_str::<EventType>(&json).unwrap(),
                event_type
            );
            assert_eq!(
                event_type.as_str().parse::<EventType>().unwrap(),
                event_type
            );
        }
        assert_eq!(
            "Zone-Entry-Exit".parse::<EventType>().unwrap(),
            EventType::ZoneEntryExit
        );
        assert!("Hit".parse::<EventType>().is_err());
    }

    #[test]
    fn details_normalise_tracker_spelling_variants() {
        assert_eq!(
            Detail::parse("Pass-Forehand").unwrap().as_str(),
            "Pass_Forehand"
        );
        assert_eq!(
            Detail::parse("Giveaway_ZoneClear/Dump").unwrap().as_str(),
            "Giveaway_ZoneClear_Dump"
        );
        assert_eq!(
            Detail::parse("Zone_Exit-Failed").unwrap(),
            Detail::parse("Zone_Exit_Failed").unwrap()
        );
        assert_eq!(Detail::parse_optional("  ").unwrap(), None);
        assert!(Detail::parse("Shot Wrist").is_err());
        assert!(Detail::parse(&"x".repeat(MAX_DETAIL_LEN + 1)).is_err());
    }

    #[test]
    fn known_details_equal_their_parsed_spelling() {
        assert_eq!(Detail::parse("Shot_Goal").unwrap(), Detail::SHOT_GOAL);
        assert_eq!(
            serde_json::to_string(&Detail::ZONE_ENTRY_DUMP_IN).unwrap(),
            "\"ZoneEntry_DumpIn\""
        );
    }
}
