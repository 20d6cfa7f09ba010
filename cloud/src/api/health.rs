//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the database and the
//! broker are reachable) and `/metrics` (Prometheus text: HTTP requests by route and status
//! class with latency buckets, and the fleet's health — online, silence, backlog, lag, disk —
//! that `ops/prometheus/alerts.yml` alerts on).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS_S: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default, Clone)]
struct RouteStats {
    /// Requests by status class (`2xx`, …).
    by_class: BTreeMap<&'static str, u64>,
    /// Cumulative bucket counts, as Prometheus histograms are.
    buckets: [u64; BUCKETS_S.len()],
    count: u64,
    sum_s: f64,
}

/// Request counters and latency histograms per (method, route).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl HttpMetrics {
    fn observe(&self, method: &str, route: &str, status: StatusCode, took: Duration) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let seconds = took.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *stats.by_class.entry(class).or_default() += 1;
        for (bucket, bound) in stats.buckets.iter_mut().zip(BUCKETS_S) {
            *bucket += u64::from(seconds <= bound);
        }
        stats.count += 1;
        stats.sum_s += seconds;
    }

    fn render(&self, out: &mut String) {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP benchsight_http_requests_total HTTP requests answered."
        );
        let _ = writeln!(out, "# TYPE benchsight_http_requests_total counter");
        for ((method, route), stats) in &routes {
            for (class, n) in &stats.by_class {
                let _ = writeln!(
                    out,
                    "benchsight_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{class}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP benchsight_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(
            out,
            "# TYPE benchsight_http_request_duration_seconds histogram"
        );
        for ((method, route), stats) in &routes {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS_S.iter().zip(stats.buckets) {
                let _ = writeln!(
                    out,
                    "benchsight_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "benchsight_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "benchsight_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_s
            );
            let _ = writeln!(
                out,
                "benchsight_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
    }
}

/// Middleware: times every request and counts it under its route pattern (never the raw path,
/// whose ids would make the label set unbounded).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .http_metrics
        .observe(&method, &route, response.status(), started.elapsed());
    response
}

/// Health and readiness answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: Option<bool>,
    pub broker: Option<bool>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        database: None,
        broker: None,
    })
}

/// The database answers a query and the broker accepts a TCP connection.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(state.db.pool())
        .await
        .is_ok();
    let broker = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect((state.broker.0.as_str(), state.broker.1)),
    )
    .await
    .is_ok_and(|connected| connected.is_ok());
    let ready = database && broker;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let health = Health {
        status: if ready { "ready" } else { "not ready" }.into(),
        database: Some(database),
        broker: Some(broker),
    };
    (status, Json(health))
}

type FleetRow = (
    String,
    String,
    bool,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<f64>,
);

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    state.http_metrics.render(&mut out);
    match sqlx::query_as::<_, FleetRow>("SELECT * FROM fleet_health()")
        .fetch_all(state.db.pool())
        .await
    {
        Ok(rows) => render_fleet(&mut out, &rows),
        Err(error) => tracing::warn!(%error, "cannot read the fleet's health for /metrics"),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response()
}

/// A device gauge: name, help text, and its value in a row.
type Gauge = (&'static str, &'static str, fn(&FleetRow) -> Option<f64>);

/// The device gauges /metrics exports.
fn fleet_gauges() -> [Gauge; 7] {
    [
        (
            "benchsight_device_online",
            "1 while the appliance reports itself online.",
            |r| Some(f64::from(u8::from(r.2))),
        ),
        (
            "benchsight_device_silent_seconds",
            "Seconds since the appliance's last message.",
            |r| r.3,
        ),
        (
            "benchsight_device_backlog_records",
            "Records committed on the appliance, not yet acknowledged.",
            |r| r.4.map(|v| v as f64),
        ),
        (
            "benchsight_device_lag_seconds",
            "How far event derivation trails the camera.",
            |r| r.5.map(|v| v as f64 / 1000.0),
        ),
        (
            "benchsight_device_disk_free_bytes",
            "Free space on the appliance's state disk.",
            |r| r.6.map(|v| v as f64),
        ),
        (
            "benchsight_device_disk_total_bytes",
            "Size of the appliance's state disk.",
            |r| r.7.map(|v| v as f64),
        ),
        (
            "benchsight_device_frames_per_second",
            "Frames the appliance processes per second.",
            |r| r.8,
        ),
    ]
}

fn render_fleet(out: &mut String, rows: &[FleetRow]) {
    for (name, help, value) in fleet_gauges() {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for row in rows {
            if let Some(v) = value(row) {
                let _ = writeln!(
                    out,
                    "{name}{{tenant=\"{}\",device=\"{}\"}} {v}",
                    row.0, row.1
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `benchsight_*` name in `text` (a rule file, a dashboard).
    fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("benchsight_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            names.insert(tail[..end].to_owned());
            rest = &tail[end..];
        }
        names
    }

    #[test]
    fn the_shipped_alert_rules_and_dashboard_use_only_exported_metrics() {
        let mut exported: std::collections::BTreeSet<String> =
            fleet_gauges().iter().map(|g| g.0.to_owned()).collect();
        exported.insert("benchsight_http_requests_total".into());
        for suffix in ["bucket", "sum", "count"] {
            exported.insert(format!("benchsight_http_request_duration_seconds_{suffix}"));
        }
        let rules = include_str!("../../../ops/prometheus/alerts.yml");
        let dashboard = include_str!("../../../ops/grafana/benchsight-fleet.json");
        let _: serde_json::Value = serde_json::from_str(dashboard).unwrap();
        for (file, text) in [("alerts.yml", rules), ("benchsight-fleet.json", dashboard)] {
            let used = metric_names(text);
            assert!(!used.is_empty(), "{file}");
            let unknown: Vec<_> = used.difference(&exported).collect();
            assert!(
                unknown.is_empty(),
                "{file} uses metrics /metrics does not export: {unknown:?}"
            );
        }
        for alert in [
            "BenchSightDeviceOffline",
            "BenchSightBacklogGrowing",
            "BenchSightDiskNearlyFull",
        ] {
            assert!(rules.contains(&format!("alert: {alert}")), "{alert}");
        }
        let mut out = String::new();
        let row: FleetRow = (
            "league".into(),
            "rink-1".into(),
            true,
            Some(3.0),
            Some(12),
            Some(250),
            Some(5),
            Some(10),
            Some(29.9),
        );
        render_fleet(&mut out, &[row]);
        assert!(
            out.contains(
                "benchsight_device_backlog_records{tenant=\"league\",device=\"rink-1\"} 12"
            ),
            "{out}"
        );
        assert!(
            out.contains("benchsight_device_lag_seconds{tenant=\"league\",device=\"rink-1\"} 0.25"),
            "{out}"
        );
    }
}
