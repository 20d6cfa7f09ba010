//! Live updates of a game as Server-Sent Events: a `game` event with the score, status and the
//! latest events when the page connects and again whenever the game changes (new or amended
//! events, recomputed statistics, a status change), from any process.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::AppState;
use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::games::{EventFilter, EventView, PeriodScore, fetch_events, fetch_game};
use crate::live::GameChange;

/// How many of the latest events an update carries.
pub const LATEST_EVENTS: usize = 30;

/// One live update.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveUpdate {
    pub game_id: String,
    pub status: String,
    pub home_goals: i64,
    pub away_goals: i64,
    pub periods: Vec<PeriodScore>,
    /// The latest events, oldest first.
    pub events: Vec<EventView>,
}

async fn snapshot(
    state: &AppState,
    caller: &Caller,
    game_id: &str,
) -> Result<LiveUpdate, ApiError> {
    let game = fetch_game(&state.db, &caller.tenant, game_id).await?;
    let filter = EventFilter {
        event_type: None,
        review: None,
    };
    let mut events = fetch_events(&state.db, &caller.tenant, game_id, filter).await?;
    let skip = events.len().saturating_sub(LATEST_EVENTS);
    events.drain(..skip);
    Ok(LiveUpdate {
        game_id: game.game.game_id,
        status: game.game.status,
        home_goals: game.game.home.goals,
        away_goals: game.game.away.goals,
        periods: game.periods,
        events,
    })
}

fn as_event(update: &LiveUpdate) -> Event {
    Event::default()
        .event("game")
        .json_data(update)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data("cannot encode the update")
        })
}

/// One Server-Sent Event of the live stream: `event` is `game`, `data` a `LiveUpdate` as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveEvent {
    pub event: String,
    /// A `LiveUpdate`, JSON-encoded.
    pub data: String,
}

/// A game's live updates (`text/event-stream`, events named `game` carrying a `LiveUpdate`).
#[utoipa::path(get, path = "/api/v1/games/{game_id}/live", tag = "games",
    params(("game_id" = String, Path)),
    responses((status = 200, description = "Server-Sent Events: `game` events whose data is a \
            LiveUpdate", content_type = "text/event-stream", body = LiveEvent),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    Path(game_id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first = snapshot(&state, &caller, &game_id).await?;
    let changes = state.changes.subscribe();
    let tenant = caller.tenant.to_string();
    let stream =
        futures_util::stream::unfold((Some(first), changes), move |(pending, mut changes)| {
            let (state, caller, game_id, tenant) = (
                state.clone(),
                caller.clone(),
                game_id.clone(),
                tenant.clone(),
            );
            async move {
                if let Some(update) = pending {
                    return Some((Ok(as_event(&update)), (None, changes)));
                }
                loop {
                    let received = tokio::select! {
                        () = state.shutdown.cancelled() => return None,
                        received = changes.recv() => received,
                    };
                    let relevant = match received {
                        Ok(change) => change.concerns(&tenant, &game_id),
                        // Fell behind: refresh rather than guess what was missed.
                        Err(RecvError::Lagged(_)) => true,
                        Err(RecvError::Closed) => return None,
                    };
                    if !relevant {
                        continue;
                    }
                    // Fold a burst of changes into one update.
                    while let Ok(GameChange { .. }) = changes.try_recv() {}
                    match snapshot(&state, &caller, &game_id).await {
                        Ok(update) => return Some((Ok(as_event(&update)), (None, changes))),
                        Err(error) => tracing::warn!(%error, %game_id, "a live update failed"),
                    }
                }
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
