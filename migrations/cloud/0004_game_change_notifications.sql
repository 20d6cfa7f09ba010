-- BenchSight cloud schema, version 4: a notification on channel `bs_game_changes` whenever a
-- game's events or derived statistics change, with payload `{tenant}/{game}`. The HTTP service
-- LISTENs and pushes live updates (Server-Sent Events) to the pages showing that game; the
-- ingest worker, the ETL and reviewers may run in other processes. Statement-level triggers with
-- transition tables: one notification per game per statement, however many rows it wrote
-- (PostgreSQL also folds identical notifications of one transaction into one).

CREATE FUNCTION notify_game_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bs_game_changes', changed.tenant_id || '/' || changed.game_id)
    FROM (SELECT DISTINCT tenant_id, game_id FROM changed_rows) AS changed;
    RETURN NULL;
END
$$;

CREATE TRIGGER event_inserted AFTER INSERT ON event
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_game_changes();
CREATE TRIGGER event_updated AFTER UPDATE ON event
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_game_changes();
CREATE TRIGGER team_stats_written AFTER INSERT ON team_game_stats
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_game_changes();
CREATE TRIGGER game_updated AFTER UPDATE ON game
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_game_changes();
