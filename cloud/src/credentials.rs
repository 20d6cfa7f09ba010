//! Secrets that grant access — appliances' one-time tokens and programs' API keys — generated
//! here, shown once and kept only as argon2 hashes; and the roles a key (or a user) acts with.
//!
//! An API key reads `bsk.{tenant}.{key id}.{secret}`: the tenant and id say which row to check
//! (a tenant-scoped lookup, as row-level security requires), the secret (192 random bits) is
//! checked against the row's SHA-256 — argon2 would cost tens of milliseconds on every request —
//! and a revoked key stops working with the next request: nothing is cached.

use std::fmt;
use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use benchsight_core::ids::TenantId;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::db::{Database, DbError};

/// What a user or an API key may do in its tenant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads, and reviews events.
    Reviewer,
    /// Everything in the tenant: games, devices, keys, finalising.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = CredentialError;

    fn from_str(text: &str) -> Result<Self, CredentialError> {
        match text {
            "viewer" => Ok(Role::Viewer),
            "reviewer" => Ok(Role::Reviewer),
            "admin" => Ok(Role::Admin),
            other => Err(CredentialError::Malformed(format!(
                "role {other:?} (admin, reviewer or viewer)"
            ))),
        }
    }
}

/// Why a credential could not be made, checked or revoked.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("hashing a secret: {0}")]
    Hash(String),
    #[error("malformed {0}")]
    Malformed(String),
    #[error("no API key {0} in this tenant")]
    UnknownKey(String),
}

impl From<sqlx::Error> for CredentialError {
    fn from(error: sqlx::Error) -> Self {
        CredentialError::Db(DbError::Query(error))
    }
}

/// `bytes` of fresh randomness, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// The SHA-256 of a high-entropy random secret (an API key's, a session id), hex-encoded. Such
/// secrets cannot be guessed, so a fast hash is enough and keeps per-request checks cheap;
/// argon2 ([`hash_secret`]) is for secrets people choose.
pub fn random_secret_digest(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An argon2id hash (PHC string, own random salt) of `secret`.
pub fn hash_secret(secret: &str) -> Result<String, CredentialError> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| CredentialError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| CredentialError::Hash(e.to_string()))?
        .to_string())
}

/// True when `secret` is the one `hash` was made from; a malformed hash matches nothing.
pub fn secret_matches(hash: &str, secret: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// An API key's parts as presented by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub tenant: TenantId,
    pub key_id: String,
    secret: String,
}

impl PresentedKey {
    pub fn parse(text: &str) -> Result<Self, CredentialError> {
        let malformed = || CredentialError::Malformed("API key (bsk.TENANT.ID.SECRET)".into());
        let mut parts = text.trim().split('.');
        let (Some("bsk"), Some(tenant), Some(key_id), Some(secret), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(malformed());
        };
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(key_id, KEY_ID_BYTES * 2) || !hex(secret, KEY_SECRET_BYTES * 2) {
            return Err(malformed());
        }
        Ok(Self {
            tenant: TenantId::parse(tenant).map_err(|_| malformed())?,
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

const KEY_ID_BYTES: usize = 6;
const KEY_SECRET_BYTES: usize = 24;

/// A key that checked out: whose it is and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub tenant: TenantId,
    pub key_id: String,
    pub role: Role,
}

/// Creates an API key; returns its id and the whole key, which is shown once and stored nowhere.
pub async fn create_api_key(
    db: &Database,
    tenant: &TenantId,
    name: &str,
    role: Role,
    actor: &Actor,
) -> Result<(String, String), CredentialError> {
    let (key_id, secret) = (random_hex(KEY_ID_BYTES), random_hex(KEY_SECRET_BYTES));
    let mut tx = db.tenant(tenant).await?;
    sqlx::query(
        "INSERT INTO api_key (tenant_id, key_id, name, role, secret_hash)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.as_str())
    .bind(&key_id)
    .bind(name)
    .bind(role.as_str())
    .bind(random_secret_digest(&secret))
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"name": name, "role": role});
    audit::record(&mut tx, tenant, actor, "api_key.create", &key_id, detail).await?;
    tx.commit().await?;
    Ok((key_id.clone(), format!("bsk.{tenant}.{key_id}.{secret}")))
}

/// Checks a presented key: its holder when the key exists, is not revoked and its secret
/// matches; `None` otherwise. Marks the key used (at most once a minute).
pub async fn verify_api_key(
    db: &Database,
    key: &PresentedKey,
) -> Result<Option<KeyHolder>, CredentialError> {
    let mut tx = db.tenant(&key.tenant).await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT role, secret_hash FROM api_key
         WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
    )
    .bind(key.tenant.as_str())
    .bind(&key.key_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((role, hash)) = row else {
        return Ok(None);
    };
    if hash != random_secret_digest(&key.secret) {
        return Ok(None);
    }
    // Minute precision is enough for "last used"; a request that changes nothing commits no
    // write, so an API under load is not one disk flush per request.
    sqlx::query(
        "UPDATE api_key SET last_used = now() WHERE tenant_id = $1 AND key_id = $2
           AND (last_used IS NULL OR last_used < now() - interval '1 minute')",
    )
    .bind(key.tenant.as_str())
    .bind(&key.key_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(KeyHolder {
        tenant: key.tenant.clone(),
        key_id: key.key_id.clone(),
        role: role.parse()?,
    }))
}

/// An API key as listed to its tenant's admins (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub key_id: String,
    pub name: String,
    pub role: Role,
    /// RFC 3339 (UTC).
    pub created_at: String,
    pub last_used: Option<String>,
    pub revoked_at: Option<String>,
}

/// The tenant's API keys, newest first, revoked ones included.
pub async fn list_api_keys(
    db: &Database,
    tenant: &TenantId,
) -> Result<Vec<ApiKeyInfo>, CredentialError> {
    const SQL: &str = "SELECT key_id, name, role,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
            to_char(last_used AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
            to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM api_key WHERE tenant_id = $1 ORDER BY created_at DESC, key_id";
    let mut tx = db.tenant(tenant).await?;
    /// (key id, name, role, created, last used, revoked).
    type KeyRow = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<KeyRow> = sqlx::query_as(SQL)
        .bind(tenant.as_str())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|(key_id, name, role, created_at, last_used, revoked_at)| {
            Ok(ApiKeyInfo {
                key_id,
                name,
                role: role.parse()?,
                created_at,
                last_used,
                revoked_at,
            })
        })
        .collect()
}

/// Revokes an API key; it fails its next check.
pub async fn revoke_api_key(
    db: &Database,
    tenant: &TenantId,
    key_id: &str,
    actor: &Actor,
) -> Result<(), CredentialError> {
    let mut tx = db.tenant(tenant).await?;
    let revoked = sqlx::query(
        "UPDATE api_key SET revoked_at = now()
         WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(key_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked != 1 {
        return Err(CredentialError::UnknownKey(key_id.to_owned()));
    }
    audit::record(
        &mut tx,
        tenant,
        actor,
        "api_key.revoke",
        key_id,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_only_in_their_exact_shape() {
        let good = format!("bsk.league.{}.{}", "ab".repeat(6), "cd".repeat(24));
        let key = PresentedKey::parse(&good).unwrap();
        assert_eq!((key.tenant.as_str(), key.key_id.len()), ("league", 12));
        for bad in [
            "",
            "bsk.league",
            &good.replace("bsk.", "xyz."),
            &format!("{good}.extra"),
            &good.replace("league", "Le ague"),
            &format!("bsk.league.{}.{}", "ab".repeat(6), "zz".repeat(24)),
        ] {
            assert!(PresentedKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_hash_matches_its_secret_only() {
        let hash = hash_secret("s3cret").unwrap();
        assert!(secret_matches(&hash, "s3cret"));
        assert!(!secret_matches(&hash, "s3cret "));
        assert!(!secret_matches("not a hash", "s3cret"));
        assert_eq!("reviewer".parse::<Role>().unwrap(), Role::Reviewer);
        assert!("root".parse::<Role>().is_err());
    }
}
