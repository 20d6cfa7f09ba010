//! Games: the tenant's list (by date, team, status), one game's score by period and box score
//! (as the ETL stored it), its events (by type and review status) and its shot chart.

use axum::Json;
use axum::extract::{FromRequestParts, MatchedPath, Path, Query, RawPathParams, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::db::Database;
use crate::stats::{StoredStats, stored_stats_in};
use benchsight_core::ids::{GameId, TenantId};

/// Filters of the games list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GameFilter {
    /// Games starting on this day (UTC), `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Games in which this team (its id) plays.
    pub team: Option<String>,
    /// `scheduled`, `live`, `ended` or `final`.
    pub status: Option<String>,
}

/// A team in a game.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRef {
    pub team_id: Option<String>,
    pub name: Option<String>,
    pub goals: i64,
}

/// One game of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct GameSummary {
    pub game_id: String,
    pub status: String,
    /// RFC 3339, UTC; `null` when not scheduled at a time.
    pub starts_at: Option<String>,
    pub rink_id: Option<String>,
    pub source: String,
    pub home: TeamRef,
    pub away: TeamRef,
}

const GAME_COLUMNS: &str = "
    SELECT g.game_id, g.status,
           to_char(g.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
           g.rink_id, g.source, g.home_team, ht.name, g.away_team, at.name,
           COALESCE((hs.stats->>'goals')::bigint, 0), COALESCE((aws.stats->>'goals')::bigint, 0)
    FROM game g
    LEFT JOIN team ht ON ht.tenant_id = g.tenant_id AND ht.team_id = g.home_team
    LEFT JOIN team at ON at.tenant_id = g.tenant_id AND at.team_id = g.away_team
    LEFT JOIN team_game_stats hs ON hs.tenant_id = g.tenant_id AND hs.game_id = g.game_id
        AND hs.team = 'home'
    LEFT JOIN team_game_stats aws ON aws.tenant_id = g.tenant_id AND aws.game_id = g.game_id
        AND aws.team = 'away'";

type GameRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

fn summary(row: GameRow) -> GameSummary {
    let (game_id, status, starts_at, rink_id, source, home_id, home, away_id, away, hg, ag) = row;
    GameSummary {
        game_id,
        status,
        starts_at,
        rink_id,
        source,
        home: TeamRef {
            team_id: home_id,
            name: home,
            goals: hg,
        },
        away: TeamRef {
            team_id: away_id,
            name: away,
            goals: ag,
        },
    }
}

fn valid_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

const STATUSES: [&str; 4] = ["scheduled", "live", "ended", "final"];

/// The tenant's games, newest first.
#[utoipa::path(get, path = "/api/v1/games", tag = "games", params(GameFilter),
    responses((status = 200, body = Vec<GameSummary>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list_games(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<GameFilter>,
) -> Result<Json<Vec<GameSummary>>, ApiError> {
    Ok(Json(fetch_games(&state.db, &caller.tenant, filter).await?))
}

/// The tenant's games matching `filter`, newest first (shared by the API and the dashboard).
pub async fn fetch_games(
    db: &Database,
    tenant: &TenantId,
    filter: GameFilter,
) -> Result<Vec<GameSummary>, ApiError> {
    if let Some(date) = filter.date.as_deref().filter(|d| !valid_date(d)) {
        return Err(ApiError::BadRequest(format!(
            "date {date:?}: use YYYY-MM-DD"
        )));
    }
    if let Some(status) = filter.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::BadRequest(format!(
            "status {status:?}: one of {}",
            STATUSES.join(", ")
        )));
    }
    let mut tx = db.tenant(tenant).await?;
    let rows: Vec<GameRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{GAME_COLUMNS}
         WHERE g.tenant_id = $1
           AND ($2::text IS NULL OR (g.starts_at AT TIME ZONE 'UTC')::date = $2::date)
           AND ($3::text IS NULL OR g.home_team = $3 OR g.away_team = $3)
           AND ($4::text IS NULL OR g.status = $4)
         ORDER BY g.starts_at DESC NULLS LAST, g.game_id DESC
         LIMIT 1000"
    )))
    .bind(tenant.as_str())
    .bind(filter.date)
    .bind(filter.team)
    .bind(filter.status)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(summary).collect())
}

/// Goals of one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodScore {
    pub period: u32,
    pub home: u32,
    pub away: u32,
}

/// A game with its score by period and its box score.
#[derive(Debug, Serialize, ToSchema)]
pub struct GameDetail {
    #[serde(flatten)]
    pub game: GameSummary,
    pub periods: Vec<PeriodScore>,
    /// Team, player and goalie lines as the ETL stored them (`benchsight-cloud stats`).
    #[schema(value_type = Object)]
    pub box_score: serde_json::Value,
    /// The same, typed, for the dashboard.
    #[serde(skip)]
    pub stats: StoredStats,
}

async fn game_summary(
    conn: &mut sqlx::PgConnection,
    tenant: &TenantId,
    game: &str,
) -> Result<GameSummary, ApiError> {
    let row: Option<GameRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{GAME_COLUMNS} WHERE g.tenant_id = $1 AND g.game_id = $2"
    )))
    .bind(tenant.as_str())
    .bind(game)
    .fetch_optional(conn)
    .await?;
    row.map(summary).ok_or(ApiError::NotFound)
}

/// The writes that may change games without naming one in their path.
const WRITES_TO_ANY_GAME: &[&str] = &["/api/v1/imports"];

/// After a successful write, drops the cached game answers it may have changed: the game its
/// route names, or all of them for [`WRITES_TO_ANY_GAME`]. Other writes (logins, keys, settings,
/// clip uploads) leave the cache alone.
pub async fn forget_written_games(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let game = RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .and_then(|p| {
            p.iter()
                .find(|(name, _)| *name == "game_id")
                .map(|(_, id)| id.to_owned())
        });
    let any_game = parts
        .extensions
        .get::<MatchedPath>()
        .is_some_and(|route| WRITES_TO_ANY_GAME.contains(&route.as_str()));
    let response = next.run(Request::from_parts(parts, body)).await;
    let written = response.status().is_success() || response.status().is_redirection();
    if written && (game.is_some() || any_game) {
        state.changes.cache().forget(game.as_deref());
    }
    response
}

/// One game: score by period, team, player and goalie statistics.
#[utoipa::path(get, path = "/api/v1/games/{game_id}", tag = "games",
    params(("game_id" = String, Path)),
    responses((status = 200, body = GameDetail), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn get_game(
    State(state): State<AppState>,
    caller: Caller,
    Path(game_id): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant.as_str();
    let cache = state.changes.cache();
    let json = |body: Bytes| ([(CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(body) = cache.get(tenant, &game_id) {
        return Ok(json(body));
    }
    let ticket = cache.ticket();
    let detail = fetch_game(&state.db, &caller.tenant, &game_id).await?;
    let body =
        Bytes::from(serde_json::to_vec(&detail).map_err(|e| ApiError::Internal(e.to_string()))?);
    // Kept until the game changes (a notification, or a write through this process).
    if let Some(ticket) = ticket {
        cache.put(ticket, tenant, &game_id, body.clone());
    }
    Ok(json(body))
}

/// One game with its score by period and box score; `NotFound` outside the tenant.
pub async fn fetch_game(
    db: &Database,
    tenant: &TenantId,
    game_id: &str,
) -> Result<GameDetail, ApiError> {
    let id = GameId::parse(game_id).map_err(|_| ApiError::NotFound)?;
    // One transaction: the game and its statistics as of the same moment.
    let mut tx = db.tenant(tenant).await?;
    let game = game_summary(&mut tx, tenant, game_id).await?;
    let stats = stored_stats_in(&mut tx, tenant, &id).await?;
    tx.commit().await?;
    let by_team = |team: &str| {
        stats
            .teams
            .iter()
            .find(|t| t.team == team)
            .map(|t| t.stats.goals_by_period.clone())
            .unwrap_or_default()
    };
    let (home, away) = (by_team("home"), by_team("away"));
    let periods = (0..home.len().max(away.len()).max(3))
        .map(|i| PeriodScore {
            period: i as u32 + 1,
            home: home.get(i).copied().unwrap_or(0),
            away: away.get(i).copied().unwrap_or(0),
        })
        .collect();
    let box_score = serde_json::to_value(&stats).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(GameDetail {
        game,
        periods,
        box_score,
        stats,
    })
}

/// Filters of a game's events.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EventFilter {
    /// An event type, e.g. `Shot`, `Goal`, `Faceoff`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// `accepted`, `needs_review`, `hidden`, `rejected` or `edited`.
    pub review: Option<String>,
}

/// One stored event (its current version).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub event_id: uuid::Uuid,
    pub game_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub detail1: Option<String>,
    pub detail2: Option<String>,
    pub team: Option<String>,
    pub period: i16,
    /// Time left in the period, ms (hand-tracked games).
    pub clock_ms: Option<i32>,
    /// Position in the recording, ms (appliance games).
    pub media_time_ms: Option<i64>,
    pub zone: Option<String>,
    pub puck_x: Option<f64>,
    pub puck_y: Option<f64>,
    pub confidence: f32,
    pub review_status: String,
    pub retracted: bool,
    pub device_id: Option<String>,
    /// The players of the event (role, team, number, track).
    #[schema(value_type = Vec<Object>)]
    pub players: serde_json::Value,
}

type EventRow = (
    uuid::Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i16,
    Option<i32>,
    Option<i64>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    f32,
    String,
    bool,
    Option<String>,
    Option<serde_json::Value>,
);

/// A game's events in game order.
#[utoipa::path(get, path = "/api/v1/games/{game_id}/events", tag = "games",
    params(("game_id" = String, Path), EventFilter),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(game_id): Path<String>,
    Query(filter): Query<EventFilter>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(
        fetch_events(&state.db, &caller.tenant, &game_id, filter).await?,
    ))
}

/// A game's events matching `filter`, in game order.
pub async fn fetch_events(
    db: &Database,
    tenant: &TenantId,
    game_id: &str,
    filter: EventFilter,
) -> Result<Vec<EventView>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    game_summary(&mut tx, tenant, game_id).await?;
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT event_id, event_type, detail1, detail2, team, period, clock_ms, media_time_ms,
                zone, puck_x, puck_y, confidence, review_status, retracted, device_id,
                payload->'players'
         FROM event
         WHERE tenant_id = $1 AND game_id = $2
           AND ($3::text IS NULL OR event_type = $3)
           AND ($4::text IS NULL OR review_status = $4)
         ORDER BY period, media_time_ms NULLS LAST, clock_ms DESC NULLS LAST, event_id",
    )
    .bind(tenant.as_str())
    .bind(game_id)
    .bind(filter.event_type)
    .bind(filter.review)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| EventView {
            event_id: r.0,
            game_id: game_id.to_owned(),
            event_type: r.1,
            detail1: r.2,
            detail2: r.3,
            team: r.4,
            period: r.5,
            clock_ms: r.6,
            media_time_ms: r.7,
            zone: r.8,
            puck_x: r.9,
            puck_y: r.10,
            confidence: r.11,
            review_status: r.12,
            retracted: r.13,
            device_id: r.14,
            players: r.15.unwrap_or(serde_json::Value::Array(Vec::new())),
        })
        .collect())
}

/// One shot of the chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShotView {
    pub event_id: uuid::Uuid,
    pub team: String,
    pub shooter: Option<i16>,
    pub period: i16,
    pub outcome: Option<String>,
    pub shot_type: Option<String>,
    /// Rink feet from centre ice; `null` without a location.
    pub x_ft: Option<f64>,
    pub y_ft: Option<f64>,
    pub distance_ft: Option<f64>,
    pub angle_deg: Option<f64>,
    pub rebound: bool,
    pub rush: bool,
    /// Expected goals; `null` without a location.
    pub xg: Option<f64>,
}

type ShotRow = (
    uuid::Uuid,
    String,
    Option<i16>,
    i16,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    bool,
    bool,
    Option<f64>,
);

/// A game's shot chart with distance, angle and xG.
#[utoipa::path(get, path = "/api/v1/games/{game_id}/shots", tag = "games",
    params(("game_id" = String, Path)),
    responses((status = 200, body = Vec<ShotView>), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list_shots(
    State(state): State<AppState>,
    caller: Caller,
    Path(game_id): Path<String>,
) -> Result<Json<Vec<ShotView>>, ApiError> {
    Ok(Json(
        fetch_shots(&state.db, &caller.tenant, &game_id).await?,
    ))
}

/// A game's shot chart.
pub async fn fetch_shots(
    db: &Database,
    tenant: &TenantId,
    game_id: &str,
) -> Result<Vec<ShotView>, ApiError> {
    let mut tx = db.tenant(tenant).await?;
    game_summary(&mut tx, tenant, game_id).await?;
    let rows: Vec<ShotRow> = sqlx::query_as(
        "SELECT event_id, team, shooter, period, outcome, shot_type, x_ft, y_ft, distance_ft,
                angle_deg, rebound, rush, xg
         FROM shot WHERE tenant_id = $1 AND game_id = $2 ORDER BY period, event_id",
    )
    .bind(tenant.as_str())
    .bind(game_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| ShotView {
            event_id: r.0,
            team: r.1,
            shooter: r.2,
            period: r.3,
            outcome: r.4,
            shot_type: r.5,
            x_ft: r.6,
            y_ft: r.7,
            distance_ft: r.8,
            angle_deg: r.9,
            rebound: r.10,
            rush: r.11,
            xg: r.12,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_before_they_reach_the_database() {
        assert!(valid_date("2026-11-25"));
        for bad in ["2026-1-25", "25/11/2026", "2026-11-2x", ""] {
            assert!(!valid_date(bad), "{bad}");
        }
    }
}
