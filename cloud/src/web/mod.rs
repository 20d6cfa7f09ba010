//! The dashboard: server-rendered pages (askama templates in `cloud/templates`, escaped by
//! default) over the same queries as the API, with one stylesheet and one small script served
//! by the binary itself — no CDN. A page without a session redirects to `/login`; forms that
//! change something carry the session's CSRF token.

mod views;

use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, routing::post};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::api::AppState;
use crate::api::caller::{Caller, SESSION_COOKIE};
use crate::api::control::fetch_commands;
use crate::api::error::ApiError;
use crate::api::fleet::{fetch_devices, fetch_rinks};
use crate::api::games::{
    EventFilter, GameFilter, fetch_events, fetch_game, fetch_games, fetch_shots,
};
use crate::api::review::fetch_review_queue;
use crate::api::session::{LoginRequest, expired_session_cookie, open_session};
use crate::control::{GameAction, Schedule, TeamEntry, control_game, schedule_game};
use crate::credentials::Role;
use crate::review::{Decision, add_missed_event, finalise_game, review_event};
use crate::users::log_out;
use benchsight_core::ids::{EventId, GameId};

/// A page's caller: like [`Caller`], but a missing session sends the browser to the login page.
#[derive(Debug)]
pub struct Viewer(pub Caller);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) => Ok(Viewer(caller)),
            Err(ApiError::Unauthorised) => Err(Redirect::to("/login").into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

fn render(page: &impl askama::Template) -> Result<Html<String>, ApiError> {
    page.render()
        .map(Html)
        .map_err(|e| ApiError::Internal(format!("rendering a page: {e}")))
}

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/games") }))
        .route("/login", get(login_page).post(login_form))
        .route("/logout", post(logout_form))
        .route("/games", get(games_page))
        .route("/games/{game_id}", get(game_page))
        .route("/games/{game_id}/events", post(add_event_form))
        .route("/games/{game_id}/finalise", post(finalise_form))
        .route("/review", get(review_page))
        .route("/review/{game_id}/{event_id}", post(review_form))
        .route("/devices", get(devices_page))
        .route("/control", get(control_page))
        .route("/control/schedule", post(schedule_form))
        .route("/control/games/{game_id}", post(control_form))
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/app.js", get(script))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../assets/app.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../assets/app.js"),
    )
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    tenant: Option<String>,
}

async fn login_page(Query(query): Query<LoginQuery>) -> Result<Html<String>, ApiError> {
    render(&views::LoginPage {
        nav: None,
        tenant: query.tenant.unwrap_or_default(),
        message: None,
    })
}

async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(request): Form<LoginRequest>,
) -> Result<Response, ApiError> {
    match open_session(&state, &request).await {
        Ok((cookie, _)) => Ok((jar.add(cookie), Redirect::to("/games")).into_response()),
        Err(error @ (ApiError::Unauthorised | ApiError::TooManyRequests)) => {
            let message = match error {
                ApiError::TooManyRequests => "Too many failed attempts; try again in 15 minutes.",
                _ => "Wrong league, user or password.",
            };
            let page = render(&views::LoginPage {
                nav: None,
                tenant: request.tenant.clone(),
                message: Some(message.into()),
            })?;
            Ok((error.status(), page).into_response())
        }
        Err(error) => Err(error),
    }
}

/// A form's CSRF field.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Refuses a form whose CSRF token is not the session's.
fn check_csrf(caller: &Caller, sent: &str) -> Result<(), ApiError> {
    match &caller.csrf_token {
        Some(token) if token == sent => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

async fn logout_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        log_out(&state.db, cookie.value()).await?;
    }
    Ok((jar.remove(expired_session_cookie()), Redirect::to("/login")).into_response())
}

async fn games_page(
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

async fn game_page(
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
async fn clip_ids(
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
fn form_message(error: ApiError) -> Result<String, ApiError> {
    match error {
        ApiError::BadRequest(message) | ApiError::Conflict(message) => Ok(message),
        ApiError::Forbidden => Ok("Your role does not allow this.".into()),
        other => Err(other),
    }
}

/// The add-event form: video time as `m:ss`, everything else as the API takes it.
#[derive(Debug, Deserialize)]
struct AddEventForm {
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

async fn add_event_form(
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
struct FinaliseForm {
    csrf: String,
    home: String,
    away: String,
}

async fn finalise_form(
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

async fn review_page(
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
struct ReviewForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    detail1: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    actor_number: String,
}

async fn review_form(
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

async fn devices_page(
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

async fn control_page(
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
struct ScheduleForm {
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

async fn schedule_form(
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
struct ControlForm {
    csrf: String,
    action: String,
}

async fn control_form(
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
