//! Shared by the cloud's database tests: a fresh database per test on the private PostgreSQL.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use benchsight_cloud::db::{Database, provision_database};

/// A fresh database with the schema (`bs_test_{name}`, replaced on the next run), and pools as
/// the owner and as the service role.
pub async fn fresh_database(name: &str) -> (Database, Database) {
    let admin = std::env::var("BENCHSIGHT_TEST_PG_ADMIN_URL")
        .expect("BENCHSIGHT_TEST_PG_ADMIN_URL (run the tests with `make test`)");
    provision_database(&admin, &format!("bs_test_{name}"), "bs_test_service")
        .await
        .unwrap()
}

/// A real hand-tracked game of `shared/data/benchsight/games`.
pub fn tracker_file(id: u32) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/benchsight/games")
        .join(format!("{id}.json"));
    std::fs::read_to_string(&path).unwrap()
}
