//! The ingest worker: a shared subscription (`$share/{group}/bs/v1/+/+/events`) so several cloud
//! processes split the fleet's messages; each batch stored exactly once, then acknowledged to
//! its device with the store's contiguous watermark; bad messages dead-lettered; the statistics
//! of touched games recomputed once their events settle (debounced).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use benchsight_core::delivery::Backoff;
use benchsight_core::ids::{GameId, TenantId};
use benchsight_core::topic::TopicKind;
use benchsight_core::wire::{self, Ack, MAX_PAYLOAD_BYTES};
use rand::Rng;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use tokio_util::sync::CancellationToken;

use crate::db::Database;
use crate::etl::recompute_game;
use crate::ingest::{
    DeviceReport, IncomingBatch, IngestError, dead_letter, store_batch, store_device_report,
};

/// Where the worker listens.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    pub share_group: String,
    /// Stable per process: with a persistent session the broker keeps unacknowledged messages
    /// for a worker that restarts.
    pub client_id: String,
    /// A game's statistics are recomputed once no event touched it for this long.
    pub etl_debounce: Duration,
}

/// Counters of one worker run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub batches: u64,
    pub new_records: u64,
    pub dead_letters: u64,
    pub recomputed_games: u64,
}

/// Runs until `cancel`.
pub async fn run_ingest(
    db: Database,
    settings: IngestSettings,
    cancel: CancellationToken,
) -> Result<IngestReport, IngestError> {
    let mut options = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_max_packet_size(MAX_PAYLOAD_BYTES + 4096, MAX_PAYLOAD_BYTES + 4096);
    if let Some((user, password)) = &settings.credentials {
        options.set_credentials(user, password);
    }
    let (client, eventloop) = AsyncClient::new(options, 256);
    let filters: Vec<String> = [
        TopicKind::Events,
        TopicKind::Status,
        TopicKind::Telemetry,
        TopicKind::CmdAck,
    ]
    .into_iter()
    .map(|kind| kind.shared_filter(&settings.share_group))
    .collect();
    // The event loop is driven by a task of its own, so that awaiting the client (acks to the
    // broker and to devices) never waits on a loop nobody polls.
    let (links, mut incoming) = tokio::sync::mpsc::channel(64);
    let stop_connection = CancellationToken::new();
    let connection = tokio::spawn(drive_connection(eventloop, links, stop_connection.clone()));
    let mut stale: BTreeMap<(TenantId, GameId), Instant> = BTreeMap::new();
    let mut report = IngestReport::default();
    let mut etl_tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        let link = tokio::select! {
            () = cancel.cancelled() => break,
            _ = etl_tick.tick() => {
                report.recomputed_games += recompute_settled(&db, &mut stale, settings.etl_debounce).await;
                continue;
            }
            link = incoming.recv() => match link {
                Some(link) => link,
                None => break,
            },
        };
        let publish = match link {
            Link::Up => {
                for filter in &filters {
                    if let Err(error) = client.subscribe(filter, QoS::AtLeastOnce).await {
                        tracing::error!(%error, %filter, "cannot subscribe");
                    }
                }
                continue;
            }
            Link::Message(publish) => publish,
        };
        report.batches += 1;
        match handle(&db, &client, &publish).await {
            Ok(Handled::Stored { new_records, games }) => {
                report.new_records += new_records;
                let now = Instant::now();
                for game in games {
                    stale.insert(game, now);
                }
            }
            Ok(Handled::DeadLettered) => report.dead_letters += 1,
            Err(error) => {
                // Not acknowledged: the broker redelivers it, and the device resends after its
                // ack timeout in any case.
                tracing::error!(%error, topic = %publish.topic, "cannot store a batch");
                continue;
            }
        }
        if let Err(error) = client.ack(&publish).await {
            tracing::warn!(%error, "cannot acknowledge a message to the broker");
        }
    }
    report.recomputed_games += recompute_settled(&db, &mut stale, Duration::ZERO).await;
    // Disconnect while the loop still runs, so the broker hears it.
    if client.disconnect().await.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while incoming.recv().await.is_some() {}
        })
        .await;
    }
    stop_connection.cancel();
    let _ = connection.await;
    Ok(report)
}

/// What the connection task hands the worker.
#[derive(Debug)]
enum Link {
    Up,
    Message(Publish),
}

/// Polls rumqttc's event loop (connecting, reconnecting with back-off and jitter) and passes
/// connections and messages on; a full channel holds the loop back, and so the broker.
async fn drive_connection(
    mut eventloop: EventLoop,
    links: tokio::sync::mpsc::Sender<Link>,
    stop: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        let polled = tokio::select! {
            () = stop.cancelled() => return,
            polled = eventloop.poll() => polled,
        };
        let link = match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                Link::Up
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => Link::Message(publish),
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(%error, "broker connection");
                let delay = backoff.next_delay(rand::rng().random());
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(delay) => continue,
                }
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            sent = links.send(link) => if sent.is_err() { return },
        }
    }
}

enum Handled {
    Stored {
        new_records: u64,
        games: Vec<(TenantId, GameId)>,
    },
    DeadLettered,
}

/// Stores one message and answers its device, or dead-letters it.
async fn handle(
    db: &Database,
    client: &AsyncClient,
    publish: &Publish,
) -> Result<Handled, IngestError> {
    if !publish.topic.ends_with("/events") {
        return handle_device_report(db, publish).await;
    }
    let incoming = match IncomingBatch::from_message(&publish.topic, &publish.payload) {
        Ok(incoming) => incoming,
        Err(rejection) => {
            tracing::warn!(topic = %publish.topic, %rejection, "dead-lettered a message");
            dead_letter(db, &publish.topic, &publish.payload, &rejection.to_string()).await?;
            return Ok(Handled::DeadLettered);
        }
    };
    let outcome = match store_batch(db, &incoming).await {
        Ok(outcome) => outcome,
        Err(error @ IngestError::Unauthorised { .. }) => {
            tracing::warn!(topic = %publish.topic, %error, "dead-lettered a message");
            dead_letter(db, &publish.topic, &publish.payload, &error.to_string()).await?;
            return Ok(Handled::DeadLettered);
        }
        Err(error) => return Err(error),
    };
    let ack = Ack {
        store: incoming.batch.store,
        through_seq: outcome.through_seq,
    };
    match wire::encode(&ack) {
        Ok(payload) => {
            let topic = incoming.topic.with_kind(TopicKind::Ack).to_string();
            if let Err(error) = client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
            {
                tracing::warn!(%error, "cannot publish an ack");
            }
        }
        Err(error) => tracing::error!(%error, "cannot encode an ack"),
    }
    let tenant = incoming.topic.tenant.clone();
    Ok(Handled::Stored {
        new_records: outcome.new_records,
        games: outcome
            .games
            .into_iter()
            .map(|game| (tenant.clone(), game))
            .collect(),
    })
}

/// A device's status, telemetry or command ack onto its rows, or a dead letter.
async fn handle_device_report(db: &Database, publish: &Publish) -> Result<Handled, IngestError> {
    let stored = match DeviceReport::from_message(&publish.topic, &publish.payload) {
        Ok((topic, report)) => store_device_report(db, &topic, &report).await,
        Err(rejection) => Err(IngestError::Rejected(rejection)),
    };
    match stored {
        Ok(()) => Ok(Handled::Stored {
            new_records: 0,
            games: Vec::new(),
        }),
        Err(error @ (IngestError::Unauthorised { .. } | IngestError::Rejected(_))) => {
            tracing::warn!(topic = %publish.topic, %error, "dead-lettered a message");
            dead_letter(db, &publish.topic, &publish.payload, &error.to_string()).await?;
            Ok(Handled::DeadLettered)
        }
        Err(error) => Err(error),
    }
}

/// Recomputes the games untouched for `debounce`; returns how many.
async fn recompute_settled(
    db: &Database,
    stale: &mut BTreeMap<(TenantId, GameId), Instant>,
    debounce: Duration,
) -> u64 {
    let settled: Vec<(TenantId, GameId)> = stale
        .iter()
        .filter(|(_, touched)| touched.elapsed() >= debounce)
        .map(|(key, _)| key.clone())
        .collect();
    let mut done = 0;
    for (tenant, game) in settled {
        let outcome = async {
            let mut tx = db.tenant(&tenant).await?;
            recompute_game(&mut tx, &tenant, &game).await?;
            tx.commit().await?;
            Ok::<_, crate::db::DbError>(())
        }
        .await;
        match outcome {
            Ok(()) => {
                stale.remove(&(tenant, game));
                done += 1;
            }
            Err(error) => tracing::error!(%error, %game, "cannot recompute a game's statistics"),
        }
    }
    done
}
