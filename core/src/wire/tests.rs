use super::*;
use crate::domain::{Confidence, GameClock, MediaTimeMs, Period, Source, Team, Zone};
use crate::event::{EventPlayer, Evidence, PlayerRole};
use crate::homography::{ImagePoint, PlanePoint};
use crate::rink::RinkPoint;
use crate::vocabulary::{Detail, EventType};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

fn store() -> StoreId {
    StoreId::from_random_bytes([3; 16])
}

fn arb_point() -> impl Strategy<Value = RinkPoint> {
    (-100.0f64..=100.0, -42.5f64..=42.5).prop_map(|(x, y)| RinkPoint::new(x, y).unwrap())
}

fn arb_detail() -> impl Strategy<Value = Detail> {
    prop_oneof![
        Just(Detail::SHOT_GOAL),
        Just(Detail::SAVE_FREEZE),
        Just(Detail::ZONE_ENTRY_DUMP_IN),
        "[A-Za-z][A-Za-z0-9_]{0,40}".prop_map(|s| Detail::parse(&s).unwrap()),
    ]
}

fn arb_player() -> impl Strategy<Value = EventPlayer> {
    (
        any::<bool>(),
        1u8..=9,
        any::<bool>(),
        option::of(0u16..100),
        option::of(any::<u64>()),
        option::of(arb_point()),
        option::of(arb_detail()),
    )
        .prop_map(
            |(event_side, rank, home, number, track_id, position, play)| EventPlayer {
                role: if event_side {
                    PlayerRole::EventPlayer(rank)
                } else {
                    PlayerRole::OppPlayer(rank)
                },
                team: if home { Team::Home } else { Team::Away },
                number,
                track_id,
                position,
                play_detail1: play,
                play_detail2: None,
            },
        )
}

fn arb_event() -> impl Strategy<Value = GameEvent> {
    (
        (any::<u64>(), any::<[u8; 10]>(), any::<bool>()),
        proptest::sample::select(EventType::ALL.to_vec()),
        option::of(arb_detail()),
        option::of(arb_detail()),
        option::of(any::<bool>()),
        1u64..=5,
        (option::of(any::<u64>()), option::of(0u32..1_200_000)),
        option::of(proptest::sample::select(vec![
            Zone::Offensive,
            Zone::Defensive,
            Zone::Neutral,
        ])),
        option::of(arb_point()),
        vec(arb_player(), 0..4),
        0.0f64..=1.0,
        option::of((
            0u64..1000,
            0u64..100,
            vec(any::<u64>(), 0..3),
            vec(arb_point(), 0..3),
        )),
    )
        .prop_map(
            |(
                (ms, random, imported),
                event_type,
                detail1,
                detail2,
                team,
                period,
                (media, clock),
                zone,
                puck,
                players,
                confidence,
                evidence,
            )| {
                let game_id = GameId::parse("g1").unwrap();
                let event_id = if imported {
                    EventId::imported(&TenantId::parse("t").unwrap(), &game_id, ms)
                } else {
                    EventId::appliance(ms >> 16, random)
                };
                GameEvent {
                    event_id,
                    game_id,
                    event_type,
                    detail1,
                    detail2,
                    team: team.map(|home| if home { Team::Home } else { Team::Away }),
                    period: Period::new(period).unwrap(),
                    media_time_ms: media.map(MediaTimeMs),
                    clock: clock.map(GameClock::from_remaining_ms),
                    zone,
                    puck,
                    players,
                    confidence: Confidence::new(confidence).unwrap(),
                    source: if imported {
                        Source::Manual
                    } else {
                        Source::Auto
                    },
                    evidence: evidence.map(|(first, span, track_ids, puck_positions)| Evidence {
                        first_frame: first,
                        last_frame: first + span,
                        track_ids,
                        puck_positions,
                    }),
                    assist_to_goal: None,
                }
            },
        )
}

fn arb_change() -> impl Strategy<Value = RecordChange> {
    prop_oneof![
        arb_event().prop_map(RecordChange::Event),
        (arb_event(), "\\PC{0,50}")
            .prop_map(|(event, reason)| RecordChange::Amendment(Amendment { event, reason })),
        (arb_event(), "\\PC{0,50}").prop_map(|(event, reason)| {
            RecordChange::Retraction(Retraction {
                event_id: event.event_id,
                reason,
            })
        }),
    ]
}

fn arb_batch() -> impl Strategy<Value = EventBatch> {
    (
        any::<[u8; 16]>(),
        1u64..1_000_000,
        vec((1u64..5, arb_change()), 1..20),
    )
        .prop_map(|(store, first, changes)| {
            let mut seq = first;
            let records = changes
                .into_iter()
                .enumerate()
                .map(|(i, (gap, change))| {
                    seq += gap;
                    Record {
                        seq: Seq::new(seq).unwrap(),
                        record_id: RecordId::new(i as u64, [i as u8; 10]),
                        change,
                    }
                })
                .collect();
            EventBatch {
                store: StoreId::from_random_bytes(store),
                records,
            }
        })
}

fn sample_batch() -> EventBatch {
    let game_id = GameId::parse("18969").unwrap();
    let event = GameEvent {
        event_id: EventId::appliance(1_764_000_000_000, [9; 10]),
        game_id,
        event_type: EventType::Shot,
        detail1: Some(Detail::SHOT_ON_NET_SAVED),
        detail2: Some(Detail::parse("Shot_Wrist").unwrap()),
        team: Some(Team::Home),
        period: Period::FIRST,
        media_time_ms: Some(MediaTimeMs(61_250)),
        clock: None,
        zone: Some(Zone::Offensive),
        puck: Some(RinkPoint::new(70.0, -8.5).unwrap()),
        players: vec![EventPlayer {
            role: PlayerRole::ACTOR,
            team: Team::Home,
            number: None,
            track_id: Some(17),
            position: None,
            play_detail1: None,
            play_detail2: None,
        }],
        confidence: Confidence::new(0.93).unwrap(),
        source: Source::Auto,
        evidence: Some(Evidence {
            first_frame: 1830,
            last_frame: 1841,
            track_ids: vec![17, 4],
            puck_positions: vec![],
        }),
        assist_to_goal: None,
    };
    EventBatch {
        store: store(),
        records: vec![Record {
            seq: Seq::FIRST,
            record_id: RecordId::new(1_764_000_000_000, [1; 10]),
            change: RecordChange::Event(event),
        }],
    }
}

#[test]
fn envelope_layout_is_versioned_with_kind_and_body() {
    let payload = encode(&Ack {
        store: store(),
        through_seq: 42,
    })
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(value["v"], 1);
    assert_eq!(value["kind"], "ack");
    assert_eq!(value["body"]["through_seq"], 42);
}

#[test]
fn events_use_benchsight_spellings_on_the_wire() {
    let payload = encode(&sample_batch()).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let event = &value["body"]["records"][0]["change"]["event"];
    assert_eq!(event["type"], "Shot");
    assert_eq!(event["detail1"], "Shot_OnNetSaved");
    assert_eq!(event["zone"], "o");
    assert_eq!(event["players"][0]["role"], "event_player_1");
    assert!(event.get("clock").is_none());
}

#[test]
fn decoding_refuses_what_it_cannot_trust() {
    let good = encode(&sample_batch()).unwrap();
    let text = String::from_utf8(good.clone()).unwrap();

    let future = text.replacen("\"v\":1", "\"v\":2", 1);
    assert_eq!(
        decode::<EventBatch>(future.as_bytes()),
        Err(DecodeError::UnsupportedVersion { found: 2 })
    );
    let ancient = text.replacen("\"v\":1", "\"v\":0", 1);
    assert!(matches!(
        decode::<EventBatch>(ancient.as_bytes()),
        Err(DecodeError::UnsupportedVersion { found: 0 })
    ));
    assert_eq!(
        decode::<Ack>(&good),
        Err(DecodeError::WrongKind {
            expected: TopicKind::Ack,
            found: TopicKind::Events
        })
    );
    assert!(matches!(
        decode::<EventBatch>(b"{\"v\":1}"),
        Err(DecodeError::Envelope(_))
    ));
    assert!(matches!(
        decode::<EventBatch>(text.replace("Shot_OnNetSaved", "Shot OnNet").as_bytes()),
        Err(DecodeError::Body { .. })
    ));
    assert!(matches!(
        decode::<EventBatch>(
            text.replace("\"confidence\":0.93", "\"confidence\":1.7")
                .as_bytes()
        ),
        Err(DecodeError::Body { .. })
    ));
    let oversized = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    assert!(matches!(
        decode::<EventBatch>(&oversized),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn batches_must_be_non_empty_and_in_seq_order() {
    let mut batch = sample_batch();
    let mut second = batch.records[0].clone();
    second.seq = Seq::FIRST;
    batch.records.push(second);
    assert!(matches!(encode(&batch), Err(EncodeError::Invalid(_))));
    // The same invariant holds for a payload built by another producer.
    let forged = serde_json::to_vec(&serde_json::json!({
        "v": 1, "kind": "events", "body": batch
    }))
    .unwrap();
    assert!(matches!(
        decode::<EventBatch>(&forged),
        Err(DecodeError::Invalid { .. })
    ));
    let empty = serde_json::json!({"v": 1, "kind": "events",
        "body": {"store": store(), "records": []}});
    assert!(matches!(
        decode::<EventBatch>(&serde_json::to_vec(&empty).unwrap()),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn oversized_batches_are_refused_at_encoding() {
    let mut batch = sample_batch();
    let template = batch.records[0].clone();
    batch.records = (1..=MAX_RECORDS_PER_BATCH as u64)
        .map(|seq| Record {
            seq: Seq::new(seq).unwrap(),
            change: RecordChange::Amendment(Amendment {
                event: match &template.change {
                    RecordChange::Event(event) => event.clone(),
                    _ => unreachable!(),
                },
                reason: "x".repeat(MAX_REASON_LEN),
            }),
            ..template.clone()
        })
        .collect();
    assert!(matches!(encode(&batch), Err(EncodeError::TooLarge { .. })));
}

#[test]
fn commands_are_validated() {
    let command = |body| Command {
        cmd_id: CommandId::new(1, [0; 10]),
        tenant: TenantId::parse("league").unwrap(),
        device: DeviceId::parse("rink-a").unwrap(),
        command: body,
    };
    let start = StartGame {
        game_id: GameId::parse("g7").unwrap(),
        home: TeamSetup {
            name: "Platinum".into(),
            colour: Rgb::parse("#c0c0c0").unwrap(),
        },
        away: TeamSetup {
            name: "Velodrome".into(),
            colour: Rgb::parse("#1d428a").unwrap(),
        },
        home_attacks_right_p1: true,
        period_lengths_s: vec![1080; 3],
    };
    let ok = command(CommandBody::StartGame(start.clone()));
    assert_eq!(decode::<Command>(&encode(&ok).unwrap()).unwrap(), ok);
    let value: serde_json::Value = serde_json::from_slice(&encode(&ok).unwrap()).unwrap();
    assert_eq!(value["body"]["command"]["type"], "start_game");

    let no_periods = command(CommandBody::StartGame(StartGame {
        period_lengths_s: vec![],
        ..start.clone()
    }));
    assert!(encode(&no_periods).is_err());
    let short_calibration = command(CommandBody::SetCalibration {
        camera: "main".into(),
        pairs: vec![
            PointPair {
                image: ImagePoint {
                    x_px: 1.0,
                    y_px: 2.0
                },
                rink: PlanePoint {
                    x_ft: 0.0,
                    y_ft: 0.0
                },
            };
            3
        ],
    });
    assert!(encode(&short_calibration).is_err());
    let unknown = br#"{"v":1,"kind":"cmd","body":{"cmd_id":"0190b8c0-0000-7000-8000-000000000000","tenant":"league","device":"rink-a","command":{"type":"self_destruct"}}}"#;
    assert!(matches!(
        decode::<Command>(unknown),
        Err(DecodeError::Body { .. })
    ));
}

#[test]
fn status_telemetry_and_command_acks_round_trip() {
    let status = Status {
        state: DeviceState::Offline,
        versions: None,
    };
    assert_eq!(decode::<Status>(&encode(&status).unwrap()).unwrap(), status);
    let telemetry = Telemetry {
        at_unix_ms: 1_764_000_000_000,
        frames_per_s: 29.5,
        dropped_frames: 12,
        lag_ms: 180,
        backlog_records: 3,
        disk_free_bytes: 10 << 30,
        disk_total_bytes: 64 << 30,
        temperature_c: Some(51.5),
        versions: Versions {
            daemon: "0.1.0".into(),
            model: Some("bs-det-2".into()),
            onnxruntime: Some("1.31.1".into()),
        },
    };
    assert_eq!(
        decode::<Telemetry>(&encode(&telemetry).unwrap()).unwrap(),
        telemetry
    );
    let nan = Telemetry {
        frames_per_s: f32::NAN,
        ..telemetry
    };
    assert!(encode(&nan).is_err());
    let ack = CommandAck {
        cmd_id: Some(CommandId::new(5, [5; 10])),
        ok: false,
        reason: Some("unknown game".into()),
    };
    assert_eq!(decode::<CommandAck>(&encode(&ack).unwrap()).unwrap(), ack);
}

#[test]
fn a_rejected_command_keeps_its_id_when_it_has_one() {
    let id = CommandId::new(5, [5; 10]);
    let unknown_type = format!(
        r#"{{"v":1,"kind":"cmd","body":{{"cmd_id":"{id}","command":{{"type":"reboot"}}}}}}"#
    );
    assert!(decode::<Command>(unknown_type.as_bytes()).is_err());
    assert_eq!(salvage_command_id(unknown_type.as_bytes()), Some(id));
    assert_eq!(salvage_command_id(b"{not json"), None);
    assert_eq!(salvage_command_id(br#"{"body":{"cmd_id":"nope"}}"#), None);
}

#[test]
fn a_command_for_another_appliance_is_named_as_such() {
    let command = Command {
        cmd_id: CommandId::new(5, [5; 10]),
        tenant: TenantId::parse("league").unwrap(),
        device: DeviceId::parse("rink-a").unwrap(),
        command: CommandBody::Ping,
    };
    let tenant = TenantId::parse("league").unwrap();
    assert_eq!(
        command.misaddressed(&tenant, &DeviceId::parse("rink-a").unwrap()),
        None
    );
    let reason = command
        .misaddressed(&tenant, &DeviceId::parse("rink-b").unwrap())
        .unwrap();
    assert!(reason.contains("league/rink-a"), "{reason}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn event_batches_round_trip(batch in arb_batch()) {
        let payload = encode(&batch).unwrap();
        prop_assert_eq!(decode::<EventBatch>(&payload).unwrap(), batch);
    }

    #[test]
    fn acks_round_trip(bytes in any::<[u8; 16]>(), through_seq in any::<u64>()) {
        let ack = Ack { store: StoreId::from_random_bytes(bytes), through_seq };
        prop_assert_eq!(decode::<Ack>(&encode(&ack).unwrap()).unwrap(), ack);
    }

    /// Arbitrary bytes never make a decoder panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
        let _ = decode::<EventBatch>(&bytes);
        let _ = decode::<Ack>(&bytes);
        let _ = decode::<Command>(&bytes);
        let _ = decode::<Telemetry>(&bytes);
        let _ = decode::<Status>(&bytes);
        let _ = decode::<CommandAck>(&bytes);
    }

    /// Valid payloads with bytes flipped, cut or spliced are refused or decoded, never panic,
    /// and whatever decodes is valid.
    #[test]
    fn mutated_payloads_never_panic(
        batch in arb_batch(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut payload = encode(&batch).unwrap();
        for (index, byte) in edits {
            let i = index.index(payload.len());
            payload[i] = byte;
        }
        if truncate {
            payload.truncate(cut.index(payload.len()));
        }
        if let Ok(decoded) = decode::<EventBatch>(&payload) {
            prop_assert!(decoded.validate().is_ok());
        }
    }
}
