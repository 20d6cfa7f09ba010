//! Who is calling: an API key (`Authorization: Bearer bsk.…`) or a dashboard session cookie,
//! resolved to a tenant and a role. Every tenant-scoped handler takes a [`Caller`] and queries as
//! its tenant only; device tokens are not accepted here (they open device endpoints only).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use benchsight_core::ids::TenantId;

use super::AppState;
use super::error::ApiError;
use crate::audit::Actor;
use crate::credentials::{PresentedKey, Role, verify_api_key};
use crate::users::session_user;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bs_session";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub role: Role,
    /// `user:{login}` or `key:{id}`, as the audit log names it.
    pub actor: String,
    /// The CSRF token a session's forms must carry; `None` for API keys (no cookies involved).
    pub csrf_token: Option<String>,
}

impl Caller {
    /// Refuses callers below `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::new(self.actor.clone())
    }
}

/// A caller allowed to change things: as [`Caller`], and a session must also send its CSRF token
/// in the `x-csrf-token` header (API keys send no cookies, so they need none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer(pub Caller);

/// The header that carries a session's CSRF token on API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if let Some(token) = &caller.csrf_token {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(token.as_str()) {
                return Err(ApiError::Forbidden);
            }
        }
        Ok(Writer(caller))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let text = header.to_str().map_err(|_| ApiError::Unauthorised)?;
            let key = text.strip_prefix("Bearer ").ok_or(ApiError::Unauthorised)?;
            let key = PresentedKey::parse(key).map_err(|_| ApiError::Unauthorised)?;
            let holder = verify_api_key(&state.db, &key)
                .await?
                .ok_or(ApiError::Unauthorised)?;
            return Ok(Caller {
                tenant: holder.tenant,
                role: holder.role,
                actor: format!("key:{}", holder.key_id),
                csrf_token: None,
            });
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SESSION_COOKIE).ok_or(ApiError::Unauthorised)?;
        let user = session_user(&state.db, cookie.value())
            .await?
            .ok_or(ApiError::Unauthorised)?;
        Ok(Caller {
            tenant: user.tenant,
            role: user.role,
            actor: format!("user:{}", user.login),
            csrf_token: Some(user.csrf_token),
        })
    }
}
