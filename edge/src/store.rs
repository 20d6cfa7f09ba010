//! The appliance's durable event log (SQLite, `migrations/edge/*.sql`): the outbox of records
//! with their per-store `seq`, each event's current version, the sync watermark, games, received
//! commands, recordings and clips.
//!
//! Every commit is one WAL transaction with `synchronous=FULL`, so a committed record survives a
//! power cut. The file is checked (`PRAGMA integrity_check`) when opened and a damaged one is
//! refused with the recovery steps, never silently re-created: a new store would start a new
//! incarnation and the old one's unsent events would be stranded. Records are never deleted.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use benchsight_core::event::GameEvent;
use benchsight_core::ids::{CommandId, EventId, GameId, RecordId, Seq, StoreId};
use benchsight_core::wire::{Record, RecordChange, StartGame};
use rand::Rng;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

/// The store's file name inside the state directory.
pub const STORE_FILE: &str = "events.sqlite";

/// The migrations, in order of their names; `schema_migrations` lists those applied.
const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_event_log",
    include_str!("../../migrations/edge/0001_event_log.sql"),
)];

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the state folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the event store {path} is damaged ({detail}). Stop the service, move the file and its \
         -wal/-shm companions aside, salvage it with `sqlite3 OLD .dump | sqlite3 {path}` \
         (or `.recover`); only delete it once its events are known to be in the cloud (README, \
         \"Event store recovery\")"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the event store {path} was written by a newer release (it has migration {migration}, \
         unknown to this build); refusing to touch it"
    )]
    TooNew { path: PathBuf, migration: String },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("event store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("event store holds an unreadable row: {0}")]
    Row(String),
}

/// A command as the store remembers it, to answer a redelivery the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutcome {
    pub ok: bool,
    pub reason: Option<String>,
}

/// One connection to the event store. Open one per thread that needs it (WAL lets a writer and
/// readers proceed together).
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    path: PathBuf,
    store_id: StoreId,
}

/// Milliseconds since the Unix epoch on the wall clock.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn sql_u64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn row_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl Store {
    /// Opens (creating when missing) the store in `state_dir`: checks its integrity, applies
    /// pending migrations and reads its incarnation id.
    pub fn open_in(state_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|source| StoreError::Folder {
            path: state_dir.to_owned(),
            source,
        })?;
        Self::open(&state_dir.join(STORE_FILE))
    }

    /// Opens (creating when missing) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            path: path.to_owned(),
            detail,
        };
        let mut connection = Connection::open(path).map_err(|e| corrupt(e.to_string()))?;
        connection.busy_timeout(Duration::from_secs(10))?;
        // A file that is not a database fails on its first read, here.
        let journal: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| corrupt(e.to_string()))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(corrupt(format!("journal mode stays {journal}")));
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        let check: Vec<String> = connection
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
            .map_err(|e| corrupt(e.to_string()))?;
        if check != ["ok"] {
            return Err(corrupt(check.join("; ")));
        }
        migrate(&mut connection, path)?;
        let store_id = ensure_store_id(&mut connection)?;
        Ok(Self {
            connection,
            path: path.to_owned(),
            store_id,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This database's incarnation.
    pub fn store_id(&self) -> StoreId {
        self.store_id
    }

    /// Commits `changes` as consecutive records in one durable transaction and returns them
    /// with their `seq`. Nothing is committed when any of them cannot be.
    pub fn commit(&mut self, changes: &[RecordChange]) -> Result<Vec<Record>, StoreError> {
        self.commit_with_clips(changes, &[])
    }

    /// [`Store::commit`], queueing in the same transaction the clips of the committed events:
    /// `(event, game, window start, window end)`, the window in wall-clock ms.
    pub fn commit_with_clips(
        &mut self,
        changes: &[RecordChange],
        clips: &[(EventId, GameId, u64, u64)],
    ) -> Result<Vec<Record>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let now = unix_ms();
        let mut rng = rand::rng();
        let tx = write_transaction(&mut self.connection)?;
        let mut next = last_seq(&tx)? + 1;
        let mut records = Vec::with_capacity(changes.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (seq, record_id, event_id, kind, game_id, committed_unix_ms, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for change in changes {
                let record = Record {
                    seq: Seq::new(next).map_err(|e| StoreError::Row(e.to_string()))?,
                    record_id: RecordId::new(now, rng.random()),
                    change: change.clone(),
                };
                let payload =
                    serde_json::to_string(&record).map_err(|e| StoreError::Row(e.to_string()))?;
                let (kind, game) = match change {
                    RecordChange::Event(e) => ("event", Some(e.game_id.as_str())),
                    RecordChange::Amendment(a) => ("amendment", Some(a.event.game_id.as_str())),
                    RecordChange::Retraction(_) => ("retraction", None),
                };
                ensure_game_row(&tx, game, now)?;
                insert.execute(params![
                    sql_u64(next),
                    record.record_id.to_string(),
                    change.event_id().to_string(),
                    kind,
                    game,
                    sql_u64(now),
                    payload,
                ])?;
                apply_to_events(&tx, &record)?;
                records.push(record);
                next += 1;
            }
            for (event, game, from, to) in clips {
                media::queue_clip(&tx, *event, game, *from, *to)?;
            }
        }
        tx.commit()?;
        Ok(records)
    }

    /// The highest committed seq (0 when the store is empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        last_seq(&self.connection)
    }

    /// The sync watermark: every record up to it is stored in the cloud.
    pub fn acked_through(&self) -> Result<u64, StoreError> {
        let value: i64 = self.connection.query_row(
            "SELECT acked_through FROM store_meta WHERE singleton = 1",
            [],
            |row| row.get(0),
        )?;
        Ok(row_u64(value))
    }

    /// Raises the sync watermark (never lowers it) and returns the resulting one.
    pub fn mark_acked(&mut self, through_seq: u64) -> Result<u64, StoreError> {
        self.connection.execute(
            "UPDATE store_meta SET acked_through = ?1, acked_unix_ms = ?2
             WHERE singleton = 1 AND acked_through < ?1",
            params![sql_u64(through_seq), sql_u64(unix_ms())],
        )?;
        self.acked_through()
    }

    /// Up to `limit` records from `first_seq` on, in seq order.
    pub fn records_from(&self, first_seq: u64, limit: u64) -> Result<Vec<Record>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT payload FROM records WHERE seq >= ?1 ORDER BY seq LIMIT ?2")?;
        let payloads = statement
            .query_map(params![sql_u64(first_seq), sql_u64(limit)], |row| {
                row.get::<_, String>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        payloads
            .iter()
            .map(|p| serde_json::from_str(p).map_err(|e| StoreError::Row(e.to_string())))
            .collect()
    }

    /// The latest version of the last event logged for `game`, looking back at most `window`
    /// records (a game under way is the store's newest records).
    pub fn last_event_of(
        &self,
        game: &GameId,
        window: u64,
    ) -> Result<Option<GameEvent>, StoreError> {
        let last = self.last_seq()?;
        let records = self.records_from(last.saturating_sub(window) + 1, window)?;
        Ok(records
            .into_iter()
            .rev()
            .find_map(|record| match record.change {
                RecordChange::Event(event) if event.game_id == *game => Some(event),
                RecordChange::Amendment(amendment) if amendment.event.game_id == *game => {
                    Some(amendment.event)
                }
                _ => None,
            }))
    }

    /// Records the game context a `start_game` command set (replacing an earlier start of the
    /// same game) and makes it the current game.
    pub fn start_game(&mut self, game: &StartGame) -> Result<(), StoreError> {
        let context = serde_json::to_string(game).map_err(|e| StoreError::Row(e.to_string()))?;
        self.connection.execute(
            "INSERT INTO games (game_id, context, started_unix_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (game_id) DO UPDATE SET context = excluded.context, ended_unix_ms = NULL",
            params![game.game_id.as_str(), context, sql_u64(unix_ms())],
        )?;
        Ok(())
    }

    /// Marks a game ended; false when no such game was started.
    pub fn end_game(&mut self, game_id: &GameId) -> Result<bool, StoreError> {
        let changed = self.connection.execute(
            "UPDATE games SET ended_unix_ms = ?2 WHERE game_id = ?1 AND ended_unix_ms IS NULL",
            params![game_id.as_str(), sql_u64(unix_ms())],
        )?;
        Ok(changed == 1)
    }

    /// The game being captured (started, not ended; the latest when several are), with the
    /// wall-clock time it started.
    pub fn current_game(&self) -> Result<Option<(StartGame, u64)>, StoreError> {
        let row: Option<(String, i64)> = self
            .connection
            .query_row(
                "SELECT context, started_unix_ms FROM games
                 WHERE ended_unix_ms IS NULL AND json_extract(context, '$.game_id') IS NOT NULL
                 ORDER BY started_unix_ms DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(context, started)| {
            serde_json::from_str(&context)
                .map(|game| (game, row_u64(started)))
                .map_err(|e| StoreError::Row(e.to_string()))
        })
        .transpose()
    }

    /// How a command with this id was answered, if it was seen before.
    pub fn command_outcome(&self, cmd_id: CommandId) -> Result<Option<CommandOutcome>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT ok, reason FROM commands WHERE cmd_id = ?1",
                params![cmd_id.to_string()],
                |row| {
                    Ok(CommandOutcome {
                        ok: row.get::<_, i64>(0)? == 1,
                        reason: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Remembers a received command and its answer.
    pub fn record_command(
        &mut self,
        cmd_id: CommandId,
        command_type: &str,
        payload: &str,
        outcome: &CommandOutcome,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO commands (cmd_id, received_unix_ms, command_type, payload, ok, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (cmd_id) DO NOTHING",
            params![
                cmd_id.to_string(),
                sql_u64(unix_ms()),
                command_type,
                payload,
                i64::from(outcome.ok),
                outcome.reason
            ],
        )?;
        Ok(())
    }

    /// The raw connection, for tests that need to reach past the API (e.g. to make a retry due).
    #[cfg(test)]
    pub(crate) fn sql(&self) -> &Connection {
        &self.connection
    }

    /// Runs `PRAGMA integrity_check` now (tests, `doctor`).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let rows: Vec<String> = self
            .connection
            .prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows.join("; "))
    }
}

/// A transaction that takes the write lock up front: a deferred one that reads and then writes
/// fails at once (SQLITE_BUSY_SNAPSHOT, no busy wait) when another connection wrote in between.
fn write_transaction(connection: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    connection.transaction_with_behavior(TransactionBehavior::Immediate)
}

fn last_seq(connection: &Connection) -> Result<u64, StoreError> {
    let value: i64 =
        connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |row| {
            row.get(0)
        })?;
    Ok(row_u64(value))
}

/// Events may arrive for a game the appliance was not told about (a camera left running): such
/// a game gets a row of its own so the foreign key holds, with an empty context.
fn ensure_game_row(
    connection: &Connection,
    game: Option<&str>,
    now: u64,
) -> Result<(), StoreError> {
    if let Some(game) = game {
        connection
            .prepare_cached(
                "INSERT INTO games (game_id, context, started_unix_ms) VALUES (?1, '{}', ?2)
             ON CONFLICT (game_id) DO NOTHING",
            )?
            .execute(params![game, sql_u64(now)])?;
    }
    Ok(())
}

/// Keeps `events` (each event's current version) in step with a committed record.
fn apply_to_events(tx: &Transaction<'_>, record: &Record) -> Result<(), StoreError> {
    let seq = sql_u64(record.seq.get());
    match &record.change {
        RecordChange::Event(event)
        | RecordChange::Amendment(benchsight_core::wire::Amendment { event, .. }) => {
            let json = serde_json::to_string(event).map_err(|e| StoreError::Row(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO events (event_id, game_id, event_type, media_time_ms, first_seq, last_seq, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
                 ON CONFLICT (event_id) DO UPDATE SET event_type = excluded.event_type,
                     media_time_ms = excluded.media_time_ms, last_seq = excluded.last_seq,
                     retracted = 0, event = excluded.event",
            )?
            .execute(params![
                event.event_id.to_string(),
                event.game_id.as_str(),
                event.event_type.as_str(),
                sql_u64(event.media_time_ms.map_or(0, |t| t.0)),
                seq,
                json,
            ])?;
        }
        RecordChange::Retraction(retraction) => {
            tx.prepare_cached(
                "UPDATE events SET retracted = 1, last_seq = ?2 WHERE event_id = ?1",
            )?
            .execute(params![retraction.event_id.to_string(), seq])?;
        }
    }
    Ok(())
}

/// Applies the migrations this build knows and the store lacks. Applied ones are listed in the
/// `schema_migrations` table — a table, not `PRAGMA user_version`, so that a store salvaged with
/// `sqlite3 .dump` keeps its schema history.
fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             name TEXT PRIMARY KEY,
             applied_unix_ms INTEGER NOT NULL
         ) STRICT",
    )?;
    loop {
        let tx = write_transaction(connection)?;
        let applied: Vec<String> = tx
            .prepare("SELECT name FROM schema_migrations ORDER BY name")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let known = |name: &String| MIGRATIONS.iter().any(|(known, _)| known == name);
        if let Some(unknown) = applied.iter().find(|name| !known(name)) {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                migration: unknown.clone(),
            });
        }
        let Some(&(name, sql)) = MIGRATIONS
            .iter()
            .find(|(name, _)| !applied.iter().any(|a| a == name))
        else {
            return Ok(());
        };
        let run = |tx: Transaction<'_>| -> rusqlite::Result<()> {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (name, applied_unix_ms) VALUES (?1, ?2)",
                params![name, sql_u64(unix_ms())],
            )?;
            tx.commit()
        };
        run(tx).map_err(|source| StoreError::Migration { name, source })?;
    }
}

fn ensure_store_id(connection: &mut Connection) -> Result<StoreId, StoreError> {
    let tx = write_transaction(connection)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT store_id FROM store_meta WHERE singleton = 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    let id = match existing {
        Some(text) => StoreId::parse(&text).map_err(|e| StoreError::Row(e.to_string()))?,
        None => {
            let id = StoreId::from_random_bytes(rand::rng().random());
            tx.execute(
                "INSERT INTO store_meta (singleton, store_id, created_unix_ms) VALUES (1, ?1, ?2)",
                params![id.to_string(), sql_u64(unix_ms())],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(id)
}

mod media;
pub use media::{ClipJob, Segment};

#[cfg(test)]
mod tests;
