//! The API's one error type: every handler returns it, and it becomes a JSON body
//! `{"error": "..."}` with the matching status. Server-side failures are logged in full and
//! answered without their details.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::credentials::CredentialError;
use crate::db::DbError;
use crate::review::ReviewFailure;

/// Why a request was not served.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session, API key or device token.
    #[error("authentication required")]
    Unauthorised,
    /// Authenticated, but the role does not allow it.
    #[error("your role does not allow this")]
    Forbidden,
    /// Nothing of that id in the caller's tenant (other tenants' ids included: their existence
    /// is not revealed).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// The request contradicts the resource's state (e.g. a locked game).
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later")]
    TooManyRequests,
    /// A service this one needs is not there (the broker).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorised => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body = ErrorBody {
            error: self.to_string(),
        };
        (self.status(), Json(body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<ReviewFailure> for ApiError {
    fn from(failure: ReviewFailure) -> Self {
        match failure {
            ReviewFailure::NotFound => ApiError::NotFound,
            ReviewFailure::Locked(_) => ApiError::Conflict(failure.to_string()),
            ReviewFailure::Invalid(error) => ApiError::BadRequest(error.to_string()),
            ReviewFailure::Db(error) => error.into(),
        }
    }
}

impl From<CredentialError> for ApiError {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::Malformed(what) => ApiError::BadRequest(format!("malformed {what}")),
            CredentialError::UnknownKey(_) => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}
