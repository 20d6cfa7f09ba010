//! The cloud's database against the private PostgreSQL of `scripts/services`: migrations, row-level
//! security as the unprivileged service role, and the tracker import through the ETL.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use benchsight_cloud::audit::Actor;
use benchsight_cloud::credentials::{
    PresentedKey, Role, create_api_key, revoke_api_key, verify_api_key,
};
use benchsight_cloud::db::create_tenant;
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::provision::create_rink;
use benchsight_cloud::stats::stored_stats;
use benchsight_core::ids::{GameId, RinkId, TenantId};
use benchsight_core::tracker::read_tracker_file;
use support::{fresh_database, tracker_file};

#[tokio::test]
async fn imported_games_reproduce_the_reference_box_scores_and_reimport_changes_nothing() {
    let (_owner, db) = fresh_database("import").await;
    let tenant = TenantId::parse("league").unwrap();
    create_tenant(&db, &tenant, "League", &Actor::new("test"))
        .await
        .unwrap();
    // (G, shot events, SOG, missed, blocked, faceoff wins, saves), VOCABULARY.md.
    let expected = [
        (
            18969,
            [[4, 71, 40, 13, 16, 26, 21], [3, 43, 23, 8, 9, 20, 37]],
        ),
        (
            18981,
            [[2, 59, 34, 10, 15, 18, 13], [1, 37, 14, 10, 11, 22, 32]],
        ),
    ];
    for (id, teams) in expected {
        let game = read_tracker_file(&tracker_file(id), &tenant).unwrap();
        let first = import_tracker(&db, &tenant, &game, &Actor::new("test"))
            .await
            .unwrap();
        assert_eq!(first.events_added, first.events_total);
        let again = import_tracker(&db, &tenant, &game, &Actor::new("test"))
            .await
            .unwrap();
        assert_eq!(
            (again.events_added, again.stints_added),
            (0, 0),
            "re-import changes nothing"
        );
        let stats = stored_stats(&db, &tenant, &GameId::parse(&id.to_string()).unwrap())
            .await
            .unwrap();
        let got: Vec<[u32; 7]> = stats
            .teams
            .iter()
            .map(|t| {
                let s = &t.stats;
                [
                    s.goals,
                    s.shot_events,
                    s.shots_on_goal,
                    s.missed,
                    s.blocked,
                    s.faceoff_wins,
                    s.saves,
                ]
            })
            .collect();
        assert_eq!(got, teams, "game {id}");
        let stint_seconds: i64 = sqlx::query_scalar(
            "SELECT SUM(duration_s)::bigint FROM stint WHERE tenant_id = $1 AND game_id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.to_string())
        .fetch_one(&mut *db.tenant(&tenant).await.unwrap())
        .await
        .unwrap();
        assert_eq!(stint_seconds, 3240, "game {id}");
        // One shot-chart row per shot event; these files record no puck positions, so no xG.
        let (shots, with_xg): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(xg) FROM shot WHERE tenant_id = $1 AND game_id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.to_string())
        .fetch_one(&mut *db.tenant(&tenant).await.unwrap())
        .await
        .unwrap();
        let shot_events: u32 = stats.teams.iter().map(|t| t.stats.shot_events).sum();
        assert_eq!((shots, with_xg), (i64::from(shot_events), 0), "game {id}");
        assert!(stats.teams.iter().all(|t| t.xg.is_none()));
    }
}

#[tokio::test]
async fn api_keys_work_until_revoked_and_every_change_is_audited() {
    let (_owner, db) = fresh_database("keys").await;
    let tenant = TenantId::parse("league").unwrap();
    let (admin, operator) = (Actor::new("test"), Actor::new("cli:ops"));
    create_tenant(&db, &tenant, "League", &admin).await.unwrap();
    create_tenant(&db, &tenant, "League again", &admin)
        .await
        .unwrap();
    let rink = RinkId::parse("main-rink").unwrap();
    create_rink(&db, &tenant, &rink, "Main Rink", &operator)
        .await
        .unwrap();

    let (key_id, key) = create_api_key(&db, &tenant, "website", Role::Viewer, &operator)
        .await
        .unwrap();
    let presented = PresentedKey::parse(&key).unwrap();
    let holder = verify_api_key(&db, &presented).await.unwrap().unwrap();
    assert_eq!(
        (holder.key_id.as_str(), holder.role),
        (key_id.as_str(), Role::Viewer)
    );
    // The same id with another secret, and the key under another tenant, are refused.
    let last = if key.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &key[..key.len() - 1]);
    let forged = PresentedKey::parse(&forged).unwrap();
    assert_eq!(verify_api_key(&db, &forged).await.unwrap(), None);
    let elsewhere = PresentedKey::parse(&key.replace(".league.", ".other.")).unwrap();
    assert_eq!(verify_api_key(&db, &elsewhere).await.unwrap(), None);

    revoke_api_key(&db, &tenant, &key_id, &operator)
        .await
        .unwrap();
    assert_eq!(
        verify_api_key(&db, &presented).await.unwrap(),
        None,
        "revoked"
    );
    assert!(
        revoke_api_key(&db, &tenant, &key_id, &operator)
            .await
            .is_err()
    );

    let game = read_tracker_file(&tracker_file(19038), &tenant).unwrap();
    import_tracker(&db, &tenant, &game, &operator)
        .await
        .unwrap();
    import_tracker(&db, &tenant, &game, &operator)
        .await
        .unwrap();

    let log: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, target FROM audit_log ORDER BY audit_id")
            .fetch_all(&mut *db.tenant(&tenant).await.unwrap())
            .await
            .unwrap();
    let log: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        log,
        [
            ("test", "tenant.create", "league"),
            ("cli:ops", "rink.create", "main-rink"),
            ("cli:ops", "api_key.create", key_id.as_str()),
            ("cli:ops", "api_key.revoke", key_id.as_str()),
            ("cli:ops", "game.import", "19038"),
        ],
        "an existing tenant and a repeated import change nothing and log nothing"
    );
    let secret_kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM api_key WHERE secret_hash LIKE '%' || $1 || '%'")
            .bind(key.rsplit('.').next().unwrap())
            .fetch_one(&mut *db.tenant(&tenant).await.unwrap())
            .await
            .unwrap();
    assert_eq!(secret_kept, 0, "only a hash of the secret is stored");
}

#[tokio::test]
async fn located_shots_get_distance_angle_and_xg() {
    let (_owner, db) = fresh_database("shots").await;
    let tenant = TenantId::parse("league").unwrap();
    create_tenant(&db, &tenant, "League", &Actor::new("test"))
        .await
        .unwrap();
    let game = read_tracker_file(&tracker_file(19038), &tenant).unwrap();
    import_tracker(&db, &tenant, &game, &Actor::new("test"))
        .await
        .unwrap();
    let rows: Vec<(f64, f64, f64, f64, f64)> = sqlx::query_as(
        "SELECT x_ft, y_ft, distance_ft, angle_deg, xg FROM shot
         WHERE tenant_id = $1 AND game_id = '19038' ORDER BY distance_ft",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *db.tenant(&tenant).await.unwrap())
    .await
    .unwrap();
    assert_eq!(rows.len(), 3, "19038 has three located shots");
    for (x, y, distance, angle, xg) in &rows {
        let expected = (89.0 - x.abs()).hypot(*y);
        assert!((distance - expected).abs() < 1e-9, "{x},{y}: {distance}");
        assert!((0.0..=180.0).contains(angle));
        assert!(*xg > 0.0 && *xg < 0.5, "{xg}");
    }
    // Nearer shots are worth more here (none is from a sharp angle).
    assert!(rows.windows(2).all(|w| w[0].4 >= w[1].4), "{rows:?}");
    let stats = stored_stats(&db, &tenant, &GameId::parse("19038").unwrap())
        .await
        .unwrap();
    let total: f64 = stats.teams.iter().filter_map(|t| t.xg).sum();
    let expected: f64 = rows.iter().map(|r| r.4).sum();
    assert!((total - expected).abs() < 1e-9);
}

#[tokio::test]
async fn the_service_role_sees_and_writes_only_its_tenant() {
    let (_owner, db) = fresh_database("rls").await;
    let (a, b) = (
        TenantId::parse("tenant-a").unwrap(),
        TenantId::parse("tenant-b").unwrap(),
    );
    create_tenant(&db, &a, "A", &Actor::new("test"))
        .await
        .unwrap();
    create_tenant(&db, &b, "B", &Actor::new("test"))
        .await
        .unwrap();
    let game = read_tracker_file(&tracker_file(19038), &b).unwrap();
    import_tracker(&db, &b, &game, &Actor::new("test"))
        .await
        .unwrap();

    let count = |tenant: TenantId, table: &'static str| {
        let db = db.clone();
        async move {
            let mut tx = db.tenant(&tenant).await.unwrap();
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
            n
        }
    };
    for table in [
        "tenant",
        "game",
        "event",
        "event_player",
        "stint",
        "team_game_stats",
        "shot",
    ] {
        assert!(count(b.clone(), table).await > 0, "{table} as B");
        assert_eq!(
            count(a.clone(), table).await,
            if table == "tenant" { 1 } else { 0 },
            "{table} as A"
        );
    }
    // No tenant set: nothing at all.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Writing B's rows as A is refused by the policy.
    let mut tx = db.tenant(&a).await.unwrap();
    let refused =
        sqlx::query("INSERT INTO team (tenant_id, team_id, name) VALUES ('tenant-b', 'x', 'X')")
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert!(
        refused.to_string().contains("row-level security"),
        "{refused}"
    );
    drop(tx);
    // And A cannot touch B's existing rows either.
    let mut tx = db.tenant(&a).await.unwrap();
    let changed = sqlx::query("UPDATE event SET confidence = 0 WHERE tenant_id = 'tenant-b'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    // The service role owns nothing and cannot bypass the policies.
    let (bypass, owns): (bool, i64) = sqlx::query_as(
        "SELECT rolbypassrls, (SELECT COUNT(*) FROM pg_tables WHERE tableowner = current_user)
         FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(!bypass && owns == 0);
}
