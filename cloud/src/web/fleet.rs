//! The fleet pages: devices, and game control (schedule, start / end, commands and their acks).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::games::form_message;
use super::{Viewer, check_csrf, render, views};
use crate::api::AppState;
use crate::api::caller::Caller;
use crate::api::control::fetch_commands;
use crate::api::error::ApiError;
use crate::api::fleet::{fetch_devices, fetch_rinks};
use crate::api::games::{GameFilter, fetch_games};
use crate::control::{GameAction, Schedule, TeamEntry, control_game, schedule_game};
use crate::credentials::Role;
use benchsight_core::ids::GameId;

pub(super) async fn devices_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Html<String>, ApiError> {
    let devices = fetch_devices(&state.db, &caller.tenant).await?;
    render(&views::DevicesPage::new(&caller, &devices))
}

async fn render_control(
    state: &AppState,
    caller: &Caller,
    message: Option<String>,
) -> Result<Html<String>, ApiError> {
    let games = fetch_games(
        &state.db,
        &caller.tenant,
        GameFilter {
            date: None,
            team: None,
            status: None,
        },
    )
    .await?;
    let rinks = fetch_rinks(&state.db, &caller.tenant).await?;
    let mut commands = Vec::new();
    for device in fetch_devices(&state.db, &caller.tenant).await? {
        for command in fetch_commands(&state.db, &caller.tenant, &device.device_id)
            .await?
            .into_iter()
            .take(10)
        {
            commands.push((device.device_id.clone(), command));
        }
    }
    render(&views::ControlPage::new(
        caller, games, rinks, commands, message,
    ))
}

pub(super) async fn control_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Html<String>, ApiError> {
    render_control(&state, &caller, None).await
}

/// Shows the control page with why a form was refused, or goes back to it.
async fn after_control_form(
    state: &AppState,
    caller: &Caller,
    outcome: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/control").into_response()),
        Err(error) => {
            let status = error.status();
            let message = form_message(error)?;
            Ok((status, render_control(state, caller, Some(message)).await?).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ScheduleForm {
    csrf: String,
    game_id: String,
    rink_id: String,
    /// `datetime-local`: `YYYY-MM-DDTHH:MM`, taken as UTC.
    starts_at: String,
    home_name: String,
    home_colour: String,
    away_name: String,
    away_colour: String,
}

pub(super) async fn schedule_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Admin)?;
        let starts_at = match form.starts_at.len() {
            16 => format!("{}:00Z", form.starts_at),
            _ => format!("{}Z", form.starts_at.trim_end_matches('Z')),
        };
        let schedule = Schedule {
            game_id: form.game_id.trim().to_owned(),
            rink_id: form.rink_id.clone(),
            starts_at,
            home: TeamEntry {
                name: form.home_name.clone(),
                colour: form.home_colour.clone(),
            },
            away: TeamEntry {
                name: form.away_name.clone(),
                colour: form.away_colour.clone(),
            },
            period_lengths_s: vec![1200, 1200, 1200],
            home_attacks_right_p1: true,
        };
        schedule_game(&state.db, &caller.tenant, &schedule, &caller.actor()).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    after_control_form(&state, &caller, outcome).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ControlForm {
    csrf: String,
    action: String,
}

pub(super) async fn control_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(game_id): Path<String>,
    Form(form): Form<ControlForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Admin)?;
        let game = GameId::parse(&game_id).map_err(|_| ApiError::NotFound)?;
        let action = match form.action.as_str() {
            "start" => GameAction::Start,
            "end" => GameAction::End,
            other => return Err(ApiError::BadRequest(format!("action {other:?}"))),
        };
        control_game(
            &state.db,
            state.commands.as_ref(),
            &caller.tenant,
            &game,
            None,
            action,
            &caller.actor(),
        )
        .await?;
        Ok(())
    }
    .await;
    after_control_form(&state, &caller, outcome).await
}
