//! Ingest: an MQTT message (topic + payload) from a device becomes an [`IncomingBatch`] addressed
//! to one tenant and device, or a [`Rejection`] whose reason goes to the dead-letter table; a
//! batch is stored exactly once per (tenant, device, store, seq) and answered with the store's
//! contiguous watermark (DESIGN.md §4).

use benchsight_core::ids::GameId;
use benchsight_core::topic::{Topic, TopicError, TopicKind};
use benchsight_core::wire::{self, DecodeError, EventBatch, Record, RecordChange};

use crate::db::{Database, DbError};
use crate::events::{Origin, insert_events, replace_event, review_status};

/// A decoded batch of records and the device that sent it (as named by the topic, which the
/// broker's ACL ties to the device's credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingBatch {
    pub topic: Topic,
    pub batch: EventBatch,
}

/// Why a message was refused; stored with the message as a dead letter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("bad topic: {0}")]
    Topic(#[from] TopicError),
    #[error("a {0} message arrived where it is not expected")]
    NotEvents(TopicKind),
    #[error("bad payload: {0}")]
    Payload(#[from] DecodeError),
}

impl IncomingBatch {
    /// Parses a message received on an events topic.
    pub fn from_message(topic: &str, payload: &[u8]) -> Result<Self, Rejection> {
        let topic = Topic::parse(topic)?;
        if topic.kind != TopicKind::Events {
            return Err(Rejection::NotEvents(topic.kind));
        }
        let batch = wire::decode::<EventBatch>(payload)?;
        Ok(Self { topic, batch })
    }
}

/// What storing one batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The highest contiguous seq of the batch's store now held (stored or rejected).
    pub through_seq: u64,
    /// Records of this batch seen for the first time.
    pub new_records: u64,
    /// Records of this batch that could not be applied (dead-lettered, still acknowledged).
    pub rejected: u64,
    /// Games whose statistics are now stale.
    pub games: Vec<GameId>,
}

/// Why a batch could not be stored at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("device {device} is not registered (or is revoked) in tenant {tenant}")]
    Unauthorised { tenant: String, device: String },
    #[error("{0}")]
    Rejected(Rejection),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for IngestError {
    fn from(error: sqlx::Error) -> Self {
        IngestError::Db(DbError::Query(error))
    }
}

fn kind(change: &RecordChange) -> &'static str {
    match change {
        RecordChange::Event(_) => "event",
        RecordChange::Amendment(_) => "amendment",
        RecordChange::Retraction(_) => "retraction",
    }
}

/// Stores a batch exactly once per (tenant, device, store, seq): records already in the ledger
/// are skipped, new ones applied (events inserted, amendments and retractions applied to their
/// event), and the store's contiguous watermark advanced — all in one transaction.
pub async fn store_batch(
    db: &Database,
    incoming: &IncomingBatch,
) -> Result<BatchOutcome, IngestError> {
    let (tenant, device) = (&incoming.topic.tenant, incoming.topic.device.as_str());
    let store = incoming.batch.store.as_uuid();
    let mut tx = db.tenant(tenant).await?;
    let registered: Option<bool> = sqlx::query_scalar(
        "SELECT revoked_at IS NULL FROM device WHERE tenant_id = $1 AND device_id = $2",
    )
    .bind(tenant.as_str())
    .bind(device)
    .fetch_optional(&mut *tx)
    .await?;
    if registered != Some(true) {
        return Err(IngestError::Unauthorised {
            tenant: tenant.to_string(),
            device: device.to_owned(),
        });
    }
    sqlx::query(
        "INSERT INTO device_store (tenant_id, device_id, store_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(device)
    .bind(store)
    .execute(&mut *tx)
    .await?;
    // The watermark row is locked: concurrent batches of one store are applied one at a time.
    let through: i64 = sqlx::query_scalar(
        "SELECT through_seq FROM device_store WHERE tenant_id = $1 AND device_id = $2
           AND store_id = $3 FOR UPDATE",
    )
    .bind(tenant.as_str())
    .bind(device)
    .bind(store)
    .fetch_one(&mut *tx)
    .await?;

    let records = &incoming.batch.records;
    let seqs: Vec<i64> = records.iter().map(|r| r.seq.get() as i64).collect();
    let record_ids: Vec<uuid::Uuid> = records.iter().map(|r| r.record_id.as_uuid()).collect();
    let event_ids: Vec<uuid::Uuid> = records
        .iter()
        .map(|r| r.change.event_id().as_uuid())
        .collect();
    let kinds: Vec<&str> = records.iter().map(|r| kind(&r.change)).collect();
    let fresh: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO device_record (tenant_id, device_id, store_id, seq, record_id, event_id, kind, outcome)
         SELECT $1, $2, $3, *, 'stored' FROM UNNEST($4::bigint[], $5::uuid[], $6::uuid[], $7::text[])
         ON CONFLICT DO NOTHING RETURNING seq",
    )
    .bind(tenant.as_str())
    .bind(device)
    .bind(store)
    .bind(&seqs)
    .bind(&record_ids)
    .bind(&event_ids)
    .bind(&kinds)
    .fetch_all(&mut *tx)
    .await?;
    let fresh: std::collections::BTreeSet<i64> = fresh.into_iter().collect();
    let new: Vec<&Record> = records
        .iter()
        .filter(|r| fresh.contains(&(r.seq.get() as i64)))
        .collect();

    let mut games = std::collections::BTreeSet::new();
    let mut events = Vec::new();
    let mut event_seqs = Vec::new();
    for record in &new {
        if let RecordChange::Event(event) = &record.change {
            games.insert(event.game_id.clone());
            events.push(event.clone());
            event_seqs.push(record.seq.get() as i64);
        }
    }
    for game in &games {
        sqlx::query(
            "INSERT INTO game (tenant_id, game_id, period_lengths_s, status, source)
             VALUES ($1, $2, '{}', 'live', 'auto') ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(game.as_str())
        .execute(&mut *tx)
        .await?;
    }
    insert_events(
        &mut tx,
        tenant,
        &events,
        Some(Origin {
            device,
            store,
            seqs: &event_seqs,
        }),
    )
    .await?;
    let mut rejected = 0;
    for record in &new {
        let applied = match &record.change {
            RecordChange::Event(_) => true,
            RecordChange::Amendment(amendment) => {
                let event = &amendment.event;
                games.insert(event.game_id.clone());
                replace_event(&mut tx, tenant, event, review_status(event)).await?
            }
            RecordChange::Retraction(retraction) => {
                let game: Option<String> = sqlx::query_scalar(
                    "UPDATE event SET retracted = true WHERE tenant_id = $1 AND event_id = $2
                     RETURNING game_id",
                )
                .bind(tenant.as_str())
                .bind(retraction.event_id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(game) = game.and_then(|g| GameId::parse(&g).ok()) {
                    games.insert(game);
                    true
                } else {
                    false
                }
            }
        };
        if !applied {
            rejected += 1;
            sqlx::query(
                "UPDATE device_record SET outcome = 'rejected' WHERE tenant_id = $1
                   AND device_id = $2 AND store_id = $3 AND seq = $4",
            )
            .bind(tenant.as_str())
            .bind(device)
            .bind(store)
            .bind(record.seq.get() as i64)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO ingest_reject (tenant_id, device_id, topic, reason) VALUES ($1, $2, $3, $4)",
            )
            .bind(tenant.as_str())
            .bind(device)
            .bind(incoming.topic.to_string())
            .bind(format!(
                "record {} ({}) refers to event {} which is not stored",
                record.seq,
                kind(&record.change),
                record.change.event_id()
            ))
            .execute(&mut *tx)
            .await?;
        }
    }

    // Contiguous watermark: rejected records count too (DESIGN.md §4).
    let above: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM device_record WHERE tenant_id = $1 AND device_id = $2 AND store_id = $3
           AND seq > $4 ORDER BY seq",
    )
    .bind(tenant.as_str())
    .bind(device)
    .bind(store)
    .bind(through)
    .fetch_all(&mut *tx)
    .await?;
    let mut through_seq = through;
    for seq in above {
        if seq != through_seq + 1 {
            break;
        }
        through_seq = seq;
    }
    if through_seq != through {
        sqlx::query(
            "UPDATE device_store SET through_seq = $4 WHERE tenant_id = $1 AND device_id = $2
               AND store_id = $3",
        )
        .bind(tenant.as_str())
        .bind(device)
        .bind(store)
        .bind(through_seq)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(BatchOutcome {
        through_seq: through_seq as u64,
        new_records: new.len() as u64,
        rejected,
        games: games.into_iter().collect(),
    })
}

/// Keeps a message that could not be stored, with the reason.
pub async fn dead_letter(
    db: &Database,
    topic: &str,
    payload: &[u8],
    reason: &str,
) -> Result<(), DbError> {
    // A message that names no readable tenant is kept under a tenant of its own.
    let (tenant, device) = match Topic::parse(topic) {
        Ok(topic) => (topic.tenant.to_string(), Some(topic.device.to_string())),
        Err(_) => (UNROUTED_TENANT.to_owned(), None),
    };
    let mut tx = db.pool().begin().await?;
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(&tenant)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ingest_reject (tenant_id, device_id, topic, reason, payload)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&tenant)
    .bind(device)
    .bind(topic.chars().take(200).collect::<String>())
    .bind(reason)
    .bind(&payload[..payload.len().min(64 * 1024)])
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The dead-letter tenant of messages whose topic names no tenant.
pub const UNROUTED_TENANT: &str = "_unrouted";

/// A device's message other than events (`status`, `telemetry` or `cmd_ack`), decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceReport {
    Status(wire::Status),
    Telemetry(wire::Telemetry),
    CommandAck(wire::CommandAck),
}

impl DeviceReport {
    /// Parses a message received on a `status`, `telemetry` or `cmd_ack` topic.
    pub fn from_message(topic: &str, payload: &[u8]) -> Result<(Topic, Self), Rejection> {
        let topic = Topic::parse(topic)?;
        let report = match topic.kind {
            TopicKind::Status => DeviceReport::Status(wire::decode(payload)?),
            TopicKind::Telemetry => DeviceReport::Telemetry(wire::decode(payload)?),
            TopicKind::CmdAck => DeviceReport::CommandAck(wire::decode(payload)?),
            other => return Err(Rejection::NotEvents(other)),
        };
        Ok((topic, report))
    }
}

/// Records a device's status or telemetry on its row (last seen now), or its answer to a command
/// on the command's row (kept even for a command the cloud has no record of sending). An
/// unregistered or revoked device is refused like its events are.
pub async fn store_device_report(
    db: &Database,
    topic: &Topic,
    report: &DeviceReport,
) -> Result<(), IngestError> {
    let mut tx = db.tenant(&topic.tenant).await?;
    let json = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| IngestError::Db(DbError::Corrupt(e.to_string())))
    };
    let updated = match report {
        DeviceReport::Status(status) => {
            let state = match status.state {
                wire::DeviceState::Online => "online",
                wire::DeviceState::Offline => "offline",
            };
            sqlx::query(
                "UPDATE device SET status = $3, versions = COALESCE($4, versions), last_seen = now()
                 WHERE tenant_id = $1 AND device_id = $2 AND revoked_at IS NULL",
            )
            .bind(topic.tenant.as_str())
            .bind(topic.device.as_str())
            .bind(state)
            .bind(status.versions.as_ref().map(serde_json::to_value).transpose().map_err(|e| IngestError::Db(DbError::Corrupt(e.to_string())))?)
            .execute(&mut *tx)
            .await?
        }
        DeviceReport::Telemetry(telemetry) => {
            sqlx::query(
                "UPDATE device SET telemetry = $3, versions = $4, last_seen = now()
                 WHERE tenant_id = $1 AND device_id = $2 AND revoked_at IS NULL",
            )
            .bind(topic.tenant.as_str())
            .bind(topic.device.as_str())
            .bind(json(serde_json::to_value(telemetry))?)
            .bind(json(serde_json::to_value(&telemetry.versions))?)
            .execute(&mut *tx)
            .await?
        }
        DeviceReport::CommandAck(ack) => {
            let seen = sqlx::query(
                "UPDATE device SET last_seen = now()
                 WHERE tenant_id = $1 AND device_id = $2 AND revoked_at IS NULL",
            )
            .bind(topic.tenant.as_str())
            .bind(topic.device.as_str())
            .execute(&mut *tx)
            .await?;
            match &ack.cmd_id {
                Some(cmd_id) if seen.rows_affected() == 1 => {
                    sqlx::query(
                        "INSERT INTO device_command
                             (tenant_id, device_id, cmd_id, acked_at, ack_ok, ack_reason)
                         VALUES ($1, $2, $3, now(), $4, $5)
                         ON CONFLICT (tenant_id, device_id, cmd_id) DO UPDATE
                         SET acked_at = now(), ack_ok = excluded.ack_ok,
                             ack_reason = excluded.ack_reason",
                    )
                    .bind(topic.tenant.as_str())
                    .bind(topic.device.as_str())
                    .bind(cmd_id.as_uuid())
                    .bind(ack.ok)
                    .bind(ack.reason.as_deref())
                    .execute(&mut *tx)
                    .await?;
                }
                Some(_) => {}
                None => tracing::warn!(
                    tenant = %topic.tenant,
                    device = %topic.device,
                    reason = ack.reason.as_deref().unwrap_or(""),
                    "the device refused a command too malformed to name"
                ),
            }
            seen
        }
    };
    if updated.rows_affected() != 1 {
        return Err(IngestError::Unauthorised {
            tenant: topic.tenant.to_string(),
            device: topic.device.to_string(),
        });
    }
    tx.commit().await?;
    Ok(())
}
