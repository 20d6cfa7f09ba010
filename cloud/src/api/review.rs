//! Review actions over HTTP: a decision on one event (accept, reject, edit), an event the engine
//! missed, and finalising a game against its official score. Reviewers and admins may review;
//! only admins finalise. Each answers once the ETL has recomputed the game.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use benchsight_core::ids::{EventId, GameId};
use benchsight_core::review::{EventEdit, MissedEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::caller::Writer;
use super::error::{ApiError, ErrorBody};
use super::games::{EventFilter, EventView, fetch_events};
use crate::credentials::Role;
use crate::review::{Decision, add_missed_event, finalise_game, review_event};

/// `accept`, `reject` or `edit` (with `edit`: the fields to change — `type`, `detail1`,
/// `detail2`, `team`, `period`, `actor_number`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewRequest {
    pub decision: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub edit: Option<EventEdit>,
}

fn ids(game_id: &str, event_id: &str) -> Result<(GameId, EventId), ApiError> {
    Ok((
        GameId::parse(game_id).map_err(|_| ApiError::NotFound)?,
        EventId::parse(event_id).map_err(|_| ApiError::NotFound)?,
    ))
}

/// Accept, reject or edit one event; the game's statistics are recomputed.
#[utoipa::path(post, path = "/api/v1/games/{game_id}/events/{event_id}/review", tag = "review",
    params(("game_id" = String, Path), ("event_id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 204, description = "Applied"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The game is final", body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path((game_id, event_id)): Path<(String, String)>,
    Json(request): Json<ReviewRequest>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Reviewer)?;
    let (game, event) = ids(&game_id, &event_id)?;
    let decision = match (request.decision.as_str(), request.edit) {
        ("accept", _) => Decision::Accept,
        ("reject", _) => Decision::Reject,
        ("edit", Some(edit)) => Decision::Edit(edit),
        ("edit", None) => {
            return Err(ApiError::BadRequest(
                "edit: give the fields to change".into(),
            ));
        }
        (other, _) => {
            return Err(ApiError::BadRequest(format!(
                "decision {other:?}: accept, reject or edit"
            )));
        }
    };
    review_event(
        &state.db,
        &caller.tenant,
        &game,
        &event,
        &decision,
        &caller.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event the engine missed: `type`, `team`, `period`, `media_time_ms` or `clock`, optional
/// `detail1`, `detail2`, `actor_number`, and `penalty_minutes` (2, 4, 5, 10) for a penalty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct AddEventRequest(pub MissedEvent);

/// The ids of the events added.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedEvents {
    pub event_ids: Vec<String>,
}

/// Add an event the engine missed (a goal is logged as its shot and its goal).
#[utoipa::path(post, path = "/api/v1/games/{game_id}/events", tag = "review",
    params(("game_id" = String, Path)), request_body = AddEventRequest,
    responses((status = 201, body = AddedEvents), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_event(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(game_id): Path<String>,
    Json(AddEventRequest(missed)): Json<AddEventRequest>,
) -> Result<(StatusCode, Json<AddedEvents>), ApiError> {
    caller.require(Role::Reviewer)?;
    let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
    let added =
        add_missed_event(&state.db, &caller.tenant, &game, &missed, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedEvents {
            event_ids: added.iter().map(ToString::to_string).collect(),
        }),
    ))
}

/// The official final score.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OfficialScore {
    pub home: u32,
    pub away: u32,
}

/// Finalise a game: accepted only when the score derived from its events is the official one;
/// the game is then locked against further review.
#[utoipa::path(post, path = "/api/v1/games/{game_id}/finalise", tag = "review",
    params(("game_id" = String, Path)), request_body = OfficialScore,
    responses((status = 204, description = "Final"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn finalise(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(game_id): Path<String>,
    Json(score): Json<OfficialScore>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
    finalise_game(
        &state.db,
        &caller.tenant,
        &game,
        (score.home, score.away),
        &caller.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One event awaiting review, with its game.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub game_id: String,
    pub event: EventView,
}

/// The review queue: events with confidence 0.70–0.90 (`needs_review`) in games not yet final,
/// game by game in game order.
pub async fn fetch_review_queue(
    db: &crate::db::Database,
    tenant: &benchsight_core::ids::TenantId,
) -> Result<Vec<QueueItem>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    let games: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT e.game_id FROM event e
         JOIN game g ON g.tenant_id = e.tenant_id AND g.game_id = e.game_id
         WHERE e.tenant_id = $1 AND e.review_status = 'needs_review' AND NOT e.retracted
           AND g.status <> 'final'
         ORDER BY e.game_id",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut queue = Vec::new();
    for game_id in games {
        let filter = EventFilter {
            event_type: None,
            review: Some("needs_review".into()),
        };
        for event in fetch_events(db, tenant, &game_id, filter).await? {
            if !event.retracted {
                queue.push(QueueItem {
                    game_id: game_id.clone(),
                    event,
                });
            }
        }
    }
    Ok(queue)
}

/// The review queue of the caller's tenant.
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    responses((status = 200, body = Vec<QueueItem>), (status = 401, body = ErrorBody)))]
pub async fn review_queue(
    State(state): State<AppState>,
    caller: super::caller::Caller,
) -> Result<Json<Vec<QueueItem>>, ApiError> {
    Ok(Json(fetch_review_queue(&state.db, &caller.tenant).await?))
}
