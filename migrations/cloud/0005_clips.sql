-- BenchSight cloud schema, version 5: video clips around events, uploaded by the appliances, and
-- how long a tenant keeps them. The bytes live in the clip store (a folder, or S3-compatible
-- object storage); this table says what exists and where.

ALTER TABLE tenant ADD COLUMN clip_retention_days INTEGER NOT NULL DEFAULT 90
    CHECK (clip_retention_days BETWEEN 1 AND 3650);

CREATE TABLE clip (
    tenant_id    TEXT NOT NULL,
    event_id     UUID NOT NULL,
    device_id    TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES event ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, device_id) REFERENCES device
);

ALTER TABLE clip ENABLE ROW LEVEL SECURITY;
ALTER TABLE clip FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clip
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON clip TO benchsight_app;

-- Clips past their tenant's retention, across tenants, for the pruning task: ids and storage keys
-- only. Like fleet_health(), it runs with the owner's rights, and the owner alone gets read
-- policies for it (RLS is FORCEd on the owner too).
CREATE POLICY clip_retention_owner ON clip FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY clip_retention_owner ON tenant FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION expired_clips()
RETURNS TABLE (tenant_id TEXT, event_id UUID, object_key TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.tenant_id, c.event_id, c.object_key
    FROM clip c JOIN tenant t ON t.tenant_id = c.tenant_id
    WHERE c.uploaded_at < now() - make_interval(days => t.clip_retention_days)
$$;
REVOKE ALL ON FUNCTION expired_clips() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION expired_clips() TO benchsight_app;
