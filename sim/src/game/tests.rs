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
fn a_one_minute_game_has_the_main_events() {
    let (frames, events) = run(7, 60);
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
    let goals: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == EventType::Goal)
        .collect();
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
