//! MQTT topics of the protocol (DESIGN.md §5): `bs/v1/{tenant}/{device}/{kind}`, built from typed
//! ids and parsed back with every segment checked, plus the subscription filters the cloud uses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, IdError, TenantId};

/// The fixed first two segments of every topic.
pub const TOPIC_PREFIX: &str = "bs/v1";

/// The longest topic accepted when parsing, in bytes (well under MQTT's 65,535).
pub const MAX_TOPIC_LEN: usize = 256;

/// The six kinds of message, each with its own topic leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicKind {
    /// Edge → cloud: a batch of records (events, amendments, retractions).
    Events,
    /// Cloud → edge: the highest contiguous stored sequence number of a store.
    Ack,
    /// Edge → cloud, retained: online / offline (the Last Will).
    Status,
    /// Edge → cloud: health figures.
    Telemetry,
    /// Cloud → edge: commands (start / end game, calibration, ping).
    Cmd,
    /// Edge → cloud: the answer to a command.
    CmdAck,
}

impl TopicKind {
    pub const ALL: [TopicKind; 6] = [
        TopicKind::Events,
        TopicKind::Ack,
        TopicKind::Status,
        TopicKind::Telemetry,
        TopicKind::Cmd,
        TopicKind::CmdAck,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TopicKind::Events => "events",
            TopicKind::Ack => "ack",
            TopicKind::Status => "status",
            TopicKind::Telemetry => "telemetry",
            TopicKind::Cmd => "cmd",
            TopicKind::CmdAck => "cmd_ack",
        }
    }

    /// True for the kinds an appliance publishes.
    pub fn is_from_device(self) -> bool {
        matches!(
            self,
            TopicKind::Events | TopicKind::Status | TopicKind::Telemetry | TopicKind::CmdAck
        )
    }

    /// The filter matching this kind for every tenant and device, e.g. `bs/v1/+/+/events`.
    pub fn fleet_filter(self) -> String {
        format!("{TOPIC_PREFIX}/+/+/{}", self.as_str())
    }

    /// A shared-subscription filter so that several cloud workers split one kind's messages,
    /// e.g. `$share/ingest/bs/v1/+/+/events`.
    pub fn shared_filter(self, group: &str) -> String {
        format!("$share/{group}/{}", self.fleet_filter())
    }
}

impl fmt::Display for TopicKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a topic string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("topic is {0} bytes long; at most {MAX_TOPIC_LEN} are accepted")]
    TooLong(usize),
    #[error("topic contains an MQTT wildcard ('+' or '#')")]
    Wildcard,
    #[error("topic does not start with {TOPIC_PREFIX}/")]
    Prefix,
    #[error("topic has {0} segments; expected 5 (bs/v1/tenant/device/kind)")]
    SegmentCount(usize),
    #[error("topic segment {0} is empty")]
    EmptySegment(usize),
    #[error("unknown topic kind {0:?}")]
    UnknownKind(String),
    #[error(transparent)]
    Id(#[from] IdError),
}

/// A fully specified protocol topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub kind: TopicKind,
}

impl Topic {
    pub fn new(tenant: TenantId, device: DeviceId, kind: TopicKind) -> Self {
        Self {
            tenant,
            device,
            kind,
        }
    }

    /// Parses a concrete topic (never a filter), checking every segment.
    pub fn parse(text: &str) -> Result<Self, TopicError> {
        if text.len() > MAX_TOPIC_LEN {
            return Err(TopicError::TooLong(text.len()));
        }
        if text.contains(['+', '#']) {
            return Err(TopicError::Wildcard);
        }
        let segments: Vec<&str> = text.split('/').collect();
        if let Some(index) = segments.iter().position(|s| s.is_empty()) {
            return Err(TopicError::EmptySegment(index));
        }
        if segments.len() < 2 || segments[..2] != ["bs", "v1"] {
            return Err(TopicError::Prefix);
        }
        let [_, _, tenant, device, kind] = segments[..] else {
            return Err(TopicError::SegmentCount(segments.len()));
        };
        let kind = TopicKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| TopicError::UnknownKind(kind.chars().take(40).collect()))?;
        Ok(Self {
            tenant: TenantId::parse(tenant)?,
            device: DeviceId::parse(device)?,
            kind,
        })
    }

    /// The prefix one device may use: `bs/v1/{tenant}/{device}/` (for broker ACLs).
    pub fn device_prefix(tenant: &TenantId, device: &DeviceId) -> String {
        format!("{TOPIC_PREFIX}/{tenant}/{device}/")
    }

    /// The broker user name of a device: `{tenant}/{device}`, unique across tenants, and what
    /// the broker's ACL patterns (`bs/v1/%u/...`) expand into the device's own prefix.
    pub fn broker_username(tenant: &TenantId, device: &DeviceId) -> String {
        format!("{tenant}/{device}")
    }

    /// The same device's topic of another kind.
    pub fn with_kind(&self, kind: TopicKind) -> Topic {
        Topic {
            kind,
            ..self.clone()
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{TOPIC_PREFIX}/{}/{}/{}",
            self.tenant, self.device, self.kind
        )
    }
}

impl FromStr for Topic {
    type Err = TopicError;
    fn from_str(text: &str) -> Result<Self, TopicError> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn builds_and_parses_the_six_kinds() {
        let tenant = TenantId::parse("league").unwrap();
        let device = DeviceId::parse("rink-a").unwrap();
        for kind in TopicKind::ALL {
            let topic = Topic::new(tenant.clone(), device.clone(), kind);
            let text = topic.to_string();
            assert_eq!(text, format!("bs/v1/league/rink-a/{kind}"));
            assert_eq!(Topic::parse(&text).unwrap(), topic);
        }
        assert_eq!(
            TopicKind::Events.shared_filter("ingest"),
            "$share/ingest/bs/v1/+/+/events"
        );
    }

    #[test]
    fn rejects_malformed_topics() {
        let cases = [
            ("bs/v1/+/rink/events", TopicError::Wildcard),
            ("bs/v1/league/#", TopicError::Wildcard),
            ("bs/v2/league/rink/events", TopicError::Prefix),
            ("bs/v1/league/rink", TopicError::SegmentCount(4)),
            ("bs/v1/league/rink/events/x", TopicError::SegmentCount(6)),
            ("bs/v1//rink/events", TopicError::EmptySegment(2)),
            ("bs/v1/league/rink/events/", TopicError::EmptySegment(5)),
            (
                "bs/v1/league/rink/video",
                TopicError::UnknownKind("video".into()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Topic::parse(text), Err(expected), "{text}");
        }
        let long = format!("bs/v1/{}/rink/events", "a".repeat(65));
        assert!(matches!(
            Topic::parse(&long),
            Err(TopicError::Id(IdError::TooLong { .. }))
        ));
        assert!(matches!(
            Topic::parse(&"x".repeat(MAX_TOPIC_LEN + 1)),
            Err(TopicError::TooLong(_))
        ));
        assert!(matches!(
            Topic::parse("bs/v1/League/rink/events"),
            Err(TopicError::Id(_))
        ));
    }

    proptest! {
        #[test]
        fn topics_round_trip(
            tenant in "[a-z0-9][a-z0-9_-]{0,63}",
            device in "[a-z0-9][a-z0-9_-]{0,63}",
            kind in proptest::sample::select(TopicKind::ALL.to_vec()),
        ) {
            let topic = Topic::new(
                TenantId::parse(&tenant).unwrap(),
                DeviceId::parse(&device).unwrap(),
                kind,
            );
            prop_assert_eq!(Topic::parse(&topic.to_string()).unwrap(), topic);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = Topic::parse(&text);
        }
    }
}
