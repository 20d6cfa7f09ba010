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
