//! A game's statistics as stored by the ETL, read back for operators (`benchsight-cloud stats`)
//! and, later, the API.

use std::fmt::Write as _;

use benchsight_core::ids::{GameId, TenantId};
use benchsight_core::stats::{GoalieStats, PlayerStats, TeamStats};
use serde::Serialize;

use crate::db::{Database, DbError};

/// One team's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamLine {
    pub team: String,
    pub name: String,
    pub stats: TeamStats,
    /// Expected goals: the sum over the team's shots that have a location; `None` when none has.
    pub xg: Option<f64>,
}

/// One player's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlayerLine<S> {
    pub team: String,
    pub number: i16,
    pub name: Option<String>,
    pub stats: S,
}

/// A game's stored statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredStats {
    pub game: String,
    pub teams: Vec<TeamLine>,
    pub players: Vec<PlayerLine<PlayerStats>>,
    pub goalies: Vec<PlayerLine<GoalieStats>>,
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, DbError> {
    serde_json::from_value(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

type PlayerRow = (String, i16, Option<String>, serde_json::Value);

const PLAYER_ROWS: &str = "SELECT s.team, s.number, r.name, s.stats FROM player_game_stats s
     LEFT JOIN roster r ON r.tenant_id = s.tenant_id AND r.game_id = s.game_id
         AND r.team = s.team AND r.number = s.number
     WHERE s.tenant_id = $1 AND s.game_id = $2 ORDER BY s.team DESC, s.number";
const GOALIE_ROWS: &str = "SELECT s.team, s.number, r.name, s.stats FROM goalie_game_stats s
     LEFT JOIN roster r ON r.tenant_id = s.tenant_id AND r.game_id = s.game_id
         AND r.team = s.team AND r.number = s.number
     WHERE s.tenant_id = $1 AND s.game_id = $2 ORDER BY s.team DESC, s.number";

fn lines<S: serde::de::DeserializeOwned>(
    rows: Vec<PlayerRow>,
) -> Result<Vec<PlayerLine<S>>, DbError> {
    rows.into_iter()
        .map(|(team, number, name, stats)| {
            Ok(PlayerLine {
                team,
                number,
                name,
                stats: decode(stats)?,
            })
        })
        .collect()
}

/// Reads `game`'s statistics; an unknown game is an empty result, not an error.
pub async fn stored_stats(
    db: &Database,
    tenant: &TenantId,
    game: &GameId,
) -> Result<StoredStats, DbError> {
    let mut tx = db.tenant(tenant).await?;
    let stats = stored_stats_in(&mut tx, tenant, game).await?;
    tx.commit().await?;
    Ok(stats)
}

/// [`stored_stats`] inside the caller's transaction (already scoped to `tenant`).
pub async fn stored_stats_in(
    conn: &mut sqlx::PgConnection,
    tenant: &TenantId,
    game: &GameId,
) -> Result<StoredStats, DbError> {
    let teams: Vec<(String, String, serde_json::Value, Option<f64>)> = sqlx::query_as(
        "SELECT s.team, t.name, s.stats,
             (SELECT sum(x.xg) FROM shot x
              WHERE x.tenant_id = s.tenant_id AND x.game_id = s.game_id AND x.team = s.team)
         FROM team_game_stats s
         JOIN game g ON g.tenant_id = s.tenant_id AND g.game_id = s.game_id
         JOIN team t ON t.tenant_id = g.tenant_id
             AND t.team_id = CASE s.team WHEN 'home' THEN g.home_team ELSE g.away_team END
         WHERE s.tenant_id = $1 AND s.game_id = $2 ORDER BY s.team DESC",
    )
    .bind(tenant.as_str())
    .bind(game.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let teams = teams
        .into_iter()
        .map(|(team, name, stats, xg)| {
            Ok(TeamLine {
                team,
                name,
                stats: decode(stats)?,
                xg,
            })
        })
        .collect::<Result<_, DbError>>()?;
    let mut rows = Vec::new();
    for sql in [PLAYER_ROWS, GOALIE_ROWS] {
        let fetched: Vec<PlayerRow> = sqlx::query_as(sql)
            .bind(tenant.as_str())
            .bind(game.as_str())
            .fetch_all(&mut *conn)
            .await?;
        rows.push(fetched);
    }
    let goalies = lines(rows.pop().unwrap_or_default())?;
    let players = lines(rows.pop().unwrap_or_default())?;
    Ok(StoredStats {
        game: game.to_string(),
        teams,
        players,
        goalies,
    })
}

impl StoredStats {
    /// A plain-text box score.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "game {}", self.game);
        let _ = writeln!(
            out,
            "{:<24} {:>3} {:>5} {:>4} {:>6} {:>7} {:>5} {:>5} {:>5} {:>5}",
            "team", "G", "shots", "SOG", "missed", "blocked", "corsi", "FOW", "saves", "xG"
        );
        for line in &self.teams {
            let t = &line.stats;
            let _ = writeln!(
                out,
                "{:<24} {:>3} {:>5} {:>4} {:>6} {:>7} {:>5} {:>5} {:>5} {:>5}",
                format!("{} ({})", line.name, line.team),
                t.goals,
                t.shot_events,
                t.shots_on_goal,
                t.missed,
                t.blocked,
                t.corsi,
                t.faceoff_wins,
                t.saves,
                line.xg.map_or("–".into(), |x| format!("{x:.2}"))
            );
        }
        let _ = writeln!(
            out,
            "\n{:<6} {:>3} {:<22} {:>2} {:>2} {:>2} {:>3} {:>4} {:>4} {:>5} {:>6} {:>3}",
            "team", "#", "player", "G", "A1", "A2", "P", "SOG", "FOW", "FOL", "TOI", "+/-"
        );
        for line in &self.players {
            let p = &line.stats;
            let _ = writeln!(
                out,
                "{:<6} {:>3} {:<22} {:>2} {:>2} {:>2} {:>3} {:>4} {:>4} {:>5} {:>3}:{:02} {:>3}",
                line.team,
                line.number,
                line.name.as_deref().unwrap_or(""),
                p.goals,
                p.primary_assists,
                p.secondary_assists,
                p.points,
                p.shots_on_goal,
                p.faceoff_wins,
                p.faceoff_losses,
                p.toi_s / 60,
                p.toi_s % 60,
                p.plus_minus
            );
        }
        let _ = writeln!(
            out,
            "\n{:<6} {:>3} {:<22} {:>5} {:>3} {:>3} {:>6}",
            "team", "#", "goalie", "saves", "GA", "SA", "SV%"
        );
        for line in &self.goalies {
            let g = &line.stats;
            let _ = writeln!(
                out,
                "{:<6} {:>3} {:<22} {:>5} {:>3} {:>3} {:>6}",
                line.team,
                line.number,
                line.name.as_deref().unwrap_or(""),
                g.saves,
                g.goals_against,
                g.shots_against,
                g.save_pct.map_or("–".into(), |p| format!("{p:.3}"))
            );
        }
        out
    }
}
