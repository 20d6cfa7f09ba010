//! The cloud's PostgreSQL: migrations (run as the owner) and tenant-scoped transactions (run as
//! the service role, which owns nothing and is subject to row-level security). Every query of the
//! service goes through [`Database::tenant`], which sets `app.tenant_id` for that transaction
//! only; application code still filters by tenant — RLS is the floor, not the only wall.

use benchsight_core::ids::TenantId;

use crate::audit::{self, Actor};
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

/// Creates a tenant (idempotent: an existing tenant is left as it is, and nothing is audited).
pub async fn create_tenant(
    db: &Database,
    tenant: &TenantId,
    name: &str,
    actor: &Actor,
) -> Result<(), DbError> {
    let mut tx = db.tenant(tenant).await?;
    let created =
        sqlx::query("INSERT INTO tenant (tenant_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(tenant.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if created == 1 {
        let detail = serde_json::json!({ "name": name });
        audit::record(
            &mut tx,
            tenant,
            actor,
            "tenant.create",
            tenant.as_str(),
            detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Names a database or role may take when this code makes them: lower-case letters, digits
/// and '_' (they are spliced into DDL, which takes no parameters).
fn plain_identifier(name: &str) -> Result<&str, DbError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(DbError::Corrupt(format!(
            "{name:?} is not a plain identifier"
        )))
    }
}

/// The URLs [`provision_database`] connects with: (as the superuser of `admin_url`, to database
/// `name`; as login role `role`, to database `name`, on the same server).
pub fn provisioned_urls(
    admin_url: &str,
    name: &str,
    role: &str,
) -> Result<(String, String), DbError> {
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .ok_or_else(|| DbError::Corrupt(format!("{admin_url} names no database")))?;
    let user_end = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| DbError::Corrupt(format!("{admin_url} is not a URL")))?;
    let host = base[user_end..]
        .rsplit_once('@')
        .map_or(&base[user_end..], |(_, host)| host);
    Ok((
        format!("{base}/{name}"),
        format!("{}{role}@{host}/{name}", &base[..user_end]),
    ))
}

/// Creates (or re-creates) database `name` on the server of `admin_url` (a superuser), applies
/// the schema as its owner and makes sure the login role `service_role` exists as a member of
/// `benchsight_app`. Returns pools as the owner and as the service role. For development,
/// tests, benchmarks and the demo; production databases are provisioned by their operators.
pub async fn provision_database(
    admin_url: &str,
    name: &str,
    service_role: &str,
) -> Result<(Database, Database), DbError> {
    let (name, role) = (plain_identifier(name)?, plain_identifier(service_role)?);
    let (owner_url, service_url) = provisioned_urls(admin_url, name, role)?;
    let server = Database::connect(admin_url, 1).await?;
    for ddl in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(ddl))
            .execute(server.pool())
            .await?;
    }
    let owner = Database::connect(&owner_url, 2).await?;
    owner.migrate().await?;
    // Roles are cluster-wide; several databases may be provisioned at once.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE benchsight_app;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )))
    .execute(owner.pool())
    .await?;
    Ok((owner, Database::connect(&service_url, 4).await?))
}
