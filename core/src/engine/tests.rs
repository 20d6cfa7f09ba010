//! Scenario tests: hand-built frames (30 fps, positions in feet) for each kind of event and for
//! the tricky cases; home attacks the right end in period 1.

use super::*;
use crate::domain::ReviewBand;
use crate::rink_state::RinkPuck;

const FRAME_MS: u64 = 1000 / 30;

fn config() -> EngineConfig {
    EngineConfig {
        game_id: GameId::parse("test-game").unwrap(),
        home_attacks_right_p1: true,
        periods: 3,
        recording_start_unix_ms: 1_767_225_600_000,
        id_seed: 7,
        tuning: EngineTuning::default(),
    }
}

/// A scene: ten skaters spread over the ice, home 1..=5 and away 11..=15, plus the goalies
/// 6 (home, left net) and 16 (away, right net).
struct Scene {
    frame: u64,
    people: Vec<(u64, Team, f64, f64)>,
    engine: GameEngine,
    records: Vec<RecordChange>,
}

impl Scene {
    fn new() -> Self {
        let mut people = Vec::new();
        for k in 0..5u64 {
            people.push((
                1 + k,
                Team::Home,
                -30.0 - 8.0 * k as f64,
                -20.0 + 10.0 * k as f64,
            ));
            people.push((
                11 + k,
                Team::Away,
                30.0 + 8.0 * k as f64,
                -20.0 + 10.0 * k as f64,
            ));
        }
        people.push((6, Team::Home, -86.0, 0.0));
        people.push((16, Team::Away, 86.0, 0.0));
        Self {
            frame: 0,
            people,
            engine: GameEngine::new(config()),
            records: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        self.frame * FRAME_MS
    }

    fn put(&mut self, id: u64, x: f64, y: f64) {
        if let Some(p) = self.people.iter_mut().find(|p| p.0 == id) {
            p.2 = x;
            p.3 = y;
        }
    }

    /// One frame with the puck at `puck` (unseen when `None`).
    fn step(&mut self, puck: Option<(f64, f64)>) {
        let tracks = self
            .people
            .iter()
            .map(|&(id, team, x, y)| RinkTrack {
                track_id: id,
                class: if id == 6 || id == 16 {
                    ObjectClass::Goalie
                } else {
                    ObjectClass::Player
                },
                team: Some(team),
                position: RinkPoint::clamped(x, y).unwrap(),
                score: 0.9,
            })
            .collect();
        let state = RinkState {
            frame: self.frame,
            media_time_ms: MediaTimeMs(self.now()),
            tracks,
            puck: puck.map(|(x, y)| RinkPuck {
                position: RinkPoint::clamped(x, y).unwrap(),
                status: PuckStatus::Seen,
                unseen_frames: 0,
            }),
        };
        let records = self.engine.process(&state);
        self.records.extend(records);
        self.frame += 1;
    }

    fn hold(&mut self, frames: u32, puck: Option<(f64, f64)>) {
        for _ in 0..frames {
            self.step(puck);
        }
    }

    /// Skater `id` carries the puck in a straight line at `speed` ft/s (puck 1.8 ft ahead).
    fn carry(&mut self, id: u64, from: (f64, f64), to: (f64, f64), speed: f64) {
        let length = (to.0 - from.0).hypot(to.1 - from.1);
        let frames = (length / speed * 30.0).ceil().max(1.0) as u32;
        let (ux, uy) = ((to.0 - from.0) / length, (to.1 - from.1) / length);
        for k in 0..=frames {
            let f = f64::from(k) / f64::from(frames);
            let (x, y) = (from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f);
            self.put(id, x, y);
            self.step(Some((x + 1.8 * ux, y + 1.8 * uy)));
        }
    }

    /// Skater `id` skates in a straight line from `from` to `to` over `frames` frames, the puck
    /// unseen.
    fn skate_unseen(&mut self, id: u64, from: (f64, f64), to: (f64, f64), frames: u32) {
        for k in 1..=frames {
            let f = f64::from(k) / f64::from(frames);
            self.put(
                id,
                from.0 + (to.0 - from.0) * f,
                from.1 + (to.1 - from.1) * f,
            );
            self.step(None);
        }
    }

    /// The puck flies from `from` to `to` at `speed` ft/s (unseen beyond `hidden_after_x` when
    /// given); returns the frame count.
    fn fly(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        speed: f64,
        hidden_beyond_x: Option<f64>,
    ) -> u32 {
        let length = (to.0 - from.0).hypot(to.1 - from.1);
        let frames = (length / speed * 30.0).ceil().max(1.0) as u32;
        for k in 1..=frames {
            let f = f64::from(k) / f64::from(frames);
            let (x, y) = (from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f);
            let seen = hidden_beyond_x.is_none_or(|limit| x.abs() < limit);
            self.step(seen.then_some((x, y)));
        }
        frames
    }

    /// A faceoff's drop at `dot`: the puck goes to `to` at `speed` ft/s and stays there, while
    /// the skaters lined up around the dot break from their places, for `frames` frames.
    fn drop_puck(&mut self, dot: (f64, f64), to: (f64, f64), speed: f64, frames: u32) {
        let length = (to.0 - dot.0).hypot(to.1 - dot.1);
        self.break_line_up(dot, frames, |t| {
            let f = (speed * t / length).min(1.0);
            Some((dot.0 + (to.0 - dot.0) * f, dot.1 + (to.1 - dot.1) * f))
        });
    }

    /// The skaters within 20 ft of `dot` skate away from it along the boards' length (at
    /// 20 ft/s², up to 15 ft) for `frames` frames, the puck at `puck(seconds since)`.
    fn break_line_up(
        &mut self,
        dot: (f64, f64),
        frames: u32,
        puck: impl Fn(f64) -> Option<(f64, f64)>,
    ) {
        let lined_up: Vec<(u64, f64, f64)> = self
            .people
            .iter()
            .filter(|p| (p.2 - dot.0).hypot(p.3 - dot.1) < 20.0)
            .map(|p| (p.0, p.2, p.3))
            .collect();
        for k in 1..=frames {
            let t = f64::from(k) / 30.0;
            for &(id, x, y) in &lined_up {
                let away = if x < dot.0 { -1.0 } else { 1.0 };
                self.put(id, x + away * (10.0 * t * t).min(15.0), y);
            }
            self.step(puck(t));
        }
    }

    /// The skaters (everyone but the goalies) and where they are.
    fn skaters(&self) -> Vec<(u64, f64, f64)> {
        self.people
            .iter()
            .filter(|p| p.0 != 6 && p.0 != 16)
            .map(|p| (p.0, p.2, p.3))
            .collect()
    }

    /// Every skater but the goalies skates along the ice's length (home up it, away down it) at
    /// 20 ft/s for `skating` frames, then glides to a stand at 10 ft/s² as play stops, and
    /// stands still for `standing` frames; the puck at `puck` throughout (unseen when `None`).
    /// Returns when they stopped playing.
    fn skate_then_stand(&mut self, skating: u32, standing: u32, puck: Option<(f64, f64)>) -> u64 {
        self.skate_then_stand_with(skating, standing, |_| puck)
    }

    /// [`Self::skate_then_stand`] with the puck at `puck(frames since the start)`.
    fn skate_then_stand_with(
        &mut self,
        skating: u32,
        standing: u32,
        puck: impl Fn(u32) -> Option<(f64, f64)>,
    ) -> u64 {
        const SPEED_FT_S: f64 = 20.0;
        let start = self.skaters();
        let glide_s = SPEED_FT_S / 10.0;
        let stopped_frame = self.frame + u64::from(skating);
        let frames = skating + (glide_s * 30.0) as u32 + standing;
        for k in 1..=frames {
            let t = f64::from(k) / 30.0;
            let skated_s = f64::from(skating) / 30.0;
            let travelled = if t <= skated_s {
                SPEED_FT_S * t
            } else {
                let g = (t - skated_s).min(glide_s);
                SPEED_FT_S * skated_s + SPEED_FT_S * g - 5.0 * g * g
            };
            for &(id, x, y) in &start {
                let way = if id < 10 { 1.0 } else { -1.0 };
                self.put(id, x + way * travelled, y);
            }
            self.step(puck(k));
        }
        stopped_frame * FRAME_MS
    }

    /// Every skater but the goalies skates over `frames` frames to a place of his own about
    /// `dot` (within 15 ft of it, his own team's side), the puck unseen.
    fn gather_about(&mut self, dot: (f64, f64), frames: u32) {
        let start = self.skaters();
        for k in 1..=frames {
            let f = f64::from(k) / f64::from(frames);
            for (n, &(id, x, y)) in start.iter().enumerate() {
                let side = if id < 10 { -1.0 } else { 1.0 };
                let to_x = dot.0 + side * (5.0 + 3.0 * (n % 3) as f64);
                let to_y = dot.1 - 12.0 + 6.0 * (n / 2) as f64;
                self.put(id, x + (to_x - x) * f, y + (to_y - y) * f);
            }
            self.step(None);
        }
    }

    /// Game start and the opening faceoff, won by home skater 1 (the puck goes to them).
    fn opening_faceoff(&mut self) {
        self.put(1, -3.0, 0.0);
        self.put(11, 3.0, 0.0);
        self.hold(45, Some((0.0, 0.0)));
        self.fly((0.0, 0.0), (-6.2, 0.0), 15.0, None);
        self.put(1, -8.0, 0.0);
        self.hold(12, Some((-6.2, 0.0)));
    }

    /// After the opening faceoff, home skater 1 carries the puck up the ice and it is lost for
    /// good at the mouth of the away net as it goes in; returns its last sighting's time.
    fn hidden_home_goal(&mut self) -> u64 {
        self.opening_faceoff();
        self.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
        self.fly((61.8, 4.0), (81.0, 2.0), 100.0, None);
        let last_seen = self.now();
        self.fly((81.0, 2.0), (90.5, 1.0), 100.0, Some(81.5));
        last_seen
    }

    /// After the opening faceoff, home skater 1 carries the puck to beside the away net, where
    /// it is taken once for a sighting inside it (the projection noise of a puck on the
    /// carrier's stick by the post).
    fn glimpse_in_the_net_while_carried_beside_it(&mut self) {
        self.opening_faceoff();
        self.carry(1, (-8.0, 0.0), (80.0, 12.0), 20.0);
        self.carry(1, (80.0, 12.0), (87.0, 6.0), 10.0);
        self.step(Some((89.8, 2.5)));
    }

    /// The centres face each other at centre ice, the puck seen on the dot for `frames`.
    fn centre_ice_setup(&mut self, frames: u32) {
        self.put(1, -3.0, 0.0);
        self.put(11, 3.0, 0.0);
        self.hold(frames, Some((0.0, 0.0)));
    }

    /// Play restarts at centre ice (the puck seen on the dot for 1.5 s) and the home goal that
    /// explains it is scored within `tolerance_ms` of `expected_ms`; returns that goal.
    fn restart_at_centre_scores_home_goal_near(
        &mut self,
        expected_ms: u64,
        tolerance_ms: u64,
    ) -> GameEvent {
        self.centre_ice_setup(45);
        let goal = self.goal();
        assert_home_goal_near(&goal, expected_ms, tolerance_ms);
        goal
    }

    /// Play restarts at centre ice (the puck seen on the dot for 1.5 s), and no goal is scored.
    fn restart_at_centre_scores_no_goal(&mut self) {
        self.centre_ice_setup(45);
        self.assert_none(EventType::Goal);
    }

    /// Exactly two faceoffs so far, the second the one after a goal.
    fn assert_second_faceoff_after_goal(&self) {
        let faceoffs: Vec<GameEvent> = self.all(EventType::Faceoff);
        assert_eq!(faceoffs.len(), 2, "{faceoffs:?}");
        assert!(
            faceoffs[1].has_detail1(&Detail::FACEOFF_AFTER_GOAL),
            "{:?}",
            faceoffs[1]
        );
    }

    /// The events of one type so far, in order.
    fn all(&self, event_type: EventType) -> Vec<GameEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .collect()
    }

    fn events(&self) -> Vec<GameEvent> {
        crate::event_scoring::apply_changes(&self.records)
    }

    /// Asserts that the engine logged no event of `event_type` (or retracted every one).
    fn assert_none(&self, event_type: EventType) {
        let logged = self.all(event_type);
        assert!(logged.is_empty(), "{logged:?}");
    }

    /// The goal scored (and standing); the test fails if there is none.
    fn goal(&self) -> GameEvent {
        self.find(EventType::Goal, Some(&Detail::GOAL_SCORED))
            .expect("a goal")
    }

    fn find(&self, event_type: EventType, detail: Option<&Detail>) -> Option<GameEvent> {
        self.events()
            .into_iter()
            .find(|e| e.event_type == event_type && detail.is_none_or(|d| e.has_detail1(d)))
    }
}

fn at(event: &GameEvent) -> u64 {
    event.media_time_ms.map_or(0, |t| t.0)
}

/// `goal` is the home team's, within `tolerance_ms` of `expected_ms`.
fn assert_home_goal_near(goal: &GameEvent, expected_ms: u64, tolerance_ms: u64) {
    assert_eq!(goal.team, Some(Team::Home), "{goal:?}");
    assert!(
        at(goal).abs_diff(expected_ms) <= tolerance_ms,
        "{} vs {expected_ms}",
        at(goal)
    );
}

/// The scene's shots are two: the first judged `first`, the second a goal released within
/// 0.3 s of `second_ms`. Returns them.
fn assert_shot_then_goal_shot(scene: &Scene, first: &Detail, second_ms: u64) -> Vec<GameEvent> {
    let shots = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 2, "{shots:?}");
    assert!(shots[0].has_detail1(first), "{shots:?}");
    assert!(shots[1].has_detail1(&Detail::SHOT_GOAL), "{shots:?}");
    assert!(at(&shots[1]).abs_diff(second_ms) <= 300, "{shots:?}");
    shots
}

/// The scene's one shot is skater `track_id`'s goal, released within 0.2 s of `released_ms`,
/// with no save logged (or left standing).
fn assert_only_shot_is_the_goal(scene: &Scene, track_id: u64, released_ms: u64) {
    let shots = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 1, "{shots:?}");
    assert!(shots[0].has_detail1(&Detail::SHOT_GOAL), "{shots:?}");
    assert_shot_by(&shots[0], track_id, released_ms);
    let saves = scene.all(EventType::Save);
    assert!(saves.is_empty(), "{saves:?}");
}

/// The scene's first shot is on net and saved, by `track_id` released at `released_ms`, and
/// there is a save.
fn assert_saved_shot_by(scene: &Scene, track_id: u64, released_ms: u64) {
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, track_id, released_ms);
    assert!(
        scene.find(EventType::Save, None).is_some(),
        "{:?}",
        scene.events()
    );
}

/// `shot` is skater `track_id`'s, released within 0.2 s of `released_ms`.
fn assert_shot_by(shot: &GameEvent, track_id: u64, released_ms: u64) {
    assert_eq!(
        shot.player(PlayerRole::ACTOR).and_then(|p| p.track_id),
        Some(track_id),
        "{shot:?}"
    );
    assert!(
        at(shot).abs_diff(released_ms) <= 200,
        "{} vs {released_ms}",
        at(shot)
    );
}

#[test]
fn the_opening_faceoff_is_won_by_the_team_that_gets_the_puck() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    assert!(scene.find(EventType::GameStart, None).is_some());
    let faceoff = scene
        .find(EventType::Faceoff, Some(&Detail::FACEOFF_GAME_START))
        .expect("faceoff");
    assert_eq!(faceoff.team, Some(Team::Home));
    assert_eq!(
        faceoff.player(PlayerRole::ACTOR).and_then(|p| p.track_id),
        Some(1)
    );
    assert_eq!(
        faceoff
            .player(PlayerRole::OPPONENT)
            .and_then(|p| p.track_id),
        Some(11)
    );
    // The drop is when the puck left the dot (frame 45 = 1.5 s), within a few frames.
    assert!(at(&faceoff).abs_diff(1500) <= 150, "{}", at(&faceoff));
}

#[test]
fn a_few_sightings_of_something_beside_the_dot_are_no_faceoff_drop() {
    let mut scene = Scene::new();
    scene.put(1, -3.0, 0.0);
    scene.put(11, 3.0, 0.0);
    scene.hold(45, Some((0.0, 0.0)));
    // Three sightings of something else beside the dot (a skate): the line through the last
    // few sightings ends 4.6 ft off it, as if the puck were leaving at 20 ft/s.
    for y in [4.0, 5.0, 5.5] {
        scene.step(Some((0.0, y)));
    }
    scene.hold(30, Some((0.0, 0.0)));
    let dropped_ms = scene.now();
    scene.fly((0.0, 0.0), (-6.2, 0.0), 15.0, None);
    scene.put(1, -8.0, 0.0);
    scene.hold(100, Some((-6.2, 0.0)));
    let faceoffs: Vec<GameEvent> = scene.all(EventType::Faceoff);
    assert_eq!(faceoffs.len(), 1, "{faceoffs:?}");
    assert!(
        at(&faceoffs[0]).abs_diff(dropped_ms) <= 150,
        "dropped at {dropped_ms} ms: {:?}",
        faceoffs[0]
    );
}

#[test]
fn a_shot_that_rests_in_the_net_is_a_goal_logged_as_benchsight_does() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (30.0, 2.0), 20.0);
    let entry = scene
        .find(EventType::ZoneEntryExit, Some(&Detail::ZONE_ENTRY))
        .expect("zone entry");
    assert_eq!(entry.detail2, Some(Detail::ZONE_ENTRY_CARRIED));
    assert_eq!(entry.team, Some(Team::Home));
    scene.carry(1, (30.0, 2.0), (60.0, 4.0), 20.0);
    let released = scene.now();
    scene.fly((61.8, 4.0), (90.5, 1.0), 100.0, None);
    let arrived = scene.now();
    scene.hold(40, Some((91.0, 1.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_GOAL), "{shot:?}");
    assert_eq!(
        shot.player(PlayerRole::ACTOR).and_then(|p| p.track_id),
        Some(1)
    );
    assert!(
        at(&shot).abs_diff(released) <= 300,
        "{} vs {released}",
        at(&shot)
    );
    let goal = scene.goal();
    assert_home_goal_near(&goal, arrived, 200);
    let order: Vec<EventType> = scene
        .events()
        .into_iter()
        .filter(|e| {
            matches!(
                e.event_type,
                EventType::Shot | EventType::Goal | EventType::Stoppage
            )
        })
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        order,
        vec![EventType::Shot, EventType::Goal, EventType::Stoppage]
    );
}

#[test]
fn a_goal_is_found_when_the_goalie_hides_the_puck_at_the_line() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    // Unseen from 84 ft on: the goalie stands in front of it as it crosses.
    scene.fly((61.8, 4.0), (90.5, 1.0), 100.0, Some(84.0));
    let arrived = scene.now();
    scene.hold(10, None);
    scene.hold(40, Some((91.0, 1.0)));
    let goal = scene.goal();
    assert_home_goal_near(&goal, arrived, 1000);
}

#[test]
fn a_goal_never_seen_going_in_is_scored_when_play_restarts_at_centre_ice() {
    let mut scene = Scene::new();
    // Lost for good in the crowd at the mouth of the net; four seconds later the puck is at
    // centre ice, set up for a faceoff.
    let last_seen = scene.hidden_home_goal();
    scene.hold(120, None);
    assert!(
        scene.find(EventType::Goal, None).is_none(),
        "nothing seen yet"
    );
    let goal = scene.restart_at_centre_scores_home_goal_near(last_seen, 100);
    assert_eq!(
        goal.confidence.review_band(),
        ReviewBand::NeedsReview,
        "inferred: {:?}",
        goal.confidence
    );
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_GOAL), "{shot:?}");
    assert_eq!(
        shot.player(PlayerRole::ACTOR).and_then(|p| p.track_id),
        Some(1)
    );
    assert!(
        scene
            .find(EventType::Stoppage, Some(&Detail::STOPPAGE_PLAY))
            .is_some_and(|s| s.detail2 == Some(Detail::STOPPAGE_GOAL)),
        "the whistle is the goal's"
    );
    // The draw is held as the one after a goal.
    scene.fly((0.0, 0.0), (-6.2, 0.0), 15.0, None);
    scene.put(1, -8.0, 0.0);
    scene.hold(100, Some((-6.2, 0.0)));
    scene.assert_second_faceoff_after_goal();
}

#[test]
fn a_hidden_goal_is_scored_at_a_quick_centre_ice_drop() {
    let mut scene = Scene::new();
    let last_seen = scene.hidden_home_goal();
    // Unseen through the celebration; then the puck is seen on the centre dot for only 0.6 s
    // before the linesman drops it (a puck settles a few frames after it is first seen).
    scene.hold(120, None);
    scene.centre_ice_setup(18);
    scene.fly((0.0, 0.0), (-8.0, 0.0), 20.0, None);
    scene.put(1, -9.0, 0.0);
    scene.hold(60, Some((-8.0, 0.0)));
    let goal = scene.goal();
    assert_home_goal_near(&goal, last_seen, 100);
    scene.assert_second_faceoff_after_goal();
}

#[test]
fn a_frozen_save_followed_by_a_centre_ice_faceoff_was_a_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    // The puck seems to stop at the goalie's feet (it went in behind them).
    scene.fly((61.8, 4.0), (84.0, 1.0), 100.0, None);
    let reached = scene.now();
    scene.hold(40, Some((84.0, 1.0)));
    let save = scene.find(EventType::Save, None).expect("a save, for now");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
    scene.hold(90, None);
    scene.hold(45, Some((0.0, 0.0)));
    assert!(
        scene.find(EventType::Save, None).is_none(),
        "save retracted"
    );
    assert!(
        scene
            .events()
            .iter()
            .all(|e| e.detail2 != Some(Detail::STOPPAGE_GOALIE_STOPPAGE)),
        "goalie stoppage retracted"
    );
    let shots: Vec<GameEvent> = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 1, "the same shot, amended: {shots:?}");
    assert!(shots[0].has_detail1(&Detail::SHOT_GOAL), "{:?}", shots[0]);
    let goal = scene.goal();
    assert_home_goal_near(&goal, reached, 1500);
}

#[test]
fn a_hidden_goal_is_dated_at_the_shot_not_at_a_glimpse_in_the_net_while_carried_round_it() {
    let mut scene = Scene::new();
    scene.glimpse_in_the_net_while_carried_beside_it();
    // Then carried back out in front, and shot in from there, lost at the mouth of the net.
    scene.carry(1, (87.0, 6.0), (82.0, 4.0), 5.0);
    scene.fly((80.2, 4.0), (81.0, 2.0), 100.0, None);
    let last_seen = scene.now();
    scene.fly((81.0, 2.0), (90.5, 1.0), 100.0, Some(81.5));
    scene.hold(120, None);
    scene.restart_at_centre_scores_home_goal_near(last_seen, 200);
}

#[test]
fn a_frozen_save_found_a_goal_at_centre_ice_is_dated_no_earlier_than_its_shot() {
    let mut scene = Scene::new();
    scene.glimpse_in_the_net_while_carried_beside_it();
    // Then it is lost a second while the carrier steps out, seen once beside the crease and
    // shot from there; it seems to stop at the goalie's feet (it went in behind them).
    scene.put(1, 84.0, 6.0);
    scene.hold(30, None);
    scene.step(Some((85.5, 5.5)));
    let released = scene.now();
    scene.fly((85.5, 5.5), (87.6, 1.0), 60.0, None);
    scene.hold(40, Some((87.6, 1.0)));
    let save = scene.find(EventType::Save, None).expect("a save, for now");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
    scene.hold(90, None);
    scene.centre_ice_setup(45);
    scene.assert_none(EventType::Save);
    let goal = scene.goal();
    assert_home_goal_near(&goal, released, 300);
}

#[test]
fn a_centre_ice_faceoff_without_a_visit_to_a_net_is_no_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    let goals = |scene: &Scene| scene.find(EventType::Goal, None);
    assert!(goals(&scene).is_none());
    // Play in the attacking zone, never within 20 ft of the net, then the puck carried out and
    // back up to a centre-ice faceoff after a stoppage the engine missed: no goal without a
    // recent sighting near a net.
    scene.carry(1, (-8.0, 0.0), (62.0, 14.0), 20.0);
    scene.carry(1, (62.0, 14.0), (20.0, 30.0), 20.0);
    scene.hold(60, None);
    scene.hold(45, Some((0.0, 0.0)));
    assert!(goals(&scene).is_none(), "{:?}", goals(&scene));
}

#[test]
fn a_goal_never_seen_near_the_net_is_scored_at_centre_ice_when_the_skaters_stopped() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // The puck carried into the zone and lost there, 30 ft from the net; the skaters play on
    // and then all glide to a stand: play stopped, and the restart at centre ice says for a goal.
    scene.carry(1, (-8.0, 0.0), (62.0, 14.0), 20.0);
    let stopped = scene.skate_then_stand(30, 90, None);
    assert!(scene.find(EventType::Goal, None).is_none(), "not yet");
    scene.restart_at_centre_scores_home_goal_near(stopped, 500);
}

#[test]
fn skaters_stopping_with_the_puck_last_seen_in_the_neutral_zone_give_no_goal_at_centre_ice() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (15.0, 14.0), 20.0);
    scene.skate_then_stand(30, 90, None);
    scene.restart_at_centre_scores_no_goal();
}

#[test]
fn skaters_standing_gathered_at_a_dot_were_not_stopped_by_a_whistle() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // The puck last seen in the zone; the skaters then skate to centre ice and stand about the
    // dot for the faceoff (after a drop the engine missed): no stop, so no goal at the restart.
    scene.carry(1, (-8.0, 0.0), (62.0, 14.0), 20.0);
    scene.gather_about((0.0, 0.0), 60);
    scene.hold(30, None);
    scene.restart_at_centre_scores_no_goal();
}

#[test]
fn a_stop_followed_by_a_line_up_and_play_again_is_not_the_next_stop() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Play stops with the puck in the zone (offside, say); the skaters line up at the zone's
    // dot and play again after a drop the engine missed; then the restart at centre ice comes
    // with no stop heard since: the puck's zone at the old stop says nothing about a goal.
    scene.carry(1, (-8.0, 0.0), (62.0, 14.0), 20.0);
    scene.skate_then_stand(30, 30, None);
    scene.gather_about((69.0, -22.0), 60);
    scene.hold(30, None);
    scene.skate_then_stand(45, 0, None);
    scene.restart_at_centre_scores_no_goal();
}

#[test]
fn a_hidden_goal_is_dated_when_the_skaters_stopped_not_at_a_later_sighting_near_the_net() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (70.0, -12.0), 20.0);
    // Shot from the slot, lost at once; the skaters glide to a stand, and perception then
    // takes a skate standing 18 ft from the net for the puck for three seconds.
    scene.fly((71.8, -12.0), (73.5, -10.8), 100.0, None);
    scene.fly((73.5, -10.8), (90.5, 1.0), 100.0, Some(73.6));
    let stopped = scene.skate_then_stand(15, 0, None);
    scene.hold(90, Some((75.0, -12.0)));
    scene.hold(30, None);
    scene.restart_at_centre_scores_home_goal_near(stopped, 500);
}

#[test]
fn a_hidden_goal_is_dated_no_earlier_than_the_puck_last_seen_in_play_at_the_net() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (70.0, -12.0), 20.0);
    // The skaters ease off as the puck is worked across the mouth of the net (their last
    // surge dates the stop early); it is seen moving there, then lost as it goes in.
    const SKATING: u32 = 15;
    let moved_from = scene.now() + u64::from(SKATING) * FRAME_MS;
    scene.skate_then_stand_with(SKATING, 90, |k| {
        let t = f64::from(k.checked_sub(SKATING)?) / 30.0;
        (t <= 0.6).then_some((82.0 + 3.0 * t, -6.0 + 20.0 * t))
    });
    let last_moving = moved_from + 600;
    scene.hold(30, None);
    assert!(scene.find(EventType::Goal, None).is_none(), "not yet");
    scene.restart_at_centre_scores_home_goal_near(last_moving, 300);
}

#[test]
fn a_whistle_the_engine_missed_is_dated_when_the_skaters_stopped() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Play in the zone, the puck lost; the skaters glide to a stand (offside, say), and some
    // seconds later the puck is seen on an end-zone dot for the faceoff.
    scene.carry(1, (-8.0, 0.0), (40.0, 10.0), 20.0);
    let stopped = scene.skate_then_stand(30, 120, None);
    scene.hold(60, Some((69.0, -22.0)));
    let stoppage = scene
        .find(EventType::Stoppage, Some(&Detail::STOPPAGE_PLAY))
        .expect("the stoppage");
    assert!(
        at(&stoppage).abs_diff(stopped) <= 500,
        "{} vs {stopped}",
        at(&stoppage)
    );
}

#[test]
fn a_goal_seen_going_in_while_something_else_is_followed_away_is_scored_at_centre_ice() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (86.0, 1.5), 100.0, None);
    // Seen twice past the goal line, then hidden in the net while perception follows a stick
    // blade near the crease and then its skater up the ice.
    scene.step(Some((89.8, 1.2)));
    let crossed = scene.now() - FRAME_MS;
    scene.step(Some((90.4, 1.0)));
    scene.hold(20, Some((76.0, 9.0)));
    scene.fly((76.0, 9.0), (40.0, 20.0), 12.0, None);
    scene.hold(60, None);
    assert!(scene.find(EventType::Goal, None).is_none(), "not yet");
    scene.restart_at_centre_scores_home_goal_near(crossed, 100);
}

#[test]
fn a_goal_never_seen_at_the_net_is_scored_at_centre_ice_from_the_last_sighting_near_it() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (70.0, -12.0), 20.0);
    // Shot from the slot, lost at once; perception then follows a skater up the ice.
    scene.fly((71.8, -12.0), (73.5, -10.8), 100.0, None);
    let last_near = scene.now() - FRAME_MS;
    scene.fly((73.5, -10.8), (90.5, 1.0), 100.0, Some(73.6));
    scene.fly((60.0, -15.0), (30.0, -25.0), 15.0, None);
    scene.hold(60, None);
    scene.restart_at_centre_scores_home_goal_near(last_near, 100);
}

#[test]
fn a_net_reached_within_seconds_of_a_centre_ice_drop_was_no_unseen_goal() {
    let mut scene = Scene::new();
    let last_seen = scene.hidden_home_goal();
    scene.hold(120, None);
    scene.restart_at_centre_scores_home_goal_near(last_seen, 100);
    // Something else moves off the dot and is followed as the puck to the home net within two
    // seconds (taken for the drop); then nothing is seen until the puck is put on the centre
    // dot again for the real draw: still the one after the same goal, no second goal.
    scene.fly((0.0, 0.0), (-30.0, 5.0), 40.0, None);
    scene.fly((-30.0, 5.0), (-80.0, 2.0), 60.0, None);
    scene.hold(10, Some((-80.0, 2.0)));
    scene.hold(90, None);
    scene.centre_ice_setup(45);
    let goals = scene.all(EventType::Goal);
    assert_eq!(goals.len(), 1, "{goals:?}");
}

#[test]
fn a_puck_next_seen_at_rest_on_the_centre_dot_was_not_dropped_at_another_dot() {
    let mut scene = Scene::new();
    let last_seen = scene.hidden_home_goal();
    scene.hold(60, None);
    // Something at rest on an end-zone dot is taken for the puck and a faceoff is set up there;
    // then the puck is seen at rest on the centre dot: it was placed there, not dropped.
    scene.hold(45, Some((-69.0, 22.0)));
    assert!(scene.find(EventType::Goal, None).is_none(), "not yet");
    scene.restart_at_centre_scores_home_goal_near(last_seen, 100);
    scene.fly((0.0, 0.0), (-6.2, 0.0), 15.0, None);
    scene.put(1, -8.0, 0.0);
    scene.hold(100, Some((-6.2, 0.0)));
    scene.assert_second_faceoff_after_goal();
}

/// After the opening faceoff and a rush, play stops: the puck is not seen again while the
/// players line up at the home end's upper dot, (-69, 22), four skaters standing around it for
/// `frames` before the centres take their places 1.5 ft to either side of it, last, for a tenth
/// of a second.
fn lined_up_at_the_left_upper_dot_puck_unseen(scene: &mut Scene, frames: u32) {
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (40.0, 10.0), 20.0);
    scene.hold(30, None);
    for (id, x, y) in [
        (2, -72.0, 36.0),
        (3, -72.0, 8.0),
        (12, -66.0, 36.0),
        (13, -66.0, 8.0),
    ] {
        scene.put(id, x, y);
    }
    scene.hold(frames, None);
    scene.put(1, -70.5, 22.0);
    scene.put(11, -67.5, 22.0);
    scene.hold(3, None);
}

#[test]
fn players_lined_up_at_a_dot_set_up_the_faceoff_with_the_puck_unseen_on_it() {
    let mut scene = Scene::new();
    lined_up_at_the_left_upper_dot_puck_unseen(&mut scene, 60);
    // Dropped, and drawn back to the home side: the puck is first seen on its way.
    let dropped = scene.now();
    scene.drop_puck((-69.0, 22.0), (-78.0, 22.0), 15.0, 40);
    scene.put(2, -79.0, 22.0);
    scene.hold(60, Some((-78.0, 22.0)));
    let faceoffs = scene.all(EventType::Faceoff);
    assert_eq!(faceoffs.len(), 2, "{faceoffs:?}");
    assert_eq!(
        faceoffs[1].puck.map(|p| (p.x_ft(), p.y_ft())),
        Some((-69.0, 22.0)),
        "{:?}",
        faceoffs[1]
    );
    assert!(at(&faceoffs[1]).abs_diff(dropped) <= 300, "{faceoffs:?}");
}

#[test]
fn skaters_breaking_from_a_line_up_took_the_draw_with_the_puck_never_seen() {
    let mut scene = Scene::new();
    lined_up_at_the_left_upper_dot_puck_unseen(&mut scene, 60);
    let dropped = scene.now();
    scene.break_line_up((-69.0, 22.0), 90, |_| None);
    scene.hold(30, None);
    let faceoffs = scene.all(EventType::Faceoff);
    assert_eq!(faceoffs.len(), 2, "{faceoffs:?}");
    assert!(at(&faceoffs[1]).abs_diff(dropped) <= 300, "{faceoffs:?}");
}

#[test]
fn a_puck_seen_leaving_the_dot_just_before_the_skaters_break_was_dropped() {
    let mut scene = Scene::new();
    lined_up_at_the_left_upper_dot_puck_unseen(&mut scene, 60);
    // Won forward and carried at the net: the puck is seen leaving the dot for half a second,
    // before the skaters are seen to break from their places, then lost among them; it next
    // shows a moment in the net (an away goal), before the skaters are two seconds off their
    // marks.
    let dropped = scene.now();
    scene.break_line_up((-69.0, 22.0), 36, |t| {
        (t <= 0.5).then_some((-69.0 - 12.0 * t, 22.0 - 16.0 * t))
    });
    let arrived = scene.now();
    scene.hold(20, Some((-90.5, 0.5)));
    scene.hold(60, None);
    let goal = scene.goal();
    assert_eq!(goal.team, Some(Team::Away), "{goal:?}");
    assert!(
        (dropped + 500..=arrived).contains(&at(&goal)),
        "between its last sighting leaving the dot and the first in the net: {goal:?}"
    );
    let faceoffs = scene.all(EventType::Faceoff);
    assert_eq!(faceoffs.len(), 2, "{faceoffs:?}");
    assert!(at(&faceoffs[1]).abs_diff(dropped) <= 300, "{faceoffs:?}");
    // The scorers won the draw nobody was seen to win before the goal.
    assert_eq!(faceoffs[1].team, Some(Team::Away), "{faceoffs:?}");
}

#[test]
fn a_still_puck_far_from_the_dot_of_a_faceoff_set_up_is_no_drop() {
    let mut scene = Scene::new();
    lined_up_at_the_left_upper_dot_puck_unseen(&mut scene, 60);
    // The wingers move off (no lining up to see any more) and something still by the far
    // boards is taken for the puck a while; then the draw.
    for id in [2, 3, 12, 13] {
        scene.put(id, -40.0, 0.0);
    }
    scene.hold(30, Some((-30.0, -40.0)));
    let dropped = scene.now();
    scene.drop_puck((-69.0, 22.0), (-78.0, 22.0), 15.0, 40);
    scene.put(2, -79.0, 22.0);
    scene.hold(60, Some((-78.0, 22.0)));
    let faceoffs = scene.all(EventType::Faceoff);
    assert_eq!(faceoffs.len(), 2, "{faceoffs:?}");
    assert!(at(&faceoffs[1]).abs_diff(dropped) <= 300, "{faceoffs:?}");
}

#[test]
fn a_shot_turned_back_by_a_defender_in_the_lane_is_blocked() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (35.0, 0.0), 20.0);
    scene.put(12, 66.0, 0.5);
    scene.fly((36.8, 0.0), (65.0, 0.3), 90.0, None);
    scene.fly((65.0, 0.3), (50.0, 8.0), 30.0, None);
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_BLOCKED), "{shot:?}");
    assert_eq!(
        shot.player(PlayerRole::OPPONENT).and_then(|p| p.track_id),
        Some(12)
    );
    assert!(scene.find(EventType::Goal, None).is_none());
}

#[test]
fn a_puck_shot_in_from_the_neutral_zone_is_a_dump_in_not_a_carry() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (12.0, 10.0), 20.0);
    scene.put(1, 12.0, 10.0);
    scene.fly((13.8, 10.0), (95.0, 30.0), 55.0, None);
    let entry = scene
        .find(EventType::ZoneEntryExit, Some(&Detail::ZONE_ENTRY))
        .expect("zone entry");
    assert_eq!(entry.detail2, Some(Detail::ZONE_ENTRY_DUMP_IN));
    assert_eq!(entry.team, Some(Team::Home));
    assert!(
        scene.find(EventType::Shot, None).is_none(),
        "a dump is not a shot"
    );
}

/// A home goal scored at the away net, the puck then seen lying in it for a second.
fn scene_after_home_goal() -> Scene {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (90.5, 1.0), 100.0, None);
    scene.hold(30, Some((91.0, 1.0)));
    assert!(scene.find(EventType::Goal, None).is_some());
    scene
}

#[test]
fn a_goal_is_withdrawn_when_the_puck_comes_back_out() {
    let mut scene = scene_after_home_goal();
    // Back out into the slot, fast: it never was in.
    scene.fly((91.0, 1.0), (60.0, -10.0), 40.0, None);
    assert!(
        scene.find(EventType::Goal, None).is_none(),
        "goal retracted"
    );
    assert!(
        scene
            .records
            .iter()
            .any(|r| matches!(r, RecordChange::Retraction(_)))
    );
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(
        shot.has_detail1(&Detail::SHOT_ON_NET_SAVED),
        "amended: {shot:?}"
    );
}

#[test]
fn a_goal_is_withdrawn_when_the_puck_is_found_in_play_seconds_later() {
    // What was followed in the net was a mark in its mesh; the puck, lost as it flew back out,
    // is found again three seconds after the goal, carried up the ice.
    let mut scene = scene_after_home_goal();
    scene.hold(60, None);
    scene.fly((60.0, 10.0), (20.0, 15.0), 25.0, None);
    assert!(
        scene.find(EventType::Goal, None).is_none(),
        "goal retracted"
    );
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
}

/// The skaters line up at the away end's upper dot, (69, 22), the puck seen on it for two
/// seconds; then the draw is taken, the puck drawn back 9 ft.
fn draw_at_the_right_upper_dot(scene: &mut Scene) {
    for (id, x, y) in [
        (2, 66.0, 36.0),
        (3, 66.0, 8.0),
        (12, 72.0, 36.0),
        (13, 72.0, 8.0),
        (1, 67.5, 22.0),
        (11, 70.5, 22.0),
    ] {
        scene.put(id, x, y);
    }
    scene.hold(60, Some((69.0, 22.0)));
    scene.drop_puck((69.0, 22.0), (60.0, 22.0), 15.0, 40);
    scene.hold(30, Some((60.0, 22.0)));
}

#[test]
fn a_goal_followed_by_a_faceoff_at_an_end_zone_dot_was_the_goalie_holding_the_puck() {
    // What was followed into the net was the goalie's glove. The puck is next seen on the
    // end-zone dot, where the skaters line up and the draw is taken: play restarts there only
    // after a stoppage, never after a goal.
    let mut scene = scene_after_home_goal();
    scene.hold(30, None);
    draw_at_the_right_upper_dot(&mut scene);
    assert_eq!(scene.all(EventType::Goal), vec![], "goal withdrawn");
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    let stoppages = scene.all(EventType::Stoppage);
    assert_eq!(stoppages.len(), 1, "play did stop: {stoppages:?}");
    assert_eq!(stoppages[0].detail2, None, "{stoppages:?}");
    let faceoff = scene.all(EventType::Faceoff).pop().expect("faceoff");
    assert_eq!(
        faceoff.puck.map(|p| (p.x_ft(), p.y_ft())),
        Some((69.0, 22.0))
    );
    assert!(
        faceoff.has_detail1(&Detail::FACEOFF_AFTER_STOPPAGE),
        "{faceoff:?}"
    );
}

#[test]
fn a_goal_stands_when_play_resumed_unseen_before_a_later_draw_at_an_end_zone_dot() {
    // The centre-ice draw after the goal went unseen: the puck is next seen carried up the
    // ice. The draw taken at an end-zone dot later on follows a stoppage of its own.
    let mut scene = scene_after_home_goal();
    scene.hold(150, None);
    scene.carry(1, (-8.0, 0.0), (40.0, 10.0), 20.0);
    scene.hold(30, None);
    draw_at_the_right_upper_dot(&mut scene);
    assert!(scene.find(EventType::Goal, None).is_some(), "goal kept");
}

#[test]
fn a_goal_stands_for_a_puck_glimpsed_leaving_an_end_zone_dot_nobody_lined_up_at() {
    // After the goal the view of the puck is of the end-zone dot's mark a while, then of a
    // skate leaving it: no skaters lined up there, no draw taken there.
    let mut scene = scene_after_home_goal();
    scene.hold(30, None);
    scene.hold(40, Some((69.0, 22.0)));
    scene.fly((69.0, 22.0), (50.0, 22.0), 20.0, None);
    scene.hold(30, None);
    assert!(scene.find(EventType::Goal, None).is_some(), "goal kept");
}

#[test]
fn a_goal_stands_once_the_puck_is_brought_to_a_dot() {
    // Two seconds after the goal the puck is seen on the centre dot for a moment; what is
    // followed skating off fast after that is not the puck coming back out of the net.
    let mut scene = scene_after_home_goal();
    scene.hold(30, None);
    scene.hold(9, Some((0.0, 0.0)));
    scene.fly((-2.0, 3.0), (-40.0, 5.0), 30.0, None);
    assert!(scene.find(EventType::Goal, None).is_some(), "goal kept");
}

#[test]
fn the_same_frames_give_the_same_records() {
    let run = || {
        let mut scene = Scene::new();
        scene.opening_faceoff();
        scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
        scene.fly((61.8, 4.0), (90.5, 1.0), 100.0, None);
        scene.hold(40, Some((91.0, 1.0)));
        serde_json::to_string(&scene.records).unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn empty_ice_ends_the_period_and_the_last_one_ends_the_game() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    let everyone = std::mem::take(&mut scene.people);
    scene.hold(20, None);
    assert!(scene.find(EventType::Intermission, None).is_some());
    assert_eq!(scene.engine.period(), Period::FIRST);
    scene.people = everyone;
    scene.hold(10, None);
    assert_eq!(scene.engine.period().number(), 2);
    let records = scene.engine.finish();
    assert!(
        records
            .iter()
            .any(|r| matches!(r, RecordChange::Event(e) if e.event_type == EventType::GameEnd))
    );
}

#[test]
fn an_engine_resumed_mid_game_logs_no_second_game_start_and_keeps_the_period() {
    let mut first = Scene::new();
    first.opening_faceoff();
    let mut last = first.find(EventType::Faceoff, None).expect("faceoff");
    last.period = Period::new(2).unwrap();

    let mut resumed = Scene::new();
    resumed.engine = GameEngine::resumed(config(), &last);
    resumed.opening_faceoff();
    assert_eq!(resumed.find(EventType::GameStart, None), None);
    let faceoff = resumed
        .find(EventType::Faceoff, None)
        .expect("play resumes at a faceoff");
    assert_eq!(faceoff.period, Period::new(2).unwrap());
    assert_ne!(faceoff.detail1, Some(Detail::FACEOFF_GAME_START));
}

#[test]
fn a_puck_carried_round_the_net_and_left_against_its_back_is_no_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (75.0, 20.0), 25.0);
    // Round the boards to behind the net, lost from sight there for a second, then left lying
    // against the back of the frame, which the projection puts inside the net.
    scene.carry(1, (75.0, 20.0), (97.0, 8.0), 20.0);
    scene.carry(1, (97.0, 8.0), (96.0, 1.0), 15.0);
    scene.hold(30, None);
    scene.put(1, 96.0, -6.0);
    scene.hold(60, Some((91.5, 0.5)));
    scene.assert_none(EventType::Goal);
}

#[test]
fn a_puck_that_slides_past_the_post_against_the_side_of_the_net_is_no_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 12.0), 20.0);
    // Shot wide: it crosses the goal line at y = 5.5, then stops against the side of the net,
    // where the projection puts it just inside the post.
    scene.fly((61.8, 12.0), (89.0, 5.5), 60.0, None);
    scene.fly((89.0, 5.5), (90.8, 3.0), 15.0, None);
    scene.hold(60, Some((90.8, 3.0)));
    scene.assert_none(EventType::Goal);
}

#[test]
fn a_shot_from_the_doorstep_is_found_when_the_goalie_holds_it() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (76.0, 6.0), 20.0);
    // From eight feet out at 90 ft/s: in the goalie's pads within three frames, held there.
    let released = scene.now();
    scene.fly((77.8, 5.0), (85.5, 0.5), 90.0, None);
    scene.hold(45, Some((85.5, 0.5)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert!(
        at(&shot).abs_diff(released) <= 200,
        "{} vs {released}",
        at(&shot)
    );
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
}

#[test]
fn a_puck_frozen_by_the_goalie_is_not_a_rebound_for_the_noise_around_it() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (55.0, 5.0), 20.0);
    scene.fly((56.8, 5.0), (85.0, 1.0), 100.0, None);
    // Held at the goalie's feet; the projection scatters it by a foot or two, at first towards
    // the slot.
    let wobble = [
        -1.8, -1.2, -2.0, -0.6, 0.8, -1.5, 1.1, 0.4, -0.9, 1.6, 0.2, -0.3,
    ];
    for k in 0..60 {
        let dx = wobble[k % wobble.len()];
        scene.step(Some((85.0 + dx, 1.0 - dx / 2.0)));
    }
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
}

#[test]
fn a_shot_never_seen_in_flight_is_read_from_where_the_puck_vanished_and_reappeared() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, -6.0), 20.0);
    let released = scene.now();
    // Lost from sight as it leaves the stick; next seen at the goalie's pads, bouncing out.
    scene.hold(12, None);
    scene.fly((85.0, 1.0), (75.0, 6.0), 12.0, None);
    scene.hold(30, Some((75.0, 6.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, released);
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_REBOUND), "{save:?}");
}

#[test]
fn a_puck_in_the_net_among_stray_sightings_of_something_else_is_a_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (91.0, 1.0), 100.0, None);
    let arrived = scene.now();
    // The appliance's puck leaves the net now and then for another candidate drifting off
    // beside it (a skate, the frame): no line through the sightings is at rest, yet most of
    // them are in the net.
    for k in 0..72u32 {
        let drift = f64::from(k % 18) - 10.0;
        let stray = (90.0 + 1.2 * drift, -2.0 - 1.5 * drift);
        scene.step(Some(if k % 18 < 10 { (91.0, 1.0) } else { stray }));
    }
    let goal = scene.goal();
    assert_home_goal_near(&goal, arrived, 300);
}

#[test]
fn a_goal_is_no_wide_miss_for_a_way_in_read_from_sightings_of_something_else() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (52.0, 18.0), 20.0);
    // The shot is not seen in flight; the appliance follows something else along the slot
    // instead, whose line crosses the goal line wide — but the puck is never seen wide of the
    // net, and it lies in it.
    scene.fly((54.0, 18.0), (74.0, 19.0), 60.0, None);
    scene.fly((74.0, 19.0), (84.0, 9.0), 60.0, None);
    scene.hold(4, None);
    scene.hold(40, Some((91.2, 2.5)));
    assert!(
        scene
            .find(EventType::Goal, Some(&Detail::GOAL_SCORED))
            .is_some_and(|g| g.team == Some(Team::Home)),
        "{:?}",
        scene.find(EventType::Goal, None)
    );
}

#[test]
fn play_that_resumes_without_a_faceoff_seen_leaves_the_next_hidden_goal_to_be_scored() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (91.0, 1.0), 100.0, None);
    scene.hold(60, Some((91.0, 1.0)));
    assert_eq!(
        scene
            .events()
            .iter()
            .filter(|e| e.event_type == EventType::Goal)
            .count(),
        1
    );
    // The faceoff after the goal is never seen: the puck turns up flying about in play.
    scene.hold(150, None);
    scene.fly((-20.0, 10.0), (20.0, 0.0), 40.0, None);
    scene.put(1, 20.0, 0.0);
    scene.carry(1, (20.0, 0.0), (60.0, 4.0), 20.0);
    // A second goal, lost for good in the crowd at the net, then play restarts at centre ice.
    scene.fly((61.8, 4.0), (81.0, 2.0), 100.0, None);
    let last_seen = scene.now();
    scene.fly((81.0, 2.0), (90.5, 1.0), 100.0, Some(81.5));
    scene.hold(120, None);
    scene.put(1, -3.0, 0.0);
    scene.put(11, 3.0, 0.0);
    scene.hold(45, Some((0.0, 0.0)));
    let goals: Vec<GameEvent> = scene.all(EventType::Goal);
    assert_eq!(goals.len(), 2, "{goals:?}");
    assert_home_goal_near(&goals[1], last_seen, 100);
}

#[test]
fn a_puck_stolen_and_shot_at_once_unseen_is_the_stealer_s_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Away skater 12 has the puck in the home team's attacking zone, coming out.
    scene.put(12, 64.0, -6.0);
    scene.carry(12, (64.0, -6.0), (58.0, -6.0), 10.0);
    // Home skater 2 takes it off his stick and shoots at once; the puck is lost from sight as it
    // leaves, and next seen at the goalie's pads, bouncing out.
    scene.put(2, 55.0, -7.0);
    scene.hold(2, Some((56.0, -6.5)));
    let released = scene.now();
    scene.hold(12, None);
    scene.fly((85.0, 1.0), (75.0, 6.0), 12.0, None);
    scene.hold(30, Some((75.0, 6.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert_eq!(shot.team, Some(Team::Home), "{shot:?}");
    assert_shot_by(&shot, 2, released);
}

#[test]
fn a_shot_wide_of_the_net_that_comes_back_off_the_boards_is_missed_not_saved() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (30.0, 14.0), 20.0);
    // A slap shot that passes the net 6 ft wide at 100 ft/s; the projection scatters its
    // first sightings so that they alone seem to aim at the middle of the net.
    let scatter = [3.0, 2.0, 0.5, -1.0, -2.5, -4.0, -4.5, -4.0];
    let (from, to) = ((31.8, 14.0), (92.0, 6.0));
    let frames = 19u32;
    for k in 1..=frames {
        let f = f64::from(k) / f64::from(frames);
        let (x, y) = (from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f);
        let dy = scatter.get(k as usize - 1).copied().unwrap_or(0.0);
        scene.step((x < 84.0).then_some((x, y + dy)));
    }
    // Off the boards behind the net, unseen, and back out past the goalie into the slot.
    scene.hold(10, None);
    scene.hold(1, Some((87.0, 2.8)));
    scene.hold(6, None);
    scene.fly((79.0, 2.0), (66.0, -2.0), 40.0, None);
    scene.hold(20, Some((66.0, -2.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_MISSED), "{shot:?}");
    assert!(scene.find(EventType::Save, None).is_none());
}

#[test]
fn a_shot_glimpsed_twice_at_the_goalie_and_then_held_there_is_a_frozen_save() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, -6.0), 20.0);
    let released = scene.now();
    // Unseen on its way, glimpsed twice at the goalie's pads (too few sightings for any line
    // through them), hidden under the goalie, then seen lying there.
    scene.hold(27, None);
    scene.hold(2, Some((85.5, -1.5)));
    scene.hold(20, None);
    scene.hold(40, Some((85.5, -1.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, released);
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
}

#[test]
fn a_frozen_save_is_dated_when_the_puck_was_glimpsed_at_the_goalie_not_when_seen_lying_there() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, -12.0), 20.0);
    // Seen flying at the net, hidden a few feet out, glimpsed at the pads, hidden under the
    // goalie and glimpsed again, and seen lying there only after a second and a half.
    scene.fly((61.8, -11.5), (80.0, -4.0), 80.0, None);
    let last_in_flight = scene.now();
    scene.hold(8, None);
    let glimpsed = scene.now();
    scene.hold(2, Some((85.4, -2.0)));
    scene.hold(30, None);
    scene.hold(3, Some((85.6, -1.2)));
    scene.hold(6, None);
    scene.hold(40, Some((85.5, -1.5)));
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
    assert!(
        (last_in_flight..=glimpsed).contains(&at(&save)),
        "saved at {} ms, the puck last seen flying at {last_in_flight} ms and glimpsed at the \
         goalie at {glimpsed} ms",
        at(&save)
    );
}

#[test]
fn a_shot_seen_turning_back_well_short_of_the_goalie_is_no_save() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (40.0, 5.0), 20.0);
    // Seen all the way: it stops 16 ft out (a stick nobody tracked) and comes back up the slot.
    scene.fly((41.8, 5.0), (73.0, 1.0), 100.0, None);
    scene.fly((73.0, 1.0), (60.0, 4.0), 20.0, None);
    scene.hold(30, Some((60.0, 4.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(!shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert!(scene.find(EventType::Save, None).is_none());
}

#[test]
fn a_shooter_skating_after_his_shot_does_not_take_it_back_as_it_leaves() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (62.0, 11.5), 20.0);
    // A snap shot over the net while he skates on behind it; its first sightings scatter back
    // onto his stick (positions as the projection reported them in a simulated game).
    let flight = [
        (65.7, 10.1),
        (61.7, 11.6),
        (65.2, 12.4),
        (66.0, 13.9),
        (71.2, 11.7),
        (79.4, 9.4),
        (78.0, 8.8),
        (85.3, 6.7),
        (85.4, 4.3),
        (91.3, 0.8),
        (97.3, -0.9),
        (99.5, 2.2),
    ];
    for (k, &puck) in flight.iter().enumerate() {
        scene.put(1, 62.5 + 0.7 * k as f64, 11.5);
        scene.step(Some(puck));
    }
    // Round the boards behind the net and out the other side.
    scene.fly((99.5, 2.2), (80.0, -10.0), 45.0, None);
    scene.hold(30, Some((80.0, -10.0)));
    let shots: Vec<GameEvent> = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 1, "{shots:?}");
}

#[test]
fn a_shot_that_bounces_hard_off_a_defender_is_blocked_by_him() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (35.0, 0.0), 20.0);
    scene.put(12, 66.0, 0.5);
    // Off his shin pads and back up the ice fast: the turn is noticed only when the puck is
    // well away from him.
    scene.fly((36.8, 0.0), (65.0, 0.3), 90.0, None);
    scene.fly((65.0, 0.3), (35.0, 10.0), 60.0, None);
    scene.hold(20, Some((35.0, 10.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_BLOCKED), "{shot:?}");
    assert_eq!(
        shot.player(PlayerRole::OPPONENT).and_then(|p| p.track_id),
        Some(12)
    );
}

#[test]
fn a_puck_hidden_at_the_goalie_and_put_in_from_the_crease_a_second_later_is_a_save_and_a_rebound_goal()
 {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    let released = scene.now();
    scene.fly((61.8, 4.0), (85.0, 1.0), 100.0, None);
    // The goalie has it, out of sight; a second later it is glimpsed in the crease, on the
    // stick of a home skater who puts it in.
    scene.hold(30, None);
    scene.put(2, 81.0, -3.0);
    scene.hold(2, Some((82.0, -2.0)));
    let rebound_shot = scene.now();
    scene.fly((82.0, -2.0), (91.0, 0.0), 60.0, None);
    scene.hold(40, Some((91.0, 0.0)));
    let shots = assert_shot_then_goal_shot(&scene, &Detail::SHOT_ON_NET_SAVED, rebound_shot);
    assert_shot_by(&shots[0], 1, released);
    assert!(scene.find(EventType::Save, None).is_some());
    let goal = scene.goal();
    assert_home_goal_near(&goal, rebound_shot, 300);
}

#[test]
fn a_goal_glimpsed_in_front_of_the_line_before_it_went_in_unseen_is_dated_after_the_glimpse() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (85.0, 1.0), 100.0, None);
    // Lost at the goalie, glimpsed loose 3 ft in front of the line, lost again for a second,
    // then found at rest in the net: it went in during that second, not before the glimpse.
    scene.hold(25, None);
    scene.hold(2, Some((86.0, -2.0)));
    let glimpsed = scene.now();
    scene.hold(30, None);
    let found = scene.now();
    scene.hold(40, Some((91.0, 0.0)));
    let goal = scene.goal();
    assert_home_goal_near(&goal, (glimpsed + found) / 2, 600);
}

#[test]
fn a_goal_put_in_after_the_puck_was_carried_in_sight_in_front_of_the_net_is_dated_at_the_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, -12.0), 20.0);
    scene.carry(1, (60.0, -12.0), (93.0, -9.0), 20.0);
    // Lost behind the net for a second, carried out in front in sight (within a few feet of
    // where it will rest), then put in.
    scene.put(1, 96.0, 0.0);
    scene.hold(30, None);
    scene.carry(1, (84.0, 6.0), (84.5, 5.0), 2.0);
    let released = scene.now();
    scene.fly((85.3, 4.4), (91.0, 1.0), 60.0, None);
    scene.hold(40, Some((91.0, 1.0)));
    assert_home_goal_near(&scene.goal(), released + 100, 300);
}

#[test]
fn a_goal_seen_going_in_then_hidden_is_dated_when_it_went_in_despite_a_stray_sighting() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (91.0, 0.0), 100.0, None);
    let went_in = scene.now();
    // Hidden in the net for a second; found again, seen with the usual scatter, except that
    // another candidate out in front is taken for it for one frame.
    scene.hold(30, None);
    let scatter = [
        (1.5, 0.0),
        (-1.5, 0.5),
        (0.0, -1.5),
        (0.7, 1.5),
        (-0.8, -1.0),
    ];
    for k in 0..40 {
        let (dx, dy) = scatter[k % scatter.len()];
        scene.step(Some(if k == 2 { (84.0, 5.0) } else { (91.0 + dx, dy) }));
    }
    let goal = scene.goal();
    assert_home_goal_near(&goal, went_in, 300);
}

#[test]
fn a_dump_in_taken_in_stride_and_shot_at_once_is_a_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Home skater 1 dumps it in from the neutral zone; skater 2 meets it at the top of the
    // circle and, without settling it, shoots it on, wide of the net.
    scene.carry(1, (-8.0, 0.0), (10.0, 10.0), 20.0);
    scene.put(2, 50.0, 20.0);
    scene.fly((11.8, 10.0), (50.0, 20.0), 60.0, None);
    scene.hold(1, Some((50.5, 20.0)));
    let released = scene.now();
    // Wide of the far post, on past the goal line.
    scene.fly((50.5, 20.0), (92.0, 6.0), 90.0, None);
    scene.hold(30, Some((93.0, 6.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_MISSED), "{shot:?}");
    assert_shot_by(&shot, 2, released);
}

#[test]
fn a_shot_in_flight_when_the_period_ends_is_still_logged_on_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (50.0, 4.0), 20.0);
    let released = scene.now();
    scene.fly((51.8, 4.0), (75.0, 2.0), 100.0, None);
    // The buzzer: the puck is lost from sight and everyone leaves the ice.
    let everyone = std::mem::take(&mut scene.people);
    scene.hold(20, None);
    scene.people = everyone;
    assert!(scene.find(EventType::Intermission, None).is_some());
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, released);
    assert!(scene.find(EventType::Save, None).is_some());
}

#[test]
fn a_puck_carried_in_unseen_and_next_seen_at_the_pads_with_the_carrier_feet_away_was_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (72.0, 12.0), 20.0);
    // Carried on unseen for a second (too slowly for a shot to have covered the way), shot from
    // the inside of the circle, and next seen bouncing off the goalie's pads.
    scene.skate_unseen(1, (72.0, 12.0), (77.0, 10.0), 30);
    let shot_at = scene.now();
    scene.fly((85.0, 1.5), (80.0, -6.0), 15.0, None);
    scene.hold(30, Some((80.0, -6.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, shot_at);
    assert!(scene.find(EventType::Save, None).is_some());
}

#[test]
fn a_wide_shot_played_on_off_the_boards_and_put_in_is_a_second_shot_not_the_first_one_in() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (56.0, -11.0), 20.0);
    // Wide of the far post, round the boards behind the net and back along them to home
    // skater 2, who puts it in at once: the puck unseen on its way in.
    scene.fly((57.8, -11.0), (99.0, -6.0), 100.0, None);
    scene.put(2, 83.0, -15.0);
    scene.fly((99.0, -6.0), (84.4, -16.0), 25.0, None);
    scene.hold(6, Some((84.4, -16.0)));
    let second_shot = scene.now();
    scene.hold(4, None);
    scene.hold(40, Some((91.0, 0.0)));
    assert_shot_then_goal_shot(&scene, &Detail::SHOT_MISSED, second_shot);
}

#[test]
fn a_shot_that_reaches_the_net_later_than_any_shot_flies_was_stopped_and_put_in_off_the_rebound() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (53.0, 30.0), 20.0);
    let released = scene.now();
    // Lost from sight on its way, glimpsed short of the goalie still coming on, unseen for a
    // second, then glimpsed out in front of him again on home skater 2's stick, who puts it in.
    scene.fly((54.8, 30.0), (74.0, 9.6), 80.0, None);
    scene.hold(16, None);
    scene.hold(1, Some((80.6, 1.5)));
    scene.hold(1, Some((83.4, 0.9)));
    scene.put(2, 80.5, -3.0);
    scene.hold(28, None);
    scene.hold(2, Some((81.9, -2.4)));
    let rebound_shot = scene.now();
    scene.fly((81.9, -2.4), (91.0, -0.8), 100.0, None);
    scene.hold(40, Some((91.0, -0.8)));
    let shots = assert_shot_then_goal_shot(&scene, &Detail::SHOT_ON_NET_SAVED, rebound_shot);
    assert_shot_by(&shots[0], 1, released);
    assert!(scene.find(EventType::Save, None).is_some());
}

#[test]
fn a_rebound_shot_half_a_second_after_the_save_is_a_shot_of_its_own() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    scene.fly((61.8, 4.0), (85.0, 1.0), 100.0, None);
    // Kicked out to home skater 2 in the slot, who shoots it straight back at the goalie's pads
    // and sees it held there.
    scene.put(2, 66.0, 3.0);
    scene.fly((85.0, 1.0), (67.8, 3.0), 40.0, None);
    scene.hold(6, Some((67.8, 3.0)));
    let rebound_shot = scene.now();
    scene.fly((67.8, 3.0), (85.5, 0.5), 80.0, None);
    scene.hold(40, Some((85.5, 0.5)));
    let shots = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 2, "{shots:?}");
    assert!(
        shots
            .iter()
            .all(|s| s.has_detail1(&Detail::SHOT_ON_NET_SAVED)),
        "{shots:?}"
    );
    assert_shot_by(&shots[1], 2, rebound_shot);
    assert_eq!(scene.all(EventType::Save).len(), 2);
}

#[test]
fn a_shot_judged_back_out_while_its_puck_lay_in_the_net_is_the_goal_not_a_save() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 4.0), 20.0);
    let released = scene.now();
    scene.fly((61.8, 4.0), (91.0, 1.0), 100.0, None);
    // In the net at once; the appliance takes a skate coming out of the crease for the puck a
    // few frames running (the puck back out: a save), then finds the puck where it lay.
    scene.hold(3, Some((91.0, 1.0)));
    for x in [88.0, 86.0, 84.0, 82.0] {
        scene.step(Some((x, 1.0 + (91.0 - x) * 0.1)));
    }
    scene.hold(40, Some((91.0, 1.0)));
    assert_only_shot_is_the_goal(&scene, 1, released);
    assert!(
        scene
            .find(EventType::Goal, Some(&Detail::GOAL_SCORED))
            .is_some()
    );
}

#[test]
fn a_save_judged_frozen_while_its_puck_lay_in_the_net_is_the_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (72.0, 2.0), 20.0);
    let released = scene.now();
    // Shot from the slot, unseen on its way; in the net, but three sightings in four are of the
    // goalie's pad out in front: the puck looks held there (a frozen save and the whistle)
    // until it is seen lying in the net alone.
    scene.hold(3, None);
    for k in 0..30u32 {
        scene.step(Some(if k % 4 == 3 { (91.0, 1.0) } else { (85.5, 1.0) }));
    }
    scene.hold(40, Some((91.0, 1.0)));
    assert_only_shot_is_the_goal(&scene, 1, released);
    let stoppages = scene.all(EventType::Stoppage);
    assert!(
        stoppages
            .iter()
            .all(|s| s.has_detail1(&Detail::STOPPAGE_PLAY)
                && s.detail2 != Some(Detail::STOPPAGE_GOALIE_STOPPAGE)),
        "{stoppages:?}"
    );
}

#[test]
fn a_puck_the_goalie_draws_onto_the_goal_line_and_covers_there_is_no_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, 2.0), 20.0);
    scene.fly((61.8, 2.0), (81.7, -1.2), 90.0, None);
    // The goalie draws the rebound back onto the goal line (x = 89) with his glove and covers
    // it there: the sightings scatter two feet either side of where he holds it, then, after
    // a moment hidden under him, the first two are deep — the line through them runs on past
    // the goal line (sightings from a simulated game, mirrored).
    let drawn = [
        (83.9, 1.8),
        (82.4, 0.0),
        (81.7, 0.3),
        (85.4, 0.4),
        (84.5, -0.9),
        (85.5, -3.0),
        (86.8, 2.0),
        (89.7, 1.8),
        (87.0, 2.2),
        (88.9, 1.8),
        (87.1, 1.2),
        (87.3, -2.0),
        (87.5, 1.6),
        (89.1, -2.1),
        (88.1, -0.3),
        (89.1, -1.8),
        (88.0, -0.1),
        (90.1, -1.5),
        (88.4, 1.0),
    ];
    for puck in drawn {
        scene.step(Some(puck));
    }
    scene.hold(9, None);
    for puck in [
        (91.6, 0.2),
        (92.1, 1.2),
        (89.1, -0.8),
        (87.5, 0.0),
        (88.6, -1.0),
    ] {
        scene.step(Some(puck));
    }
    for k in 0..40u32 {
        let noise = [-1.8, 1.6, -0.4, 1.9, -2.2, 0.8][k as usize % 6];
        scene.step(Some((88.8 + noise, 0.5)));
    }
    scene.assert_none(EventType::Goal);
}

#[test]
fn a_draw_never_seen_dropped_is_in_play_once_the_puck_is_carried_off_the_dot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (60.0, -6.0), 20.0);
    scene.fly((61.8, -6.0), (85.5, -1.0), 90.0, None);
    scene.hold(40, Some((85.5, -1.0)));
    assert!(scene.find(EventType::Stoppage, None).is_some());
    // Taken to the right-hand dot unseen and glimpsed there a moment, the drop unseen; home skater 1
    // is next seen carrying it off towards the net at a stride's pace, and shoots.
    scene.hold(90, None);
    scene.hold(8, Some((69.0, 22.0)));
    scene.hold(30, None);
    scene.carry(1, (63.0, 21.0), (70.0, 8.0), 20.0);
    let released = scene.now();
    scene.fly((71.2, 6.4), (85.5, 1.0), 90.0, None);
    scene.hold(40, Some((85.5, 1.0)));
    let shots = scene.all(EventType::Shot);
    assert_eq!(shots.len(), 2, "{shots:?}");
    assert!(
        shots[1].has_detail1(&Detail::SHOT_ON_NET_SAVED),
        "{shots:?}"
    );
    assert_shot_by(&shots[1], 1, released);
}

#[test]
fn a_goalie_taking_the_puck_off_an_attacker_at_his_crease_stopped_a_point_blank_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (82.0, -5.0), 20.0);
    scene.hold(6, Some((83.8, -4.0)));
    // A flick of two feet into the goalie's pads (too short a flight to read through the
    // noise), held there.
    let released = scene.now();
    scene.fly((83.8, -4.0), (85.5, -0.5), 20.0, None);
    scene.hold(45, Some((85.5, -0.5)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, released);
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
    let takeaways: Vec<_> = scene
        .all(EventType::Turnover)
        .into_iter()
        .filter(|t| at(t) > released.saturating_sub(1000))
        .collect();
    assert!(takeaways.is_empty(), "{takeaways:?}");
}

#[test]
fn a_goalie_taking_a_pass_from_the_corner_is_no_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (70.0, -25.0), 20.0);
    scene.hold(6, Some((71.8, -25.0)));
    scene.fly((71.8, -25.0), (85.5, -0.5), 40.0, None);
    scene.hold(45, Some((85.5, -0.5)));
    scene.assert_none(EventType::Shot);
    assert!(scene.find(EventType::Save, None).is_none());
}

#[test]
fn a_clearance_flying_the_length_of_the_ice_past_the_net_is_no_shot() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (-60.0, 10.0), 20.0);
    scene.hold(6, Some((-61.8, 10.0)));
    // Fired from deep in home's own half, past every skater, across the far goal line wide of
    // the net.
    scene.fly((-61.8, 10.0), (95.0, 7.0), 80.0, None);
    scene.hold(20, Some((97.0, 7.0)));
    scene.assert_none(EventType::Shot);
}

#[test]
fn a_shot_seen_flying_at_the_net_then_hidden_and_next_seen_back_out_in_front_was_saved() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (70.2, 15.0), 20.0);
    scene.hold(6, Some((72.0, 14.0)));
    // Four frames of its flight, last seen 11 ft from the net, then nothing until it is back
    // out in front of the goalie.
    let released = scene.now();
    scene.fly((72.0, 14.0), (86.0, 2.0), 75.0, Some(80.0));
    scene.hold(4, None);
    scene.fly((82.0, 3.0), (78.0, 6.0), 10.0, None);
    scene.hold(20, Some((78.0, 6.0)));
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    assert_shot_by(&shot, 1, released);
    assert!(scene.find(EventType::Save, None).is_some());
}

#[test]
fn a_puck_dumped_in_from_just_past_the_red_line_is_no_icing() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Fired in off the stick 1.8 ft ahead of him as he reaches the red line, his skates still
    // behind it: wide of the net, on round the boards behind it.
    scene.carry(1, (-8.0, 5.0), (-0.8, 5.0), 20.0);
    scene.fly((1.0, 5.0), (95.0, 20.0), 80.0, None);
    scene.hold(20, Some((95.5, 20.0)));
    scene.assert_none(EventType::Stoppage);
    let entry = scene
        .find(EventType::ZoneEntryExit, Some(&Detail::ZONE_ENTRY))
        .expect("zone entry");
    assert_eq!(entry.detail2, Some(Detail::ZONE_ENTRY_DUMP_IN));
}

#[test]
fn a_shot_lost_on_its_way_in_and_seen_again_coming_out_beside_a_defender_was_saved() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (55.0, 0.0), 20.0);
    scene.put(12, 79.5, 9.5);
    // Seen flying at the middle of the net to within 7 ft of the goalie, lost there, and next
    // seen coming back out off him beside the defender at the side of the crease.
    scene.fly((56.8, 0.0), (86.0, 0.0), 100.0, Some(80.0));
    scene.fly((85.8, 0.5), (80.0, 7.0), 15.0, Some(0.0));
    scene.fly((80.0, 7.0), (74.0, 13.0), 15.0, None);
    let shot = scene.find(EventType::Shot, None).expect("shot");
    assert!(shot.has_detail1(&Detail::SHOT_ON_NET_SAVED), "{shot:?}");
    let save = scene.find(EventType::Save, None).expect("save");
    assert_eq!(save.team, Some(Team::Away), "{save:?}");
}

#[test]
fn a_puck_skated_out_of_the_crease_and_shot_straight_back_in_is_a_shot_saved() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Held a second beside the crease, backed out into the slot, then a wrist shot from 14 ft
    // into the goalie's pads: four frames of flight.
    scene.carry(1, (-8.0, 0.0), (84.0, -3.5), 20.0);
    scene.hold(30, Some((85.8, -3.6)));
    scene.carry(1, (84.0, -3.5), (77.0, -2.5), 15.0);
    let released = scene.now();
    scene.fly((75.3, -1.9), (85.0, -0.5), 100.0, None);
    scene.hold(45, Some((85.0, -0.5)));
    assert_saved_shot_by(&scene, 1, released);
}

#[test]
fn a_puck_lost_beside_the_net_carried_out_unseen_and_shot_in_is_a_goal() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (75.0, 20.0), 25.0);
    // Down the boards to beside the net, then back out along the goal line in sight ...
    scene.carry(1, (75.0, 20.0), (97.0, 14.0), 20.0);
    scene.carry(1, (97.0, 14.0), (90.0, 10.0), 12.0);
    // ... lost from sight as he skates out into the slot and shoots it in.
    scene.skate_unseen(1, (90.0, 10.0), (79.0, 9.0), 20);
    let released = scene.now();
    scene.hold(4, None);
    scene.hold(45, Some((91.0, 1.5)));
    let goal = scene.goal();
    assert!(goal.team == Some(Team::Home), "{goal:?}");
    assert!(
        at(&goal).abs_diff(released) <= 800,
        "{} vs {released}",
        at(&goal)
    );
}

#[test]
fn a_one_timer_from_the_slot_after_the_carrier_cut_back_is_a_shot_saved() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    // Into the slot, back out towards the blue line, cut back in and a one-timer from 13 ft
    // into the goalie's pads: three frames of flight after a turn half a second before.
    scene.carry(1, (-8.0, 0.0), (78.0, 8.0), 25.0);
    scene.carry(1, (78.0, 8.0), (69.0, 7.0), 15.0);
    scene.carry(1, (69.0, 7.0), (74.5, 5.5), 18.0);
    let released = scene.now();
    scene.fly((76.3, 5.0), (86.0, 1.5), 125.0, None);
    scene.hold(45, Some((86.0, 1.5)));
    assert_saved_shot_by(&scene, 1, released);
}

#[test]
fn a_puck_hidden_at_the_goalie_then_seen_lying_still_at_his_feet_was_held_not_a_rebound() {
    let mut scene = Scene::new();
    scene.opening_faceoff();
    scene.carry(1, (-8.0, 0.0), (55.0, 3.0), 20.0);
    let released = scene.now();
    // Lost from sight a few feet out, hidden under the goalie for half a second, then seen
    // lying at his feet for three seconds: the first sightings scatter towards the slot (the
    // puck read as coming back out), the rest about where it lies.
    scene.fly((56.8, 3.0), (84.0, 0.5), 100.0, Some(80.0));
    let reached = scene.now();
    scene.hold(15, None);
    for x in [86.6, 86.1, 85.6, 85.1, 84.6, 84.1] {
        scene.step(Some((x, 0.8)));
    }
    let scatter = [0.9, -1.7, 1.4, -0.6, 2.1, -1.2, 0.3, -2.0, 1.1, -0.4];
    for k in 0..90 {
        let d = scatter[k % scatter.len()];
        scene.step(Some((84.6 + d, 0.8 - d / 2.0)));
    }
    assert_saved_shot_by(&scene, 1, released);
    let save = scene.find(EventType::Save, None).expect("save");
    assert!(save.has_detail1(&Detail::SAVE_FREEZE), "{save:?}");
    let whistle = scene
        .find(EventType::Stoppage, None)
        .expect("the goalie's stoppage");
    assert!(
        whistle.detail2 == Some(Detail::STOPPAGE_GOALIE_STOPPAGE),
        "{whistle:?}"
    );
    assert!(
        at(&whistle).abs_diff(reached + 500) <= 300,
        "whistle at {} ms, the puck reached the goalie at {reached} ms",
        at(&whistle)
    );
}
