//! What each page shows, already formatted: the API's answers turned into rows of text the
//! templates print as they are.

use std::collections::BTreeSet;

use askama::Template;
use benchsight_core::stats::TeamStats;

use crate::api::admin::Settings;
use crate::api::caller::Caller;
use crate::api::control::CommandView;
use crate::api::fleet::{DeviceView, RinkView};
use crate::api::games::{EventView, GameDetail, GameSummary, ShotView};
use crate::api::review::QueueItem;
use crate::credentials::{ApiKeyInfo, Role};

/// The header's account line and logout form.
#[derive(Debug)]
pub struct Nav {
    pub actor: String,
    pub tenant: String,
    pub role: String,
    pub csrf: String,
}

impl Nav {
    fn of(caller: &Caller) -> Option<Nav> {
        Some(Nav {
            actor: caller.actor.clone(),
            tenant: caller.tenant.to_string(),
            role: caller.role.to_string(),
            csrf: caller.csrf_token.clone().unwrap_or_default(),
        })
    }
}

#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub nav: Option<Nav>,
    pub tenant: String,
    pub message: Option<String>,
}

/// A game's line in the list.
#[derive(Debug)]
pub struct GameLine {
    pub game_id: String,
    pub starts_at: String,
    pub home: String,
    pub away: String,
    pub home_goals: i64,
    pub away_goals: i64,
    pub status: String,
}

fn team_name(name: &Option<String>) -> String {
    name.clone().unwrap_or_else(|| "(unknown team)".into())
}

#[derive(Debug, Template)]
#[template(path = "games.html")]
pub struct GamesPage {
    pub nav: Option<Nav>,
    pub games: Vec<GameLine>,
    pub date: String,
    pub status: String,
    pub statuses: [&'static str; 4],
}

impl GamesPage {
    pub fn new(caller: &Caller, games: Vec<GameSummary>, date: String, status: String) -> Self {
        Self {
            nav: Nav::of(caller),
            games: games
                .into_iter()
                .map(|g| GameLine {
                    starts_at: g.starts_at.unwrap_or_default(),
                    home: team_name(&g.home.name),
                    away: team_name(&g.away.name),
                    home_goals: g.home.goals,
                    away_goals: g.away.goals,
                    status: g.status,
                    game_id: g.game_id,
                })
                .collect(),
            date,
            status,
            statuses: ["scheduled", "live", "ended", "final"],
        }
    }
}

/// One period's column of the score.
#[derive(Debug)]
pub struct PeriodCell {
    pub number: u32,
    pub label: String,
    pub home: u32,
    pub away: u32,
}

/// A team's line of the box score.
#[derive(Debug)]
pub struct TeamRow {
    pub side: String,
    pub name: String,
    pub stats: TeamStats,
    pub xg: String,
}

#[derive(Debug)]
pub struct PlayerRow {
    pub team: String,
    pub number: i16,
    pub name: String,
    pub goals: u32,
    pub assists: u32,
    pub points: u32,
    pub sog: u32,
    pub faceoffs: String,
    pub toi: String,
    pub plus_minus: i32,
}

#[derive(Debug)]
pub struct GoalieRow {
    pub team: String,
    pub number: i16,
    pub name: String,
    pub saves: u32,
    pub goals_against: u32,
    pub shots_against: u32,
    pub save_pct: String,
}

/// A shot on the rink drawing (SVG units are feet; y grows downwards on screen).
#[derive(Debug)]
pub struct ShotMark {
    pub outcome: &'static str,
    pub cx: String,
    pub cy: String,
    pub r: String,
    pub team: String,
    pub period: i16,
    pub title: String,
}

#[derive(Debug)]
pub struct EventRow {
    pub event_id: String,
    pub game_id: String,
    pub period: i16,
    pub time: String,
    pub event_type: String,
    pub detail1: String,
    pub detail: String,
    pub team: String,
    pub confidence: String,
    pub review: String,
    pub has_clip: bool,
}

impl EventRow {
    fn of(e: &EventView, team_name: &dyn Fn(&str) -> String, clips: &BTreeSet<uuid::Uuid>) -> Self {
        EventRow {
            event_id: e.event_id.to_string(),
            game_id: e.game_id.clone(),
            period: e.period,
            time: match (e.media_time_ms, e.clock_ms) {
                (Some(media), _) => format!("video {}", minutes(media)),
                (None, Some(clock)) => minutes(i64::from(clock)),
                (None, None) => String::new(),
            },
            event_type: e.event_type.clone(),
            detail1: e.detail1.clone().unwrap_or_default(),
            detail: [&e.detail1, &e.detail2]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
            team: e.team.as_deref().map(team_name).unwrap_or_default(),
            confidence: format!("{:.2}", e.confidence),
            review: e.review_status.clone(),
            has_clip: clips.contains(&e.event_id),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub items: Vec<EventRow>,
}

impl ReviewPage {
    pub fn new(caller: &Caller, queue: &[QueueItem], clips: &BTreeSet<uuid::Uuid>) -> Self {
        let side = |team: &str| team.to_owned();
        Self {
            nav: Nav::of(caller),
            csrf: caller.csrf_token.clone().unwrap_or_default(),
            items: queue
                .iter()
                .map(|item| EventRow::of(&item.event, &side, clips))
                .collect(),
        }
    }
}

/// A device's line.
#[derive(Debug)]
pub struct DeviceRow {
    pub device_id: String,
    pub rink: String,
    pub status: String,
    pub last_seen: String,
    pub fps: String,
    pub lag: String,
    pub backlog: String,
    pub disk: String,
    pub temperature: String,
    pub versions: String,
}

#[derive(Debug, Template)]
#[template(path = "devices.html")]
pub struct DevicesPage {
    pub nav: Option<Nav>,
    pub devices: Vec<DeviceRow>,
}

impl DevicesPage {
    pub fn new(caller: &Caller, devices: &[DeviceView]) -> Self {
        let rows = devices
            .iter()
            .map(|d| {
                let t = d.telemetry.as_ref();
                let number = |key: &str| {
                    t.and_then(|t| t.get(key))
                        .and_then(serde_json::Value::as_f64)
                };
                let gib = |bytes: f64| bytes / (1024.0 * 1024.0 * 1024.0);
                let disk = match (number("disk_free_bytes"), number("disk_total_bytes")) {
                    (Some(free), Some(total)) if total > 0.0 => {
                        format!("{:.1} of {:.1} GiB", gib(free), gib(total))
                    }
                    _ => "–".into(),
                };
                let versions = d
                    .versions
                    .as_ref()
                    .and_then(|v| v.as_object())
                    .map(|v| {
                        v.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| format!("{k} {v}")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                DeviceRow {
                    device_id: d.device_id.clone(),
                    rink: d.rink_id.clone().unwrap_or_default(),
                    status: if d.revoked {
                        "revoked".into()
                    } else {
                        d.status.clone()
                    },
                    last_seen: match (&d.last_seen, d.silent_s) {
                        (Some(at), Some(s)) => format!("{at} ({:.0} s ago)", s.max(0.0)),
                        _ => "never".into(),
                    },
                    fps: number("frames_per_s").map_or_else(|| "–".into(), |v| format!("{v:.1}")),
                    lag: number("lag_ms")
                        .map_or_else(|| "–".into(), |v| format!("{:.1} s", v / 1000.0)),
                    backlog: number("backlog_records")
                        .map_or_else(|| "–".into(), |v| format!("{v:.0}")),
                    disk,
                    temperature: number("temperature_c")
                        .map_or_else(|| "–".into(), |v| format!("{v:.0} °C")),
                    versions,
                }
            })
            .collect();
        Self {
            nav: Nav::of(caller),
            devices: rows,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "game.html")]
pub struct GamePage {
    pub nav: Option<Nav>,
    pub game_id: String,
    pub status: String,
    pub starts_at: String,
    pub home: String,
    pub away: String,
    pub home_goals: i64,
    pub away_goals: i64,
    pub periods: Vec<PeriodCell>,
    pub teams: Vec<TeamRow>,
    pub players: Vec<PlayerRow>,
    pub goalies: Vec<GoalieRow>,
    pub shots: Vec<ShotMark>,
    pub located: usize,
    pub shot_total: usize,
    pub events: Vec<EventRow>,
    pub event_types: Vec<String>,
    pub review_statuses: [&'static str; 5],
    pub csrf: String,
    /// The caller may review this game (reviewer or admin, game not final).
    pub can_review: bool,
    pub can_finalise: bool,
    /// Why the last form on the page was refused.
    pub message: Option<String>,
}

fn period_label(number: u32) -> String {
    match number {
        1..=3 => number.to_string(),
        4 => "OT".into(),
        n => format!("OT{}", n - 3),
    }
}

/// `m:ss` of a millisecond count.
fn minutes(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

fn outcome_class(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("Shot_Goal") => "goal",
        Some("Shot_OnNetSaved") => "saved",
        Some("Shot_Missed") => "missed",
        Some("Shot_Blocked") => "blocked",
        _ => "other",
    }
}

impl GamePage {
    pub fn new(
        caller: &Caller,
        game: GameDetail,
        events: &[EventView],
        shots: &[ShotView],
        clips: &BTreeSet<uuid::Uuid>,
        message: Option<String>,
    ) -> Self {
        let summary = &game.game;
        let (home, away) = (team_name(&summary.home.name), team_name(&summary.away.name));
        let side_name = |side: &str| {
            if side == "home" {
                home.clone()
            } else {
                away.clone()
            }
        };
        let teams = game
            .stats
            .teams
            .iter()
            .map(|t| TeamRow {
                side: t.team.clone(),
                name: t.name.clone(),
                stats: t.stats.clone(),
                xg: t.xg.map_or_else(|| "–".into(), |x| format!("{x:.2}")),
            })
            .collect();
        let players = game
            .stats
            .players
            .iter()
            .map(|p| {
                let s = &p.stats;
                PlayerRow {
                    team: side_name(&p.team),
                    number: p.number,
                    name: p.name.clone().unwrap_or_default(),
                    goals: s.goals,
                    assists: s.primary_assists + s.secondary_assists,
                    points: s.points,
                    sog: s.shots_on_goal,
                    faceoffs: format!("{}-{}", s.faceoff_wins, s.faceoff_losses),
                    toi: minutes(i64::from(s.toi_s) * 1000),
                    plus_minus: s.plus_minus,
                }
            })
            .collect();
        let goalies = game
            .stats
            .goalies
            .iter()
            .map(|g| GoalieRow {
                team: side_name(&g.team),
                number: g.number,
                name: g.name.clone().unwrap_or_default(),
                saves: g.stats.saves,
                goals_against: g.stats.goals_against,
                shots_against: g.stats.shots_against,
                save_pct: g
                    .stats
                    .save_pct
                    .map_or_else(|| "–".into(), |p| format!("{p:.3}")),
            })
            .collect();
        let marks: Vec<ShotMark> = shots
            .iter()
            .filter_map(|s| {
                let (x, y) = (s.x_ft?, s.y_ft?);
                let xg = s.xg.unwrap_or(0.0);
                Some(ShotMark {
                    outcome: outcome_class(s.outcome.as_deref()),
                    cx: format!("{x:.1}"),
                    cy: format!("{:.1}", -y),
                    r: format!("{:.2}", 0.9 + 5.0 * xg.sqrt()),
                    team: s.team.clone(),
                    period: s.period,
                    title: format!(
                        "{} #{} · {} · {} ft · xG {:.2}",
                        side_name(&s.team),
                        s.shooter.map_or_else(|| "?".into(), |n| n.to_string()),
                        s.outcome.as_deref().unwrap_or("shot"),
                        s.distance_ft
                            .map_or_else(|| "?".into(), |d| format!("{d:.0}")),
                        xg
                    ),
                })
            })
            .collect();
        let event_types: BTreeSet<String> = events.iter().map(|e| e.event_type.clone()).collect();
        let open = summary.status != "final";
        GamePage {
            csrf: caller.csrf_token.clone().unwrap_or_default(),
            can_review: open && caller.role >= Role::Reviewer,
            can_finalise: open && caller.role >= Role::Admin,
            message,
            nav: Nav::of(caller),
            game_id: summary.game_id.clone(),
            status: summary.status.clone(),
            starts_at: summary.starts_at.clone().unwrap_or_default(),
            home_goals: summary.home.goals,
            away_goals: summary.away.goals,
            periods: game
                .periods
                .iter()
                .map(|p| PeriodCell {
                    number: p.period,
                    label: period_label(p.period),
                    home: p.home,
                    away: p.away,
                })
                .collect(),
            teams,
            players,
            goalies,
            located: marks.len(),
            shot_total: shots.len(),
            shots: marks,
            events: events
                .iter()
                .map(|e| EventRow::of(e, &side_name, clips))
                .collect(),
            event_types: event_types.into_iter().collect(),
            review_statuses: ["accepted", "needs_review", "edited", "hidden", "rejected"],
            home,
            away,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_periods_and_outcomes_read_as_hockey_people_say_them() {
        assert_eq!(minutes(1_069_000), "17:49");
        assert_eq!(minutes(5_000), "0:05");
        assert_eq!(period_label(3), "3");
        assert_eq!(period_label(4), "OT");
        assert_eq!(outcome_class(Some("Shot_Goal")), "goal");
        assert_eq!(outcome_class(None), "other");
    }
}

/// A command's line on the control page.
#[derive(Debug)]
pub struct CommandLine {
    pub cmd_id: String,
    pub device: String,
    pub kind: String,
    pub sent_at: String,
    /// `waiting`, `ok` or `refused`.
    pub state: &'static str,
    pub answer: String,
}

#[derive(Debug, Template)]
#[template(path = "control.html")]
pub struct ControlPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub games: Vec<GameLine>,
    pub rinks: Vec<RinkView>,
    pub commands: Vec<CommandLine>,
    pub message: Option<String>,
}

impl ControlPage {
    pub fn new(
        caller: &Caller,
        games: Vec<GameSummary>,
        rinks: Vec<RinkView>,
        commands: Vec<(String, CommandView)>,
        message: Option<String>,
    ) -> Self {
        let games = GamesPage::new(caller, games, String::new(), String::new()).games;
        Self {
            nav: Nav::of(caller),
            csrf: caller.csrf_token.clone().unwrap_or_default(),
            games: games.into_iter().filter(|g| g.status != "final").collect(),
            rinks,
            commands: commands
                .into_iter()
                .map(|(device, c)| {
                    let kind = c
                        .body
                        .as_ref()
                        .and_then(|b| b.get("type"))
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("(unknown)")
                        .to_owned();
                    let (state, answer) = match c.ok {
                        None => ("waiting", "waiting for the appliance".to_owned()),
                        Some(true) => (
                            "ok",
                            format!("acknowledged {}", c.acked_at.unwrap_or_default()),
                        ),
                        Some(false) => (
                            "refused",
                            format!("refused: {}", c.reason.unwrap_or_default()),
                        ),
                    };
                    CommandLine {
                        cmd_id: c.cmd_id.to_string(),
                        device,
                        kind,
                        sent_at: c.sent_at.unwrap_or_default(),
                        state,
                        answer,
                    }
                })
                .collect(),
            message,
        }
    }
}

/// An API key's line on the settings page.
#[derive(Debug)]
pub struct KeyLine {
    pub key_id: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
    pub last_used: String,
    pub revoked: bool,
    pub state: String,
}

#[derive(Debug, Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub clip_retention_days: i32,
    pub keys: Vec<KeyLine>,
    /// A key just created, whole: shown once.
    pub new_key: Option<String>,
    pub message: Option<String>,
}

impl SettingsPage {
    pub fn new(
        caller: &Caller,
        settings: Settings,
        keys: Vec<ApiKeyInfo>,
        new_key: Option<String>,
        message: Option<String>,
    ) -> Self {
        Self {
            nav: Nav::of(caller),
            csrf: caller.csrf_token.clone().unwrap_or_default(),
            clip_retention_days: settings.clip_retention_days,
            keys: keys
                .into_iter()
                .map(|k| KeyLine {
                    state: match &k.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".into(),
                    },
                    revoked: k.revoked_at.is_some(),
                    key_id: k.key_id,
                    name: k.name,
                    role: k.role.to_string(),
                    created_at: k.created_at,
                    last_used: k.last_used.unwrap_or_else(|| "never".into()),
                })
                .collect(),
            new_key,
            message,
        }
    }
}
