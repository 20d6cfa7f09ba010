//! Derived events scored against a true event log: per kind of event, the derived and true
//! events are matched one-to-one within a time tolerance (goals must also name the right team),
//! giving precision, recall and F1; matched shots are cross-tabulated by outcome.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assignment::min_cost_assignment;
use crate::event::GameEvent;
use crate::ids::EventId;
use crate::vocabulary::{Detail, EventType};
use crate::wire::RecordChange;

/// The kinds of event scored, by name.
pub const CATEGORIES: [&str; 11] = [
    "goal",
    "shot on goal",
    "shot (any outcome)",
    "save",
    "faceoff",
    "zone entry",
    "zone exit",
    "turnover",
    "possession",
    "pass",
    "stoppage",
];

fn in_category(category: &str, event: &GameEvent) -> bool {
    let d1 = |detail: &Detail| event.has_detail1(detail);
    match category {
        "goal" => event.event_type == EventType::Goal && d1(&Detail::GOAL_SCORED),
        "shot on goal" => {
            event.event_type == EventType::Shot
                && (d1(&Detail::SHOT_ON_NET_SAVED) || d1(&Detail::SHOT_GOAL))
        }
        "shot (any outcome)" => event.event_type == EventType::Shot,
        "save" => event.event_type == EventType::Save,
        "faceoff" => event.event_type == EventType::Faceoff,
        "zone entry" => event.event_type == EventType::ZoneEntryExit && d1(&Detail::ZONE_ENTRY),
        "zone exit" => event.event_type == EventType::ZoneEntryExit && d1(&Detail::ZONE_EXIT),
        "turnover" => event.event_type == EventType::Turnover,
        "possession" => event.event_type == EventType::Possession,
        "pass" => event.event_type == EventType::Pass,
        "stoppage" => event.event_type == EventType::Stoppage,
        _ => false,
    }
}

/// The events a stream of records leaves standing: amendments replace their event, retractions
/// remove it.
pub fn apply_changes(changes: &[RecordChange]) -> Vec<GameEvent> {
    let mut order: Vec<EventId> = Vec::new();
    let mut events: BTreeMap<EventId, GameEvent> = BTreeMap::new();
    for change in changes {
        match change {
            RecordChange::Event(event) => {
                order.push(event.event_id);
                events.insert(event.event_id, event.clone());
            }
            RecordChange::Amendment(amendment) => {
                events.insert(amendment.event.event_id, amendment.event.clone());
            }
            RecordChange::Retraction(retraction) => {
                events.remove(&retraction.event_id);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| events.remove(&id))
        .collect()
}

/// One kind of event's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    pub category: String,
    pub truth: u64,
    pub derived: u64,
    pub matched: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl CategoryScore {
    fn new(category: &str, truth: u64, derived: u64, matched: u64) -> Self {
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
        let (precision, recall) = (ratio(matched, derived), ratio(matched, truth));
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Self {
            category: category.to_owned(),
            truth,
            derived,
            matched,
            precision,
            recall,
            f1,
        }
    }
}

/// The figures of one or more games.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventScores {
    pub categories: Vec<CategoryScore>,
    /// Matched shots: (true outcome, derived outcome) → count.
    pub shot_outcomes: BTreeMap<String, BTreeMap<String, u64>>,
}

impl EventScores {
    pub fn category(&self, name: &str) -> Option<&CategoryScore> {
        self.categories.iter().find(|c| c.category == name)
    }

    /// The figures as a text table, with the matched shots by outcome below.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "{:<20} {:>6} {:>8} {:>8} {:>9} {:>7} {:>6}\n",
            "event", "truth", "derived", "matched", "precision", "recall", "F1"
        );
        for c in &self.categories {
            let _ = writeln!(
                out,
                "{:<20} {:>6} {:>8} {:>8} {:>9.3} {:>7.3} {:>6.3}",
                c.category, c.truth, c.derived, c.matched, c.precision, c.recall, c.f1
            );
        }
        out.push_str("matched shots by outcome (truth → derived):\n");
        for (truth, row) in &self.shot_outcomes {
            let cells: Vec<String> = row.iter().map(|(d, n)| format!("{d} {n}")).collect();
            let _ = writeln!(out, "  {truth:<18} → {}", cells.join(", "));
        }
        out
    }

    /// Several games' figures taken together.
    pub fn merge(games: &[EventScores]) -> EventScores {
        let mut merged = EventScores::default();
        for name in CATEGORIES {
            let (mut t, mut d, mut m) = (0, 0, 0);
            for c in games.iter().filter_map(|g| g.category(name)) {
                t += c.truth;
                d += c.derived;
                m += c.matched;
            }
            merged.categories.push(CategoryScore::new(name, t, d, m));
        }
        for game in games {
            for (truth, row) in &game.shot_outcomes {
                for (derived, count) in row {
                    *merged
                        .shot_outcomes
                        .entry(truth.clone())
                        .or_default()
                        .entry(derived.clone())
                        .or_default() += count;
                }
            }
        }
        merged
    }
}

/// Matches the derived events of one game to its true events, kind by kind, within
/// `tolerance_ms` of media time.
pub fn score_events(truth: &[GameEvent], derived: &[GameEvent], tolerance_ms: u64) -> EventScores {
    let mut scores = EventScores::default();
    for name in CATEGORIES {
        let t: Vec<&GameEvent> = truth.iter().filter(|e| in_category(name, e)).collect();
        let d: Vec<&GameEvent> = derived.iter().filter(|e| in_category(name, e)).collect();
        let pairs = match_in_time(&t, &d, tolerance_ms, name == "goal");
        if name == "shot (any outcome)" {
            for &(i, j) in &pairs {
                let outcome = |e: &GameEvent| {
                    e.detail1
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |d| d.as_str().to_owned())
                };
                *scores
                    .shot_outcomes
                    .entry(outcome(t[i]))
                    .or_default()
                    .entry(outcome(d[j]))
                    .or_default() += 1;
            }
        }
        scores.categories.push(CategoryScore::new(
            name,
            t.len() as u64,
            d.len() as u64,
            pairs.len() as u64,
        ));
    }
    scores
}

/// The events of one kind that found no partner: the true ones missed and the derived ones
/// matching nothing, each in media-time order (for studying what the engine gets wrong).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Unmatched<'a> {
    pub missed: Vec<&'a GameEvent>,
    pub spurious: Vec<&'a GameEvent>,
}

/// What [`score_events`] left unmatched in `category` (one of [`CATEGORIES`]).
pub fn unmatched<'a>(
    truth: &'a [GameEvent],
    derived: &'a [GameEvent],
    tolerance_ms: u64,
    category: &str,
) -> Unmatched<'a> {
    let t: Vec<&GameEvent> = truth.iter().filter(|e| in_category(category, e)).collect();
    let d: Vec<&GameEvent> = derived
        .iter()
        .filter(|e| in_category(category, e))
        .collect();
    let pairs = match_in_time(&t, &d, tolerance_ms, category == "goal");
    let keep = |events: &[&'a GameEvent], taken: Vec<usize>| {
        let mut left: Vec<&'a GameEvent> = events
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken.contains(i))
            .map(|(_, e)| *e)
            .collect();
        left.sort_by_key(|e| e.media_time_ms);
        left
    };
    Unmatched {
        missed: keep(&t, pairs.iter().map(|p| p.0).collect()),
        spurious: keep(&d, pairs.iter().map(|p| p.1).collect()),
    }
}

fn match_in_time(
    truth: &[&GameEvent],
    derived: &[&GameEvent],
    tolerance_ms: u64,
    same_team: bool,
) -> Vec<(usize, usize)> {
    let time = |e: &GameEvent| e.media_time_ms.map(|t| t.0);
    min_cost_assignment(truth.len(), derived.len(), |i, j| {
        let (a, b) = (time(truth[i])?, time(derived[j])?);
        let gap = a.abs_diff(b);
        if gap > tolerance_ms || (same_team && truth[i].team != derived[j].team) {
            return None;
        }
        Some(gap as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Confidence, MediaTimeMs, Period, Source, Team};
    use crate::ids::GameId;
    use crate::wire::Retraction;

    fn event(id: u8, event_type: EventType, detail: Detail, team: Team, at_ms: u64) -> GameEvent {
        GameEvent {
            event_id: EventId::appliance(1_767_225_600_000 + at_ms, [id; 10]),
            game_id: GameId::parse("g").unwrap(),
            event_type,
            detail1: Some(detail),
            detail2: None,
            team: Some(team),
            period: Period::FIRST,
            media_time_ms: Some(MediaTimeMs(at_ms)),
            clock: None,
            zone: None,
            puck: None,
            players: Vec::new(),
            confidence: Confidence::CERTAIN,
            source: Source::Auto,
            evidence: None,
            assist_to_goal: None,
        }
    }

    #[test]
    fn events_match_within_the_tolerance_and_goals_by_team() {
        let truth = vec![
            event(1, EventType::Goal, Detail::GOAL_SCORED, Team::Home, 10_000),
            event(2, EventType::Goal, Detail::GOAL_SCORED, Team::Away, 50_000),
            event(3, EventType::Faceoff, Detail::FACEOFF, Team::Home, 20_000),
        ];
        let derived = vec![
            event(4, EventType::Goal, Detail::GOAL_SCORED, Team::Home, 10_900),
            // Right time, wrong team: not the goal.
            event(5, EventType::Goal, Detail::GOAL_SCORED, Team::Home, 50_000),
            // A faceoff's team does not have to match, but 1.2 s is too late.
            event(6, EventType::Faceoff, Detail::FACEOFF, Team::Away, 21_200),
        ];
        let scores = score_events(&truth, &derived, 1000);
        let goal = scores.category("goal").unwrap();
        assert_eq!((goal.truth, goal.derived, goal.matched), (2, 2, 1));
        assert!((goal.f1 - 0.5).abs() < 1e-12);
        assert_eq!(scores.category("faceoff").unwrap().matched, 0);
        assert!(scores.table().contains("goal"));
        let goals = unmatched(&truth, &derived, 1000, "goal");
        assert_eq!(goals.missed, vec![&truth[1]]);
        assert_eq!(goals.spurious, vec![&derived[1]]);
    }

    #[test]
    fn retractions_remove_and_amendments_replace() {
        let goal = event(1, EventType::Goal, Detail::GOAL_SCORED, Team::Home, 1000);
        let shot = event(2, EventType::Shot, Detail::SHOT_GOAL, Team::Home, 900);
        let mut saved = shot.clone();
        saved.detail1 = Some(Detail::SHOT_ON_NET_SAVED);
        let records = vec![
            RecordChange::Event(shot),
            RecordChange::Event(goal.clone()),
            RecordChange::Retraction(Retraction {
                event_id: goal.event_id,
                reason: "saved".into(),
            }),
            RecordChange::Amendment(crate::wire::Amendment {
                event: saved.clone(),
                reason: "saved".into(),
            }),
        ];
        assert_eq!(apply_changes(&records), vec![saved]);
    }
}
