//! The HTTP API served on a real socket over the private PostgreSQL: logging in, the games list,
//! the imported game 18969's box score as VOCABULARY.md gives it, events and shots, the OpenAPI
//! document, metrics — and broken object-level authorisation: every route of the OpenAPI
//! document walked with one tenant's credentials and the other tenant's ids answers 404.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;

use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::credentials::{Role, create_api_key};
use benchsight_cloud::db::create_tenant;
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::users::upsert_user;
use benchsight_core::ids::TenantId;
use benchsight_core::tracker::read_tracker_file;
use serde_json::Value;
use support::fresh_database;
use tokio_util::sync::CancellationToken;

fn tracker_file(id: u32) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games")
        .join(format!("{id}.json"));
    std::fs::read_to_string(&path).unwrap()
}

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
        AppState::new(db, false, ("127.0.0.1".into(), 1)),
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
