//! The appliance side of the delivery guarantee (DESIGN.md §4) as a pure state machine: which
//! outbox records to publish next, what an incoming ack means, when silence calls for a resend,
//! and how long to wait before reconnecting. Time and randomness are passed in; the uplink driver
//! in `edge` does the I/O.

use std::time::Duration;

use crate::ids::StoreId;
use crate::wire::Ack;

/// Settings of the delivery loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Republish from the lowest unacknowledged record when no ack arrives for this long while
    /// records are outstanding.
    pub ack_timeout: Duration,
    /// The most records published but not yet acknowledged; publishing pauses beyond it.
    pub max_in_flight: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            ack_timeout: Duration::from_secs(30),
            max_in_flight: 20_000,
        }
    }
}

/// What an incoming ack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Records up to and including `through_seq` are now known to be stored in the cloud.
    Advanced { through_seq: u64 },
    /// Not above what an earlier ack already said (several ingest workers may ack out of order).
    Stale,
    /// An ack for another incarnation of the store (a database re-created since): ignored.
    OtherStore,
    /// An ack for records this store never committed: ignored, and worth a warning.
    BeyondCommitted { through_seq: u64, committed: u64 },
}

/// Where delivery of one store's outbox stands.
#[derive(Debug, Clone)]
pub struct Delivery {
    store: StoreId,
    settings: DeliverySettings,
    /// Highest seq the cloud acknowledged (0: none).
    acked_through: u64,
    /// Highest seq published on the current connection (never below `acked_through`).
    sent_through: u64,
    /// Highest seq committed to the store.
    committed_through: u64,
    /// When the last ack advanced or the first unacknowledged publish went out, in ms of the
    /// caller's monotonic clock; `None` while nothing is outstanding.
    waiting_since_ms: Option<u64>,
}

impl Delivery {
    /// Delivery of `store`, resuming from its durable watermark `acked_through` with records
    /// committed up to `committed_through`.
    pub fn new(
        store: StoreId,
        settings: DeliverySettings,
        acked_through: u64,
        committed_through: u64,
    ) -> Self {
        Self {
            store,
            settings,
            acked_through,
            sent_through: acked_through,
            committed_through: committed_through.max(acked_through),
            waiting_since_ms: None,
        }
    }

    pub fn acked_through(&self) -> u64 {
        self.acked_through
    }

    pub fn committed_through(&self) -> u64 {
        self.committed_through
    }

    /// Records committed but not acknowledged.
    pub fn backlog(&self) -> u64 {
        self.committed_through - self.acked_through
    }

    /// New records were committed, up to `seq`.
    pub fn on_committed(&mut self, seq: u64) {
        self.committed_through = self.committed_through.max(seq);
    }

    /// A (re)connection: whatever was in flight may be lost, so publishing starts again from
    /// the lowest unacknowledged record.
    pub fn on_connected(&mut self) {
        self.sent_through = self.acked_through;
        self.waiting_since_ms = None;
    }

    /// The next run of records to publish: `(first_seq, at_most)`, or `None` when everything
    /// committed is in flight, the in-flight window is full, or nothing is pending. A silence
    /// longer than the ack timeout rewinds to the lowest unacknowledged record first.
    pub fn next_to_send(&mut self, now_ms: u64) -> Option<(u64, u64)> {
        if let Some(since) = self.waiting_since_ms {
            let silent = Duration::from_millis(now_ms.saturating_sub(since));
            if silent >= self.settings.ack_timeout && self.sent_through > self.acked_through {
                self.sent_through = self.acked_through;
                self.waiting_since_ms = None;
            }
        }
        let in_flight = self.sent_through - self.acked_through;
        let room = self.settings.max_in_flight.saturating_sub(in_flight);
        let pending = self.committed_through - self.sent_through;
        (room > 0 && pending > 0).then(|| (self.sent_through + 1, room.min(pending)))
    }

    /// Records up to `through_seq` were handed to the MQTT client.
    pub fn on_published(&mut self, through_seq: u64, now_ms: u64) {
        if through_seq > self.sent_through {
            self.sent_through = through_seq.min(self.committed_through);
            self.waiting_since_ms.get_or_insert(now_ms);
        }
    }

    /// An ack arrived. Only an ack for this store that raises the watermark counts.
    pub fn on_ack(&mut self, ack: &Ack, now_ms: u64) -> AckOutcome {
        if ack.store != self.store {
            return AckOutcome::OtherStore;
        }
        if ack.through_seq > self.committed_through {
            return AckOutcome::BeyondCommitted {
                through_seq: ack.through_seq,
                committed: self.committed_through,
            };
        }
        if ack.through_seq <= self.acked_through {
            return AckOutcome::Stale;
        }
        self.acked_through = ack.through_seq;
        self.sent_through = self.sent_through.max(self.acked_through);
        self.waiting_since_ms = (self.sent_through > self.acked_through).then_some(now_ms);
        AckOutcome::Advanced {
            through_seq: ack.through_seq,
        }
    }
}

/// Exponential reconnect back-off with jitter ("full jitter": a uniform draw below the
/// exponential ceiling, never below `min`), so a fleet that lost its broker together does not
/// come back in lock-step.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            failures: 0,
        }
    }

    /// The wait before the next attempt after one more failure; `unit` is a uniform draw in
    /// [0, 1) from the caller's randomness.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let ceiling = self
            .min
            .saturating_mul(1u32 << self.failures.min(16))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let span = ceiling.saturating_sub(self.min);
        self.min + span.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// A connection succeeded: the next failure starts from `min` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(n: u8) -> StoreId {
        StoreId::from_random_bytes([n; 16])
    }

    fn delivery(acked: u64, committed: u64) -> Delivery {
        Delivery::new(
            store(1),
            DeliverySettings {
                ack_timeout: Duration::from_secs(30),
                max_in_flight: 100,
            },
            acked,
            committed,
        )
    }

    fn ack(through_seq: u64) -> Ack {
        Ack {
            store: store(1),
            through_seq,
        }
    }

    #[test]
    fn publishes_from_the_watermark_within_the_window() {
        let mut d = delivery(10, 250);
        assert_eq!(d.next_to_send(0), Some((11, 100)));
        d.on_published(110, 0);
        assert_eq!(d.next_to_send(1), None, "window full");
        assert_eq!(
            d.on_ack(&ack(60), 2),
            AckOutcome::Advanced { through_seq: 60 }
        );
        assert_eq!(d.next_to_send(3), Some((111, 50)));
        assert_eq!(d.backlog(), 190);
    }

    #[test]
    fn stale_foreign_and_impossible_acks_change_nothing() {
        let mut d = delivery(0, 50);
        d.on_published(50, 0);
        assert_eq!(
            d.on_ack(&ack(40), 1),
            AckOutcome::Advanced { through_seq: 40 }
        );
        assert_eq!(d.on_ack(&ack(30), 2), AckOutcome::Stale);
        assert_eq!(d.on_ack(&ack(40), 2), AckOutcome::Stale);
        let foreign = Ack {
            store: store(2),
            through_seq: 50,
        };
        assert_eq!(d.on_ack(&foreign, 3), AckOutcome::OtherStore);
        assert_eq!(
            d.on_ack(&ack(51), 3),
            AckOutcome::BeyondCommitted {
                through_seq: 51,
                committed: 50
            }
        );
        assert_eq!(d.acked_through(), 40);
    }

    #[test]
    fn silence_past_the_ack_timeout_rewinds_to_the_watermark() {
        let mut d = delivery(0, 20);
        assert_eq!(d.next_to_send(0), Some((1, 20)));
        d.on_published(20, 0);
        assert_eq!(d.next_to_send(29_999), None);
        assert_eq!(d.next_to_send(30_000), Some((1, 20)));
        d.on_published(20, 30_000);
        // An ack that leaves records outstanding restarts the timer.
        d.on_ack(&ack(5), 50_000);
        assert_eq!(d.next_to_send(79_999), None);
        assert_eq!(d.next_to_send(80_000), Some((6, 15)));
    }

    #[test]
    fn nothing_outstanding_means_no_resend() {
        let mut d = delivery(0, 5);
        d.on_published(5, 0);
        d.on_ack(&ack(5), 10);
        assert_eq!(d.next_to_send(1_000_000), None);
        d.on_committed(7);
        assert_eq!(d.next_to_send(1_000_001), Some((6, 2)));
    }

    #[test]
    fn a_reconnect_resends_everything_unacknowledged() {
        let mut d = delivery(3, 9);
        d.on_published(9, 0);
        d.on_connected();
        assert_eq!(d.next_to_send(1), Some((4, 6)));
    }

    #[test]
    fn backoff_grows_to_its_ceiling_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let top: Vec<_> = (0..10).map(|_| b.next_delay(0.999_999)).collect();
        assert!(top.windows(2).all(|w| w[0] <= w[1]));
        assert!(top[0] <= Duration::from_millis(500));
        assert!(top[9] <= Duration::from_secs(30) && top[9] > Duration::from_secs(29));
        assert_eq!(b.next_delay(0.0), Duration::from_millis(500));
        b.reset();
        assert!(b.next_delay(0.999) <= Duration::from_millis(500));
    }
}
