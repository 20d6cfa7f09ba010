//! The ETL's shot chart: every shot of a game with where it was taken from, its distance and angle
//! to the net, whether it came off a rebound or a rush, and its expected-goal value (xG).
//!
//! xG is a logistic model of distance and the net mouth's opening angle with the coefficients of
//! a published NHL fit (see [`XgModel::NHL_DISTANCE_ANGLE`]); a shot without a location has no
//! xG. The rebound and rush flags of VOCABULARY.md are derived and kept with every shot, but the
//! published fit has no terms for them (nor for shot type), so they do not change its xG: adding
//! terms would need coefficients fitted on NHL data, which this project cannot reach.
//!
//! The net a shot aims at is the one in the half it was taken from: hand-tracked files rarely say
//! which end a team attacks, and a shot from the own half has an xG near zero either way.

use serde::{Deserialize, Serialize};

use crate::domain::{Period, ReviewBand, Team};
use crate::event::{GameEvent, PlayerRole};
use crate::ids::EventId;
use crate::rink::{End, RinkPoint, ShotGeometry};
use crate::vocabulary::{Detail, EventType};

/// A shot follows a rebound when the same team shot within this many seconds before it.
pub const REBOUND_WINDOW_S: f64 = 3.0;
/// A shot is off the rush when the same team entered the zone within this many seconds before.
pub const RUSH_WINDOW_S: f64 = 10.0;

/// A logistic expected-goal model: `xG = 1 / (1 + e^-(b0 + b1·distance + b2·mouth angle))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct XgModel {
    pub intercept: f64,
    /// Per foot of distance to the centre of the goal line.
    pub per_foot: f64,
    /// Per degree of the net mouth's opening angle as seen from the shot.
    pub per_mouth_degree: f64,
}

impl XgModel {
    /// The logistic regression `goal ~ distance + angle` fitted on 929,482 NHL shots on goal and
    /// goals (regular seasons 2000–2020, the NHL play-by-play of the Kaggle "NHL Game Data" set),
    /// published by Aleksi Kinnunen in "NHL xG" (github.com/kinnunenaleksi/hockey_xG, NHL_xG.md,
    /// commit 03d111b): intercept −1.8507032, distance −0.0277390 per ft, angle +0.0247258 per
    /// degree, where distance runs to (89, 0) ft and angle is the opening between the posts
    /// (y = ±3 ft) seen from the shot — exactly [`ShotGeometry`]'s `distance_ft` and
    /// `mouth_angle_deg`.
    pub const NHL_DISTANCE_ANGLE: XgModel = XgModel {
        intercept: -1.850_703_2,
        per_foot: -0.027_739_0,
        per_mouth_degree: 0.024_725_8,
    };

    /// The probability that a shot with this geometry is a goal.
    pub fn probability(&self, geometry: &ShotGeometry) -> f64 {
        let logit = self.intercept
            + self.per_foot * geometry.distance_ft
            + self.per_mouth_degree * geometry.mouth_angle_deg;
        1.0 / (1.0 + (-logit).exp())
    }
}

/// One shot of the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotRecord {
    pub event_id: EventId,
    pub team: Team,
    /// The shooter's jersey number, when known.
    pub shooter: Option<u16>,
    pub period: Period,
    /// `Shot_OnNetSaved`, `Shot_Goal`, `Shot_Missed`, `Shot_Blocked`, …
    pub outcome: Option<Detail>,
    /// `Shot_Wrist`, `Shot_Slap`, … when the tracker recorded it.
    pub shot_type: Option<Detail>,
    /// Where the shot was taken from: the puck, else the shooter.
    pub location: Option<RinkPoint>,
    pub distance_ft: Option<f64>,
    /// Off the net's axis: 0° straight in front, 90° level with the goal line.
    pub angle_deg: Option<f64>,
    pub rebound: bool,
    pub rush: bool,
    pub xg: Option<f64>,
}

/// The chart of `events` (each event's current version), in their order, with `model`'s xG.
/// Events the review policy hides are left out, as they are from every statistic.
pub fn shot_chart(events: &[GameEvent], model: &XgModel) -> Vec<ShotRecord> {
    let counted: Vec<&GameEvent> = events
        .iter()
        .filter(|e| e.confidence.review_band() != ReviewBand::Hidden)
        .collect();
    let shots = counted
        .iter()
        .filter(|e| e.event_type == EventType::Shot && e.team.is_some());
    shots
        .map(|shot| {
            let team = shot.team.unwrap_or(Team::Home);
            let shooter = shot.player(PlayerRole::ACTOR);
            let location = shot.puck.or_else(|| shooter.and_then(|p| p.position));
            let geometry = location.map(|point| {
                let end = if point.x_ft() >= 0.0 {
                    End::Right
                } else {
                    End::Left
                };
                ShotGeometry::towards(point, end)
            });
            let follows = |window_s: f64, earlier: &dyn Fn(&GameEvent) -> bool| {
                counted.iter().any(|other| {
                    other.event_id != shot.event_id
                        && other.team == Some(team)
                        && earlier(other)
                        && seconds_between(other, shot)
                            .is_some_and(|s| (0.0..=window_s).contains(&s))
                })
            };
            ShotRecord {
                event_id: shot.event_id,
                team,
                shooter: shooter.and_then(|p| p.number),
                period: shot.period,
                outcome: shot.detail1.clone(),
                shot_type: shot.detail2.clone(),
                location,
                distance_ft: geometry.map(|g| g.distance_ft),
                angle_deg: geometry.map(|g| g.angle_deg),
                rebound: follows(REBOUND_WINDOW_S, &|e| e.event_type == EventType::Shot),
                rush: follows(RUSH_WINDOW_S, &|e| {
                    e.event_type == EventType::ZoneEntryExit && e.has_detail1(&Detail::ZONE_ENTRY)
                }),
                xg: geometry.map(|g| model.probability(&g)),
            }
        })
        .collect()
}

/// Seconds from `earlier` to `later` in the same period, by media time when both have it, else
/// by the game clock (which counts down); `None` when they cannot be compared.
fn seconds_between(earlier: &GameEvent, later: &GameEvent) -> Option<f64> {
    if earlier.period != later.period {
        return None;
    }
    if let (Some(a), Some(b)) = (earlier.media_time_ms, later.media_time_ms) {
        return Some((b.0 as f64 - a.0 as f64) / 1000.0);
    }
    let (a, b) = (earlier.clock?, later.clock?);
    Some((f64::from(a.remaining_ms()) - f64::from(b.remaining_ms())) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Confidence, GameClock, MediaTimeMs, Source};
    use crate::event::EventPlayer;
    use crate::ids::GameId;

    fn point(x: f64, y: f64) -> RinkPoint {
        RinkPoint::new(x, y).unwrap()
    }

    fn event(n: u8, kind: EventType, detail: &Detail, team: Team, clock_s: u32) -> GameEvent {
        GameEvent {
            event_id: EventId::appliance(1_764_000_000_000, [n; 10]),
            game_id: GameId::parse("g1").unwrap(),
            event_type: kind,
            detail1: Some(detail.clone()),
            detail2: None,
            team: Some(team),
            period: Period::FIRST,
            media_time_ms: None,
            clock: Some(GameClock::from_remaining_ms(clock_s * 1000)),
            zone: None,
            puck: None,
            players: vec![],
            confidence: Confidence::CERTAIN,
            source: Source::Manual,
            evidence: None,
            assist_to_goal: None,
        }
    }

    #[test]
    fn xg_falls_with_distance_and_with_a_sharper_angle() {
        let model = XgModel::NHL_DISTANCE_ANGLE;
        let at = |x, y| model.probability(&ShotGeometry::towards(point(x, y), End::Right));
        let (slot, point_shot, sharp) = (at(79.0, 0.0), at(50.0, 0.0), at(85.0, 25.0));
        assert!(slot > point_shot && point_shot > 0.0, "{slot} {point_shot}");
        assert!(sharp < at(64.0, 0.0), "{sharp}");
        // The published fit's own numbers: logit(10 ft, straight) = b0 + 10·b1 + 33.40°·b2.
        let expected = 1.0 / (1.0 + (1.850_703_2_f64 + 0.277_39 - 0.024_725_8 * 33.398_488).exp());
        assert!((slot - expected).abs() < 1e-6, "{slot} vs {expected}");
        // Same geometry at the other end, same xG.
        let left = model.probability(&ShotGeometry::towards(point(-79.0, 0.0), End::Left));
        assert!((left - slot).abs() < 1e-12);
    }

    #[test]
    fn shots_carry_geometry_rebound_rush_and_no_xg_without_a_location() {
        let mut entry = event(
            1,
            EventType::ZoneEntryExit,
            &Detail::ZONE_ENTRY,
            Team::Home,
            600,
        );
        entry.detail1 = Some(Detail::ZONE_ENTRY);
        let mut first = event(
            2,
            EventType::Shot,
            &Detail::SHOT_ON_NET_SAVED,
            Team::Home,
            595,
        );
        first.puck = Some(point(-60.0, 10.0));
        first.players = vec![EventPlayer {
            role: PlayerRole::ACTOR,
            team: Team::Home,
            number: Some(17),
            track_id: None,
            position: None,
            play_detail1: None,
            play_detail2: None,
        }];
        let mut second = event(3, EventType::Shot, &Detail::SHOT_GOAL, Team::Home, 593);
        second.puck = Some(point(-84.0, 2.0));
        let late = event(4, EventType::Shot, &Detail::SHOT_MISSED, Team::Home, 500);
        let away = event(5, EventType::Shot, &Detail::SHOT_BLOCKED, Team::Away, 499);
        let chart = shot_chart(
            &[entry, first, second, late, away],
            &XgModel::NHL_DISTANCE_ANGLE,
        );
        assert_eq!(chart.len(), 4);
        let [first, second, late, away] = &chart[..] else {
            unreachable!()
        };
        assert_eq!(first.shooter, Some(17));
        assert!((first.distance_ft.unwrap() - 29.0_f64.hypot(10.0)).abs() < 1e-9);
        assert!(first.rush && !first.rebound);
        assert!(second.rush && second.rebound);
        assert!(second.xg.unwrap() > first.xg.unwrap());
        assert!(!late.rush && !late.rebound && late.xg.is_none() && late.location.is_none());
        assert!(!away.rebound, "the other team's shot is no rebound");
    }

    #[test]
    fn media_time_is_preferred_and_periods_do_not_mix() {
        let mut a = event(1, EventType::Shot, &Detail::SHOT_MISSED, Team::Away, 10);
        let mut b = event(2, EventType::Shot, &Detail::SHOT_MISSED, Team::Away, 900);
        a.media_time_ms = Some(MediaTimeMs(50_000));
        b.media_time_ms = Some(MediaTimeMs(52_500));
        assert_eq!(seconds_between(&a, &b), Some(2.5));
        b.period = Period::new(2).unwrap();
        assert_eq!(seconds_between(&a, &b), None);
    }
}
