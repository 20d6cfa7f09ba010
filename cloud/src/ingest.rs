//! The ingest boundary: an MQTT message (topic + payload) from a device becomes an
//! [`IncomingBatch`] addressed to one tenant and device, or a [`Rejection`] whose reason goes to
//! the dead-letter table. Storage and acknowledgement build on this.

use benchsight_core::topic::{Topic, TopicError, TopicKind};
use benchsight_core::wire::{self, DecodeError, EventBatch};

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
    #[error("a {0} message arrived where event batches were expected")]
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
