use benchsight_core::domain::{Confidence, MediaTimeMs, Period, Rgb, Source, Team};
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{EventId, GameId};
use benchsight_core::vocabulary::EventType;
use benchsight_core::wire::{Amendment, Retraction, TeamSetup};

use super::*;

fn event(game: &str, n: u8, at_ms: u64) -> GameEvent {
    GameEvent {
        event_id: EventId::appliance(1_764_000_000_000 + u64::from(n), [n; 10]),
        game_id: GameId::parse(game).unwrap(),
        event_type: EventType::Faceoff,
        detail1: None,
        detail2: None,
        team: Some(Team::Home),
        period: Period::FIRST,
        media_time_ms: Some(MediaTimeMs(at_ms)),
        clock: None,
        zone: None,
        puck: None,
        players: vec![],
        confidence: Confidence::new(0.8).unwrap(),
        source: Source::Auto,
        evidence: None,
        assist_to_goal: None,
    }
}

fn start(game: &str) -> StartGame {
    let team = |name: &str| TeamSetup {
        name: name.into(),
        colour: Rgb {
            r: 200,
            g: 30,
            b: 30,
        },
    };
    StartGame {
        game_id: GameId::parse(game).unwrap(),
        home: team("Home"),
        away: team("Away"),
        home_attacks_right_p1: true,
        period_lengths_s: vec![1200, 1200, 1200],
    }
}

#[test]
fn commits_get_consecutive_seqs_across_reopens_and_keep_the_store_id() {
    let dir = tempfile::tempdir().unwrap();
    let (id, first) = {
        let mut store = Store::open_in(dir.path()).unwrap();
        let records = store
            .commit(&[
                RecordChange::Event(event("g1", 1, 100)),
                RecordChange::Event(event("g1", 2, 200)),
            ])
            .unwrap();
        (store.store_id(), records)
    };
    assert_eq!(
        first.iter().map(|r| r.seq.get()).collect::<Vec<_>>(),
        [1, 2]
    );
    let mut store = Store::open_in(dir.path()).unwrap();
    assert_eq!(store.store_id(), id);
    let more = store
        .commit(&[RecordChange::Event(event("g1", 3, 300))])
        .unwrap();
    assert_eq!(more[0].seq.get(), 3);
    assert_eq!(store.records_from(2, 10).unwrap().len(), 2);
    assert_eq!(store.records_from(1, 10).unwrap()[..2], first[..]);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn the_watermark_only_rises() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    assert_eq!(store.acked_through().unwrap(), 0);
    assert_eq!(store.mark_acked(5).unwrap(), 5);
    assert_eq!(store.mark_acked(3).unwrap(), 5);
    drop(store);
    assert_eq!(
        Store::open_in(dir.path()).unwrap().acked_through().unwrap(),
        5
    );
}

#[test]
fn amendments_and_retractions_update_the_current_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let original = event("g1", 1, 100);
    let mut amended = original.clone();
    amended.event_type = EventType::Shot;
    store
        .commit(&[RecordChange::Event(original.clone())])
        .unwrap();
    store
        .commit(&[RecordChange::Amendment(Amendment {
            event: amended,
            reason: "faceoff was a shot".into(),
        })])
        .unwrap();
    let row = |store: &Store| -> (String, i64, i64, i64) {
        store
            .connection
            .query_row(
                "SELECT event_type, first_seq, last_seq, retracted FROM events WHERE event_id = ?1",
                [original.event_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap()
    };
    assert_eq!(row(&store), ("Shot".into(), 1, 2, 0));
    store
        .commit(&[RecordChange::Retraction(Retraction {
            event_id: original.event_id,
            reason: "no shot".into(),
        })])
        .unwrap();
    assert_eq!(row(&store), ("Shot".into(), 1, 3, 1));
    assert_eq!(
        store.last_seq().unwrap(),
        3,
        "every change is its own record"
    );
}

#[test]
fn the_current_game_survives_a_reopen_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    assert!(store.current_game().unwrap().is_none());
    store.start_game(&start("g7")).unwrap();
    drop(store);
    let mut store = Store::open_in(dir.path()).unwrap();
    assert_eq!(store.current_game().unwrap().unwrap().0, start("g7"));
    // Events of an unannounced game do not become the current game.
    store
        .commit(&[RecordChange::Event(event("stray", 1, 5))])
        .unwrap();
    assert_eq!(
        store.current_game().unwrap().unwrap().0.game_id.as_str(),
        "g7"
    );
    assert!(store.end_game(&GameId::parse("g7").unwrap()).unwrap());
    assert!(!store.end_game(&GameId::parse("g7").unwrap()).unwrap());
    assert!(store.current_game().unwrap().is_none());
}

#[test]
fn a_command_is_remembered_with_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    let id = CommandId::new(1_764_000_000_000, [3; 10]);
    assert_eq!(store.command_outcome(id).unwrap(), None);
    let outcome = CommandOutcome {
        ok: false,
        reason: Some("unknown game".into()),
    };
    store
        .record_command(id, "end_game", "{}", &outcome)
        .unwrap();
    assert_eq!(store.command_outcome(id).unwrap(), Some(outcome));
}

#[test]
fn a_damaged_file_is_refused_with_the_recovery_steps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    let garbage = b"this is not a database, but it is long enough to look like one".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains(".dump"), "{error}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the damaged file is left as it was"
    );
}

#[test]
fn a_store_from_a_newer_release_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STORE_FILE);
    drop(Store::open(&path).unwrap());
    let connection = Connection::open(&path).unwrap();
    connection
        .execute(
            "INSERT INTO schema_migrations (name, applied_unix_ms) VALUES ('0002_from_the_future', 0)",
            [],
        )
        .unwrap();
    drop(connection);
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::TooNew { migration, .. }) if migration == "0002_from_the_future"
    ));
}

#[test]
fn a_store_salvaged_with_the_sqlite_shell_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.sqlite");
    let (id, records) = {
        let mut store = Store::open(&old).unwrap();
        let records = store
            .commit(&[
                RecordChange::Event(event("g1", 1, 100)),
                RecordChange::Event(event("g1", 2, 200)),
            ])
            .unwrap();
        store.mark_acked(1).unwrap();
        (store.store_id(), records)
    };
    let dump = std::process::Command::new("sqlite3")
        .arg(&old)
        .arg(".dump")
        .output()
        .unwrap();
    assert!(dump.status.success(), "{dump:?}");
    let salvaged = dir.path().join(STORE_FILE);
    let mut restore = std::process::Command::new("sqlite3")
        .arg(&salvaged)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(restore.stdin.as_mut().unwrap(), &dump.stdout).unwrap();
    drop(restore.stdin.take());
    assert!(restore.wait().unwrap().success());

    let mut store = Store::open(&salvaged).unwrap();
    assert_eq!(
        store.store_id(),
        id,
        "same incarnation: nothing is sent twice as new"
    );
    assert_eq!(store.acked_through().unwrap(), 1);
    assert_eq!(store.records_from(1, 10).unwrap(), records);
    assert_eq!(
        store
            .commit(&[RecordChange::Event(event("g1", 3, 300))])
            .unwrap()[0]
            .seq
            .get(),
        3
    );
}
