//! Live game changes: one PostgreSQL `LISTEN bs_game_changes` connection per HTTP process (the
//! triggers of migration 0004 notify on every write to a game's events, statistics or status,
//! from whichever process wrote them), fanned out to the live pages through a broadcast channel.
//! A lost connection is re-established; after one, every page is told to refresh, since
//! notifications sent meanwhile are gone.

use std::time::Duration;

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

/// The fan-out of game changes to the pages watching.
#[derive(Debug, Clone)]
pub struct GameChanges {
    sender: broadcast::Sender<GameChange>,
}

impl Default for GameChanges {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl GameChanges {
    pub fn subscribe(&self) -> broadcast::Receiver<GameChange> {
        self.sender.subscribe()
    }

    /// Listens until `cancel`, reconnecting after failures (1 s apart).
    pub async fn run(&self, db: Database, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            match self.listen(&db, &cancel).await {
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
}
