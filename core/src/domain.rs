//! Small domain values shared by every stage: teams, periods, confidence and its review band,
//! zones, where an event came from, media time and the game clock.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a domain value could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    #[error("confidence {0} is not a number in [0, 1]")]
    Confidence(f64),
    #[error("period {0} is out of range 1..={MAX_PERIOD}")]
    Period(u64),
    #[error("{0:?} is not a team (expected \"home\" or \"away\")")]
    Team(String),
    #[error("{0:?} is not a zone (expected \"o\", \"d\" or \"n\")")]
    Zone(String),
    #[error("{0:?} is not a game clock (expected \"MM:SS\" or \"MM:SS.ff\")")]
    Clock(String),
    #[error("{0:?} is not a colour (expected \"#rrggbb\")")]
    Colour(String),
}

/// A colour as `#rrggbb`, e.g. a team's jersey colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::Colour(text.chars().take(16).collect());
        let hex = text.strip_prefix('#').ok_or_else(bad)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Self {
            r: channel(0)?,
            g: channel(2)?,
            b: channel(4)?,
        })
    }
}

impl TryFrom<String> for Rgb {
    type Error = DomainError;
    fn try_from(text: String) -> Result<Self, DomainError> {
        Self::parse(&text)
    }
}

impl From<Rgb> for String {
    fn from(colour: Rgb) -> String {
        colour.to_string()
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// Home or away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Team {
    Home,
    Away,
}

impl Team {
    pub const BOTH: [Team; 2] = [Team::Home, Team::Away];

    pub fn opponent(self) -> Team {
        match self {
            Team::Home => Team::Away,
            Team::Away => Team::Home,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Team::Home => "home",
            Team::Away => "away",
        }
    }
}

impl FromStr for Team {
    type Err = DomainError;
    fn from_str(value: &str) -> Result<Self, DomainError> {
        match value {
            "home" => Ok(Team::Home),
            "away" => Ok(Team::Away),
            other => Err(DomainError::Team(other.to_owned())),
        }
    }
}

impl fmt::Display for Team {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The highest period number accepted (three regulation periods and overtimes).
pub const MAX_PERIOD: u8 = 10;

/// A period of play, numbered from 1; numbers above 3 are overtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u8")]
pub struct Period(u8);

impl Period {
    pub const FIRST: Period = Period(1);

    pub fn new(number: u64) -> Result<Self, DomainError> {
        match u8::try_from(number) {
            Ok(n @ 1..=MAX_PERIOD) => Ok(Self(n)),
            _ => Err(DomainError::Period(number)),
        }
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// Teams switch ends every period, so odd periods share the first period's direction.
    pub fn same_ends_as_first(self) -> bool {
        self.0 % 2 == 1
    }
}

impl TryFrom<u64> for Period {
    type Error = DomainError;
    fn try_from(number: u64) -> Result<Self, DomainError> {
        Self::new(number)
    }
}

impl From<Period> for u8 {
    fn from(period: Period) -> u8 {
        period.0
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How sure the producer is of an event, in [0, 1]. Imported events carry 1.0.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f32);

impl Confidence {
    pub const CERTAIN: Confidence = Confidence(1.0);

    pub fn new(value: f64) -> Result<Self, DomainError> {
        if (0.0..=1.0).contains(&value) {
            // In range, so the narrowing keeps the value within [0, 1].
            Ok(Self(value as f32))
        } else {
            Err(DomainError::Confidence(value))
        }
    }

    pub fn get(self) -> f32 {
        self.0
    }

    /// Where the review policy puts an event of this confidence (DESIGN.md §3).
    pub fn review_band(self) -> ReviewBand {
        if self.0 >= ReviewBand::ACCEPT_AT {
            ReviewBand::Accepted
        } else if self.0 >= ReviewBand::REVIEW_AT {
            ReviewBand::NeedsReview
        } else {
            ReviewBand::Hidden
        }
    }
}

impl TryFrom<f64> for Confidence {
    type Error = DomainError;
    fn try_from(value: f64) -> Result<Self, DomainError> {
        Self::new(value)
    }
}

impl From<Confidence> for f64 {
    fn from(confidence: Confidence) -> f64 {
        f64::from(confidence.0)
    }
}

/// The review policy's three bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewBand {
    /// ≥ 0.90: counted in statistics without a human look.
    Accepted,
    /// 0.70–0.90: counted, and queued for a reviewer.
    NeedsReview,
    /// < 0.70: kept, but hidden from statistics.
    Hidden,
}

impl ReviewBand {
    pub const ACCEPT_AT: f32 = 0.90;
    pub const REVIEW_AT: f32 = 0.70;

    pub fn counts_in_stats(self) -> bool {
        !matches!(self, ReviewBand::Hidden)
    }
}

/// A zone from the acting team's point of view: offensive, defensive or neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Zone {
    #[serde(rename = "o")]
    Offensive,
    #[serde(rename = "d")]
    Defensive,
    #[serde(rename = "n")]
    Neutral,
}

impl Zone {
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Offensive => "o",
            Zone::Defensive => "d",
            Zone::Neutral => "n",
        }
    }

    /// The same ice seen from the other team's bench.
    pub fn for_opponent(self) -> Zone {
        match self {
            Zone::Offensive => Zone::Defensive,
            Zone::Defensive => Zone::Offensive,
            Zone::Neutral => Zone::Neutral,
        }
    }
}

impl FromStr for Zone {
    type Err = DomainError;
    fn from_str(value: &str) -> Result<Self, DomainError> {
        match value {
            "o" => Ok(Zone::Offensive),
            "d" => Ok(Zone::Defensive),
            "n" => Ok(Zone::Neutral),
            other => Err(DomainError::Zone(other.to_owned())),
        }
    }
}

/// Who produced an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Derived by an appliance from video.
    Auto,
    /// Tracked by hand (imported tracker files) or added by a reviewer.
    Manual,
}

/// A position in the video, in milliseconds from the start of the game's recording.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MediaTimeMs(pub u64);

/// The game clock: time remaining in the period, counting down, in milliseconds. Appliances do
/// not know it (it stays `None` on their events); hand-tracked games carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GameClock {
    remaining_ms: u32,
}

impl GameClock {
    pub fn from_remaining_ms(remaining_ms: u32) -> Self {
        Self { remaining_ms }
    }

    pub fn remaining_ms(self) -> u32 {
        self.remaining_ms
    }

    /// Parses the tracker's countdown strings: `"17:49"`, `"0:05"`, and the odd end-of-period
    /// forms such as `"00:0.01"` (seconds with a fraction). Blank strings are not clocks: callers
    /// treat them as unknown.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::Clock(text.chars().take(40).collect());
        let (minutes, seconds) = text.trim().split_once(':').ok_or_else(bad)?;
        if minutes.is_empty()
            || seconds.is_empty()
            || !minutes.bytes().all(|b| b.is_ascii_digit())
            || !seconds.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            return Err(bad());
        }
        let minutes: u32 = minutes.parse().map_err(|_| bad())?;
        let seconds: f64 = seconds.parse().map_err(|_| bad())?;
        if minutes > 99 || !(0.0..60.0).contains(&seconds) {
            return Err(bad());
        }
        let seconds_ms = (seconds * 1000.0).round() as u32;
        Ok(Self::from_remaining_ms(minutes * 60_000 + seconds_ms))
    }
}

impl fmt::Display for GameClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_s = self.remaining_ms / 1000;
        write!(f, "{:02}:{:02}", total_s / 60, total_s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_bands_follow_the_review_policy() {
        let band = |v| Confidence::new(v).unwrap().review_band();
        assert_eq!(band(1.0), ReviewBand::Accepted);
        assert_eq!(band(0.90), ReviewBand::Accepted);
        assert_eq!(band(0.89), ReviewBand::NeedsReview);
        assert_eq!(band(0.70), ReviewBand::NeedsReview);
        assert_eq!(band(0.69), ReviewBand::Hidden);
        assert!(!band(0.1).counts_in_stats());
    }

    #[test]
    fn confidence_rejects_out_of_range_and_nan() {
        for bad in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
            assert!(Confidence::new(bad).is_err(), "{bad} accepted");
        }
        assert!(serde_json::from_str::<Confidence>("1.5").is_err());
    }

    #[test]
    fn periods_alternate_ends() {
        assert!(Period::new(1).unwrap().same_ends_as_first());
        assert!(!Period::new(2).unwrap().same_ends_as_first());
        assert!(Period::new(3).unwrap().same_ends_as_first());
        assert!(Period::new(0).is_err());
        assert!(Period::new(11).is_err());
        assert!(Period::new(u64::from(u8::MAX) + 2).is_err());
    }

    #[test]
    fn game_clock_parses_tracker_strings() {
        assert_eq!(GameClock::parse("17:49").unwrap().remaining_ms(), 1_069_000);
        assert_eq!(GameClock::parse("00:0.01").unwrap().remaining_ms(), 10);
        assert_eq!(GameClock::parse("0:05").unwrap().to_string(), "00:05");
        for bad in [
            "", "  ", "17", ":30", "12:", "1:60", "a:10", "-1:00", "1:2:3",
        ] {
            assert!(GameClock::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn colours_parse_as_hex() {
        let red = Rgb::parse("#C8102E").unwrap();
        assert_eq!((red.r, red.g, red.b), (200, 16, 46));
        assert_eq!(red.to_string(), "#c8102e");
        for bad in ["C8102E", "#c8102", "#c8102e0", "#gg0000", ""] {
            assert!(Rgb::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn zones_and_teams_mirror() {
        assert_eq!(Zone::Offensive.for_opponent(), Zone::Defensive);
        assert_eq!(Zone::Neutral.for_opponent(), Zone::Neutral);
        assert_eq!(Team::Home.opponent(), Team::Away);
        assert_eq!("o".parse::<Zone>().unwrap(), Zone::Offensive);
        assert_eq!(serde_json::to_string(&Zone::Defensive).unwrap(), "\"d\"");
    }
}
