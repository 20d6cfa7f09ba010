//! The cloud service's configuration (`/etc/benchsight/cloud.toml`): database, broker and HTTP
//! listener. The binary loads it (file plus `BENCHSIGHT_CLOUD_*` environment overrides); this
//! module defines it, its defaults, its checks, and how it is shown without its secrets.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The whole cloud configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    pub database: DatabaseSection,
    #[serde(default)]
    pub broker: BrokerSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub broker_admin: BrokerAdminSection,
    #[serde(default)]
    pub clips: ClipsSection,
}

/// Where clip bytes are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipBackend {
    /// A folder on this machine (`clips.path`).
    #[default]
    Local,
    /// S3-compatible object storage (`clips.bucket`, `region`, `endpoint`; credentials from the
    /// `AWS_*` environment variables).
    S3,
}

/// The clip store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClipsSection {
    pub backend: ClipBackend,
    pub path: PathBuf,
    pub bucket: Option<String>,
    pub region: Option<String>,
    /// For S3-compatible services other than AWS (MinIO, Ceph, …).
    pub endpoint: Option<String>,
    /// Allow a plain-HTTP endpoint (a local MinIO).
    pub allow_http: bool,
    /// The largest clip accepted, in MiB.
    pub max_mb: u64,
}

impl Default for ClipsSection {
    fn default() -> Self {
        Self {
            backend: ClipBackend::Local,
            path: PathBuf::from("/var/lib/benchsight-cloud/clips"),
            bucket: None,
            region: None,
            endpoint: None,
            allow_http: false,
            max_mb: 200,
        }
    }
}

/// The PostgreSQL the service runs against, as the unprivileged service role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// `postgres://user:password@host:port/db`; the password is masked whenever shown.
    pub url: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// The schema owner, used by `migrate` only; `url` when not set.
    #[serde(default)]
    pub owner_url: Option<String>,
}

fn default_max_connections() -> u32 {
    10
}

/// How the ingest worker reaches the MQTT broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerSection {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    /// Shared-subscription group: ingest processes of one group split the devices' messages.
    pub share_group: String,
}

impl Default for BrokerSection {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 1883,
            username: None,
            password_file: None,
            share_group: "ingest".into(),
        }
    }
}

/// The broker files that provisioning maintains (on the broker's host).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerAdminSection {
    /// Mosquitto's `password_file`, where device logins are added and deleted.
    pub password_file: Option<PathBuf>,
    /// Mosquitto's `pid_file`: the broker gets SIGHUP after each change, so a new or revoked
    /// login takes effect at once.
    pub pid_file: Option<PathBuf>,
}

/// Where the HTTP API and dashboard listen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    pub listen: SocketAddr,
    /// Mark session cookies `Secure`: set it when browsers reach the service over HTTPS (a TLS
    /// proxy in front of it).
    pub secure_cookies: bool,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
        }
    }
}

/// A configuration value that parsed but cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {problem}")]
pub struct ConfigError {
    pub key: &'static str,
    pub problem: String,
}

impl CloudConfig {
    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError {
                key: "database.url",
                problem: "must be a postgres:// or postgresql:// URL".into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError {
                key: "database.max_connections",
                problem: "must be at least 1".into(),
            });
        }
        if self.clips.backend == ClipBackend::S3 && self.clips.bucket.is_none() {
            return Err(ConfigError {
                key: "clips.bucket",
                problem: "is required with backend = \"s3\"".into(),
            });
        }
        let group_ok = !self.broker.share_group.is_empty()
            && !self.broker.share_group.contains(['/', '+', '#']);
        if !group_ok {
            return Err(ConfigError {
                key: "broker.share_group",
                problem: "must be a non-empty name without '/', '+' or '#'".into(),
            });
        }
        Ok(())
    }

    /// A copy safe to print or log: the database password is masked.
    pub fn redacted(&self) -> CloudConfig {
        let mut shown = self.clone();
        shown.database.url = mask_url_password(&self.database.url);
        shown.database.owner_url = self.database.owner_url.as_deref().map(mask_url_password);
        shown
    }
}

/// Replaces the password of a `scheme://user:password@host/...` URL with `***`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_when_shown() {
        assert_eq!(
            mask_url_password("postgres://svc:s3cr@t@db:5432/benchsight"),
            "postgres://svc:***@db:5432/benchsight"
        );
        assert_eq!(
            mask_url_password("postgres://svc@db/benchsight"),
            "postgres://svc@db/benchsight"
        );
        let config: CloudConfig = serde_json::from_value(serde_json::json!({
            "database": {"url": "postgres://svc:hunter2@db/benchsight"}
        }))
        .unwrap();
        assert!(!format!("{:?}", config.redacted()).contains("hunter2"));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn the_shipped_example_is_valid() {
        use figment::Figment;
        use figment::providers::{Format, Toml};
        let config: CloudConfig = Figment::new()
            .merge(Toml::string(include_str!("../../config/cloud.toml")))
            .extract()
            .unwrap();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.clips.backend, ClipBackend::Local);
        let mut s3 = config.clone();
        s3.clips.backend = ClipBackend::S3;
        assert_eq!(s3.validate().unwrap_err().key, "clips.bucket");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut config: CloudConfig = serde_json::from_value(serde_json::json!({
            "database": {"url": "mysql://db"}
        }))
        .unwrap();
        assert_eq!(config.validate().unwrap_err().key, "database.url");
        config.database.url = "postgres://db/x".into();
        config.broker.share_group = "a/b".into();
        assert_eq!(config.validate().unwrap_err().key, "broker.share_group");
    }
}
