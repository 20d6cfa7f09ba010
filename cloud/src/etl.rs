//! The ETL driver: a game's stored events (current versions, not retracted or rejected) and
//! stints through `benchsight_core::stats` and `benchsight_core::shots`, the derived tables
//! (statistics and the shot chart) replaced in the caller's transaction, so readers see the old
//! figures or the new, never a mix.

use std::collections::BTreeMap;

use benchsight_core::domain::Team;
use benchsight_core::event::GameEvent;
use benchsight_core::ids::{GameId, TenantId};
use benchsight_core::shots::{ShotRecord, XgModel, shot_chart};
use benchsight_core::stats::{GameStats, Stint, game_stats};
use sqlx::{Postgres, Transaction};

use crate::db::DbError;

/// A game's derived rows, cleared before they are written again.
const CLEAR_DERIVED: [&str; 4] = [
    "DELETE FROM shot WHERE tenant_id = $1 AND game_id = $2",
    "DELETE FROM team_game_stats WHERE tenant_id = $1 AND game_id = $2",
    "DELETE FROM player_game_stats WHERE tenant_id = $1 AND game_id = $2",
    "DELETE FROM goalie_game_stats WHERE tenant_id = $1 AND game_id = $2",
];

const INSERT_PLAYER_STATS: &str =
    "INSERT INTO player_game_stats (tenant_id, game_id, team, number, stats)
     SELECT $1, $2, * FROM UNNEST($3::text[], $4::smallint[], $5::jsonb[])";
const INSERT_GOALIE_STATS: &str =
    "INSERT INTO goalie_game_stats (tenant_id, game_id, team, number, stats)
     SELECT $1, $2, * FROM UNNEST($3::text[], $4::smallint[], $5::jsonb[])";

pub(crate) fn team_text(team: Team) -> &'static str {
    match team {
        Team::Home => "home",
        Team::Away => "away",
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, DbError> {
    serde_json::to_value(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Recomputes `game`'s statistics from what is stored, inside `tx`.
pub async fn recompute_game(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    game: &GameId,
) -> Result<GameStats, DbError> {
    let payloads: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT payload FROM event WHERE tenant_id = $1 AND game_id = $2 AND NOT retracted
           AND review_status <> 'rejected'",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let events: Vec<GameEvent> = payloads
        .into_iter()
        .map(|p| serde_json::from_value(p).map_err(|e| DbError::Corrupt(e.to_string())))
        .collect::<Result<_, _>>()?;
    let stints: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM stint WHERE tenant_id = $1 AND game_id = $2 ORDER BY stint_index",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let stints: Vec<Stint> = stints
        .into_iter()
        .map(|s| serde_json::from_value(s).map_err(|e| DbError::Corrupt(e.to_string())))
        .collect::<Result<_, _>>()?;
    let stats = game_stats(&events, &stints);

    for sql in CLEAR_DERIVED {
        sqlx::query(sql)
            .bind(tenant.as_str())
            .bind(game.as_str())
            .execute(&mut **tx)
            .await?;
    }
    for team in Team::BOTH {
        sqlx::query(
            "INSERT INTO team_game_stats (tenant_id, game_id, team, stats) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant.as_str())
        .bind(game.as_str())
        .bind(team_text(team))
        .bind(json(stats.team(team))?)
        .execute(&mut **tx)
        .await?;
    }
    insert_per_player(tx, tenant, game, INSERT_PLAYER_STATS, &stats.players).await?;
    insert_per_player(tx, tenant, game, INSERT_GOALIE_STATS, &stats.goalies).await?;
    insert_shots(
        tx,
        tenant,
        game,
        &shot_chart(&events, &XgModel::NHL_DISTANCE_ANGLE),
    )
    .await?;
    Ok(stats)
}

/// The shot chart in one UNNEST insert.
async fn insert_shots(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    game: &GameId,
    shots: &[ShotRecord],
) -> Result<(), DbError> {
    let detail =
        |d: &Option<benchsight_core::vocabulary::Detail>| d.as_ref().map(|d| d.as_str().to_owned());
    let shooters: Vec<Option<i16>> = shots
        .iter()
        .map(|s| s.shooter.map(|n| i16::try_from(n).unwrap_or(i16::MAX)))
        .collect();
    sqlx::query(
        "INSERT INTO shot (tenant_id, game_id, event_id, team, shooter, period, outcome, shot_type,
             x_ft, y_ft, distance_ft, angle_deg, rebound, rush, xg)
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::text[], $5::smallint[], $6::smallint[],
             $7::text[], $8::text[], $9::float8[], $10::float8[], $11::float8[], $12::float8[],
             $13::bool[], $14::bool[], $15::float8[])",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .bind(
        shots
            .iter()
            .map(|s| s.event_id.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(shots.iter().map(|s| team_text(s.team)).collect::<Vec<_>>())
    .bind(shooters)
    .bind(
        shots
            .iter()
            .map(|s| i16::from(s.period.number()))
            .collect::<Vec<_>>(),
    )
    .bind(shots.iter().map(|s| detail(&s.outcome)).collect::<Vec<_>>())
    .bind(
        shots
            .iter()
            .map(|s| detail(&s.shot_type))
            .collect::<Vec<_>>(),
    )
    .bind(
        shots
            .iter()
            .map(|s| s.location.map(|p| p.x_ft()))
            .collect::<Vec<_>>(),
    )
    .bind(
        shots
            .iter()
            .map(|s| s.location.map(|p| p.y_ft()))
            .collect::<Vec<_>>(),
    )
    .bind(shots.iter().map(|s| s.distance_ft).collect::<Vec<_>>())
    .bind(shots.iter().map(|s| s.angle_deg).collect::<Vec<_>>())
    .bind(shots.iter().map(|s| s.rebound).collect::<Vec<_>>())
    .bind(shots.iter().map(|s| s.rush).collect::<Vec<_>>())
    .bind(shots.iter().map(|s| s.xg).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One UNNEST insert of per-player rows.
async fn insert_per_player<S: serde::Serialize>(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    game: &GameId,
    sql: &'static str,
    rows: &BTreeMap<benchsight_core::stats::PlayerKey, S>,
) -> Result<(), DbError> {
    let mut teams = Vec::with_capacity(rows.len());
    let mut numbers = Vec::with_capacity(rows.len());
    let mut stats = Vec::with_capacity(rows.len());
    for (key, row) in rows {
        teams.push(team_text(key.team));
        numbers.push(i16::try_from(key.number).unwrap_or(i16::MAX));
        stats.push(json(row)?);
    }
    sqlx::query(sql)
        .bind(tenant.as_str())
        .bind(game.as_str())
        .bind(&teams)
        .bind(&numbers)
        .bind(&stats)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
