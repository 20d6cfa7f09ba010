//! Game control over HTTP (admins): schedule a game at a rink, start and end it on the rink's
//! appliance, push a camera calibration; and each device's commands with the appliance's answer
//! (`cmd_ack`), for everyone in the tenant to see.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use benchsight_core::homography::PointPair;
use benchsight_core::ids::{DeviceId, GameId};
use benchsight_core::wire::CommandBody;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::caller::{Caller, Writer};
use super::error::{ApiError, ErrorBody};
use crate::control::{
    ControlError, GameAction, Schedule, control_game, schedule_game, send_command,
};
use crate::credentials::Role;

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        match error {
            ControlError::NotFound(_) => ApiError::NotFound,
            ControlError::Invalid(message) => ApiError::BadRequest(message),
            ControlError::WrongState(..) => ApiError::Conflict(error.to_string()),
            ControlError::NoBroker | ControlError::Broker(_) => {
                ApiError::Unavailable(error.to_string())
            }
            ControlError::Db(error) => error.into(),
        }
    }
}

/// A game to schedule: `game_id`, `rink_id`, `starts_at` (RFC 3339), `home` and `away`
/// (`name`, `colour` `#rrggbb`), optional `period_lengths_s` (three of 1200) and
/// `home_attacks_right_p1` (true).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct ScheduleRequest(pub Schedule);

/// The game scheduled.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scheduled {
    pub game_id: String,
}

/// Schedule a game at a rink (or change a scheduled one).
#[utoipa::path(post, path = "/api/v1/games", tag = "control", request_body = ScheduleRequest,
    responses((status = 201, body = Scheduled), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Json(ScheduleRequest(schedule)): Json<ScheduleRequest>,
) -> Result<(StatusCode, Json<Scheduled>), ApiError> {
    caller.require(Role::Admin)?;
    let game = schedule_game(&state.db, &caller.tenant, &schedule, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(Scheduled {
            game_id: game.to_string(),
        }),
    ))
}

/// Which appliance to tell; the game's rink's when left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ControlRequest {
    pub device_id: Option<String>,
}

/// A command sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandSent {
    pub device_id: String,
    pub cmd_id: String,
}

fn parse_ids(
    game_id: &str,
    request: &ControlRequest,
) -> Result<(GameId, Option<DeviceId>), ApiError> {
    let game = GameId::parse(game_id).map_err(|_| ApiError::NotFound)?;
    let device = request
        .device_id
        .as_deref()
        .map(DeviceId::parse)
        .transpose()
        .map_err(|_| ApiError::NotFound)?;
    Ok((game, device))
}

/// Start or end a game on its appliance: the handlers' shared body.
async fn game_command(
    state: &AppState,
    caller: &Caller,
    game_id: &str,
    request: &ControlRequest,
    action: GameAction,
) -> Result<(StatusCode, Json<CommandSent>), ApiError> {
    caller.require(Role::Admin)?;
    let (game, device) = parse_ids(game_id, request)?;
    let (device, cmd) = control_game(
        &state.db,
        state.commands.as_ref(),
        &caller.tenant,
        &game,
        device.as_ref(),
        action,
        &caller.actor(),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CommandSent {
            device_id: device.to_string(),
            cmd_id: cmd.to_string(),
        }),
    ))
}

/// Start a scheduled game on its rink's appliance (teams, colours, ends and periods go with the
/// command); the game goes live.
#[utoipa::path(post, path = "/api/v1/games/{game_id}/start", tag = "control",
    params(("game_id" = String, Path)), request_body = ControlRequest,
    responses((status = 202, body = CommandSent), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(game_id): Path<String>,
    Json(request): Json<ControlRequest>,
) -> Result<(StatusCode, Json<CommandSent>), ApiError> {
    game_command(&state, &caller, &game_id, &request, GameAction::Start).await
}

/// End a live game on its appliance.
#[utoipa::path(post, path = "/api/v1/games/{game_id}/end", tag = "control",
    params(("game_id" = String, Path)), request_body = ControlRequest,
    responses((status = 202, body = CommandSent), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(game_id): Path<String>,
    Json(request): Json<ControlRequest>,
) -> Result<(StatusCode, Json<CommandSent>), ApiError> {
    game_command(&state, &caller, &game_id, &request, GameAction::End).await
}

/// New calibration landmarks (image pixel ↔ rink feet pairs, at least four) for one camera.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CalibrationRequest {
    pub camera: String,
    #[schema(value_type = Vec<Object>)]
    pub pairs: Vec<PointPair>,
}

/// Push a calibration to a device.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/calibration", tag = "control",
    params(("device_id" = String, Path)), request_body = CalibrationRequest,
    responses((status = 202, body = CommandSent), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn calibrate(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(device_id): Path<String>,
    Json(request): Json<CalibrationRequest>,
) -> Result<(StatusCode, Json<CommandSent>), ApiError> {
    caller.require(Role::Admin)?;
    let device = DeviceId::parse(&device_id).map_err(|_| ApiError::NotFound)?;
    let body = CommandBody::SetCalibration {
        camera: request.camera,
        pairs: request.pairs,
    };
    let cmd = send_command(
        &state.db,
        state.commands.as_ref(),
        &caller.tenant,
        &device,
        body,
        &caller.actor(),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CommandSent {
            device_id: device.to_string(),
            cmd_id: cmd.to_string(),
        }),
    ))
}

/// A command and the appliance's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandView {
    pub cmd_id: uuid::Uuid,
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    pub sent_at: Option<String>,
    pub acked_at: Option<String>,
    /// `null` while unanswered.
    pub ok: Option<bool>,
    pub reason: Option<String>,
}

type CommandRow = (
    uuid::Uuid,
    Option<serde_json::Value>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
);

/// A device's commands, newest first, with their acknowledgements.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/commands", tag = "control",
    params(("device_id" = String, Path)),
    responses((status = 200, body = Vec<CommandView>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn commands(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
) -> Result<Json<Vec<CommandView>>, ApiError> {
    Ok(Json(
        fetch_commands(&state.db, &caller.tenant, &device_id).await?,
    ))
}

/// A device's latest commands, newest first (shared by the API and the dashboard).
pub async fn fetch_commands(
    db: &crate::db::Database,
    tenant: &benchsight_core::ids::TenantId,
    device_id: &str,
) -> Result<Vec<CommandView>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    let known: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM device WHERE tenant_id = $1 AND device_id = $2")
            .bind(tenant.as_str())
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let time = |column: &str| {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
    };
    let rows: Vec<CommandRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT cmd_id, body, {}, {}, ack_ok, ack_reason FROM device_command
         WHERE tenant_id = $1 AND device_id = $2
         ORDER BY COALESCE(sent_at, acked_at) DESC LIMIT 200",
        time("sent_at"),
        time("acked_at")
    )))
    .bind(tenant.as_str())
    .bind(device_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(
            |(cmd_id, body, sent_at, acked_at, ok, reason)| CommandView {
                cmd_id,
                body,
                sent_at,
                acked_at,
                ok,
                reason,
            },
        )
        .collect())
}
