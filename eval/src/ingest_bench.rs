//! The cloud's ingest benchmark: engine records from simulated games delivered by one simulated
//! device through the broker to the ingest worker (ledger, events, watermark, acks), next to a
//! raw UNNEST insert of the same events in the same batches; and the ETL over the real
//! hand-tracked games next to BenchSight's own Python ETL figure.

use std::path::Path;
use std::time::{Duration, Instant};

use benchsight_cloud::audit::Actor;
use benchsight_cloud::db::{create_tenant, provision_database};
use benchsight_cloud::events::insert_events;
use benchsight_cloud::import::import_tracker;
use benchsight_cloud::worker::{IngestSettings, run_ingest};
use benchsight_core::ids::{RecordId, Seq, StoreId, TenantId};
use benchsight_core::stats::game_stats;
use benchsight_core::tracker::read_tracker_file;
use benchsight_core::wire::{self, Record, RecordChange};
use benchsight_edge::uplink::encode_batches;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tokio_util::sync::CancellationToken;

/// What the benchmark measured.
#[derive(Debug, Clone, Copy)]
pub struct IngestBenchReport {
    pub events: u64,
    pub batches: usize,
    pub ingest: Duration,
    pub raw_insert: Duration,
    pub games: usize,
    pub etl: Duration,
    pub import_with_etl: Duration,
}

/// Runs the benchmark against the PostgreSQL server of `admin_url` (a superuser; a database
/// `bs_bench_ingest` is re-created) and the broker at `host:port`.
pub async fn run(
    admin_url: &str,
    host: &str,
    port: u16,
    events: usize,
    tracker_games: &[&Path],
) -> anyhow::Result<IngestBenchReport> {
    let (_owner, db) = provision_database(admin_url, "bs_bench_ingest", "bs_bench_service").await?;
    let (mqtt, raw) = (
        TenantId::parse("bench-mqtt")?,
        TenantId::parse("bench-raw")?,
    );
    create_tenant(&db, &mqtt, "bench", &Actor::new("bench")).await?;
    create_tenant(&db, &raw, "bench", &Actor::new("bench")).await?;
    let mut tx = db.tenant(&mqtt).await?;
    sqlx::query("INSERT INTO device (tenant_id, device_id) VALUES ($1, 'rink-1')")
        .bind(mqtt.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let changes: Vec<RecordChange> = crate::drain::backlog(events, 701)
        .into_iter()
        .filter(|c| matches!(c, RecordChange::Event(_)))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let store = StoreId::from_random_bytes(rng.random());
    let records: Vec<Record> = changes
        .iter()
        .enumerate()
        .map(|(i, change)| -> anyhow::Result<Record> {
            Ok(Record {
                seq: Seq::new(i as u64 + 1)?,
                record_id: RecordId::new(1_764_000_000_000, rng.random()),
                change: change.clone(),
            })
        })
        .collect::<Result<_, _>>()?;
    let payloads = encode_batches(store, &records)?;
    let batches = payloads.len();

    // Through the broker and the worker.
    let cancel = CancellationToken::new();
    let worker = tokio::spawn(run_ingest(
        db.clone(),
        IngestSettings {
            host: host.to_owned(),
            port,
            credentials: None,
            share_group: format!("bench-{}", std::process::id()),
            client_id: format!("bench-ingest-{}", std::process::id()),
            etl_debounce: Duration::from_secs(3600),
        },
        cancel.clone(),
    ));
    let mut options = MqttOptions::new(format!("bench-device-{}", std::process::id()), host, port);
    options.set_max_packet_size(
        wire::MAX_PAYLOAD_BYTES + 4096,
        wire::MAX_PAYLOAD_BYTES + 4096,
    );
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    for payload in payloads {
        client
            .publish(
                "bs/v1/bench-mqtt/rink-1/events",
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await?;
    }
    let last = records.len() as i64;
    loop {
        let mut tx = db.tenant(&mqtt).await?;
        let through: Option<i64> =
            sqlx::query_scalar("SELECT through_seq FROM device_store WHERE tenant_id = $1")
                .bind(mqtt.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if through == Some(last) {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "ingest did not finish"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ingest = started.elapsed();
    cancel.cancel();
    worker.await??;

    // The same events, the same batches, straight into the table.
    // Another tenant's copy: the same rows (event ids are unique per tenant).
    let events: Vec<_> = changes
        .into_iter()
        .filter_map(|c| match c {
            RecordChange::Event(event) => Some(event),
            _ => None,
        })
        .collect();
    let mut tx = db.tenant(&raw).await?;
    let mut games: Vec<&str> = events.iter().map(|e| e.game_id.as_str()).collect();
    games.sort_unstable();
    games.dedup();
    for game in games {
        sqlx::query(
            "INSERT INTO game (tenant_id, game_id, period_lengths_s, source) VALUES ($1, $2, '{}', 'auto')",
        )
        .bind(raw.as_str())
        .bind(game)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let per_batch = records.len().div_ceil(batches.max(1));
    let started = Instant::now();
    for chunk in events.chunks(per_batch.max(1)) {
        let mut tx = db.tenant(&raw).await?;
        insert_events(&mut tx, &raw, chunk, None).await?;
        tx.commit().await?;
    }
    let raw_insert = started.elapsed();

    // The ETL over the real games, pure and through the database.
    let league = TenantId::parse("bench-league")?;
    create_tenant(&db, &league, "bench", &Actor::new("bench")).await?;
    let mut parsed = Vec::new();
    for path in tracker_games {
        parsed.push(read_tracker_file(&std::fs::read_to_string(path)?, &league)?);
    }
    let started = Instant::now();
    for game in &parsed {
        std::hint::black_box(game_stats(&game.events, &game.stints));
    }
    let etl = started.elapsed();
    let started = Instant::now();
    for game in &parsed {
        import_tracker(&db, &league, game, &Actor::new("bench")).await?;
    }
    let import_with_etl = started.elapsed();
    Ok(IngestBenchReport {
        events: records.len() as u64,
        batches,
        ingest,
        raw_insert,
        games: parsed.len(),
        etl,
        import_with_etl,
    })
}
