//! A simulated game through the product into the dashboard. The appliance daemon plays the
//! game's rink states (perception simulated as the events evaluation does it: noisy tracks, puck
//! drop-outs, identity switches) and delivers its events through Mosquitto to the ingest worker
//! and the ETL; a clip of a shot — the simulator's footage of that moment — is uploaded with the
//! device token. In headless Chromium the game page then shows the shot map with its locations,
//! plays the clip, and accepting an item of the review queue changes the team's statistics.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::control::{GameAction, Schedule, TeamEntry, control_game, schedule_game};
use benchsight_cloud::db::Database;
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{GameId, TenantId};
use benchsight_core::vocabulary::EventType;
use benchsight_core::wire::RecordChange;
use benchsight_edge::recording::{ClipUploader, HttpClipUploader};
use benchsight_edge::store::ClipJob;
use benchsight_sim::game::GameConfig;
use benchsight_sim::recording::{RenderJob, render_game};
use benchsight_tests::browser::Browser;
use benchsight_tests::cloud::{League, PASSWORD, league, run_cloud, test_broker};
use benchsight_tests::{Appliance, recorded_states, wait_for};

/// The simulated game: its seed, the game-clock length of each of its three periods, and how
/// much faster than real time the appliance plays it.
const SEED: u64 = 9602;
const PERIOD_S: u32 = 60;
const SPEED: f64 = 15.0;
const GAME: &str = "sim-9602";

/// One number from the cloud's tables, as `tenant` sees them.
async fn count(db: &Database, tenant: &TenantId, sql: &'static str) -> i64 {
    let mut tx = db.tenant(tenant).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql)
        .bind(GAME)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_game_shows_its_shot_map_plays_a_clip_and_a_review_changes_its_stats() {
    let (_, port) = test_broker();
    // The shared test broker has its own device ids: a per-process one keeps runs apart.
    let device_name = format!("sim-{}", std::process::id());
    let League {
        db,
        tenant: league,
        actor,
        device_token: token,
        ..
    } = league("bs_test_dashboard_sim", &device_name).await;
    let dir = tempfile::tempdir().unwrap();
    let clips = ClipStore::local(&dir.path().join("cloud-clips")).unwrap();
    let cloud = run_cloud(&db, clips, "sim").await;
    let (base, commands) = (cloud.base.clone(), cloud.commands.clone());

    // The appliance plays the game once the cloud starts it.
    let states = recorded_states(dir.path(), SEED, PERIOD_S);
    let appliance = Appliance::new(dir.path(), "league", &device_name, port, &states, SPEED);
    let mut daemon = appliance.start();
    let team = |name: &str, colour: &str| TeamEntry {
        name: name.into(),
        colour: colour.into(),
    };
    schedule_game(
        &db,
        &league,
        &Schedule {
            game_id: GAME.into(),
            rink_id: "north".into(),
            starts_at: "2026-11-25T19:30:00Z".into(),
            home: team("Nelson", "#c81414"),
            away: team("Velodrome", "#1414c8"),
            period_lengths_s: vec![PERIOD_S; 3],
            home_attacks_right_p1: true,
        },
        &actor,
    )
    .await
    .unwrap();
    let game = GameId::parse(GAME).unwrap();
    // The daemon subscribes to its commands once connected; a start sent before that is lost.
    tokio::time::sleep(Duration::from_secs(2)).await;
    control_game(
        &db,
        Some(&commands),
        &league,
        &game,
        None,
        GameAction::Start,
        &actor,
    )
    .await
    .unwrap();
    let media_ms = last_media_time_ms(&states);
    let started = Instant::now();
    let playing = Duration::from_millis((media_ms as f64 / SPEED) as u64 + 3_000);
    while started.elapsed() < playing {
        assert!(daemon.is_running(), "the appliance stopped");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    control_game(
        &db,
        Some(&commands),
        &league,
        &game,
        None,
        GameAction::End,
        &actor,
    )
    .await
    .unwrap();
    let last = tokio::task::block_in_place(|| {
        wait_for(
            "the appliance's backlog to drain",
            Duration::from_secs(60),
            || {
                let last = appliance.last_seq();
                last > 0 && appliance.acked_through() >= last
            },
        );
        appliance.last_seq()
    });
    let (_, committed) = appliance.committed();
    let events: Vec<GameEvent> = committed
        .iter()
        .filter_map(|r| match &r.change {
            RecordChange::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    eprintln!(
        "the appliance committed {last} records, {} new events",
        events.len()
    );
    assert!(daemon.terminate(Duration::from_secs(20)).is_some());

    // Stored once each, and the ETL has run over them.
    let stored = count(
        &db,
        &league,
        "SELECT count(*) FROM event WHERE game_id = $1",
    )
    .await;
    assert_eq!(stored as usize, events.len());
    let deadline = Instant::now() + Duration::from_secs(15);
    while count(
        &db,
        &league,
        "SELECT count(*) FROM team_game_stats WHERE game_id = $1",
    )
    .await
        < 2
    {
        assert!(Instant::now() < deadline, "the ETL never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let located = count(
        &db,
        &league,
        "SELECT count(*) FROM shot WHERE game_id = $1 AND x_ft IS NOT NULL AND xg IS NOT NULL",
    )
    .await;
    let located_home = count(
        &db,
        &league,
        "SELECT count(*) FROM shot WHERE game_id = $1 AND x_ft IS NOT NULL AND team = 'home'",
    )
    .await;
    assert!(located > 0, "no shot with a location");

    // A clip of the first shot: the simulator's footage up to 2 s after it, as the appliance
    // uploads clips (HTTP PUT with its device token).
    let shot = events
        .iter()
        .filter(|e| e.event_type == EventType::Shot && e.media_time_ms.is_some())
        .min_by_key(|e| e.media_time_ms)
        .expect("the game has shots");
    let until_s = shot.media_time_ms.unwrap().0.div_ceil(1000) as u32 + 2;
    let video = dir.path().join("clip.mp4");
    let mut config = GameConfig::new(SEED);
    config.period_length_s = PERIOD_S;
    let job = RenderJob {
        game: config,
        seconds: until_s,
        profile: "heldout".into(),
        width: 640,
        height: 360,
    };
    tokio::task::block_in_place(|| {
        render_game(&job, &video, &dir.path().join("clip.truth.json"), |_, _| {}).unwrap();
        let mut uploader = HttpClipUploader::new(
            &format!("{base}/device-api/v1/league/{device_name}/clips"),
            Some(token.clone()),
        );
        let clip = ClipJob {
            event_id: shot.event_id,
            window_start_unix_ms: 0,
            window_end_unix_ms: 0,
            path: Some(video.clone()),
            attempts: 0,
        };
        uploader.upload(&clip, &video).unwrap();
    });

    let browser = Browser::start().await;
    browser.log_in(&base, "league", "boss", PASSWORD).await;
    let game_page = format!("{base}/games/{GAME}");
    browser.client.goto(&game_page).await.unwrap();

    // The shot map: one marker per located shot, sized by xG; the team filter keeps the home
    // team's.
    let markers = |script: &'static str| {
        let browser = &browser;
        async move {
            browser
                .client
                .execute(script, vec![])
                .await
                .unwrap()
                .as_u64()
                .unwrap() as i64
        }
    };
    const SHOWN: &str = "return [...document.querySelectorAll('#shot-map circle.shot')]
        .filter(c => c.style.display !== 'none').length;";
    assert_eq!(markers(SHOWN).await, located);
    let radii: Vec<serde_json::Value> = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#shot-map circle.shot')].map(c => c.getAttribute('r'));",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let distinct: std::collections::BTreeSet<String> =
        radii.iter().map(|r| r.to_string()).collect();
    assert!(distinct.len() > 1, "markers not sized by xG: {distinct:?}");
    browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-filter-target=shot-map] select[data-filter=team]",
        ))
        .await
        .unwrap()
        .select_by_value("home")
        .await
        .unwrap();
    assert_eq!(markers(SHOWN).await, located_home);

    // What the page looks like, for the README and people reading the test output (not
    // asserted): docs/dashboard.png is a copy.
    browser
        .client
        .execute(
            "document.querySelector('#box-score').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-simulated-game.png"),
        png,
    )
    .unwrap();

    // The clip plays in the page's player.
    browser
        .click(&format!(
            "#timeline tr[data-event='{}'] button.play",
            shot.event_id
        ))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let playback = loop {
        let state = browser
            .client
            .execute(
                "const v = document.getElementById('clip');
                 return [v.currentTime, v.videoWidth, v.error ? v.error.code : 0];",
                vec![],
            )
            .await
            .unwrap();
        let state = state.as_array().unwrap().clone();
        assert_eq!(state[2], 0, "the player failed: {state:?}");
        if state[0].as_f64().unwrap() > 0.5 {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "the clip never played: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(playback[1], 640, "{playback:?}");

    // The review queue holds the game's doubtful events; accepting one takes it off its team's
    // provisional figures.
    let pending = |side: &'static str| {
        let browser = &browser;
        async move {
            browser
                .text(&format!("#box-score tr[data-team={side}] td.pending"))
                .await
                .parse::<u32>()
                .unwrap()
        }
    };
    browser.client.goto(&game_page).await.unwrap();
    let before = (pending("home").await, pending("away").await);
    assert!(before.0 + before.1 > 0, "no event awaits review");
    browser
        .client
        .goto(&format!("{base}/review"))
        .await
        .unwrap();
    let reviewed: String = browser
        .client
        .execute(
            "return document.querySelector('#queue tr[data-event]').dataset.event;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    browser
        .click(&format!("#queue tr[data-event='{reviewed}'] button.accept"))
        .await;
    browser
        .wait_gone(&format!("#queue tr[data-event='{reviewed}']"))
        .await;
    let side = events
        .iter()
        .find(|e| e.event_id.to_string() == reviewed)
        .and_then(|e| e.team)
        .map(|t| match t {
            benchsight_core::domain::Team::Home => "home",
            benchsight_core::domain::Team::Away => "away",
        });
    browser.client.goto(&game_page).await.unwrap();
    let after = (pending("home").await, pending("away").await);
    match side {
        Some("home") => assert_eq!(after, (before.0 - 1, before.1)),
        Some(_) => assert_eq!(after, (before.0, before.1 - 1)),
        None => assert_eq!(after, before, "an event of no team counts for neither"),
    }
    eprintln!(
        "{located} located shots, clip of {until_s} s played, review items per team {before:?} → {after:?}"
    );

    browser.close().await;
    cloud.stop().await;
}

/// The media time of the last rink state in a recorded-states file.
fn last_media_time_ms(states: &std::path::Path) -> u64 {
    let text = std::fs::read_to_string(states).unwrap();
    let last = text.lines().last().unwrap();
    let state: serde_json::Value = serde_json::from_str(last).unwrap();
    state["media_time_ms"].as_u64().unwrap()
}
