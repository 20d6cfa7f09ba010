//! The HTTP API served on a real socket over the private PostgreSQL: logging in, the games list,
//! the imported game 18969's box score as VOCABULARY.md gives it, events and shots, the OpenAPI
//! document, metrics — and broken object-level authorisation: every route of the OpenAPI
//! document walked with one tenant's credentials and the other tenant's ids answers 404.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::control::CommandSender;
use benchsight_cloud::credentials::{Role, create_api_key};
use benchsight_cloud::db::create_tenant;
use benchsight_cloud::etl::recompute_game;
use benchsight_cloud::events::{Origin, insert_events};
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::provision::{BrokerFiles, create_device, create_rink};
use benchsight_cloud::users::upsert_user;
use benchsight_cloud::worker::{IngestSettings, run_ingest};
use benchsight_core::domain::Rgb;
use benchsight_core::domain::{Confidence, MediaTimeMs, Period, Source, Team};
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{DeviceId, EventId, GameId, RinkId, TenantId};
use benchsight_core::rink::RinkPoint;
use benchsight_core::tracker::read_tracker_file;
use benchsight_core::vocabulary::{Detail, EventType};
use benchsight_core::wire::{Command, CommandAck, CommandBody};
use serde_json::Value;
use support::{fresh_database, tracker_file};
use tokio_util::sync::CancellationToken;

/// A blocking HTTP client that reports every status instead of failing on 4xx / 5xx.
struct Client {
    agent: ureq::Agent,
    base: String,
}

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    set_cookie: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Client {
    fn new(base: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self { agent, base }
    }

    fn send(&self, method: &str, path: &str, auth: &Auth, body: Option<&Value>) -> Answer {
        let url = format!("{}{path}", self.base);
        let request = ureq::http::Request::builder().method(method).uri(&url);
        let request = match auth {
            Auth::None => request,
            Auth::Key(key) => request.header("Authorization", format!("Bearer {key}")),
            Auth::Cookie(cookie) => request.header("Cookie", cookie.as_str()),
        };
        let mut response = match body {
            Some(body) => self
                .agent
                .run(
                    request
                        .header("Content-Type", "application/json")
                        .body(body.to_string())
                        .unwrap(),
                )
                .unwrap(),
            None => self.agent.run(request.body(()).unwrap()).unwrap(),
        };
        Answer {
            status: response.status().as_u16(),
            set_cookie: response
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.body_mut().read_to_string().unwrap(),
        }
    }

    fn get(&self, path: &str, auth: &Auth) -> Answer {
        self.send("GET", path, auth, None)
    }
}

enum Auth {
    None,
    Key(String),
    Cookie(String),
}

#[test]
fn the_api_serves_a_tenant_its_own_games_and_nothing_of_another() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (league, other) = (
        TenantId::parse("league").unwrap(),
        TenantId::parse("other").unwrap(),
    );
    let actor = Actor::new("test");
    let (db, key_a, key_b) = runtime.block_on(async {
        let (_owner, db) = fresh_database("api").await;
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        create_tenant(&db, &other, "Other", &actor).await.unwrap();
        let game = read_tracker_file(&tracker_file(18969), &league).unwrap();
        import_tracker(&db, &league, &game, &actor).await.unwrap();
        let game = read_tracker_file(&tracker_file(19038), &other).unwrap();
        import_tracker(&db, &other, &game, &actor).await.unwrap();
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
        let (_, key_a) = create_api_key(&db, &league, "site", Role::Viewer, &actor)
            .await
            .unwrap();
        let (_, key_b) = create_api_key(&db, &other, "site", Role::Viewer, &actor)
            .await
            .unwrap();
        (db, key_a, key_b)
    });
    let cancel = CancellationToken::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let server = runtime.spawn(serve(
        listener,
        AppState::new(db, false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));
    let client = Client::new(format!("http://{address}"));
    let a = Auth::Key(key_a.clone());

    // Logging in: a wrong password is refused, the right one sets an HttpOnly, SameSite cookie.
    let login = |password: &str| {
        let body = serde_json::json!({"tenant": "league", "login": "coach", "password": password});
        client.send("POST", "/api/v1/session", &Auth::None, Some(&body))
    };
    assert_eq!(login("wrong password").status, 401);
    let logged_in = login("correct horse battery");
    assert_eq!(logged_in.status, 200, "{}", logged_in.body);
    let cookie = logged_in.set_cookie.clone().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = Auth::Cookie(cookie.split(';').next().unwrap().to_owned());
    let me = client.get("/api/v1/session", &session).json();
    assert_eq!(
        (me["actor"].as_str(), me["role"].as_str()),
        (Some("user:coach"), Some("reviewer"))
    );
    assert!(me["csrf_token"].as_str().is_some_and(|t| t.len() == 48));

    // The games list and 18969's box score, as VOCABULARY.md has it.
    let games = client.get("/api/v1/games", &session).json();
    let games = games.as_array().unwrap();
    assert_eq!(games.len(), 1, "only the league's own game: {games:?}");
    assert_eq!(games[0]["game_id"], "18969");
    assert_eq!(
        (
            games[0]["home"]["goals"].as_i64(),
            games[0]["away"]["goals"].as_i64()
        ),
        (Some(4), Some(3))
    );
    assert_eq!(
        client
            .get("/api/v1/games?status=final", &a)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        client
            .get("/api/v1/games?status=live", &a)
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(client.get("/api/v1/games?date=yesterday", &a).status, 400);
    let game = client.get("/api/v1/games/18969", &a).json();
    let teams = game["box_score"]["teams"].as_array().unwrap();
    let line = |t: &Value| {
        let s = &t["stats"];
        [
            "goals",
            "shot_events",
            "shots_on_goal",
            "missed",
            "blocked",
            "faceoff_wins",
            "saves",
        ]
        .map(|k| s[k].as_u64().unwrap())
    };
    assert_eq!(line(&teams[0]), [4, 71, 40, 13, 16, 26, 21], "{}", teams[0]);
    assert_eq!(line(&teams[1]), [3, 43, 23, 8, 9, 20, 37], "{}", teams[1]);
    let periods = game["periods"].as_array().unwrap();
    let sum = |side: &str| {
        periods
            .iter()
            .map(|p| p[side].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!((sum("home"), sum("away")), (4, 3));
    let goals = client
        .get("/api/v1/games/18969/events?type=Goal", &a)
        .json();
    assert!(!goals.as_array().unwrap().is_empty());
    assert!(
        goals
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] == "Goal")
    );
    let shots = client.get("/api/v1/games/18969/shots", &a).json();
    assert_eq!(shots.as_array().unwrap().len(), 71 + 43);

    // Broken object-level authorisation: every route of the document, with the other tenant's
    // game id, answers 404 to both tenants' keys; without credentials, 401.
    let document = client.get("/openapi.json", &Auth::None).json();
    let paths = document["paths"].as_object().unwrap();
    for expected in [
        "/api/v1/games/{game_id}",
        "/api/v1/games/{game_id}/shots",
        "/api/v1/devices",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} missing from /openapi.json"
        );
    }
    let mut walked = 0;
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            if method != "get" || !path.starts_with("/api/") || path == "/api/v1/session" {
                continue;
            }
            walked += 1;
            assert_eq!(
                client.get(path, &Auth::None).status,
                401,
                "{path} without credentials"
            );
            if !path.contains("{game_id}") {
                continue;
            }
            for (auth, foreign) in [(&a, "19038"), (&Auth::Key(key_b.clone()), "18969")] {
                let answer = client.get(&path.replace("{game_id}", foreign), auth);
                assert_eq!(answer.status, 404, "{path} with {foreign}: {}", answer.body);
            }
        }
    }
    assert!(walked >= 6, "walked {walked} routes");

    // Throttling: after five failures in a row the user's logins are refused for a while,
    // the right password included.
    for _ in 0..4 {
        assert_eq!(login("wrong again").status, 401);
    }
    assert_eq!(login("wrong again").status, 401);
    assert_eq!(login("correct horse battery").status, 429);

    // Logging out ends the session on the server.
    assert_eq!(
        client
            .send("DELETE", "/api/v1/session", &session, None)
            .status,
        204
    );
    assert_eq!(client.get("/api/v1/session", &session).status, 401);

    let metrics = client.get("/metrics", &Auth::None).body;
    assert!(metrics.contains(
        "benchsight_http_requests_total{method=\"GET\",route=\"/api/v1/games/{game_id}\",status=\"4xx\"}"
    ), "{metrics}");
    assert_eq!(client.get("/healthz", &Auth::None).status, 200);
    assert_eq!(
        client.get("/readyz", &Auth::None).status,
        503,
        "no broker on port 1"
    );

    cancel.cancel();
    runtime.block_on(server).unwrap().unwrap();
}

/// An appliance-like event of game `g1` at `second` of the video.
fn auto_event(
    n: u8,
    kind: EventType,
    detail: Detail,
    team: Team,
    second: u64,
    confidence: f64,
) -> GameEvent {
    GameEvent {
        event_id: EventId::appliance(1_764_000_000_000 + u64::from(n), [n; 10]),
        game_id: GameId::parse("g1").unwrap(),
        event_type: kind,
        detail1: Some(detail),
        detail2: None,
        team: Some(team),
        period: Period::FIRST,
        media_time_ms: Some(MediaTimeMs(second * 1000)),
        clock: None,
        zone: None,
        puck: Some(RinkPoint::new(70.0, 5.0).unwrap()),
        players: vec![],
        confidence: Confidence::new(confidence).unwrap(),
        source: Source::Auto,
        evidence: None,
        assist_to_goal: None,
    }
}

/// Reads a Server-Sent Events stream on a thread; each `data:` line of a `game` event arrives
/// on the channel as JSON.
fn live_stream(base: &str, key: &str, game: &str) -> std::sync::mpsc::Receiver<Value> {
    use std::io::BufRead;
    let (send, receive) = std::sync::mpsc::channel();
    let agent = ureq::Agent::config_builder().build().new_agent();
    let mut response = agent
        .get(format!("{base}/api/v1/games/{game}/live"))
        .header("Authorization", format!("Bearer {key}"))
        .call()
        .unwrap();
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    std::thread::spawn(move || {
        let reader = std::io::BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            let data = line.strip_prefix("data: ").or(line.strip_prefix("data:"));
            if let Some(data) = data
                && send.send(serde_json::from_str(data).unwrap()).is_err()
            {
                return;
            }
        }
    });
    receive
}

#[test]
fn reviews_recompute_the_game_reach_the_live_page_and_stop_at_the_lock() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let league = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    let saved = auto_event(
        1,
        EventType::Shot,
        Detail::SHOT_ON_NET_SAVED,
        Team::Home,
        10,
        0.95,
    );
    let doubtful = [
        auto_event(2, EventType::Shot, Detail::SHOT_GOAL, Team::Home, 20, 0.8),
        auto_event(3, EventType::Goal, Detail::GOAL_SCORED, Team::Home, 20, 0.8),
    ];
    let hidden = [
        auto_event(4, EventType::Shot, Detail::SHOT_GOAL, Team::Away, 40, 0.6),
        auto_event(5, EventType::Goal, Detail::GOAL_SCORED, Team::Away, 40, 0.6),
    ];
    let (db, reviewer, viewer, admin) = runtime.block_on(async {
        let (_owner, db) = fresh_database("review").await;
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        let mut tx = db.tenant(&league).await.unwrap();
        sqlx::query(
            "INSERT INTO game (tenant_id, game_id, period_lengths_s, status, source)
             VALUES ('league', 'g1', '{1200,1200,1200}', 'live', 'auto')",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let all: Vec<GameEvent> = [saved.clone()]
            .into_iter()
            .chain(doubtful.iter().cloned())
            .chain(hidden.iter().cloned())
            .collect();
        insert_events(&mut tx, &league, &all, None).await.unwrap();
        recompute_game(&mut tx, &league, &GameId::parse("g1").unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let key = |role| create_api_key(&db, &league, "k", role, &actor);
        let (reviewer, viewer, admin) = (
            key(Role::Reviewer).await.unwrap().1,
            key(Role::Viewer).await.unwrap().1,
            key(Role::Admin).await.unwrap().1,
        );
        upsert_user(
            &db,
            &league,
            "ref",
            Role::Reviewer,
            "correct horse battery",
            &actor,
        )
        .await
        .unwrap();
        (db, reviewer, viewer, admin)
    });
    let cancel = CancellationToken::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = runtime.spawn(serve(
        listener,
        AppState::new(db.clone(), false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));
    let client = Client::new(base.clone());
    let score = || {
        let game = client
            .get("/api/v1/games/g1", &Auth::Key(viewer.clone()))
            .json();
        (
            game["home"]["goals"].as_i64().unwrap(),
            game["away"]["goals"].as_i64().unwrap(),
        )
    };
    assert_eq!(score(), (1, 0), "the 0.8 goal counts, the 0.6 one does not");
    let queue = client
        .get(
            "/api/v1/games/g1/events?review=needs_review",
            &Auth::Key(viewer.clone()),
        )
        .json();
    assert_eq!(queue.as_array().unwrap().len(), 2, "{queue}");

    let live = live_stream(&base, &viewer, "g1");
    let first = live.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (first["home_goals"].as_i64(), first["away_goals"].as_i64()),
        (Some(1), Some(0))
    );

    let review = |key: &str, event: &GameEvent, body: Value| {
        client.send(
            "POST",
            &format!("/api/v1/games/g1/events/{}/review", event.event_id),
            &Auth::Key(key.to_owned()),
            Some(&body),
        )
    };
    let accept = serde_json::json!({"decision": "accept"});
    assert_eq!(
        review(&viewer, &hidden[1], accept.clone()).status,
        403,
        "viewers do not review"
    );
    // Accepting the hidden goal (and its shot) makes it count; the live page hears it at once.
    let started = Instant::now();
    assert_eq!(review(&reviewer, &hidden[0], accept.clone()).status, 204);
    assert_eq!(review(&reviewer, &hidden[1], accept.clone()).status, 204);
    let update = loop {
        let update = live.recv_timeout(Duration::from_secs(5)).unwrap();
        if update["away_goals"] == 1 {
            break update;
        }
    };
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(update["events"].as_array().unwrap().iter().any(
        |e| e["review_status"] == "accepted" && e["event_id"] == hidden[1].event_id.to_string()
    ));
    assert_eq!(score(), (1, 1));

    // Rejecting the doubtful goal takes it off; an edit gives the saved shot to the away team;
    // a missed away goal is added as its shot and its goal.
    let reject = serde_json::json!({"decision": "reject"});
    assert_eq!(review(&reviewer, &doubtful[1], reject).status, 204);
    assert_eq!(score(), (0, 1));
    let edit =
        serde_json::json!({"decision": "edit", "edit": {"team": "away", "actor_number": 17}});
    assert_eq!(review(&reviewer, &saved, edit).status, 204);
    let shots = client
        .get("/api/v1/games/g1/shots", &Auth::Key(viewer.clone()))
        .json();
    let edited = shots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["event_id"] == saved.event_id.to_string())
        .unwrap();
    assert_eq!(
        (edited["team"].as_str(), edited["shooter"].as_i64()),
        (Some("away"), Some(17))
    );
    let missed = serde_json::json!({"type": "Goal", "team": "away", "period": 2,
        "media_time_ms": 1_500_000, "actor_number": 9});
    let added = client.send(
        "POST",
        "/api/v1/games/g1/events",
        &Auth::Key(reviewer.clone()),
        Some(&missed),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json()["event_ids"].as_array().unwrap().len(), 2);
    assert_eq!(score(), (0, 2));
    let bad = serde_json::json!({"type": "Penalty", "team": "home", "period": 1,
        "media_time_ms": 5000, "penalty_minutes": 3});
    assert_eq!(
        client
            .send(
                "POST",
                "/api/v1/games/g1/events",
                &Auth::Key(reviewer.clone()),
                Some(&bad)
            )
            .status,
        400
    );

    // A session must send its CSRF token to write.
    let login = serde_json::json!({"tenant": "league", "login": "ref", "password": "correct horse battery"});
    let session = client.send("POST", "/api/v1/session", &Auth::None, Some(&login));
    let cookie = Auth::Cookie(
        session
            .set_cookie
            .clone()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    );
    let path = format!("/api/v1/games/g1/events/{}/review", doubtful[0].event_id);
    assert_eq!(
        client.send("POST", &path, &cookie, Some(&accept)).status,
        403,
        "no CSRF token"
    );

    // Finalising: refused for a reviewer and for a score the events do not give; then locked.
    let finalise = |key: &str, home: u32, away: u32| {
        client.send(
            "POST",
            "/api/v1/games/g1/finalise",
            &Auth::Key(key.to_owned()),
            Some(&serde_json::json!({"home": home, "away": away})),
        )
    };
    assert_eq!(finalise(&reviewer, 0, 2).status, 403);
    let wrong = finalise(&admin, 1, 2);
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("0–2"), "{}", wrong.body);
    assert_eq!(finalise(&admin, 0, 2).status, 204);
    assert_eq!(
        review(&reviewer, &doubtful[0], accept).status,
        409,
        "a final game is locked"
    );
    assert_eq!(
        client
            .get("/api/v1/games/g1", &Auth::Key(viewer.clone()))
            .json()["status"],
        "final"
    );

    let actions: Vec<String> = runtime.block_on(async {
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'event.%' OR action LIKE 'game.%' ORDER BY audit_id")
            .fetch_all(&mut *db.tenant(&league).await.unwrap())
            .await
            .unwrap()
    });
    assert_eq!(
        actions,
        [
            "event.accept",
            "event.accept",
            "event.reject",
            "event.edit",
            "event.add",
            "game.finalise"
        ]
    );
    cancel.cancel();
    drop(live);
    runtime.block_on(server).unwrap().unwrap();
}

/// A clip store in a folder that lives as long as the test process.
fn clip_store() -> ClipStore {
    let folder = std::env::temp_dir().join(format!("bs-clips-{}", std::process::id()));
    ClipStore::local(&folder).unwrap()
}

#[test]
fn a_device_uploads_clips_of_its_own_events_people_play_them_by_range_and_retention_prunes_them() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (league, other) = (
        TenantId::parse("league").unwrap(),
        TenantId::parse("other").unwrap(),
    );
    let actor = Actor::new("test");
    let passwords = tempfile::tempdir().unwrap();
    let files = BrokerFiles {
        passwords: passwords.path().join("passwd"),
        pid_file: None,
    };
    let (rink1, rink2) = (
        DeviceId::parse("rink-1").unwrap(),
        DeviceId::parse("rink-2").unwrap(),
    );
    let goal = auto_event(
        1,
        EventType::Goal,
        Detail::GOAL_SCORED,
        Team::Home,
        30,
        0.95,
    );
    let (db, token1, token2, admin, foreign) = runtime.block_on(async {
        let (_owner, db) = fresh_database("clips").await;
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        create_tenant(&db, &other, "Other", &actor).await.unwrap();
        let token1 = create_device(&db, &league, &rink1, None, &files, &actor).await.unwrap();
        let token2 = create_device(&db, &league, &rink2, None, &files, &actor).await.unwrap();
        let mut tx = db.tenant(&league).await.unwrap();
        sqlx::query(
            "INSERT INTO game (tenant_id, game_id, period_lengths_s, status, source)
             VALUES ('league', 'g1', '{1200,1200,1200}', 'live', 'auto')",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let store = uuid::Uuid::from_u128(7);
        sqlx::query("INSERT INTO device_store (tenant_id, device_id, store_id) VALUES ('league', 'rink-1', $1)")
            .bind(store)
            .execute(&mut *tx)
            .await
            .unwrap();
        let origin = Origin { device: "rink-1", store, seqs: &[1] };
        insert_events(&mut tx, &league, std::slice::from_ref(&goal), Some(origin)).await.unwrap();
        tx.commit().await.unwrap();
        let admin = create_api_key(&db, &league, "k", Role::Admin, &actor).await.unwrap().1;
        let foreign = create_api_key(&db, &other, "k", Role::Admin, &actor).await.unwrap().1;
        (db, token1, token2, admin, foreign)
    });
    let clips = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let store = ClipStore::local(clips.path()).unwrap();
    let server = runtime.spawn(serve(
        listener,
        AppState::new(db.clone(), false, ("127.0.0.1".into(), 1), store.clone()),
        cancel.clone(),
    ));
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let video: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let upload = |device: &str, token: &str| {
        agent
            .put(format!(
                "{base}/device-api/v1/league/{device}/clips/{}",
                goal.event_id
            ))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "video/mp2t")
            .send(&video[..])
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(upload("rink-1", "not-the-token"), 401);
    assert_eq!(upload("rink-2", &token2), 404, "another device's event");
    assert_eq!(upload("rink-1", &token1), 204);
    // A device token opens no other route.
    let client = Client::new(base.clone());
    assert_eq!(
        client
            .get("/api/v1/games", &Auth::Key(token1.clone()))
            .status,
        401
    );

    let play = |key: &str, range: Option<&str>| {
        let mut request = agent
            .get(format!("{base}/api/v1/clips/{}", goal.event_id))
            .header("Authorization", format!("Bearer {key}"));
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        let content_range = response
            .headers()
            .get("content-range")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            status,
            content_range,
            response.body_mut().read_to_vec().unwrap(),
        )
    };
    let (status, _, whole) = play(&admin, None);
    assert_eq!((status, whole.len()), (200, video.len()));
    assert_eq!(whole, video);
    let (status, range, part) = play(&admin, Some("bytes=1000-1099"));
    assert_eq!(
        (status, range.as_deref()),
        (206, Some("bytes 1000-1099/10000"))
    );
    assert_eq!(part, &video[1000..1100]);
    let (status, _, tail) = play(&admin, Some("bytes=-5"));
    assert_eq!((status, tail.as_slice()), (206, &video[9995..]));
    assert_eq!(play(&admin, Some("bytes=20000-20010")).0, 416);
    assert_eq!(play(&foreign, None).0, 404, "another tenant's clip");

    // Retention: one day; a clip uploaded two days ago is pruned, bytes and row.
    let settings = serde_json::json!({"clip_retention_days": 1});
    let put = client.send(
        "PUT",
        "/api/v1/settings",
        &Auth::Key(admin.clone()),
        Some(&settings),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let zero = serde_json::json!({"clip_retention_days": 0});
    assert_eq!(
        client
            .send(
                "PUT",
                "/api/v1/settings",
                &Auth::Key(admin.clone()),
                Some(&zero)
            )
            .status,
        400
    );
    let pruned = runtime.block_on(async {
        assert_eq!(store.prune(&db).await.unwrap(), 0, "a fresh clip stays");
        let mut tx = db.tenant(&league).await.unwrap();
        sqlx::query("UPDATE clip SET uploaded_at = now() - interval '2 days'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        store.prune(&db).await.unwrap()
    });
    assert_eq!(pruned, 1);
    assert_eq!(play(&admin, None).0, 404);
    let left: Vec<_> = walk(clips.path());
    assert!(left.is_empty(), "{left:?}");

    cancel.cancel();
    runtime.block_on(server).unwrap().unwrap();
}

/// The files under `folder`.
fn walk(folder: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_game_is_scheduled_started_on_its_rinks_appliance_and_the_ack_is_shown() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let league = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    let host = std::env::var("BENCHSIGHT_TEST_MQTT_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = std::env::var("BENCHSIGHT_TEST_MQTT_PORT")
        .expect("BENCHSIGHT_TEST_MQTT_PORT (run the tests with `make test`)")
        .parse()
        .unwrap();
    let passwords = tempfile::tempdir().unwrap();
    let files = BrokerFiles {
        passwords: passwords.path().join("passwd"),
        pid_file: None,
    };
    let (db, admin, viewer) = runtime.block_on(async {
        let (_owner, db) = fresh_database("control").await;
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        let rink = RinkId::parse("north").unwrap();
        create_rink(&db, &league, &rink, "North Arena", &actor)
            .await
            .unwrap();
        let device = DeviceId::parse("rink-1").unwrap();
        create_device(&db, &league, &device, Some(&rink), &files, &actor)
            .await
            .unwrap();
        let admin = create_api_key(&db, &league, "k", Role::Admin, &actor)
            .await
            .unwrap()
            .1;
        let viewer = create_api_key(&db, &league, "k", Role::Viewer, &actor)
            .await
            .unwrap()
            .1;
        (db, admin, viewer)
    });
    let cancel = CancellationToken::new();
    // The appliance's side: its command topic.
    let mut options =
        rumqttc::MqttOptions::new(format!("appliance-{}", std::process::id()), &host, port);
    options.set_keep_alive(Duration::from_secs(5));
    let (device_client, mut device_loop) = rumqttc::Client::new(options, 16);
    device_client
        .subscribe("bs/v1/league/rink-1/cmd", rumqttc::QoS::AtLeastOnce)
        .unwrap();
    let (commands_in, commands) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for event in device_loop.iter() {
            match event {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    if commands_in.send(p.payload.to_vec()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    // The cloud: the ingest worker (which records acks) and the API with its command sender.
    let worker = runtime.spawn(run_ingest(
        db.clone(),
        IngestSettings {
            host: host.clone(),
            port,
            credentials: None,
            share_group: format!("control{}", std::process::id()),
            client_id: format!("ingest-control-{}", std::process::id()),
            etl_debounce: Duration::from_millis(200),
        },
        cancel.clone(),
    ));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(db.clone(), false, (host.clone(), port), clip_store());
    state.commands = Some(runtime.block_on(async {
        CommandSender::connect(
            &host,
            port,
            None,
            &format!("api-{}", std::process::id()),
            cancel.clone(),
        )
    }));
    let server = runtime.spawn(serve(listener, state, cancel.clone()));
    let client = Client::new(base);
    let (a, v) = (Auth::Key(admin), Auth::Key(viewer));

    let schedule = serde_json::json!({"game_id": "g-2026-11-25", "rink_id": "north",
        "starts_at": "2026-11-25T19:30:00Z", "home": {"name": "Nelson", "colour": "#c8102e"},
        "away": {"name": "Velodrome", "colour": "#003087"}});
    assert_eq!(
        client
            .send("POST", "/api/v1/games", &v, Some(&schedule))
            .status,
        403
    );
    let scheduled = client.send("POST", "/api/v1/games", &a, Some(&schedule));
    assert_eq!(scheduled.status, 201, "{}", scheduled.body);
    let bad = serde_json::json!({"game_id": "g2", "rink_id": "north", "starts_at": "tonight",
        "home": {"name": "A", "colour": "#000000"}, "away": {"name": "B", "colour": "#ffffff"}});
    assert_eq!(
        client.send("POST", "/api/v1/games", &a, Some(&bad)).status,
        400
    );
    let listed = client
        .get("/api/v1/games?date=2026-11-25&status=scheduled", &v)
        .json();
    assert_eq!(listed[0]["home"]["name"], "Nelson");

    let started = client.send(
        "POST",
        "/api/v1/games/g-2026-11-25/start",
        &a,
        Some(&serde_json::json!({})),
    );
    assert_eq!(started.status, 202, "{}", started.body);
    let sent = started.json();
    assert_eq!(sent["device_id"], "rink-1", "the rink's appliance");
    let payload = commands.recv_timeout(Duration::from_secs(10)).unwrap();
    let command: Command = benchsight_core::wire::decode(&payload).unwrap();
    let CommandBody::StartGame(start) = &command.command else {
        panic!("{command:?}")
    };
    assert_eq!(
        (start.home.name.as_str(), start.away.name.as_str()),
        ("Nelson", "Velodrome")
    );
    assert_eq!(start.home.colour, Rgb::parse("#c8102e").unwrap());
    assert_eq!(command.cmd_id.to_string(), sent["cmd_id"].as_str().unwrap());
    assert_eq!(
        client.get("/api/v1/games/g-2026-11-25", &v).json()["status"],
        "live"
    );
    assert_eq!(
        client
            .send(
                "POST",
                "/api/v1/games/g-2026-11-25/start",
                &a,
                Some(&serde_json::json!({}))
            )
            .status,
        409
    );

    // The appliance answers; the ingest worker records it and the API shows it.
    let ack = benchsight_core::wire::encode(&CommandAck {
        cmd_id: Some(command.cmd_id),
        ok: true,
        reason: None,
    })
    .unwrap();
    device_client
        .publish(
            "bs/v1/league/rink-1/cmd_ack",
            rumqttc::QoS::AtLeastOnce,
            false,
            ack,
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = client.get("/api/v1/devices/rink-1/commands", &v).json();
        if listed[0]["ok"] == true {
            assert_eq!(listed[0]["body"]["type"], "start_game");
            break;
        }
        assert!(Instant::now() < deadline, "no ack shown: {listed}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        client.get("/api/v1/devices/rink-9/commands", &v).status,
        404
    );

    let ended = client.send(
        "POST",
        "/api/v1/games/g-2026-11-25/end",
        &a,
        Some(&serde_json::json!({})),
    );
    assert_eq!(ended.status, 202, "{}", ended.body);
    let payload = commands.recv_timeout(Duration::from_secs(10)).unwrap();
    let command: Command = benchsight_core::wire::decode(&payload).unwrap();
    assert!(matches!(command.command, CommandBody::EndGame { .. }));
    assert_eq!(
        client.get("/api/v1/games/g-2026-11-25", &v).json()["status"],
        "ended"
    );

    cancel.cancel();
    runtime.block_on(server).unwrap().unwrap();
    runtime.block_on(worker).unwrap().unwrap();
}

/// A body each write route accepts, so that only the foreign id can make it fail.
fn plausible_body(method: &str, path: &str) -> Option<Value> {
    let pair = |x: f64, y: f64| serde_json::json!({"image": {"x_px": x, "y_px": y}, "rink": {"x_ft": x / 10.0, "y_ft": y / 10.0}});
    Some(match (method, path) {
        ("post", "/api/v1/games/{game_id}/events/{event_id}/review") => {
            serde_json::json!({"decision": "accept"})
        }
        ("post", "/api/v1/games/{game_id}/events") => {
            serde_json::json!({"type": "Goal", "team": "home", "period": 1, "media_time_ms": 1000})
        }
        ("post", "/api/v1/games/{game_id}/finalise") => serde_json::json!({"home": 0, "away": 0}),
        ("post", "/api/v1/games/{game_id}/start" | "/api/v1/games/{game_id}/end") => {
            serde_json::json!({})
        }
        ("post", "/api/v1/devices/{device_id}/calibration") => serde_json::json!({"camera": "main",
            "pairs": [pair(0.0, 0.0), pair(100.0, 0.0), pair(100.0, 100.0), pair(0.0, 100.0)]}),
        ("delete", "/api/v1/api-keys/{key_id}") => serde_json::json!({}),
        ("post", "/api/v1/api-keys") => serde_json::json!({"name": "walk", "role": "viewer"}),
        ("put", "/api/v1/settings") => serde_json::json!({"clip_retention_days": 30}),
        ("post", "/api/v1/imports") => serde_json::json!({"gameId": 1}),
        ("post", "/api/v1/games") => serde_json::json!({"game_id": "walk", "rink_id": "north",
            "starts_at": "2026-11-25T19:30:00Z", "home": {"name": "A", "colour": "#ff0000"},
            "away": {"name": "B", "colour": "#0000ff"}}),
        _ => return None,
    })
}

#[test]
fn every_write_route_and_device_token_refuses_another_tenants_ids() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (league, other) = (
        TenantId::parse("league").unwrap(),
        TenantId::parse("other").unwrap(),
    );
    let actor = Actor::new("test");
    let passwords = tempfile::tempdir().unwrap();
    let files = BrokerFiles {
        passwords: passwords.path().join("passwd"),
        pid_file: None,
    };
    let device = DeviceId::parse("rink-1").unwrap();
    let (db, keys, key_ids, viewers, tokens, events) = runtime.block_on(async {
        let (_owner, db) = fresh_database("bola_writes").await;
        let mut keys = Vec::new();
        let mut key_ids = Vec::new();
        let mut viewers = Vec::new();
        let mut tokens = Vec::new();
        let mut events = Vec::new();
        for (tenant, game) in [(&league, 18969), (&other, 19038)] {
            create_tenant(&db, tenant, "T", &actor).await.unwrap();
            let game = read_tracker_file(&tracker_file(game), tenant).unwrap();
            events.push(game.events[0].event_id.to_string());
            import_tracker(&db, tenant, &game, &actor).await.unwrap();
            tokens.push(
                create_device(&db, tenant, &device, None, &files, &actor)
                    .await
                    .unwrap(),
            );
            let (key_id, key) = create_api_key(&db, tenant, "k", Role::Admin, &actor)
                .await
                .unwrap();
            keys.push(key);
            key_ids.push(key_id);
            viewers.push(
                create_api_key(&db, tenant, "v", Role::Viewer, &actor)
                    .await
                    .unwrap()
                    .1,
            );
        }
        (db, keys, key_ids, viewers, tokens, events)
    });
    let cancel = CancellationToken::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = runtime.spawn(serve(
        listener,
        AppState::new(db, false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));
    let client = Client::new(base.clone());
    let document = client.get("/openapi.json", &Auth::None).json();
    // Tenant i's key with tenant 1 - i's ids: the game, one of its events, the device id (both
    // tenants call their appliance rink-1, so a device route shows tenant scoping, not absence).
    let ids = [
        ("league", "18969", &events[0], &key_ids[0]),
        ("other", "19038", &events[1], &key_ids[1]),
    ];
    let concrete = |path: &str, tenant: usize| {
        let (_, game, event, key_id) = ids[tenant];
        path.replace("{game_id}", game)
            .replace("{event_id}", event)
            .replace("{key_id}", key_id)
    };
    let mut walked = 0;
    let mut limited = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if path.starts_with("/device-api/")
                || !path.starts_with("/api/")
                || path == "/api/v1/session"
            {
                continue;
            }
            // Role limits: a viewer's key changes nothing, not even with its own tenant's ids,
            // and does not list the tenant's keys.
            let body = plausible_body(method, path);
            if method != "get" || path == "/api/v1/api-keys" {
                let body = body
                    .clone()
                    .or_else(|| (method == "get").then_some(Value::Null));
                let body = body.unwrap_or_else(|| {
                    panic!("{method} {path}: give the walk a body for this new route")
                });
                for me in [0, 1] {
                    let own = concrete(path, me).replace("{device_id}", "rink-1");
                    let answer = client.send(
                        &method.to_uppercase(),
                        &own,
                        &Auth::Key(viewers[me].clone()),
                        (method != "get").then_some(&body),
                    );
                    assert_eq!(
                        answer.status, 403,
                        "{method} {own} as tenant {me}'s viewer: {}",
                        answer.body
                    );
                    limited += 1;
                }
            }
            if method == "get" {
                continue;
            }
            let templated = path.contains('{');
            if !templated {
                // Writes without ids act on the caller's own tenant only (schedule, settings).
                continue;
            }
            let body = body.unwrap_or_else(|| {
                panic!("{method} {path}: give the walk a body for this new route")
            });
            for (me, them) in [(0, 1), (1, 0)] {
                let concrete = concrete(path, them).replace("{device_id}", "rink-404");
                let answer = client.send(
                    &method.to_uppercase(),
                    &concrete,
                    &Auth::Key(keys[me].clone()),
                    Some(&body),
                );
                assert_eq!(
                    answer.status, 404,
                    "{method} {concrete} as tenant {me}: {}",
                    answer.body
                );
                walked += 1;
            }
        }
    }
    assert!(walked >= 14, "walked {walked} write routes");
    assert!(limited >= 2 * 12, "{limited} role-limited calls");
    // The calibration route with the own device works up to the broker (none here: 503), and
    // with the other tenant's device name that does not exist in the caller's tenant, 404 above.
    let own = client.send(
        "POST",
        "/api/v1/devices/rink-1/calibration",
        &Auth::Key(keys[0].clone()),
        plausible_body("post", "/api/v1/devices/{device_id}/calibration").as_ref(),
    );
    assert_eq!(own.status, 503, "{}", own.body);

    // Device tokens: tenant B's token does not open tenant A's device path, and opens no API.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let status = agent
        .put(format!(
            "{base}/device-api/v1/league/rink-1/clips/{}",
            events[0]
        ))
        .header("Authorization", format!("Bearer {}", tokens[1]))
        .send(&b"\x47"[..])
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 401);
    for path in ["/api/v1/games", "/api/v1/devices", "/api/v1/review"] {
        assert_eq!(
            client.get(path, &Auth::Key(tokens[0].clone())).status,
            401,
            "{path}"
        );
    }
    cancel.cancel();
    runtime.block_on(server).unwrap().unwrap();
}

#[test]
fn admins_import_tracker_files_and_manage_api_keys_over_the_api() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let league = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    let (db, admin) = runtime.block_on(async {
        let (_owner, db) = fresh_database("api_admin").await;
        create_tenant(&db, &league, "League", &actor).await.unwrap();
        let (_, key) = create_api_key(&db, &league, "ops", Role::Admin, &actor)
            .await
            .unwrap();
        (db, key)
    });
    let cancel = CancellationToken::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = runtime.spawn(serve(
        listener,
        AppState::new(db.clone(), false, ("127.0.0.1".into(), 1), clip_store()),
        cancel.clone(),
    ));
    let client = Client::new(base);
    let admin = Auth::Key(admin);

    // A tracker save file becomes a game with its box score; the same file again adds nothing.
    let file: Value = serde_json::from_str(&tracker_file(18969)).unwrap();
    let imported = client.send("POST", "/api/v1/imports", &admin, Some(&file));
    assert_eq!(imported.status, 201, "{}", imported.body);
    let report = imported.json();
    assert_eq!(report["game_id"], "18969");
    assert!(report["events_added"].as_u64().unwrap() > 1000, "{report}");
    let game = client.get("/api/v1/games/18969", &admin).json();
    assert_eq!(game["box_score"]["teams"][0]["stats"]["goals"], 4);
    let again = client
        .send("POST", "/api/v1/imports", &admin, Some(&file))
        .json();
    assert_eq!(again["events_added"], 0);

    // A final game's answer is kept, and dropped as soon as anything writes to the game.
    let home_goals = || {
        client.get("/api/v1/games/18969", &admin).json()["box_score"]["teams"][0]["stats"]["goals"]
            .clone()
    };
    assert_eq!(home_goals(), 4);
    runtime.block_on(async {
        let mut tx = db.tenant(&league).await.unwrap();
        sqlx::query(
            "UPDATE team_game_stats SET stats = jsonb_set(stats, '{goals}', '9')
             WHERE game_id = '18969' AND team = 'home'",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while home_goals() != 9 {
        assert!(
            Instant::now() < deadline,
            "a changed game is still served from the cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let broken = client.send(
        "POST",
        "/api/v1/imports",
        &admin,
        Some(&serde_json::json!({"events": "not a list"})),
    );
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert!(broken.json()["error"].as_str().unwrap().contains("tracker"));

    // A key created over the API works at once, is listed without its secret, and stops
    // working when revoked.
    let bad = client.send(
        "POST",
        "/api/v1/api-keys",
        &admin,
        Some(&serde_json::json!({"name": " ", "role": "viewer"})),
    );
    assert_eq!(bad.status, 400);
    let created = client.send(
        "POST",
        "/api/v1/api-keys",
        &admin,
        Some(&serde_json::json!({"name": "league website", "role": "viewer"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let (key_id, key) = (
        created["key_id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    );
    let website = Auth::Key(key.clone());
    assert_eq!(client.get("/api/v1/games", &website).status, 200);
    let listed = client.get("/api/v1/api-keys", &admin);
    assert!(!listed.body.contains(key.rsplit('.').next().unwrap()));
    let listed = listed.json();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == key_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (entry["name"].as_str(), entry["role"].as_str()),
        (Some("league website"), Some("viewer"))
    );
    assert!(entry["last_used"].is_string() && entry["revoked_at"].is_null());
    let path = format!("/api/v1/api-keys/{key_id}");
    assert_eq!(client.send("DELETE", &path, &admin, None).status, 204);
    assert_eq!(client.get("/api/v1/games", &website).status, 401);
    assert_eq!(client.send("DELETE", &path, &admin, None).status, 404);

    // Settings: validated, and read back.
    let settings = serde_json::json!({"clip_retention_days": 0});
    assert_eq!(
        client
            .send("PUT", "/api/v1/settings", &admin, Some(&settings))
            .status,
        400
    );
    let settings = serde_json::json!({"clip_retention_days": 14});
    assert_eq!(
        client
            .send("PUT", "/api/v1/settings", &admin, Some(&settings))
            .status,
        200
    );
    assert_eq!(
        client.get("/api/v1/settings", &admin).json()["clip_retention_days"],
        14
    );

    cancel.cancel();
    runtime.block_on(server).unwrap().unwrap();
}
