-- BenchSight cloud schema, version 6: `bs_game_changes` (version 4) also fires for every other
-- write that changes what a game's pages and answers show — updates and deletes of its derived
-- statistics and shots, its roster, deleted events, and a renamed team (each of its games) — so
-- that the HTTP service may keep answers for final games until the notification says otherwise.

DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['team_game_stats', 'player_game_stats', 'goalie_game_stats', 'roster',
        'shot', 'event']
    LOOP
        FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE']
        LOOP
            -- Version 4 covers inserts and updates of events and inserts of team statistics.
            CONTINUE WHEN (t = 'event' AND op IN ('INSERT', 'UPDATE'))
                OR (t = 'team_game_stats' AND op = 'INSERT');
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed_rows '
                'FOR EACH STATEMENT EXECUTE FUNCTION notify_game_changes()',
                t || '_' || lower(op) || '_notified', op, t,
                CASE op WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
        END LOOP;
    END LOOP;
END
$$;

CREATE FUNCTION notify_team_games_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bs_game_changes', g.tenant_id || '/' || g.game_id)
    FROM (SELECT DISTINCT g.tenant_id, g.game_id
          FROM changed_rows c
          JOIN game g ON g.tenant_id = c.tenant_id
              AND c.team_id IN (g.home_team, g.away_team)) AS g;
    RETURN NULL;
END
$$;

CREATE TRIGGER team_updated AFTER UPDATE ON team
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_team_games_changes();
