//! The dashboard in a real browser (headless Chromium through WebDriver) against the cloud
//! service on a real socket and the private PostgreSQL: an anonymous visit is sent to the login
//! page, a wrong password is refused, and after logging in the imported real game 18969 shows the
//! box score VOCABULARY.md gives for it.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::credentials::Role;
use benchsight_cloud::db::{create_tenant, provision_database};
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::users::upsert_user;
use benchsight_core::ids::TenantId;
use benchsight_core::tracker::read_tracker_file;
use benchsight_tests::browser::Browser;
use tokio_util::sync::CancellationToken;

fn tracker_file(id: u32) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games")
        .join(format!("{id}.json"));
    std::fs::read_to_string(&path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_and_read_the_box_score_of_a_real_game() {
    let admin = std::env::var("BENCHSIGHT_TEST_PG_ADMIN_URL")
        .expect("BENCHSIGHT_TEST_PG_ADMIN_URL (run the tests with `make test`)");
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

/// A clip store in a folder that lives as long as the test process.
fn clip_store() -> ClipStore {
    let folder = std::env::temp_dir().join(format!("bs-clips-{}", std::process::id()));
    ClipStore::local(&folder).unwrap()
}
