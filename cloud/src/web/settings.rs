//! The settings page, for admins: the tenant's clip retention, its API keys (a new key's secret
//! is shown once: it crosses the redirect after the form in a short-lived cookie that the page
//! clears as it shows it; keys are revoked from the list) and tracker imports (the page's script
//! sends the chosen file to `POST /api/v1/imports`).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::games::form_message;
use super::{CsrfForm, Viewer, check_csrf, render, views};
use crate::api::AppState;
use crate::api::admin::{Settings, key_name, load_settings, store_settings};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::credentials::{Role, create_api_key, list_api_keys, revoke_api_key};

/// What the page shows besides its standing content: a key just created, or why a form failed.
#[derive(Debug, Default)]
struct Outcome {
    new_key: Option<String>,
    message: Option<String>,
}

async fn render_settings(
    state: &AppState,
    caller: &Caller,
    outcome: Outcome,
) -> Result<Html<String>, ApiError> {
    caller.require(Role::Admin)?;
    let settings = load_settings(&state.db, &caller.tenant).await?;
    let keys = list_api_keys(&state.db, &caller.tenant).await?;
    render(&views::SettingsPage::new(
        caller,
        settings,
        keys,
        outcome.new_key,
        outcome.message,
    ))
}

/// The cookie that carries a new key to the page after the form's redirect.
const NEW_KEY_COOKIE: &str = "bs_new_key";
const SETTINGS_PATH: &str = "/settings";

pub(super) async fn settings_page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    jar: CookieJar,
) -> Result<(CookieJar, Html<String>), ApiError> {
    let outcome = Outcome {
        new_key: jar.get(NEW_KEY_COOKIE).map(|c| c.value().to_owned()),
        message: None,
    };
    let page = render_settings(&state, &caller, outcome).await?;
    let cleared = Cookie::build(NEW_KEY_COOKIE).path(SETTINGS_PATH).build();
    Ok((jar.remove(cleared), page))
}

/// After a form: back to the page, or the page again with why it was refused.
async fn after_form(
    state: &AppState,
    caller: &Caller,
    outcome: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(SETTINGS_PATH).into_response()),
        Err(error) => {
            let status = error.status();
            let message = Some(form_message(error)?);
            let page = Outcome {
                new_key: None,
                message,
            };
            Ok((status, render_settings(state, caller, page).await?).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RetentionForm {
    csrf: String,
    clip_retention_days: String,
}

pub(super) async fn retention_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Form(form): Form<RetentionForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Admin)?;
        let days = form
            .clip_retention_days
            .trim()
            .parse()
            .map_err(|_| ApiError::BadRequest("clip retention: a number of days".into()))?;
        let settings = Settings {
            clip_retention_days: days,
        };
        store_settings(&state.db, &caller.tenant, settings, &caller.actor()).await
    }
    .await;
    after_form(&state, &caller, outcome).await
}

#[derive(Debug, Deserialize)]
pub(super) struct KeyForm {
    csrf: String,
    name: String,
    role: Role,
}

pub(super) async fn create_key_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    jar: CookieJar,
    Form(form): Form<KeyForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let created = async {
        caller.require(Role::Admin)?;
        let name = key_name(&form.name)?;
        let (_, key) =
            create_api_key(&state.db, &caller.tenant, name, form.role, &caller.actor()).await?;
        Ok::<_, ApiError>(key)
    }
    .await;
    match created {
        // The key is stored nowhere: the page after the redirect shows it, and clears it.
        Ok(key) => {
            let cookie = Cookie::build((NEW_KEY_COOKIE, key))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.secure_cookies)
                .path(SETTINGS_PATH)
                .max_age(time::Duration::minutes(5))
                .build();
            Ok((jar.add(cookie), Redirect::to(SETTINGS_PATH)).into_response())
        }
        Err(error) => after_form(&state, &caller, Err(error)).await,
    }
}

pub(super) async fn revoke_key_form(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(key_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    check_csrf(&caller, &form.csrf)?;
    let outcome = async {
        caller.require(Role::Admin)?;
        revoke_api_key(&state.db, &caller.tenant, &key_id, &caller.actor()).await?;
        Ok(())
    }
    .await;
    after_form(&state, &caller, outcome).await
}
