//! Kinematics of the simulated game: a puck sliding with friction, flying under gravity, bouncing
//! off the boards (rounded corners) and the nets' frames; skaters steering with bounded
//! acceleration and speed inside the boards.

use benchsight_core::rink::{
    CORNER_RADIUS_FT, GOAL_LINE_X_FT, HALF_LENGTH_FT, HALF_WIDTH_FT, NET_DEPTH_FT,
    NET_HALF_WIDTH_FT,
};
use nalgebra::Vector2;

pub type V2 = Vector2<f64>;

/// Gravity, ft/s².
const GRAVITY_FT_S2: f64 = 32.2;
/// Sliding friction of a puck on scuffed game ice, plus stick contact the simulation does not
/// model, as a constant deceleration (ft/s²).
const ICE_DECELERATION_FT_S2: f64 = 5.0;
/// The fastest upward speed a stick gives a puck (a lofted clear reaches about 10 ft).
const MAX_LIFT_FT_S: f64 = 25.0;
/// Share of speed a puck keeps after hitting the boards.
const BOARD_RESTITUTION: f64 = 0.55;
/// Share of speed a puck keeps after hitting a post or the net's frame.
const FRAME_RESTITUTION: f64 = 0.45;

/// Where the puck went during one sub-step, for the rules to judge.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PuckContacts {
    pub boards: bool,
    pub post: bool,
    /// Crossed a goal line between the posts, under the crossbar: `Some(+1.0)` at the right end.
    pub into_net: Option<f64>,
    /// Crossed a goal line outside the net (wide or high).
    pub past_goal_line: Option<f64>,
}

/// The puck's free motion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PuckBody {
    pub pos: V2,
    pub vel: V2,
    pub height_ft: f64,
    pub vertical_ft_s: f64,
}

impl PuckBody {
    pub fn at_rest(pos: V2) -> Self {
        Self {
            pos,
            vel: V2::zeros(),
            height_ft: 0.0,
            vertical_ft_s: 0.0,
        }
    }

    /// Advances the puck by `dt` seconds and reports what it touched.
    pub fn advance(&mut self, dt: f64) -> PuckContacts {
        let mut contacts = PuckContacts::default();
        let before = self.pos;
        if self.height_ft > 0.0 || self.vertical_ft_s > 0.0 {
            self.vertical_ft_s -= GRAVITY_FT_S2 * dt;
            self.height_ft += self.vertical_ft_s * dt;
            if self.height_ft <= 0.0 {
                self.height_ft = 0.0;
                // A landing puck skids on; no bounce worth modelling.
                self.vertical_ft_s = 0.0;
            }
        } else {
            let speed = self.vel.norm();
            let slowed = (speed - ICE_DECELERATION_FT_S2 * dt).max(0.0);
            self.vel = if speed > 0.0 {
                self.vel * (slowed / speed)
            } else {
                self.vel
            };
        }
        self.pos += self.vel * dt;

        for end in [-1.0, 1.0] {
            let was = before.x * end;
            let now = self.pos.x * end;
            if was < GOAL_LINE_X_FT && now >= GOAL_LINE_X_FT {
                // Where it crossed the goal line.
                let t = (GOAL_LINE_X_FT - was) / (now - was);
                let y = before.y + (self.pos.y - before.y) * t;
                let post_band = NET_HALF_WIDTH_FT + 0.25;
                if y.abs() < NET_HALF_WIDTH_FT && self.height_ft < 4.0 {
                    contacts.into_net = Some(end);
                } else if y.abs() < post_band && self.height_ft < 4.0 {
                    contacts.post = true;
                    self.pos.x = end * (GOAL_LINE_X_FT - 0.3);
                    self.vel.x = -self.vel.x * FRAME_RESTITUTION;
                    self.vel.y *= FRAME_RESTITUTION;
                } else {
                    contacts.past_goal_line = Some(end);
                }
            }
            // The net's back and sides stop a puck that comes from behind or beside it (one
            // already inside, after a goal, moves freely there).
            let frame_depth = 0.0..=NET_DEPTH_FT + 0.2;
            let behind = self.pos.x * end - GOAL_LINE_X_FT;
            let was_inside = frame_depth.contains(&(before.x * end - GOAL_LINE_X_FT))
                && before.y.abs() < NET_HALF_WIDTH_FT;
            if frame_depth.contains(&behind)
                && self.pos.y.abs() <= NET_HALF_WIDTH_FT + 0.2
                && contacts.into_net.is_none()
                && !was_inside
            {
                self.pos = before;
                self.vel = -self.vel * FRAME_RESTITUTION;
                contacts.post = contacts.post || behind < 0.3;
            }
        }

        if let Some(inside) = bounce_off_boards(self.pos, &mut self.vel, 0.2) {
            self.pos = inside;
            contacts.boards = true;
        }
        contacts
    }

    pub fn speed(&self) -> f64 {
        self.vel.norm()
    }
}

/// If `pos` lies beyond the boards (less `margin`), returns the nearest point inside and reflects
/// `vel` off the boards' normal there.
pub fn bounce_off_boards(pos: V2, vel: &mut V2, margin: f64) -> Option<V2> {
    let (inside, normal) = keep_inside(pos, margin)?;
    let along_normal = vel.dot(&normal);
    if along_normal > 0.0 {
        *vel -= normal * along_normal * (1.0 + BOARD_RESTITUTION);
        // Friction along the boards takes much of the rest.
        *vel *= 0.75;
    }
    Some(inside)
}

/// The nearest point at least `margin` inside the boards, and the outward normal there, when
/// `pos` is beyond that limit.
pub fn keep_inside(pos: V2, margin: f64) -> Option<(V2, V2)> {
    let half_x = HALF_LENGTH_FT - margin;
    let half_y = HALF_WIDTH_FT - margin;
    let radius = CORNER_RADIUS_FT - margin;
    let corner = V2::new(half_x - radius, half_y - radius);
    let (ax, ay) = (pos.x.abs(), pos.y.abs());
    let sign = V2::new(pos.x.signum(), pos.y.signum());
    if ax > corner.x && ay > corner.y {
        let from_centre = V2::new(ax - corner.x, ay - corner.y);
        let distance = from_centre.norm();
        if distance <= radius {
            return None;
        }
        let normal = from_centre / distance;
        let inside = corner + normal * radius;
        return Some((
            V2::new(inside.x * sign.x, inside.y * sign.y),
            V2::new(normal.x * sign.x, normal.y * sign.y),
        ));
    }
    if ax > half_x {
        return Some((V2::new(half_x * sign.x, pos.y), V2::new(sign.x, 0.0)));
    }
    if ay > half_y {
        return Some((V2::new(pos.x, half_y * sign.y), V2::new(0.0, sign.y)));
    }
    None
}

/// `pos` moved out of either net's frame (the box from the goal line to the back of the net,
/// between the posts, widened by `margin`) through the face on the side of `from`, where the puck
/// was a moment before: a puck on a stick cannot be inside the net's frame, nor pass through it,
/// whichever side the skater reaches in from.
pub fn outside_nets(pos: V2, from: V2, margin: f64) -> V2 {
    let end = pos.x.signum();
    let (front, back) = (-margin, NET_DEPTH_FT + margin);
    let side = NET_HALF_WIDTH_FT + margin;
    let depth = |p: V2| p.x * end - GOAL_LINE_X_FT;
    let inside = |p: V2| depth(p) > front && depth(p) < back && p.y.abs() < side;
    if !inside(pos) {
        return pos;
    }
    let was = depth(from);
    if was <= front {
        V2::new(end * (GOAL_LINE_X_FT + front), pos.y)
    } else if was >= back {
        V2::new(end * (GOAL_LINE_X_FT + back), pos.y)
    } else {
        // From beside it (or, were it ever inside, out by the side it is nearer).
        let across = if from.y == 0.0 { pos.y } else { from.y };
        V2::new(pos.x, side * across.signum())
    }
}

/// A skater's or official's motion on the ice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkaterBody {
    pub pos: V2,
    pub vel: V2,
    /// Facing direction, radians from +x.
    pub heading: f64,
    /// Phase of the skating stride, radians (drives the renderer's leg swing).
    pub stride_phase: f64,
}

impl SkaterBody {
    pub fn standing(pos: V2, heading: f64) -> Self {
        Self {
            pos,
            vel: V2::zeros(),
            heading,
            stride_phase: 0.0,
        }
    }

    /// Steers towards `target`, arriving gently, with bounded acceleration and speed.
    pub fn steer(&mut self, target: V2, max_speed: f64, max_accel: f64, dt: f64) {
        let to_target = target - self.pos;
        let distance = to_target.norm();
        let desired = if distance > 0.05 {
            let speed = max_speed.min(distance * 2.0);
            to_target / distance * speed
        } else {
            V2::zeros()
        };
        let mut change = desired - self.vel;
        let limit = max_accel * dt;
        if change.norm() > limit {
            change = change.normalize() * limit;
        }
        self.vel += change;
        self.pos += self.vel * dt;
        if let Some((inside, normal)) = keep_inside(self.pos, 1.5) {
            self.pos = inside;
            let outward = self.vel.dot(&normal);
            if outward > 0.0 {
                self.vel -= normal * outward;
            }
        }
        let speed = self.vel.norm();
        if speed > 1.0 {
            let wanted = self.vel.y.atan2(self.vel.x);
            self.heading = turn_towards(self.heading, wanted, 6.0 * dt);
        }
        // About one stride every 6 ft.
        self.stride_phase =
            (self.stride_phase + speed * dt / 6.0 * std::f64::consts::TAU) % std::f64::consts::TAU;
    }

    /// Turns to face a point without moving.
    pub fn face(&mut self, point: V2, dt: f64) {
        let to = point - self.pos;
        if to.norm() > 0.1 {
            self.heading = turn_towards(self.heading, to.y.atan2(to.x), 4.0 * dt);
        }
    }
}

fn turn_towards(from: f64, to: f64, max_step: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let mut delta = (to - from) % tau;
    if delta > std::f64::consts::PI {
        delta -= tau;
    } else if delta < -std::f64::consts::PI {
        delta += tau;
    }
    from + delta.clamp(-max_step, max_step)
}

/// Launches a puck from `from` so that it reaches `target` on the rink's plane at `height_ft`
/// above the ice, at `speed_ft_s` along the ice.
pub fn launch(from: V2, target: V2, speed_ft_s: f64, height_ft: f64) -> PuckBody {
    let to = target - from;
    let distance = to.norm().max(0.1);
    // From close range there is no time to lift the puck far: keep the flight plausible.
    let time = (distance / speed_ft_s).max(0.15);
    let vertical = if height_ft > 0.0 {
        ((height_ft + 0.5 * GRAVITY_FT_S2 * time * time) / time).min(MAX_LIFT_FT_S)
    } else {
        0.0
    };
    PuckBody {
        pos: from,
        vel: to / distance * speed_ft_s,
        height_ft: 0.0,
        vertical_ft_s: vertical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sliding_puck_slows_and_stops() {
        let mut puck = PuckBody::at_rest(V2::new(0.0, 0.0));
        puck.vel = V2::new(30.0, 0.0);
        for _ in 0..30 * 12 {
            puck.advance(1.0 / 30.0);
        }
        assert_eq!(puck.speed(), 0.0);
        // 30 ft/s at 5 ft/s² travels 90 ft.
        assert!(puck.pos.x < 100.0);
    }

    #[test]
    fn boards_reflect_and_keep_the_puck_inside() {
        let mut puck = PuckBody::at_rest(V2::new(0.0, 40.0));
        puck.vel = V2::new(0.0, 60.0);
        let mut touched = false;
        for _ in 0..10 {
            touched |= puck.advance(1.0 / 30.0).boards;
        }
        assert!(touched);
        assert!(puck.vel.y < 0.0);
        assert!(puck.pos.y <= HALF_WIDTH_FT);
    }

    #[test]
    fn a_shot_between_the_posts_enters_the_net() {
        let mut puck = launch(V2::new(60.0, 0.0), V2::new(89.0, 1.0), 100.0, 1.0);
        let mut entered = None;
        for _ in 0..200 {
            let contacts = puck.advance(1.0 / 240.0);
            entered = entered.or(contacts.into_net);
            if entered.is_some() {
                break;
            }
        }
        assert_eq!(entered, Some(1.0));
    }

    #[test]
    fn launch_reaches_the_requested_height() {
        let mut puck = launch(V2::new(0.0, 0.0), V2::new(50.0, 0.0), 100.0, 3.0);
        let dt = 1.0 / 1000.0;
        while puck.pos.x < 50.0 {
            puck.advance(dt);
        }
        assert!((puck.height_ft - 3.0).abs() < 0.1, "{}", puck.height_ft);
    }

    #[test]
    fn a_puck_from_behind_the_net_bounces_off_its_back() {
        let mut puck = PuckBody {
            pos: V2::new(97.0, 1.0),
            vel: V2::new(-40.0, 0.5),
            height_ft: 0.0,
            vertical_ft_s: 0.0,
        };
        let (mut hit, mut turned) = (false, false);
        for _ in 0..120 {
            hit |= puck.advance(1.0 / 240.0).post;
            turned |= puck.vel.x > 0.0;
            let depth = puck.pos.x - GOAL_LINE_X_FT;
            assert!(
                !(depth < NET_DEPTH_FT && puck.pos.y.abs() < NET_HALF_WIDTH_FT),
                "inside the net at {:?}",
                puck.pos
            );
        }
        assert!(turned, "never bounced: {:?}", puck.pos);
        assert!(!hit, "the back of the net is not a post");
    }

    #[test]
    fn a_carried_puck_leaves_the_nets_frame_on_the_side_it_came_from() {
        let margin = 0.25;
        let (front, back) = (
            GOAL_LINE_X_FT - margin,
            GOAL_LINE_X_FT + NET_DEPTH_FT + margin,
        );
        let side = NET_HALF_WIDTH_FT + margin;
        // Reaching in from the slot: held at the goal line.
        let out = outside_nets(V2::new(90.5, 0.5), V2::new(87.0, 0.5), margin);
        assert_eq!(out, V2::new(front, 0.5));
        // From behind, even past the net's middle: held at its back, not through to the front.
        let out = outside_nets(V2::new(-89.5, -1.0), V2::new(-93.0, -1.0), margin);
        assert_eq!(out, V2::new(-back, -1.0));
        // From beside: held at the side.
        let out = outside_nets(V2::new(90.5, -2.5), V2::new(90.5, -3.6), margin);
        assert_eq!(out, V2::new(90.5, -side));
        // Elsewhere nothing moves.
        let away = V2::new(80.0, 0.0);
        assert_eq!(outside_nets(away, away, margin), away);
    }

    #[test]
    fn corners_are_rounded_for_skaters_too() {
        let (inside, normal) = keep_inside(V2::new(99.0, 42.0), 1.5).unwrap();
        assert!(inside.x < 99.0 && inside.y < 42.0);
        assert!(normal.x > 0.0 && normal.y > 0.0);
        assert!(keep_inside(V2::new(0.0, 0.0), 1.5).is_none());
    }
}
