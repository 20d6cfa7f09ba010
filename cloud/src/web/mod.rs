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
use crate::api::error::ApiError;
use crate::api::games::{
    EventFilter, GameFilter, fetch_events, fetch_game, fetch_games, fetch_shots,
};
use crate::api::session::{LoginRequest, expired_session_cookie, open_session};
use crate::users::log_out;

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
    render(&views::GamePage::new(&caller, game, &events, &shots))
}
