//! The uplink's encoding step: committed outbox records become MQTT payloads for
//! `bs/v1/{tenant}/{device}/events`, split so that no payload exceeds the protocol's limits.
//! Connection handling and acknowledgement tracking build on this.

use benchsight_core::ids::StoreId;
use benchsight_core::wire::{self, EncodeError, EventBatch, MAX_RECORDS_PER_BATCH, Record};

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
