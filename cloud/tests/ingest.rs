//! Ingest against the private PostgreSQL and Mosquitto of `scripts/services`: 20 k events from two
//! simulated devices, with duplicates, out-of-order batches and redeliveries, the worker restarted
//! midway — each event stored once, acks covering them all; bad and foreign messages dead-lettered.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchsight_cloud::audit::Actor;
use benchsight_cloud::db::{Database, create_tenant};
use benchsight_cloud::worker::{IngestSettings, run_ingest};
use benchsight_core::domain::{Confidence, MediaTimeMs, Period, Source, Team};
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{CommandId, EventId, GameId, RecordId, Seq, StoreId, TenantId};
use benchsight_core::vocabulary::{Detail, EventType};
use benchsight_core::wire::{self, Ack, EventBatch, Record, RecordChange};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use support::fresh_database;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "league-a";

/// The tests share the services' broker and a worker subscribes to the whole fleet's topics:
/// they run one at a time so that one test's traffic never reaches another's worker.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const EVENTS_PER_DEVICE: u64 = 10_000;
const BATCH: usize = 200;

fn broker() -> (String, u16) {
    let host = std::env::var("BENCHSIGHT_TEST_MQTT_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("BENCHSIGHT_TEST_MQTT_PORT")
        .expect("BENCHSIGHT_TEST_MQTT_PORT (run the tests with `make test`)")
        .parse()
        .unwrap();
    (host, port)
}

fn record(seq: u64, rng: &mut impl Rng) -> Record {
    let event = GameEvent {
        event_id: EventId::appliance(1_764_000_000_000 + seq, rng.random()),
        game_id: GameId::parse("ingest-game").unwrap(),
        event_type: EventType::Faceoff,
        detail1: Some(Detail::FACEOFF),
        detail2: None,
        team: Some(if seq.is_multiple_of(2) {
            Team::Home
        } else {
            Team::Away
        }),
        period: Period::FIRST,
        media_time_ms: Some(MediaTimeMs(seq * 1000)),
        clock: None,
        zone: None,
        puck: None,
        players: Vec::new(),
        confidence: Confidence::new(0.95).unwrap(),
        source: Source::Auto,
        evidence: None,
        assist_to_goal: None,
    };
    Record {
        seq: Seq::new(seq).unwrap(),
        record_id: RecordId::new(1_764_000_000_000, rng.random()),
        change: RecordChange::Event(event),
    }
}

/// One simulated device: its store's batches, and the acks it has seen.
struct Device {
    topic: String,
    store: StoreId,
    batches: Vec<Vec<u8>>,
    acked: Arc<Mutex<u64>>,
}

fn device(name: &str, rng: &mut rand_chacha::ChaCha8Rng) -> Device {
    let store = StoreId::from_random_bytes(rng.random());
    let records: Vec<Record> = (1..=EVENTS_PER_DEVICE).map(|s| record(s, rng)).collect();
    let batches = records
        .chunks(BATCH)
        .map(|chunk| {
            wire::encode(&EventBatch {
                store,
                records: chunk.to_vec(),
            })
            .unwrap()
        })
        .collect();
    Device {
        topic: format!("bs/v1/{TENANT}/{name}/events"),
        store,
        batches,
        acked: Arc::new(Mutex::new(0)),
    }
}

/// A client playing both devices: publishes their batches and follows their acks.
async fn devices_client(devices: &[Device]) -> AsyncClient {
    let (host, port) = broker();
    let mut options = MqttOptions::new(format!("devices-{}", std::process::id()), host, port);
    options.set_max_packet_size(
        wire::MAX_PAYLOAD_BYTES + 4096,
        wire::MAX_PAYLOAD_BYTES + 4096,
    );
    let (client, mut eventloop) = AsyncClient::new(options, 512);
    let acked: BTreeMap<StoreId, Arc<Mutex<u64>>> =
        devices.iter().map(|d| (d.store, d.acked.clone())).collect();
    let ack_topics: Vec<String> = devices
        .iter()
        .map(|d| d.topic.replace("/events", "/ack"))
        .collect();
    let subscriber = client.clone();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    for topic in &ack_topics {
                        subscriber.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(ack) = wire::decode::<Ack>(&p.payload)
                        && let Some(through) = acked.get(&ack.store)
                    {
                        let mut through = through.lock().unwrap();
                        // Acks may arrive out of order: only a higher one counts.
                        *through = (*through).max(ack.through_seq);
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    client
}

/// Publishes each device's batches from its acknowledged watermark on.
async fn republish_unacked(client: &AsyncClient, devices: &[Device]) {
    for device in devices {
        let through = *device.acked.lock().unwrap();
        for batch in &device.batches[(through as usize) / BATCH..] {
            client
                .publish(&device.topic, QoS::AtLeastOnce, false, batch.clone())
                .await
                .unwrap();
        }
    }
}

/// An ingest worker of its own share group (`name` keeps tests that run at once apart).
fn worker(db: &Database, cancel: &CancellationToken, name: &str) -> tokio::task::JoinHandle<()> {
    let (host, port) = broker();
    let settings = IngestSettings {
        host,
        port,
        credentials: None,
        share_group: format!("{name}-{}", std::process::id()),
        client_id: format!("{name}-{}", std::process::id()),
        etl_debounce: Duration::from_millis(500),
    };
    let (db, cancel) = (db.clone(), cancel.clone());
    tokio::spawn(async move {
        run_ingest(db, settings, cancel).await.unwrap();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_stored_once_through_duplicates_reorders_and_a_worker_restart() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (_owner, db) = fresh_database("ingest").await;
    let tenant = TenantId::parse(TENANT).unwrap();
    create_tenant(&db, &tenant, "League A", &Actor::new("test"))
        .await
        .unwrap();
    let mut tx = db.tenant(&tenant).await.unwrap();
    for name in ["rink-1", "rink-2"] {
        sqlx::query("INSERT INTO device (tenant_id, device_id) VALUES ($1, $2)")
            .bind(TENANT)
            .bind(name)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let devices = [device("rink-1", &mut rng), device("rink-2", &mut rng)];
    let client = devices_client(&devices).await;
    let cancel = CancellationToken::new();
    let first = worker(&db, &cancel, "exactly-once");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The first half of both devices' batches, shuffled in small windows, a tenth twice.
    let mut plan: Vec<(usize, usize)> = Vec::new();
    let half = devices[0].batches.len() / 2;
    for index in 0..half {
        for d in 0..devices.len() {
            plan.push((d, index));
            if rng.random_bool(0.1) {
                plan.push((d, index));
            }
        }
    }
    for window in plan.chunks_mut(6) {
        window.shuffle(&mut rng);
    }
    for &(d, index) in &plan {
        client
            .publish(
                &devices[d].topic,
                QoS::AtLeastOnce,
                false,
                devices[d].batches[index].clone(),
            )
            .await
            .unwrap();
    }
    // The worker is restarted midway.
    tokio::time::sleep(Duration::from_millis(700)).await;
    cancel.cancel();
    first.await.unwrap();
    let cancel = CancellationToken::new();
    let second = worker(&db, &cancel, "exactly-once");

    // Then everything not yet acknowledged is (re)published, as appliances do: at once, and
    // again from the watermark whenever the acks stall (an appliance waits for its ack timeout;
    // resending faster than the worker stores would only pile up duplicates).
    let deadline = Instant::now() + Duration::from_secs(300);
    let acked = || {
        devices
            .iter()
            .map(|d| *d.acked.lock().unwrap())
            .sum::<u64>()
    };
    republish_unacked(&client, &devices).await;
    let (mut last_total, mut last_progress) = (acked(), Instant::now());
    loop {
        let total = acked();
        if total == 2 * EVENTS_PER_DEVICE {
            break;
        }
        if total != last_total {
            (last_total, last_progress) = (total, Instant::now());
        } else if last_progress.elapsed() >= Duration::from_secs(5) {
            republish_unacked(&client, &devices).await;
            last_progress = Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "acks did not cover every event in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cancel.cancel();
    second.await.unwrap();

    let mut tx = db.tenant(&tenant).await.unwrap();
    let (events, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM event WHERE tenant_id = $1")
            .bind(TENANT)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(
        (events, distinct),
        (20_000, 20_000),
        "each event stored once"
    );
    let watermarks: Vec<i64> = sqlx::query_scalar(
        "SELECT through_seq FROM device_store WHERE tenant_id = $1 ORDER BY device_id",
    )
    .bind(TENANT)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(watermarks, [10_000, 10_000]);
    let stats: i64 = sqlx::query_scalar(
        "SELECT (stats->>'faceoff_wins')::bigint FROM team_game_stats WHERE tenant_id = $1 AND team = 'home'",
    )
    .bind(TENANT)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(stats, 10_000, "the ETL ran over the stored events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_foreign_messages_are_dead_lettered() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (_owner, db) = fresh_database("ingest_reject").await;
    let tenant = TenantId::parse(TENANT).unwrap();
    create_tenant(&db, &tenant, "League A", &Actor::new("test"))
        .await
        .unwrap();
    let mut tx = db.tenant(&tenant).await.unwrap();
    sqlx::query("INSERT INTO device (tenant_id, device_id) VALUES ($1, 'rink-1')")
        .bind(TENANT)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cancel = CancellationToken::new();
    let running = worker(&db, &cancel, "dead-letters");
    let (host, port) = broker();
    let mut options = MqttOptions::new(format!("bad-{}", std::process::id()), host, port);
    options.set_max_packet_size(
        wire::MAX_PAYLOAD_BYTES + 4096,
        wire::MAX_PAYLOAD_BYTES + 4096,
    );
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let good = device("rink-1", &mut rng).batches[0].clone();
    let online = wire::encode(&wire::Status {
        state: wire::DeviceState::Online,
        versions: Some(wire::Versions {
            daemon: "9.9.9".into(),
            model: None,
            onnxruntime: None,
        }),
    })
    .unwrap();
    let (done, refused) = (
        CommandId::new(1_764_000_000_000, [1; 10]),
        CommandId::new(1_764_000_000_001, [2; 10]),
    );
    let ack = |cmd_id, ok, reason: Option<&str>| {
        wire::encode(&wire::CommandAck {
            cmd_id: Some(cmd_id),
            ok,
            reason: reason.map(str::to_owned),
        })
        .unwrap()
    };
    // Malformed JSON; a device nobody registered; a registered device named under another
    // tenant; then a registered device's status (kept on its row), and an unknown one's; the
    // registered device's answers to two commands, and an unknown device's answer.
    for (topic, payload) in [
        (
            format!("bs/v1/{TENANT}/rink-1/events"),
            b"{not json".to_vec(),
        ),
        (format!("bs/v1/{TENANT}/rink-9/events"), good.clone()),
        ("bs/v1/other-league/rink-1/events".to_owned(), good),
        (format!("bs/v1/{TENANT}/rink-1/status"), online.clone()),
        (format!("bs/v1/{TENANT}/rink-8/status"), online),
        (
            format!("bs/v1/{TENANT}/rink-1/cmd_ack"),
            ack(done, true, None),
        ),
        (
            format!("bs/v1/{TENANT}/rink-1/cmd_ack"),
            ack(refused, false, Some("no calibration")),
        ),
        (
            format!("bs/v1/{TENANT}/rink-8/cmd_ack"),
            ack(done, true, None),
        ),
    ] {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
    let count = |tenant: &'static str| {
        let db = db.clone();
        async move {
            let mut tx = db.tenant(&TenantId::parse(tenant).unwrap()).await.unwrap();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ingest_reject")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            n
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(TENANT).await < 4 || count("other-league").await < 1 {
        assert!(Instant::now() < deadline, "dead letters did not arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cancel.cancel();
    running.await.unwrap();
    let mut tx = db.tenant(&tenant).await.unwrap();
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT reason FROM ingest_reject ORDER BY reject_id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert!(reasons.iter().any(|r| r.contains("payload")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("rink-9")), "{reasons:?}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing from a bad message is stored");
    assert!(reasons.iter().any(|r| r.contains("rink-8")), "{reasons:?}");
    let (status, daemon): (String, Option<String>) = sqlx::query_as(
        "SELECT status, versions->>'daemon' FROM device WHERE device_id = 'rink-1' AND last_seen IS NOT NULL",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), daemon.as_deref()),
        ("online", Some("9.9.9"))
    );
    let acks: Vec<(String, uuid::Uuid, bool, Option<String>)> = sqlx::query_as(
        "SELECT device_id, cmd_id, ack_ok, ack_reason FROM device_command
         WHERE acked_at IS NOT NULL ORDER BY cmd_id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        acks,
        vec![
            ("rink-1".into(), done.as_uuid(), true, None),
            (
                "rink-1".into(),
                refused.as_uuid(),
                false,
                Some("no calibration".into())
            ),
        ],
        "the unknown device's ack is dead-lettered, not kept"
    );
}
