//! Identifiers that cross process boundaries: tenants, devices, games, appliance stores, events and
//! record sequence numbers.
//!
//! Every identifier is built by parsing, so a value of one of these types is always valid: slugs
//! that can stand as an MQTT topic segment or a URL path segment, and UUIDs with the version the
//! design prescribes (v7 for events born on an appliance, v5 for imported ones, v4 for stores).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest slug identifier, in bytes. Keeps topic segments and database keys small.
pub const MAX_SLUG_LEN: usize = 64;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} is {len} bytes long; at most {MAX_SLUG_LEN} are allowed")]
    TooLong { kind: &'static str, len: usize },
    #[error(
        "{kind} {value:?} may only contain lower-case ASCII letters, digits, '-' and '_', \
         starting with a letter or digit"
    )]
    BadCharacter { kind: &'static str, value: String },
    #[error("{kind} {value:?} is not a UUID")]
    NotUuid { kind: &'static str, value: String },
    #[error("{kind} {value} is a UUID of version {found}; expected {expected}")]
    WrongUuidVersion {
        kind: &'static str,
        value: Uuid,
        found: usize,
        expected: &'static str,
    },
    #[error("sequence numbers start at 1")]
    ZeroSeq,
}

fn parse_slug(kind: &'static str, value: &str) -> Result<String, IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > MAX_SLUG_LEN {
        return Err(IdError::TooLong {
            kind,
            len: value.len(),
        });
    }
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !(first_ok && rest_ok) {
        return Err(IdError::BadCharacter {
            kind,
            value: value.to_owned(),
        });
    }
    Ok(value.to_owned())
}

/// Declares a slug identifier: lower-case ASCII letters, digits, `-` and `_`, 1..=64 bytes.
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a slug, rejecting anything that could not stand as a topic or path segment.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                parse_slug($kind, value).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        text_conversions!($name);
    };
}

/// Parsing from and printing to text for ids that have `parse` and `Display`.
macro_rules! text_conversions {
    ($($name:ident),*) => {$(
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::parse(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    )*};
}

slug_id!(
    /// A league or organisation: the unit of isolation in the cloud.
    TenantId,
    "tenant id"
);
slug_id!(
    /// One appliance (or one ingesting client) within a tenant.
    DeviceId,
    "device id"
);
slug_id!(
    /// A rink (an ice surface) of a tenant, where appliances stand and games are scheduled.
    RinkId,
    "rink id"
);
slug_id!(
    /// A game, unique within its tenant (hand-tracked games keep their tracker game id).
    GameId,
    "game id"
);

/// One incarnation of an appliance's event store. Created (v4, random) together with the
/// database, so a re-created store restarts its sequence without being mistaken for duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreId(Uuid);

impl StoreId {
    /// Builds a store id from 16 random bytes supplied by the caller (core draws no randomness).
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse_uuid("store id", value).map(Self)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// The namespace of deterministic (v5) ids of imported events. Fixed forever: changing it would
/// make a re-import create every event again.
const IMPORTED_EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6b2f_41c5_9d0e_4a8f_b7a1_3c52_e9d4_0f17);

/// Identifies an event globally and forever, across amendments and devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(Uuid);

impl EventId {
    /// A time-ordered UUIDv7 for an event born on an appliance. The caller passes the wall-clock
    /// time and 10 random bytes, so the state machines stay deterministic.
    pub fn appliance(unix_time_ms: u64, random: [u8; 10]) -> Self {
        Self(uuid::Builder::from_unix_timestamp_millis(unix_time_ms, &random).into_uuid())
    }

    /// The deterministic UUIDv5 of an imported (hand-tracked) event: the same tenant, game and
    /// tracker index always give the same id, so re-importing a file changes nothing.
    pub fn imported(tenant: &TenantId, game: &GameId, tracker_index: u64) -> Self {
        let name = format!("{tenant}/{game}/{tracker_index}");
        Self(Uuid::new_v5(&IMPORTED_EVENT_NAMESPACE, name.as_bytes()))
    }

    /// Parses an event id; only the versions the system creates (5 and 7) are accepted.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let uuid = parse_uuid("event id", value)?;
        match uuid.get_version_num() {
            5 | 7 => Ok(Self(uuid)),
            found => Err(IdError::WrongUuidVersion {
                kind: "event id",
                value: uuid,
                found,
                expected: "5 (imported) or 7 (appliance)",
            }),
        }
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// True for ids of events imported from hand-tracked games.
    pub fn is_imported(&self) -> bool {
        self.0.get_version_num() == 5
    }
}

/// Identifies one outbox record (a new event, an amendment or a retraction), whatever it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(Uuid);

impl RecordId {
    /// A time-ordered UUIDv7 from the caller's clock and randomness.
    pub fn new(unix_time_ms: u64, random: [u8; 10]) -> Self {
        Self(uuid::Builder::from_unix_timestamp_millis(unix_time_ms, &random).into_uuid())
    }

    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse_uuid("record id", value).map(Self)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// Identifies one command sent to an appliance; its acknowledgement carries the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandId(Uuid);

impl CommandId {
    /// A time-ordered UUIDv7 from the caller's clock and randomness.
    pub fn new(unix_time_ms: u64, random: [u8; 10]) -> Self {
        Self(uuid::Builder::from_unix_timestamp_millis(unix_time_ms, &random).into_uuid())
    }

    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse_uuid("command id", value).map(Self)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

fn parse_uuid(kind: &'static str, value: &str) -> Result<Uuid, IdError> {
    Uuid::parse_str(value).map_err(|_| IdError::NotUuid {
        kind,
        value: value.chars().take(80).collect(),
    })
}

macro_rules! uuid_display {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}
uuid_display!(StoreId, EventId, RecordId, CommandId);
text_conversions!(StoreId, EventId, RecordId, CommandId);

/// A record's position in its store's outbox: strictly increasing from 1, per store incarnation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Seq(u64);

impl Seq {
    pub const FIRST: Seq = Seq(1);

    pub fn new(value: u64) -> Result<Self, IdError> {
        if value == 0 {
            Err(IdError::ZeroSeq)
        } else {
            Ok(Self(value))
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The following sequence number, or `None` at the (unreachable in practice) end of `u64`.
    pub fn next(self) -> Option<Seq> {
        self.0.checked_add(1).map(Seq)
    }
}

impl TryFrom<u64> for Seq {
    type Error = IdError;
    fn try_from(value: u64) -> Result<Self, IdError> {
        Self::new(value)
    }
}

impl From<Seq> for u64 {
    fn from(seq: Seq) -> u64 {
        seq.0
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_accept_ids_that_fit_a_topic_segment() {
        assert_eq!(TenantId::parse("league-1").unwrap().as_str(), "league-1");
        assert_eq!(GameId::parse("18969").unwrap().to_string(), "18969");
        assert!(DeviceId::parse("rink_a_cam1").is_ok());
    }

    #[test]
    fn slugs_reject_topic_metacharacters_and_bad_shapes() {
        for bad in ["", "+", "#", "a/b", "Upper", "-lead", "sp ace", "é", "a\0b"] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = "a".repeat(MAX_SLUG_LEN + 1);
        assert_eq!(
            DeviceId::parse(&long),
            Err(IdError::TooLong {
                kind: "device id",
                len: MAX_SLUG_LEN + 1
            })
        );
    }

    #[test]
    fn imported_event_ids_are_deterministic_and_distinct() {
        let tenant = TenantId::parse("league").unwrap();
        let game = GameId::parse("18969").unwrap();
        let first = EventId::imported(&tenant, &game, 7);
        assert_eq!(first, EventId::imported(&tenant, &game, 7));
        assert_ne!(first, EventId::imported(&tenant, &game, 8));
        let other = TenantId::parse("other").unwrap();
        assert_ne!(first, EventId::imported(&other, &game, 7));
        assert!(first.is_imported());
        assert_eq!(first.as_uuid().get_version_num(), 5);
    }

    #[test]
    fn appliance_event_ids_are_v7_and_ordered_by_time() {
        let early = EventId::appliance(1_700_000_000_000, [0xff; 10]);
        let late = EventId::appliance(1_700_000_000_001, [0x00; 10]);
        assert_eq!(early.as_uuid().get_version_num(), 7);
        assert!(early < late);
        assert!(!early.is_imported());
    }

    #[test]
    fn event_ids_of_other_versions_are_rejected() {
        let v4 = StoreId::from_random_bytes([7; 16]).to_string();
        assert!(matches!(
            EventId::parse(&v4),
            Err(IdError::WrongUuidVersion { found: 4, .. })
        ));
        assert!(matches!(
            EventId::parse("not-a-uuid"),
            Err(IdError::NotUuid { .. })
        ));
    }

    #[test]
    fn seq_starts_at_one() {
        assert_eq!(Seq::new(0), Err(IdError::ZeroSeq));
        assert_eq!(Seq::FIRST.next().unwrap().get(), 2);
        assert_eq!(Seq::new(u64::MAX).unwrap().next(), None);
    }

    proptest! {
        #[test]
        fn slug_ids_round_trip_through_json(slug in "[a-z0-9][a-z0-9_-]{0,63}") {
            let id = DeviceId::parse(&slug).unwrap();
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<DeviceId>(&json).unwrap(), id);
        }

        #[test]
        fn event_ids_round_trip_through_text(ms in 0u64..(1 << 48), random in any::<[u8; 10]>()) {
            let id = EventId::appliance(ms, random);
            prop_assert_eq!(EventId::parse(&id.to_string()).unwrap(), id);
        }
    }
}
