-- BenchSight cloud schema, version 1 (run by the database owner: `benchsight-cloud migrate`).
--
-- Tenancy (DESIGN.md §6): every table carries tenant_id first in its primary key, foreign keys
-- include it, and row-level security is ENABLEd and FORCEd on every table with one policy: a row
-- is visible and writable only when its tenant_id equals the transaction's `app.tenant_id`
-- (set with set_config(..., true)). Without a tenant set, nothing is visible. The service
-- connects as a login role that is a member of benchsight_app: it owns nothing and has no
-- BYPASSRLS.

-- Roles are cluster-wide: several databases (tests) may create it at once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'benchsight_app') THEN
        CREATE ROLE benchsight_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

CREATE TABLE tenant (
    tenant_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE rink (
    tenant_id   TEXT NOT NULL REFERENCES tenant,
    rink_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, rink_id)
);

CREATE TABLE device (
    tenant_id   TEXT NOT NULL REFERENCES tenant,
    device_id   TEXT NOT NULL,
    rink_id     TEXT,
    token_hash  TEXT,
    status      TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    last_seen   TIMESTAMPTZ,
    versions    JSONB,
    telemetry   JSONB,
    revoked_at  TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, device_id),
    FOREIGN KEY (tenant_id, rink_id) REFERENCES rink
);

-- Delivery watermark per store incarnation of a device (DESIGN.md §4).
CREATE TABLE device_store (
    tenant_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    store_id    UUID NOT NULL,
    through_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, device_id, store_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES device
);

-- Every record a device delivered, once per (store, seq): the ledger that makes ingest
-- idempotent and from which the contiguous ack is computed. Rejected records count too.
CREATE TABLE device_record (
    tenant_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    store_id    UUID NOT NULL,
    seq         BIGINT NOT NULL,
    record_id   UUID NOT NULL,
    event_id    UUID NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('event', 'amendment', 'retraction')),
    outcome     TEXT NOT NULL CHECK (outcome IN ('stored', 'rejected')),
    PRIMARY KEY (tenant_id, device_id, store_id, seq),
    FOREIGN KEY (tenant_id, device_id, store_id) REFERENCES device_store
);

CREATE TABLE team (
    tenant_id   TEXT NOT NULL REFERENCES tenant,
    team_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    colour      TEXT,
    PRIMARY KEY (tenant_id, team_id)
);

CREATE TABLE player (
    tenant_id   TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    number      SMALLINT NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, team_id, number),
    FOREIGN KEY (tenant_id, team_id) REFERENCES team
);

CREATE TABLE game (
    tenant_id   TEXT NOT NULL REFERENCES tenant,
    game_id     TEXT NOT NULL,
    rink_id     TEXT,
    -- Unknown while an appliance reports a game the cloud did not schedule.
    home_team   TEXT,
    away_team   TEXT,
    home_attacks_right_p1 BOOLEAN NOT NULL DEFAULT true,
    period_lengths_s INTEGER[] NOT NULL,
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'live', 'ended', 'final')),
    source      TEXT NOT NULL CHECK (source IN ('auto', 'manual')),
    PRIMARY KEY (tenant_id, game_id),
    FOREIGN KEY (tenant_id, home_team) REFERENCES team,
    FOREIGN KEY (tenant_id, away_team) REFERENCES team,
    FOREIGN KEY (tenant_id, rink_id) REFERENCES rink
);

CREATE TABLE roster (
    tenant_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL,
    team        TEXT NOT NULL CHECK (team IN ('home', 'away')),
    number      SMALLINT NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, game_id, team, number),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game
);

CREATE TABLE event (
    tenant_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    event_id      UUID NOT NULL,
    device_id     TEXT,
    store_id      UUID,
    seq           BIGINT,
    event_type    TEXT NOT NULL,
    detail1       TEXT,
    detail2       TEXT,
    team          TEXT CHECK (team IN ('home', 'away')),
    period        SMALLINT NOT NULL,
    clock_ms      INTEGER,
    media_time_ms BIGINT,
    zone          TEXT CHECK (zone IN ('o', 'd', 'n')),
    puck_x        DOUBLE PRECISION,
    puck_y        DOUBLE PRECISION,
    confidence    REAL NOT NULL,
    review_status TEXT NOT NULL DEFAULT 'accepted'
                  CHECK (review_status IN ('accepted', 'needs_review', 'hidden', 'rejected', 'edited')),
    retracted     BOOLEAN NOT NULL DEFAULT false,
    payload       JSONB NOT NULL,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game,
    UNIQUE (tenant_id, device_id, store_id, seq)
);
CREATE INDEX event_by_game ON event (tenant_id, game_id, period, clock_ms DESC);

CREATE TABLE event_player (
    tenant_id   TEXT NOT NULL,
    event_id    UUID NOT NULL,
    role        TEXT NOT NULL,
    team        TEXT NOT NULL CHECK (team IN ('home', 'away')),
    number      SMALLINT,
    track_id    BIGINT,
    PRIMARY KEY (tenant_id, event_id, role),
    FOREIGN KEY (tenant_id, event_id) REFERENCES event ON DELETE CASCADE
);

CREATE TABLE stint (
    tenant_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL,
    stint_index INTEGER NOT NULL,
    period      SMALLINT NOT NULL,
    start_ms    INTEGER,
    end_ms      INTEGER,
    duration_s  INTEGER NOT NULL,
    strength    TEXT NOT NULL,
    -- The whole stint (its slots included), as the ETL reads it.
    body        JSONB NOT NULL,
    PRIMARY KEY (tenant_id, game_id, stint_index),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game
);

-- Derived by the ETL; a game's rows are replaced together in one transaction.
CREATE TABLE team_game_stats (
    tenant_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL,
    team        TEXT NOT NULL CHECK (team IN ('home', 'away')),
    stats       JSONB NOT NULL,
    PRIMARY KEY (tenant_id, game_id, team),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game
);

CREATE TABLE player_game_stats (
    tenant_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL,
    team        TEXT NOT NULL CHECK (team IN ('home', 'away')),
    number      SMALLINT NOT NULL,
    stats       JSONB NOT NULL,
    PRIMARY KEY (tenant_id, game_id, team, number),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game
);

CREATE TABLE goalie_game_stats (
    tenant_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL,
    team        TEXT NOT NULL CHECK (team IN ('home', 'away')),
    number      SMALLINT NOT NULL,
    stats       JSONB NOT NULL,
    PRIMARY KEY (tenant_id, game_id, team, number),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game
);

CREATE TABLE ingest_reject (
    tenant_id   TEXT NOT NULL,
    reject_id   BIGINT GENERATED ALWAYS AS IDENTITY,
    device_id   TEXT,
    topic       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    payload     BYTEA,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, reject_id)
);

CREATE TABLE audit_log (
    tenant_id   TEXT NOT NULL,
    audit_id    BIGINT GENERATED ALWAYS AS IDENTITY,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      JSONB,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, audit_id)
);

-- One policy for every tenant table, ENABLEd and FORCEd.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant', 'rink', 'device', 'device_store', 'device_record', 'team', 'player', 'game',
        'roster', 'event', 'event_player', 'stint', 'team_game_stats', 'player_game_stats',
        'goalie_game_stats', 'ingest_reject', 'audit_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_setting(''app.tenant_id'', true)) '
            'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO benchsight_app', t);
    END LOOP;
END
$$;
