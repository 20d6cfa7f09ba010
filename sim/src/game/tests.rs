use super::*;
use std::collections::BTreeMap;

fn run(seed: u64, seconds: u64) -> (Vec<FrameState>, Vec<GameEvent>) {
    let mut sim = GameSim::new(GameConfig::new(seed));
    let mut frames = vec![sim.state()];
    for _ in 0..seconds * 30 {
        sim.step();
        frames.push(sim.state());
    }
    (frames, sim.take_events())
}

fn of_type(events: &[GameEvent], event_type: EventType) -> Vec<&GameEvent> {
    events
        .iter()
        .filter(|e| e.event_type == event_type)
        .collect()
}

fn count(events: &[GameEvent]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        let key = match &event.detail1 {
            Some(detail) => format!("{}/{}", event.event_type, detail),
            None => event.event_type.to_string(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

#[test]
fn the_same_seed_replays_the_same_game() {
    let (frames_a, events_a) = run(11, 20);
    let (frames_b, events_b) = run(11, 20);
    assert_eq!(frames_a, frames_b);
    assert_eq!(events_a, events_b);
    let (frames_c, _) = run(12, 20);
    assert_ne!(frames_a, frames_c);
}

#[test]
fn a_two_minute_game_has_the_main_events() {
    let (frames, events) = run(7, 120);
    let counts = count(&events);
    for needed in [
        "GameStart",
        "Faceoff/Faceoff_GameStart",
        "Shot/Shot_OnNetSaved",
        "Shot/Shot_Missed",
        "Shot/Shot_Blocked",
        "Shot/Shot_Goal",
        "Goal/Goal_Scored",
        "Zone_Entry_Exit/Zone_Entry",
    ] {
        assert!(counts.contains_key(needed), "no {needed} in {counts:#?}");
    }
    assert!(counts.keys().any(|k| k.starts_with("Save/")), "{counts:#?}");
    // 12 players and 3 officials on the ice, all inside the boards.
    for frame in &frames {
        assert_eq!(frame.people.len(), 15);
        for person in &frame.people {
            assert!(
                RinkPoint::new(person.x_ft, person.y_ft).is_ok(),
                "{person:?}"
            );
        }
    }
}

#[test]
fn goals_are_logged_as_a_shot_then_a_goal_with_a_stoppage_and_centre_faceoff() {
    let (_, events) = run(7, 120);
    let goals = of_type(&events, EventType::Goal);
    assert!(!goals.is_empty());
    for goal in goals {
        let t = goal.media_time_ms.unwrap().0;
        let shot = events.iter().find(|e| {
            e.has_detail1(&Detail::SHOT_GOAL)
                && e.team == goal.team
                && t.saturating_sub(e.media_time_ms.unwrap().0) < 3000
                && e.media_time_ms.unwrap().0 <= t
        });
        assert!(shot.is_some(), "goal at {t} ms without its shot");
        let faceoff = events
            .iter()
            .find(|e| e.event_type == EventType::Faceoff && e.media_time_ms.unwrap().0 > t);
        if let Some(faceoff) = faceoff {
            assert_eq!(
                faceoff.detail1.as_ref().unwrap().as_str(),
                "Faceoff_AfterGoal"
            );
            assert_eq!(faceoff.puck.unwrap(), RinkPoint::CENTRE);
        }
    }
}

#[test]
fn the_puck_is_dropped_between_the_two_centres_lined_up_at_the_dot() {
    let (frames, events) = run(7, 240);
    let faceoffs = of_type(&events, EventType::Faceoff);
    let details: std::collections::BTreeSet<_> = faceoffs
        .iter()
        .filter_map(|e| e.detail1.as_ref().map(|d| d.as_str().to_owned()))
        .collect();
    assert!(
        details.contains("Faceoff_AfterGoal") && details.contains("Faceoff_AfterStoppage"),
        "{details:?}"
    );
    for faceoff in faceoffs {
        let at = faceoff.media_time_ms.unwrap().0;
        let dot = faceoff.puck.unwrap();
        let frame = frames.iter().find(|f| f.media_time_ms >= at).unwrap();
        for team in [Team::Home, Team::Away] {
            let nearest = frame
                .people
                .iter()
                .filter(|p| p.team == Some(team))
                .map(|p| (p.x_ft - dot.x_ft()).hypot(p.y_ft - dot.y_ft()))
                .fold(f64::INFINITY, f64::min);
            assert!(
                nearest <= 4.0,
                "{:?} at {at} ms: the nearest {team:?} player is {nearest:.1} ft from the dot",
                faceoff.detail1
            );
        }
    }
}

#[test]
fn a_teammate_in_the_shooting_lane_can_tip_the_shot() {
    let mut tips = 0;
    for seed in 0..30 {
        let mut sim = GameSim::new(GameConfig::new(seed));
        sim.phase = Phase::Live;
        let s = sim.attack_sign(Team::Home);
        for player in sim.players.iter_mut().filter(|p| p.role != Role::Goalie) {
            let side = if player.team == Team::Home {
                30.0
            } else {
                -30.0
            };
            player.body = physics::SkaterBody::standing(V2::new(-s * 60.0, side), 0.0);
        }
        let home = |role| {
            sim.players
                .iter()
                .position(|p| p.team == Team::Home && p.role == role)
                .unwrap()
        };
        let (shooter, mate) = (home(Role::Centre), home(Role::LeftWing));
        sim.players[shooter].body.pos = V2::new(s * 45.0, 0.0);
        sim.players[mate].body.pos = V2::new(s * 80.0, 0.3);
        sim.take_control(shooter, 0);
        sim.puck = physics::PuckBody::at_rest(sim.players[shooter].body.pos);
        sim.shoot(shooter, V2::new(s * GOAL_LINE_X_FT, 0.0), 0, false);
        if sim.shot.unwrap().tipper.is_none() {
            continue;
        }
        for _ in 0..20 {
            sim.step();
        }
        let events = sim.take_events();
        let deflected = events.iter().any(|e| {
            e.has_detail1(&Detail::SHOT_DEFLECTED)
                && e.player(PlayerRole::ACTOR).unwrap().track_id
                    == Some(u64::from(sim.players[shooter].track_id))
        });
        let tip = events.iter().any(|e| {
            e.event_type == EventType::Shot
                && e.detail2.as_ref().is_some_and(|d| d.as_str() == "Shot_Tip")
                && e.player(PlayerRole::ACTOR).unwrap().track_id
                    == Some(u64::from(sim.players[mate].track_id))
        });
        if deflected && tip {
            tips += 1;
        }
    }
    assert!(tips >= 3, "only {tips} tips in 30 set-ups");
}
