//! Which side of each net the puck was clearly seen on, over the last seconds. A puck enters a
//! net only through its mouth, so one that comes to lie against the frame after coming round
//! from behind or beside it — which the projection noise makes look like a puck in the net — is
//! no goal; asking which side the puck was on when it arrived tells the two apart.

use std::collections::VecDeque;

use crate::rink::{End, GOAL_LINE_X_FT, NET_DEPTH_FT, NET_HALF_WIDTH_FT};

/// Where the puck was around a net.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSide {
    /// Out in front of the goal line.
    Front,
    /// Behind the net's back or beside its sides.
    BehindOrBeside,
}

/// Clear of the goal line and the frame by this much (a raw observation's noise is about 2 ft).
const MARGIN_FT: f64 = 1.0;
/// Behind the goal line, this far across from the net's centre and no further counts as behind
/// or beside the net (further out is the corner).
const AROUND_FT: f64 = 12.0;
/// Consecutive observations on one side that establish it.
const STREAK: u8 = 3;
/// How long the changes of side are remembered.
const KEPT_MS: u64 = 10_000;

/// The changes of side, per net, recently.
#[derive(Debug, Clone, Default)]
pub struct NetSides {
    /// The side the latest observations lie on, how many in a row, since when.
    streak: Option<(End, NetSide, u8, u64)>,
    changes: VecDeque<(u64, End, NetSide)>,
}

impl NetSides {
    /// An observation of the puck at `(x_ft, y_ft)`.
    pub fn observe(&mut self, time_ms: u64, x_ft: f64, y_ft: f64) {
        let Some((end, side)) = side_of(x_ft, y_ft) else {
            return;
        };
        let (count, since) = match self.streak {
            Some((e, s, n, since)) if e == end && s == side => (n.saturating_add(1), since),
            _ => (1, time_ms),
        };
        self.streak = Some((end, side, count, since));
        if count >= STREAK && self.at(end, time_ms).map(|(s, _)| s) != Some(side) {
            self.changes.push_back((since, end, side));
        }
        // The latest change of each net is kept however old (it still holds).
        while self.changes.len() > 2
            && self
                .changes
                .front()
                .is_some_and(|&(t, _, _)| t + KEPT_MS < time_ms)
        {
            self.changes.pop_front();
        }
    }

    /// The side of the net at `end` the puck was last established on at `time_ms`, and since
    /// when: the first of the observations in a row that established it (the puck was there
    /// from then on, though it took the later ones to be sure).
    pub fn at(&self, end: End, time_ms: u64) -> Option<(NetSide, u64)> {
        self.changes
            .iter()
            .rev()
            .find(|&&(t, e, _)| e == end && t <= time_ms)
            .map(|&(t, _, side)| (side, t))
    }
}

/// The net and side an observation clearly lies on, if any.
fn side_of(x_ft: f64, y_ft: f64) -> Option<(End, NetSide)> {
    let end = if x_ft >= 0.0 { End::Right } else { End::Left };
    let beyond_line = x_ft * end.sign() - GOAL_LINE_X_FT;
    let across = y_ft.abs();
    if beyond_line < -MARGIN_FT {
        Some((end, NetSide::Front))
    } else if across > AROUND_FT {
        None
    } else if beyond_line > NET_DEPTH_FT + MARGIN_FT
        || (beyond_line > MARGIN_FT / 2.0 && across > NET_HALF_WIDTH_FT + MARGIN_FT)
    {
        Some((end, NetSide::BehindOrBeside))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(sides: &mut NetSides, path: &[(u64, f64, f64)]) {
        for &(t, x, y) in path {
            sides.observe(t, x, y);
        }
    }

    #[test]
    fn a_puck_from_the_slot_arrives_from_the_front() {
        let mut sides = NetSides::default();
        seen(
            &mut sides,
            &[
                (0, 70.0, 5.0),
                (33, 76.0, 3.0),
                (66, 82.0, 2.0),
                (100, 91.0, 0.5),
            ],
        );
        assert_eq!(sides.at(End::Right, 100), Some((NetSide::Front, 0)));
        assert_eq!(sides.at(End::Left, 100), None);
    }

    #[test]
    fn a_puck_from_behind_the_net_keeps_its_side_whatever_the_noise_later() {
        let mut sides = NetSides::default();
        seen(
            &mut sides,
            &[(0, 70.0, 5.0), (33, 75.0, 5.0), (66, 80.0, 5.0)],
        );
        // Round the boards behind the net, then to rest against the frame.
        seen(
            &mut sides,
            &[(500, 97.0, -2.0), (533, 95.5, -1.0), (566, 94.8, 0.5)],
        );
        seen(&mut sides, &[(600, 91.5, 2.5), (633, 90.5, 3.0)]);
        // Dated from the first sighting of the streak that established it: the puck was
        // behind the net from then on, not only once it had been seen there three times.
        assert_eq!(
            sides.at(End::Right, 600),
            Some((NetSide::BehindOrBeside, 500))
        );
        assert_eq!(
            sides.at(End::Right, 533),
            Some((NetSide::BehindOrBeside, 500))
        );
        // A stray observation out in front breaks no streak of three.
        seen(&mut sides, &[(666, 87.0, 2.0), (700, 91.0, 2.0)]);
        assert_eq!(
            sides.at(End::Right, 700),
            Some((NetSide::BehindOrBeside, 500))
        );
        assert_eq!(sides.at(End::Right, 300), Some((NetSide::Front, 0)));
    }
}
