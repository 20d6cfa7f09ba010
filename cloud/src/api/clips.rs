//! Clips over HTTP: appliances upload a clip of one of their events with their device token
//! (`PUT /device-api/v1/{tenant}/{device}/clips/{event_id}` — the only routes a device token
//! opens), and people play it back with HTTP range requests.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_RANGES, AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use benchsight_core::ids::{DeviceId, EventId, TenantId};

use super::AppState;
use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::clips::ClipError;
use crate::provision::device_token_valid;

impl From<ClipError> for ApiError {
    fn from(error: ClipError) -> Self {
        match error {
            ClipError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Upload a clip of one of the device's events (`Authorization: Bearer DEVICE_TOKEN`).
#[utoipa::path(put, path = "/device-api/v1/{tenant}/{device}/clips/{event_id}", tag = "devices",
    params(("tenant" = String, Path), ("device" = String, Path), ("event_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "video/mp4"),
    responses((status = 204, description = "Stored"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("device_token" = [])))]
pub async fn upload_clip(
    State(state): State<AppState>,
    Path((tenant, device, event_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let tenant = TenantId::parse(&tenant).map_err(|_| ApiError::Unauthorised)?;
    let device = DeviceId::parse(&device).map_err(|_| ApiError::Unauthorised)?;
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorised)?;
    let valid = device_token_valid(&state.db, &tenant, &device, token)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !valid {
        return Err(ApiError::Unauthorised);
    }
    let event = EventId::parse(&event_id).map_err(|_| ApiError::NotFound)?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("video/mp4");
    if !content_type.starts_with("video/") {
        return Err(ApiError::BadRequest(format!(
            "{content_type}: clips are video"
        )));
    }
    state
        .clips
        .put(&state.db, &tenant, &device, &event, content_type, body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Play a clip: the whole file, or the byte range asked for (`Range: bytes=…`, one range).
#[utoipa::path(get, path = "/api/v1/clips/{event_id}", tag = "games",
    params(("event_id" = String, Path)),
    responses((status = 200, description = "The clip", content_type = "video/mp4", body = Vec<u8>),
        (status = 206, description = "Part of the clip", content_type = "video/mp4", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, description = "Range not satisfiable")))]
pub async fn play_clip(
    State(state): State<AppState>,
    caller: Caller,
    Path(event_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let event = EventId::parse(&event_id).map_err(|_| ApiError::NotFound)?;
    let clip = state.clips.info(&state.db, &caller.tenant, &event).await?;
    let size = clip.bytes;
    let asked = headers.get(RANGE).and_then(|v| v.to_str().ok());
    let Some(asked) = asked else {
        let body = state.clips.read(&clip, 0..size).await?;
        return Ok((
            StatusCode::OK,
            [
                (CONTENT_TYPE, clip.content_type),
                (ACCEPT_RANGES, "bytes".into()),
            ],
            body,
        )
            .into_response());
    };
    let ranges = http_range_header::parse_range_header(asked)
        .and_then(|parsed| parsed.validate(size))
        .ok()
        .filter(|ranges| ranges.len() == 1);
    let Some(range) = ranges.and_then(|r| r.into_iter().next()) else {
        return Ok((
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(CONTENT_RANGE, format!("bytes */{size}"))],
        )
            .into_response());
    };
    let (start, end) = (*range.start(), *range.end());
    let body = state.clips.read(&clip, start..end + 1).await?;
    Ok((
        StatusCode::PARTIAL_CONTENT,
        [
            (CONTENT_TYPE, clip.content_type),
            (ACCEPT_RANGES, "bytes".into()),
            (CONTENT_RANGE, format!("bytes {start}-{end}/{size}")),
            (CONTENT_LENGTH, (end + 1 - start).to_string()),
        ],
        body,
    )
        .into_response())
}
