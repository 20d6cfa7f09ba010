//! Shared by the cloud's database tests: a fresh database per test on the private PostgreSQL.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use benchsight_cloud::db::Database;

/// A fresh database with the schema, and pools as the owner and as the service role.
pub async fn fresh_database(name: &str) -> (Database, Database) {
    let admin = std::env::var("BENCHSIGHT_TEST_PG_ADMIN_URL")
        .expect("BENCHSIGHT_TEST_PG_ADMIN_URL (run the tests with `make test`)");
    let base = admin.rsplit_once('/').unwrap().0.to_owned();
    // One database per test, replaced on the next run (it holds nothing worth keeping).
    let database = format!("bs_test_{name}");
    let server = Database::connect(&admin, 1).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {database}"
    )))
    .execute(server.pool())
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(server.pool())
        .await
        .unwrap();
    let owner = Database::connect(&format!("{base}/{database}"), 2)
        .await
        .unwrap();
    owner.migrate().await.unwrap();
    // The service's login role: a member of benchsight_app, owning nothing, no BYPASSRLS.
    sqlx::query(
        "DO $$ BEGIN CREATE ROLE bs_test_service LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE benchsight_app;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    )
    .execute(owner.pool())
    .await
    .unwrap();
    let service_url = format!("{base}/{database}").replacen("postgres@", "bs_test_service@", 1);
    assert!(service_url.contains("bs_test_service@"), "{service_url}");
    (owner, Database::connect(&service_url, 4).await.unwrap())
}
