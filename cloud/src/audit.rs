//! The audit log: who changed what in a tenant, written in the same transaction as the change so
//! that a change without its entry (or an entry without its change) cannot exist.

use benchsight_core::ids::TenantId;
use sqlx::{Postgres, Transaction};

use crate::db::DbError;

/// Who acted: `cli:{unix user}` for the command line, `user:{login}` or `key:{id}` for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The operator running the command line (`$USER`, else `cli`).
    pub fn command_line() -> Self {
        let user = std::env::var("USER").ok().filter(|u| !u.is_empty());
        Self(user.map_or_else(|| "cli".to_owned(), |u| format!("cli:{u}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Appends one entry to `tenant`'s audit log inside `tx`.
pub async fn record(
    tx: &mut Transaction<'static, Postgres>,
    tenant: &TenantId,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, actor, action, target, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.as_str())
    .bind(actor.as_str())
    .bind(action)
    .bind(target)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
