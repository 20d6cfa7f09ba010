#![allow(clippy::unwrap_used, clippy::expect_used)]
use benchsight_core::vocabulary::EventType;
use benchsight_eval::corruption::CorruptionLevels;
use benchsight_eval::events::engine_only;
use benchsight_sim::game::GameConfig;

fn main() {
    let seed: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let kind = std::env::args().nth(2).unwrap_or("Goal".into());
    let clean = std::env::args().nth(3).is_some();
    let levels = if clean {
        CorruptionLevels {
            player_sigma_ft: 0.0,
            puck_sigma_ft: 0.0,
            puck_dropout_start: 0.0,
            id_switches_per_minute: 0.0,
            missed_player_share: 0.0,
            ..Default::default()
        }
    } else {
        CorruptionLevels::default()
    };
    let run = engine_only(GameConfig::new(seed), levels);
    for c in &run.scores.categories {
        println!(
            "{:<20} t{:>5} d{:>5} m{:>5} P{:.2} R{:.2}",
            c.category, c.truth, c.derived, c.matched, c.precision, c.recall
        );
    }
    println!("{:?}", run.scores.shot_outcomes);
    if std::env::var("FALSEPOS").is_ok() {
        for e in run.derived.iter().filter(|e| e.event_type.as_str() == kind) {
            let tt = e.media_time_ms.unwrap().0;
            if run.truth.iter().any(|t| {
                t.event_type == e.event_type
                    && t.media_time_ms.unwrap().0.abs_diff(tt) <= 1000
                    && t.team == e.team
            }) {
                continue;
            }
            println!(
                "FALSE {} {:?} t={} team={:?}",
                e.event_type.as_str(),
                e.detail1.as_ref().map(|d| d.as_str().to_owned()),
                tt,
                e.team
            );
            for x in run.truth.iter().filter(|x| {
                x.media_time_ms.unwrap().0.abs_diff(tt) < 4000 && x.event_type != EventType::Pass
            }) {
                println!(
                    "      truth {:>8} {} {:?} {:?}",
                    x.media_time_ms.unwrap().0 as i64 - tt as i64,
                    x.event_type.as_str(),
                    x.detail1.as_ref().map(|d| d.as_str().to_owned()),
                    x.team
                );
            }
        }
        return;
    }
    let mut n = 0;
    for t in run.truth.iter().filter(|e| e.event_type.as_str() == kind) {
        let tt = t.media_time_ms.unwrap().0;
        println!(
            "TRUTH {} {:?} {:?} t={} team={:?} puck={:?}",
            t.event_type.as_str(),
            t.detail1.as_ref().map(|d| d.as_str().to_owned()),
            t.detail2.as_ref().map(|d| d.as_str().to_owned()),
            tt,
            t.team,
            t.puck.map(|p| (p.x_ft() as i32, p.y_ft() as i32))
        );
        for e in run.truth.iter().filter(|e| {
            e.media_time_ms.unwrap().0.abs_diff(tt) < 3000 && e.event_type != EventType::Pass
        }) {
            println!(
                "      truth {:>8} {} {:?} {:?}",
                e.media_time_ms.unwrap().0 as i64 - tt as i64,
                e.event_type.as_str(),
                e.detail1.as_ref().map(|d| d.as_str().to_owned()),
                e.team
            );
        }
        for e in run.derived.iter().filter(|e| {
            e.media_time_ms.unwrap().0.abs_diff(tt) < 3000 && e.event_type != EventType::Pass
        }) {
            println!(
                "      ours  {:>8} {} {:?} {:?}",
                e.media_time_ms.unwrap().0 as i64 - tt as i64,
                e.event_type.as_str(),
                e.detail1.as_ref().map(|d| d.as_str().to_owned()),
                e.team
            );
        }
        n += 1;
        if n >= 1000 {
            break;
        }
    }
}
