//! Logging in and out of the dashboard: a password check opens a session (HttpOnly, SameSite
//! Strict cookie, Secure when served over TLS; it expires on the server after
//! `users::SESSION_HOURS`), repeated failures for one user are slowed down,
//! and logging out ends the session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use benchsight_core::ids::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::caller::{Caller, SESSION_COOKIE};
use super::error::{ApiError, ErrorBody};
use crate::users::{log_in, log_out};

/// Failed logins allowed per user within [`FAILURE_WINDOW`] before further attempts are refused.
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failed logins per (tenant, user), kept in memory.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<(String, String), Vec<Instant>>>,
}

impl LoginThrottle {
    fn recent(&self, key: &(String, String), now: Instant) -> usize {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = failures.entry(key.clone()).or_default();
        list.retain(|at| now.duration_since(*at) < FAILURE_WINDOW);
        list.len()
    }

    fn fail(&self, key: (String, String), now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.entry(key).or_default().push(now);
    }

    fn clear(&self, key: &(String, String)) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(key);
    }
}

/// A login attempt.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub tenant: String,
    pub login: String,
    pub password: String,
}

/// Who is logged in, and the token forms must send back (`x-csrf-token` header or `csrf` field).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub tenant: String,
    pub actor: String,
    pub role: String,
    pub csrf_token: Option<String>,
}

/// Log in with a user name and password: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionInfo),
        (status = 401, description = "Wrong tenant, user or password", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this user", body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> Result<(CookieJar, Json<SessionInfo>), ApiError> {
    let (cookie, info) = open_session(&state, &request).await?;
    Ok((jar.add(cookie), Json(info)))
}

/// Checks a login (throttled per user) and opens a session: its cookie and who it is. Shared by
/// the API and the dashboard's login form.
pub async fn open_session(
    state: &AppState,
    request: &LoginRequest,
) -> Result<(Cookie<'static>, SessionInfo), ApiError> {
    let tenant = TenantId::parse(&request.tenant).map_err(|_| ApiError::Unauthorised)?;
    let key = (request.tenant.clone(), request.login.clone());
    let now = Instant::now();
    if state.logins.recent(&key, now) >= MAX_FAILURES {
        return Err(ApiError::TooManyRequests);
    }
    let Some(session) = log_in(&state.db, &tenant, &request.login, &request.password).await? else {
        state.logins.fail(key, now);
        return Err(ApiError::Unauthorised);
    };
    state.logins.clear(&key);
    let cookie = Cookie::build((SESSION_COOKIE, session.cookie_value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .path("/")
        .build();
    let user = session.user;
    Ok((
        cookie,
        SessionInfo {
            tenant: user.tenant.to_string(),
            actor: format!("user:{}", user.login),
            role: user.role.to_string(),
            csrf_token: Some(user.csrf_token),
        },
    ))
}

/// The cookie that removes the session cookie.
pub fn expired_session_cookie() -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE).path("/").build()
}

/// Who is calling (a session or an API key).
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
pub async fn current_session(caller: Caller) -> Json<SessionInfo> {
    Json(SessionInfo {
        tenant: caller.tenant.to_string(),
        actor: caller.actor.clone(),
        role: caller.role.to_string(),
        csrf_token: caller.csrf_token.clone(),
    })
}

/// Log out: ends the session and clears its cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out")))]
pub async fn delete_session(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<(CookieJar, StatusCode), ApiError> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        log_out(&state.db, cookie.value()).await?;
    }
    Ok((jar.remove(expired_session_cookie()), StatusCode::NO_CONTENT))
}
