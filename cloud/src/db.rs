//! The cloud's PostgreSQL: migrations (run as the owner) and tenant-scoped transactions (run as
//! the service role, which owns nothing and is subject to row-level security). Every query of the
//! service goes through [`Database::tenant`], which sets `app.tenant_id` for that transaction
//! only; application code still filters by tenant — RLS is the floor, not the only wall.

use benchsight_core::ids::TenantId;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

/// The migrations in `migrations/cloud`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/cloud");

/// Why a database step failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Query(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

/// A pool of connections as one role.
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
}

impl Database {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect(url)
            .await
            .map_err(DbError::Connect)?;
        Ok(Self { pool })
    }

    /// Applies pending migrations (connect as the owner for this).
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// A transaction in which only `tenant`'s rows exist.
    pub async fn tenant(
        &self,
        tenant: &TenantId,
    ) -> Result<Transaction<'static, Postgres>, DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Creates a tenant (idempotent).
pub async fn create_tenant(db: &Database, tenant: &TenantId, name: &str) -> Result<(), DbError> {
    let mut tx = db.tenant(tenant).await?;
    sqlx::query("INSERT INTO tenant (tenant_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(tenant.as_str())
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
