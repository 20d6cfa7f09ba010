//! The cloud's HTTP API (axum): one module per resource, one error type ([`error::ApiError`]),
//! the caller's tenant from its session or API key in every query ([`caller::Caller`]), and an
//! OpenAPI document generated from the handlers themselves (utoipa), served at `/openapi.json`.
//!
//! - [`session`]: log in and out (session cookies), who am I.
//! - [`games`]: games, a game's score by period and box score, its events and shots.
//! - [`live`]: a game's live updates as Server-Sent Events.
//! - [`review`]: accept / reject / edit an event, add a missed one, finalise a game.
//! - [`fleet`]: rinks and devices.
//! - [`control`]: schedule, start and end games on appliances; calibrations; command acks.
//! - [`clips`]: clip upload (device token), playback with range requests.
//! - [`admin`]: the tenant's settings (clip retention), API keys, tracker imports.
//! - [`health`]: `/healthz`, `/readyz`, `/metrics` and the request metrics middleware.

pub mod admin;
pub mod caller;
pub mod clips;
pub mod control;
pub mod error;
pub mod fleet;
pub mod games;
pub mod health;
pub mod live;
pub mod review;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::clips::ClipStore;
use crate::control::CommandSender;
use crate::db::Database;
use crate::live::GameChanges;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub logins: Arc<session::LoginThrottle>,
    pub http_metrics: Arc<health::HttpMetrics>,
    /// Mark cookies `Secure` (the service is reached over HTTPS).
    pub secure_cookies: bool,
    /// The MQTT broker's host and port, for readiness.
    pub broker: Arc<(String, u16)>,
    /// Game changes for the live pages (fed by [`serve`]).
    pub changes: GameChanges,
    /// Cancelled when the service stops: long-lived answers (live streams) end with it.
    pub shutdown: CancellationToken,
    pub clips: ClipStore,
    /// The largest clip upload accepted.
    pub max_clip_bytes: usize,
    /// Commands to appliances; `None` when the service has no broker connection.
    pub commands: Option<CommandSender>,
}

impl AppState {
    pub fn new(
        db: Database,
        secure_cookies: bool,
        broker: (String, u16),
        clips: ClipStore,
    ) -> Self {
        Self {
            db,
            logins: Arc::default(),
            http_metrics: Arc::default(),
            secure_cookies,
            broker: Arc::new(broker),
            changes: GameChanges::default(),
            shutdown: CancellationToken::new(),
            clips,
            max_clip_bytes: 200 * 1024 * 1024,
            commands: None,
        }
    }
}

/// The OpenAPI document: every route of the API, from the handlers' annotations.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "BenchSight cloud API", description = "Games, statistics, events, shots and the \
        fleet of a tenant. Authenticate with `Authorization: Bearer bsk.…` (an API key) or the \
        dashboard's session cookie."),
    paths(
        session::create_session, session::current_session, session::delete_session,
        games::list_games, games::get_game, games::list_events, games::list_shots,
        live::live, review::review_queue, review::review, review::add_event, review::finalise,
        fleet::list_rinks, fleet::list_devices,
        clips::upload_clip, clips::play_clip,
        admin::get_settings, admin::put_settings, admin::list_keys, admin::create_key,
        admin::revoke_key, admin::import,
        control::schedule, control::start, control::end, control::calibrate, control::commands,
        health::healthz, health::readyz, health::metrics,
    ),
    components(schemas(live::LiveUpdate)),
    modifiers(&Security),
    security(("api_key" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// Declares the two ways to authenticate.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bsk.TENANT.ID.SECRET")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(caller::SESSION_COOKIE))),
        );
    }
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// The whole HTTP surface: the API and the dashboard.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/session",
            get(session::current_session)
                .post(session::create_session)
                .delete(session::delete_session),
        )
        .route(
            "/api/v1/games",
            get(games::list_games).post(control::schedule),
        )
        .route("/api/v1/games/{game_id}/start", post(control::start))
        .route("/api/v1/games/{game_id}/end", post(control::end))
        .route(
            "/api/v1/devices/{device_id}/calibration",
            post(control::calibrate),
        )
        .route(
            "/api/v1/devices/{device_id}/commands",
            get(control::commands),
        )
        .route("/api/v1/games/{game_id}", get(games::get_game))
        .route(
            "/api/v1/games/{game_id}/events",
            get(games::list_events).post(review::add_event),
        )
        .route(
            "/api/v1/games/{game_id}/events/{event_id}/review",
            post(review::review),
        )
        .route("/api/v1/games/{game_id}/finalise", post(review::finalise))
        .route("/api/v1/review", get(review::review_queue))
        .route("/api/v1/clips/{event_id}", get(clips::play_clip))
        .route(
            "/api/v1/settings",
            get(admin::get_settings).put(admin::put_settings),
        )
        .route(
            "/api/v1/api-keys",
            get(admin::list_keys).post(admin::create_key),
        )
        .route(
            "/api/v1/api-keys/{key_id}",
            axum::routing::delete(admin::revoke_key),
        )
        .route(
            "/api/v1/imports",
            post(admin::import).layer(axum::extract::DefaultBodyLimit::max(
                admin::MAX_IMPORT_BYTES,
            )),
        )
        .route(
            "/device-api/v1/{tenant}/{device}/clips/{event_id}",
            axum::routing::put(clips::upload_clip)
                .layer(axum::extract::DefaultBodyLimit::max(state.max_clip_bytes)),
        )
        .route("/api/v1/games/{game_id}/shots", get(games::list_shots))
        .route("/api/v1/games/{game_id}/live", get(live::live))
        .route("/api/v1/rinks", get(fleet::list_rinks))
        .route("/api/v1/devices", get(fleet::list_devices))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi_json))
        .merge(crate::web::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            games::forget_written_games,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            health::track,
        ))
        .with_state(state)
}

/// Serves the API on `listener` until `cancel`, finishing requests in flight (live streams
/// end with it), and listens for game changes meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    state.shutdown = cancel.clone();
    let changes = state.changes.clone();
    let listening = tokio::spawn({
        let (db, cancel) = (state.db.clone(), cancel.clone());
        async move { changes.run(db, cancel).await }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await;
    let _ = listening.await;
    served
}
