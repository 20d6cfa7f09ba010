//! Rink geometry in centre-relative feet (DESIGN.md §3): a 200 × 85 ft NHL rink, x along the
//! length, y across; markings, faceoff dots, nets and creases; which end a team attacks in a
//! period, the zone of a point from a team's point of view, and a shot's distance and angle to the
//! attacked net.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{Period, Team, Zone};

/// Half the rink's length: the end boards stand at x = ±100 ft.
pub const HALF_LENGTH_FT: f64 = 100.0;
/// Half the rink's width: the side boards stand at y = ±42.5 ft.
pub const HALF_WIDTH_FT: f64 = 42.5;
/// Radius of the rounded corners of the boards.
pub const CORNER_RADIUS_FT: f64 = 28.0;
/// Goal lines at x = ±89 ft.
pub const GOAL_LINE_X_FT: f64 = 89.0;
/// Blue lines (their centres) at x = ±25 ft.
pub const BLUE_LINE_X_FT: f64 = 25.0;
/// The net mouth spans y ∈ [-3, 3] ft between the posts.
pub const NET_HALF_WIDTH_FT: f64 = 3.0;
/// The net's depth behind the goal line (40 in).
pub const NET_DEPTH_FT: f64 = 40.0 / 12.0;
/// The crossbar's height above the ice (4 ft).
pub const NET_HEIGHT_FT: f64 = 4.0;
/// Radius of the goal crease's semicircle.
pub const CREASE_RADIUS_FT: f64 = 6.0;
/// Radius of the centre and end-zone faceoff circles.
pub const FACEOFF_CIRCLE_RADIUS_FT: f64 = 15.0;
/// Diameter of a puck (3 in).
pub const PUCK_DIAMETER_FT: f64 = 0.25;

/// Why a rink position was refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum RinkError {
    #[error("rink position ({x_ft}, {y_ft}) ft is not finite")]
    NotFinite { x_ft: f64, y_ft: f64 },
    #[error(
        "rink position ({x_ft}, {y_ft}) ft lies outside the rink \
         (x within ±{HALF_LENGTH_FT}, y within ±{HALF_WIDTH_FT})"
    )]
    OutsideRink { x_ft: f64, y_ft: f64 },
}

/// A position on the ice, in feet from centre ice; always finite and inside the boards' bounding
/// box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRinkPoint", into = "RawRinkPoint")]
pub struct RinkPoint {
    x_ft: f64,
    y_ft: f64,
}

/// The wire form of a [`RinkPoint`]: `{"x": .., "y": ..}` in feet.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RawRinkPoint {
    x: f64,
    y: f64,
}

impl RinkPoint {
    pub const CENTRE: RinkPoint = RinkPoint {
        x_ft: 0.0,
        y_ft: 0.0,
    };

    /// Parses a position, refusing non-finite values and positions beyond the boards.
    pub fn new(x_ft: f64, y_ft: f64) -> Result<Self, RinkError> {
        if !x_ft.is_finite() || !y_ft.is_finite() {
            return Err(RinkError::NotFinite { x_ft, y_ft });
        }
        if x_ft.abs() > HALF_LENGTH_FT || y_ft.abs() > HALF_WIDTH_FT {
            return Err(RinkError::OutsideRink { x_ft, y_ft });
        }
        Ok(Self { x_ft, y_ft })
    }

    /// Clamps a finite position measured slightly beyond the boards (a mapped detection) back
    /// onto the rink's bounding box; `None` if it is not finite.
    pub fn clamped(x_ft: f64, y_ft: f64) -> Option<Self> {
        (x_ft.is_finite() && y_ft.is_finite()).then(|| Self {
            x_ft: x_ft.clamp(-HALF_LENGTH_FT, HALF_LENGTH_FT),
            y_ft: y_ft.clamp(-HALF_WIDTH_FT, HALF_WIDTH_FT),
        })
    }

    pub fn x_ft(self) -> f64 {
        self.x_ft
    }

    pub fn y_ft(self) -> f64 {
        self.y_ft
    }

    pub fn distance_ft(self, other: RinkPoint) -> f64 {
        (self.x_ft - other.x_ft).hypot(self.y_ft - other.y_ft)
    }

    /// The same spot seen after the teams switch ends (point reflection through centre ice).
    pub fn mirrored(self) -> RinkPoint {
        RinkPoint {
            x_ft: -self.x_ft,
            y_ft: -self.y_ft,
        }
    }

    /// True when the point is on the ice, inside the boards' rounded corners.
    pub fn is_on_ice(self) -> bool {
        let corner_x = HALF_LENGTH_FT - CORNER_RADIUS_FT;
        let corner_y = HALF_WIDTH_FT - CORNER_RADIUS_FT;
        let (ax, ay) = (self.x_ft.abs(), self.y_ft.abs());
        if ax <= corner_x || ay <= corner_y {
            return true;
        }
        (ax - corner_x).hypot(ay - corner_y) <= CORNER_RADIUS_FT
    }
}

impl TryFrom<RawRinkPoint> for RinkPoint {
    type Error = RinkError;
    fn try_from(raw: RawRinkPoint) -> Result<Self, RinkError> {
        Self::new(raw.x, raw.y)
    }
}

impl From<RinkPoint> for RawRinkPoint {
    fn from(point: RinkPoint) -> Self {
        RawRinkPoint {
            x: point.x_ft,
            y: point.y_ft,
        }
    }
}

impl fmt::Display for RinkPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:.1}, {:.1}) ft", self.x_ft, self.y_ft)
    }
}

/// One end of the rink, as seen on a plan with x growing to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum End {
    Left,
    Right,
}

impl End {
    /// +1 for the right end, -1 for the left: the sign of x in this end.
    pub fn sign(self) -> f64 {
        match self {
            End::Left => -1.0,
            End::Right => 1.0,
        }
    }

    pub fn opposite(self) -> End {
        match self {
            End::Left => End::Right,
            End::Right => End::Left,
        }
    }

    /// The centre of this end's goal line, between the posts.
    pub fn net_centre(self) -> RinkPoint {
        RinkPoint {
            x_ft: self.sign() * GOAL_LINE_X_FT,
            y_ft: 0.0,
        }
    }
}

/// Which end each team attacks: home attacks right in period 1 when `home_attacks_right_p1`, and
/// the teams switch ends every period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ends {
    pub home_attacks_right_p1: bool,
}

impl Ends {
    pub fn attacked_by(self, team: Team, period: Period) -> End {
        let home_right = self.home_attacks_right_p1 == period.same_ends_as_first();
        let home_end = if home_right { End::Right } else { End::Left };
        match team {
            Team::Home => home_end,
            Team::Away => home_end.opposite(),
        }
    }

    /// The zone a point lies in from `team`'s point of view: beyond the blue line it attacks is
    /// offensive, beyond the other blue line defensive, between them neutral.
    pub fn zone_of(self, point: RinkPoint, team: Team, period: Period) -> Zone {
        let towards_attack = point.x_ft * self.attacked_by(team, period).sign();
        if towards_attack > BLUE_LINE_X_FT {
            Zone::Offensive
        } else if towards_attack < -BLUE_LINE_X_FT {
            Zone::Defensive
        } else {
            Zone::Neutral
        }
    }

    /// Distance and angle of a shot from `point` at the net `team` attacks.
    pub fn shot_geometry(self, point: RinkPoint, team: Team, period: Period) -> ShotGeometry {
        ShotGeometry::towards(point, self.attacked_by(team, period))
    }
}

/// Where a shot was taken from, relative to the net it was aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShotGeometry {
    /// Straight-line distance to the centre of the goal line between the posts.
    pub distance_ft: f64,
    /// Angle off the rink's long axis as seen from the net: 0° straight in front, 90° level with
    /// the goal line, above 90° from behind the net.
    pub angle_deg: f64,
    /// The angle the net mouth (post to post) fills as seen from the shot: large in the slot,
    /// small from far out or from a sharp angle, zero on the goal line beside the net.
    pub mouth_angle_deg: f64,
}

impl ShotGeometry {
    pub fn towards(point: RinkPoint, net_end: End) -> ShotGeometry {
        let net = net_end.net_centre();
        // Distance out from the goal line towards centre ice, positive in front of the net.
        let out_ft = (net.x_ft - point.x_ft) * net_end.sign();
        let across_ft = point.y_ft.abs();
        // The posts as seen from the shot, `out_ft` ahead and `across_ft ± 3` to the side.
        let (near, far) = (across_ft - NET_HALF_WIDTH_FT, across_ft + NET_HALF_WIDTH_FT);
        let mouth = (near.atan2(out_ft.abs()) - far.atan2(out_ft.abs())).abs();
        ShotGeometry {
            distance_ft: out_ft.hypot(across_ft),
            angle_deg: across_ft.atan2(out_ft).to_degrees(),
            mouth_angle_deg: mouth.to_degrees(),
        }
    }
}

/// A faceoff dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceoffDot {
    Centre,
    /// The four neutral-zone dots just outside the blue lines.
    Neutral {
        end: End,
        upper: bool,
    },
    /// The four end-zone dots, in the circles beside the nets.
    EndZone {
        end: End,
        upper: bool,
    },
}

impl FaceoffDot {
    pub const ALL: [FaceoffDot; 9] = [
        FaceoffDot::Centre,
        FaceoffDot::Neutral {
            end: End::Left,
            upper: true,
        },
        FaceoffDot::Neutral {
            end: End::Left,
            upper: false,
        },
        FaceoffDot::Neutral {
            end: End::Right,
            upper: true,
        },
        FaceoffDot::Neutral {
            end: End::Right,
            upper: false,
        },
        FaceoffDot::EndZone {
            end: End::Left,
            upper: true,
        },
        FaceoffDot::EndZone {
            end: End::Left,
            upper: false,
        },
        FaceoffDot::EndZone {
            end: End::Right,
            upper: true,
        },
        FaceoffDot::EndZone {
            end: End::Right,
            upper: false,
        },
    ];

    pub fn position(self) -> RinkPoint {
        let (x_ft, y_ft) = match self {
            FaceoffDot::Centre => (0.0, 0.0),
            FaceoffDot::Neutral { end, upper } => (end.sign() * 20.0, side(upper) * 22.0),
            FaceoffDot::EndZone { end, upper } => (end.sign() * 69.0, side(upper) * 22.0),
        };
        RinkPoint { x_ft, y_ft }
    }

    /// The dot nearest to a point (where a faceoff there most likely takes place).
    pub fn nearest(point: RinkPoint) -> FaceoffDot {
        Self::ALL
            .into_iter()
            .min_by(|a, b| {
                let da = a.position().distance_ft(point);
                let db = b.position().distance_ft(point);
                da.total_cmp(&db)
            })
            .unwrap_or(FaceoffDot::Centre)
    }
}

fn side(upper: bool) -> f64 {
    if upper { 1.0 } else { -1.0 }
}

/// True when the point is inside the goal crease in front of the net at `end`.
pub fn in_crease(point: RinkPoint, end: End) -> bool {
    let out_ft = GOAL_LINE_X_FT - point.x_ft * end.sign();
    out_ft >= 0.0 && out_ft.hypot(point.y_ft) <= CREASE_RADIUS_FT
}

/// True when a puck at `point` is past the goal line at `end`, between the posts and inside the
/// net's depth: the geometric condition of a goal.
pub fn in_net(point: RinkPoint, end: End) -> bool {
    let behind_ft = point.x_ft * end.sign() - GOAL_LINE_X_FT;
    behind_ft > 0.0 && behind_ft <= NET_DEPTH_FT && point.y_ft.abs() < NET_HALF_WIDTH_FT
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn period(n: u64) -> Period {
        Period::new(n).unwrap()
    }

    fn pt(x: f64, y: f64) -> RinkPoint {
        RinkPoint::new(x, y).unwrap()
    }

    #[test]
    fn home_attacks_right_in_period_one_and_switches_every_period() {
        let ends = Ends {
            home_attacks_right_p1: true,
        };
        assert_eq!(ends.attacked_by(Team::Home, period(1)), End::Right);
        assert_eq!(ends.attacked_by(Team::Away, period(1)), End::Left);
        assert_eq!(ends.attacked_by(Team::Home, period(2)), End::Left);
        assert_eq!(ends.attacked_by(Team::Home, period(3)), End::Right);
        let flipped = Ends {
            home_attacks_right_p1: false,
        };
        assert_eq!(flipped.attacked_by(Team::Home, period(1)), End::Left);
    }

    #[test]
    fn zones_follow_blue_lines_and_attack_direction() {
        let ends = Ends {
            home_attacks_right_p1: true,
        };
        let deep_right = pt(80.0, 10.0);
        assert_eq!(
            ends.zone_of(deep_right, Team::Home, period(1)),
            Zone::Offensive
        );
        assert_eq!(
            ends.zone_of(deep_right, Team::Away, period(1)),
            Zone::Defensive
        );
        assert_eq!(
            ends.zone_of(deep_right, Team::Home, period(2)),
            Zone::Defensive
        );
        assert_eq!(
            ends.zone_of(pt(24.9, 0.0), Team::Home, period(1)),
            Zone::Neutral
        );
        assert_eq!(
            ends.zone_of(pt(25.1, 0.0), Team::Home, period(1)),
            Zone::Offensive
        );
    }

    #[test]
    fn shot_geometry_in_front_beside_and_behind_the_net() {
        let slot = ShotGeometry::towards(pt(69.0, 0.0), End::Right);
        assert!((slot.distance_ft - 20.0).abs() < 1e-9);
        assert!(slot.angle_deg.abs() < 1e-9);
        let wide = ShotGeometry::towards(pt(79.0, -10.0), End::Right);
        assert!((wide.angle_deg - 45.0).abs() < 1e-9);
        let goal_line = ShotGeometry::towards(pt(-89.0, 20.0), End::Left);
        assert!((goal_line.angle_deg - 90.0).abs() < 1e-9);
        assert!((goal_line.distance_ft - 20.0).abs() < 1e-9);
        let behind = ShotGeometry::towards(pt(95.0, 5.0), End::Right);
        assert!(behind.angle_deg > 90.0);
        // Straight out 20 ft the mouth fills 2·atan(3/20); level with the goal line, nothing.
        let expected = 2.0 * (3.0_f64 / 20.0).atan().to_degrees();
        assert!((slot.mouth_angle_deg - expected).abs() < 1e-9);
        assert!(goal_line.mouth_angle_deg.abs() < 1e-9);
        let straight = ShotGeometry::towards(pt(89.0 - wide.distance_ft, 0.0), End::Right);
        assert!(wide.mouth_angle_deg < straight.mouth_angle_deg);
    }

    #[test]
    fn rink_points_are_parsed() {
        assert!(RinkPoint::new(100.0, 42.5).is_ok());
        assert!(matches!(
            RinkPoint::new(100.1, 0.0),
            Err(RinkError::OutsideRink { .. })
        ));
        assert!(matches!(
            RinkPoint::new(f64::NAN, 0.0),
            Err(RinkError::NotFinite { .. })
        ));
        assert_eq!(RinkPoint::clamped(130.0, -50.0), Some(pt(100.0, -42.5)));
        assert_eq!(RinkPoint::clamped(f64::INFINITY, 0.0), None);
        let json = serde_json::to_string(&pt(1.5, -2.0)).unwrap();
        assert_eq!(json, r#"{"x":1.5,"y":-2.0}"#);
        assert!(serde_json::from_str::<RinkPoint>(r#"{"x":500,"y":0}"#).is_err());
    }

    #[test]
    fn corners_are_rounded() {
        assert!(pt(0.0, 42.5).is_on_ice());
        assert!(pt(100.0, 0.0).is_on_ice());
        assert!(!pt(99.0, 42.0).is_on_ice());
        assert!(pt(80.0, 30.0).is_on_ice());
    }

    #[test]
    fn nets_creases_and_dots() {
        assert!(in_net(pt(90.0, 0.0), End::Right));
        assert!(!in_net(pt(88.9, 0.0), End::Right));
        assert!(!in_net(pt(90.0, 3.5), End::Right));
        assert!(!in_net(pt(95.0, 0.0), End::Right));
        assert!(in_net(pt(-90.0, 1.0), End::Left));
        assert!(in_crease(pt(85.0, 2.0), End::Right));
        assert!(!in_crease(pt(80.0, 0.0), End::Right));
        assert!(!in_crease(pt(90.0, 0.0), End::Right));
        assert_eq!(FaceoffDot::nearest(pt(1.0, -1.0)), FaceoffDot::Centre);
        assert_eq!(
            FaceoffDot::nearest(pt(-65.0, -20.0)),
            FaceoffDot::EndZone {
                end: End::Left,
                upper: false
            }
        );
    }

    proptest! {
        /// Seen after the teams switch ends, every point has the same zone for the same team in
        /// the next period as its mirror image had before.
        #[test]
        fn zones_are_symmetric_across_periods(
            x in -100.0f64..=100.0,
            y in -42.5f64..=42.5,
            p in 1u64..=9,
            home_right in any::<bool>(),
            home in any::<bool>(),
        ) {
            let ends = Ends { home_attacks_right_p1: home_right };
            let team = if home { Team::Home } else { Team::Away };
            let point = pt(x, y);
            let here = ends.zone_of(point, team, period(p));
            prop_assert_eq!(ends.zone_of(point.mirrored(), team, period(p + 1)), here);
            prop_assert_eq!(ends.zone_of(point, team.opponent(), period(p)),
                            here.for_opponent());
        }

        #[test]
        fn shot_geometry_is_symmetric_between_ends(x in -100.0f64..=100.0, y in -42.5f64..=42.5) {
            let right = ShotGeometry::towards(pt(x, y), End::Right);
            let left = ShotGeometry::towards(pt(x, y).mirrored(), End::Left);
            prop_assert!((right.distance_ft - left.distance_ft).abs() < 1e-9);
            prop_assert!((right.angle_deg - left.angle_deg).abs() < 1e-9);
            prop_assert!((0.0..=180.0).contains(&right.angle_deg));
        }
    }
}
