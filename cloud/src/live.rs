//! Live game changes: one PostgreSQL `LISTEN bs_game_changes` connection per HTTP process (the
//! triggers of migration 0004 notify on every write to a game's events, statistics or status,
//! from whichever process wrote them), fanned out to the live pages through a broadcast channel.
//! A lost connection is re-established; after one, every page is told to refresh, since
//! notifications sent meanwhile are gone.
//!
//! The same notifications keep [`GameCache`] exact: the game route's answers, kept only while the
//! listener is connected and dropped on any change to their game — and, for this process's own
//! writes, dropped as the write answers, before its notification even arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;

use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::db::Database;

/// The notification channel of migration 0004.
pub const CHANNEL: &str = "bs_game_changes";

/// A game whose events, statistics or status changed; `None` fields mean "any" (after a
/// reconnection, when changes may have been missed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameChange {
    pub tenant: Option<String>,
    pub game: Option<String>,
}

impl GameChange {
    /// Whether a page showing `game` of `tenant` should refresh.
    pub fn concerns(&self, tenant: &str, game: &str) -> bool {
        self.tenant.as_deref().is_none_or(|t| t == tenant)
            && self.game.as_deref().is_none_or(|g| g == game)
    }

    fn parse(payload: &str) -> Option<Self> {
        let (tenant, game) = payload.split_once('/')?;
        Some(Self {
            tenant: Some(tenant.to_owned()),
            game: Some(game.to_owned()),
        })
    }
}

/// Serialised answers for games, valid while notifications flow: an entry is dropped when its
/// game changes, everything when the listener disconnects, and nothing is kept or served before
/// the listener is connected. An answer computed while a change arrived is not kept (the
/// generation a writer took before reading no longer matches).
#[derive(Debug, Clone, Default)]
pub struct GameCache {
    state: Arc<Mutex<CacheState>>,
}

#[derive(Debug, Default)]
struct CacheState {
    listening: bool,
    generation: u64,
    entries: HashMap<(String, String), Bytes>,
}

impl GameCache {
    /// Games kept at most; beyond, the cache starts afresh.
    const CAPACITY: usize = 4096;

    fn with<T>(&self, f: impl FnOnce(&mut CacheState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The kept answer for `game` of `tenant`.
    pub fn get(&self, tenant: &str, game: &str) -> Option<Bytes> {
        self.with(|s| {
            s.listening
                .then(|| {
                    s.entries
                        .get(&(tenant.to_owned(), game.to_owned()))
                        .cloned()
                })
                .flatten()
        })
    }

    /// Taken before reading what will be kept: `None` while changes cannot be heard.
    pub fn ticket(&self) -> Option<u64> {
        self.with(|s| s.listening.then_some(s.generation))
    }

    /// Keeps `body` for `game`, unless anything changed since `ticket` was taken.
    pub fn put(&self, ticket: u64, tenant: &str, game: &str, body: Bytes) {
        self.with(|s| {
            if !s.listening || s.generation != ticket {
                return;
            }
            if s.entries.len() >= Self::CAPACITY {
                s.entries.clear();
            }
            s.entries.insert((tenant.to_owned(), game.to_owned()), body);
        });
    }

    /// Drops what a write made by this process may have changed: `game` (of any tenant), or
    /// everything when the write names no game.
    pub fn forget(&self, game: Option<&str>) {
        self.with(|s| {
            s.generation += 1;
            match game {
                Some(game) => s.entries.retain(|(_, g), _| g != game),
                None => s.entries.clear(),
            }
        });
    }

    fn changed(&self, change: &GameChange) {
        self.with(|s| {
            s.generation += 1;
            match (&change.tenant, &change.game) {
                (Some(tenant), Some(game)) => {
                    s.entries.remove(&(tenant.clone(), game.clone()));
                }
                _ => s.entries.clear(),
            }
        });
    }

    fn set_listening(&self, listening: bool) {
        self.with(|s| {
            s.generation += 1;
            s.entries.clear();
            s.listening = listening;
        });
    }
}

/// The fan-out of game changes to the pages watching, and the cache they keep exact.
#[derive(Debug, Clone)]
pub struct GameChanges {
    sender: broadcast::Sender<GameChange>,
    cache: GameCache,
}

impl Default for GameChanges {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
            cache: GameCache::default(),
        }
    }
}

impl GameChanges {
    pub fn subscribe(&self) -> broadcast::Receiver<GameChange> {
        self.sender.subscribe()
    }

    pub fn cache(&self) -> &GameCache {
        &self.cache
    }

    /// Listens until `cancel`, reconnecting after failures (1 s apart).
    pub async fn run(&self, db: Database, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let outcome = self.listen(&db, &cancel).await;
            self.cache.set_listening(false);
            match outcome {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "game-change notifications interrupted; reconnecting");
                    let _ = self.sender.send(GameChange {
                        tenant: None,
                        game: None,
                    });
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    async fn listen(&self, db: &Database, cancel: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(db.pool()).await?;
        listener.listen(CHANNEL).await?;
        self.cache.set_listening(true);
        loop {
            let notification = tokio::select! {
                () = cancel.cancelled() => return Ok(()),
                received = listener.try_recv() => received?,
            };
            let Some(notification) = notification else {
                return Err(sqlx::Error::Protocol(
                    "the LISTEN connection was lost".into(),
                ));
            };
            if let Some(change) = GameChange::parse(notification.payload()) {
                self.cache.changed(&change);
                // Nobody watching is not an error.
                let _ = self.sender.send(change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_concerns_its_own_game_and_a_reconnection_concerns_all() {
        let change = GameChange::parse("league/g-7").unwrap();
        assert!(change.concerns("league", "g-7"));
        assert!(!change.concerns("league", "g-8"));
        assert!(!change.concerns("other", "g-7"));
        let everything = GameChange {
            tenant: None,
            game: None,
        };
        assert!(everything.concerns("other", "g-8"));
        assert_eq!(GameChange::parse("no-slash"), None);
    }

    #[test]
    fn the_cache_keeps_answers_only_while_listening_and_drops_a_changed_game() {
        let cache = GameCache::default();
        assert_eq!(
            cache.ticket(),
            None,
            "nothing is kept before the listener connects"
        );
        cache.set_listening(true);
        let ticket = cache.ticket().unwrap();
        cache.put(ticket, "league", "g-7", Bytes::from_static(b"7"));
        cache.put(ticket, "league", "g-8", Bytes::from_static(b"8"));
        assert_eq!(cache.get("league", "g-7").as_deref(), Some(&b"7"[..]));
        assert_eq!(cache.get("other", "g-7"), None);

        cache.changed(&GameChange::parse("league/g-7").unwrap());
        assert_eq!(cache.get("league", "g-7"), None);
        assert!(cache.get("league", "g-8").is_some(), "other games stay");
        // An answer read before that change is stale: not kept.
        cache.put(ticket, "league", "g-7", Bytes::from_static(b"old"));
        assert_eq!(cache.get("league", "g-7"), None);

        cache.set_listening(false);
        assert_eq!(
            cache.get("league", "g-8"),
            None,
            "changes may be missed now"
        );
        assert_eq!(cache.ticket(), None);
    }
}
