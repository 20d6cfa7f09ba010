//! A stand-in for the cloud's ingest while it does not exist, following DESIGN.md §4 exactly:
//! it subscribes to every appliance's `events`, keeps each record once per (store, seq), and only
//! after keeping a batch publishes an ack carrying the highest contiguous seq of that store —
//! never on PUBACK. Tests and the drain benchmark compare what it holds with the appliance's
//! SQLite.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use benchsight_core::ids::StoreId;
use benchsight_core::topic::{Topic, TopicKind};
use benchsight_core::wire::{self, Ack, EventBatch, Record};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

/// What the acker has kept.
#[derive(Debug, Default, Clone)]
pub struct Kept {
    /// Records by store and seq, each kept once.
    pub records: BTreeMap<StoreId, BTreeMap<u64, Record>>,
    /// Every (store, seq) in order of arrival, repeats included.
    pub arrivals: Vec<(StoreId, u64)>,
    /// Acks published, by store: the last `through_seq`.
    pub acked: BTreeMap<StoreId, u64>,
    /// Payloads that were not a valid batch.
    pub malformed: u64,
}

impl Kept {
    /// The highest seq n of `store` such that 1..=n are all kept.
    pub fn contiguous(&self, store: StoreId) -> u64 {
        let Some(records) = self.records.get(&store) else {
            return 0;
        };
        let mut through = 0;
        for &seq in records.keys() {
            if seq != through + 1 {
                break;
            }
            through = seq;
        }
        through
    }
}

/// A running acker. Dropping it stops it.
#[derive(Debug)]
pub struct Acker {
    kept: Arc<Mutex<Kept>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn lock(kept: &Mutex<Kept>) -> MutexGuard<'_, Kept> {
    kept.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Acker {
    /// Connects to the broker at `host:port` (reconnecting whenever it goes away) and acks.
    pub fn start(host: &str, port: u16) -> std::io::Result<Self> {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut options = MqttOptions::new(format!("acker-{}", std::process::id()), host, port);
        options
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(
                wire::MAX_PAYLOAD_BYTES + 4096,
                wire::MAX_PAYLOAD_BYTES + 4096,
            )
            .set_clean_session(true);
        let shared = Arc::clone(&kept);
        let thread = std::thread::Builder::new()
            .name("acker".into())
            .spawn(move || runtime.block_on(serve(options, shared, stopped)))?;
        Ok(Self {
            kept,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// A copy of what has been kept so far.
    pub fn kept(&self) -> Kept {
        lock(&self.kept).clone()
    }

    /// The highest contiguous seq kept for `store`.
    pub fn contiguous(&self, store: StoreId) -> u64 {
        lock(&self.kept).contiguous(store)
    }
}

impl Drop for Acker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    options: MqttOptions,
    kept: Arc<Mutex<Kept>>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let (client, mut eventloop) = AsyncClient::new(options, 256);
    loop {
        let polled = tokio::select! {
            _ = &mut stopped => return,
            polled = eventloop.poll() => polled,
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let filter = TopicKind::Events.fleet_filter();
                if client.subscribe(filter, QoS::AtLeastOnce).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let Some((topic, ack)) = keep(&kept, &publish.topic, &publish.payload) else {
                    continue;
                };
                let Ok(payload) = wire::encode(&ack) else {
                    continue;
                };
                // The request channel is drained by this same loop: never wait on it here.
                let _ = client.try_publish(topic, QoS::AtLeastOnce, false, payload);
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Keeps one batch and returns the ack to publish (topic, ack).
fn keep(kept: &Mutex<Kept>, topic: &str, payload: &[u8]) -> Option<(String, Ack)> {
    let mut kept = lock(kept);
    let (Ok(topic), Ok(batch)) = (Topic::parse(topic), wire::decode::<EventBatch>(payload)) else {
        kept.malformed += 1;
        return None;
    };
    let store = batch.store;
    for record in batch.records {
        let seq = record.seq.get();
        kept.arrivals.push((store, seq));
        kept.records
            .entry(store)
            .or_default()
            .entry(seq)
            .or_insert(record);
    }
    let through_seq = kept.contiguous(store);
    kept.acked.insert(store, through_seq);
    Some((
        topic.with_kind(TopicKind::Ack).to_string(),
        Ack { store, through_seq },
    ))
}
