//! The game simulation: two teams of five skaters and a goalie, three officials and a puck,
//! advanced at a fixed frame step from a seed. Players follow simple hockey tactics (carry, pass,
//! shoot, dump, clear, pressure, support); the rules turn what happens into the true event log in
//! BenchSight's vocabulary: faceoffs, shots of every outcome, goals, saves, zone entries and exits,
//! passes, turnovers, recoveries, stoppages, periods and intermissions.
//!
//! Everything is a pure function of the configuration: the same seed gives the same game.

pub mod physics;

use benchsight_core::domain::{Confidence, GameClock, MediaTimeMs, Period, Source, Team};
use benchsight_core::event::{EventPlayer, GameEvent, PlayerRole};
use benchsight_core::ids::{EventId, GameId};
use benchsight_core::rink::{
    BLUE_LINE_X_FT, End, Ends, FaceoffDot, GOAL_LINE_X_FT, NET_HALF_WIDTH_FT, RinkPoint,
    ShotGeometry,
};
use benchsight_core::vocabulary::{Detail, EventType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use physics::{PuckBody, SkaterBody, V2, launch};

/// How a simulated game is set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameConfig {
    pub seed: u64,
    pub game_id: GameId,
    pub frames_per_s: u32,
    /// Game-clock length of each period.
    pub period_length_s: u32,
    pub periods: u8,
    /// Empty ice between periods, in media seconds.
    pub intermission_s: u32,
    /// Chance that a shot on net beats the goalie (before distance and speed adjust it): the
    /// scoring-rate knob. Real leagues sit near 0.10; short test games use more.
    pub goal_probability: f64,
    pub home_attacks_right_p1: bool,
    /// Media time of the game start, as Unix milliseconds (seeds event ids only).
    pub start_unix_ms: u64,
}

impl GameConfig {
    /// The scoring rate used by default, high enough that a one-minute test game has goals.
    pub const TEST_GOAL_PROBABILITY: f64 = 0.6;

    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            game_id: GameId::parse(&format!("sim-{seed}")).unwrap_or_else(|_| unreachable!()),
            frames_per_s: 30,
            period_length_s: 360,
            periods: 3,
            intermission_s: 20,
            goal_probability: Self::TEST_GOAL_PROBABILITY,
            home_attacks_right_p1: seed.is_multiple_of(2),
            start_unix_ms: 1_767_225_600_000 + seed * 86_400_000 % 31_536_000_000,
        }
    }
}

/// What a person on the ice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    Skater,
    Goalie,
    Referee,
    Linesman,
}

/// A skater's position in the line-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Centre,
    LeftWing,
    RightWing,
    LeftDefence,
    RightDefence,
    Goalie,
}

impl Role {
    const LINEUP: [Role; 6] = [
        Role::Centre,
        Role::LeftWing,
        Role::RightWing,
        Role::LeftDefence,
        Role::RightDefence,
        Role::Goalie,
    ];

    /// Lateral lane, as a share of the half-width, from the attacking team's left (+) to right.
    fn lane(self) -> f64 {
        match self {
            Role::Centre | Role::Goalie => 0.0,
            Role::LeftWing => 0.55,
            Role::RightWing => -0.55,
            Role::LeftDefence => 0.35,
            Role::RightDefence => -0.35,
        }
    }

    fn is_defence(self) -> bool {
        matches!(self, Role::LeftDefence | Role::RightDefence)
    }
}

/// One person's state in a frame, for the renderer and the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonState {
    pub track_id: u32,
    pub kind: PersonKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    pub x_ft: f64,
    pub y_ft: f64,
    pub heading_rad: f64,
    pub speed_ft_s: f64,
    pub stride_phase: f64,
    /// True for the skater controlling the puck.
    pub has_puck: bool,
}

/// The puck's state in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PuckState {
    pub x_ft: f64,
    pub y_ft: f64,
    pub height_ft: f64,
    /// Where it was one frame earlier (for motion blur).
    pub previous: [f64; 3],
}

/// Everything visible in one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameState {
    pub frame: u64,
    pub media_time_ms: u64,
    pub period: u8,
    /// Game clock remaining in the period.
    pub clock_ms: u32,
    pub play_on: bool,
    pub people: Vec<PersonState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub puck: Option<PuckState>,
}

#[derive(Debug, Clone)]
struct Player {
    track_id: u32,
    team: Team,
    number: u16,
    role: Role,
    body: SkaterBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OfficialKind {
    Referee,
    Linesman,
}

#[derive(Debug, Clone)]
struct Official {
    track_id: u32,
    kind: OfficialKind,
    /// Which side of the rink this official covers (+1 upper, -1 lower).
    side: f64,
    body: SkaterBody,
}

/// How the puck last left a stick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    Pass { receiver: usize },
    Dump,
    Clear,
    Shot,
    Rebound,
    Deflection,
    Faceoff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Loose,
    Carried(usize),
    Frozen(usize),
    InNet,
}

/// The shot in flight, until its outcome is known.
#[derive(Debug, Clone, Copy)]
struct LiveShot {
    shooter: usize,
    released_ms: u64,
    origin: V2,
    end: End,
    kind: &'static str,
    /// Decided at release: a shot on net that beats the goalie.
    beats_goalie: bool,
    blocker: Option<usize>,
    /// A teammate near the net who redirects the shot.
    tipper: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct LastTouch {
    player: usize,
    release: Option<Release>,
    at_ms: u64,
    from: V2,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Players take their places; the puck drops once they stand at them, not before
    /// `drop_ms` (and at the latest `LINE_UP_LIMIT_MS` after it).
    FaceoffSetup {
        dot: FaceoffDot,
        detail: &'static str,
        drop_ms: u64,
    },
    Live,
    /// Play is dead until `until_ms`, then a faceoff at `dot`.
    Stopped {
        until_ms: u64,
        dot: FaceoffDot,
        detail: &'static str,
    },
    Intermission {
        until_ms: u64,
    },
    Over,
}

/// Absolute zones of the rink, for crossing detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Left,
    Neutral,
    Right,
}

/// A running simulated game.
#[derive(Debug)]
pub struct GameSim {
    config: GameConfig,
    rng: ChaCha8Rng,
    /// A separate stream for tips, so that adding them left the rest of each game as it was.
    tips: ChaCha8Rng,
    frame: u64,
    period: Period,
    clock_ms: u32,
    phase: Phase,
    players: Vec<Player>,
    officials: Vec<Official>,
    puck: PuckBody,
    previous_puck: [f64; 3],
    control: Control,
    last_touch: Option<LastTouch>,
    shot: Option<LiveShot>,
    faceoff_winner: Option<(Team, u64)>,
    puck_area: Area,
    events: Vec<GameEvent>,
    on_ice: bool,
}

const SKATER_MAX_SPEED_FT_S: f64 = 27.0;
/// A player this close to their place at a faceoff is lined up.
const LINED_UP_FT: f64 = 2.0;
/// The longest a linesman waits past the earliest drop for the players to line up.
const LINE_UP_LIMIT_MS: u64 = 15_000;
const CARRIER_MAX_SPEED_FT_S: f64 = 23.0;
const SKATER_ACCEL_FT_S2: f64 = 18.0;
const STICK_REACH_FT: f64 = 2.5;
const FT_PER_M: f64 = 3.2808;

fn probability(rate_per_s: f64, dt: f64) -> f64 {
    1.0 - (-rate_per_s * dt).exp()
}

impl GameSim {
    pub fn new(config: GameConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut players = Vec::new();
        let mut track_id = 1;
        for team in Team::BOTH {
            let mut numbers: Vec<u16> = Vec::new();
            while numbers.len() < Role::LINEUP.len() {
                let n = rng.random_range(1..=98);
                if !numbers.contains(&n) {
                    numbers.push(n);
                }
            }
            for (role, number) in Role::LINEUP.into_iter().zip(numbers) {
                players.push(Player {
                    track_id,
                    team,
                    number,
                    role,
                    body: SkaterBody::standing(V2::zeros(), 0.0),
                });
                track_id += 1;
            }
        }
        let officials = [
            (OfficialKind::Referee, 1.0),
            (OfficialKind::Linesman, 1.0),
            (OfficialKind::Linesman, -1.0),
        ]
        .into_iter()
        .map(|(kind, side)| {
            let official = Official {
                track_id,
                kind,
                side,
                body: SkaterBody::standing(V2::new(0.0, side * 35.0), 0.0),
            };
            track_id += 1;
            official
        })
        .collect();
        let clock_ms = config.period_length_s * 1000;
        let tips = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7195);
        let mut sim = Self {
            config,
            rng,
            tips,
            frame: 0,
            period: Period::FIRST,
            clock_ms,
            phase: Phase::FaceoffSetup {
                dot: FaceoffDot::Centre,
                detail: "Faceoff_GameStart",
                drop_ms: 2500,
            },
            players,
            officials,
            puck: PuckBody::at_rest(V2::zeros()),
            previous_puck: [0.0; 3],
            control: Control::Loose,
            last_touch: None,
            shot: None,
            faceoff_winner: None,
            puck_area: Area::Neutral,
            events: Vec::new(),
            on_ice: true,
        };
        sim.place_for_faceoff(FaceoffDot::Centre, true);
        sim.emit(0, EventType::GameStart, None, None, None, vec![], None);
        sim
    }

    pub fn config(&self) -> &GameConfig {
        &self.config
    }

    fn dt(&self) -> f64 {
        1.0 / f64::from(self.config.frames_per_s)
    }

    fn now_ms(&self) -> u64 {
        self.frame * 1000 / u64::from(self.config.frames_per_s)
    }

    fn ends(&self) -> Ends {
        Ends {
            home_attacks_right_p1: self.config.home_attacks_right_p1,
        }
    }

    /// +1 when `team` attacks the right end in the current period.
    fn attack_sign(&self, team: Team) -> f64 {
        self.ends().attacked_by(team, self.period).sign()
    }

    /// True once the game is over.
    pub fn is_over(&self) -> bool {
        matches!(self.phase, Phase::Over)
    }

    /// The true events so far, in time order, leaving the log empty.
    pub fn take_events(&mut self) -> Vec<GameEvent> {
        let mut events = std::mem::take(&mut self.events);
        events.sort_by_key(|e| e.media_time_ms);
        events
    }

    /// The state of the current frame.
    pub fn state(&self) -> FrameState {
        let people = if self.on_ice {
            let carried = match self.control {
                Control::Carried(i) => Some(i),
                _ => None,
            };
            self.players
                .iter()
                .enumerate()
                .map(|(i, p)| PersonState {
                    track_id: p.track_id,
                    kind: if p.role == Role::Goalie {
                        PersonKind::Goalie
                    } else {
                        PersonKind::Skater
                    },
                    team: Some(p.team),
                    number: Some(p.number),
                    x_ft: p.body.pos.x,
                    y_ft: p.body.pos.y,
                    heading_rad: p.body.heading,
                    speed_ft_s: p.body.vel.norm(),
                    stride_phase: p.body.stride_phase,
                    has_puck: carried == Some(i),
                })
                .chain(self.officials.iter().map(|o| PersonState {
                    track_id: o.track_id,
                    kind: match o.kind {
                        OfficialKind::Referee => PersonKind::Referee,
                        OfficialKind::Linesman => PersonKind::Linesman,
                    },
                    team: None,
                    number: None,
                    x_ft: o.body.pos.x,
                    y_ft: o.body.pos.y,
                    heading_rad: o.body.heading,
                    speed_ft_s: o.body.vel.norm(),
                    stride_phase: o.body.stride_phase,
                    has_puck: false,
                }))
                .collect()
        } else {
            Vec::new()
        };
        let puck = self.on_ice.then_some(PuckState {
            x_ft: self.puck.pos.x,
            y_ft: self.puck.pos.y,
            height_ft: self.puck.height_ft,
            previous: self.previous_puck,
        });
        FrameState {
            frame: self.frame,
            media_time_ms: self.now_ms(),
            period: self.period.number(),
            clock_ms: self.clock_ms,
            play_on: matches!(self.phase, Phase::Live),
            people,
            puck,
        }
    }

    /// Advances one frame.
    pub fn step(&mut self) {
        self.previous_puck = [self.puck.pos.x, self.puck.pos.y, self.puck.height_ft];
        self.frame += 1;
        let now = self.now_ms();
        let dt = self.dt();
        match self.phase {
            Phase::FaceoffSetup {
                dot,
                detail,
                drop_ms,
            } => {
                let lined_up = self.move_to_faceoff(dot, dt);
                if now >= drop_ms && (lined_up || now >= drop_ms + LINE_UP_LIMIT_MS) {
                    self.drop_puck(dot, detail, now);
                }
            }
            Phase::Live => {
                self.clock_ms = self.clock_ms.saturating_sub((dt * 1000.0).round() as u32);
                self.play(now, dt);
                if self.clock_ms == 0 && matches!(self.phase, Phase::Live) {
                    self.end_period(now);
                }
            }
            Phase::Stopped {
                until_ms,
                dot,
                detail,
            } => {
                self.glide(dt);
                if now >= until_ms {
                    self.control = Control::Loose;
                    self.puck = PuckBody::at_rest(v2(dot.position()));
                    self.phase = Phase::FaceoffSetup {
                        dot,
                        detail,
                        drop_ms: now + 2000,
                    };
                }
            }
            Phase::Intermission { until_ms } => {
                if now >= until_ms {
                    self.period =
                        Period::new(u64::from(self.period.number()) + 1).unwrap_or(self.period);
                    self.clock_ms = self.config.period_length_s * 1000;
                    self.on_ice = true;
                    self.place_for_faceoff(FaceoffDot::Centre, true);
                    self.phase = Phase::FaceoffSetup {
                        dot: FaceoffDot::Centre,
                        detail: "Faceoff_PeriodStart",
                        drop_ms: now + 2000,
                    };
                }
            }
            Phase::Over => {}
        }
    }

    fn end_period(&mut self, now: u64) {
        let last = self.period.number() >= self.config.periods;
        let detail = if last {
            "Stoppage_GameEnd"
        } else {
            "Stoppage_PeriodEnd"
        };
        self.emit(
            now,
            EventType::Stoppage,
            Some(detail),
            None,
            None,
            vec![],
            None,
        );
        self.shot = None;
        self.control = Control::Loose;
        if last {
            self.emit(now, EventType::GameEnd, None, None, None, vec![], None);
            self.phase = Phase::Over;
        } else {
            self.emit(now, EventType::Intermission, None, None, None, vec![], None);
            self.phase = Phase::Intermission {
                until_ms: now + u64::from(self.config.intermission_s) * 1000,
            };
        }
        self.on_ice = false;
    }

    // ----- faceoffs -------------------------------------------------------------------------

    fn faceoff_spot(&self, index: usize, dot: V2) -> V2 {
        let player = &self.players[index];
        let s = self.attack_sign(player.team);
        let spot = match player.role {
            Role::Centre => dot - V2::new(s * 1.5, 0.0),
            Role::LeftWing => dot + V2::new(-s * 3.0, s * 14.0),
            Role::RightWing => dot + V2::new(-s * 3.0, -s * 14.0),
            Role::LeftDefence => dot + V2::new(-s * 16.0, s * 9.0),
            Role::RightDefence => dot + V2::new(-s * 16.0, -s * 9.0),
            Role::Goalie => V2::new(-s * (GOAL_LINE_X_FT - 4.0), 0.0),
        };
        physics::keep_inside(spot, 3.0).map_or(spot, |(inside, _)| inside)
    }

    fn place_for_faceoff(&mut self, dot: FaceoffDot, teleport: bool) {
        let dot = v2(dot.position());
        for i in 0..self.players.len() {
            let spot = self.faceoff_spot(i, dot);
            let heading = if self.attack_sign(self.players[i].team) > 0.0 {
                0.0
            } else {
                std::f64::consts::PI
            };
            if teleport {
                self.players[i].body = SkaterBody::standing(spot, heading);
            }
        }
        if teleport {
            for (k, official) in self.officials.iter_mut().enumerate() {
                let spot = match k {
                    0 => V2::new(dot.x, dot.y + 6.0),
                    _ => V2::new(official.side * 25.0, official.side * 38.0),
                };
                official.body = SkaterBody::standing(spot, -std::f64::consts::FRAC_PI_2);
            }
            self.puck = PuckBody::at_rest(dot);
        }
    }

    /// One frame of the players skating to their places for a faceoff at `dot`; returns whether
    /// every one of them now stands at his place (the linesman drops the puck only then: after a
    /// goal or an icing they first skate the length of the ice).
    fn move_to_faceoff(&mut self, dot: FaceoffDot, dt: f64) -> bool {
        let centre = v2(dot.position());
        let mut lined_up = true;
        for i in 0..self.players.len() {
            let spot = self.faceoff_spot(i, centre);
            let body = &mut self.players[i].body;
            body.steer(spot, SKATER_MAX_SPEED_FT_S * 0.6, SKATER_ACCEL_FT_S2, dt);
            let off_spot_ft = (body.pos - spot).norm();
            lined_up &= off_spot_ft <= LINED_UP_FT;
            if off_spot_ft < 1.0 {
                body.face(centre, dt);
            }
        }
        for (k, official) in self.officials.iter_mut().enumerate() {
            let spot = if k == 1 {
                centre + V2::new(0.0, 4.0)
            } else {
                V2::new(centre.x * 0.6 + official.side * 12.0, official.side * 36.0)
            };
            official.body.steer(spot, 15.0, 12.0, dt);
        }
        self.puck = PuckBody::at_rest(centre);
        lined_up
    }

    fn drop_puck(&mut self, dot: FaceoffDot, detail: &'static str, now: u64) {
        let winner = if self.rng.random_bool(0.5) {
            Team::Home
        } else {
            Team::Away
        };
        let centre_of = |team| {
            self.players
                .iter()
                .position(|p| p.team == team && p.role == Role::Centre)
                .unwrap_or(0)
        };
        let (won, lost) = (centre_of(winner), centre_of(winner.opponent()));
        let spot = v2(dot.position());
        // The winning centre draws the puck back to one of their defencemen.
        let defenceman = self
            .players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.team == winner && p.role.is_defence())
            .min_by(|a, b| {
                (a.1.body.pos - spot)
                    .norm()
                    .total_cmp(&(b.1.body.pos - spot).norm())
            })
            .map_or(spot, |(_, p)| p.body.pos);
        let direction = (defenceman - spot).try_normalize(1e-9).unwrap_or(V2::x());
        self.puck = PuckBody::at_rest(spot);
        self.puck.vel = direction * self.rng.random_range(14.0..20.0);
        self.control = Control::Loose;
        self.shot = None;
        self.last_touch = Some(LastTouch {
            player: won,
            release: Some(Release::Faceoff),
            at_ms: now,
            from: spot,
        });
        self.faceoff_winner = Some((winner, now + 700));
        self.puck_area = area_of(spot.x);
        let players = vec![
            self.role_of(won, PlayerRole::ACTOR),
            self.role_of(lost, PlayerRole::OPPONENT),
        ];
        self.emit(
            now,
            EventType::Faceoff,
            Some(detail),
            None,
            Some(winner),
            players,
            Some(rink_point(spot)),
        );
        self.phase = Phase::Live;
    }

    // ----- live play ------------------------------------------------------------------------

    fn play(&mut self, now: u64, dt: f64) {
        self.decide(now, dt);
        self.move_players(now, dt);
        self.move_officials(dt);
        self.move_puck(now, dt);
    }

    fn possession_team(&self) -> Option<Team> {
        match self.control {
            Control::Carried(i) | Control::Frozen(i) => Some(self.players[i].team),
            _ => self.last_touch.map(|t| self.players[t.player].team),
        }
    }

    /// The carrier's choice this frame: keep carrying, pass, shoot, dump or clear.
    fn decide(&mut self, now: u64, dt: f64) {
        let Control::Carried(carrier) = self.control else {
            return;
        };
        let player = self.players[carrier].clone();
        let s = self.attack_sign(player.team);
        let pos = player.body.pos;
        let zone_x = pos.x * s;
        let net = V2::new(s * GOAL_LINE_X_FT, 0.0);
        let geometry = ShotGeometry::towards(rink_point(pos), end_of(s));
        let pressure = self.nearest_opponent_distance(carrier, pos);
        let held_ms = self.last_touch.map_or(0, |t| now.saturating_sub(t.at_ms));

        // Shoot from the offensive zone when the angle is workable.
        if zone_x > BLUE_LINE_X_FT && geometry.distance_ft < 66.0 && geometry.angle_deg < 70.0 {
            let rate = 1.0 + 3.0 * (1.0 - geometry.distance_ft / 66.0).max(0.0);
            if self.rng.random_bool(probability(rate, dt)) {
                self.shoot(carrier, net, now, held_ms < 400);
                return;
            }
        }
        // Dump it in when a defender stands up at the blue line.
        if (0.0..BLUE_LINE_X_FT).contains(&zone_x)
            && zone_x > 8.0
            && pressure < 14.0
            && self.rng.random_bool(probability(1.6, dt))
        {
            let side = if pos.y >= 0.0 { 1.0 } else { -1.0 };
            let corner = V2::new(s * 96.0, side * self.rng.random_range(18.0..32.0));
            let speed = self.rng.random_range(45.0..60.0);
            self.release(carrier, corner, speed, 0.0, Release::Dump, now);
            return;
        }
        // Clear the zone under pressure, now and then all the way down the ice.
        if zone_x < -BLUE_LINE_X_FT && pressure < 7.0 && self.rng.random_bool(probability(0.7, dt))
        {
            let long = self.rng.random_bool(0.25) && zone_x > -GOAL_LINE_X_FT;
            let target = if long {
                V2::new(s * 99.0, self.rng.random_range(-30.0..30.0))
            } else {
                V2::new(s * 5.0, pos.y.signum() * 38.0)
            };
            let speed = if long { 80.0 } else { 55.0 };
            self.release(carrier, target, speed, 0.0, Release::Clear, now);
            return;
        }
        // Pass to an open teammate.
        let rate = if pressure < 8.0 { 1.3 } else { 0.45 };
        if held_ms > 500
            && self.rng.random_bool(probability(rate, dt))
            && let Some((receiver, target)) = self.pick_receiver(carrier)
        {
            let speed = self.rng.random_range(45.0..65.0);
            self.release(carrier, target, speed, 0.0, Release::Pass { receiver }, now);
        }
    }

    fn nearest_opponent_distance(&self, index: usize, pos: V2) -> f64 {
        let team = self.players[index].team;
        self.players
            .iter()
            .filter(|p| p.team != team && p.role != Role::Goalie)
            .map(|p| (p.body.pos - pos).norm())
            .fold(f64::INFINITY, f64::min)
    }

    /// The teammate with the best open lane, and where to put the puck for them.
    fn pick_receiver(&self, carrier: usize) -> Option<(usize, V2)> {
        let from = self.players[carrier].body.pos;
        let team = self.players[carrier].team;
        let s = self.attack_sign(team);
        self.players
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != carrier && p.team == team && p.role != Role::Goalie)
            .filter_map(|(i, p)| {
                let lead = p.body.pos + p.body.vel * 0.6;
                let distance = (lead - from).norm();
                if !(12.0..95.0).contains(&distance) {
                    return None;
                }
                // Opponents beside the passer do not close the lane; those along it do.
                let lane_start = from + (lead - from) / distance * 5.0;
                let openness = self
                    .players
                    .iter()
                    .filter(|o| o.team != team && o.role != Role::Goalie)
                    .map(|o| distance_to_segment(o.body.pos, lane_start, lead))
                    .fold(f64::INFINITY, f64::min);
                (openness > 3.5).then(|| {
                    let forward = (lead.x - from.x) * s;
                    (i, lead, openness.min(15.0) + 0.3 * forward - 0.1 * distance)
                })
            })
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(i, lead, _)| (i, physics::keep_inside(lead, 2.0).map_or(lead, |(p, _)| p)))
    }

    fn release(
        &mut self,
        player: usize,
        target: V2,
        speed: f64,
        height: f64,
        release: Release,
        now: u64,
    ) {
        let from = self.players[player].body.pos;
        let start = self.puck.pos;
        self.puck = launch(start, target, speed, height);
        self.control = Control::Loose;
        self.last_touch = Some(LastTouch {
            player,
            release: Some(release),
            at_ms: now,
            from,
        });
    }

    fn shoot(&mut self, shooter: usize, net: V2, now: u64, one_timer: bool) {
        let s = net.x.signum();
        let origin = self.puck.pos;
        let geometry = ShotGeometry::towards(rink_point(origin), end_of(s));
        let (kind, low, high) = if one_timer && self.rng.random_bool(0.6) {
            ("Shot_OneTime", 30.0, 42.0)
        } else {
            let roll: f64 = self.rng.random();
            match roll {
                r if r < 0.45 => ("Shot_Wrist", 22.0, 35.0),
                r if r < 0.65 => ("Shot_Snap", 25.0, 38.0),
                r if r < 0.82 && geometry.distance_ft > 30.0 => ("Shot_Slap", 32.0, 45.0),
                r if r < 0.92 => ("Shot_Backhand", 20.0, 28.0),
                _ => ("Shot_Wrist", 22.0, 35.0),
            }
        };
        let speed = self.rng.random_range(low..high) * FT_PER_M;
        let on_net_chance = (0.92 - geometry.distance_ft / 150.0).clamp(0.5, 0.85);
        let roll: f64 = self.rng.random();
        let (target_y, height) = if roll < on_net_chance {
            (
                self.rng
                    .random_range(-(NET_HALF_WIDTH_FT - 0.4)..(NET_HALF_WIDTH_FT - 0.4)),
                self.rng.random_range(0.0..3.2),
            )
        } else if roll < on_net_chance + 0.03 {
            (
                (NET_HALF_WIDTH_FT + 0.1) * if self.rng.random_bool(0.5) { 1.0 } else { -1.0 },
                self.rng.random_range(0.0..2.0),
            )
        } else {
            let side = if self.rng.random_bool(0.5) { 1.0 } else { -1.0 };
            (
                side * self.rng.random_range(4.0..9.0),
                self.rng.random_range(0.0..4.5),
            )
        };
        let target = V2::new(net.x, target_y);
        let quality = (1.2 - geometry.distance_ft / 60.0).clamp(0.35, 1.2);
        let beats_goalie = self
            .rng
            .random_bool((self.config.goal_probability * quality).clamp(0.0, 0.95));
        // A defender in the lane may get in front of it.
        let team = self.players[shooter].team;
        let blocker = self
            .players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.team != team && p.role != Role::Goalie)
            .filter(|(_, p)| {
                let along = (p.body.pos - origin).dot(&(target - origin))
                    / (target - origin).norm_squared();
                (0.1..0.85).contains(&along)
                    && distance_to_segment(p.body.pos, origin, target) < 2.5
            })
            .map(|(i, _)| i)
            .find(|_| self.rng.random_bool(0.6));
        // A teammate standing in the shot's path near the net may tip it.
        let tipper = self
            .players
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != shooter && p.team == team && p.role != Role::Goalie)
            .filter(|(_, p)| {
                let along = (p.body.pos - origin).dot(&(target - origin))
                    / (target - origin).norm_squared();
                (0.5..0.92).contains(&along)
                    && distance_to_segment(p.body.pos, origin, target) < 3.0
            })
            .map(|(i, _)| i)
            .find(|_| self.tips.random_bool(0.5));
        self.release(shooter, target, speed, height, Release::Shot, now);
        self.shot = Some(LiveShot {
            shooter,
            released_ms: now,
            origin,
            end: end_of(s),
            kind,
            beats_goalie,
            blocker,
            tipper,
        });
    }

    fn move_players(&mut self, now: u64, dt: f64) {
        let puck = self.puck.pos;
        let puck_ahead = puck + self.puck.vel * 0.35;
        let attacking = self.possession_team();
        let carrier = match self.control {
            Control::Carried(i) => Some(i),
            _ => None,
        };
        let pass_receiver = match (self.control, self.last_touch) {
            (
                Control::Loose,
                Some(LastTouch {
                    release: Some(Release::Pass { receiver }),
                    ..
                }),
            ) => Some(receiver),
            _ => None,
        };
        // The two nearest skaters of each team chase a loose puck.
        let mut chasers = Vec::new();
        if carrier.is_none() && !matches!(self.control, Control::Frozen(_) | Control::InNet) {
            for team in Team::BOTH {
                let mut by_distance: Vec<(usize, f64)> = self
                    .players
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.team == team && p.role != Role::Goalie)
                    .map(|(i, p)| (i, (p.body.pos - puck_ahead).norm()))
                    .collect();
                by_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
                chasers.extend(by_distance.iter().take(2).map(|x| x.0));
            }
        }
        // The nearest defender pressures the carrier.
        let pressurer = carrier.and_then(|c| {
            let team = self.players[c].team;
            self.players
                .iter()
                .enumerate()
                .filter(|(_, p)| p.team != team && p.role != Role::Goalie)
                .min_by(|a, b| {
                    (a.1.body.pos - self.players[c].body.pos)
                        .norm()
                        .total_cmp(&(b.1.body.pos - self.players[c].body.pos).norm())
                })
                .map(|(i, _)| i)
        });

        let targets: Vec<(V2, f64)> = (0..self.players.len())
            .map(|i| {
                let p = &self.players[i];
                let s = self.attack_sign(p.team);
                if p.role == Role::Goalie {
                    let own_net = V2::new(-s * GOAL_LINE_X_FT, 0.0);
                    let toward = (puck - own_net).normalize();
                    let out = if (puck.x * -s) > 0.0 { 3.5 } else { 2.0 };
                    let mut spot = own_net + toward * out;
                    spot.x =
                        own_net.x + (-own_net.x.signum()) * (spot.x - own_net.x).abs().max(1.0);
                    spot.y = spot.y.clamp(-3.5, 3.5);
                    return (spot, 12.0);
                }
                if Some(i) == carrier {
                    let lane = p.role.lane() * 20.0 * s;
                    let goal_side = V2::new(s * 72.0, lane.clamp(-15.0, 15.0));
                    let mut target = goal_side;
                    // Sidestep the nearest opponent.
                    if let Some(o) = self
                        .players
                        .iter()
                        .filter(|o| o.team != p.team && o.role != Role::Goalie)
                        .min_by(|a, b| {
                            (a.body.pos - p.body.pos)
                                .norm()
                                .total_cmp(&(b.body.pos - p.body.pos).norm())
                        })
                    {
                        let away = p.body.pos - o.body.pos;
                        if away.norm() < 10.0 && away.norm() > 0.01 {
                            target += V2::new(0.0, away.y.signum() * 12.0);
                        }
                    }
                    return (target, CARRIER_MAX_SPEED_FT_S);
                }
                if Some(i) == pass_receiver || chasers.contains(&i) {
                    return (puck_ahead, SKATER_MAX_SPEED_FT_S * 1.1);
                }
                if Some(i) == pressurer {
                    let c = &self.players[carrier.unwrap_or(i)];
                    return (c.body.pos + c.body.vel * 0.3, SKATER_MAX_SPEED_FT_S);
                }
                let lane_y = p.role.lane() * 36.0 * s;
                if Some(p.team) == attacking {
                    // Support: forwards ahead of the puck in their lanes, defence trailing.
                    let x = if p.role.is_defence() {
                        (puck.x * s - 30.0).clamp(-60.0, BLUE_LINE_X_FT + 3.0)
                    } else {
                        (puck.x * s + 12.0).clamp(-40.0, 80.0)
                    };
                    (V2::new(x * s, lane_y), SKATER_MAX_SPEED_FT_S * 0.85)
                } else {
                    // Defend: between the puck and the own net.
                    let own_net = V2::new(-s * GOAL_LINE_X_FT, 0.0);
                    let share = if p.role.is_defence() { 0.3 } else { 0.55 };
                    let base = own_net + (puck - own_net) * share;
                    (
                        V2::new(base.x, base.y * 0.5 + lane_y * 0.5),
                        SKATER_MAX_SPEED_FT_S * 0.85,
                    )
                }
            })
            .collect();

        for (i, (target, speed)) in targets.into_iter().enumerate() {
            // Keep a little room between players.
            let mut push = V2::zeros();
            for (j, other) in self.players.iter().enumerate() {
                let gap = self.players[i].body.pos - other.body.pos;
                let distance = gap.norm();
                if j != i && distance < 3.0 && distance > 1e-6 {
                    push += gap / distance * (3.0 - distance);
                }
            }
            let body = &mut self.players[i].body;
            body.steer(target + push * 2.0, speed, SKATER_ACCEL_FT_S2, dt);
            if self.players[i].role == Role::Goalie {
                self.players[i].body.face(puck, dt);
            }
        }

        // A defender close to the carrier may strip the puck.
        if let (Some(c), Some(d)) = (carrier, pressurer) {
            let gap = (self.players[c].body.pos - self.players[d].body.pos).norm();
            if gap < 3.0 && self.rng.random_bool(probability(0.45, dt)) {
                let spot = rink_point(self.puck.pos);
                self.take_control(d, now);
                let team = self.players[d].team;
                let players = vec![
                    self.role_of(d, PlayerRole::ACTOR),
                    self.role_of(c, PlayerRole::OPPONENT),
                ];
                self.emit(
                    now,
                    EventType::Turnover,
                    Some("Turnover_Takeaway"),
                    Some("Takeaway_PokeCheck"),
                    Some(team),
                    players,
                    Some(spot),
                );
            }
        }
        if let Control::Carried(c) = self.control {
            let body = self.players[c].body;
            let blade = body.pos + V2::new(body.heading.cos(), body.heading.sin()) * 1.8;
            self.puck = PuckBody {
                pos: physics::outside_nets(
                    physics::keep_inside(blade, 0.3).map_or(blade, |(p, _)| p),
                    self.puck.pos,
                    0.25,
                ),
                vel: body.vel,
                height_ft: 0.0,
                vertical_ft_s: 0.0,
            };
        }
    }

    fn move_officials(&mut self, dt: f64) {
        let puck = self.puck.pos;
        for official in &mut self.officials {
            let target = match official.kind {
                OfficialKind::Referee => V2::new(
                    puck.x * 0.8 - puck.x.signum() * 12.0,
                    -official.side * 30.0 - puck.y * 0.2,
                ),
                OfficialKind::Linesman => {
                    let line = if puck.x * official.side >= 0.0 {
                        BLUE_LINE_X_FT
                    } else {
                        -BLUE_LINE_X_FT
                    };
                    V2::new(line + puck.x.signum() * 4.0, official.side * 38.0)
                }
            };
            official.body.steer(target, 20.0, 12.0, dt);
            official.body.face(puck, dt);
        }
    }

    fn take_control(&mut self, player: usize, now: u64) {
        let from = self.players[player].body.pos;
        self.control = Control::Carried(player);
        self.last_touch = Some(LastTouch {
            player,
            release: None,
            at_ms: now,
            from,
        });
        self.shot = None;
    }

    fn move_puck(&mut self, now: u64, dt: f64) {
        if matches!(
            self.control,
            Control::Carried(_) | Control::Frozen(_) | Control::InNet
        ) {
            self.track_zone(now);
            return;
        }
        const SUBSTEPS: u32 = 8;
        for _ in 0..SUBSTEPS {
            let contacts = self.puck.advance(dt / f64::from(SUBSTEPS));
            if self.resolve_shot(now, &contacts) {
                return;
            }
            if let Some(end) = contacts.into_net {
                // A puck that was not a live shot (a deflection, a dribbler) still counts.
                self.goal_without_shot(now, end);
                return;
            }
            if let Some(end) = contacts.past_goal_line
                && self.check_icing(now, end)
            {
                return;
            }
            if (contacts.boards || contacts.post)
                && let Some(touch) = &mut self.last_touch
                && touch.release == Some(Release::Shot)
                && self.shot.is_none()
            {
                touch.release = Some(Release::Rebound);
            }
        }
        self.track_zone(now);
        self.pick_up(now);
    }

    /// Judges a live shot as it reaches a blocker, the goalie or the goal line.
    fn resolve_shot(&mut self, now: u64, contacts: &physics::PuckContacts) -> bool {
        let Some(shot) = self.shot else {
            return false;
        };
        let pos = self.puck.pos;
        let s = shot.end.sign();
        let shooter_team = self.players[shot.shooter].team;
        let goalie = self
            .players
            .iter()
            .position(|p| p.team != shooter_team && p.role == Role::Goalie)
            .unwrap_or(0);
        if let Some(b) = shot.blocker
            && (self.players[b].body.pos - pos).norm() < 1.8
        {
            let bounce = V2::new(
                -s * self.rng.random_range(5.0..25.0),
                self.rng.random_range(-20.0..20.0),
            );
            self.puck.vel = bounce;
            self.puck.height_ft = 0.0;
            self.puck.vertical_ft_s = 0.0;
            self.record_shot(shot, "Shot_Blocked", b);
            self.mark_touch(b, Release::Deflection, now);
            self.shot = None;
            return true;
        }
        if let Some(t) = shot.tipper
            && (self.players[t].body.pos - pos).norm() < 3.0
            && shot.blocker.is_none()
        {
            // The original shot is logged as deflected; the tip is a new shot from here.
            self.record_shot(shot, "Shot_Deflected", goalie);
            let target = V2::new(s * GOAL_LINE_X_FT, self.tips.random_range(-4.5..4.5));
            let speed = self.puck.speed() * 0.8;
            let height = self.tips.random_range(0.0..3.0);
            let quality = 1.2;
            let beats_goalie = target.y.abs() < NET_HALF_WIDTH_FT
                && self
                    .tips
                    .random_bool((self.config.goal_probability * quality).clamp(0.0, 0.95));
            self.puck = launch(pos, target, speed, height);
            self.mark_touch(t, Release::Shot, now);
            self.shot = Some(LiveShot {
                shooter: t,
                released_ms: now,
                origin: pos,
                end: shot.end,
                kind: "Shot_Tip",
                beats_goalie,
                blocker: None,
                tipper: None,
            });
            return true;
        }
        let at_goalie = pos.x * s >= GOAL_LINE_X_FT - 3.0 && pos.y.abs() < NET_HALF_WIDTH_FT;
        if at_goalie && !shot.beats_goalie && self.puck.height_ft < 4.0 {
            self.record_shot(shot, "Shot_OnNetSaved", goalie);
            let freeze = self.rng.random_bool(0.4);
            let team = self.players[goalie].team;
            let detail2 = [
                "Save_Glove",
                "Save_Blocker",
                "Save_LeftPad",
                "Save_RightPad",
                "Save_Chest",
                "Save_Butterfly",
            ][self.rng.random_range(0..6)];
            let players = vec![
                self.role_of(goalie, PlayerRole::ACTOR),
                self.role_of(shot.shooter, PlayerRole::OPPONENT),
            ];
            if freeze {
                self.emit(
                    now,
                    EventType::Save,
                    Some("Save_Freeze"),
                    Some(detail2),
                    Some(team),
                    players,
                    Some(rink_point(pos)),
                );
                self.puck =
                    PuckBody::at_rest(self.players[goalie].body.pos + V2::new(-s * 1.0, 0.0));
                self.control = Control::Frozen(goalie);
                let whistle = now + 500;
                self.emit(
                    whistle,
                    EventType::Stoppage,
                    Some("Stoppage_Play"),
                    Some("Stoppage_GoalieStoppage"),
                    None,
                    vec![],
                    None,
                );
                let upper = pos.y >= 0.0;
                self.phase = Phase::Stopped {
                    until_ms: now + 3000,
                    dot: FaceoffDot::EndZone {
                        end: shot.end,
                        upper,
                    },
                    detail: "Faceoff_AfterStoppage",
                };
            } else {
                self.emit(
                    now,
                    EventType::Save,
                    Some("Save_Rebound"),
                    Some(detail2),
                    Some(team),
                    players,
                    Some(rink_point(pos)),
                );
                self.puck.pos.x = s * (GOAL_LINE_X_FT - 3.2);
                self.puck.vel = V2::new(
                    -s * self.rng.random_range(8.0..22.0),
                    self.rng.random_range(-15.0..15.0),
                );
                self.puck.height_ft = 0.0;
                self.puck.vertical_ft_s = 0.0;
                self.mark_touch(goalie, Release::Rebound, now);
            }
            self.shot = None;
            return true;
        }
        if let Some(end) = contacts.into_net
            && end == s
        {
            self.record_shot(shot, "Shot_Goal", goalie);
            self.score_goal(now, shot.shooter, goalie, end);
            return true;
        }
        if contacts.post {
            self.record_shot(shot, "Shot_HitPost", goalie);
            self.shot = None;
            return false;
        }
        if contacts.past_goal_line.is_some() || contacts.boards {
            self.record_shot(shot, "Shot_Missed", goalie);
            self.shot = None;
            if let Some(touch) = &mut self.last_touch {
                touch.release = Some(Release::Rebound);
            }
        }
        false
    }

    fn record_shot(&mut self, shot: LiveShot, outcome: &'static str, opponent: usize) {
        let team = self.players[shot.shooter].team;
        let players = vec![
            self.role_of(shot.shooter, PlayerRole::ACTOR),
            self.role_of(opponent, PlayerRole::OPPONENT),
        ];
        self.emit(
            shot.released_ms,
            EventType::Shot,
            Some(outcome),
            Some(shot.kind),
            Some(team),
            players,
            Some(rink_point(shot.origin)),
        );
    }

    fn score_goal(&mut self, now: u64, scorer: usize, goalie: usize, end: f64) {
        let team = self.players[scorer].team;
        let spot = self.puck.pos;
        let players = vec![
            self.role_of(scorer, PlayerRole::ACTOR),
            self.role_of(goalie, PlayerRole::OPPONENT),
        ];
        self.emit(
            now,
            EventType::Goal,
            Some("Goal_Scored"),
            None,
            Some(team),
            players,
            Some(rink_point(spot)),
        );
        self.emit(
            now + 500,
            EventType::Stoppage,
            Some("Stoppage_Play"),
            Some("Stoppage_Goal"),
            None,
            vec![],
            None,
        );
        self.puck = PuckBody::at_rest(V2::new(
            end * (GOAL_LINE_X_FT + 2.0),
            spot.y.clamp(-2.5, 2.5),
        ));
        self.control = Control::InNet;
        self.shot = None;
        self.phase = Phase::Stopped {
            until_ms: now + 4000,
            dot: FaceoffDot::Centre,
            detail: "Faceoff_AfterGoal",
        };
    }

    fn goal_without_shot(&mut self, now: u64, end: f64) {
        let scorer = self.last_touch.map_or(0, |t| t.player);
        let defending = self
            .players
            .iter()
            .position(|p| p.role == Role::Goalie && self.attack_sign(p.team) == -end)
            .unwrap_or(0);
        if self.players[scorer].team == self.players[defending].team {
            // An own goal: credit the attacking team's nearest skater.
            let attackers = self.players[defending].team.opponent();
            let nearest = self
                .players
                .iter()
                .enumerate()
                .filter(|(_, p)| p.team == attackers && p.role != Role::Goalie)
                .min_by(|a, b| {
                    (a.1.body.pos - self.puck.pos)
                        .norm()
                        .total_cmp(&(b.1.body.pos - self.puck.pos).norm())
                })
                .map_or(scorer, |(i, _)| i);
            self.record_tip_in(now, nearest, defending);
            self.score_goal(now, nearest, defending, end);
        } else {
            self.record_tip_in(now, scorer, defending);
            self.score_goal(now, scorer, defending, end);
        }
    }

    /// A goal off a deflection or a loose puck is still logged as BenchSight does: a shot with
    /// outcome Shot_Goal, then the goal.
    fn record_tip_in(&mut self, now: u64, scorer: usize, goalie: usize) {
        let team = self.players[scorer].team;
        let origin = rink_point(self.players[scorer].body.pos);
        let players = vec![
            self.role_of(scorer, PlayerRole::ACTOR),
            self.role_of(goalie, PlayerRole::OPPONENT),
        ];
        self.emit(
            now,
            EventType::Shot,
            Some("Shot_Goal"),
            Some("Shot_Tip"),
            Some(team),
            players,
            Some(origin),
        );
    }

    /// A clear or dump from a team's own half that crosses the far goal line untouched is icing.
    fn check_icing(&mut self, now: u64, end: f64) -> bool {
        let Some(touch) = self.last_touch else {
            return false;
        };
        if !matches!(touch.release, Some(Release::Clear | Release::Dump)) {
            return false;
        }
        let team = self.players[touch.player].team;
        let s = self.attack_sign(team);
        if s != end || touch.from.x * s >= 0.0 {
            return false;
        }
        self.emit(
            now,
            EventType::Stoppage,
            Some("Stoppage_Play"),
            Some("Stoppage_Icing"),
            None,
            vec![],
            None,
        );
        // The whistle does not stop the puck: it slides on to the end boards, where a linesman
        // collects it (stopped dead on the goal line, it could lie in the mouth of the net).
        self.control = Control::Loose;
        self.phase = Phase::Stopped {
            until_ms: now + 3000,
            dot: FaceoffDot::EndZone {
                end: end_of(-s),
                upper: touch.from.y >= 0.0,
            },
            detail: "Faceoff_AfterStoppage",
        };
        true
    }

    fn mark_touch(&mut self, player: usize, release: Release, now: u64) {
        let from = self.players[player].body.pos;
        self.last_touch = Some(LastTouch {
            player,
            release: Some(release),
            at_ms: now,
            from,
        });
    }

    /// A skater within reach of a slow enough, low enough loose puck takes it.
    fn pick_up(&mut self, now: u64) {
        if self.shot.is_some()
            || self.puck.height_ft > 1.0
            || !matches!(self.control, Control::Loose)
        {
            return;
        }
        let restricted = self
            .faceoff_winner
            .filter(|(_, until)| now < *until)
            .map(|(team, _)| team);
        let candidate = self
            .players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.role != Role::Goalie && restricted.is_none_or(|t| p.team == t))
            .filter(|(i, p)| {
                // A centre draws the puck past himself, back to a teammate: he cannot take it
                // while the draw is his team's alone.
                let fresh_release = self.last_touch.is_some_and(|t| {
                    t.player == *i
                        && (now.saturating_sub(t.at_ms) < 300
                            || (t.release == Some(Release::Faceoff) && restricted.is_some()))
                });
                !fresh_release
                    && (p.body.pos - self.puck.pos).norm() < STICK_REACH_FT
                    && (self.puck.vel - p.body.vel).norm() < 90.0
            })
            .min_by(|a, b| {
                (a.1.body.pos - self.puck.pos)
                    .norm()
                    .total_cmp(&(b.1.body.pos - self.puck.pos).norm())
            })
            .map(|(i, _)| i);
        let Some(picker) = candidate else {
            // A goalie covers a slow puck in the crease.
            let slow_in_crease = self.puck.speed() < 6.0
                && [End::Left, End::Right]
                    .into_iter()
                    .any(|end| benchsight_core::rink::in_crease(rink_point(self.puck.pos), end));
            if slow_in_crease
                && let Some(goalie) = self.players.iter().position(|p| {
                    p.role == Role::Goalie && (p.body.pos - self.puck.pos).norm() < 4.0
                })
            {
                let team = self.players[goalie].team;
                let end = if self.puck.pos.x > 0.0 {
                    End::Right
                } else {
                    End::Left
                };
                self.control = Control::Frozen(goalie);
                self.emit(
                    now,
                    EventType::Stoppage,
                    Some("Stoppage_Play"),
                    Some("Stoppage_GoalieStoppage"),
                    Some(team),
                    vec![],
                    None,
                );
                self.phase = Phase::Stopped {
                    until_ms: now + 3000,
                    dot: FaceoffDot::EndZone {
                        end,
                        upper: self.puck.pos.y >= 0.0,
                    },
                    detail: "Faceoff_AfterStoppage",
                };
            }
            return;
        };
        let team = self.players[picker].team;
        let spot = rink_point(self.puck.pos);
        match self.last_touch {
            Some(LastTouch {
                player: passer,
                release: Some(Release::Pass { .. }),
                at_ms,
                ..
            }) => {
                let passer_team = self.players[passer].team;
                if passer_team == team {
                    let players = vec![
                        self.role_of(passer, PlayerRole::ACTOR),
                        self.role_of(picker, PlayerRole::EventPlayer(2)),
                    ];
                    self.emit(
                        at_ms,
                        EventType::Pass,
                        Some("Pass_Completed"),
                        None,
                        Some(team),
                        players,
                        Some(spot),
                    );
                } else {
                    let players = vec![
                        self.role_of(passer, PlayerRole::ACTOR),
                        self.role_of(picker, PlayerRole::OPPONENT),
                    ];
                    self.emit(
                        at_ms,
                        EventType::Pass,
                        Some("Pass_Intercepted"),
                        None,
                        Some(passer_team),
                        players.clone(),
                        Some(spot),
                    );
                    self.emit(
                        now,
                        EventType::Turnover,
                        Some("Turnover_Giveaway"),
                        Some("Giveaway_PassMissed"),
                        Some(passer_team),
                        players,
                        Some(spot),
                    );
                }
            }
            Some(LastTouch {
                release: Some(Release::Faceoff),
                ..
            }) => {}
            _ => {
                let players = vec![self.role_of(picker, PlayerRole::ACTOR)];
                self.emit(
                    now,
                    EventType::Possession,
                    Some("Possession_PuckRecovery"),
                    None,
                    Some(team),
                    players,
                    Some(spot),
                );
            }
        }
        self.take_control(picker, now);
    }

    /// Zone entries and exits as the puck crosses a blue line under a team's control.
    fn track_zone(&mut self, now: u64) {
        let x = self.puck.pos.x;
        let new_area = match self.puck_area {
            Area::Neutral if x > BLUE_LINE_X_FT + 0.5 => Area::Right,
            Area::Neutral if x < -BLUE_LINE_X_FT - 0.5 => Area::Left,
            Area::Right if x < BLUE_LINE_X_FT - 0.5 => Area::Neutral,
            Area::Left if x > -BLUE_LINE_X_FT + 0.5 => Area::Neutral,
            // A puck cannot skip the neutral zone between frames at these speeds.
            other => other,
        };
        if new_area == self.puck_area {
            return;
        }
        let (from, to) = (self.puck_area, new_area);
        self.puck_area = new_area;
        let Some(touch) = self.last_touch else {
            return;
        };
        let team = self.players[touch.player].team;
        let s = self.attack_sign(team);
        let offensive = if s > 0.0 { Area::Right } else { Area::Left };
        let defensive = if s > 0.0 { Area::Left } else { Area::Right };
        let carried = matches!(self.control, Control::Carried(i) if i == touch.player);
        let spot = rink_point(self.puck.pos);
        let actor = vec![self.role_of(touch.player, PlayerRole::ACTOR)];
        if from == Area::Neutral && to == offensive {
            let detail2 = match (carried, touch.release) {
                (true, _) => "ZoneEntry_Carried",
                (false, Some(Release::Pass { .. })) => "ZoneEntry_Pass",
                (false, Some(Release::Dump | Release::Clear)) => "ZoneEntry_DumpIn",
                _ => return,
            };
            self.emit(
                now,
                EventType::ZoneEntryExit,
                Some("Zone_Entry"),
                Some(detail2),
                Some(team),
                actor,
                Some(spot),
            );
        } else if from == defensive && to == Area::Neutral {
            let detail2 = match (carried, touch.release) {
                (true, _) => "ZoneExit_Carried",
                (false, Some(Release::Pass { .. })) => "ZoneExit_Pass",
                (false, Some(Release::Dump | Release::Clear)) => "ZoneExit_Clear",
                _ => return,
            };
            self.emit(
                now,
                EventType::ZoneEntryExit,
                Some("Zone_Exit"),
                Some(detail2),
                Some(team),
                actor,
                Some(spot),
            );
        }
    }

    fn glide(&mut self, dt: f64) {
        for player in &mut self.players {
            let target = player.body.pos + player.body.vel * 0.2;
            player.body.steer(target, 10.0, 10.0, dt);
        }
        for official in &mut self.officials {
            let target = official.body.pos;
            official.body.steer(target, 10.0, 10.0, dt);
        }
        if matches!(self.control, Control::Loose) {
            self.puck.advance(dt);
        }
    }

    // ----- events ---------------------------------------------------------------------------

    fn role_of(&self, index: usize, role: PlayerRole) -> EventPlayer {
        let player = &self.players[index];
        EventPlayer {
            role,
            team: player.team,
            number: Some(player.number),
            track_id: Some(u64::from(player.track_id)),
            position: Some(rink_point(player.body.pos)),
            play_detail1: None,
            play_detail2: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        media_ms: u64,
        event_type: EventType,
        detail1: Option<&'static str>,
        detail2: Option<&'static str>,
        team: Option<Team>,
        players: Vec<EventPlayer>,
        puck: Option<RinkPoint>,
    ) {
        let random: [u8; 10] = self.rng.random();
        let parse = |d: Option<&'static str>| d.and_then(|name| Detail::parse(name).ok());
        let zone = match (team, puck) {
            (Some(team), Some(point)) => Some(self.ends().zone_of(point, team, self.period)),
            _ => None,
        };
        self.events.push(GameEvent {
            event_id: EventId::appliance(self.config.start_unix_ms + media_ms, random),
            game_id: self.config.game_id.clone(),
            event_type,
            detail1: parse(detail1),
            detail2: parse(detail2),
            team,
            period: self.period,
            media_time_ms: Some(MediaTimeMs(media_ms)),
            clock: Some(GameClock::from_remaining_ms(self.clock_ms)),
            zone,
            puck,
            players,
            confidence: Confidence::CERTAIN,
            source: Source::Auto,
            evidence: None,
            assist_to_goal: None,
        });
    }
}

fn v2(point: RinkPoint) -> V2 {
    V2::new(point.x_ft(), point.y_ft())
}

fn rink_point(pos: V2) -> RinkPoint {
    RinkPoint::clamped(pos.x, pos.y).unwrap_or(RinkPoint::CENTRE)
}

fn end_of(sign: f64) -> End {
    if sign > 0.0 { End::Right } else { End::Left }
}

fn area_of(x: f64) -> Area {
    if x > BLUE_LINE_X_FT {
        Area::Right
    } else if x < -BLUE_LINE_X_FT {
        Area::Left
    } else {
        Area::Neutral
    }
}

fn distance_to_segment(point: V2, a: V2, b: V2) -> f64 {
    let ab = b - a;
    let t = ((point - a).dot(&ab) / ab.norm_squared().max(1e-9)).clamp(0.0, 1.0);
    (a + ab * t - point).norm()
}

#[cfg(test)]
mod tests;
