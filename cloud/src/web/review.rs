//! The review queue page and its decisions (accept, reject, edit).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::games::clip_ids;
use super::{Viewer, check_csrf, render, views};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::review::fetch_review_queue;
use crate::credentials::Role;
use crate::review::{Decision, review_event};
use benchsight_core::ids::{EventId, GameId};

pub(super) async fn review_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Html<String>, ApiError> {
    let queue = fetch_review_queue(&state.db, &caller.tenant).await?;
    let mut clips = std::collections::BTreeSet::new();
    let games: std::collections::BTreeSet<&str> =
        queue.iter().map(|i| i.game_id.as_str()).collect();
    for game in games {
        clips.extend(clip_ids(&state, &caller, game).await?);
    }
    render(&views::ReviewPage::new(&caller, &queue, &clips))
}

/// A decision from the review queue.
#[derive(Debug, Deserialize)]
pub(super) struct ReviewForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    detail1: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    actor_number: String,
}

pub(super) async fn review_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path((game_id, event_id)): Path<(String, String)>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    caller.require(Role::Reviewer)?;
    let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
    let event = EventId::parse(&event_id).map_err(|_| ApiError::NotFound)?;
    let decision = match form.decision.as_str() {
        "accept" => Decision::Accept,
        "reject" => Decision::Reject,
        "edit" => {
            let optional = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
            let edit = serde_json::json!({
                "detail1": optional(&form.detail1),
                "team": optional(&form.team),
                "actor_number": optional(&form.actor_number)
                    .map(|n| n.parse::<u16>())
                    .transpose()
                    .map_err(|_| ApiError::BadRequest("player number".into()))?,
            });
            Decision::Edit(
                serde_json::from_value(edit).map_err(|e| ApiError::BadRequest(e.to_string()))?,
            )
        }
        other => return Err(ApiError::BadRequest(format!("decision {other:?}"))),
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
    Ok(Redirect::to("/review").into_response())
}
