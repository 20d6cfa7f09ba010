//! Video clips around events: one interface over where the bytes live — a local folder by
//! default, S3-compatible object storage by configuration (both through `object_store`) — and
//! their bookkeeping: which event a clip belongs to, which device sent it, and when the tenant's
//! retention setting lets it go.

use std::ops::Range;
use std::sync::Arc;

use benchsight_core::ids::{DeviceId, EventId, TenantId};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{ClipBackend, ClipsSection};
use crate::db::{Database, DbError};

/// Why a clip could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("clip store: {0}")]
    Store(#[from] object_store::Error),
    #[error("no such clip or event")]
    NotFound,
    #[error("clip store configuration: {0}")]
    Config(String),
}

impl From<sqlx::Error> for ClipError {
    fn from(error: sqlx::Error) -> Self {
        ClipError::Db(DbError::Query(error))
    }
}

/// Where clips are kept.
#[derive(Debug, Clone)]
pub struct ClipStore {
    store: Arc<dyn ObjectStore>,
}

/// A stored clip's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipInfo {
    pub object_key: String,
    pub content_type: String,
    pub bytes: u64,
}

impl ClipStore {
    /// The store the configuration names (the local folder is created when missing).
    pub fn from_config(config: &ClipsSection) -> Result<Self, ClipError> {
        let store: Arc<dyn ObjectStore> = match config.backend {
            ClipBackend::Local => {
                std::fs::create_dir_all(&config.path).map_err(|e| {
                    ClipError::Config(format!("creating {}: {e}", config.path.display()))
                })?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(
                    &config.path,
                )?)
            }
            ClipBackend::S3 => {
                let bucket = config
                    .bucket
                    .as_deref()
                    .ok_or_else(|| ClipError::Config("clips.bucket is required for s3".into()))?;
                // Credentials come from the environment (AWS_ACCESS_KEY_ID, …).
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_allow_http(config.allow_http);
                if let Some(region) = &config.region {
                    builder = builder.with_region(region);
                }
                if let Some(endpoint) = &config.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Self { store })
    }

    /// A store in a folder.
    pub fn local(folder: &std::path::Path) -> Result<Self, ClipError> {
        Self::from_config(&ClipsSection {
            path: folder.to_owned(),
            ..ClipsSection::default()
        })
    }

    /// Where a clip lies in the store; its media type is kept in the database, not in the name.
    fn key(tenant: &TenantId, event: &EventId) -> String {
        format!("{tenant}/{event}")
    }

    /// Stores a device's clip of one of its events (replacing an earlier upload).
    pub async fn put(
        &self,
        db: &Database,
        tenant: &TenantId,
        device: &DeviceId,
        event: &EventId,
        content_type: &str,
        body: bytes::Bytes,
    ) -> Result<(), ClipError> {
        let mut tx = db.tenant(tenant).await?;
        // The event must exist in the tenant and come from this device.
        let sender: Option<Option<String>> = sqlx::query_scalar(
            "SELECT device_id FROM event WHERE tenant_id = $1 AND event_id = $2",
        )
        .bind(tenant.as_str())
        .bind(event.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        if sender.flatten().as_deref() != Some(device.as_str()) {
            return Err(ClipError::NotFound);
        }
        let key = Self::key(tenant, event);
        let size = body.len() as u64;
        self.store
            .put(&ObjectPath::from(key.as_str()), PutPayload::from(body))
            .await?;
        sqlx::query(
            "INSERT INTO clip (tenant_id, event_id, device_id, object_key, content_type, bytes)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, event_id) DO UPDATE SET object_key = excluded.object_key,
                 content_type = excluded.content_type, bytes = excluded.bytes,
                 uploaded_at = now()",
        )
        .bind(tenant.as_str())
        .bind(event.as_uuid())
        .bind(device.as_str())
        .bind(&key)
        .bind(content_type)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's clip of `event`, if there is one.
    pub async fn info(
        &self,
        db: &Database,
        tenant: &TenantId,
        event: &EventId,
    ) -> Result<ClipInfo, ClipError> {
        let mut tx = db.tenant(tenant).await?;
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT object_key, content_type, bytes FROM clip WHERE tenant_id = $1 AND event_id = $2",
        )
        .bind(tenant.as_str())
        .bind(event.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let (object_key, content_type, bytes) = row.ok_or(ClipError::NotFound)?;
        Ok(ClipInfo {
            object_key,
            content_type,
            bytes: u64::try_from(bytes).unwrap_or(0),
        })
    }

    /// Bytes `range` of a clip.
    pub async fn read(
        &self,
        clip: &ClipInfo,
        range: Range<u64>,
    ) -> Result<bytes::Bytes, ClipError> {
        Ok(self
            .store
            .get_range(&ObjectPath::from(clip.object_key.as_str()), range)
            .await?)
    }

    /// Deletes the clips older than their tenant's retention; returns how many went.
    pub async fn prune(&self, db: &Database) -> Result<u64, ClipError> {
        let expired: Vec<(String, uuid::Uuid, String)> =
            sqlx::query_as("SELECT * FROM expired_clips()")
                .fetch_all(db.pool())
                .await?;
        let mut pruned = 0;
        for (tenant, event, key) in expired {
            let Ok(tenant) = TenantId::parse(&tenant) else {
                continue;
            };
            match self.store.delete(&ObjectPath::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            let mut tx = db.tenant(&tenant).await?;
            pruned += sqlx::query("DELETE FROM clip WHERE tenant_id = $1 AND event_id = $2")
                .bind(tenant.as_str())
                .bind(event)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
        }
        Ok(pruned)
    }
}
