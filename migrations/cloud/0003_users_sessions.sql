-- BenchSight cloud schema, version 3: dashboard users and their sessions, and when a game is
-- scheduled. Same tenancy rules: tenant_id first in every key, row-level security ENABLEd and
-- FORCEd.

ALTER TABLE game ADD COLUMN starts_at TIMESTAMPTZ;
CREATE INDEX game_by_start ON game (tenant_id, starts_at);

-- People who log in to the dashboard; only an argon2 hash of the password is kept.
CREATE TABLE app_user (
    tenant_id     TEXT NOT NULL REFERENCES tenant,
    login         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at   TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, login)
);

-- A logged-in browser: the cookie carries the session id, the table only its SHA-256, so a
-- leaked table does not log anyone in. The CSRF token is sent back with every form.
CREATE TABLE user_session (
    tenant_id    TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    login        TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, session_hash),
    FOREIGN KEY (tenant_id, login) REFERENCES app_user ON DELETE CASCADE
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['app_user', 'user_session']
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

-- The one view across tenants: device health for the metrics scrape (alerts on offline
-- devices, growing backlogs, full disks). It returns no event data, runs with the owner's rights
-- (SECURITY DEFINER, fixed search_path) and is the only such function. RLS is FORCEd on the
-- owner too, so the owner (only) gets a read policy on device rows for it.
CREATE POLICY fleet_health_scrape ON device FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION fleet_health()
RETURNS TABLE (tenant_id TEXT, device_id TEXT, online BOOLEAN, silent_s DOUBLE PRECISION,
               backlog_records BIGINT, lag_ms BIGINT, disk_free_bytes BIGINT,
               disk_total_bytes BIGINT, frames_per_s DOUBLE PRECISION)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT d.tenant_id, d.device_id, d.status = 'online',
           EXTRACT(EPOCH FROM now() - d.last_seen)::float8,
           (d.telemetry->>'backlog_records')::bigint, (d.telemetry->>'lag_ms')::bigint,
           (d.telemetry->>'disk_free_bytes')::bigint, (d.telemetry->>'disk_total_bytes')::bigint,
           (d.telemetry->>'frames_per_s')::float8
    FROM device d WHERE d.revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION fleet_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fleet_health() TO benchsight_app;
