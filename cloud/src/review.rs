//! Review actions on a game's stored events — accept, reject, edit, add what the engine missed —
//! and finalising a game against its official score, which locks it. Each action runs in one
//! transaction with the ETL's recomputation of the game and its audit entry; a locked (final)
//! game refuses them.

use benchsight_core::event::GameEvent;
use benchsight_core::ids::{EventId, GameId, TenantId};
use benchsight_core::review::{
    EventEdit, MissedEvent, ReviewError, accepted, check_official_score, edited, missed_events,
};
use rand::Rng;
use sqlx::{Postgres, Transaction};

use crate::audit::{self, Actor};
use crate::db::{Database, DbError};
use crate::etl::recompute_game;
use crate::events::{insert_events, replace_event};

/// Why a review action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReviewFailure {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no such game or event")]
    NotFound,
    #[error("game {0} is final (locked)")]
    Locked(String),
    #[error(transparent)]
    Invalid(#[from] ReviewError),
}

impl From<sqlx::Error> for ReviewFailure {
    fn from(error: sqlx::Error) -> Self {
        ReviewFailure::Db(DbError::Query(error))
    }
}

/// What a reviewer decides about one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Accept,
    Reject,
    Edit(EventEdit),
}

/// Locks the game's row for the transaction; refuses a missing or final game.
async fn open_game(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    game: &GameId,
) -> Result<(), ReviewFailure> {
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM game WHERE tenant_id = $1 AND game_id = $2 FOR UPDATE",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    match status.as_deref() {
        None => Err(ReviewFailure::NotFound),
        Some("final") => Err(ReviewFailure::Locked(game.to_string())),
        Some(_) => Ok(()),
    }
}

/// Applies a reviewer's decision to one event of `game`, recomputes the game and audits it.
pub async fn review_event(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
    event_id: &EventId,
    decision: &Decision,
    actor: &Actor,
) -> Result<(), ReviewFailure> {
    let mut tx = db.tenant(tenant).await?;
    open_game(&mut tx, tenant, game).await?;
    let stored: Option<(serde_json::Value, String)> = sqlx::query_as(
        "SELECT payload, review_status FROM event
         WHERE tenant_id = $1 AND game_id = $2 AND event_id = $3 AND NOT retracted",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .bind(event_id.as_uuid())
    .fetch_optional(&mut *tx)
    .await?;
    let (payload, before) = stored.ok_or(ReviewFailure::NotFound)?;
    let event: GameEvent =
        serde_json::from_value(payload).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let (action, detail) = match decision {
        Decision::Accept => {
            replace_event(&mut tx, tenant, &accepted(&event), "accepted").await?;
            (
                "event.accept",
                serde_json::json!({"before": before, "confidence": event.confidence}),
            )
        }
        Decision::Reject => {
            sqlx::query(
                "UPDATE event SET review_status = 'rejected' WHERE tenant_id = $1 AND event_id = $2",
            )
            .bind(tenant.as_str())
            .bind(event_id.as_uuid())
            .execute(&mut *tx)
            .await?;
            ("event.reject", serde_json::json!({"before": before}))
        }
        Decision::Edit(edit) => {
            let after = edited(&event, edit);
            replace_event(&mut tx, tenant, &after, "edited").await?;
            let json = |e: &GameEvent| serde_json::to_value(e).unwrap_or_default();
            (
                "event.edit",
                serde_json::json!({"before": json(&event), "after": json(&after)}),
            )
        }
    };
    recompute_game(&mut tx, tenant, game).await?;
    audit::record(
        &mut tx,
        tenant,
        actor,
        action,
        &event_id.to_string(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds an event the engine missed (a goal becomes its shot and its goal); returns the new ids.
pub async fn add_missed_event(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
    missed: &MissedEvent,
    actor: &Actor,
) -> Result<Vec<EventId>, ReviewFailure> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let events = missed_events(game, missed, || {
        EventId::appliance(now_ms, rand::rng().random())
    })?;
    let mut tx = db.tenant(tenant).await?;
    open_game(&mut tx, tenant, game).await?;
    insert_events(&mut tx, tenant, &events, None).await?;
    recompute_game(&mut tx, tenant, game).await?;
    let ids: Vec<EventId> = events.iter().map(|e| e.event_id).collect();
    let detail = serde_json::to_value(&events).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let target = ids.first().map(ToString::to_string).unwrap_or_default();
    audit::record(&mut tx, tenant, actor, "event.add", &target, detail).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Locks `game` as final once the score derived from its events is `official` (home, away).
pub async fn finalise_game(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
    official: (u32, u32),
    actor: &Actor,
) -> Result<(), ReviewFailure> {
    let mut tx = db.tenant(tenant).await?;
    open_game(&mut tx, tenant, game).await?;
    let stats = recompute_game(&mut tx, tenant, game).await?;
    check_official_score((stats.home.goals, stats.away.goals), official)?;
    sqlx::query("UPDATE game SET status = 'final' WHERE tenant_id = $1 AND game_id = $2")
        .bind(tenant.as_str())
        .bind(game.as_str())
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"home": official.0, "away": official.1});
    audit::record(
        &mut tx,
        tenant,
        actor,
        "game.finalise",
        game.as_str(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
