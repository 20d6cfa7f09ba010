//! The cloud run in-process for the browser tests: a fresh database with tenant `league`, its
//! rink `north`, one appliance there and an admin `boss`; then the ingest worker and the HTTP
//! service (API and dashboard) on the shared private broker and a free port.

use std::time::Duration;

use benchsight_cloud::api::{AppState, serve};
use benchsight_cloud::audit::Actor;
use benchsight_cloud::clips::ClipStore;
use benchsight_cloud::control::CommandSender;
use benchsight_cloud::credentials::Role;
use benchsight_cloud::db::{Database, create_tenant, provision_database};
use benchsight_cloud::provision::{BrokerFiles, create_device, create_rink};
use benchsight_cloud::users::upsert_user;
use benchsight_cloud::worker::{IngestSettings, run_ingest};
use benchsight_core::ids::{DeviceId, RinkId, TenantId};
use tokio_util::sync::CancellationToken;

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// The private PostgreSQL's superuser URL (`make test` exports it).
pub fn pg_admin_url() -> String {
    std::env::var("BENCHSIGHT_TEST_PG_ADMIN_URL")
        .expect("BENCHSIGHT_TEST_PG_ADMIN_URL (run the tests with `make test`)")
}

/// The shared private broker's host and port (`make test` exports them).
pub fn test_broker() -> (String, u16) {
    let host = std::env::var("BENCHSIGHT_TEST_MQTT_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("BENCHSIGHT_TEST_MQTT_PORT")
        .expect("BENCHSIGHT_TEST_MQTT_PORT (run the tests with `make test`)")
        .parse()
        .expect("BENCHSIGHT_TEST_MQTT_PORT is a port");
    (host, port)
}

/// A provisioned league: its database (as the service role) and the appliance's device token.
#[derive(Debug)]
pub struct League {
    pub db: Database,
    pub tenant: TenantId,
    pub actor: Actor,
    pub device_token: String,
    /// The broker password file `create_device` writes (kept for the test's length).
    _broker_files: tempfile::TempDir,
}

/// Database `db_name`, re-created, with tenant `league`, rink `north`, appliance `device` there
/// and the admin `boss`.
pub async fn league(db_name: &str, device: &str) -> League {
    let (_owner, db) = provision_database(&pg_admin_url(), db_name, "bs_test_service")
        .await
        .unwrap();
    let tenant = TenantId::parse("league").unwrap();
    let actor = Actor::new("test");
    let broker_files = tempfile::tempdir().unwrap();
    let files = BrokerFiles {
        passwords: broker_files.path().join("passwd"),
        pid_file: None,
    };
    create_tenant(&db, &tenant, "League", &actor).await.unwrap();
    let rink = RinkId::parse("north").unwrap();
    create_rink(&db, &tenant, &rink, "North Arena", &actor)
        .await
        .unwrap();
    let device = DeviceId::parse(device).unwrap();
    let device_token = create_device(&db, &tenant, &device, Some(&rink), &files, &actor)
        .await
        .unwrap();
    upsert_user(&db, &tenant, "boss", Role::Admin, PASSWORD, &actor)
        .await
        .unwrap();
    League {
        db,
        tenant,
        actor,
        device_token,
        _broker_files: broker_files,
    }
}

/// The ingest worker and the HTTP service, running until [`RunningCloud::stop`].
#[derive(Debug)]
pub struct RunningCloud {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub commands: CommandSender,
    cancel: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: tokio::task::JoinHandle<
        Result<benchsight_cloud::worker::IngestReport, benchsight_cloud::ingest::IngestError>,
    >,
}

/// Starts ingest (a share group and client ids of its own, `tag` and the process id) and the
/// HTTP service over `db`, with clips in `clips`.
pub async fn run_cloud(db: &Database, clips: ClipStore, tag: &str) -> RunningCloud {
    let (host, port) = test_broker();
    let id = format!("{tag}-{}", std::process::id());
    let cancel = CancellationToken::new();
    let worker = tokio::spawn(run_ingest(
        db.clone(),
        IngestSettings {
            host: host.clone(),
            port,
            credentials: None,
            share_group: id.replace('-', ""),
            client_id: format!("ingest-{id}"),
            etl_debounce: Duration::from_millis(200),
        },
        cancel.clone(),
    ));
    let commands = CommandSender::connect(&host, port, None, &format!("api-{id}"), cancel.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(db.clone(), false, (host, port), clips);
    state.commands = Some(commands.clone());
    let server = tokio::spawn(serve(listener, state, cancel.clone()));
    RunningCloud {
        base,
        commands,
        cancel,
        server,
        worker,
    }
}

impl RunningCloud {
    /// Stops both, which must have run without error.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.server.await.unwrap().unwrap();
        self.worker.await.unwrap().unwrap();
    }
}
