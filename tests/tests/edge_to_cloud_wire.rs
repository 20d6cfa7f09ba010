//! Records encoded by the appliance's uplink are decoded by the cloud's ingest exactly as
//! committed, and what the cloud must refuse is refused with a reason.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use benchsight_cloud::ingest::{IncomingBatch, Rejection};
use benchsight_core::domain::{Confidence, MediaTimeMs, Period, Source, Team, Zone};
use benchsight_core::event::{EventPlayer, GameEvent, PlayerRole};
use benchsight_core::ids::{DeviceId, EventId, GameId, RecordId, Seq, StoreId, TenantId};
use benchsight_core::rink::RinkPoint;
use benchsight_core::topic::{Topic, TopicKind};
use benchsight_core::vocabulary::{Detail, EventType};
use benchsight_core::wire::{
    MAX_PAYLOAD_BYTES, MAX_RECORDS_PER_BATCH, Record, RecordChange, Retraction,
};
use benchsight_edge::uplink::encode_batches;

fn goal(seq: u64) -> Record {
    let event = GameEvent {
        event_id: EventId::appliance(1_764_000_000_000 + seq, [seq as u8; 10]),
        game_id: GameId::parse("demo-1").unwrap(),
        event_type: EventType::Goal,
        detail1: Some(Detail::GOAL_SCORED),
        detail2: None,
        team: Some(Team::Away),
        period: Period::new(2).unwrap(),
        media_time_ms: Some(MediaTimeMs(seq * 1000)),
        clock: None,
        zone: Some(Zone::Offensive),
        puck: Some(RinkPoint::new(-89.5, 0.4).unwrap()),
        players: vec![EventPlayer {
            role: PlayerRole::ACTOR,
            team: Team::Away,
            number: None,
            track_id: Some(seq),
            position: Some(RinkPoint::new(-75.0, 3.0).unwrap()),
            play_detail1: None,
            play_detail2: None,
        }],
        confidence: Confidence::new(0.97).unwrap(),
        source: Source::Auto,
        evidence: None,
        assist_to_goal: None,
    };
    Record {
        seq: Seq::new(seq).unwrap(),
        record_id: RecordId::new(1_764_000_000_000 + seq, [1; 10]),
        change: RecordChange::Event(event),
    }
}

fn events_topic() -> Topic {
    Topic::new(
        TenantId::parse("league").unwrap(),
        DeviceId::parse("rink-a").unwrap(),
        TopicKind::Events,
    )
}

#[test]
fn a_backlog_crosses_from_edge_to_cloud_unchanged_and_in_order() {
    let store = StoreId::from_random_bytes([42; 16]);
    let mut records: Vec<Record> = (1..=2_500).map(goal).collect();
    records.push(Record {
        seq: Seq::new(2_501).unwrap(),
        record_id: RecordId::new(1_764_000_000_000, [2; 10]),
        change: RecordChange::Retraction(Retraction {
            event_id: records[0].change.event_id(),
            reason: "reviewed: the puck hit the post".into(),
        }),
    });

    let payloads = encode_batches(store, &records).unwrap();
    assert!(payloads.len() >= records.len().div_ceil(MAX_RECORDS_PER_BATCH));
    assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD_BYTES));

    let topic = events_topic().to_string();
    let mut received = Vec::new();
    for payload in &payloads {
        let incoming = IncomingBatch::from_message(&topic, payload).unwrap();
        assert_eq!(incoming.topic, events_topic());
        assert_eq!(incoming.batch.store, store);
        received.extend(incoming.batch.records);
    }
    assert_eq!(received, records);
}

#[test]
fn the_cloud_refuses_misaddressed_and_corrupt_messages() {
    let store = StoreId::from_random_bytes([1; 16]);
    let payload = encode_batches(store, &[goal(1)]).unwrap().remove(0);

    let on_ack_topic = events_topic().with_kind(TopicKind::Ack).to_string();
    assert_eq!(
        IncomingBatch::from_message(&on_ack_topic, &payload),
        Err(Rejection::NotEvents(TopicKind::Ack))
    );
    assert!(matches!(
        IncomingBatch::from_message("bs/v1/league/+/events", &payload),
        Err(Rejection::Topic(_))
    ));
    let mut corrupt = payload.clone();
    corrupt.truncate(payload.len() / 2);
    assert!(matches!(
        IncomingBatch::from_message(&events_topic().to_string(), &corrupt),
        Err(Rejection::Payload(_))
    ));
}
