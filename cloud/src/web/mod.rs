//! The dashboard: server-rendered pages (askama templates in `cloud/templates`, escaped by
//! default) over the same queries as the API, with one stylesheet and one small script served
//! by the binary itself — no CDN. A page without a session redirects to `/login`; forms that
//! change something carry the session's CSRF token.
//!
//! - [`games`]: the games list and a game's page with its forms (add an event, finalise).
//! - [`review`]: the review queue and its decisions.
//! - [`fleet`]: devices, and game control with the commands' answers.
//! - [`settings`]: clip retention, API keys and tracker imports (admins).
//! - [`views`]: what each page shows, already formatted for its template.

mod fleet;
mod games;
mod review;
mod settings;
mod views;

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
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
        .route("/games", get(games::games_page))
        .route("/games/{game_id}", get(games::game_page))
        .route("/games/{game_id}/events", post(games::add_event_form))
        .route("/games/{game_id}/finalise", post(games::finalise_form))
        .route("/review", get(review::review_page))
        .route("/review/{game_id}/{event_id}", post(review::review_form))
        .route("/devices", get(fleet::devices_page))
        .route("/control", get(fleet::control_page))
        .route("/control/schedule", post(fleet::schedule_form))
        .route("/control/games/{game_id}", post(fleet::control_form))
        .route(
            "/settings",
            get(settings::settings_page).post(settings::retention_form),
        )
        .route("/settings/keys", post(settings::create_key_form))
        .route(
            "/settings/keys/{key_id}/revoke",
            post(settings::revoke_key_form),
        )
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
    pub(crate) csrf: String,
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
