//! The store-and-forward MQTT uplink (DESIGN.md §4–5). It publishes the store's unacknowledged
//! records in `seq` order as size-limited batches on `bs/v1/{tenant}/{device}/events`, and marks
//! them synced only on the cloud's application ack (never on PUBACK). The decisions — window,
//! stale acks, resend after silence, reconnect back-off — are `benchsight_core::delivery`'s; this
//! module does the I/O: one task drives the rumqttc event loop (reconnecting with back-off and
//! jitter), the other publishes, reads acks and commands, and reports status and telemetry.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchsight_core::delivery::{AckOutcome, Backoff, Delivery, DeliverySettings};
use benchsight_core::ids::{DeviceId, StoreId, TenantId};
use benchsight_core::topic::{Topic, TopicKind};
use benchsight_core::wire::{
    self, Ack, Command, CommandAck, CommandBody, DeviceState, EncodeError, EventBatch,
    MAX_PAYLOAD_BYTES, MAX_RECORDS_PER_BATCH, Record, Status, Telemetry, Versions,
};
use rand::Rng;
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, Publish, QoS};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::EdgeConfig;
use crate::health::{PipelineHealth, disk_space, temperature_c};
use crate::store::{CommandOutcome, Store, StoreError, unix_ms};

/// Records read from the store per publishing round, so acks and commands are served between
/// rounds even while a large backlog drains.
const RECORDS_PER_ROUND: u64 = 5_000;

/// Encodes `records` (consecutive, in `seq` order) as one or more event-batch payloads, each
/// within the record-count and byte limits. A record too large to travel even alone is an error:
/// it can never be delivered and must not silently stall the outbox.
pub fn encode_batches(store: StoreId, records: &[Record]) -> Result<Vec<Vec<u8>>, EncodeError> {
    let mut payloads = Vec::new();
    let mut rest = records;
    while !rest.is_empty() {
        let mut take = rest.len().min(MAX_RECORDS_PER_BATCH);
        loop {
            let batch = EventBatch {
                store,
                records: rest[..take].to_vec(),
            };
            match wire::encode(&batch) {
                Ok(payload) => {
                    payloads.push(payload);
                    break;
                }
                Err(EncodeError::TooLarge { .. }) if take > 1 => take = take.div_ceil(2),
                Err(error) => return Err(error),
            }
        }
        rest = &rest[take..];
    }
    Ok(payloads)
}

/// Why the uplink stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    #[error("cannot read {what} {path}: {source}")]
    Secret {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("record batch cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
    #[error("the MQTT client stopped: {0}")]
    Client(#[from] rumqttc::ClientError),
}

/// TLS material for the broker connection.
#[derive(Clone)]
pub struct TlsFiles {
    pub ca_pem: Vec<u8>,
    /// Client certificate and key (PEM), for brokers that authenticate devices by certificate.
    pub client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("client_auth", &self.client_auth.is_some())
            .finish_non_exhaustive()
    }
}

/// Everything the uplink needs to know, read once from the configuration and its secret files.
#[derive(Clone)]
pub struct UplinkSettings {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Option<String>,
    pub tls: Option<TlsFiles>,
    pub keep_alive: Duration,
    pub delivery: DeliverySettings,
    pub telemetry_interval: Duration,
    pub versions: Versions,
    /// Folder whose file system the telemetry reports (the state directory).
    pub disk_path: PathBuf,
}

impl std::fmt::Debug for UplinkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UplinkSettings")
            .field("tenant", &self.tenant)
            .field("device", &self.device)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

fn read_secret(what: &'static str, path: &PathBuf) -> Result<Vec<u8>, UplinkError> {
    std::fs::read(path).map_err(|source| UplinkError::Secret {
        what,
        path: path.clone(),
        source,
    })
}

impl UplinkSettings {
    /// Reads the broker section and the files it names (password, CA, client certificate).
    pub fn from_config(config: &EdgeConfig, versions: Versions) -> Result<Self, UplinkError> {
        let broker = &config.broker;
        let password = broker
            .password_file
            .as_ref()
            .map(|path| read_secret("broker password file", path))
            .transpose()?
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned());
        let tls = broker
            .ca_file
            .as_ref()
            .map(|ca| -> Result<TlsFiles, UplinkError> {
                let client_auth = match (&broker.client_cert_file, &broker.client_key_file) {
                    (Some(cert), Some(key)) => Some((
                        read_secret("client certificate", cert)?,
                        read_secret("client key", key)?,
                    )),
                    _ => None,
                };
                Ok(TlsFiles {
                    ca_pem: read_secret("broker CA file", ca)?,
                    client_auth,
                })
            })
            .transpose()?;
        Ok(Self {
            tenant: config.device.tenant.clone(),
            device: config.device.id.clone(),
            host: broker.host.clone(),
            port: broker.port,
            username: config.broker_username(),
            password,
            tls,
            keep_alive: Duration::from_secs(broker.keep_alive_s),
            delivery: DeliverySettings {
                ack_timeout: Duration::from_secs(broker.ack_timeout_s),
                max_in_flight: broker.max_in_flight,
            },
            telemetry_interval: Duration::from_secs(broker.telemetry_interval_s),
            versions,
            disk_path: config.state_dir.clone(),
        })
    }

    fn topic(&self, kind: TopicKind) -> String {
        Topic::new(self.tenant.clone(), self.device.clone(), kind).to_string()
    }

    fn mqtt_options(&self) -> Result<MqttOptions, UplinkError> {
        // The client id is the device id: with a persistent session the broker keeps the
        // subscriptions (and queues acks and commands) while the appliance is away.
        let mut options = MqttOptions::new(self.device.as_str(), &self.host, self.port);
        options
            .set_keep_alive(self.keep_alive)
            .set_clean_session(false)
            .set_max_packet_size(MAX_PAYLOAD_BYTES + 4096, MAX_PAYLOAD_BYTES + 4096)
            .set_request_channel_capacity(64)
            .set_inflight(100)
            .set_last_will(LastWill::new(
                self.topic(TopicKind::Status),
                self.status(DeviceState::Offline)?,
                QoS::AtLeastOnce,
                true,
            ));
        self.apply_login(&mut options);
        Ok(options)
    }

    /// Sets the device's credentials and TLS on `options` (the uplink's and `doctor`'s).
    pub fn apply_login(&self, options: &mut MqttOptions) {
        if let Some(password) = &self.password {
            options.set_credentials(&self.username, password);
        }
        if let Some(tls) = &self.tls {
            options.set_transport(rumqttc::Transport::tls(
                tls.ca_pem.clone(),
                tls.client_auth.clone(),
                None,
            ));
        }
    }

    fn status(&self, state: DeviceState) -> Result<Vec<u8>, UplinkError> {
        Ok(wire::encode(&Status {
            state,
            versions: Some(self.versions.clone()),
        })?)
    }
}

/// Carries out what the cloud commands (start / end a game, calibration, ping). An `Err`
/// holds the reason sent back in the negative ack.
pub trait CommandHandler: Send {
    fn handle(&mut self, command: &CommandBody) -> Result<(), String>;
}

/// What the connection task reports to the uplink.
#[derive(Debug)]
enum Link {
    Up { session_present: bool },
    Incoming(Publish),
    Down(String),
}

/// Drives rumqttc's event loop: polling it is what connects, reconnects, sends and receives.
/// After a failure it waits out an exponential back-off with jitter before the next attempt.
async fn drive_connection(
    mut eventloop: EventLoop,
    links: mpsc::UnboundedSender<Link>,
    stop: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        let polled = tokio::select! {
            () = stop.cancelled() => return,
            polled = eventloop.poll() => polled,
        };
        let link = match polled {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff.reset();
                Link::Up {
                    session_present: ack.session_present,
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => Link::Incoming(publish),
            Ok(_) => continue,
            Err(error) => {
                let down = Link::Down(error.to_string());
                if links.send(down).is_err() {
                    return;
                }
                let delay = backoff.next_delay(rand::rng().random());
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(delay) => continue,
                }
            }
        };
        if links.send(link).is_err() {
            return;
        }
    }
}

/// How an uplink run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UplinkReport {
    pub acked_through: u64,
    pub committed_through: u64,
}

/// The uplink of one store.
pub struct Uplink<H> {
    settings: UplinkSettings,
    store: Store,
    delivery: Delivery,
    client: AsyncClient,
    handler: H,
    health: Arc<PipelineHealth>,
    events_topic: String,
    started: Instant,
    connected: bool,
    last_telemetry: Option<(Instant, u64)>,
}

impl<H> std::fmt::Debug for Uplink<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uplink")
            .field("settings", &self.settings)
            .field("delivery", &self.delivery)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

impl<H: CommandHandler> Uplink<H> {
    /// Runs until `cancel`: delivers what `store` holds and what is committed later (each
    /// commit announces its last seq on `committed`), answers commands through `handler`.
    /// On cancel it says `offline` (retained) and disconnects cleanly.
    pub async fn run(
        settings: UplinkSettings,
        store: Store,
        mut committed: watch::Receiver<u64>,
        handler: H,
        health: Arc<PipelineHealth>,
        cancel: CancellationToken,
    ) -> Result<UplinkReport, UplinkError> {
        let delivery = Delivery::new(
            store.store_id(),
            settings.delivery,
            store.acked_through()?,
            store.last_seq()?,
        );
        let (client, eventloop) = AsyncClient::new(settings.mqtt_options()?, 64);
        let (link_tx, mut links) = mpsc::unbounded_channel();
        let stop_connection = CancellationToken::new();
        let connection = tokio::spawn(drive_connection(
            eventloop,
            link_tx,
            stop_connection.clone(),
        ));
        let mut uplink = Uplink {
            events_topic: settings.topic(TopicKind::Events),
            settings,
            store,
            delivery,
            client,
            handler,
            health,
            started: Instant::now(),
            connected: false,
            last_telemetry: None,
        };
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut telemetry = tokio::time::interval(uplink.settings.telemetry_interval);
        telemetry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut commits_open = true;
        uplink.delivery.on_committed(*committed.borrow_and_update());
        let outcome = loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => break Ok(()),
                link = links.recv() => match link {
                    Some(link) => {
                        if let Err(error) = uplink.on_link(link).await {
                            break Err(error);
                        }
                    }
                    None => break Ok(()),
                },
                changed = committed.changed(), if commits_open => {
                    // A closed channel means no more commits: the last value stays valid.
                    commits_open = changed.is_ok();
                    uplink.delivery.on_committed(*committed.borrow_and_update());
                }
                _ = telemetry.tick(), if uplink.connected => {
                    if let Err(error) = uplink.publish_telemetry().await {
                        break Err(error);
                    }
                }
                _ = tick.tick() => {}
            }
            if uplink.connected
                && let Err(error) = uplink.publish_pending().await
            {
                break Err(error);
            }
        };
        uplink.say_goodbye(&mut links).await;
        stop_connection.cancel();
        let _ = connection.await;
        outcome.map(|()| UplinkReport {
            acked_through: uplink.delivery.acked_through(),
            committed_through: uplink.delivery.committed_through(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn on_link(&mut self, link: Link) -> Result<(), UplinkError> {
        match link {
            Link::Up { session_present } => {
                tracing::info!(
                    host = %self.settings.host,
                    session_present,
                    backlog = self.delivery.backlog(),
                    "connected to the broker"
                );
                self.connected = true;
                self.delivery.on_connected();
                // Subscribing again is harmless with a kept session and needed without one.
                for kind in [TopicKind::Ack, TopicKind::Cmd] {
                    self.client
                        .subscribe(self.settings.topic(kind), QoS::AtLeastOnce)
                        .await?;
                }
                let online = self.settings.status(DeviceState::Online)?;
                self.client
                    .publish(
                        self.settings.topic(TopicKind::Status),
                        QoS::AtLeastOnce,
                        true,
                        online,
                    )
                    .await?;
            }
            Link::Down(reason) => {
                if self.connected {
                    tracing::warn!(%reason, "lost the broker; events keep being logged");
                } else {
                    tracing::debug!(%reason, "broker still unreachable");
                }
                self.connected = false;
            }
            Link::Incoming(publish) => {
                if publish.topic == self.settings.topic(TopicKind::Ack) {
                    self.on_ack(&publish.payload)?;
                } else if publish.topic == self.settings.topic(TopicKind::Cmd) {
                    let ack = self.on_command(&publish.payload)?;
                    let payload = wire::encode(&ack)?;
                    self.client
                        .publish(
                            self.settings.topic(TopicKind::CmdAck),
                            QoS::AtLeastOnce,
                            false,
                            payload,
                        )
                        .await?;
                } else {
                    tracing::debug!(topic = %publish.topic, "ignoring a message on an unexpected topic");
                }
            }
        }
        Ok(())
    }

    fn on_ack(&mut self, payload: &[u8]) -> Result<(), UplinkError> {
        let ack = match wire::decode::<Ack>(payload) {
            Ok(ack) => ack,
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed ack");
                return Ok(());
            }
        };
        match self.delivery.on_ack(&ack, self.now_ms()) {
            AckOutcome::Advanced { through_seq } => {
                self.store.mark_acked(through_seq)?;
            }
            AckOutcome::Stale => {}
            AckOutcome::OtherStore => {
                tracing::info!(store = %ack.store, "ignoring an ack for another store incarnation");
            }
            AckOutcome::BeyondCommitted {
                through_seq,
                committed,
            } => {
                tracing::warn!(
                    through_seq,
                    committed,
                    "ignoring an ack beyond the last committed record"
                );
            }
        }
        Ok(())
    }

    /// Validates and carries out one command, answering a redelivered one from the store.
    fn on_command(&mut self, payload: &[u8]) -> Result<CommandAck, UplinkError> {
        let reject = |cmd_id, reason: String| {
            tracing::warn!(?cmd_id, %reason, "rejected a command");
            CommandAck {
                cmd_id,
                ok: false,
                reason: Some(reason),
            }
        };
        let command = match wire::decode::<Command>(payload) {
            Ok(command) => command,
            Err(error) => {
                return Ok(reject(wire::salvage_command_id(payload), error.to_string()));
            }
        };
        if let Some(reason) = command.misaddressed(&self.settings.tenant, &self.settings.device) {
            return Ok(reject(Some(command.cmd_id), reason));
        }
        let outcome = match self.store.command_outcome(command.cmd_id)? {
            Some(earlier) => earlier,
            None => {
                let outcome = match self.handler.handle(&command.command) {
                    Ok(()) => CommandOutcome {
                        ok: true,
                        reason: None,
                    },
                    Err(reason) => CommandOutcome {
                        ok: false,
                        reason: Some(reason),
                    },
                };
                let kind = command_type(&command.command);
                let text = String::from_utf8_lossy(payload);
                self.store
                    .record_command(command.cmd_id, kind, &text, &outcome)?;
                outcome
            }
        };
        match &outcome.reason {
            Some(reason) => tracing::warn!(cmd_id = %command.cmd_id, %reason, "command refused"),
            None => {
                tracing::info!(cmd_id = %command.cmd_id, kind = command_type(&command.command), "command carried out")
            }
        }
        Ok(CommandAck {
            cmd_id: Some(command.cmd_id),
            ok: outcome.ok,
            reason: outcome.reason,
        })
    }

    /// Publishes what the delivery window allows, in rounds of at most [`RECORDS_PER_ROUND`].
    async fn publish_pending(&mut self) -> Result<(), UplinkError> {
        let Some((first, count)) = self.delivery.next_to_send(self.now_ms()) else {
            return Ok(());
        };
        let records = self
            .store
            .records_from(first, count.min(RECORDS_PER_ROUND))?;
        let Some(last) = records.last().map(|r| r.seq.get()) else {
            return Ok(());
        };
        for payload in encode_batches(self.store.store_id(), &records)? {
            self.client
                .publish(&self.events_topic, QoS::AtLeastOnce, false, payload)
                .await?;
        }
        self.delivery.on_published(last, self.now_ms());
        Ok(())
    }

    async fn publish_telemetry(&mut self) -> Result<(), UplinkError> {
        let health = self.health.snapshot();
        let now = Instant::now();
        let frames_per_s = match self.last_telemetry {
            Some((at, frames)) => {
                let seconds = now.duration_since(at).as_secs_f64().max(1e-3);
                (health.frames.saturating_sub(frames) as f64 / seconds) as f32
            }
            None => 0.0,
        };
        self.last_telemetry = Some((now, health.frames));
        let (disk_free_bytes, disk_total_bytes) =
            disk_space(&self.settings.disk_path).unwrap_or((0, 0));
        let telemetry = Telemetry {
            at_unix_ms: unix_ms(),
            frames_per_s,
            dropped_frames: health.dropped,
            lag_ms: health.lag_ms,
            backlog_records: self.delivery.backlog(),
            disk_free_bytes,
            disk_total_bytes,
            temperature_c: temperature_c(),
            versions: self.settings.versions.clone(),
        };
        self.client
            .publish(
                self.settings.topic(TopicKind::Telemetry),
                QoS::AtMostOnce,
                false,
                wire::encode(&telemetry)?,
            )
            .await?;
        Ok(())
    }

    /// Publishes the retained `offline` status and disconnects, giving the connection task a
    /// moment to send both; the Last Will covers the case where it cannot.
    async fn say_goodbye(&mut self, links: &mut mpsc::UnboundedReceiver<Link>) {
        if !self.connected {
            return;
        }
        let Ok(offline) = self.settings.status(DeviceState::Offline) else {
            return;
        };
        let sent = self
            .client
            .publish(
                self.settings.topic(TopicKind::Status),
                QoS::AtLeastOnce,
                true,
                offline,
            )
            .await
            .and(self.client.disconnect().await);
        if sent.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(link) = links.recv().await {
                    if matches!(link, Link::Down(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
}

fn command_type(command: &CommandBody) -> &'static str {
    match command {
        CommandBody::StartGame(_) => "start_game",
        CommandBody::EndGame { .. } => "end_game",
        CommandBody::SetCalibration { .. } => "set_calibration",
        CommandBody::Ping => "ping",
    }
}
