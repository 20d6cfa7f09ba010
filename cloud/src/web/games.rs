//! The games pages: the list, a game (box score, shot map, timeline, live section) and the forms
//! on it — add a missed event, finalise.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Viewer, check_csrf, render, views};
use crate::api::AppState;
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::games::{
    EventFilter, GameFilter, fetch_events, fetch_game, fetch_games, fetch_shots,
};
use crate::credentials::Role;
use crate::review::{add_missed_event, finalise_game};
use benchsight_core::ids::GameId;

pub(super) async fn games_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(filter): Query<GameFilter>,
) -> Result<Html<String>, ApiError> {
    // An empty form field means "no filter".
    let filter = GameFilter {
        date: filter.date.filter(|d| !d.is_empty()),
        team: filter.team.filter(|t| !t.is_empty()),
        status: filter.status.filter(|s| !s.is_empty()),
    };
    let (date, status) = (
        filter.date.clone().unwrap_or_default(),
        filter.status.clone().unwrap_or_default(),
    );
    let games = fetch_games(&state.db, &caller.tenant, filter).await?;
    render(&views::GamesPage::new(&caller, games, date, status))
}

pub(super) async fn game_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(game_id): Path<String>,
) -> Result<Html<String>, ApiError> {
    render_game(&state, &caller, &game_id, None).await
}

/// The game page, with a message when a form on it was refused.
async fn render_game(
    state: &AppState,
    caller: &Caller,
    game_id: &str,
    message: Option<String>,
) -> Result<Html<String>, ApiError> {
    let game_id = game_id.to_owned();
    let game = fetch_game(&state.db, &caller.tenant, &game_id).await?;
    let events = fetch_events(
        &state.db,
        &caller.tenant,
        &game_id,
        EventFilter {
            event_type: None,
            review: None,
        },
    )
    .await?;
    let shots = fetch_shots(&state.db, &caller.tenant, &game_id).await?;
    let clips = clip_ids(state, caller, &game_id).await?;
    render(&views::GamePage::new(
        caller, game, &events, &shots, &clips, message,
    ))
}

/// The events of a game that have a clip.
pub(super) async fn clip_ids(
    state: &AppState,
    caller: &Caller,
    game_id: &str,
) -> Result<std::collections::BTreeSet<uuid::Uuid>, ApiError> {
    let mut tx = state.db.tenant(&caller.tenant).await?;
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT c.event_id FROM clip c JOIN event e
           ON e.tenant_id = c.tenant_id AND e.event_id = c.event_id
         WHERE c.tenant_id = $1 AND e.game_id = $2",
    )
    .bind(caller.tenant.as_str())
    .bind(game_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.into_iter().collect())
}

/// What a refused form says on the page it came from; other errors stay errors.
pub(super) fn form_message(error: ApiError) -> Result<String, ApiError> {
    match error {
        ApiError::BadRequest(message) | ApiError::Conflict(message) => Ok(message),
        ApiError::Forbidden => Ok("Your role does not allow this.".into()),
        other => Err(other),
    }
}

/// The add-event form: video time as `m:ss`, everything else as the API takes it.
#[derive(Debug, Deserialize)]
pub(super) struct AddEventForm {
    csrf: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    detail1: String,
    team: String,
    period: String,
    video_time: String,
    #[serde(default)]
    actor_number: String,
    #[serde(default)]
    penalty_minutes: String,
}

impl AddEventForm {
    fn missed_event(&self) -> Result<benchsight_core::review::MissedEvent, ApiError> {
        let bad = |what: &str| ApiError::BadRequest(format!("{what} is not valid"));
        let (minutes, seconds) = self
            .video_time
            .trim()
            .split_once(':')
            .ok_or_else(|| bad("video time (m:ss)"))?;
        let minutes: u64 = minutes.parse().map_err(|_| bad("video time (m:ss)"))?;
        let seconds: u64 = seconds.parse().map_err(|_| bad("video time (m:ss)"))?;
        let optional = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        let json = serde_json::json!({
            "type": self.event_type,
            "detail1": optional(&self.detail1),
            "team": self.team,
            "period": self.period.trim().parse::<u64>().map_err(|_| bad("period"))?,
            "media_time_ms": (minutes * 60 + seconds) * 1000,
            "actor_number": optional(&self.actor_number).map(|n| n.parse::<u16>()).transpose().map_err(|_| bad("player number"))?,
            "penalty_minutes": optional(&self.penalty_minutes).map(|n| n.parse::<u32>()).transpose().map_err(|_| bad("penalty minutes"))?,
        });
        serde_json::from_value(json).map_err(|e| ApiError::BadRequest(e.to_string()))
    }
}

pub(super) async fn add_event_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(game_id): Path<String>,
    Form(form): Form<AddEventForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Reviewer)?;
        let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
        let missed = form.missed_event()?;
        add_missed_event(&state.db, &caller.tenant, &game, &missed, &caller.actor()).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    after_form(
        &state,
        &caller,
        &game_id,
        outcome,
        &format!("/games/{game_id}"),
    )
    .await
}

/// Redirects after a form that worked; shows the game page with the reason when it was refused.
async fn after_form(
    state: &AppState,
    caller: &Caller,
    game_id: &str,
    outcome: Result<(), ApiError>,
    back: &str,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(back).into_response()),
        Err(error) => {
            let status = error.status();
            let message = form_message(error)?;
            let page = render_game(state, caller, game_id, Some(message)).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct FinaliseForm {
    csrf: String,
    home: String,
    away: String,
}

pub(super) async fn finalise_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(game_id): Path<String>,
    Form(form): Form<FinaliseForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Admin)?;
        let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
        let score = |text: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| ApiError::BadRequest("scores are whole numbers".into()))
        };
        let official = (score(&form.home)?, score(&form.away)?);
        finalise_game(&state.db, &caller.tenant, &game, official, &caller.actor()).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    after_form(
        &state,
        &caller,
        &game_id,
        outcome,
        &format!("/games/{game_id}"),
    )
    .await
}
