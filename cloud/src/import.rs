//! Importing a hand-tracked game (a BenchSight tracker save file, read by
//! `benchsight_core::tracker`) into a tenant: teams, players, the game with its roster, events
//! with their players, stints — then the ETL, all in one transaction. Every insert is idempotent
//! on the deterministic ids, so importing the same file again changes nothing.

use benchsight_core::domain::Team;
use benchsight_core::ids::TenantId;
use benchsight_core::tracker::{TeamSheet, TrackerGame};
use sqlx::{Postgres, Transaction};

use crate::audit::{self, Actor};
use crate::db::{Database, DbError};
use crate::etl::{recompute_game, team_text};

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub events_added: u64,
    pub events_total: u64,
    pub stints_added: u64,
}

/// A team's id within its tenant: its name as a slug.
pub fn team_slug(name: &str) -> String {
    let slug: String = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() { "team".into() } else { slug }
}

async fn upsert_team(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    sheet: &TeamSheet,
) -> Result<String, DbError> {
    let team_id = team_slug(&sheet.name);
    sqlx::query(
        "INSERT INTO team (tenant_id, team_id, name, colour) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, team_id) DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(&team_id)
    .bind(&sheet.name)
    .bind(
        sheet
            .colour
            .map(|c| format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)),
    )
    .execute(&mut **tx)
    .await?;
    for player in &sheet.roster {
        sqlx::query(
            "INSERT INTO player (tenant_id, team_id, number, name, position) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, team_id, number) DO UPDATE SET name = excluded.name,
                 position = excluded.position",
        )
        .bind(tenant.as_str())
        .bind(&team_id)
        .bind(i16::try_from(player.number).unwrap_or(i16::MAX))
        .bind(&player.name)
        .bind(&player.position)
        .execute(&mut **tx)
        .await?;
    }
    Ok(team_id)
}

/// Imports `game` into `tenant` (the tenant must exist). An import that adds anything is
/// audited; a repeated one changes nothing, the audit log included.
pub async fn import_tracker(
    db: &Database,
    tenant: &TenantId,
    game: &TrackerGame,
    actor: &Actor,
) -> Result<ImportReport, DbError> {
    let mut tx = db.tenant(tenant).await?;
    let home = upsert_team(&mut tx, tenant, &game.home).await?;
    let away = upsert_team(&mut tx, tenant, &game.away).await?;
    let periods: Vec<i32> = game
        .period_lengths_s
        .iter()
        .map(|&s| i32::try_from(s).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "INSERT INTO game (tenant_id, game_id, home_team, away_team, home_attacks_right_p1,
             period_lengths_s, status, source)
         VALUES ($1, $2, $3, $4, $5, $6, 'final', 'manual')
         ON CONFLICT (tenant_id, game_id) DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(game.game_id.as_str())
    .bind(&home)
    .bind(&away)
    .bind(game.home_attacks_right_p1)
    .bind(&periods)
    .execute(&mut *tx)
    .await?;
    for (team, sheet) in [(Team::Home, &game.home), (Team::Away, &game.away)] {
        for player in &sheet.roster {
            sqlx::query(
                "INSERT INTO roster (tenant_id, game_id, team, number, name, position)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(tenant.as_str())
            .bind(game.game_id.as_str())
            .bind(team_text(team))
            .bind(i16::try_from(player.number).unwrap_or(i16::MAX))
            .bind(&player.name)
            .bind(&player.position)
            .execute(&mut *tx)
            .await?;
        }
    }
    let events_added = crate::events::insert_events(&mut tx, tenant, &game.events, None).await?;
    let mut stints_added = 0;
    for (index, stint) in game.stints.iter().enumerate() {
        let body = serde_json::to_value(stint).map_err(|e| DbError::Corrupt(e.to_string()))?;
        stints_added += sqlx::query(
            "INSERT INTO stint (tenant_id, game_id, stint_index, period, start_ms, end_ms,
                 duration_s, strength, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(game.game_id.as_str())
        .bind(i32::try_from(index).unwrap_or(i32::MAX))
        .bind(i16::from(stint.period.number()))
        .bind(stint.start.map(|c| c.remaining_ms() as i32))
        .bind(stint.end.map(|c| c.remaining_ms() as i32))
        .bind(i32::try_from(stint.duration_s).unwrap_or(i32::MAX))
        .bind(&stint.strength)
        .bind(body)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    recompute_game(&mut tx, tenant, &game.game_id).await?;
    let report = ImportReport {
        events_added,
        events_total: game.events.len() as u64,
        stints_added,
    };
    if events_added + stints_added > 0 {
        let detail = serde_json::to_value(report).map_err(|e| DbError::Corrupt(e.to_string()))?;
        audit::record(
            &mut tx,
            tenant,
            actor,
            "game.import",
            game.game_id.as_str(),
            detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}
