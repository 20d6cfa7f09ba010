//! The engine-only evaluation's input: the simulator's true positions turned into what a good
//! perception pipeline would report, with seeded, realistic errors — position noise (players
//! σ 1 ft, puck σ 2 ft), puck drop-outs in bursts of up to a second (more often near a goalie and
//! the boards), identity switches between nearby skaters, and missed player detections.

use std::collections::HashMap;

use benchsight_core::detection::ObjectClass;
use benchsight_core::domain::MediaTimeMs;
use benchsight_core::puck_tracking::PuckStatus;
use benchsight_core::rink::{HALF_LENGTH_FT, HALF_WIDTH_FT, RinkPoint};
use benchsight_core::rink_state::{RinkPuck, RinkState, RinkTrack};
use benchsight_sim::game::{FrameState, PersonKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// How bad the reported tracks are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorruptionLevels {
    pub player_sigma_ft: f64,
    pub puck_sigma_ft: f64,
    /// Chance per frame that a puck drop-out starts in open ice…
    pub puck_dropout_start: f64,
    /// …multiplied this much near a goalie or the boards.
    pub puck_dropout_hotspot: f64,
    pub max_dropout_frames: u32,
    pub id_switches_per_minute: f64,
    pub missed_player_share: f64,
}

impl Default for CorruptionLevels {
    fn default() -> Self {
        Self {
            player_sigma_ft: 1.0,
            puck_sigma_ft: 2.0,
            puck_dropout_start: 0.01,
            puck_dropout_hotspot: 4.0,
            max_dropout_frames: 30,
            id_switches_per_minute: 2.0,
            missed_player_share: 0.05,
        }
    }
}

impl CorruptionLevels {
    /// No corruption at all: the true tracks as they are (to tell the engine's own mistakes from
    /// those the noise causes).
    pub fn none() -> Self {
        Self {
            player_sigma_ft: 0.0,
            puck_sigma_ft: 0.0,
            puck_dropout_start: 0.0,
            puck_dropout_hotspot: 1.0,
            max_dropout_frames: 0,
            id_switches_per_minute: 0.0,
            missed_player_share: 0.0,
        }
    }
}

/// Turns true frames into reported rink states, frame after frame.
#[derive(Debug, Clone)]
pub struct Corruptor {
    levels: CorruptionLevels,
    seed: u64,
    /// This frame's random draws (seeded per frame, so that a change in one stretch of a game
    /// leaves the noise of every other stretch as it was).
    rng: ChaCha8Rng,
    /// True track id → reported track id (identity switches swap two entries).
    reported_id: HashMap<u32, u64>,
    dropout_left: u32,
    frames_per_s: f64,
}

impl Corruptor {
    pub fn new(levels: CorruptionLevels, seed: u64, frames_per_s: u32) -> Self {
        Self {
            levels,
            seed: seed ^ 0x0C07_7EC7,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x0C07_7EC7),
            reported_id: HashMap::new(),
            dropout_left: 0,
            frames_per_s: f64::from(frames_per_s),
        }
    }

    pub fn corrupt(&mut self, frame: &FrameState) -> RinkState {
        self.rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ frame.frame.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let l = self.levels;
        let player_noise = Normal::new(0.0, l.player_sigma_ft).ok();
        let puck_noise = Normal::new(0.0, l.puck_sigma_ft).ok();
        let jitter =
            |rng: &mut ChaCha8Rng, noise: Option<Normal<f64>>| noise.map_or(0.0, |n| n.sample(rng));
        // Identity switches between two skaters standing close together.
        let switch_chance = l.id_switches_per_minute / (60.0 * self.frames_per_s);
        if self.rng.random_bool(switch_chance.clamp(0.0, 1.0)) {
            let skaters: Vec<_> = frame
                .people
                .iter()
                .filter(|p| p.kind == PersonKind::Skater)
                .collect();
            let mut closest: Option<(f64, u32, u32)> = None;
            for (i, a) in skaters.iter().enumerate() {
                for b in &skaters[i + 1..] {
                    let d = (a.x_ft - b.x_ft).hypot(a.y_ft - b.y_ft);
                    if closest.is_none_or(|(best, _, _)| d < best) {
                        closest = Some((d, a.track_id, b.track_id));
                    }
                }
            }
            if let Some((_, a, b)) = closest {
                let ia = self.id_of(a);
                let ib = self.id_of(b);
                self.reported_id.insert(a, ib);
                self.reported_id.insert(b, ia);
            }
        }
        let mut tracks = Vec::new();
        for person in &frame.people {
            let class = match person.kind {
                PersonKind::Skater => ObjectClass::Player,
                PersonKind::Goalie => ObjectClass::Goalie,
                PersonKind::Referee | PersonKind::Linesman => ObjectClass::Referee,
            };
            if self.rng.random_bool(l.missed_player_share) {
                continue;
            }
            let x = person.x_ft + jitter(&mut self.rng, player_noise);
            let y = person.y_ft + jitter(&mut self.rng, player_noise);
            let Some(position) = RinkPoint::clamped(x, y) else {
                continue;
            };
            tracks.push(RinkTrack {
                track_id: self.id_of(person.track_id),
                class,
                team: person.team,
                position,
                score: 0.9,
            });
        }
        let puck = frame.puck.and_then(|p| {
            if self.dropout_left > 0 {
                self.dropout_left -= 1;
                return None;
            }
            let near_goalie = frame.people.iter().any(|g| {
                g.kind == PersonKind::Goalie && (g.x_ft - p.x_ft).hypot(g.y_ft - p.y_ft) < 8.0
            });
            let near_boards =
                p.x_ft.abs() > HALF_LENGTH_FT - 8.0 || p.y_ft.abs() > HALF_WIDTH_FT - 6.0;
            let chance = l.puck_dropout_start
                * if near_goalie || near_boards {
                    l.puck_dropout_hotspot
                } else {
                    1.0
                };
            if self.rng.random_bool(chance.clamp(0.0, 1.0)) {
                self.dropout_left = self.rng.random_range(1..=l.max_dropout_frames.max(1)) - 1;
                return None;
            }
            let x = p.x_ft + jitter(&mut self.rng, puck_noise);
            let y = p.y_ft + jitter(&mut self.rng, puck_noise);
            Some(RinkPuck {
                position: RinkPoint::clamped(x, y)?,
                status: PuckStatus::Seen,
                unseen_frames: 0,
            })
        });
        RinkState {
            frame: frame.frame,
            media_time_ms: MediaTimeMs(frame.media_time_ms),
            tracks,
            puck,
        }
    }

    fn id_of(&mut self, true_id: u32) -> u64 {
        *self
            .reported_id
            .entry(true_id)
            .or_insert(u64::from(true_id))
    }
}
