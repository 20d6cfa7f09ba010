//! Dashboard users and their browser sessions. Passwords are kept as argon2 hashes; a session
//! is a random id in an HttpOnly cookie (`{tenant}.{id}`), stored as its SHA-256 with a CSRF
//! token and an expiry, and ends at logout, at expiry or when the user is disabled.

use benchsight_core::ids::TenantId;

use crate::audit::{self, Actor};
use crate::credentials::{
    CredentialError, Role, hash_secret, random_hex, random_secret_digest, secret_matches,
};
use crate::db::Database;

/// How long a session lasts without logging in again.
pub const SESSION_HOURS: i32 = 12;

/// A user name: 1–64 characters of letters, digits and `.`, `_`, `-`, `@`.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 64
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// Creates a user, or sets an existing one's role and password (and enables it again).
pub async fn upsert_user(
    db: &Database,
    tenant: &TenantId,
    login: &str,
    role: Role,
    password: &str,
    actor: &Actor,
) -> Result<(), CredentialError> {
    if !valid_login(login) {
        return Err(CredentialError::Malformed(format!("user name {login:?}")));
    }
    if password.chars().count() < 10 {
        return Err(CredentialError::Malformed(
            "password: at least 10 characters".into(),
        ));
    }
    let mut tx = db.tenant(tenant).await?;
    sqlx::query(
        "INSERT INTO app_user (tenant_id, login, role, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, login) DO UPDATE SET role = excluded.role,
             password_hash = excluded.password_hash, disabled_at = NULL",
    )
    .bind(tenant.as_str())
    .bind(login)
    .bind(role.as_str())
    .bind(hash_secret(password)?)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "role": role });
    audit::record(&mut tx, tenant, actor, "user.upsert", login, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// A logged-in user, as a session or a password check finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub tenant: TenantId,
    pub login: String,
    pub role: Role,
    /// The token forms must send back.
    pub csrf_token: String,
}

/// A new session: the cookie value to set, and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub cookie_value: String,
    pub user: SessionUser,
}

fn session_hash(id: &str) -> String {
    random_secret_digest(id)
}

/// Checks a password and opens a session; `None` for a wrong user, password or a disabled
/// user (which of the three is not said).
pub async fn log_in(
    db: &Database,
    tenant: &TenantId,
    login: &str,
    password: &str,
) -> Result<Option<NewSession>, CredentialError> {
    let mut tx = db.tenant(tenant).await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT role, password_hash FROM app_user
         WHERE tenant_id = $1 AND login = $2 AND disabled_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(login)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((role, _)) = row.filter(|(_, hash)| secret_matches(hash, password)) else {
        return Ok(None);
    };
    let (id, csrf_token) = (random_hex(32), random_hex(24));
    sqlx::query(
        "INSERT INTO user_session (tenant_id, session_hash, login, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))",
    )
    .bind(tenant.as_str())
    .bind(session_hash(&id))
    .bind(login)
    .bind(&csrf_token)
    .bind(SESSION_HOURS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(NewSession {
        cookie_value: format!("{tenant}.{id}"),
        user: SessionUser {
            tenant: tenant.clone(),
            login: login.to_owned(),
            role: role.parse()?,
            csrf_token,
        },
    }))
}

/// The tenant and session id of a cookie value, when it has that shape.
fn parse_cookie(value: &str) -> Option<(TenantId, &str)> {
    let (tenant, id) = value.split_once('.')?;
    let id_ok = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    id_ok.then_some(())?;
    Some((TenantId::parse(tenant).ok()?, id))
}

/// The user behind a session cookie, while the session is current and the user enabled.
pub async fn session_user(
    db: &Database,
    cookie_value: &str,
) -> Result<Option<SessionUser>, CredentialError> {
    let Some((tenant, id)) = parse_cookie(cookie_value) else {
        return Ok(None);
    };
    let mut tx = db.tenant(&tenant).await?;
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT s.login, u.role, s.csrf_token FROM user_session s
         JOIN app_user u ON u.tenant_id = s.tenant_id AND u.login = s.login
         WHERE s.tenant_id = $1 AND s.session_hash = $2 AND s.expires_at > now()
           AND u.disabled_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(session_hash(id))
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|(login, role, csrf_token)| {
        Ok(SessionUser {
            tenant: tenant.clone(),
            login,
            role: role.parse()?,
            csrf_token,
        })
    })
    .transpose()
}

/// Ends the session of a cookie (nothing happens for an unknown one).
pub async fn log_out(db: &Database, cookie_value: &str) -> Result<(), CredentialError> {
    let Some((tenant, id)) = parse_cookie(cookie_value) else {
        return Ok(());
    };
    let mut tx = db.tenant(&tenant).await?;
    sqlx::query("DELETE FROM user_session WHERE tenant_id = $1 AND session_hash = $2")
        .bind(tenant.as_str())
        .bind(session_hash(id))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_logins_are_checked_for_shape() {
        let id = "ab".repeat(32);
        assert!(parse_cookie(&format!("league.{id}")).is_some());
        assert!(parse_cookie(&format!("League.{id}")).is_none());
        assert!(parse_cookie("league.short").is_none());
        assert!(parse_cookie(&id).is_none());
        assert!(valid_login("coach.smith@league"));
        assert!(!valid_login("coach smith"));
        assert!(!valid_login(""));
        assert_eq!(session_hash("x").len(), 64);
    }
}
