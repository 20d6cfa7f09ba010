//! The store's side of recording and clips: segments as the capture opens and closes them,
//! pruning by a disk budget (never touching events), and the clip queue — waiting for footage,
//! cut, uploaded — with its retry schedule.

use std::path::PathBuf;

use benchsight_core::ids::{EventId, GameId};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, row_u64, sql_u64};

/// A recorded segment, closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub path: PathBuf,
    pub started_unix_ms: u64,
    pub ended_unix_ms: u64,
    pub bytes: u64,
}

/// A clip to cut or upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipJob {
    pub event_id: EventId,
    pub window_start_unix_ms: u64,
    pub window_end_unix_ms: u64,
    /// The cut file, once cut.
    pub path: Option<PathBuf>,
    pub attempts: u64,
}

impl Store {
    /// A segment was opened at `started_unix_ms` (media time `media_ms`).
    pub fn segment_opened(
        &mut self,
        path: &std::path::Path,
        started_unix_ms: u64,
        media_ms: u64,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO recordings (path, started_unix_ms, media_start_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (path) DO UPDATE SET started_unix_ms = excluded.started_unix_ms,
                 media_start_ms = excluded.media_start_ms, ended_unix_ms = NULL, pruned_unix_ms = NULL",
            params![path.to_string_lossy(), sql_u64(started_unix_ms), sql_u64(media_ms)],
        )?;
        Ok(())
    }

    /// A segment was closed (its file holds `bytes`).
    pub fn segment_closed(
        &mut self,
        path: &std::path::Path,
        ended_unix_ms: u64,
        media_ms: u64,
        bytes: u64,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE recordings SET ended_unix_ms = ?2, media_end_ms = ?3, bytes = ?4 WHERE path = ?1",
            params![
                path.to_string_lossy(),
                sql_u64(ended_unix_ms),
                sql_u64(media_ms),
                sql_u64(bytes)
            ],
        )?;
        Ok(())
    }

    /// Closed, unpruned segments overlapping `[from, to]` (wall clock), oldest first.
    pub fn segments_between(&self, from: u64, to: u64) -> Result<Vec<Segment>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT path, started_unix_ms, ended_unix_ms, bytes FROM recordings
             WHERE pruned_unix_ms IS NULL AND ended_unix_ms IS NOT NULL
               AND started_unix_ms < ?2 AND ended_unix_ms > ?1
             ORDER BY started_unix_ms",
        )?;
        let rows = statement.query_map(params![sql_u64(from), sql_u64(to)], segment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The oldest closed segments to delete so that the kept ones fit in `budget_bytes`. The
    /// caller deletes the files, then calls [`Store::segment_pruned`].
    pub fn segments_over_budget(&self, budget_bytes: u64) -> Result<Vec<Segment>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT path, started_unix_ms, ended_unix_ms, bytes FROM recordings
             WHERE pruned_unix_ms IS NULL AND ended_unix_ms IS NOT NULL
             ORDER BY started_unix_ms",
        )?;
        let segments: Vec<Segment> = statement
            .query_map([], segment_row)?
            .collect::<Result<_, _>>()?;
        let mut total: u64 = segments.iter().map(|s| s.bytes).sum();
        Ok(segments
            .into_iter()
            .take_while(|segment| {
                let over = total > budget_bytes;
                total -= segment.bytes;
                over
            })
            .collect())
    }

    pub fn segment_pruned(&mut self, path: &std::path::Path) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE recordings SET pruned_unix_ms = ?2 WHERE path = ?1",
            params![path.to_string_lossy(), sql_u64(super::unix_ms())],
        )?;
        Ok(())
    }

    /// Queues a clip of `[start, end]` (wall clock) for an event; a second request for the same
    /// event changes nothing.
    pub fn queue_clip(
        &mut self,
        event_id: EventId,
        game_id: &GameId,
        window_start_unix_ms: u64,
        window_end_unix_ms: u64,
    ) -> Result<(), StoreError> {
        queue_clip(
            &self.connection,
            event_id,
            game_id,
            window_start_unix_ms,
            window_end_unix_ms,
        )
    }

    /// Waiting clips whose whole window is recorded (a closed segment reaches past its end),
    /// due at `now`.
    pub fn clips_to_cut(&self, now_unix_ms: u64) -> Result<Vec<ClipJob>, StoreError> {
        self.clip_jobs(
            "SELECT event_id, window_start_unix_ms, window_end_unix_ms, path, attempts FROM clips
             WHERE state = 'waiting' AND next_attempt_unix_ms <= ?1
               AND window_end_unix_ms <= (SELECT COALESCE(MAX(ended_unix_ms), 0) FROM recordings)
             ORDER BY window_start_unix_ms",
            now_unix_ms,
        )
    }

    /// Cut clips due for an upload attempt at `now`.
    pub fn clips_to_upload(&self, now_unix_ms: u64) -> Result<Vec<ClipJob>, StoreError> {
        self.clip_jobs(
            "SELECT event_id, window_start_unix_ms, window_end_unix_ms, path, attempts FROM clips
             WHERE state = 'cut' AND next_attempt_unix_ms <= ?1 ORDER BY window_start_unix_ms",
            now_unix_ms,
        )
    }

    fn clip_jobs(&self, sql: &'static str, now: u64) -> Result<Vec<ClipJob>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let rows = statement.query_map(params![sql_u64(now)], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row_u64(row.get(1)?),
                row_u64(row.get(2)?),
                row.get::<_, Option<String>>(3)?,
                row_u64(row.get(4)?),
            ))
        })?;
        rows.map(|row| {
            let (id, start, end, path, attempts) = row?;
            Ok(ClipJob {
                event_id: EventId::parse(&id).map_err(|e| StoreError::Row(e.to_string()))?,
                window_start_unix_ms: start,
                window_end_unix_ms: end,
                path: path.map(PathBuf::from),
                attempts,
            })
        })
        .collect()
    }

    /// The clip of `event_id` was cut into `path`; it waits for upload now.
    pub fn clip_cut(
        &mut self,
        event_id: EventId,
        path: &std::path::Path,
        bytes: u64,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE clips SET state = 'cut', path = ?2, bytes = ?3, attempts = 0,
                 next_attempt_unix_ms = 0, last_error = NULL WHERE event_id = ?1",
            params![event_id.to_string(), path.to_string_lossy(), sql_u64(bytes)],
        )?;
        Ok(())
    }

    pub fn clip_uploaded(&mut self, event_id: EventId) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE clips SET state = 'uploaded', last_error = NULL WHERE event_id = ?1",
            params![event_id.to_string()],
        )?;
        Ok(())
    }

    /// An attempt (cut or upload) failed: retried at `retry_at`, or given up (`failed`) when
    /// `retry_at` is `None`.
    pub fn clip_attempt_failed(
        &mut self,
        event_id: EventId,
        error: &str,
        retry_at: Option<u64>,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE clips SET attempts = attempts + 1, last_error = ?2,
                 next_attempt_unix_ms = COALESCE(?3, next_attempt_unix_ms),
                 state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE state END
             WHERE event_id = ?1",
            params![event_id.to_string(), error, retry_at.map(sql_u64)],
        )?;
        Ok(())
    }

    /// The state of one clip (tests, `doctor`).
    pub fn clip_state(&self, event_id: EventId) -> Result<Option<String>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT state FROM clips WHERE event_id = ?1",
                params![event_id.to_string()],
                |row| row.get(0),
            )
            .optional()?)
    }
}

pub(super) fn queue_clip(
    connection: &rusqlite::Connection,
    event_id: EventId,
    game_id: &GameId,
    window_start_unix_ms: u64,
    window_end_unix_ms: u64,
) -> Result<(), StoreError> {
    super::ensure_game_row(connection, Some(game_id.as_str()), super::unix_ms())?;
    connection
        .prepare_cached(
            "INSERT INTO clips (event_id, game_id, window_start_unix_ms, window_end_unix_ms, state)
             VALUES (?1, ?2, ?3, ?4, 'waiting') ON CONFLICT (event_id) DO NOTHING",
        )?
        .execute(params![
            event_id.to_string(),
            game_id.as_str(),
            sql_u64(window_start_unix_ms),
            sql_u64(window_end_unix_ms)
        ])?;
    Ok(())
}

fn segment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Segment> {
    Ok(Segment {
        path: PathBuf::from(row.get::<_, String>(0)?),
        started_unix_ms: row_u64(row.get(1)?),
        ended_unix_ms: row_u64(row.get::<_, Option<i64>>(2)?.unwrap_or(0)),
        bytes: row_u64(row.get(3)?),
    })
}
