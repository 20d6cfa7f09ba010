//! Tenant administration over HTTP, for admins: the tenant's settings (clip retention), its API
//! keys (created with the secret shown once, listed without it, revoked) and imports of games
//! tracked by hand with the BenchSight tracker (its save file as the body; the ETL runs at once).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use benchsight_core::ids::TenantId;
use benchsight_core::tracker::read_tracker_file;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::caller::{Caller, Writer};
use super::error::{ApiError, ErrorBody};
use crate::audit::Actor;
use crate::credentials::{self, ApiKeyInfo, Role};
use crate::db::Database;
use crate::import::import_tracker;

/// The largest tracker save file accepted (the real ones are under 2 MiB).
pub const MAX_IMPORT_BYTES: usize = 32 << 20;

/// The tenant's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Days a clip is kept after its upload (1–3650).
    pub clip_retention_days: i32,
}

/// The tenant's settings as stored.
pub async fn load_settings(db: &Database, tenant: &TenantId) -> Result<Settings, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    let days: i32 =
        sqlx::query_scalar("SELECT clip_retention_days FROM tenant WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Settings {
        clip_retention_days: days,
    })
}

/// Validates and stores the tenant's settings, audited.
pub async fn store_settings(
    db: &Database,
    tenant: &TenantId,
    settings: Settings,
    actor: &Actor,
) -> Result<(), ApiError> {
    if !(1..=3650).contains(&settings.clip_retention_days) {
        return Err(ApiError::BadRequest(
            "clip_retention_days: 1 to 3650".into(),
        ));
    }
    let mut tx = db.tenant(tenant).await?;
    sqlx::query("UPDATE tenant SET clip_retention_days = $2 WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .bind(settings.clip_retention_days)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"clip_retention_days": settings.clip_retention_days});
    crate::audit::record(
        &mut tx,
        tenant,
        actor,
        "settings.update",
        tenant.as_str(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The tenant's settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(load_settings(&state.db, &caller.tenant).await?))
}

/// Change the tenant's settings (admins).
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = Settings,
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Json(settings): Json<Settings>,
) -> Result<Json<Settings>, ApiError> {
    caller.require(Role::Admin)?;
    store_settings(&state.db, &caller.tenant, settings, &caller.actor()).await?;
    Ok(Json(settings))
}

/// The tenant's API keys, revoked ones included (admins).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "settings",
    responses((status = 200, body = Vec<ApiKeyInfo>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(
        credentials::list_api_keys(&state.db, &caller.tenant).await?,
    ))
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKey {
    /// What the key is for, e.g. "league website".
    pub name: String,
    pub role: Role,
}

/// A created key: the whole key is in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub key_id: String,
    /// `bsk.{tenant}.{key_id}.{secret}`, for `Authorization: Bearer`.
    pub key: String,
}

/// Checks a new key's name: 1–100 characters, no control characters.
pub fn key_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name: 1 to 100 printable characters".into(),
        ));
    }
    Ok(name)
}

/// Create an API key (admins); its secret is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "settings", request_body = NewKey,
    responses((status = 201, body = CreatedKey), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Json(new): Json<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require(Role::Admin)?;
    let name = key_name(&new.name)?;
    let (key_id, key) =
        credentials::create_api_key(&state.db, &caller.tenant, name, new.role, &caller.actor())
            .await?;
    Ok((StatusCode::CREATED, Json(CreatedKey { key_id, key })))
}

/// Revoke an API key (admins).
#[utoipa::path(delete, path = "/api/v1/api-keys/{key_id}", tag = "settings",
    params(("key_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(key_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    credentials::revoke_api_key(&state.db, &caller.tenant, &key_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub game_id: String,
    pub events_added: u64,
    pub events_total: u64,
    pub stints_added: u64,
}

/// Import a game tracked by hand: the BenchSight tracker's save file as the body (admins).
/// Importing the same file again adds nothing.
#[utoipa::path(post, path = "/api/v1/imports", tag = "games",
    request_body(content = Object, content_type = "application/json",
        description = "A BenchSight tracker save file"),
    responses((status = 201, body = Imported), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Writer(caller): Writer,
    body: Bytes,
) -> Result<(StatusCode, Json<Imported>), ApiError> {
    caller.require(Role::Admin)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the tracker file is not UTF-8".into()))?;
    let game =
        read_tracker_file(text, &caller.tenant).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = import_tracker(&state.db, &caller.tenant, &game, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            game_id: game.game_id.to_string(),
            events_added: report.events_added,
            events_total: report.events_total,
            stints_added: report.stints_added,
        }),
    ))
}
