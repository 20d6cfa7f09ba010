-- The appliance's event store, version 1. Applied once, in one transaction, by
-- `benchsight-edge` at start (the table schema_migrations lists the migrations applied).

-- The store incarnation (DESIGN.md §4): one row, created with the database. A re-created
-- database gets a new store_id, so its restarted seq is never mistaken for duplicates.
CREATE TABLE store_meta (
    singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
    store_id         TEXT    NOT NULL,
    created_unix_ms  INTEGER NOT NULL,
    -- Sync watermark: every record with seq <= acked_through is stored in the cloud.
    acked_through    INTEGER NOT NULL DEFAULT 0 CHECK (acked_through >= 0),
    acked_unix_ms    INTEGER
) STRICT;

-- Games the appliance was told to capture (cmd start_game / end_game), with their context.
CREATE TABLE games (
    game_id          TEXT    PRIMARY KEY,
    context          TEXT    NOT NULL CHECK (json_valid(context)),
    started_unix_ms  INTEGER NOT NULL,
    ended_unix_ms    INTEGER
) STRICT;

-- The outbox: every change to the game's events, in commit order. `seq` is the per-store
-- delivery order; rows are never deleted (events never expire on the appliance).
CREATE TABLE records (
    seq              INTEGER PRIMARY KEY CHECK (seq >= 1),
    record_id        TEXT    NOT NULL UNIQUE,
    event_id         TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('event', 'amendment', 'retraction')),
    game_id          TEXT    REFERENCES games (game_id),
    committed_unix_ms INTEGER NOT NULL,
    -- The whole wire record (seq, record_id, change) as JSON.
    payload          TEXT    NOT NULL CHECK (json_valid(payload))
) STRICT;
CREATE INDEX records_by_event ON records (event_id, seq);

-- Each event's current version: the latest event or amendment record, or retracted.
CREATE TABLE events (
    event_id         TEXT    PRIMARY KEY,
    game_id          TEXT    REFERENCES games (game_id),
    event_type       TEXT    NOT NULL,
    media_time_ms    INTEGER NOT NULL,
    first_seq        INTEGER NOT NULL REFERENCES records (seq),
    last_seq         INTEGER NOT NULL REFERENCES records (seq),
    retracted        INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    event            TEXT    NOT NULL CHECK (json_valid(event))
) STRICT;
CREATE INDEX events_by_game_time ON events (game_id, media_time_ms);

-- Commands received from the cloud and how they were answered. A redelivered command (same
-- cmd_id) is answered again from here, never carried out twice.
CREATE TABLE commands (
    cmd_id           TEXT    PRIMARY KEY,
    received_unix_ms INTEGER NOT NULL,
    command_type     TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    ok               INTEGER NOT NULL CHECK (ok IN (0, 1)),
    reason           TEXT
) STRICT;

-- Recorded video segments (MPEG-TS), oldest pruned first when the disk budget is exceeded.
-- Times: wall clock (Unix ms) for finding a clip's footage across restarts, media time (the
-- frames' timeline of one capture run) for cutting inside a segment.
CREATE TABLE recordings (
    path             TEXT    PRIMARY KEY,
    started_unix_ms  INTEGER NOT NULL,
    ended_unix_ms    INTEGER,
    media_start_ms   INTEGER NOT NULL,
    media_end_ms     INTEGER,
    bytes            INTEGER NOT NULL DEFAULT 0,
    pruned_unix_ms   INTEGER
) STRICT;
CREATE INDEX recordings_by_time ON recordings (started_unix_ms);

-- Clips cut around goals and shots (the window in wall-clock time), and their upload queue.
CREATE TABLE clips (
    event_id         TEXT    PRIMARY KEY,
    game_id          TEXT    REFERENCES games (game_id),
    window_start_unix_ms INTEGER NOT NULL,
    window_end_unix_ms   INTEGER NOT NULL CHECK (window_end_unix_ms > window_start_unix_ms),
    state            TEXT    NOT NULL CHECK (state IN ('waiting', 'cut', 'uploaded', 'failed')),
    path             TEXT,
    bytes            INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_unix_ms INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT
) STRICT;
