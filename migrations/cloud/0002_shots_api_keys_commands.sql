-- BenchSight cloud schema, version 2: the shot chart (derived by the ETL), API keys for programs,
-- and the commands sent to appliances with their acknowledgements. Same tenancy rules as
-- version 1: tenant_id first in every key, row-level security ENABLEd and FORCEd.

-- Derived by the ETL with the statistics, replaced with them in one transaction.
CREATE TABLE shot (
    tenant_id    TEXT NOT NULL,
    game_id      TEXT NOT NULL,
    event_id     UUID NOT NULL,
    team         TEXT NOT NULL CHECK (team IN ('home', 'away')),
    shooter      SMALLINT,
    period       SMALLINT NOT NULL,
    outcome      TEXT,
    shot_type    TEXT,
    x_ft         DOUBLE PRECISION,
    y_ft         DOUBLE PRECISION,
    distance_ft  DOUBLE PRECISION,
    angle_deg    DOUBLE PRECISION,
    rebound      BOOLEAN NOT NULL,
    rush         BOOLEAN NOT NULL,
    -- Null for a shot without a location.
    xg           DOUBLE PRECISION CHECK (xg BETWEEN 0 AND 1),
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, game_id) REFERENCES game,
    FOREIGN KEY (tenant_id, event_id) REFERENCES event ON DELETE CASCADE
);
CREATE INDEX shot_by_game ON shot (tenant_id, game_id);

-- Keys for programs: `bsk_{key_id}_{secret}`; only an argon2 hash of the secret is kept.
CREATE TABLE api_key (
    tenant_id   TEXT NOT NULL REFERENCES tenant,
    key_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'viewer')),
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used   TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, key_id)
);

-- Commands to appliances (game control, calibration) and what the appliance answered on
-- `cmd_ack`. An acknowledgement for a command the cloud has no record of is kept too.
CREATE TABLE device_command (
    tenant_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    cmd_id      UUID NOT NULL,
    body        JSONB,
    sent_at     TIMESTAMPTZ,
    acked_at    TIMESTAMPTZ,
    ack_ok      BOOLEAN,
    ack_reason  TEXT,
    PRIMARY KEY (tenant_id, device_id, cmd_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES device
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['shot', 'api_key', 'device_command']
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
