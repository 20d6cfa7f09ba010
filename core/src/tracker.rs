//! BenchSight tracker save files (hand-tracked games, `shared/data/benchsight/games/*.json`)
//! read into the system's own types: teams and rosters, events with their players, places and
//! links, and line stints.
//!
//! The files vary: detail spellings (`Pass-Forehand` / `Pass_Forehand`), both role spellings,
//! blank or odd clock strings, and two coordinate frames — decided once per file (any point with
//! |x| > 120 or |y| > 50 means the tracker's drawing frame, origin top-left, for every point).
//! Imported events are `Source::Manual`, confidence 1.0, with ids derived from (tenant, game,
//! tracker index), so importing the same file twice yields the same events.

use serde_json::Value;

use crate::domain::{Confidence, GameClock, Period, Rgb, Source, Team, Zone};
use crate::event::{EventPlayer, GameEvent, PlayerRole};
use crate::ids::{EventId, GameId, TenantId};
use crate::rink::RinkPoint;
use crate::stats::{Stint, StintSlot};
use crate::vocabulary::{Detail, EventType};

/// Why a file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    #[error("not a tracker save file: {0}")]
    Json(String),
    #[error("tracker file: {field} {problem}")]
    Field { field: String, problem: String },
}

fn field_error(field: impl Into<String>, problem: impl Into<String>) -> TrackerError {
    TrackerError::Field {
        field: field.into(),
        problem: problem.into(),
    }
}

/// One rostered player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub number: u16,
    pub name: String,
    pub position: String,
}

/// A team as the tracker knew it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSheet {
    pub name: String,
    pub colour: Option<Rgb>,
    pub roster: Vec<RosterEntry>,
}

/// A tracker game, read.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerGame {
    pub game_id: GameId,
    pub home: TeamSheet,
    pub away: TeamSheet,
    pub home_attacks_right_p1: bool,
    /// Regulation period lengths in seconds.
    pub period_lengths_s: Vec<u32>,
    pub events: Vec<GameEvent>,
    pub stints: Vec<Stint>,
    /// Events that could not be read (an unknown type, say), with the reason; the rest of the
    /// file is imported.
    pub skipped: Vec<String>,
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(value: &Value, key: &str) -> Option<f64> {
    match value.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Which coordinate frame a file uses, decided from all of its points at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    CentreFeet,
    Drawing,
}

impl Frame {
    fn of(file: &Value) -> Self {
        let mut points = Vec::new();
        for event in file
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_points(event.get("puckXY"), &mut points);
            collect_points(event.get("netXY"), &mut points);
            for player in event
                .get("players")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect_points(player.get("xy"), &mut points);
            }
        }
        if points
            .iter()
            .any(|(x, y)| x.abs() > 120.0 || y.abs() > 50.0)
        {
            Frame::Drawing
        } else {
            Frame::CentreFeet
        }
    }

    fn point(self, x: f64, y: f64) -> Option<RinkPoint> {
        let (x, y) = match self {
            Frame::CentreFeet => (x, y),
            // The drawing frame's origin is the top-left corner of the rink.
            Frame::Drawing => (x - 100.0, y - 42.5),
        };
        RinkPoint::new(x, y).ok()
    }
}

fn collect_points(value: Option<&Value>, out: &mut Vec<(f64, f64)>) {
    let Some(value) = value else {
        return;
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        _ => Vec::new(),
    };
    out.extend(
        items
            .into_iter()
            .filter_map(|p| Some((number(p, "x")?, number(p, "y")?))),
    );
}

/// The first point of an `xy` / `puckXY` list, in rink feet.
fn first_point(value: Option<&Value>, frame: Frame) -> Option<RinkPoint> {
    let mut points = Vec::new();
    collect_points(value, &mut points);
    points.first().and_then(|&(x, y)| frame.point(x, y))
}

fn team(value: &str) -> Option<Team> {
    match value.trim().to_ascii_lowercase().as_str() {
        "home" => Some(Team::Home),
        "away" => Some(Team::Away),
        _ => None,
    }
}

fn clock(value: &str) -> Option<GameClock> {
    if value.trim().is_empty() {
        None
    } else {
        GameClock::parse(value).ok()
    }
}

fn team_sheet(file: &Value, side: &str) -> Result<TeamSheet, TrackerError> {
    let name = text(file, &format!("{side}Team")).trim().to_owned();
    if name.is_empty() {
        return Err(field_error(format!("{side}Team"), "is missing"));
    }
    let roster = file
        .get("rosters")
        .and_then(|r| r.get(side))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some(RosterEntry {
                number: u16::try_from(number(p, "num")? as i64).ok()?,
                name: text(p, "name").to_owned(),
                position: text(p, "pos").to_owned(),
            })
        })
        .collect();
    Ok(TeamSheet {
        name,
        colour: Rgb::parse(text(file, &format!("{side}Color"))).ok(),
        roster,
    })
}

/// Reads a tracker save file for `tenant`.
pub fn read_tracker_file(json: &str, tenant: &TenantId) -> Result<TrackerGame, TrackerError> {
    let file: Value = serde_json::from_str(json).map_err(|e| TrackerError::Json(e.to_string()))?;
    let game_id = match file.get("gameId") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => return Err(field_error("gameId", "is missing")),
    };
    let game_id = GameId::parse(&game_id).map_err(|e| field_error("gameId", e.to_string()))?;
    let period_lengths_s = ["1", "2", "3"]
        .iter()
        .map(|p| {
            file.get("periodLengths")
                .and_then(|l| number(l, p))
                .map_or(18 * 60, |minutes| (minutes * 60.0).round() as u32)
        })
        .collect();
    let frame = Frame::of(&file);
    let events_json = file
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| field_error("events", "is missing"))?;
    let id_of = |index: u64| EventId::imported(tenant, &game_id, index);
    let mut events = Vec::with_capacity(events_json.len());
    let mut skipped = Vec::new();
    for (position, event) in events_json.iter().enumerate() {
        let index = number(event, "idx").map_or(position as u64, |i| i as u64);
        match read_event(event, index, &game_id, frame, &id_of) {
            Ok(event) => events.push(event),
            Err(reason) => skipped.push(format!("event {index}: {reason}")),
        }
    }
    let stints = file
        .get("shifts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(read_stint)
        .collect();
    Ok(TrackerGame {
        home: team_sheet(&file, "home")?,
        away: team_sheet(&file, "away")?,
        home_attacks_right_p1: file
            .get("homeAttacksRightP1")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        period_lengths_s,
        events,
        stints,
        skipped,
        game_id,
    })
}

fn read_event(
    event: &Value,
    index: u64,
    game_id: &GameId,
    frame: Frame,
    id_of: &dyn Fn(u64) -> EventId,
) -> Result<GameEvent, String> {
    let event_type: EventType = text(event, "type").parse().map_err(|e| format!("{e}"))?;
    let detail = |key| Detail::parse_optional(text(event, key)).map_err(|e| e.to_string());
    let period = number(event, "period")
        .and_then(|p| Period::new(p as u64).ok())
        .ok_or("no period")?;
    let zone = match text(event, "zone").trim() {
        "o" => Some(Zone::Offensive),
        "d" => Some(Zone::Defensive),
        "n" => Some(Zone::Neutral),
        _ => None,
    };
    let players = event
        .get("players")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|player| {
            Some(EventPlayer {
                role: PlayerRole::parse(text(player, "role")).ok()?,
                team: team(text(player, "team"))?,
                number: number(player, "num").and_then(|n| u16::try_from(n as i64).ok()),
                track_id: None,
                position: first_point(player.get("xy"), frame),
                play_detail1: Detail::parse_optional(text(player, "playD1"))
                    .ok()
                    .flatten(),
                play_detail2: Detail::parse_optional(text(player, "playD2"))
                    .ok()
                    .flatten(),
            })
        })
        .collect();
    Ok(GameEvent {
        event_id: id_of(index),
        game_id: game_id.clone(),
        event_type,
        detail1: detail("detail1")?,
        detail2: detail("detail2")?,
        team: team(text(event, "team")),
        period,
        media_time_ms: None,
        clock: clock(text(event, "start_time")),
        zone,
        puck: first_point(event.get("puckXY"), frame),
        players,
        confidence: Confidence::CERTAIN,
        source: Source::Manual,
        evidence: None,
        assist_to_goal: number(event, "assistToGoalIdx").map(|i| id_of(i as u64)),
    })
}

fn read_stint(shift: &Value) -> Option<Stint> {
    let period = Period::new(number(shift, "period")? as u64).ok()?;
    let start = clock(text(shift, "start_time"));
    let end = clock(text(shift, "end_time"));
    // `duration` is authoritative; the clocks can be blank or odd at period ends.
    let duration_s = match number(shift, "duration") {
        Some(d) if d >= 0.0 => d.round() as u32,
        _ => match (start, end) {
            (Some(s), Some(e)) => s.remaining_ms().saturating_sub(e.remaining_ms()) / 1000,
            _ => 0,
        },
    };
    let slots = |side: &str, team: Team| -> Vec<StintSlot> {
        shift
            .get(side)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(slot, player)| {
                Some(StintSlot {
                    team,
                    slot: slot.clone(),
                    number: u16::try_from(number(player, "num")? as i64).ok()?,
                })
            })
            .collect()
    };
    let mut players = slots("home", Team::Home);
    players.extend(slots("away", Team::Away));
    Some(Stint {
        period,
        start,
        end,
        duration_s,
        strength: text(shift, "strength").to_owned(),
        players,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_is_decided_once_per_file() {
        let drawing = serde_json::json!({"events": [
            {"puckXY": [{"x": 150.0, "y": 40.0}], "players": [{"xy": [{"x": 10.0, "y": 5.0}]}]}
        ]});
        assert_eq!(Frame::of(&drawing), Frame::Drawing);
        let point = Frame::Drawing.point(10.0, 5.0).unwrap();
        assert_eq!((point.x_ft(), point.y_ft()), (-90.0, -37.5));
        let centre = serde_json::json!({"events": [{"puckXY": [{"x": -99.0, "y": 40.0}]}]});
        assert_eq!(Frame::of(&centre), Frame::CentreFeet);
    }

    #[test]
    fn spellings_roles_and_blank_clocks_are_read() {
        let file = serde_json::json!({
            "gameId": 7, "homeTeam": "A", "awayTeam": "B", "homeColor": "#112233",
            "periodLengths": {"1": 18, "2": 18, "3": 18, "OT": 5},
            "events": [
                {"idx": 0, "period": 1, "type": "Pass", "team": "home", "zone": "o",
                 "detail1": "Pass-Completed", "detail2": "Pass/Forehand", "start_time": "",
                 "assistToGoalIdx": 1,
                 "players": [{"num": 9, "team": "home", "role": "event_team_player_1",
                              "playD1": "AssistPrimary"}]},
                {"idx": 1, "period": 1, "type": "Goal", "team": "home", "detail1": "Goal_Scored",
                 "start_time": "17:05", "players": []},
                {"idx": 2, "period": 1, "type": "Teleport", "players": []}
            ],
            "shifts": []
        });
        let tenant = TenantId::parse("league").unwrap();
        let game = read_tracker_file(&file.to_string(), &tenant).unwrap();
        assert_eq!(game.events.len(), 2);
        assert_eq!(game.skipped.len(), 1);
        let pass = &game.events[0];
        assert_eq!(pass.detail1.as_ref().unwrap().as_str(), "Pass_Completed");
        assert_eq!(pass.detail2.as_ref().unwrap().as_str(), "Pass_Forehand");
        assert_eq!(pass.clock, None);
        assert_eq!(pass.players[0].role, PlayerRole::ACTOR);
        assert_eq!(pass.assist_to_goal, Some(game.events[1].event_id));
        assert_eq!(game.events[1].clock.unwrap().remaining_ms(), 1_025_000);
        assert_eq!(game.period_lengths_s, [1080, 1080, 1080]);
        let again = read_tracker_file(&file.to_string(), &tenant).unwrap();
        assert_eq!(again.events, game.events, "ids are deterministic");
    }
}
