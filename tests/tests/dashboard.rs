//! The dashboard in a real browser (headless Chromium through WebDriver) against the cloud
//! service on a real socket and the private PostgreSQL: an anonymous visit is sent to the login
//! page, a wrong password is refused, and after logging in the imported real game 18969 shows the
//! box score VOCABULARY.md gives for it.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::credentials::Role;
use benchsight_cloud::db::{create_tenant, provision_database};
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::users::upsert_user;
use benchsight_core::domain::{Confidence, MediaTimeMs, Period, Source, Team};
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{EventId, GameId, RecordId, Seq, StoreId, TenantId};
use benchsight_core::rink::RinkPoint;
use benchsight_core::tracker::read_tracker_file;
use benchsight_core::vocabulary::{Detail, EventType};
use benchsight_core::wire::{self, Command, CommandAck, EventBatch, Record, RecordChange};
use benchsight_tests::browser::Browser;
use benchsight_tests::cloud::{League, league, pg_admin_url, run_cloud, test_broker};
use tokio_util::sync::CancellationToken;

fn tracker_file(id: u32) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games")
        .join(format!("{id}.json"));
    std::fs::read_to_string(&path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_and_read_the_box_score_of_a_real_game() {
    let admin = pg_admin_url();
    let (_owner, db) = provision_database(&admin, "bs_test_dashboard", "bs_test_service")
        .await
        .unwrap();
    let league = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    create_tenant(&db, &league, "League", &actor).await.unwrap();
    let game = read_tracker_file(&tracker_file(18969), &league).unwrap();
    import_tracker(&db, &league, &game, &actor).await.unwrap();
    upsert_user(
        &db,
        &league,
        "coach",
        Role::Reviewer,
        "correct horse battery",
        &actor,
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve(
        listener,
        AppState::new(db, false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));

    let browser = Browser::start().await;
    browser.client.goto(&format!("{base}/games")).await.unwrap();
    assert!(
        browser.client.current_url().await.unwrap().path() == "/login",
        "an anonymous visit goes to the login page"
    );
    let log_in = |password: &'static str| {
        let browser = &browser;
        async move {
            browser.fill("input[name=tenant]", "league").await;
            browser.fill("input[name=login]", "coach").await;
            browser.fill("input[name=password]", password).await;
            browser.click("#login").await;
        }
    };
    log_in("not the password").await;
    assert!(browser.text(".error").await.contains("Wrong"));
    log_in("correct horse battery").await;
    assert!(browser.text(".who").await.contains("user:coach"));

    browser.click("a[href='/games/18969']").await;
    assert_eq!(browser.text("#score").await, "4 – 3");
    let row = |side: &'static str| {
        let browser = &browser;
        async move {
            let mut line = Vec::new();
            for column in ["goals", "shots", "sog", "missed", "blocked", "fow", "saves"] {
                let css = format!("#box-score tr[data-team={side}] td.{column}");
                line.push(browser.text(&css).await.parse::<u32>().unwrap());
            }
            line
        }
    };
    // (G, shot events, SOG, missed, blocked, faceoff wins, saves) from VOCABULARY.md.
    assert_eq!(row("home").await, [4, 71, 40, 13, 16, 26, 21]);
    assert_eq!(row("away").await, [3, 43, 23, 8, 9, 20, 37]);
    assert!(browser.text("h1.scoreline").await.contains("Platinum"));

    // The event timeline filters by type in the page.
    let select = browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-filter-target=timeline] select[data-filter=type]",
        ))
        .await
        .unwrap();
    select.select_by_value("Goal").await.unwrap();
    let visible: Vec<serde_json::Value> = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#timeline tbody tr')]
                 .filter(r => !r.hidden).map(r => r.dataset.type);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert!(
        !visible.is_empty() && visible.iter().all(|t| t == "Goal"),
        "{visible:?}"
    );

    // What the page looks like, for people reading the test output (not asserted).
    select.select_by_value("").await.unwrap();
    browser
        .client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-game.png"),
        png,
    )
    .unwrap();

    browser.close().await;
    cancel.cancel();
    server.await.unwrap().unwrap();
}

/// A goal of the home team at `second` of the video, as an appliance records it (shot, then goal).
fn appliance_goal(game: &str, second: u64) -> Vec<Record> {
    let event = |n: u64, kind: EventType, detail: Detail| GameEvent {
        event_id: EventId::appliance(1_764_000_000_000 + n, [n as u8; 10]),
        game_id: GameId::parse(game).unwrap(),
        event_type: kind,
        detail1: Some(detail),
        detail2: None,
        team: Some(Team::Home),
        period: Period::FIRST,
        media_time_ms: Some(MediaTimeMs(second * 1000)),
        clock: None,
        zone: None,
        puck: Some(RinkPoint::new(80.0, 4.0).unwrap()),
        players: Vec::new(),
        confidence: Confidence::new(0.8).unwrap(),
        source: Source::Auto,
        evidence: None,
        assist_to_goal: None,
    };
    [
        event(1, EventType::Shot, Detail::SHOT_GOAL),
        event(2, EventType::Goal, Detail::GOAL_SCORED),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, event)| Record {
        seq: Seq::new(i as u64 + 1).unwrap(),
        record_id: RecordId::new(1_764_000_000_000, [i as u8; 10]),
        change: RecordChange::Event(event),
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_start_see_the_ack_then_a_goal_arrives_live_and_a_review_changes_it() {
    let (host, port) = test_broker();
    let League { db, .. } = league("bs_test_dashboard_live", "rink-1").await;

    // The appliance: acknowledges every command, and publishes a goal when told to.
    let mut options =
        rumqttc::MqttOptions::new(format!("rink-1-{}", std::process::id()), &host, port);
    options.set_keep_alive(Duration::from_secs(5));
    let (appliance, mut connection) = rumqttc::Client::new(options, 16);
    appliance
        .subscribe("bs/v1/league/rink-1/cmd", rumqttc::QoS::AtLeastOnce)
        .unwrap();
    {
        let appliance = appliance.clone();
        std::thread::spawn(move || {
            for event in connection.iter() {
                let Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) = event else {
                    if event.is_err() {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    continue;
                };
                let Ok(command) = wire::decode::<Command>(&p.payload) else {
                    continue;
                };
                let ack = wire::encode(&CommandAck {
                    cmd_id: Some(command.cmd_id),
                    ok: true,
                    reason: None,
                })
                .unwrap();
                let _ = appliance.publish(
                    "bs/v1/league/rink-1/cmd_ack",
                    rumqttc::QoS::AtLeastOnce,
                    false,
                    ack,
                );
            }
        });
    }
    let cloud = run_cloud(&db, clip_store(), "dash").await;
    let base = cloud.base.clone();

    let browser = Browser::start().await;
    browser
        .log_in(&base, "league", "boss", "correct horse battery")
        .await;

    // Schedule a game at the North Arena and start it on the rink's appliance.
    browser
        .client
        .goto(&format!("{base}/control"))
        .await
        .unwrap();
    browser
        .fill("#schedule input[name=game_id]", "live-1")
        .await;
    browser
        .fill("#schedule input[name=home_name]", "Nelson")
        .await;
    browser
        .fill("#schedule input[name=away_name]", "Velodrome")
        .await;
    browser
        .client
        .execute(
            "document.querySelector('#schedule input[name=starts_at]').value = '2026-11-25T19:30';",
            vec![],
        )
        .await
        .unwrap();
    browser.click("#schedule button[type=submit]").await;
    let status = "#control-games tr[data-game=live-1] .status";
    browser.wait_text(status, |s| s == "scheduled").await;
    browser
        .click("#control-games tr[data-game=live-1] button.start")
        .await;
    browser.wait_text(status, |s| s == "live").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        browser
            .client
            .goto(&format!("{base}/control"))
            .await
            .unwrap();
        let answer = browser.text("#commands tbody tr .answer").await;
        if answer.starts_with("acknowledged") {
            assert!(
                browser
                    .text("#commands tbody tr")
                    .await
                    .contains("start_game")
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the appliance's ack never showed: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The game page listens; the appliance logs a goal; the page shows it within a second.
    browser
        .client
        .goto(&format!("{base}/games/live-1"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.text("#live-state").await != "live" {
        assert!(Instant::now() < deadline, "the live stream never opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let batch = wire::encode(&EventBatch {
        store: StoreId::from_random_bytes([9; 16]),
        records: appliance_goal("live-1", 754),
    })
    .unwrap();
    let sent = Instant::now();
    appliance
        .publish(
            "bs/v1/league/rink-1/events",
            rumqttc::QoS::AtLeastOnce,
            false,
            batch,
        )
        .unwrap();
    let shown = loop {
        let listed: Vec<serde_json::Value> = browser
            .client
            .execute(
                "return [...document.querySelectorAll('#latest li')].map(li => li.dataset.type);",
                vec![],
            )
            .await
            .unwrap()
            .as_array()
            .cloned()
            .unwrap_or_default();
        if listed.iter().any(|t| t == "Goal") {
            break sent.elapsed();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "the goal never reached the page"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "goal on the live page {} ms after the appliance published it",
        shown.as_millis()
    );
    assert!(shown < Duration::from_secs(1), "{shown:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.text("#score").await != "1 – 0" {
        assert!(Instant::now() < deadline, "the score never became 1 – 0");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The goal (confidence 0.8) waits in the review queue; rejecting it takes it off the score.
    browser
        .client
        .goto(&format!("{base}/review"))
        .await
        .unwrap();
    let goal_row = format!(
        "#queue tr[data-event='{}']",
        appliance_goal("live-1", 754)[1].change_event_id()
    );
    browser.click(&format!("{goal_row} button.reject")).await;
    browser.wait_gone(&goal_row).await;
    browser
        .client
        .goto(&format!("{base}/games/live-1"))
        .await
        .unwrap();
    assert_eq!(
        browser.text("#box-score tr[data-team=home] td.goals").await,
        "0"
    );
    assert_eq!(browser.text("#score").await, "0 – 0");

    browser.close().await;
    cloud.stop().await;
}

/// The event id a record carries.
trait RecordEventId {
    fn change_event_id(&self) -> EventId;
}

impl RecordEventId for Record {
    fn change_event_id(&self) -> EventId {
        match &self.change {
            RecordChange::Event(event) => event.event_id,
            RecordChange::Amendment(amendment) => amendment.event.event_id,
            RecordChange::Retraction(retraction) => retraction.event_id,
        }
    }
}

/// A clip store in a folder that lives as long as the test process.
fn clip_store() -> ClipStore {
    let folder = std::env::temp_dir().join(format!("bs-dash-clips-{}", std::process::id()));
    ClipStore::local(&folder).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_imports_a_tracker_file_and_manages_api_keys_in_the_settings_page() {
    let admin = pg_admin_url();
    let (_owner, db) = provision_database(&admin, "bs_test_dashboard_admin", "bs_test_service")
        .await
        .unwrap();
    let league = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    create_tenant(&db, &league, "League", &actor).await.unwrap();
    for (login, role) in [("boss", Role::Admin), ("coach", Role::Reviewer)] {
        upsert_user(&db, &league, login, role, "correct horse battery", &actor)
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve(
        listener,
        AppState::new(db, false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));

    let browser = Browser::start().await;
    browser
        .log_in(&base, "league", "boss", "correct horse battery")
        .await;
    browser.click("nav a[href='/settings']").await;

    // A tracker save file chosen in the page becomes a game.
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games/19038.json")
        .canonicalize()
        .unwrap();
    let input = browser
        .client
        .find(fantoccini::Locator::Css("#import input[type=file]"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    browser.click("#import button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !browser
        .text("#import-result")
        .await
        .contains("events added")
    {
        assert!(Instant::now() < deadline, "the import never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.click("#import-result a").await;
    assert_eq!(
        browser.client.current_url().await.unwrap().path(),
        "/games/19038"
    );
    assert!(
        !browser
            .text("#box-score tr[data-team=home] td.goals")
            .await
            .is_empty()
    );

    // A key is shown once when created, listed, and revoked from the list.
    browser.click("nav a[href='/settings']").await;
    browser
        .fill("#new-key-form input[name=name]", "league website")
        .await;
    browser.click("#new-key-form button[type=submit]").await;
    let key = browser.text("#new-key code").await;
    assert!(key.starts_with("bsk.league."), "{key}");
    let key_id = key.split('.').nth(2).unwrap().to_owned();
    let row = format!("#keys tr[data-key='{key_id}']");
    assert_eq!(browser.text(&format!("{row} .state")).await, "active");
    browser
        .client
        .goto(&format!("{base}/settings"))
        .await
        .unwrap();
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("#new-key"))
            .await
            .is_err(),
        "the key is shown once"
    );
    browser.click(&format!("{row} button.revoke")).await;
    browser
        .wait_text(&format!("{row} .state"), |s| s.starts_with("revoked"))
        .await;

    // Settings are for admins: a reviewer has no link and is refused the page.
    browser.click("form.logout button").await;
    browser
        .log_in(&base, "league", "coach", "correct horse battery")
        .await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("nav a[href='/settings']"))
            .await
            .is_err()
    );
    browser
        .client
        .goto(&format!("{base}/settings"))
        .await
        .unwrap();
    assert!(browser.text("body").await.contains("role does not allow"));

    browser.close().await;
    cancel.cancel();
    server.await.unwrap().unwrap();
}
