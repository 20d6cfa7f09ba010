//! The tenant's rinks and appliances: each device's status, last contact, versions and its last
//! telemetry (frame rate, lag, backlog, disk, temperature) as it reported them.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::db::Database;
use benchsight_core::ids::TenantId;

/// A rink.
#[derive(Debug, Serialize, ToSchema)]
pub struct RinkView {
    pub rink_id: String,
    pub name: String,
}

/// The tenant's rinks.
#[utoipa::path(get, path = "/api/v1/rinks", tag = "fleet",
    responses((status = 200, body = Vec<RinkView>), (status = 401, body = ErrorBody)))]
pub async fn list_rinks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RinkView>>, ApiError> {
    Ok(Json(fetch_rinks(&state.db, &caller.tenant).await?))
}

/// The tenant's rinks (shared by the API and the dashboard).
pub async fn fetch_rinks(db: &Database, tenant: &TenantId) -> Result<Vec<RinkView>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT rink_id, name FROM rink WHERE tenant_id = $1 ORDER BY rink_id")
            .bind(tenant.as_str())
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(rink_id, name)| RinkView { rink_id, name })
        .collect())
}

/// An appliance.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub device_id: String,
    pub rink_id: Option<String>,
    /// `online` or `offline` (the appliance's retained status, its Last Will when it vanished).
    pub status: String,
    pub revoked: bool,
    /// RFC 3339, UTC.
    pub last_seen: Option<String>,
    /// Seconds since the last message.
    pub silent_s: Option<f64>,
    #[schema(value_type = Option<Object>)]
    pub versions: Option<serde_json::Value>,
    /// The last telemetry: fps, drops, lag, backlog, disk, temperature.
    #[schema(value_type = Option<Object>)]
    pub telemetry: Option<serde_json::Value>,
}

type DeviceRow = (
    String,
    Option<String>,
    String,
    bool,
    Option<String>,
    Option<f64>,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
);

/// The tenant's appliances.
#[utoipa::path(get, path = "/api/v1/devices", tag = "fleet",
    responses((status = 200, body = Vec<DeviceView>), (status = 401, body = ErrorBody)))]
pub async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    Ok(Json(fetch_devices(&state.db, &caller.tenant).await?))
}

/// The tenant's appliances (shared by the API and the dashboard).
pub async fn fetch_devices(db: &Database, tenant: &TenantId) -> Result<Vec<DeviceView>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT device_id, rink_id, status, revoked_at IS NOT NULL,
                to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                EXTRACT(EPOCH FROM now() - last_seen)::float8, versions, telemetry
         FROM device WHERE tenant_id = $1 ORDER BY device_id",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| DeviceView {
            device_id: r.0,
            rink_id: r.1,
            status: r.2,
            revoked: r.3,
            last_seen: r.4,
            silent_s: r.5,
            versions: r.6,
            telemetry: r.7,
        })
        .collect())
}
