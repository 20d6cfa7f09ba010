//! The wire protocol between appliances and the cloud (DESIGN.md §4–5): versioned JSON envelopes
//! for record batches, acks, status, telemetry, commands and command acks.
//!
//! Every payload is `{"v": VERSION, "kind": KIND, "body": {...}}`. Decoding reads the version and
//! kind first, then parses the body with that version's layout, so an envelope of the previous
//! version stays decodable after a new one is introduced (`Message::decode_body` is where an older
//! layout is converted). Decoding never panics: any malformed, oversized, mis-addressed or invalid
//! payload becomes a [`DecodeError`] that says what is wrong.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::Rgb;
use crate::event::GameEvent;
use crate::homography::PointPair;
use crate::ids::{CommandId, DeviceId, EventId, GameId, RecordId, Seq, StoreId, TenantId};
use crate::topic::TopicKind;

/// The envelope version this build writes.
pub const ENVELOPE_VERSION: u32 = 1;
/// The oldest envelope version this build still reads (the previous release's, during roll-outs).
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// The largest payload accepted or produced, in bytes. The MQTT clients' maximum packet size is
/// set above this.
pub const MAX_PAYLOAD_BYTES: usize = 512 * 1024;
/// The most records one batch may carry.
pub const MAX_RECORDS_PER_BATCH: usize = 1000;
/// The longest free-text reason (amendments, retractions, command acks), in bytes.
pub const MAX_REASON_LEN: usize = 1000;

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("payload is {len} bytes; at most {MAX_PAYLOAD_BYTES} are accepted")]
    TooLarge { len: usize },
    #[error("payload is not a valid envelope: {0}")]
    Envelope(String),
    #[error(
        "envelope version {found} is not supported (this build reads \
         {OLDEST_READABLE_VERSION}..={ENVELOPE_VERSION})"
    )]
    UnsupportedVersion { found: u32 },
    #[error("envelope holds a {found} message where {expected} was expected")]
    WrongKind {
        expected: TopicKind,
        found: TopicKind,
    },
    #[error("{kind} body is malformed: {detail}")]
    Body { kind: TopicKind, detail: String },
    #[error("{kind} message is invalid: {detail}")]
    Invalid { kind: TopicKind, detail: String },
}

/// Why a message could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("encoded payload would be {len} bytes; at most {MAX_PAYLOAD_BYTES} are allowed")]
    TooLarge { len: usize },
    #[error("message is invalid: {0}")]
    Invalid(String),
    #[error("message could not be serialised: {0}")]
    Json(#[from] serde_json::Error),
}

/// A message type of the protocol, carried under one topic kind.
pub trait Message: Serialize + DeserializeOwned {
    const KIND: TopicKind;

    /// Checks the invariants that the JSON layout cannot express.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// Parses a body written with envelope `version` (already known to be readable). A new
    /// envelope version adds an arm here that reads the old layout and converts it.
    fn decode_body(version: u32, body: &str) -> Result<Self, serde_json::Error> {
        debug_assert!((OLDEST_READABLE_VERSION..=ENVELOPE_VERSION).contains(&version));
        serde_json::from_str(body)
    }
}

#[derive(Serialize)]
struct OutgoingEnvelope<'a, M> {
    v: u32,
    kind: TopicKind,
    body: &'a M,
}

#[derive(Deserialize)]
struct IncomingEnvelope<'a> {
    v: u32,
    kind: TopicKind,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// Encodes a message in the current envelope version, refusing invalid or oversized ones.
pub fn encode<M: Message>(message: &M) -> Result<Vec<u8>, EncodeError> {
    message.validate().map_err(EncodeError::Invalid)?;
    let payload = serde_json::to_vec(&OutgoingEnvelope {
        v: ENVELOPE_VERSION,
        kind: M::KIND,
        body: message,
    })?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(EncodeError::TooLarge { len: payload.len() });
    }
    Ok(payload)
}

/// Decodes a payload expected to hold an `M`.
pub fn decode<M: Message>(payload: &[u8]) -> Result<M, DecodeError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DecodeError::TooLarge { len: payload.len() });
    }
    let envelope: IncomingEnvelope<'_> =
        serde_json::from_slice(payload).map_err(|e| DecodeError::Envelope(e.to_string()))?;
    if !(OLDEST_READABLE_VERSION..=ENVELOPE_VERSION).contains(&envelope.v) {
        return Err(DecodeError::UnsupportedVersion { found: envelope.v });
    }
    if envelope.kind != M::KIND {
        return Err(DecodeError::WrongKind {
            expected: M::KIND,
            found: envelope.kind,
        });
    }
    let message =
        M::decode_body(envelope.v, envelope.body.get()).map_err(|e| DecodeError::Body {
            kind: M::KIND,
            detail: e.to_string(),
        })?;
    message.validate().map_err(|detail| DecodeError::Invalid {
        kind: M::KIND,
        detail,
    })?;
    Ok(message)
}

/// What one outbox record changes in the cloud's copy of a game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordChange {
    /// A new event.
    Event(GameEvent),
    /// A corrected version of an earlier event (same `event_id`), replacing it whole.
    Amendment(Amendment),
    /// An earlier event withdrawn (e.g. a "goal" that was a save).
    Retraction(Retraction),
}

/// A corrected version of an earlier event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amendment {
    pub event: GameEvent,
    pub reason: String,
}

/// An earlier event withdrawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retraction {
    pub event_id: EventId,
    pub reason: String,
}

impl RecordChange {
    /// The event this record creates, amends or retracts.
    pub fn event_id(&self) -> EventId {
        match self {
            RecordChange::Event(event) | RecordChange::Amendment(Amendment { event, .. }) => {
                event.event_id
            }
            RecordChange::Retraction(retraction) => retraction.event_id,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            RecordChange::Event(_) => None,
            RecordChange::Amendment(Amendment { reason, .. })
            | RecordChange::Retraction(Retraction { reason, .. }) => Some(reason),
        }
    }
}

/// One durable outbox record, as committed in the appliance's store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: Seq,
    pub record_id: RecordId,
    pub change: RecordChange,
}

/// Edge → cloud: consecutive records of one store, in `seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatch {
    pub store: StoreId,
    pub records: Vec<Record>,
}

impl Message for EventBatch {
    const KIND: TopicKind = TopicKind::Events;

    fn validate(&self) -> Result<(), String> {
        if self.records.is_empty() {
            return Err("a batch carries at least one record".into());
        }
        if self.records.len() > MAX_RECORDS_PER_BATCH {
            return Err(format!(
                "a batch carries at most {MAX_RECORDS_PER_BATCH} records; got {}",
                self.records.len()
            ));
        }
        if let Some(pair) = self.records.windows(2).find(|w| w[0].seq >= w[1].seq) {
            return Err(format!(
                "records must be in strictly increasing seq order; {} is followed by {}",
                pair[0].seq, pair[1].seq
            ));
        }
        if let Some(record) = self.records.iter().find(|r| {
            r.change
                .reason()
                .is_some_and(|reason| reason.len() > MAX_REASON_LEN)
        }) {
            return Err(format!(
                "record {} has a reason longer than {MAX_REASON_LEN} bytes",
                record.seq
            ));
        }
        Ok(())
    }
}

/// Cloud → edge: every record of `store` up to and including `through_seq` is stored (or
/// dead-lettered) in the cloud. `through_seq` 0 acknowledges nothing yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub store: StoreId,
    pub through_seq: u64,
}

impl Message for Ack {
    const KIND: TopicKind = TopicKind::Ack;
}

/// Whether an appliance is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Online,
    Offline,
}

/// Software versions an appliance runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Versions {
    pub daemon: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnxruntime: Option<String>,
}

/// Edge → cloud, retained: the appliance's connection state; the offline form is its Last Will.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub state: DeviceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
}

impl Message for Status {
    const KIND: TopicKind = TopicKind::Status;
}

/// Edge → cloud: periodic health figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Telemetry {
    pub at_unix_ms: u64,
    pub frames_per_s: f32,
    pub dropped_frames: u64,
    /// How far event derivation trails the camera.
    pub lag_ms: u64,
    /// Records committed but not yet acknowledged by the cloud.
    pub backlog_records: u64,
    pub disk_free_bytes: u64,
    pub disk_total_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f32>,
    pub versions: Versions,
}

impl Message for Telemetry {
    const KIND: TopicKind = TopicKind::Telemetry;

    fn validate(&self) -> Result<(), String> {
        let finite = self.frames_per_s.is_finite() && self.frames_per_s >= 0.0;
        let temperature_ok = self.temperature_c.is_none_or(f32::is_finite);
        if finite && temperature_ok {
            Ok(())
        } else {
            Err("frame rate and temperature must be finite (frame rate not negative)".into())
        }
    }
}

/// A team as the appliance needs to know it for one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSetup {
    pub name: String,
    /// Jersey colour; it names the colour cluster, it does not define it.
    pub colour: Rgb,
}

/// The context of a game an appliance is told to capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartGame {
    pub game_id: GameId,
    pub home: TeamSetup,
    pub away: TeamSetup,
    pub home_attacks_right_p1: bool,
    /// Length of each regulation period, in seconds (e.g. three of 1080).
    pub period_lengths_s: Vec<u32>,
}

/// What the cloud asks of an appliance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommandBody {
    StartGame(StartGame),
    EndGame {
        game_id: GameId,
    },
    /// New calibration landmarks for one camera.
    SetCalibration {
        camera: String,
        pairs: Vec<PointPair>,
    },
    Ping,
}

/// Cloud → edge: a command addressed to one device of one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub cmd_id: CommandId,
    pub tenant: TenantId,
    pub device: DeviceId,
    pub command: CommandBody,
}

impl Message for Command {
    const KIND: TopicKind = TopicKind::Cmd;

    fn validate(&self) -> Result<(), String> {
        match &self.command {
            CommandBody::StartGame(start) => {
                let periods = start.period_lengths_s.len();
                if !(1..=usize::from(crate::domain::MAX_PERIOD)).contains(&periods) {
                    return Err(format!("a game has 1 to 10 periods; got {periods}"));
                }
                if let Some(bad) = start
                    .period_lengths_s
                    .iter()
                    .find(|&&s| !(60..=3600).contains(&s))
                {
                    return Err(format!("period length {bad} s is outside 60..=3600"));
                }
                let names_ok = [&start.home.name, &start.away.name]
                    .iter()
                    .all(|n| !n.trim().is_empty() && n.len() <= 100);
                if !names_ok {
                    return Err("team names must be 1 to 100 bytes".into());
                }
                Ok(())
            }
            CommandBody::SetCalibration { camera, pairs } => {
                if camera.is_empty() || camera.len() > 64 {
                    return Err("camera name must be 1 to 64 bytes".into());
                }
                if pairs.len() < 4 {
                    return Err(format!(
                        "calibration needs at least 4 point pairs; got {}",
                        pairs.len()
                    ));
                }
                Ok(())
            }
            CommandBody::EndGame { .. } | CommandBody::Ping => Ok(()),
        }
    }
}

impl Command {
    /// Why this command is not for the appliance `tenant`/`device`, if it is not.
    pub fn misaddressed(&self, tenant: &TenantId, device: &DeviceId) -> Option<String> {
        (&self.tenant != tenant || &self.device != device).then(|| {
            format!(
                "command is addressed to {}/{}, this appliance is {tenant}/{device}",
                self.tenant, self.device
            )
        })
    }
}

/// The command id inside a payload that failed to decode as a [`Command`] (unknown type, bad
/// field), so the rejection can still be tied to it; `None` when not even that can be read.
pub fn salvage_command_id(payload: &[u8]) -> Option<CommandId> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    CommandId::parse(value.get("body")?.get("cmd_id")?.as_str()?).ok()
}

/// Edge → cloud: whether a command was carried out, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAck {
    /// The command answered; `None` for a payload too malformed to name one.
    pub cmd_id: Option<CommandId>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Message for CommandAck {
    const KIND: TopicKind = TopicKind::CmdAck;

    fn validate(&self) -> Result<(), String> {
        match &self.reason {
            Some(reason) if reason.len() > MAX_REASON_LEN => {
                Err(format!("reason is longer than {MAX_REASON_LEN} bytes"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
