//! Game control: scheduling a game at a rink, and the commands the cloud sends an appliance —
//! start a game (teams, colours, ends, periods), end it, take a new calibration. A command is
//! recorded in `device_command` and published (QoS 1) on the device's `cmd` topic; the
//! appliance's answer arrives on `cmd_ack` and the ingest worker records it on the same row.

use std::time::Duration;

use benchsight_core::domain::Rgb;
use benchsight_core::ids::{CommandId, DeviceId, GameId, RinkId, TenantId};
use benchsight_core::topic::{Topic, TopicKind};
use benchsight_core::wire::{self, Command, CommandBody, StartGame, TeamSetup};
use rand::Rng;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::audit::{self, Actor};
use crate::db::{Database, DbError};
use crate::import::team_slug;

/// Why a control step failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("game {0} is {1}: {2}")]
    WrongState(String, String, &'static str),
    #[error("the broker refused the command: {0}")]
    Broker(String),
    #[error("commands cannot be sent: no broker is configured for this service")]
    NoBroker,
}

impl From<sqlx::Error> for ControlError {
    fn from(error: sqlx::Error) -> Self {
        ControlError::Db(DbError::Query(error))
    }
}

/// A team as a schedule names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamEntry {
    pub name: String,
    /// Jersey colour `#rrggbb`.
    pub colour: String,
}

/// A game to schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Schedule {
    pub game_id: String,
    pub rink_id: String,
    /// RFC 3339, e.g. `2026-11-25T19:30:00Z`.
    pub starts_at: String,
    pub home: TeamEntry,
    pub away: TeamEntry,
    #[serde(default = "three_periods")]
    pub period_lengths_s: Vec<u32>,
    #[serde(default = "yes")]
    pub home_attacks_right_p1: bool,
}

fn three_periods() -> Vec<u32> {
    vec![1200, 1200, 1200]
}

fn yes() -> bool {
    true
}

/// Schedules a game (or changes a scheduled one).
pub async fn schedule_game(
    db: &Database,
    tenant: &TenantId,
    schedule: &Schedule,
    actor: &Actor,
) -> Result<GameId, ControlError> {
    let invalid = |what: String| ControlError::Invalid(what);
    let game = GameId::parse(&schedule.game_id).map_err(|e| invalid(e.to_string()))?;
    let rink = RinkId::parse(&schedule.rink_id).map_err(|e| invalid(e.to_string()))?;
    for team in [&schedule.home, &schedule.away] {
        Rgb::parse(&team.colour).map_err(|e| invalid(e.to_string()))?;
        if team.name.trim().is_empty() || team.name.len() > 64 {
            return Err(invalid("team names have 1 to 64 characters".into()));
        }
    }
    if !(1..=10).contains(&schedule.period_lengths_s.len())
        || schedule
            .period_lengths_s
            .iter()
            .any(|s| !(60..=3600).contains(s))
    {
        return Err(invalid("1 to 10 periods of 60 to 3600 s".into()));
    }
    let mut tx = db.tenant(tenant).await?;
    let known: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM rink WHERE tenant_id = $1 AND rink_id = $2")
            .bind(tenant.as_str())
            .bind(rink.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if known.is_none() {
        return Err(ControlError::NotFound(format!("rink {rink}")));
    }
    let mut team_ids = Vec::new();
    for team in [&schedule.home, &schedule.away] {
        let id = team_slug(&team.name);
        sqlx::query(
            "INSERT INTO team (tenant_id, team_id, name, colour) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, team_id) DO UPDATE SET colour = excluded.colour",
        )
        .bind(tenant.as_str())
        .bind(&id)
        .bind(team.name.trim())
        .bind(&team.colour)
        .execute(&mut *tx)
        .await?;
        team_ids.push(id);
    }
    let periods: Vec<i32> = schedule
        .period_lengths_s
        .iter()
        .map(|&s| i32::try_from(s).unwrap_or(i32::MAX))
        .collect();
    let written = sqlx::query(
        "INSERT INTO game (tenant_id, game_id, rink_id, home_team, away_team,
             home_attacks_right_p1, period_lengths_s, status, source, starts_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', 'auto', $8::timestamptz)
         ON CONFLICT (tenant_id, game_id) DO UPDATE SET rink_id = excluded.rink_id,
             home_team = excluded.home_team, away_team = excluded.away_team,
             home_attacks_right_p1 = excluded.home_attacks_right_p1,
             period_lengths_s = excluded.period_lengths_s, starts_at = excluded.starts_at
         WHERE game.status = 'scheduled'",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .bind(rink.as_str())
    .bind(&team_ids[0])
    .bind(&team_ids[1])
    .bind(schedule.home_attacks_right_p1)
    .bind(&periods)
    .bind(&schedule.starts_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(db) if db.message().contains("timestamp") => {
            invalid(format!("starts_at {:?}: use RFC 3339", schedule.starts_at))
        }
        other => other.into(),
    })?
    .rows_affected();
    if written != 1 {
        return Err(ControlError::WrongState(
            game.to_string(),
            "under way or over".into(),
            "only a scheduled game can be rescheduled",
        ));
    }
    let detail = serde_json::json!({"rink": rink.as_str(), "starts_at": schedule.starts_at});
    audit::record(
        &mut tx,
        tenant,
        actor,
        "game.schedule",
        game.as_str(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(game)
}

/// Publishes commands to appliances over the cloud's own broker connection.
#[derive(Debug, Clone)]
pub struct CommandSender {
    client: AsyncClient,
}

impl CommandSender {
    /// Connects (and keeps reconnecting) until `cancel`.
    pub fn connect(
        host: &str,
        port: u16,
        credentials: Option<(String, String)>,
        client_id: &str,
        cancel: CancellationToken,
    ) -> Self {
        let mut options = MqttOptions::new(client_id, host, port);
        options.set_keep_alive(Duration::from_secs(30));
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    polled = eventloop.poll() => if let Err(error) = polled {
                        tracing::warn!(%error, "command connection to the broker lost; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    },
                }
            }
        });
        Self { client }
    }

    /// Records and publishes `body` for `device`; returns the command's id.
    pub async fn send(
        &self,
        db: &Database,
        tenant: &TenantId,
        device: &DeviceId,
        body: CommandBody,
        actor: &Actor,
    ) -> Result<CommandId, ControlError> {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let command = Command {
            cmd_id: CommandId::new(now_ms, rand::rng().random()),
            tenant: tenant.clone(),
            device: device.clone(),
            command: body,
        };
        let payload = wire::encode(&command).map_err(|e| ControlError::Invalid(e.to_string()))?;
        let mut tx = db.tenant(tenant).await?;
        let json =
            serde_json::to_value(&command.command).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let recorded = sqlx::query(
            "INSERT INTO device_command (tenant_id, device_id, cmd_id, body, sent_at)
             SELECT $1, $2, $3, $4, now() FROM device
             WHERE tenant_id = $1 AND device_id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(device.as_str())
        .bind(command.cmd_id.as_uuid())
        .bind(&json)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded != 1 {
            return Err(ControlError::NotFound(format!("device {device}")));
        }
        audit::record(
            &mut tx,
            tenant,
            actor,
            "device.command",
            device.as_str(),
            json,
        )
        .await?;
        let topic = Topic::new(tenant.clone(), device.clone(), TopicKind::Cmd).to_string();
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|e| ControlError::Broker(e.to_string()))?;
        tx.commit().await?;
        Ok(command.cmd_id)
    }
}

/// The game's appliance: the one given, else the (first, unrevoked) one at its rink.
async fn game_device(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
    device: Option<&DeviceId>,
) -> Result<(DeviceId, String), ControlError> {
    let mut tx = db.tenant(tenant).await?;
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT g.status, (SELECT d.device_id FROM device d
             WHERE d.tenant_id = g.tenant_id AND d.rink_id = g.rink_id AND d.revoked_at IS NULL
             ORDER BY d.device_id LIMIT 1)
         FROM game g WHERE g.tenant_id = $1 AND g.game_id = $2",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let (status, at_rink) = row.ok_or_else(|| ControlError::NotFound(format!("game {game}")))?;
    let device = match device {
        Some(device) => device.clone(),
        None => at_rink
            .and_then(|d| DeviceId::parse(&d).ok())
            .ok_or_else(|| ControlError::NotFound("a device at the game's rink".into()))?,
    };
    Ok((device, status))
}

/// What a game-control command does to a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameAction {
    /// A scheduled game goes live: the appliance starts capturing it.
    Start,
    /// A live game ends: the appliance stops (the game is not final yet).
    End,
}

impl GameAction {
    /// The status the game must have, the one it gets, and why others are refused.
    fn statuses(self) -> (&'static str, &'static str, &'static str) {
        match self {
            GameAction::Start => ("scheduled", "live", "only a scheduled game starts"),
            GameAction::End => ("live", "ended", "only a live game ends"),
        }
    }
}

/// Sends `body` to `device` when the service has a broker connection; an unknown device is
/// `NotFound` either way (a caller learns nothing about devices outside its tenant).
pub async fn send_command(
    db: &Database,
    sender: Option<&CommandSender>,
    tenant: &TenantId,
    device: &DeviceId,
    body: CommandBody,
    actor: &Actor,
) -> Result<CommandId, ControlError> {
    let mut tx = db.tenant(tenant).await?;
    let known: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM device WHERE tenant_id = $1 AND device_id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(device.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    if known.is_none() {
        return Err(ControlError::NotFound(format!("device {device}")));
    }
    sender
        .ok_or(ControlError::NoBroker)?
        .send(db, tenant, device, body, actor)
        .await
}

/// Tells the game's appliance to start or stop capturing it, and moves the game on.
pub async fn control_game(
    db: &Database,
    sender: Option<&CommandSender>,
    tenant: &TenantId,
    game: &GameId,
    device: Option<&DeviceId>,
    action: GameAction,
    actor: &Actor,
) -> Result<(DeviceId, CommandId), ControlError> {
    let (device, status) = game_device(db, tenant, game, device).await?;
    let (from, to, refusal) = action.statuses();
    if status != from {
        return Err(ControlError::WrongState(game.to_string(), status, refusal));
    }
    let body = match action {
        GameAction::Start => CommandBody::StartGame(start_command(db, tenant, game).await?),
        GameAction::End => CommandBody::EndGame {
            game_id: game.clone(),
        },
    };
    let sender = sender.ok_or(ControlError::NoBroker)?;
    let cmd = sender.send(db, tenant, &device, body, actor).await?;
    set_status(db, tenant, game, to, &device).await?;
    Ok((device, cmd))
}

/// What the appliance needs to capture `game`: teams, colours, ends and periods.
async fn start_command(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
) -> Result<StartGame, ControlError> {
    let mut tx = db.tenant(tenant).await?;
    type Row = (String, String, String, String, bool, Vec<i32>);
    let (home, home_colour, away, away_colour, right, periods): Row = sqlx::query_as(
        "SELECT h.name, COALESCE(h.colour, '#ffffff'), a.name, COALESCE(a.colour, '#000000'),
                g.home_attacks_right_p1, g.period_lengths_s
         FROM game g
         JOIN team h ON h.tenant_id = g.tenant_id AND h.team_id = g.home_team
         JOIN team a ON a.tenant_id = g.tenant_id AND a.team_id = g.away_team
         WHERE g.tenant_id = $1 AND g.game_id = $2",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let colour = |c: &str| Rgb::parse(c).map_err(|e| ControlError::Invalid(e.to_string()));
    Ok(StartGame {
        game_id: game.clone(),
        home: TeamSetup {
            name: home,
            colour: colour(&home_colour)?,
        },
        away: TeamSetup {
            name: away,
            colour: colour(&away_colour)?,
        },
        home_attacks_right_p1: right,
        period_lengths_s: periods
            .iter()
            .map(|&p| u32::try_from(p).unwrap_or(0))
            .collect(),
    })
}

async fn set_status(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
    status: &str,
    device: &DeviceId,
) -> Result<(), ControlError> {
    let mut tx = db.tenant(tenant).await?;
    sqlx::query("UPDATE game SET status = $3 WHERE tenant_id = $1 AND game_id = $2")
        .bind(tenant.as_str())
        .bind(game.as_str())
        .bind(status)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(%game, %device, status, "game status changed");
    Ok(())
}
