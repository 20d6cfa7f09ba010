//! The game-event engine: a deterministic state machine that turns the tracked people and the
//! puck on the rink (`RinkState`, one per frame) into the game's events in BenchSight's
//! vocabulary — faceoffs, possession changes and turnovers, zone entries and exits, shots with
//! their outcome, saves, goals, stoppages, periods — each with its confidence and evidence, and
//! corrects itself (amendment, retraction) when later frames contradict an event.
//!
//! Time is the frames' media time; there is no clock or randomness inside (event ids are drawn
//! from the caller's seed), so a replay of the same frames gives the same records.
//!
//! How it reads the ice:
//! - the puck's position and velocity come from a line fitted to its last observations
//!   ([`puck::PuckMotion`]), which tames the projection noise;
//! - a skater controls the puck when it stays within stick reach of them, moving no faster than
//!   a carried puck, for most of the last few observations;
//! - a release that leaves fast towards the attacked net is a shot; it is then followed until
//!   the goalie stops it (frozen: still at the goalie; rebound: leaving the crease), a skater of
//!   the other team stops it in the lane (blocked), it crosses the goal line wide (missed), or it
//!   comes to rest in the net (goal);
//! - a puck that appears at rest on a faceoff dot, or the skaters lined up at one, mark a
//!   faceoff; its drop is when the puck moves off the dot and the skaters seen lined up there
//!   break from their places (their start dates it; long gone, they took the draw whether or
//!   not the puck was seen leaving), its winner the first team to control it;
//! - play stopped when the skaters all glided to a stand (module `whistle`), which dates a
//!   stoppage or a goal the puck does not;
//! - play restarts at centre ice only after a goal or at a period's start: a centre-ice faceoff
//!   with no goal called since the puck's last visit to a net means it went in there unseen
//!   (scored then — when play stopped, if the skaters told — and queued for review; a frozen
//!   save or a miss of that shot is retracted or amended); with no visit, the zone the puck was
//!   in when play stopped names the net;
//! - empty ice ends a period.

mod line_up;
pub mod net_side;
pub mod puck;
mod whistle;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::detection::ObjectClass;
use crate::domain::{Confidence, MediaTimeMs, Period, Source, Team};
use crate::event::{EventPlayer, Evidence, GameEvent, PlayerRole};
use crate::ids::{EventId, GameId};
use crate::puck_tracking::PuckStatus;
use crate::rink::{
    BLUE_LINE_X_FT, End, Ends, FaceoffDot, GOAL_LINE_X_FT, NET_DEPTH_FT, NET_HALF_WIDTH_FT,
    RinkPoint,
};
use crate::rink_state::{RinkState, RinkTrack};
use crate::vocabulary::{Detail, EventType};
use crate::wire::{Amendment, RecordChange, Retraction};

use line_up::LineUp;
use net_side::{NetSide, NetSides};
use puck::{Approach, Flight, PuckFix, PuckMotion, PuckSample};
use whistle::{PaceChange, Whistle};

/// What the engine is told about the game (from the appliance's configuration or commands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    pub game_id: GameId,
    pub home_attacks_right_p1: bool,
    /// Regulation periods; empty ice after the last one ends the game.
    pub periods: u8,
    /// Unix time of media time zero (the event ids' timestamps).
    pub recording_start_unix_ms: u64,
    /// Random bits drawn once by the caller; the event ids' random part derives from them.
    pub id_seed: u64,
    pub tuning: EngineTuning,
}

/// The engine's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineTuning {
    /// A skater this close to the puck may control it.
    pub control_radius_ft: f64,
    /// A puck faster than this is not carried.
    pub carry_speed_ft_s: f64,
    /// Observations a controller must hold of the last `control_window`.
    pub control_votes: usize,
    pub control_window: usize,
    /// A release at least this fast towards the net is a shot.
    pub shot_speed_ft_s: f64,
    /// Frames without skaters that make the ice empty.
    pub empty_ice_frames: u32,
}

impl Default for EngineTuning {
    fn default() -> Self {
        Self {
            control_radius_ft: 4.5,
            carry_speed_ft_s: 45.0,
            control_votes: 4,
            control_window: 6,
            shot_speed_ft_s: 60.0,
            empty_ice_frames: 10,
        }
    }
}

/// The phase of play as the engine believes it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Play {
    BeforeGame,
    Live,
    /// The whistle has gone; waiting for the puck on a dot.
    Stopped {
        after_goal: bool,
        period_start: bool,
    },
    /// The puck rests on a dot with the players around it.
    FaceoffSetup {
        dot: FaceoffDot,
        detail: FaceoffKind,
    },
    Intermission,
    Over,
}

/// Why a faceoff is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaceoffKind {
    GameStart,
    PeriodStart,
    AfterGoal,
    AfterStoppage,
}

impl FaceoffKind {
    fn detail(self) -> Detail {
        match self {
            FaceoffKind::GameStart => Detail::FACEOFF_GAME_START,
            FaceoffKind::PeriodStart => Detail::FACEOFF_PERIOD_START,
            FaceoffKind::AfterGoal => Detail::FACEOFF_AFTER_GOAL,
            FaceoffKind::AfterStoppage => Detail::FACEOFF_AFTER_STOPPAGE,
        }
    }
}

/// How the puck last left a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReleaseKind {
    /// Not judged yet (too few observations since).
    Unknown,
    Pass,
    Shot,
    Dump,
    Clear,
    Faceoff,
    Rebound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Holder {
    track_id: u64,
    team: Team,
    position: RinkPoint,
}

#[derive(Debug, Clone, Copy)]
struct Release {
    by: Holder,
    at_ms: u64,
    frame: u64,
    from: RinkPoint,
    kind: ReleaseKind,
}

impl Release {
    /// The puck coming off `by` (a save, a block, the boards) rather than played away.
    fn rebound(by: Holder, at_ms: u64, frame: u64, from: RinkPoint) -> Release {
        Release {
            by,
            at_ms,
            frame,
            from,
            kind: ReleaseKind::Rebound,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct LiveShot {
    shooter: Holder,
    end: End,
    released_ms: u64,
    release_frame: u64,
    origin: RinkPoint,
    /// When the puck reached the goalie's area.
    at_goalie: Option<(u64, u64)>,
    /// Where its flight met the goal line (feet from the centre of the net), as first seen.
    aim_y_ft: f64,
}

impl LiveShot {
    /// When its puck would reach the net flying at `speed_ft_s` all the way.
    fn at_net_ms(&self, speed_ft_s: f64) -> u64 {
        let flight_s = self.origin.distance_ft(self.end.net_centre()) / speed_ft_s;
        self.released_ms + (flight_s * 1000.0) as u64
    }
}

#[derive(Debug, Clone)]
struct PendingFaceoff {
    drop_ms: u64,
    frame: u64,
    dot: FaceoffDot,
    detail: FaceoffKind,
    /// The skater of each team nearest the dot at the drop.
    centres: Vec<Holder>,
}

/// The last shot judged, while a goal may still prove it wrong.
#[derive(Debug, Clone)]
struct ClosedShot {
    shot: LiveShot,
    /// Its Shot event as logged.
    event: GameEvent,
    closed_ms: u64,
    /// What it was judged, with the events logged beside its Shot.
    judged: Judged,
}

/// How a closed shot was judged, with the events beside its Shot that a goal proving it wrong
/// retracts.
#[derive(Debug, Clone)]
enum Judged {
    /// Wide or blocked: only the Shot was logged.
    NotOnNet,
    /// Saved and back out in front: the Save, as logged (amended should the goalie turn out
    /// to hold the puck).
    Rebound(Box<GameEvent>),
    /// Saved and held: the Save and the goalie stoppage.
    Frozen(EventId, EventId),
}

impl Judged {
    fn logged(&self) -> Vec<EventId> {
        match self {
            Judged::NotOnNet => vec![],
            Judged::Rebound(save) => vec![save.event_id],
            Judged::Frozen(save, stoppage) => vec![*save, *stoppage],
        }
    }
}

/// The puck's latest visit to the mouth of a net, kept until it is seen well away from it: a goal
/// whose puck the engine never saw at rest in the net is recognised by the faceoff at centre ice
/// that follows.
#[derive(Debug, Clone, Copy)]
struct NetVisit {
    end: End,
    entered_ms: u64,
    /// When it was first seen past the goal line between the posts since it was last seen
    /// clearly out in front, if it was.
    crossed_ms: Option<u64>,
    last_ms: u64,
    last_frame: u64,
    /// When it was last seen in the mouth moving like a puck in play, if it was.
    moving_ms: Option<u64>,
    /// Sightings away from this net (and from centre ice) since.
    away: u32,
    /// Sightings in a row clearly out in front of the goal line.
    out_front: u32,
}

impl NetVisit {
    /// A visit that begins with a sighting at `now` (frame `frame`).
    fn starting(end: End, now: u64, frame: u64) -> Self {
        Self {
            end,
            entered_ms: now,
            crossed_ms: None,
            last_ms: now,
            last_frame: frame,
            moving_ms: None,
            away: 0,
            out_front: 0,
        }
    }
}

/// The mouth of a net: this far out in front of the goal line, behind it, and to either side.
const NET_MOUTH_FRONT_FT: f64 = 10.0;
const NET_MOUTH_BEHIND_FT: f64 = 4.0;
const NET_MOUTH_HALF_WIDTH_FT: f64 = 7.0;
/// Sightings elsewhere that end a visit (a few stray ones are projection noise).
const NET_VISIT_AWAY: u32 = 8;
/// A sighting this close to a net's centre is near it (a restart at centre ice that follows
/// says the puck went in there).
const NEAR_NET_FT: f64 = 20.0;
/// A puck seen twice in a row this far in front of the goal line during a visit was out of the
/// net then: a crossing seen before (the noise of a puck carried round the net) is forgotten.
const VISIT_OUT_FRONT_FT: f64 = 3.0;
const VISIT_OUT_FRONT_SIGHTINGS: u32 = 2;
/// The puck is seen in play at a net when its sightings of the last `VISIT_MOVING_WINDOW_MS`
/// (`VISIT_MOVING_SIGHTINGS` or more) lie along a line within `VISIT_MOVING_RMS_FT`, travelled
/// at `VISIT_MOVING_FT_S` or faster: worked about the mouth, not a false sighting standing
/// there, nor two of them taken in turns (a line through those runs fast but fits neither).
const VISIT_MOVING_WINDOW_MS: u64 = 270;
const VISIT_MOVING_SIGHTINGS: usize = 6;
const VISIT_MOVING_FT_S: f64 = 15.0;
const VISIT_MOVING_RMS_FT: f64 = 0.7;
/// A centre-ice faceoff this long after the puck's visit to a net follows a goal there (the
/// officials need a few seconds to set it up after the celebration).
const GOAL_TO_CENTRE_FACEOFF_MS: u64 = 15_000;
/// The least time from a drop at centre ice to the puck's arrival at a net (89 ft away).
const CENTRE_TO_NET_MIN_MS: u64 = 3_000;
/// A stop of play heard no more than this long before the puck's last sighting at a net dates
/// a goal there that was not seen crossing the line (what was seen there after is something
/// else: a skate, a stick, the net's mesh).
const HEARD_BEFORE_VISIT_END_MS: u64 = 6_000;

/// How far back a close shot's flight is looked for, and how fast it must be (a shot leaves the
/// stick at 65 ft/s or more; a carried puck moves at skating speed).
const CLOSE_SHOT_WINDOW_MS: u64 = 1000;
const CLOSE_SHOT_SPEED_FT_S: f64 = 40.0;
/// Where a close shot is looked for: the puck this near the goal line, and it and its aim this
/// near the middle of the net (the goalie's body).
const CLOSE_SHOT_AT_GOALIE_FT: f64 = 5.0;
const CLOSE_SHOT_HALF_WIDTH_FT: f64 = 3.5;
const CLOSE_SHOT_MIN_TRAVEL_FT: f64 = 6.0;

/// The stretch of a puck's way into the net fitted to find where it crossed the goal line, and
/// how far wide of a post that must be to say it went past (the fit's error is about a foot).
const APPROACH_WINDOW_MS: u64 = 400;
const WIDE_MARGIN_FT: f64 = 1.0;
/// The fitted way in is believed wide only if the puck was also seen wide of the post this close
/// to the goal line or beyond (a line through sightings of something else can point anywhere).
const WIDE_SEEN_BEFORE_LINE_FT: f64 = 3.0;

/// A rebound is told from a puck frozen at the goalie's feet by this many observations since it
/// reached the goalie, moving out at this speed or more (the noise of fewer makes a resting puck
/// seem to move at 10 ft/s; a rebound leaves at 8 to 25 ft/s).
const REBOUND_SAMPLES: usize = 6;
const REBOUND_SPEED_FT_S: f64 = 6.0;

/// A shot that reached the goalie and was neither held nor scored this long after was saved.
const AT_GOALIE_MAX_MS: u64 = 2500;
/// A save judged a rebound was a freeze when the puck was seen still at the goalie's feet over
/// the whole of the last `HELD_STILL_MS` (at least `HELD_MIN_SIGHTINGS` sightings), at most
/// `HELD_WITHIN_MS` after it reached him: a puck loose in the crease is played within a second.
/// 1 s measured worse on the tuning games' stoppages, 2 s no better.
const HELD_STILL_MS: u64 = 1500;
const HELD_MIN_SIGHTINGS: usize = 20;
const HELD_WITHIN_MS: u64 = 4500;
/// How far from the net's centre (in front of its goal line) a puck at rest lies at the
/// goalie's feet.
const GOALIE_FEET_FT: f64 = 7.0;
/// A puck fitted slower than this is at rest (the noise about a still puck fakes a few feet per
/// second).
const STILL_FT_S: f64 = 6.0;
/// A puck seen back out in front of the goalie this long after its shot reached him was saved
/// (a goal then came off the rebound).
const REBOUND_GOAL_AFTER_MS: u64 = 700;

/// A shot's aim is read from its flight while the puck still moves at least this fast.
const AIM_MIN_SPEED_FT_S: f64 = 20.0;

/// A puck unseen at least this long that reappears in front of the net, having covered the way
/// at this average speed or more, was shot there.
const UNSEEN_SHOT_GAP_MS: u64 = 250;
const UNSEEN_SHOT_SPEED_FT_S: f64 = 20.0;
/// A typical shot's speed, at which a shot's flight is timed when it was not seen.
const TYPICAL_SHOT_SPEED_FT_S: f64 = 90.0;
/// No new shot is looked for this soon after one was judged (its puck still moves on).
const NEXT_SHOT_AFTER_MS: u64 = 500;
/// A puck flying at a net was already flying on the same way (at this speed or more, the
/// directions this close) a step of this long earlier, looked for this many steps back.
const FLEW_IN_SPEED_FT_S: f64 = 40.0;
const FLEW_IN_MIN_COS: f64 = 0.95;
const FLEW_IN_STEP_MS: u64 = 200;
const FLEW_IN_STEPS: usize = 8;
/// No shot is slower: a followed shot's puck that reaches the net later was stopped on its way.
const SLOWEST_SHOT_SPEED_FT_S: f64 = 30.0;
/// An attacker this close to where the puck turns up may have carried it there.
const UNSEEN_SHOT_CARRY_FT: f64 = 8.0;
/// How close to the goalie a puck turning up after a gap is at his pads.
const UNSEEN_SHOT_AT_PADS_FT: f64 = 5.0;
/// …and at least this far in front of the goal line (a puck in the net is seen a foot or two
/// out through the noise).
const UNSEEN_SHOT_IN_FRONT_FT: f64 = 1.5;
/// How long the skaters at the puck's sightings are remembered (longer than the puck is lost
/// from sight on a shot's way, so the shooter is still known when it shows up at the net).
const AT_PUCK_KEPT_MS: u64 = 2000;
/// A sighting of the puck this long before a release tells where it left the stick.
const RELEASE_SEEN_WITHIN_MS: u64 = 250;
/// A shot lost from sight this long on its way in was out of view when it turned.
const LOST_ON_WAY_GAP_MS: u64 = 150;
/// A shot turned back short of the goalie may have been stopped by the goalie unseen only if the
/// puck was seen this close to the goal line (or lost from sight on its way).
const SEEN_REACHING_GOALIE_FT: f64 = 12.0;
/// A shot turned back farther than this from the goal line was stopped out of the goalie's
/// reach: by the opponent nearest where it turned.
const BLOCKED_OUT_OF_GOALIE_REACH_FT: f64 = 10.0;

/// Whether the puck rests is judged from a line fitted over this much of its last observations.
const SETTLED_WINDOW_MS: u64 = 700;
/// How far past the goal line, between the posts, a puck at rest must be to be in the net.
const IN_NET_BEYOND_LINE_FT: f64 = 0.8;
/// The robust view of a puck at rest: this many of the window's observations within this
/// distance of one of them.
const REST_RADIUS_FT: f64 = 1.0;
const REST_MIN_SAMPLES: usize = 8;
/// Stray observations in a row tolerated while dating the arrival of a puck found at rest by
/// the robust view.
const ARRIVAL_STRAYS: usize = 3;
/// … and by the fitted line: a lone stray (another candidate taken for the puck for a frame)
/// must not cut the run short, or a goal seen going in and then hidden for a while is dated
/// at the end of its hiding.
const SETTLED_ARRIVAL_STRAYS: usize = 1;
/// A puck seen twice in a row this far in front of the goal line was not in yet …
const ARRIVAL_OUT_FRONT_FT: f64 = 2.0;
/// … and if it was then unseen for longer than this before it was found in the net, it went in
/// during that gap.
const ARRIVAL_HIDDEN_GAP_MS: u64 = 300;
/// A puck seen twice in a row this far in front of the goal line went in after that (the noise
/// of a puck at rest in the net seldom reaches it twice).
const SEEN_IN_FRONT_FT: f64 = 3.0;
/// A skater at the puck this long after a shot was judged played it on (sooner, it is the one
/// who blocked it, or the shot passing him).
const PLAYED_AFTER_CLOSE_MS: u64 = 300;
/// A puck found at rest in the net, arrived there no later than this after a save was judged,
/// was in already: the judgement read sightings of something else (a pad, a skate).
const IN_NET_AT_JUDGEMENT_MS: u64 = 100;
/// Lost from sight beside the net this long, the puck may have come out in front unseen (a
/// carrier skates out from the goal line to the slot and shoots in about that time).
const LOST_BESIDE_NET_MS: u64 = 600;

/// The first stop of play heard from the skaters since the last drop (`Whistle`).
#[derive(Debug, Clone, Copy)]
struct HeardStop {
    at_ms: u64,
    /// The end whose zone the puck was last seen in before it, if it was in one.
    puck_end: Option<End>,
    /// Whether the skaters have since stood gathered about a dot (for a faceoff).
    lined_up: bool,
    /// The net the puck was visiting when they stood, and when it was last seen in play there.
    visit_moving: Option<(End, u64)>,
}

/// The puck's last sighting this long before a stop heard places it (in an end zone or not).
const STOP_PUCK_SEEN_MS: u64 = 2000;

/// How long a goal just called is watched for the puck back in play, unless it is brought to a
/// dot first. The puck seen in the net may be a mark there that the tracker followed for a
/// second or more while the real one flew out, found again out in play seconds later.
const GOAL_WATCH_MS: u64 = 4_500;

/// A goal called: the records its withdrawal takes back or amends.
#[derive(Debug, Clone)]
struct CalledGoal {
    goal: GameEvent,
    shot: GameEvent,
    stoppage: GameEvent,
}

/// A goal just called, watched for a few seconds in case the puck is back in play.
#[derive(Debug, Clone)]
struct GoalWatch {
    called: CalledGoal,
    until_ms: u64,
}

/// The game-event engine of one game.
#[derive(Debug, Clone)]
pub struct GameEngine {
    config: EngineConfig,
    ends: Ends,
    period: Period,
    play: Play,
    puck: PuckMotion,
    /// Whether the puck was seen, for the last frames (confidence).
    seen: VecDeque<(u64, bool)>,
    /// The nearest skater within reach at each recent observation.
    votes: VecDeque<Option<Holder>>,
    controller: Option<Holder>,
    release: Option<Release>,
    /// The skaters within reach of the puck at its recent sightings, however fast it went (a
    /// puck stolen and shot at once establishes no control): when, and who.
    at_puck: VecDeque<(u64, Holder)>,
    shot: Option<LiveShot>,
    faceoff: Option<PendingFaceoff>,
    goal_watch: Option<GoalWatch>,
    /// The last goal called, until play restarts: with a draw at centre ice, as after every
    /// goal, or at another dot — then no goal went in — or with no draw seen.
    goal_before_restart: Option<CalledGoal>,
    /// When the last shot was judged.
    shot_closed_ms: u64,
    /// The last shot judged wide, blocked or frozen by the goalie (a goal may still amend it).
    last_closed: Option<ClosedShot>,
    net_visit: Option<NetVisit>,
    /// The last visit ended by sightings elsewhere since the last drop: a restart at centre ice
    /// with no later visit still says the puck went in there (the sightings elsewhere were of
    /// something else, when the puck lay hidden in the net).
    ended_visit: Option<NetVisit>,
    /// The last sighting near a net since the last drop, as a visit of its own: a restart at
    /// centre ice with no visit to the mouth says the puck went in there unseen.
    near_net: Option<NetVisit>,
    /// Which side of each net the puck was on, recently.
    net_sides: NetSides,
    /// Whether a goal stands since the last faceoff was dropped (the next centre-ice faceoff is
    /// explained).
    goal_since_drop: bool,
    /// When the last faceoff dropped was at centre ice.
    centre_drop_ms: Option<u64>,
    /// Consecutive frames of the puck in play in front of a net just after a goal was called.
    back_in_play: u32,
    /// Consecutive frames of a fast puck while play is believed stopped.
    moving_while_stopped: u32,
    /// Frames in a row the puck was carried off a dot it was seen at while play was stopped.
    carried_off_dot: u32,
    /// Whether the puck was seen at a faceoff dot since play stopped.
    dot_seen_while_stopped: bool,
    /// The dot the puck has rested on, since when.
    resting_on_dot: Option<(FaceoffDot, u64)>,
    /// The skaters seen over the last `LINED_UP_MS` (a frame's time, and where they were).
    recent_skaters: VecDeque<(u64, Vec<Holder>)>,
    /// The skaters lined up at the dot while a faceoff is set up.
    line_up: LineUp,
    /// When the puck was first seen leaving the dot before the skaters were seen to break from
    /// their line-up, while a faceoff is set up.
    left_dot_before_break_ms: Option<u64>,
    /// The skaters' pace, and the first stop of play it told since the last drop.
    whistle: Whistle,
    stop_heard: Option<HeardStop>,
    /// Which third of the ice the puck is in: -1 left zone, 0 neutral, +1 right zone.
    puck_area: i8,
    empty_frames: u32,
    empty_since: Option<u64>,
    crowded_frames: u32,
    first_faceoff_of_period: bool,
    emitted: u64,
    last_frame: Option<(u64, u64)>,
}

/// Distance of a dot's puck to count as on it.
const ON_DOT_FT: f64 = 3.0;
/// A faceoff's puck is dropped once it is this far off the dot, or this far and this fast (the
/// line fitted to a few noisy sightings of a puck at rest strays 4 ft now and then, at a speed
/// the noise fakes).
const DROPPED_FT: f64 = 6.0;
const DROPPED_MOVING_FT: f64 = 5.0;
const DROPPED_MOVING_SPEED_FT_S: f64 = 10.0;
/// A puck first seen off the dot farther than this was dropped only if it moves like one in play.
const DROP_SEEN_WITHIN_FT: f64 = 25.0;
/// A puck seen at a dot while play is stopped and then moving this fast well off it, a few frames
/// running, was dropped and is in play.
const CARRIED_OFF_DOT_FT_S: f64 = 15.0;
/// Players lined up for a faceoff, whether or not the puck is seen on the dot: a skater of each
/// team this near the dot on his own side of it (the centres, often the last to take their
/// places), and at least `LINED_UP_STILL_SKATERS` skaters having stood (moved less than
/// `LINED_UP_STILL_FT`) for `LINED_UP_MS`.
const LINED_UP_CENTRE_FT: f64 = 3.5;
const LINED_UP_MS: u64 = 1000;
const LINED_UP_STILL_FT: f64 = 2.0;
const LINED_UP_STILL_SKATERS: usize = 8;
/// ... with at least this many skaters (the centres among them) this near the dot.
const LINED_UP_AROUND_FT: f64 = 20.0;
const LINED_UP_AROUND_SKATERS: usize = 6;
/// The goalie's area in front of the net: this far out from the goal line and this wide.
const GOALIE_AREA_DEPTH_FT: f64 = 6.0;
const GOALIE_AREA_HALF_WIDTH_FT: f64 = 4.0;
/// An attacker this near the middle of the net, in front of it, is at point-blank range; the
/// goalie taking the puck from him within this long of his release stopped his shot. Control is
/// settled this long after the goalie has the puck (`control_votes` frames).
const POINT_BLANK_FT: f64 = 12.0;
const POINT_BLANK_RELEASE_MS: u64 = 700;
const POINT_BLANK_LAG_MS: u64 = 130;
/// For this long after a shot was judged, the puck at the goalie is still that shot's.
const POINT_BLANK_AFTER_SHOT_MS: u64 = 3000;

impl GameEngine {
    /// The game and settings this engine was made for.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn new(config: EngineConfig) -> Self {
        Self {
            ends: Ends {
                home_attacks_right_p1: config.home_attacks_right_p1,
            },
            config,
            period: Period::FIRST,
            play: Play::BeforeGame,
            puck: PuckMotion::default(),
            seen: VecDeque::new(),
            votes: VecDeque::new(),
            controller: None,
            release: None,
            at_puck: VecDeque::new(),
            shot: None,
            faceoff: None,
            goal_watch: None,
            goal_before_restart: None,
            resting_on_dot: None,
            recent_skaters: VecDeque::new(),
            line_up: LineUp::default(),
            left_dot_before_break_ms: None,
            whistle: Whistle::default(),
            stop_heard: None,
            moving_while_stopped: 0,
            carried_off_dot: 0,
            dot_seen_while_stopped: false,
            back_in_play: 0,
            shot_closed_ms: 0,
            last_closed: None,
            net_visit: None,
            ended_visit: None,
            near_net: None,
            net_sides: NetSides::default(),
            goal_since_drop: false,
            centre_drop_ms: None,
            puck_area: 0,
            empty_frames: 0,
            empty_since: None,
            crowded_frames: 0,
            first_faceoff_of_period: true,
            emitted: 0,
            last_frame: None,
        }
    }

    /// An engine for a game already under way (the appliance restarted mid-game), `last` being
    /// the last event it logged: the game has started, so no second GameStart; play is taken as
    /// stopped in `last`'s period until the next faceoff shows otherwise.
    pub fn resumed(config: EngineConfig, last: &GameEvent) -> Self {
        let mut engine = Self::new(config);
        engine.period = last.period;
        engine.play = match last.event_type {
            EventType::GameEnd => Play::Over,
            EventType::Intermission => Play::Intermission,
            _ => Play::Stopped {
                after_goal: false,
                period_start: false,
            },
        };
        engine.first_faceoff_of_period = false;
        engine
    }

    /// The period the engine believes is being played.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Reads one frame; returns the records it settles (events, amendments, retractions).
    pub fn process(&mut self, frame: &RinkState) -> Vec<RecordChange> {
        let mut out = Vec::new();
        let now = frame.media_time_ms.0;
        self.last_frame = Some((frame.frame, now));
        let skaters: Vec<Holder> = frame.tracks.iter().filter_map(holder).collect();
        // The frames of the last `LINED_UP_MS` (and the one before), reusing what drops out.
        let mut spare = Vec::new();
        while self
            .recent_skaters
            .get(1)
            .is_some_and(|(t, _)| *t + LINED_UP_MS <= now)
        {
            spare = self.recent_skaters.pop_front().map_or(spare, |(_, v)| v);
        }
        spare.clear();
        spare.extend_from_slice(&skaters);
        self.recent_skaters.push_back((now, spare));
        self.listen_for_stop(now, &skaters);
        if self.periods_and_ice(frame.frame, now, &skaters, &mut out) {
            return out;
        }
        let seen = frame
            .puck
            .filter(|p| matches!(p.status, PuckStatus::Seen))
            .map(|p| p.position);
        self.seen.push_back((frame.frame, seen.is_some()));
        if self.seen.len() > 150 {
            self.seen.pop_front();
        }
        if let Some(point) = seen {
            self.observe_puck(frame.frame, now, point);
            self.note_at_puck(now, point, &skaters);
        }
        // Three views of the puck, each long enough for what it decides: who is near it (fast),
        // where it is against the lines and how fast it flies (steady), whether it rests (settled).
        let fix = self.puck.fix(now, 170, 3);
        let steady = self.puck.fix(now, 270, 6);
        let settled = self.puck.fix(now, SETTLED_WINDOW_MS, 10);
        self.watch_goal(now, steady, &mut out);
        match self.play {
            Play::Stopped { .. } => {
                self.look_for_setup(now, settled, &skaters, &mut out);
                self.resume_if_moving(steady);
            }
            Play::Live => self.look_for_setup(now, settled, &skaters, &mut out),
            // A puck at rest on another dot was not dropped: the faceoff is set up there.
            Play::FaceoffSetup { dot, .. } if self.rests_on_another_dot(dot, steady) => {
                self.look_for_setup(now, settled, &skaters, &mut out)
            }
            Play::FaceoffSetup { dot, detail } => {
                let then = self.recent_skaters.front().map(|(_, s)| s.as_slice());
                self.line_up.observe(now, dot.position(), &skaters, then);
                self.look_for_drop(frame.frame, now, steady, dot, detail, &skaters);
                if self.play == Play::Live {
                    self.judge_goal_by_restart(&mut out);
                }
            }
            _ => {}
        }
        if self.play == Play::Live
            && let (Some(fix), Some(steady)) = (fix, steady)
            && seen.is_some()
        {
            self.live(frame.frame, now, (fix, steady, settled), &skaters, &mut out);
        }
        // A shot nobody saw fly shows as the puck back in sight at a net: one sighting tells.
        if self.play == Play::Live
            && let Some(point) = seen
        {
            self.detect_unseen_shot(frame.frame, now, point, &skaters);
        }
        self.detect_goal(frame.frame, now, settled, &skaters, &mut out);
        self.detect_held_rebound(frame.frame, now, settled, &mut out);
        self.detect_freeze(frame.frame, now, settled, &skaters, &mut out);
        if let Some(pending) = &self.faceoff
            && now > pending.drop_ms + 3000
        {
            // Nobody settled on the puck: the team nearest it won the draw.
            let nearest = fix.and_then(|f| nearest_skater(&skaters, f.point(), |_| true));
            let winner = nearest.map(|h| h.team).unwrap_or(Team::Home);
            self.settle_faceoff(winner, &mut out);
        }
        out
    }

    /// The end of the input: closes the game if it is still open.
    pub fn finish(&mut self) -> Vec<RecordChange> {
        let mut out = Vec::new();
        if let Some((frame, now)) = self.last_frame
            && !matches!(self.play, Play::Over | Play::BeforeGame)
        {
            self.goal_watch = None;
            let stoppage = self
                .event(now, (frame, frame), EventType::Stoppage)
                .detail1(Detail::STOPPAGE_GAME_END)
                .build(0.9);
            out.push(RecordChange::Event(stoppage));
            let end = self
                .event(now, (frame, frame), EventType::GameEnd)
                .build(0.9);
            out.push(RecordChange::Event(end));
            self.play = Play::Over;
        }
        out
    }

    // ----- periods, empty ice -------------------------------------------------------------

    /// Game start, period ends and starts from the people on the ice. True when the frame is
    /// used up (nobody on the ice).
    fn periods_and_ice(
        &mut self,
        frame: u64,
        now: u64,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) -> bool {
        let crowded = skaters.len() >= 6;
        self.crowded_frames = if crowded { self.crowded_frames + 1 } else { 0 };
        match self.play {
            Play::Over => return true,
            Play::BeforeGame => {
                if self.crowded_frames >= 3 {
                    out.push(RecordChange::Event(
                        self.event(now, (frame, frame), EventType::GameStart)
                            .build(0.95),
                    ));
                    self.play = Play::Stopped {
                        after_goal: false,
                        period_start: true,
                    };
                    self.first_faceoff_of_period = true;
                }
                return !matches!(self.play, Play::Stopped { .. });
            }
            Play::Intermission => {
                if self.crowded_frames >= 5 {
                    self.period =
                        Period::new(u64::from(self.period.number()) + 1).unwrap_or(self.period);
                    self.play = Play::Stopped {
                        after_goal: false,
                        period_start: true,
                    };
                    self.first_faceoff_of_period = true;
                    self.puck.clear();
                }
                return true;
            }
            _ => {}
        }
        if skaters.len() >= 2 {
            self.empty_frames = 0;
            self.empty_since = None;
            return false;
        }
        self.empty_frames += 1;
        let since = *self.empty_since.get_or_insert(now);
        if self.empty_frames < self.config.tuning.empty_ice_frames {
            return true;
        }
        // The ice is empty: the period is over, with any shot still followed judged by its aim.
        if let Some(shot) = self.shot.take() {
            self.judge_at_period_end(shot, frame, out);
        }
        let last = self.period.number() >= self.config.periods;
        let detail = if last {
            Detail::STOPPAGE_GAME_END
        } else {
            Detail::STOPPAGE_PERIOD_END
        };
        let stoppage = self
            .event(since, (frame, frame), EventType::Stoppage)
            .detail1(detail)
            .build(0.9);
        out.push(RecordChange::Event(stoppage));
        let next = if last {
            EventType::GameEnd
        } else {
            EventType::Intermission
        };
        out.push(RecordChange::Event(
            self.event(since, (frame, frame), next).build(0.9),
        ));
        self.play = if last { Play::Over } else { Play::Intermission };
        self.reset_play();
        self.forget_since_drop();
        self.last_closed = None;
        true
    }

    /// A shot still followed when the period ended (it flew as the buzzer went, or the puck
    /// was lost from sight on its way): on goal and saved when it reached the goalie or was
    /// aimed between the posts, else missed.
    fn judge_at_period_end(&mut self, shot: LiveShot, frame: u64, out: &mut Vec<RecordChange>) {
        let on_target = shot.at_goalie.is_some() || shot.aim_y_ft.abs() < NET_HALF_WIDTH_FT;
        if !on_target {
            self.close_shot(shot, Detail::SHOT_MISSED, None, frame, out);
            return;
        }
        let reached_ms = shot
            .at_goalie
            .map_or(shot.at_net_ms(TYPICAL_SHOT_SPEED_FT_S), |(at, _)| at);
        // The ice is empty by now: the goalie is not named.
        self.save(shot, None, Detail::SAVE_REBOUND, reached_ms, frame, out);
    }

    fn reset_play(&mut self) {
        self.dot_seen_while_stopped = false;
        self.carried_off_dot = 0;
        self.controller = None;
        self.release = None;
        self.at_puck.clear();
        self.shot = None;
        self.faceoff = None;
        self.votes.clear();
        self.puck.clear();
    }

    // ----- the puck ----------------------------------------------------------------------

    fn observe_puck(&mut self, frame: u64, now: u64, point: RinkPoint) {
        if let Some(last) = self.puck.last() {
            // A jump no shot makes: the puck was picked up and put down (a faceoff, the net).
            let dt = (now - last.time_ms) as f64 / 1000.0;
            let jump = (point.x_ft() - last.x_ft).hypot(point.y_ft() - last.y_ft);
            if dt > 0.0 && jump > 25.0 && jump / dt > 160.0 {
                self.puck.clear();
            }
        }
        self.puck.observe(PuckSample {
            time_ms: now,
            frame,
            x_ft: point.x_ft(),
            y_ft: point.y_ft(),
        });
        self.note_net_visit(frame, now, point);
        self.net_sides.observe(now, point.x_ft(), point.y_ft());
    }

    fn note_at_puck(&mut self, now: u64, point: RinkPoint, skaters: &[Holder]) {
        while self
            .at_puck
            .front()
            .is_some_and(|&(t, _)| t + AT_PUCK_KEPT_MS < now)
        {
            self.at_puck.pop_front();
        }
        let reach = self.config.tuning.control_radius_ft;
        self.at_puck.extend(
            skaters
                .iter()
                .filter(|h| h.position.distance_ft(point) <= reach)
                .map(|h| (now, *h)),
        );
    }

    /// The skaters within reach of the puck at its sightings after `after_ms` and before
    /// `before_ms` (the last two seconds' are kept).
    fn at_puck_between(&self, after_ms: u64, before_ms: u64) -> impl Iterator<Item = &Holder> {
        self.at_puck
            .iter()
            .filter(move |(t, _)| *t > after_ms && *t < before_ms)
            .map(|(_, h)| h)
    }

    /// The skater of `team` within reach of the puck at its last sightings up to `until_ms`
    /// (no more than `window_ms` before it), the latest such.
    fn at_puck_of(&self, team: Team, until_ms: u64, window_ms: u64) -> Option<Holder> {
        self.at_puck
            .iter()
            .rev()
            .filter(|(t, _)| *t <= until_ms && *t + window_ms >= until_ms)
            .find(|(_, h)| h.team == team)
            .map(|&(_, h)| h)
    }

    fn note_net_visit(&mut self, frame: u64, now: u64, point: RinkPoint) {
        let end = end_towards(point.x_ft());
        let depth = point.x_ft() * end.sign();
        if point.distance_ft(end.net_centre()) < NEAR_NET_FT {
            self.near_net = Some(NetVisit::starting(end, now, frame));
        }
        let in_mouth = depth > GOAL_LINE_X_FT - NET_MOUTH_FRONT_FT
            && depth < GOAL_LINE_X_FT + NET_MOUTH_BEHIND_FT
            && point.y_ft().abs() < NET_MOUTH_HALF_WIDTH_FT;
        if in_mouth {
            let in_net = depth > GOAL_LINE_X_FT + 0.3 && point.y_ft().abs() < 3.0;
            let visit = self
                .net_visit
                .filter(|v| v.end == end)
                .unwrap_or(NetVisit::starting(end, now, frame));
            let out_front = if depth < GOAL_LINE_X_FT - VISIT_OUT_FRONT_FT {
                visit.out_front + 1
            } else {
                0
            };
            let crossed_ms = visit
                .crossed_ms
                .filter(|_| out_front < VISIT_OUT_FRONT_SIGHTINGS);
            let moving = self.puck.moving_steadily(
                now,
                VISIT_MOVING_WINDOW_MS,
                VISIT_MOVING_SIGHTINGS,
                VISIT_MOVING_FT_S,
                VISIT_MOVING_RMS_FT,
            );
            self.net_visit = Some(NetVisit {
                crossed_ms: crossed_ms.or(in_net.then_some(now)),
                moving_ms: if moving { Some(now) } else { visit.moving_ms },
                last_ms: now,
                last_frame: frame,
                away: 0,
                out_front,
                ..visit
            });
        } else if point.distance_ft(RinkPoint::CENTRE) > 10.0
            && let Some(visit) = &mut self.net_visit
        {
            visit.away += 1;
            if visit.away >= NET_VISIT_AWAY {
                self.ended_visit = self.net_visit.take();
            }
        }
    }

    /// Forgets every visit to a net and the stop heard (play restarted, or the period ended).
    fn forget_since_drop(&mut self) {
        self.net_visit = None;
        self.ended_visit = None;
        self.near_net = None;
        self.stop_heard = None;
    }

    /// Listens to the skaters' pace for play stopping, and keeps the first stop since the drop
    /// with where the puck was then.
    fn listen_for_stop(&mut self, now: u64, skaters: &[Holder]) {
        let then = self
            .recent_skaters
            .iter()
            .find(|(t, _)| t + whistle::PACE_WINDOW_MS >= now)
            .map(|(t, s)| (*t, s.as_slice()));
        match self.whistle.observe(now, skaters, then) {
            // Skaters standing gathered about a dot wait for a drop: their stand was no whistle;
            // the stop heard before it is followed by its faceoff.
            Some(PaceChange::Stopped { .. }) if gathered_at_dot(skaters).is_some() => {
                if let Some(heard) = &mut self.stop_heard {
                    heard.lined_up = true;
                }
            }
            Some(PaceChange::Stopped { at_ms }) if self.stop_heard.is_none() => {
                let puck_end = self
                    .puck
                    .between(at_ms.saturating_sub(STOP_PUCK_SEEN_MS), at_ms)
                    .last()
                    .filter(|p| p.x_ft.abs() > BLUE_LINE_X_FT)
                    .map(|p| end_towards(p.x_ft));
                let visit_moving = self
                    .net_visit
                    .and_then(|v| v.moving_ms.map(|ms| (v.end, ms)));
                self.stop_heard = Some(HeardStop {
                    at_ms,
                    puck_end,
                    lined_up: false,
                    visit_moving,
                });
            }
            // Playing again after lining up: that faceoff was dropped, seen or not, and the stop
            // heard before it is not the next one.
            Some(PaceChange::Resumed) if self.stop_heard.is_some_and(|h| h.lined_up) => {
                self.stop_heard = None;
            }
            _ => {}
        }
    }

    /// Share of frames in `[first, last]` where the puck was seen.
    fn seen_ratio(&self, first: u64, last: u64) -> f64 {
        let (mut seen, mut all) = (0u32, 0u32);
        for &(frame, was_seen) in &self.seen {
            if (first..=last).contains(&frame) {
                all += 1;
                seen += u32::from(was_seen);
            }
        }
        if all == 0 {
            0.5
        } else {
            f64::from(seen) / f64::from(all)
        }
    }

    // ----- faceoffs -------------------------------------------------------------------------

    fn look_for_setup(
        &mut self,
        now: u64,
        settled: Option<PuckFix>,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) {
        let Some(dot) = self
            .puck_resting_on_dot(now, settled)
            .or_else(|| self.lined_up_dot(now, settled, skaters))
        else {
            return;
        };
        // Play restarts at centre ice only after a goal (or at a period's start): one the engine
        // did not see go in is scored now, at the puck's last visit to a net.
        let unseen_goal = dot == FaceoffDot::Centre
            && !self.first_faceoff_of_period
            && !self.goal_since_drop
            && self.score_unseen_goal(now, skaters, out);
        let detail = match self.play {
            _ if self.first_faceoff_of_period && self.period == Period::FIRST => {
                FaceoffKind::GameStart
            }
            _ if self.first_faceoff_of_period => FaceoffKind::PeriodStart,
            _ if unseen_goal || (dot == FaceoffDot::Centre && self.goal_since_drop) => {
                FaceoffKind::AfterGoal
            }
            Play::Stopped {
                after_goal: true, ..
            } => FaceoffKind::AfterGoal,
            Play::Live => {
                // The whistle went unnoticed (offside, puck out of play): it blew when the
                // skaters stopped playing, if they were seen to; else a few seconds ago (the
                // officials take that long to set the faceoff up).
                let at = self
                    .stop_heard
                    .map_or(now.saturating_sub(3000), |heard| heard.at_ms);
                let (frame, _) = self.last_frame.unwrap_or((0, now));
                let stoppage = self
                    .event(at, (frame, frame), EventType::Stoppage)
                    .detail1(Detail::STOPPAGE_PLAY)
                    .build(0.6);
                out.push(RecordChange::Event(stoppage));
                FaceoffKind::AfterStoppage
            }
            _ => FaceoffKind::AfterStoppage,
        };
        self.reset_play();
        self.goal_watch = None;
        self.line_up.clear();
        self.left_dot_before_break_ms = None;
        self.play = Play::FaceoffSetup { dot, detail };
    }

    /// Whether the puck lies still at another dot than `dot`, where a faceoff is set up (it got
    /// there without being seen dropped: put there by hand, or the view of it was of something
    /// else until now).
    fn rests_on_another_dot(&self, dot: FaceoffDot, steady: Option<PuckFix>) -> bool {
        steady.and_then(still_on_dot).is_some_and(|at| at != dot)
    }

    /// The dot the players stand lined up at for a faceoff, if any: a skater of each team at
    /// it and most of the ice standing still for a second, the puck unseen or not moving (it is
    /// a few pixels wide, often hidden between the centres' sticks and skates).
    fn lined_up_dot(
        &self,
        now: u64,
        settled: Option<PuckFix>,
        skaters: &[Holder],
    ) -> Option<FaceoffDot> {
        if settled.is_some_and(|f| f.speed() > 6.0) {
            return None;
        }
        let (then_ms, then) = self.recent_skaters.front()?;
        if now < then_ms + LINED_UP_MS {
            return None;
        }
        let stood = |s: &Holder| stayed_within(then, s, LINED_UP_STILL_FT);
        // Each centre at the dot on his own side of it (the side of the end he defends).
        let centre_at = |at: RinkPoint, team: Team| {
            let own_side = -self.ends.attacked_by(team, self.period).sign();
            skaters.iter().any(|c| {
                c.team == team
                    && c.position.distance_ft(at) < LINED_UP_CENTRE_FT
                    && (c.position.x_ft() - at.x_ft()) * own_side > 0.0
            })
        };
        // The centres first: at most dots nobody stands that close.
        let dot = FaceoffDot::ALL.into_iter().find(|dot| {
            let at = dot.position();
            Team::BOTH.into_iter().all(|team| centre_at(at, team))
                && skaters
                    .iter()
                    .filter(|s| s.position.distance_ft(at) < LINED_UP_AROUND_FT)
                    .count()
                    >= LINED_UP_AROUND_SKATERS
        })?;
        let still = skaters.iter().filter(|s| stood(s)).count();
        (still >= LINED_UP_STILL_SKATERS).then_some(dot)
    }

    /// The dot the puck has rested on long enough for a faceoff, if any.
    fn puck_resting_on_dot(&mut self, now: u64, settled: Option<PuckFix>) -> Option<FaceoffDot> {
        let Some(dot) = settled.and_then(still_on_dot) else {
            self.resting_on_dot = None;
            return None;
        };
        let since = match self.resting_on_dot {
            Some((d, since)) if d == dot => since,
            _ => {
                self.resting_on_dot = Some((dot, now));
                now
            }
        };
        // In play a puck may slow down over a dot; a faceoff needs it to stay there a moment
        // (0.3 s once settled: a linesman often drops it within a second of placing it, and a
        // longer wait missed those faceoffs, and with them goals only a centre-ice drop reveals).
        let waited = now - since >= 300 || !matches!(self.play, Play::Live);
        if !waited {
            return None;
        }
        self.resting_on_dot = None;
        Some(dot)
    }

    /// A puck moving around while play is believed stopped means the faceoff was missed: moving
    /// faster than a puck brought to the dot for a while, or, once it was seen at a dot (the draw
    /// set up, its drop unseen), carried off it at a skater's pace for a few frames.
    fn resume_if_moving(&mut self, steady: Option<PuckFix>) {
        // How fast the puck moves, and how far from the nearest dot.
        let motion = steady.map(|f| {
            let dot = FaceoffDot::nearest(f.point()).position();
            (f.speed(), dot.distance_ft(f.point()))
        });
        let off_dots_at = |min_speed: f64| {
            motion.is_some_and(|(speed, from_dot)| speed > min_speed && from_dot > 10.0)
        };
        self.dot_seen_while_stopped |= motion.is_some_and(|(_, from_dot)| from_dot < DROPPED_FT);
        let count = |frames: u32, moving: bool| if moving { frames + 1 } else { 0 };
        self.moving_while_stopped = count(self.moving_while_stopped, off_dots_at(25.0));
        self.carried_off_dot = count(
            self.carried_off_dot,
            self.dot_seen_while_stopped && off_dots_at(CARRIED_OFF_DOT_FT_S),
        );
        if self.moving_while_stopped >= 10 || self.carried_off_dot >= 5 {
            self.carried_off_dot = 0;
            // Play restarted as if the faceoff had been seen dropped (where, nobody saw: the goal
            // before it stands).
            self.moving_while_stopped = 0;
            self.first_faceoff_of_period = false;
            self.goal_since_drop = false;
            self.goal_before_restart = None;
            self.forget_since_drop();
            self.play = Play::Live;
        }
    }

    fn look_for_drop(
        &mut self,
        frame: u64,
        now: u64,
        fix: Option<PuckFix>,
        dot: FaceoffDot,
        detail: FaceoffKind,
        skaters: &[Holder],
    ) {
        let broke_ms = self.line_up.broke_ms();
        // Noise moves a resting puck by a foot or two and fakes a few feet per second: a drop
        // needs a clear move — far off the dot, or well off it and moving — and the skaters seen
        // lined up at the dot to have broken from it, or to break within a second (a puck that
        // seems to leave the dot while they stand on is a false sighting or a jittery fix).
        // A still puck far from the dot is something else, or a stale view (the faceoff was set
        // up from the players lined up): only one in play, moving, says the draw was dropped.
        let by_puck = fix.map(|fix| (fix.point().distance_ft(dot.position()), fix.speed()));
        let left_dot = by_puck.is_some_and(|(moved, speed)| {
            moved < DROP_SEEN_WITHIN_FT
                && (moved > DROPPED_FT
                    || (moved > DROPPED_MOVING_FT && speed > DROPPED_MOVING_SPEED_FT_S))
        });
        if left_dot && broke_ms.is_none() {
            self.left_dot_before_break_ms.get_or_insert(now);
        }
        // The puck seen leaving a moment before the skaters were seen to break (their break
        // shows ~0.7 s after the drop, the puck's often sooner), then lost among them.
        let left_as_they_broke = broke_ms
            .zip(self.left_dot_before_break_ms)
            .is_some_and(|(broke_ms, left_ms)| broke_ms <= left_ms + line_up::BREAK_AFTER_PUCK_MS);
        let puck_dropped = left_as_they_broke
            || by_puck.is_some_and(|(moved, speed)| {
                if moved < DROP_SEEN_WITHIN_FT {
                    self.line_up.allows_drop() && left_dot
                } else {
                    speed > CARRIED_OFF_DOT_FT_S
                }
            });
        // Skaters that long away from their places took the draw, puck seen leaving or not (it is
        // hidden among sticks and skates, or the view of it is of something else).
        let players_dropped =
            broke_ms.is_some_and(|broke_ms| now >= broke_ms + line_up::DRAW_TAKEN_AFTER_BREAK_MS);
        if !(puck_dropped || players_dropped) {
            return;
        }
        // The skaters' start dates the drop, unless they left well before the puck did (for
        // something else: a change of lines); failing that, the puck's path back to the dot.
        let drop_ms = match broke_ms {
            Some(broke_ms)
                if players_dropped || now <= broke_ms + line_up::BREAK_BEFORE_PUCK_MS =>
            {
                broke_ms.saturating_sub(line_up::BREAK_LAG_MS)
            }
            _ => by_puck.map_or(now, |(moved, speed)| {
                now.saturating_sub(((moved / speed.max(5.0)) * 1000.0).min(1500.0) as u64)
            }),
        };
        let centres: Vec<Holder> = Team::BOTH
            .into_iter()
            .filter_map(|team| nearest_skater(skaters, dot.position(), |s| s.team == team))
            .collect();
        self.centre_drop_ms = (dot == FaceoffDot::Centre).then_some(drop_ms);
        self.faceoff = Some(PendingFaceoff {
            drop_ms,
            frame,
            dot,
            detail,
            centres,
        });
        self.first_faceoff_of_period = false;
        self.goal_since_drop = false;
        self.forget_since_drop();
        self.play = Play::Live;
        self.puck_area = area_of(dot.position().x_ft(), 0);
    }

    /// After a goal play restarts at centre ice: a draw just taken elsewhere, the skaters seen
    /// lined up for it, follows a stoppage — the goal called was the goalie holding the puck
    /// (a glove or pad followed into the net), and is withdrawn.
    fn judge_goal_by_restart(&mut self, out: &mut Vec<RecordChange>) {
        let Some(goal) = self.goal_before_restart.take() else {
            return;
        };
        let Some(pending) = self.faceoff.as_mut() else {
            return;
        };
        if pending.dot == FaceoffDot::Centre || !self.line_up.stood() {
            return;
        }
        pending.detail = FaceoffKind::AfterStoppage;
        let reason = "play restarted at a faceoff dot away from centre ice: no goal went in";
        self.withdraw_goal(goal, reason, true, out);
    }

    fn settle_faceoff(&mut self, winner: Team, out: &mut Vec<RecordChange>) {
        let Some(pending) = self.faceoff.take() else {
            return;
        };
        let mut players = Vec::new();
        for c in &pending.centres {
            let role = if c.team == winner {
                PlayerRole::ACTOR
            } else {
                PlayerRole::OPPONENT
            };
            players.push(player(role, c));
        }
        let (frame, _) = self.last_frame.unwrap_or((pending.frame, pending.drop_ms));
        let event = self
            .event(pending.drop_ms, (pending.frame, frame), EventType::Faceoff)
            .detail1(pending.detail.detail())
            .team(winner)
            .puck(pending.dot.position())
            .players(players)
            .build(0.9);
        out.push(RecordChange::Event(event));
        if self.release.is_none() {
            self.release = pending
                .centres
                .iter()
                .find(|c| c.team == winner)
                .map(|c| Release {
                    by: *c,
                    at_ms: pending.drop_ms,
                    frame: pending.frame,
                    from: pending.dot.position(),
                    kind: ReleaseKind::Faceoff,
                });
        }
    }

    // ----- live play ------------------------------------------------------------------------

    fn live(
        &mut self,
        frame: u64,
        now: u64,
        (fix, steady, settled): (PuckFix, PuckFix, Option<PuckFix>),
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) {
        let t = self.config.tuning;
        let nearest = nearest_skater(skaters, fix.point(), |_| true)
            .filter(|s| s.position.distance_ft(fix.point()) <= t.control_radius_ft)
            .filter(|_| fix.speed() <= t.carry_speed_ft_s);
        self.votes.push_back(nearest);
        if self.votes.len() > t.control_window {
            self.votes.pop_front();
        }
        self.classify_release(steady);
        self.detect_shot(frame, now, steady, skaters);
        self.detect_close_shot(frame, now, fix, skaters);
        self.follow_shot(frame, now, (steady, settled), skaters, out);

        if self.play != Play::Live {
            return;
        }
        // A shot at the net is the goalie's business (save, freeze, goal), not a change of
        // possession.
        if let Some(shot) = self.shot
            && steady.point().distance_ft(shot.end.net_centre()) < 12.0
        {
            return;
        }
        let leader = self.vote_leader();
        match (self.controller, leader) {
            (Some(current), Some(next)) if next.track_id != current.track_id => {
                self.take_control(frame, now, next, fix, out);
            }
            (None, Some(next)) => self.take_control(frame, now, next, fix, out),
            (Some(current), None) => {
                let empty = self.votes.iter().filter(|v| v.is_none()).count();
                if empty > t.control_window - t.control_votes {
                    self.release = Some(Release {
                        by: current,
                        at_ms: now.saturating_sub(100),
                        frame,
                        from: current.position,
                        kind: ReleaseKind::Unknown,
                    });
                    self.controller = None;
                }
            }
            _ => {}
        }
        if let (Some(current), Some(next)) = (self.controller, leader)
            && current.track_id == next.track_id
        {
            self.controller = Some(next);
        }
        self.zones(frame, now, steady, out);
        self.icing(frame, now, steady, out);
    }

    fn vote_leader(&self) -> Option<Holder> {
        let needed = self.config.tuning.control_votes;
        let mut best: Option<(Holder, usize)> = None;
        for vote in self.votes.iter().flatten() {
            let count = self
                .votes
                .iter()
                .flatten()
                .filter(|v| v.track_id == vote.track_id)
                .count();
            if count >= needed && best.is_none_or(|(_, c)| count > c) {
                best = Some((*vote, count));
            }
        }
        // The newest position of the leader.
        best.and_then(|(h, _)| {
            self.votes
                .iter()
                .rev()
                .flatten()
                .find(|v| v.track_id == h.track_id)
                .copied()
        })
    }

    fn take_control(
        &mut self,
        frame: u64,
        now: u64,
        next: Holder,
        fix: PuckFix,
        out: &mut Vec<RecordChange>,
    ) {
        if self.faceoff.is_some() {
            self.settle_faceoff(next.team, out);
        }
        if self.goalie_took_it_point_blank(frame, now, next) {
            return;
        }
        if let Some(shot) = self.shot {
            // Someone stopped the shot before it was judged.
            let s = shot.end.sign();
            let outcome = if next.team != shot.shooter.team
                && fix.x_ft * s < GOAL_LINE_X_FT - GOALIE_AREA_DEPTH_FT - 4.0
            {
                Detail::SHOT_BLOCKED
            } else {
                Detail::SHOT_MISSED
            };
            let opponent = (outcome == Detail::SHOT_BLOCKED).then_some(next);
            self.close_shot(shot, outcome, opponent, frame, out);
        }
        let previous = self.controller;
        let release = self.release.take();
        let spot = fix.point();
        match (previous, release) {
            (Some(old), _) if old.team != next.team => {
                // Straight off the carrier's stick.
                let event = self
                    .event(now, (frame.saturating_sub(6), frame), EventType::Turnover)
                    .detail1(Detail::TURNOVER_TAKEAWAY)
                    .team(next.team)
                    .puck(spot)
                    .players(vec![
                        player(PlayerRole::ACTOR, &next),
                        player(PlayerRole::OPPONENT, &old),
                    ])
                    .build(0.75);
                out.push(RecordChange::Event(event));
            }
            (None, Some(r)) if r.by.track_id != next.track_id => {
                let kind = if r.kind == ReleaseKind::Unknown {
                    ReleaseKind::Pass
                } else {
                    r.kind
                };
                match kind {
                    ReleaseKind::Pass if r.by.team == next.team => {
                        let event = self
                            .event(r.at_ms, (r.frame, frame), EventType::Pass)
                            .detail1(Detail::PASS_COMPLETED)
                            .team(next.team)
                            .puck(spot)
                            .players(vec![
                                player(PlayerRole::ACTOR, &r.by),
                                player(PlayerRole::EventPlayer(2), &next),
                            ])
                            .build(0.8);
                        out.push(RecordChange::Event(event));
                    }
                    ReleaseKind::Pass => {
                        let players = vec![
                            player(PlayerRole::ACTOR, &r.by),
                            player(PlayerRole::OPPONENT, &next),
                        ];
                        let pass = self
                            .event(r.at_ms, (r.frame, frame), EventType::Pass)
                            .detail1(Detail::PASS_INTERCEPTED)
                            .team(r.by.team)
                            .puck(spot)
                            .players(players.clone())
                            .build(0.75);
                        out.push(RecordChange::Event(pass));
                        let turnover = self
                            .event(now, (r.frame, frame), EventType::Turnover)
                            .detail1(Detail::TURNOVER_GIVEAWAY)
                            .team(r.by.team)
                            .puck(spot)
                            .players(players)
                            .build(0.75);
                        out.push(RecordChange::Event(turnover));
                    }
                    ReleaseKind::Faceoff => {}
                    _ => {
                        let event = self
                            .event(now, (r.frame, frame), EventType::Possession)
                            .detail1(Detail::POSSESSION_PUCK_RECOVERY)
                            .team(next.team)
                            .puck(spot)
                            .players(vec![player(PlayerRole::ACTOR, &next)])
                            .build(0.75);
                        out.push(RecordChange::Event(event));
                    }
                }
            }
            _ => {}
        }
        self.controller = Some(next);
    }

    /// The goalie takes the puck from an attacker who had it at the edge of his crease: a shot
    /// from point-blank range, its flight of a few feet lost in the noise, already at the goalie
    /// (not a pass he intercepted). The shot is followed from there (held, out again, in the
    /// net) as any shot that reached him.
    fn goalie_took_it_point_blank(&mut self, frame: u64, now: u64, next: Holder) -> bool {
        // An attacker seen at the puck the goalie has just stopped did not have it: the noise.
        if self.shot.is_some() || now < self.shot_closed_ms + POINT_BLANK_AFTER_SHOT_MS {
            return false;
        }
        let end = end_towards(next.position.x_ft());
        let s = end.sign();
        let team = self.attacker_of(end);
        if !in_goalie_area(next.position.x_ft(), next.position.y_ft(), end) || next.team == team {
            return false;
        }
        let reached_ms = now.saturating_sub(POINT_BLANK_LAG_MS);
        let (shooter, released_ms, release_frame, origin) = match (self.controller, self.release) {
            // Straight off his stick.
            (Some(c), _) if c.team == team => (c, reached_ms.saturating_sub(33), frame, c.position),
            (None, Some(r))
                if r.by.team == team
                    && now <= r.at_ms + POINT_BLANK_RELEASE_MS
                    && matches!(r.kind, ReleaseKind::Unknown | ReleaseKind::Pass) =>
            {
                (r.by, r.at_ms, r.frame, r.from)
            }
            _ => return false,
        };
        let point_blank = origin.distance_ft(end.net_centre()) <= POINT_BLANK_FT
            && origin.x_ft() * s < GOAL_LINE_X_FT;
        if !point_blank {
            return false;
        }
        self.release = None;
        self.start_shot(LiveShot {
            shooter,
            end,
            released_ms,
            release_frame,
            origin,
            at_goalie: Some((reached_ms.max(released_ms + 33), frame)),
            aim_y_ft: 0.0,
        });
        true
    }

    /// Whether the puck flying as `fix` at `end`'s net had been flying on the same way since
    /// before it came into shooting range by `at_ms`: a clearance or a dump-in from the far side
    /// of the ice that passed the skaters on its way, not a shot from where it was noticed.
    fn flew_in_from_out_of_range(&self, at_ms: u64, fix: PuckFix, end: End) -> bool {
        let mut t = at_ms;
        for _ in 0..FLEW_IN_STEPS {
            t = t.saturating_sub(FLEW_IN_STEP_MS);
            let Some(earlier) = self.puck.fix(t, 270, 6) else {
                return false;
            };
            let cos = (earlier.vx * fix.vx + earlier.vy * fix.vy)
                / (earlier.speed() * fix.speed()).max(1e-9);
            if earlier.speed() < FLEW_IN_SPEED_FT_S || cos < FLEW_IN_MIN_COS {
                return false;
            }
            if !in_shooting_range(earlier.point(), end) {
                return true;
            }
        }
        false
    }

    /// Judges a fresh release once the puck has been seen moving for a few frames.
    fn classify_release(&mut self, fix: PuckFix) {
        let Some(release) = &mut self.release else {
            return;
        };
        if release.kind != ReleaseKind::Unknown || fix.time_ms < release.at_ms + 130 {
            return;
        }
        let team = release.by.team;
        let end = self.ends.attacked_by(team, self.period);
        let s = end.sign();
        // Where the puck was as it left the stick (the carrier was last voted at it a few
        // frames before: a dump right after the red line was not fired from behind it).
        let from_x = self
            .puck
            .between(
                release.at_ms.saturating_sub(RELEASE_SEEN_WITHIN_MS),
                release.at_ms,
            )
            .last()
            .map_or(release.from.x_ft(), |p| p.x_ft)
            * s;
        let speed = fix.speed();
        // Shots are recognised by their flight (`detect_shot`), which may come later.
        release.kind = if speed >= 35.0 && fix.vx * s > 0.0 && from_x < 0.0 && fix.x_ft * s > 0.0 {
            ReleaseKind::Clear
        } else if speed >= 35.0 && fix.vx * s > 0.0 && (0.0..BLUE_LINE_X_FT).contains(&from_x) {
            ReleaseKind::Dump
        } else {
            ReleaseKind::Pass
        };
    }

    /// A puck flying fast at a net from the attacking side is a shot by the team attacking that
    /// net, whoever released it last (the controller may not have settled on a one-timer).
    fn detect_shot(&mut self, frame: u64, now: u64, fix: PuckFix, skaters: &[Holder]) {
        if self.shot.is_some() || fix.speed() < self.config.tuning.shot_speed_ft_s {
            return;
        }
        let end = end_towards(fix.vx);
        let s = end.sign();
        let (to_line, y_at_line) = fix.towards_line(GOAL_LINE_X_FT * s);
        if !(to_line > 0.0 && to_line < 1.5 && y_at_line.abs() < 12.0) {
            return;
        }
        let team = self.attacker_of(end);
        // Whether a skater of the attacking team was at the puck since the last release (one
        // who took it in stride, too quickly to be seen in control, and shot it on).
        let picked_up = |r: &Release| {
            self.at_puck_between(r.at_ms + 300, u64::MAX)
                .any(|h| h.team == team)
        };
        // A puck still flying on from a shot that was already judged is not a new shot.
        if self.release.is_some_and(|r| {
            matches!(r.kind, ReleaseKind::Rebound | ReleaseKind::Shot) && !picked_up(&r)
        }) || now < self.shot_closed_ms + NEXT_SHOT_AFTER_MS
        {
            return;
        }
        // The last release by the team, unless picked up since: one from out of range then (a
        // dump-in picked up unnoticed and shot at once) is not where this shot left the stick.
        let in_range = |p: RinkPoint| in_shooting_range(p, end);
        let recent = self.release.filter(|r| {
            now.saturating_sub(r.at_ms) < 1500
                && r.by.team == team
                && (in_range(r.from) || !picked_up(r))
        });
        let (at_ms, release_frame, origin) = match recent {
            Some(r) => (r.at_ms, r.frame, r.from),
            None => {
                // Back along its path to where it left the stick, about a tenth of a second ago.
                let back = RinkPoint::clamped(fix.x_ft - fix.vx * 0.1, fix.y_ft - fix.vy * 0.1)
                    .unwrap_or(fix.point());
                (now.saturating_sub(100), frame.saturating_sub(3), back)
            }
        };
        if !in_range(origin) {
            return;
        }
        if self.flew_in_from_out_of_range(at_ms, fix, end) {
            return;
        }
        let shooter = recent
            .map(|r| r.by)
            .or_else(|| nearest_skater(skaters, origin, |p| p.team == team));
        let Some(shooter) = shooter else {
            return;
        };
        if let Some(release) = &mut self.release {
            release.kind = ReleaseKind::Shot;
        }
        self.start_shot(LiveShot {
            shooter,
            end,
            released_ms: at_ms,
            release_frame,
            origin,
            at_goalie: None,
            aim_y_ft: y_at_line,
        });
    }

    /// The puck is off on `shot`: nobody controls it, and the votes for who is at it, cast
    /// while the shooter still had it, are void (they would hand it straight back to him and
    /// judge the shot missed as it leaves).
    fn start_shot(&mut self, shot: LiveShot) {
        self.controller = None;
        self.votes.clear();
        self.shot = Some(shot);
    }

    /// A shot from close in reaches the goalie's area within a few frames, too soon for
    /// `detect_shot` to measure its flight: when the puck arrives there, its flight is read back
    /// from the observations (where it left the stick, how fast, aimed where).
    fn detect_close_shot(&mut self, frame: u64, now: u64, fix: PuckFix, skaters: &[Holder]) {
        if self.shot.is_some() || now < self.shot_closed_ms + NEXT_SHOT_AFTER_MS {
            return;
        }
        let end = end_towards(fix.x_ft);
        let s = end.sign();
        let depth = fix.x_ft * s;
        let at_goalie = (GOAL_LINE_X_FT - CLOSE_SHOT_AT_GOALIE_FT..=GOAL_LINE_X_FT + 0.3)
            .contains(&depth)
            && fix.y_ft.abs() < CLOSE_SHOT_HALF_WIDTH_FT;
        if !at_goalie {
            return;
        }
        // The puck's way to the release read as one straight line first; failing that, as two:
        // a carrier who cut back or took a pass just before shooting does not fit one line, and
        // the split would then fall at his turn, not at the release (a flight too slow to be a
        // shot). Straight first: the freer fit also finds short fast runs in the noise.
        let Some((flight, aim_y_ft)) = [Approach::Straight, Approach::Turned]
            .into_iter()
            .find_map(|approach| self.close_shot_flight(fix, end, approach))
        else {
            return;
        };
        let origin =
            RinkPoint::clamped(flight.origin_x_ft, flight.origin_y_ft).unwrap_or(fix.point());
        let team = self.attacker_of(end);
        let shooter = nearest_skater(skaters, origin, |p| p.team == team)
            .filter(|p| p.position.distance_ft(origin) <= 8.0)
            .or_else(|| self.last_holder_of(team));
        let Some(shooter) = shooter else {
            return;
        };
        if let Some(release) = &mut self.release {
            release.kind = ReleaseKind::Shot;
        }
        self.start_shot(LiveShot {
            shooter,
            end,
            released_ms: flight.start.time_ms,
            release_frame: flight.start.frame,
            origin,
            at_goalie: Some((now, frame)),
            aim_y_ft,
        });
    }

    /// The flight of a close shot at `end`'s net that ends at the goalie (`fix`), the puck's way
    /// to it read as `approach`, and where it was aimed across the goal line: none when the
    /// observations show no fast flight since the last shot was judged, one that did not come
    /// from feet away, or one aimed wide.
    fn close_shot_flight(
        &self,
        fix: PuckFix,
        end: End,
        approach: Approach,
    ) -> Option<(Flight, f64)> {
        let s = end.sign();
        let flight = self
            .puck
            .flight(CLOSE_SHOT_WINDOW_MS, CLOSE_SHOT_SPEED_FT_S, 5.0, approach)
            .filter(|f| f.start.time_ms > self.shot_closed_ms)?;
        let line = flight.line;
        // Noise scatters a puck at rest by feet a frame: it must have come from elsewhere.
        let came_from_afar = flight
            .before_mean
            .is_none_or(|(x, y)| (x - fix.x_ft).hypot(y - fix.y_ft) >= CLOSE_SHOT_MIN_TRAVEL_FT);
        if line.vx * s <= 0.0 || !came_from_afar {
            return None;
        }
        let to_line = (GOAL_LINE_X_FT * s - flight.origin_x_ft) / line.vx;
        let aim_y_ft = flight.origin_y_ft + line.vy * to_line;
        (aim_y_ft.abs() <= CLOSE_SHOT_HALF_WIDTH_FT).then_some((flight, aim_y_ft))
    }

    /// A puck last seen on an attacker's stick out in the zone and seen again, after a gap,
    /// in front of the net that attacker faces — with the attacker nowhere near it — travelled
    /// there on its own: a shot nobody saw, already at the goalie. Either it covered the gap
    /// faster than anyone skates, or it turns up at the goalie's pads while the attacker who had
    /// it, carried unseen towards the net, stands feet away (a shot from close in, hidden with
    /// the puck's approach).
    fn detect_unseen_shot(&mut self, frame: u64, now: u64, seen: RinkPoint, skaters: &[Holder]) {
        if self.shot.is_some() || now < self.shot_closed_ms + NEXT_SHOT_AFTER_MS {
            return;
        }
        let Some((before, after)) = self
            .puck
            .last_gap(UNSEEN_SHOT_GAP_MS, now.saturating_sub(300))
        else {
            return;
        };
        let end = end_towards(seen.x_ft());
        let s = end.sign();
        let team = self.attacker_of(end);
        let net = end.net_centre();
        let (Ok(last_seen), Ok(to)) = (
            RinkPoint::new(before.x_ft, before.y_ft),
            RinkPoint::new(after.x_ft, after.y_ft),
        ) else {
            return;
        };
        let in_front = |p: RinkPoint| p.x_ft() * s < GOAL_LINE_X_FT + 1.0;
        let in_zone = |p: RinkPoint| in_shooting_range(p, end);
        if !(in_front(to) && to.distance_ft(net) <= 15.0 && in_zone(last_seen)) {
            return;
        }
        // The attacker who had it when it vanished (or who was at it then: a puck stolen and
        // shot at once gives no time to establish control), and who did not carry it there.
        let had_it = match (self.controller, self.release) {
            (Some(c), _) if c.team == team => Some(c),
            (None, Some(r)) if r.by.team == team && r.at_ms + 500 >= before.time_ms => Some(r.by),
            _ => None,
        };
        let Some(shooter) = had_it.or_else(|| self.at_puck_of(team, before.time_ms, 150)) else {
            return;
        };
        let shooter_now = skaters
            .iter()
            .find(|h| h.track_id == shooter.track_id)
            .map(|h| h.position);
        if shooter_now.is_some_and(|p| p.distance_ft(to) < UNSEEN_SHOT_CARRY_FT) {
            return;
        }
        let gap_s = (after.time_ms - before.time_ms) as f64 / 1000.0;
        // Seen flying fast at the net as it vanished, it was shot (wherever it turns up: back out
        // off the goalie, too).
        let flying_in = self.puck.fix(before.time_ms, 170, 3).is_some_and(|f| {
            let (to_line, y_at_line) = f.towards_line(GOAL_LINE_X_FT * s);
            f.speed() >= CLOSE_SHOT_SPEED_FT_S
                && to_line > 0.0
                && y_at_line.abs() < NET_HALF_WIDTH_FT + 3.0
        });
        let flew = flying_in
            || (last_seen.distance_ft(net) >= 15.0
                && (to.x_ft() - last_seen.x_ft()) * s > 0.0
                && last_seen.distance_ft(to) / gap_s >= UNSEEN_SHOT_SPEED_FT_S);
        let from = if flew {
            last_seen
        } else {
            // Shot from where the attacker now stands, the puck at the goalie's pads.
            let goalie = self.goalie_of(team.opponent(), skaters);
            let at_pads = goalie
                .is_some_and(|g| g.position.distance_ft(to) <= UNSEEN_SHOT_AT_PADS_FT)
                && to.distance_ft(net) <= UNSEEN_SHOT_AT_PADS_FT + 3.0
                // Not a puck in the net, seen through the noise a foot or two out.
                && to.x_ft() * s <= GOAL_LINE_X_FT - UNSEEN_SHOT_IN_FRONT_FT;
            match shooter_now {
                Some(at)
                    if at_pads
                        && in_front(at)
                        && in_zone(at)
                        && at.distance_ft(net) > to.distance_ft(net) =>
                {
                    at
                }
                _ => return,
            }
        };
        let flight_ms = (from.distance_ft(to) / TYPICAL_SHOT_SPEED_FT_S * 1000.0) as u64;
        let (released_ms, arrival_ms) = if flew {
            (
                before.time_ms + 33,
                (before.time_ms + flight_ms).min(after.time_ms),
            )
        } else {
            (
                after
                    .time_ms
                    .saturating_sub(flight_ms)
                    .max(before.time_ms + 33),
                after.time_ms,
            )
        };
        let to_line = (GOAL_LINE_X_FT * s - from.x_ft()) / (to.x_ft() - from.x_ft());
        self.release = None;
        self.start_shot(LiveShot {
            shooter,
            end,
            released_ms,
            release_frame: before.frame,
            origin: from,
            at_goalie: Some((arrival_ms, frame)),
            aim_y_ft: from.y_ft() + (to.y_ft() - from.y_ft()) * to_line,
        });
    }

    fn follow_shot(
        &mut self,
        frame: u64,
        now: u64,
        (fix, settled): (PuckFix, Option<PuckFix>),
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) {
        let Some(mut shot) = self.shot else {
            return;
        };
        let s = shot.end.sign();
        // Where it is aimed, read again from the whole flight seen so far while it still flies
        // at the net (the first quarter second's line, which the shot was detected on, is at the
        // mercy of the noise).
        if shot.at_goalie.is_none()
            && fix.vx * s > AIM_MIN_SPEED_FT_S
            && let Some(y) = self.puck.crossing_y(
                GOAL_LINE_X_FT * s,
                now,
                now.saturating_sub(shot.released_ms),
                AIM_MIN_SPEED_FT_S,
            )
        {
            shot.aim_y_ft = y;
        }
        let depth = fix.x_ft * s;
        let beyond_line = depth - GOAL_LINE_X_FT;
        // Past the line between the posts: a goal once it rests there (`detect_goal`).
        if beyond_line > 0.0 && fix.y_ft.abs() < 4.0 {
            self.shot = Some(shot);
            return;
        }
        if in_goalie_area(fix.x_ft, fix.y_ft, shot.end) && shot.at_goalie.is_none() {
            shot.at_goalie = Some((self.reached_goalie_ms(&shot, now), frame));
        }
        if shot.at_goalie.is_some() && beyond_line > 0.3 && fix.y_ft.abs() >= 4.2 {
            // Past the goalie and wide of the posts.
            self.shot = None;
            self.close_shot(shot, Detail::SHOT_MISSED, None, frame, out);
            return;
        }
        if let Some((reached_ms, reached_frame)) = shot.at_goalie {
            let goalie = self.goalie_of(shot.shooter.team.opponent(), skaters);
            let frozen = settled.is_some_and(|f| {
                f.speed() < STILL_FT_S
                    && f.x_ft * s < GOAL_LINE_X_FT - 0.5
                    && f.point().distance_ft(shot.end.net_centre()) < 10.0
            });
            if frozen && now >= reached_ms + 300 {
                self.shot = None;
                self.freeze(shot, goalie, (reached_ms, reached_frame), frame, 0.8, out);
                return;
            }
            // Out again: judged on the observations since it reached the goalie alone (the
            // steady view still holds the incoming flight for a quarter second).
            let since_reached = self
                .puck
                .fix(now, now.saturating_sub(reached_ms), REBOUND_SAMPLES)
                .filter(|f| f.time_ms > reached_ms);
            let out_again = since_reached.is_some_and(|f| {
                f.vx * s < -REBOUND_SPEED_FT_S && f.x_ft * s < GOAL_LINE_X_FT - 1.0
            });
            // Neither held nor in the net a while after reaching the goalie: saved, and the
            // puck is back in play.
            let played_on = now > reached_ms + AT_GOALIE_MAX_MS && !frozen;
            if out_again || played_on {
                self.shot = None;
                self.rebound_save(shot, goalie, reached_ms, frame, fix.point(), out);
                return;
            }
            self.shot = Some(shot);
            return;
        }
        if beyond_line > 0.3 && fix.y_ft.abs() >= 4.2 {
            self.shot = None;
            self.close_shot(shot, Detail::SHOT_MISSED, None, frame, out);
            self.release = Some(Release::rebound(shot.shooter, now, frame, fix.point()));
            return;
        }
        // Turned back right in front of the net: the goalie kicked it out.
        let near_net = fix.point().distance_ft(shot.end.net_centre()) < 14.0;
        if near_net && fix.vx * s < -5.0 {
            let goalie = self.goalie_of(shot.shooter.team.opponent(), skaters);
            self.shot = None;
            let at = self.reached_goalie_ms(&shot, now.saturating_sub(100));
            self.rebound_save(shot, goalie, at, frame, fix.point(), out);
            return;
        }
        // Turned back in the lane next to a defender: blocked.
        if fix.vx * s < 0.0 || fix.speed() < 15.0 {
            // Where it turned, unless that was within the goalie's reach (where the one who
            // stopped it is the goalie): the blocker stood there, not where the turn was noticed.
            let turn = self
                .deepest_since(&shot, now)
                .filter(|p| p.x_ft * s < GOAL_LINE_X_FT - BLOCKED_OUT_OF_GOALIE_REACH_FT)
                .and_then(|p| RinkPoint::clamped(p.x_ft, p.y_ft));
            // Lost from sight on its way in, close to the goalie: where it is seen again says
            // nothing of who turned it.
            let lost_on_way = self
                .puck
                .last_gap(LOST_ON_WAY_GAP_MS, shot.released_ms)
                .is_some_and(|(before, _)| {
                    before.time_ms >= shot.released_ms
                        && before.x_ft * s >= GOAL_LINE_X_FT - SEEN_REACHING_GOALIE_FT
                });
            let seen_again = (!lost_on_way).then_some(fix.point());
            let blocker = [seen_again, turn].into_iter().flatten().find_map(|at| {
                nearest_skater(skaters, at, |p| p.team != shot.shooter.team)
                    .filter(|p| p.position.distance_ft(at) < 5.0)
            });
            self.shot = None;
            if blocker.is_none()
                && shot.aim_y_ft.abs() < 3.5
                && fix.x_ft * s > 55.0
                && self.may_have_reached_goalie(&shot, now)
            {
                // Aimed between the posts and back out with nobody in the lane: the goalie
                // stopped it while the puck was out of sight.
                let goalie = self.goalie_of(shot.shooter.team.opponent(), skaters);
                let at = self.reached_goalie_ms(&shot, now.saturating_sub(200));
                self.rebound_save(shot, goalie, at, frame, fix.point(), out);
                return;
            }
            let outcome = if blocker.is_some() {
                Detail::SHOT_BLOCKED
            } else {
                Detail::SHOT_MISSED
            };
            self.close_shot(shot, outcome, blocker, frame, out);
            self.release = Some(Release::rebound(
                blocker.unwrap_or(shot.shooter),
                now,
                frame,
                fix.point(),
            ));
            return;
        }
        if now > shot.released_ms + 2500 {
            self.shot = None;
            self.close_shot(shot, Detail::SHOT_MISSED, None, frame, out);
            return;
        }
        self.shot = Some(shot);
    }

    /// Whether `shot`'s puck, turned back before it was seen at the goalie, may have got there
    /// unseen: seen close to the goal line, or lost from sight on its way.
    fn may_have_reached_goalie(&self, shot: &LiveShot, now: u64) -> bool {
        let s = shot.end.sign();
        self.deepest_since(shot, now)
            .is_some_and(|p| p.x_ft * s >= GOAL_LINE_X_FT - SEEN_REACHING_GOALIE_FT)
            || self.puck.last_gap(100, shot.released_ms).is_some()
    }

    /// The sighting of `shot`'s puck nearest the net it was shot at, up to `now`.
    fn deepest_since(&self, shot: &LiveShot, now: u64) -> Option<PuckSample> {
        let s = shot.end.sign();
        self.puck
            .between(shot.released_ms, now)
            .max_by(|a, b| (a.x_ft * s).total_cmp(&(b.x_ft * s)))
            .copied()
    }

    /// When `shot`'s puck, seen at the goalie at `now`, got there: when it was first seen in
    /// his area since the release, or else now; unless it was unseen just before (the goalie's
    /// body, the crowd in front), when it got there at its speed so far from where it was last
    /// seen. (A puck hidden at the goalie's feet is seen there in glimpses: the steady view may
    /// place it there only a second or two after it arrived.)
    fn reached_goalie_ms(&self, shot: &LiveShot, now: u64) -> u64 {
        let mut previous: Option<PuckSample> = None;
        let first_at_goalie = self.puck.between(shot.released_ms, now).find_map(|p| {
            let found = in_goalie_area(p.x_ft, p.y_ft, shot.end).then_some((previous, *p));
            previous = Some(*p);
            found
        });
        let (before, after) = match first_at_goalie {
            Some((Some(before), after)) if after.time_ms - before.time_ms > 100 => (before, after),
            Some((_, after)) => return after.time_ms,
            // The gap the puck came out of a few frames ago, if any.
            None => match self
                .puck
                .last_gap(100, now.saturating_sub(300))
                .filter(|(before, _)| before.time_ms > shot.released_ms)
            {
                Some(gap) => gap,
                None => return now,
            },
        };
        let point = |s: &PuckSample| RinkPoint::clamped(s.x_ft, s.y_ft).unwrap_or(shot.origin);
        let flown_s = (before.time_ms - shot.released_ms) as f64 / 1000.0;
        let speed = (shot.origin.distance_ft(point(&before)) / flown_s).clamp(40.0, 150.0);
        let left_ms = point(&before).distance_ft(point(&after)) / speed * 1000.0;
        (before.time_ms + left_ms as u64).min(after.time_ms)
    }

    /// A puck coming to rest at a goalie's feet during play, with no shot followed (a shot from
    /// point-blank range, or one hidden on its way), is a frozen save of a shot by the other team.
    fn detect_freeze(
        &mut self,
        frame: u64,
        now: u64,
        settled: Option<PuckFix>,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) {
        if self.play != Play::Live || self.shot.is_some() {
            return;
        }
        let Some(fix) = settled.filter(|f| f.speed() < STILL_FT_S) else {
            return;
        };
        let end = end_towards(fix.x_ft);
        if !at_goalie_feet(fix, end) {
            return;
        }
        let team = self.attacker_of(end);
        // Someone of the attacking team must have had it just before.
        let Some(shooter) = self.last_holder_of(team) else {
            return;
        };
        if self.controller.is_some_and(|c| c.team == team) {
            return;
        }
        let at = self
            .puck
            .arrival(fix.point(), 7.0, 0)
            .unwrap_or(now.saturating_sub(300));
        let shot = LiveShot {
            shooter,
            end,
            released_ms: at.saturating_sub(100),
            release_frame: frame.saturating_sub(15),
            origin: shooter.position,
            at_goalie: Some((at, frame.saturating_sub(10))),
            aim_y_ft: 0.0,
        };
        let goalie = self.goalie_of(team.opponent(), skaters);
        self.freeze(
            shot,
            goalie,
            (at, frame.saturating_sub(10)),
            frame,
            0.7,
            out,
        );
    }

    /// A puck still at the goalie's feet ever since a shot judged saved and back out reached
    /// him: he held it, and the view of it coming out was the noise about a puck at rest. The
    /// Save is amended to a freeze and the whistle logged (play left running would read shots
    /// into the noise until the faceoff).
    fn detect_held_rebound(
        &mut self,
        frame: u64,
        now: u64,
        settled: Option<PuckFix>,
        out: &mut Vec<RecordChange>,
    ) {
        if self.play != Play::Live || self.shot.is_some() {
            return;
        }
        let Some(closed) = &self.last_closed else {
            return;
        };
        let Judged::Rebound(save) = &closed.judged else {
            return;
        };
        let Some((reached_ms, reached_frame)) = closed.shot.at_goalie else {
            return;
        };
        let end = closed.shot.end;
        let at_rest = |f: PuckFix| f.speed() < STILL_FT_S && at_goalie_feet(f, end);
        let held_since_reached = (reached_ms + HELD_STILL_MS..=reached_ms + HELD_WITHIN_MS)
            .contains(&now)
            && settled.is_some_and(at_rest)
            && self
                .puck
                .fix(now, HELD_STILL_MS, HELD_MIN_SIGHTINGS)
                .is_some_and(at_rest);
        let attackers_have_it = self
            .controller
            .is_some_and(|c| c.team == closed.shot.shooter.team);
        if !held_since_reached || attackers_have_it {
            return;
        }
        let mut frozen = (**save).clone();
        frozen.detail1 = Some(Detail::SAVE_FREEZE);
        let save_id = frozen.event_id;
        let confidence = f64::from(frozen.confidence.get());
        out.push(RecordChange::Amendment(Amendment {
            event: frozen,
            reason: "the goalie held the puck: it lay still at his feet since the save".to_owned(),
        }));
        self.goalie_stoppage(save_id, (reached_ms, reached_frame), frame, confidence, out);
    }

    /// A puck at rest in a net is a goal for the team attacking that net — whether or not the
    /// shot was followed (a scramble, a tip, a puck hidden by the goalie) and even when the
    /// engine believes play is stopped, as long as no goal was called for this stoppage.
    fn detect_goal(
        &mut self,
        frame: u64,
        now: u64,
        settled: Option<PuckFix>,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) {
        let open = matches!(
            self.play,
            Play::Live
                | Play::Stopped {
                    after_goal: false,
                    ..
                }
        );
        if !open {
            return;
        }
        // At rest by the fitted line; or, when stray observations (another candidate taken for
        // the puck now and then) upset the line, by the robust view, whose arrival then
        // tolerates a few more of them.
        let (fix, strays) = match settled.filter(|f| f.speed() < 8.0) {
            Some(fix) => (fix, SETTLED_ARRIVAL_STRAYS),
            None => match self
                .puck
                .rest(now, SETTLED_WINDOW_MS, REST_RADIUS_FT, REST_MIN_SAMPLES)
            {
                Some(fix) => (fix, ARRIVAL_STRAYS),
                None => return,
            },
        };
        let end = end_towards(fix.x_ft);
        let beyond_line = |x_ft: f64| x_ft * end.sign() - GOAL_LINE_X_FT;
        if !(beyond_line(fix.x_ft) > IN_NET_BEYOND_LINE_FT
            && beyond_line(fix.x_ft) < 3.0
            && fix.y_ft.abs() < 3.2)
        {
            return;
        }
        // Nor one that only the fitted line carries past it: a puck a goalie draws onto the goal
        // line and covers there is seen on either side of it, the middle of its sightings no
        // deeper in than where he holds it.
        let mut depths: Vec<f64> = self
            .puck
            .between(now.saturating_sub(SETTLED_WINDOW_MS), now)
            .map(|p| beyond_line(p.x_ft))
            .collect();
        depths.sort_by(f64::total_cmp);
        if depths
            .get(depths.len() / 2)
            .is_some_and(|&middle| middle <= IN_NET_BEYOND_LINE_FT)
        {
            return;
        }
        // The goal is when the puck arrived where it rests — not before the shot followed (a puck
        // lingering around the net before the shot looks as if it had arrived then).
        let last_played_ms = self
            .shot
            .filter(|s| s.end == end)
            .map_or(0, |s| s.released_ms);
        let arrived_ms = self
            .puck
            .arrival(fix.point(), 7.0, strays)
            .unwrap_or(now.saturating_sub(350));
        // Nor while the puck was still seen clearly out in front of the line, before it went
        // unseen a while (it went in then, hidden).
        let out_front_ms = self
            .puck
            .arrived_unseen_after(arrived_ms, ARRIVAL_HIDDEN_GAP_MS, |p| {
                p.x_ft * end.sign() < GOAL_LINE_X_FT - ARRIVAL_OUT_FRONT_FT
            })
            .unwrap_or(0);
        // Nor before it was last seen clearly out in front, twice in a row, on its way into the
        // net (carried about in front of it, in sight, before the shot that put it in).
        let seen_in_front_ms = self
            .puck
            .last_seen_twice_before(
                arrived_ms,
                |p| beyond_line(p.x_ft) < -SEEN_IN_FRONT_FT,
                |p| beyond_line(p.x_ft) > IN_NET_BEYOND_LINE_FT && p.y_ft.abs() < NET_HALF_WIDTH_FT,
            )
            .unwrap_or(0);
        let at_ms = arrived_ms
            .max(out_front_ms)
            .max(seen_in_front_ms)
            .max(last_played_ms);
        if self.came_round_the_net(end, at_ms) || self.came_in_wide(end, at_ms) {
            return;
        }
        // A shot judged wide or blocked a moment ago that ends up in the net was a goal after
        // all (the puck was hidden or the judgement fooled by the noise): amend it.
        if self.shot.as_ref().is_none_or(|s| s.end != end)
            && !self.played_since_closed(at_ms)
            && let Some((shot, event)) = self.reopen_as_goal(
                end,
                (now.saturating_sub(2500), at_ms),
                false,
                "the puck came to rest in the net",
                out,
            )
        {
            self.shot = None;
            let confidence = self.goal_confidence(&shot, frame);
            self.score_goal_of(shot, Some(event), at_ms, frame, confidence, out);
            return;
        }
        let Some((shot, at_ms)) = self.goal_shot(end, at_ms, frame, skaters, out) else {
            return;
        };
        self.score_goal(shot, at_ms, frame, out);
    }

    /// Whether the puck resting in the net at `end`, arrived at `at_ms`, was last established
    /// behind or beside the net rather than in front of it: a puck enters only through the mouth,
    /// so one that came round lies against the frame (behind it, the projection noise cannot
    /// tell the two apart). A puck lost from sight behind the net that comes out in front is
    /// seen there again before it can be shot in.
    fn came_round_the_net(&self, end: End, at_ms: u64) -> bool {
        matches!(
            self.net_sides.at(end, at_ms),
            Some((NetSide::BehindOrBeside, _))
        ) && !self.lost_beside_the_net(end, at_ms)
    }

    /// Whether the puck that turned up in the net at `end` at `at_ms` had been lost from sight
    /// beside that net (not behind it) for a while just before: time enough to be carried out
    /// in front unseen and shot in, so the side it was last seen on says nothing of its way in.
    fn lost_beside_the_net(&self, end: End, at_ms: u64) -> bool {
        let before = self.puck.between(0, at_ms).last();
        let after = self.puck.between(at_ms + 1, u64::MAX).next();
        let (Some(before), Some(after)) = (before, after) else {
            return false;
        };
        let beyond_line = before.x_ft * end.sign() - GOAL_LINE_X_FT;
        after.time_ms - before.time_ms >= LOST_BESIDE_NET_MS
            && beyond_line < NET_DEPTH_FT
            && before.y_ft.abs() >= NET_HALF_WIDTH_FT + 1.0
    }

    /// Whether the puck that came to rest in the net at `end` at `at_ms` crossed the goal line
    /// wide of the posts on its way (its approach, fitted, solved at the line, and a sighting
    /// wide of the post near the line): then it lies against the side of the net, which the
    /// projection noise cannot tell from inside it.
    fn came_in_wide(&self, end: End, at_ms: u64) -> bool {
        self.puck
            .crossing_y(
                GOAL_LINE_X_FT * end.sign(),
                at_ms + 100,
                APPROACH_WINDOW_MS,
                10.0,
            )
            .is_some_and(|y| y.abs() > NET_HALF_WIDTH_FT + WIDE_MARGIN_FT)
            && self
                .puck
                .between(
                    (at_ms + 100).saturating_sub(APPROACH_WINDOW_MS),
                    at_ms + 100,
                )
                .any(|s| {
                    s.x_ft * end.sign() > GOAL_LINE_X_FT - WIDE_SEEN_BEFORE_LINE_FT
                        && s.y_ft.abs() > NET_HALF_WIDTH_FT + WIDE_MARGIN_FT
                })
    }

    /// The shot behind a goal at `end` whose puck arrived at `at_ms`, and when it arrived: the
    /// shot followed, else one by the attacker who had the puck last (or the nearest to the
    /// net). A followed shot whose puck was seen back out in front of the goalie a while after
    /// it reached him (or, not seen there, after it would have reached the net, when it came in
    /// later than the slowest shot flies) was saved, and the goal came off the rebound, after
    /// that sighting.
    fn goal_shot(
        &mut self,
        end: End,
        at_ms: u64,
        frame: u64,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) -> Option<(LiveShot, u64)> {
        let team = self.attacker_of(end);
        let s = end.sign();
        let mut rebound_from = None;
        if let Some(shot) = self.shot.take().filter(|shot| shot.end == end) {
            // When it reached the goalie: as seen; or, when it was not seen there and came in
            // later than the slowest shot would have, at a typical shot's speed (it was stopped
            // in front and went in off a rebound).
            let reached_ms = shot.at_goalie.map(|(ms, _)| ms).or_else(|| {
                (at_ms > shot.at_net_ms(SLOWEST_SHOT_SPEED_FT_S))
                    .then(|| shot.at_net_ms(TYPICAL_SHOT_SPEED_FT_S))
            });
            let back_out = reached_ms.and_then(|reached_ms| {
                self.puck
                    .between(reached_ms + REBOUND_GOAL_AFTER_MS, u64::MAX)
                    .filter(|p| p.x_ft * s < GOAL_LINE_X_FT - GOALIE_AREA_DEPTH_FT)
                    .last()
                    .map(|p| (reached_ms, p.time_ms))
            });
            let Some((reached_ms, seen_ms)) = back_out else {
                return Some((shot, at_ms));
            };
            let goalie = self.goalie_of(team.opponent(), skaters);
            self.save(shot, goalie, Detail::SAVE_REBOUND, reached_ms, frame, out);
            rebound_from = Some(seen_ms);
        }
        let near_net = || nearest_skater(skaters, end.net_centre(), |p| p.team == team);
        let scorer = match rebound_from {
            Some(_) => near_net(),
            None => self.last_holder_of(team).or_else(near_net),
        }?;
        let at_ms = rebound_from.map_or(at_ms, |seen_ms| at_ms.max(seen_ms + 33));
        let shot = LiveShot {
            shooter: scorer,
            end,
            released_ms: rebound_from.unwrap_or(at_ms.saturating_sub(200)),
            release_frame: frame.saturating_sub(20),
            origin: scorer.position,
            at_goalie: None,
            aim_y_ft: 0.0,
        };
        Some((shot, at_ms))
    }

    /// Whether a skater was at the puck after the last judged shot was closed (past the moment
    /// of its judgement) and before `until_ms`: the puck was played on, and a goal after that
    /// came from a new shot, not from the judged one.
    fn played_since_closed(&self, until_ms: u64) -> bool {
        self.last_closed.as_ref().is_some_and(|closed| {
            // Judged when it was closed, or (closed late, its puck unseen) when it got there.
            let judged_ms = closed
                .closed_ms
                .min(closed.shot.at_net_ms(TYPICAL_SHOT_SPEED_FT_S));
            self.at_puck_between(judged_ms + PLAYED_AFTER_CLOSE_MS, until_ms)
                .next()
                .is_some()
        })
    }

    /// The last shot at `end`, judged no earlier than `since_ms`, turned into a goal: a shot
    /// judged wide or blocked; or one judged saved when its puck had in fact come to rest in the
    /// net (by `arrived_ms`) already; or, with `frozen`, any frozen save. Its Save and whistle
    /// are retracted and its Shot amended to Shot_Goal. Returns the shot and the amended event.
    fn reopen_as_goal(
        &mut self,
        end: End,
        (since_ms, arrived_ms): (u64, u64),
        frozen: bool,
        reason: &str,
        out: &mut Vec<RecordChange>,
    ) -> Option<(LiveShot, GameEvent)> {
        let closed = self.last_closed.take()?;
        let in_at_judgement = arrived_ms <= closed.closed_ms + IN_NET_AT_JUDGEMENT_MS;
        let reopens = match closed.judged {
            Judged::NotOnNet => true,
            Judged::Rebound(_) => in_at_judgement,
            Judged::Frozen(..) => frozen || in_at_judgement,
        };
        if closed.shot.end != end || closed.closed_ms < since_ms || !reopens {
            self.last_closed = Some(closed);
            return None;
        }
        for event_id in closed.judged.logged() {
            out.push(RecordChange::Retraction(Retraction {
                event_id,
                reason: reason.to_owned(),
            }));
        }
        let mut event = closed.event;
        event.detail1 = Some(Detail::SHOT_GOAL);
        out.push(RecordChange::Amendment(Amendment {
            event: event.clone(),
            reason: reason.to_owned(),
        }));
        Some((closed.shot, event))
    }

    /// A faceoff at centre ice follows a goal: if no goal was called since the puck's last visit
    /// to a net, it went in there unseen (hidden by the goalie, the net or the crowd in front).
    /// Scored at its crossing of the goal line if that was seen, else when the skaters stopped
    /// playing (the puck's last sighting there may be of something else, standing there long
    /// after) — but not before the puck was last seen in play at that net as they eased off
    /// (their last surge may come a second or two before the goal) — else at its last sighting
    /// there. With no visit to a net at all, the stop heard still tells: the goal went in at
    /// the end whose zone the puck was last seen in before it. Each with a confidence that
    /// queues it for review. False when nothing tells.
    fn score_unseen_goal(
        &mut self,
        now: u64,
        skaters: &[Holder],
        out: &mut Vec<RecordChange>,
    ) -> bool {
        // No puck reaches a net that soon after a drop at centre ice: the draw seen dropped was
        // something else moving off the dot, and the view of the puck since of something else.
        let after_centre_drop = |ms: u64| {
            self.centre_drop_ms
                .is_none_or(|drop| ms >= drop + CENTRE_TO_NET_MIN_MS)
        };
        let heard = self
            .stop_heard
            .take()
            .filter(|h| after_centre_drop(h.at_ms));
        // The visit to the mouth; else the one ended by sightings elsewhere, unless the puck
        // was seen near the other net after it; else the last sighting near a net.
        let ended = match (self.ended_visit.take(), self.near_net.take()) {
            (Some(ended), Some(near)) if near.end != ended.end && near.last_ms > ended.last_ms => {
                Some(near)
            }
            (ended, near) => ended.or(near),
        };
        let visit = self
            .net_visit
            .take()
            .or(ended)
            .filter(|v| now <= v.last_ms + GOAL_TO_CENTRE_FACEOFF_MS)
            .filter(|v| after_centre_drop(v.entered_ms));
        let (end, entered_ms, at_ms, frame) = match (visit, heard) {
            (Some(visit), heard) => {
                let stopped_ms = heard
                    .filter(|h| h.at_ms + HEARD_BEFORE_VISIT_END_MS >= visit.last_ms)
                    .map(|h| {
                        let moving_ms = h
                            .visit_moving
                            .filter(|&(end, ms)| end == visit.end && ms >= visit.entered_ms)
                            .map_or(0, |(_, ms)| ms);
                        h.at_ms.max(moving_ms).min(visit.last_ms)
                    });
                let at_ms = visit.crossed_ms.or(stopped_ms).unwrap_or(visit.last_ms);
                (visit.end, visit.entered_ms, at_ms, visit.last_frame)
            }
            (
                None,
                Some(HeardStop {
                    at_ms,
                    puck_end: Some(end),
                    ..
                }),
            ) if now <= at_ms + GOAL_TO_CENTRE_FACEOFF_MS => {
                let frame = self.last_frame.map_or(0, |(frame, _)| frame);
                (end, at_ms, at_ms, frame)
            }
            _ => return false,
        };
        let reason = "play restarted at centre ice: the puck went in";
        let (shot, logged, at_ms) = match self.reopen_as_goal(
            end,
            (entered_ms.saturating_sub(1500), at_ms),
            true,
            reason,
            out,
        ) {
            Some((shot, event)) => (shot, Some(event), at_ms),
            None => match self.goal_shot(end, at_ms, frame, skaters, out) {
                Some((shot, at_ms)) => (shot, None, at_ms),
                None => return false,
            },
        };
        // Counted, and queued for a reviewer (DESIGN.md §3): the goal itself was not seen.
        let confidence = 0.72 + 0.15 * self.seen_ratio(shot.release_frame, frame);
        self.score_goal_of(shot, logged, at_ms, frame, confidence, out);
        true
    }

    fn goalie_of(&self, team: Team, skaters: &[Holder]) -> Option<Holder> {
        // The skater of that team nearest their own net stands in for the goalie.
        let own_net = self
            .ends
            .attacked_by(team.opponent(), self.period)
            .net_centre();
        nearest_skater(skaters, own_net, |s| s.team == team)
    }

    /// The team attacking the net at `end` this period.
    fn attacker_of(&self, end: End) -> Team {
        if self.ends.attacked_by(Team::Home, self.period) == end {
            Team::Home
        } else {
            Team::Away
        }
    }

    /// The player of `team` who controls the puck or released it last, if any.
    fn last_holder_of(&self, team: Team) -> Option<Holder> {
        [self.controller, self.release.map(|r| r.by)]
            .into_iter()
            .flatten()
            .find(|h| h.team == team)
    }

    fn shot_event(
        &mut self,
        shot: &LiveShot,
        outcome: Detail,
        opponent: Option<Holder>,
        last_frame: u64,
    ) -> GameEvent {
        let mut players = vec![player(PlayerRole::ACTOR, &shot.shooter)];
        if let Some(o) = opponent {
            players.push(player(PlayerRole::OPPONENT, &o));
        }
        let confidence = 0.55 + 0.4 * self.seen_ratio(shot.release_frame, last_frame);
        self.event(
            shot.released_ms,
            (shot.release_frame, last_frame),
            EventType::Shot,
        )
        .detail1(outcome)
        .team(shot.shooter.team)
        .puck(shot.origin)
        .players(players)
        .build(confidence)
    }

    fn close_shot(
        &mut self,
        shot: LiveShot,
        outcome: Detail,
        opponent: Option<Holder>,
        frame: u64,
        out: &mut Vec<RecordChange>,
    ) -> GameEvent {
        let event = self.shot_event(&shot, outcome.clone(), opponent, frame);
        self.shot_closed_ms = self.last_frame.map_or(0, |(_, now)| now);
        // A save's own events are noted by `save`.
        self.last_closed = Some(ClosedShot {
            shot,
            event: event.clone(),
            closed_ms: self.shot_closed_ms,
            judged: Judged::NotOnNet,
        });
        out.push(RecordChange::Event(event.clone()));
        event
    }

    fn save(
        &mut self,
        shot: LiveShot,
        goalie: Option<Holder>,
        detail: Detail,
        at_ms: u64,
        frame: u64,
        out: &mut Vec<RecordChange>,
    ) -> GameEvent {
        self.close_shot(shot, Detail::SHOT_ON_NET_SAVED, goalie, frame, out);
        let confidence = 0.55 + 0.4 * self.seen_ratio(shot.release_frame, frame);
        let mut players = Vec::new();
        if let Some(g) = goalie {
            players.push(player(PlayerRole::ACTOR, &g));
        }
        players.push(player(PlayerRole::OPPONENT, &shot.shooter));
        let save = self
            .event(at_ms, (shot.release_frame, frame), EventType::Save)
            .detail1(detail)
            .team(shot.shooter.team.opponent())
            .puck(shot.end.net_centre())
            .players(players)
            .build(confidence);
        out.push(RecordChange::Event(save.clone()));
        if let Some(closed) = &mut self.last_closed {
            closed.judged = Judged::Rebound(Box::new(save.clone()));
        }
        save
    }

    /// The goalie stopped `shot` at `at_ms` and the puck is loose again at `from`: a rebound
    /// save, the goalie the last to touch it.
    fn rebound_save(
        &mut self,
        shot: LiveShot,
        goalie: Option<Holder>,
        at_ms: u64,
        frame: u64,
        from: RinkPoint,
        out: &mut Vec<RecordChange>,
    ) {
        self.save(shot, goalie, Detail::SAVE_REBOUND, at_ms, frame, out);
        self.release = goalie.map(|g| Release::rebound(g, at_ms, frame, from));
    }

    /// The goalie holds `shot`'s puck (reached at `reached`): a frozen save and the whistle.
    fn freeze(
        &mut self,
        shot: LiveShot,
        goalie: Option<Holder>,
        reached: (u64, u64),
        frame: u64,
        confidence: f64,
        out: &mut Vec<RecordChange>,
    ) {
        let save = self.save(shot, goalie, Detail::SAVE_FREEZE, reached.0, frame, out);
        self.goalie_stoppage(save.event_id, reached, frame, confidence, out);
    }

    /// The whistle for the goalie holding the puck of the save `save_id`, which reached him
    /// at `reached`: play stops.
    fn goalie_stoppage(
        &mut self,
        save_id: EventId,
        (reached_ms, reached_frame): (u64, u64),
        frame: u64,
        confidence: f64,
        out: &mut Vec<RecordChange>,
    ) {
        let stoppage = self
            .event(
                reached_ms + 500,
                (reached_frame, frame),
                EventType::Stoppage,
            )
            .detail1(Detail::STOPPAGE_PLAY)
            .detail2(Detail::STOPPAGE_GOALIE_STOPPAGE)
            .build(confidence);
        out.push(RecordChange::Event(stoppage.clone()));
        if let Some(closed) = &mut self.last_closed {
            closed.judged = Judged::Frozen(save_id, stoppage.event_id);
        }
        self.play = Play::Stopped {
            after_goal: false,
            period_start: false,
        };
        self.reset_play();
    }

    fn score_goal(&mut self, shot: LiveShot, at_ms: u64, frame: u64, out: &mut Vec<RecordChange>) {
        let confidence = self.goal_confidence(&shot, frame);
        self.score_goal_of(shot, None, at_ms, frame, confidence, out);
    }

    /// A goal seen going in: sure in the measure the puck was seen since the shot.
    fn goal_confidence(&self, shot: &LiveShot, frame: u64) -> f64 {
        0.6 + 0.35 * self.seen_ratio(shot.release_frame, frame)
    }

    /// The goal of `shot`, its puck arrived in the net at `at_ms`; its Shot_Goal event is
    /// `logged` when already sent (amended).
    fn score_goal_of(
        &mut self,
        shot: LiveShot,
        logged: Option<GameEvent>,
        at_ms: u64,
        frame: u64,
        confidence: f64,
        out: &mut Vec<RecordChange>,
    ) {
        // The puck went in after it was shot: an arrival dated before the release (sightings
        // of a puck carried round the net, taken for it in the net) is the release.
        let at_ms = at_ms.max(shot.released_ms);
        let at_frame = frame.saturating_sub(10);
        // A draw nobody was seen to win before the puck went in: the scorers won it.
        self.settle_faceoff(shot.shooter.team, out);
        let shot_event = match logged {
            Some(event) => event,
            None => {
                let event = self.shot_event(&shot, Detail::SHOT_GOAL, None, frame);
                out.push(RecordChange::Event(event.clone()));
                event
            }
        };
        let goal = self
            .event(at_ms, (shot.release_frame, frame), EventType::Goal)
            .detail1(Detail::GOAL_SCORED)
            .team(shot.shooter.team)
            .puck(shot.end.net_centre())
            .players(vec![player(PlayerRole::ACTOR, &shot.shooter)])
            .build(confidence);
        out.push(RecordChange::Event(goal.clone()));
        let stoppage = self
            .event(at_ms + 500, (at_frame, frame), EventType::Stoppage)
            .detail1(Detail::STOPPAGE_PLAY)
            .detail2(Detail::STOPPAGE_GOAL)
            .build(confidence);
        out.push(RecordChange::Event(stoppage.clone()));
        self.goal_since_drop = true;
        let called = CalledGoal {
            goal,
            shot: shot_event,
            stoppage,
        };
        self.goal_before_restart = Some(called.clone());
        self.goal_watch = Some(GoalWatch {
            called,
            until_ms: at_ms + GOAL_WATCH_MS,
        });
        self.play = Play::Stopped {
            after_goal: true,
            period_start: false,
        };
        self.reset_play();
    }

    /// A goal is withdrawn when the puck is back in play in front of the net soon after: the
    /// goalie had it after all, or the puck seen in the net was something else (a mark in the
    /// mesh the tracker took for it while the puck flew out), seen out there seconds later.
    fn watch_goal(&mut self, now: u64, fix: Option<PuckFix>, out: &mut Vec<RecordChange>) {
        let Some(watch) = &self.goal_watch else {
            return;
        };
        if now > watch.until_ms {
            self.goal_watch = None;
            return;
        }
        let Some(fix) = fix else {
            return;
        };
        // The puck brought to a dot: the officials are setting the faceoff up.
        if still_on_dot(fix).is_some() {
            self.goal_watch = None;
            return;
        }
        let end = end_towards(watch.called.goal.puck.map_or(0.0, |p| p.x_ft()));
        if fix.x_ft * end.sign() > GOAL_LINE_X_FT - 4.0 || fix.speed() < 20.0 {
            self.back_in_play = 0;
            return;
        }
        self.back_in_play += 1;
        if self.back_in_play < 5 {
            return;
        }
        let Some(watch) = self.goal_watch.take() else {
            return;
        };
        let reason = "the puck came back into play: saved, not scored";
        self.withdraw_goal(watch.called, reason, false, out);
        self.play = Play::Live;
    }

    /// Takes back `goal`, called a moment ago, for `reason`: its shot was saved. Its stoppage
    /// goes with it, unless play did stop then (`stopped`: the goalie held the puck).
    fn withdraw_goal(
        &mut self,
        goal: CalledGoal,
        reason: &str,
        stopped: bool,
        out: &mut Vec<RecordChange>,
    ) {
        out.push(RecordChange::Retraction(Retraction {
            event_id: goal.goal.event_id,
            reason: reason.to_owned(),
        }));
        if stopped {
            let mut stoppage = goal.stoppage;
            stoppage.detail2 = None;
            out.push(RecordChange::Amendment(Amendment {
                event: stoppage,
                reason: reason.to_owned(),
            }));
        } else {
            out.push(RecordChange::Retraction(Retraction {
                event_id: goal.stoppage.event_id,
                reason: reason.to_owned(),
            }));
        }
        let mut shot = goal.shot;
        shot.detail1 = Some(Detail::SHOT_ON_NET_SAVED);
        out.push(RecordChange::Amendment(Amendment {
            event: shot,
            reason: reason.to_owned(),
        }));
        self.goal_before_restart = None;
        self.goal_since_drop = false;
    }

    /// Zone entries and exits as the puck crosses a blue line.
    fn zones(&mut self, frame: u64, now: u64, fix: PuckFix, out: &mut Vec<RecordChange>) {
        let area = area_of(fix.x_ft, self.puck_area);
        if area == self.puck_area {
            return;
        }
        let (from, to) = (self.puck_area, area);
        self.puck_area = area;
        let (actor, carried, kind) = match (self.controller, self.release) {
            (Some(c), _) => (c, true, ReleaseKind::Unknown),
            (None, Some(r)) => (r.by, false, r.kind),
            (None, None) => return,
        };
        let s = self.ends.attacked_by(actor.team, self.period).sign() as i8;
        let (detail1, detail2) = if from == 0 && to == s {
            let detail2 = match (carried, kind) {
                (true, _) => Detail::ZONE_ENTRY_CARRIED,
                (false, ReleaseKind::Pass | ReleaseKind::Unknown) => Detail::ZONE_ENTRY_PASS,
                (false, ReleaseKind::Dump | ReleaseKind::Clear) => Detail::ZONE_ENTRY_DUMP_IN,
                _ => return,
            };
            (Detail::ZONE_ENTRY, detail2)
        } else if from == -s && to == 0 {
            let detail2 = match (carried, kind) {
                (true, _) => Detail::ZONE_EXIT_CARRIED,
                (false, ReleaseKind::Pass | ReleaseKind::Unknown) => Detail::ZONE_EXIT_PASS,
                (false, ReleaseKind::Dump | ReleaseKind::Clear) => Detail::ZONE_EXIT_CLEAR,
                _ => return,
            };
            (Detail::ZONE_EXIT, detail2)
        } else {
            return;
        };
        let event = self
            .event(
                now,
                (frame.saturating_sub(3), frame),
                EventType::ZoneEntryExit,
            )
            .detail1(detail1)
            .detail2(detail2)
            .team(actor.team)
            .puck(fix.point())
            .players(vec![player(PlayerRole::ACTOR, &actor)])
            .build(0.8);
        out.push(RecordChange::Event(event));
    }

    /// A clear from behind the centre line that crosses the far goal line untouched is icing.
    fn icing(&mut self, frame: u64, now: u64, fix: PuckFix, out: &mut Vec<RecordChange>) {
        let Some(release) = self.release else {
            return;
        };
        if self.controller.is_some() || !matches!(release.kind, ReleaseKind::Clear) {
            return;
        }
        let s = self.ends.attacked_by(release.by.team, self.period).sign();
        if fix.x_ft * s < GOAL_LINE_X_FT + 0.5 || fix.y_ft.abs() < 4.0 {
            return;
        }
        let stoppage = self
            .event(now, (release.frame, frame), EventType::Stoppage)
            .detail1(Detail::STOPPAGE_PLAY)
            .detail2(Detail::STOPPAGE_ICING)
            .build(0.7);
        out.push(RecordChange::Event(stoppage));
        self.play = Play::Stopped {
            after_goal: false,
            period_start: false,
        };
        self.reset_play();
    }

    // ----- records ------------------------------------------------------------------------

    fn event(&mut self, at_ms: u64, frames: (u64, u64), event_type: EventType) -> EventDraft {
        // Ids: the recording's wall-clock time plus bits mixed from the caller's seed and a
        // running count (unique within the game, stable across replays).
        self.emitted += 1;
        let count = self.emitted;
        let a = splitmix64(self.config.id_seed ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = splitmix64(a ^ 0xD1B5_4A32_D192_ED03);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&a.to_le_bytes());
        random[8..].copy_from_slice(&b.to_le_bytes()[..2]);
        EventDraft {
            event: GameEvent {
                event_id: EventId::appliance(self.config.recording_start_unix_ms + at_ms, random),
                game_id: self.config.game_id.clone(),
                event_type,
                detail1: None,
                detail2: None,
                team: None,
                period: self.period,
                media_time_ms: Some(MediaTimeMs(at_ms)),
                clock: None,
                zone: None,
                puck: None,
                players: Vec::new(),
                confidence: Confidence::CERTAIN,
                source: Source::Auto,
                evidence: Some(Evidence {
                    first_frame: frames.0,
                    last_frame: frames.1,
                    track_ids: Vec::new(),
                    puck_positions: Vec::new(),
                }),
                assist_to_goal: None,
            },
            ends: self.ends,
        }
    }
}

/// An event being built.
struct EventDraft {
    event: GameEvent,
    ends: Ends,
}

impl EventDraft {
    fn detail1(mut self, detail: Detail) -> Self {
        self.event.detail1 = Some(detail);
        self
    }

    fn detail2(mut self, detail: Detail) -> Self {
        self.event.detail2 = Some(detail);
        self
    }

    fn team(mut self, team: Team) -> Self {
        self.event.team = Some(team);
        self
    }

    fn puck(mut self, point: RinkPoint) -> Self {
        self.event.puck = Some(point);
        self
    }

    fn players(mut self, players: Vec<EventPlayer>) -> Self {
        if let Some(evidence) = &mut self.event.evidence {
            evidence.track_ids = players.iter().filter_map(|p| p.track_id).collect();
        }
        self.event.players = players;
        self
    }

    fn build(mut self, confidence: f64) -> GameEvent {
        self.event.confidence =
            Confidence::new(confidence.clamp(0.0, 1.0)).unwrap_or(Confidence::CERTAIN);
        if let (Some(team), Some(point)) = (self.event.team, self.event.puck) {
            self.event.zone = Some(self.ends.zone_of(point, team, self.event.period));
        }
        if let (Some(evidence), Some(point)) = (&mut self.event.evidence, self.event.puck) {
            evidence.puck_positions = vec![point];
        }
        self.event
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A skater (or goalie) with a team, as the engine uses them.
fn holder(track: &RinkTrack) -> Option<Holder> {
    if !matches!(track.class, ObjectClass::Player | ObjectClass::Goalie) {
        return None;
    }
    Some(Holder {
        track_id: track.track_id,
        team: track.team?,
        position: track.position,
    })
}

/// The dot a puck lies still on (within `ON_DOT_FT` of it), if any.
fn still_on_dot(fix: PuckFix) -> Option<FaceoffDot> {
    let dot = FaceoffDot::nearest(fix.point());
    (fix.speed() <= 6.0 && dot.position().distance_ft(fix.point()) <= ON_DOT_FT).then_some(dot)
}

/// Whether (`x_ft`, `y_ft`) lies in the goalie's area in front of the net at `end` (up to a
/// little past the goal line, where he reaches back).
fn in_goalie_area(x_ft: f64, y_ft: f64, end: End) -> bool {
    let depth = x_ft * end.sign();
    (GOAL_LINE_X_FT - GOALIE_AREA_DEPTH_FT..=GOAL_LINE_X_FT + 0.3).contains(&depth)
        && y_ft.abs() < GOALIE_AREA_HALF_WIDTH_FT
}

/// Whether a puck at rest at `fix` lies at the feet of the goalie of the net at `end`: close
/// to the net, in front of its goal line.
fn at_goalie_feet(fix: PuckFix, end: End) -> bool {
    fix.point().distance_ft(end.net_centre()) <= GOALIE_FEET_FT
        && fix.x_ft * end.sign() <= GOAL_LINE_X_FT - 0.5
}

/// Whether a shot at the net at `end` may come from `point`: the attacking zone, or just
/// outside its blue line.
fn in_shooting_range(point: RinkPoint, end: End) -> bool {
    point.x_ft() * end.sign() >= BLUE_LINE_X_FT - 5.0
}

/// The end of the rink on the side of `x_ft`.
fn end_towards(x_ft: f64) -> End {
    if x_ft > 0.0 { End::Right } else { End::Left }
}

/// The dot most of the skaters stand about (`LINED_UP_AROUND_SKATERS` of them, and three in
/// four of those tracked, within `LINED_UP_AROUND_FT`): a faceoff's line-up, the centres perhaps
/// still on their way.
fn gathered_at_dot(skaters: &[Holder]) -> Option<FaceoffDot> {
    FaceoffDot::ALL.into_iter().find(|dot| {
        let around = skaters
            .iter()
            .filter(|s| s.position.distance_ft(dot.position()) < LINED_UP_AROUND_FT)
            .count();
        around >= LINED_UP_AROUND_SKATERS && 4 * around >= 3 * skaters.len()
    })
}

/// Whether `skater` is, by track, among `other_time` (the skaters at another moment) less than
/// `max_ft` from where he is: he stood, or glided no farther, in between.
fn stayed_within(other_time: &[Holder], skater: &Holder, max_ft: f64) -> bool {
    other_time
        .iter()
        .any(|o| o.track_id == skater.track_id && o.position.distance_ft(skater.position) < max_ft)
}

/// The skater nearest `point` among those `accept` lets through.
fn nearest_skater(
    skaters: &[Holder],
    point: RinkPoint,
    accept: impl Fn(&Holder) -> bool,
) -> Option<Holder> {
    skaters
        .iter()
        .filter(|s| accept(s))
        .min_by(|a, b| {
            a.position
                .distance_ft(point)
                .total_cmp(&b.position.distance_ft(point))
        })
        .copied()
}

fn player(role: PlayerRole, holder: &Holder) -> EventPlayer {
    EventPlayer {
        role,
        team: holder.team,
        number: None,
        track_id: Some(holder.track_id),
        position: Some(holder.position),
        play_detail1: None,
        play_detail2: None,
    }
}

/// Which third of the ice `x` is in, with a margin around the blue lines against noise.
fn area_of(x_ft: f64, previous: i8) -> i8 {
    const MARGIN_FT: f64 = 1.5;
    match previous {
        0 if x_ft > BLUE_LINE_X_FT + MARGIN_FT => 1,
        0 if x_ft < -BLUE_LINE_X_FT - MARGIN_FT => -1,
        1 if x_ft < BLUE_LINE_X_FT - MARGIN_FT => 0,
        -1 if x_ft > -BLUE_LINE_X_FT + MARGIN_FT => 0,
        other => other,
    }
}

#[cfg(test)]
mod tests;
