//! The uplink's drain benchmark: a store holding a day's backlog of one rink (engine records of
//! simulated games, repeated under fresh ids up to the count asked for) delivered through a real
//! broker to the DESIGN.md §4 acker, next to the same payloads published bare (no store, no
//! acks) — the transport's ceiling on this machine.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use benchsight_core::ids::EventId;
use benchsight_core::wire::{self, Amendment, CommandBody, EventBatch, RecordChange, Retraction};
use benchsight_edge::config::EdgeConfig;
use benchsight_edge::health::PipelineHealth;
use benchsight_edge::store::Store;
use benchsight_edge::uplink::{CommandHandler, Uplink, UplinkSettings, encode_batches};
use benchsight_sim::game::GameConfig;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::acker::Acker;
use crate::corruption::CorruptionLevels;
use crate::events::engine_only;

/// What the benchmark measured.
#[derive(Debug, Clone, Copy)]
pub struct DrainReport {
    pub records: u64,
    pub payload_bytes: u64,
    /// Our uplink: store → broker → acker → ack → watermark committed.
    pub uplink: Duration,
    /// The same payloads published bare to a counting subscriber.
    pub bare: Duration,
}

/// `count` engine records: the records of simulated games `seeds`, repeated with fresh event
/// ids (amendments and retractions follow their event) until there are enough.
pub fn backlog(count: usize, first_seed: u64) -> Vec<RecordChange> {
    let mut base = Vec::new();
    for seed in first_seed..first_seed + 3 {
        let mut game = GameConfig::new(seed);
        game.period_length_s = 600;
        base.extend(engine_only(game, CorruptionLevels::default()).records);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(first_seed);
    let mut out = Vec::with_capacity(count);
    while out.len() < count && !base.is_empty() {
        let mut fresh: HashMap<EventId, EventId> = HashMap::new();
        let mut rekey = |id: EventId| {
            *fresh
                .entry(id)
                .or_insert_with(|| EventId::appliance(1_764_000_000_000, rng.random()))
        };
        for change in base.iter().take(count - out.len()) {
            out.push(match change.clone() {
                RecordChange::Event(mut event) => {
                    event.event_id = rekey(event.event_id);
                    RecordChange::Event(event)
                }
                RecordChange::Amendment(Amendment { mut event, reason }) => {
                    event.event_id = rekey(event.event_id);
                    RecordChange::Amendment(Amendment { event, reason })
                }
                RecordChange::Retraction(Retraction { event_id, reason }) => {
                    RecordChange::Retraction(Retraction {
                        event_id: rekey(event_id),
                        reason,
                    })
                }
            });
        }
    }
    out
}

struct RefuseCommands;

impl CommandHandler for RefuseCommands {
    fn handle(&mut self, _: &CommandBody) -> Result<(), String> {
        Err("the drain benchmark takes no commands".into())
    }
}

/// Fills a store in `dir` with `changes`, then times the uplink draining it and the bare
/// publication of the same payloads, against the broker at `host:port`.
pub fn run(
    dir: &Path,
    changes: &[RecordChange],
    host: &str,
    port: u16,
) -> anyhow::Result<DrainReport> {
    let mut store = Store::open_in(dir)?;
    for chunk in changes.chunks(5_000) {
        store.commit(chunk)?;
    }
    let last = store.last_seq()?;
    let all = store.records_from(1, last)?;
    let payloads = encode_batches(store.store_id(), &all)?;
    let payload_bytes = payloads.iter().map(|p| p.len() as u64).sum();

    let config: EdgeConfig = serde_json::from_value(serde_json::json!({
        "device": {"tenant": "bench", "id": "drain"},
        "broker": {"host": host, "port": port, "ack_timeout_s": 30},
        "state_dir": dir,
    }))?;
    config.validate()?;
    let settings = UplinkSettings::from_config(&config, Default::default())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let acker = Acker::start(host, port)?;
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let cancel = CancellationToken::new();
    let (_committed_tx, committed) = watch::channel(last);
    let uplink = runtime.spawn(Uplink::run(
        settings,
        store,
        committed,
        RefuseCommands,
        Arc::new(PipelineHealth::default()),
        cancel.clone(),
    ));
    let watermark = Store::open_in(dir)?;
    while watermark.acked_through()? < last {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the backlog did not drain within 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let uplink_time = started.elapsed();
    cancel.cancel();
    runtime.block_on(uplink)??;
    drop(acker);

    let bare = runtime.block_on(publish_bare(host, port, payloads))?;
    Ok(DrainReport {
        records: last,
        payload_bytes,
        uplink: uplink_time,
        bare,
    })
}

/// Publishes `payloads` at QoS 1 to a subscriber on the same broker and times until it has
/// received them all.
async fn publish_bare(host: &str, port: u16, payloads: Vec<Vec<u8>>) -> anyhow::Result<Duration> {
    const TOPIC: &str = "bench/bare";
    let options = |id: &str| {
        let mut options = MqttOptions::new(id, host, port);
        options.set_max_packet_size(
            wire::MAX_PAYLOAD_BYTES + 4096,
            wire::MAX_PAYLOAD_BYTES + 4096,
        );
        options
    };
    let expected = payloads.len() as u64;
    let received = Arc::new(AtomicU64::new(0));
    let (subscriber, mut sub_loop) = AsyncClient::new(options("bench-bare-sub"), 64);
    subscriber.subscribe(TOPIC, QoS::AtLeastOnce).await?;
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = sub_loop.poll().await? {
            break;
        }
    }
    let counter = Arc::clone(&received);
    let sub_task = tokio::spawn(async move {
        while counter.load(Ordering::SeqCst) < expected {
            match sub_loop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    // Each payload is decoded, as the acker does, for a like-for-like read side.
                    let _ = wire::decode::<EventBatch>(&p.payload);
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let (publisher, mut pub_loop) = AsyncClient::new(options("bench-bare-pub"), 64);
    let pub_task = tokio::spawn(async move { while pub_loop.poll().await.is_ok() {} });
    let started = Instant::now();
    for payload in payloads {
        publisher
            .publish(TOPIC, QoS::AtLeastOnce, false, payload)
            .await?;
    }
    tokio::time::timeout(Duration::from_secs(300), sub_task).await??;
    let elapsed = started.elapsed();
    pub_task.abort();
    anyhow::ensure!(
        received.load(Ordering::SeqCst) == expected,
        "the bare subscriber missed payloads"
    );
    Ok(elapsed)
}
