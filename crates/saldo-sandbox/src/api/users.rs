//! The person endpoints of a real gateway: its terms and privacy notice
//! (versioned, in several languages), the registration of a person who
//! accepted a version, and which version a person accepted.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use saldo_gateway::{NewUser, Registration, Terms, TermsAccepted, UserContext};

use super::{parse, ApiResult};
use crate::error::ApiError;
use crate::App;

/// The languages the sandbox's terms exist in.
pub const TERMS_LANGUAGES: [&str; 3] = ["en", "fr", "nl"];

/// Query of the terms.
#[derive(Deserialize)]
pub struct TermsQuery {
    #[serde(default)]
    language: Option<String>,
}

/// `GET /ob/gw/tc/latest?language=xx`: English when the language is not offered.
pub async fn terms(AxState(app): AxState<Arc<App>>, Query(q): Query<TermsQuery>) -> ApiResult {
    let version = app.terms_version.load(Ordering::Relaxed);
    let wanted = q.language.unwrap_or_default().to_ascii_lowercase();
    let language = TERMS_LANGUAGES.iter().find(|l| **l == wanted).copied().unwrap_or("en");
    let (tc, privacy) = match language {
        "fr" => ("Conditions générales du bac à sable, version", "Avis de confidentialité du bac à sable, version"),
        "nl" => ("Algemene voorwaarden van de zandbak, versie", "Privacyverklaring van de zandbak, versie"),
        _ => ("Sandbox gateway terms and conditions, version", "Sandbox gateway privacy notice, version"),
    };
    Ok(Json(Terms {
        tc: format!("{tc} {version}.\n\nThe sandbox serves simulated banks only."),
        privacy: format!("{privacy} {version}.\n\nThe sandbox keeps its state in a local file."),
        version,
        language: Some(language.to_owned()),
        available_languages: TERMS_LANGUAGES.iter().map(|l| (*l).to_owned()).collect(),
    })
    .into_response())
}

/// `POST /ob/gw/users`: a person who accepted the current terms version.
pub async fn register(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let user: NewUser = parse(&body)?;
    let current = app.terms_version.load(Ordering::Relaxed);
    if user.firstname.trim().is_empty() || user.lastname.trim().is_empty() {
        return Err(ApiError::unprocessable("InvalidUserException", "A first and a last name are required."));
    }
    if !user.email.contains('@') || user.email.trim().len() < 3 {
        return Err(ApiError::unprocessable(
            "InvalidUserException",
            format!("{:?} is not an e-mail address.", user.email),
        ));
    }
    if user.validated_version_tc != current {
        return Err(ApiError::unprocessable(
            "TermsVersionException",
            format!("The terms accepted ({}) are not the current ones ({current}).", user.validated_version_tc),
        ));
    }
    let psuid = app
        .psu_by_email
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(user.email.trim().to_ascii_lowercase())
        .or_insert_with(|| uuid::Uuid::new_v4().to_string())
        .clone();
    app.registrations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(psuid.clone(), current);
    let context = serde_json::json!({ "UserId": psuid, "Consents": [], "Accounts": [] }).to_string();
    Ok(Json(Registration {
        psuid,
        action: Some("OK".into()),
        url: None,
        user_context: Some(UserContext::new(context)),
    })
    .into_response())
}

/// `GET /ob/gw/users/{psuId}/tc/latest`.
pub async fn accepted_terms(AxState(app): AxState<Arc<App>>, Path(psu_id): Path<String>) -> ApiResult {
    let accepted = app.registrations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&psu_id).copied();
    match accepted {
        Some(version) => Ok(Json(TermsAccepted { psu_id, version }).into_response()),
        None => Err(ApiError::bad_request("UserNotFoundException", "No person of this gateway has that id.")),
    }
}

/// In a gateway that serves registered people only: whether the person of
/// this user context may start an access request.
pub fn check_registered(app: &App, user_context: Option<&UserContext>) -> Result<(), ApiError> {
    if !app.config.registration_required {
        return Ok(());
    }
    let user = user_context.and_then(|c| crate::state::parse_context(c.expose()).ok()).map(|c| c.user_id);
    let accepted =
        user.and_then(|u| app.registrations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&u).copied());
    let current = app.terms_version.load(Ordering::Relaxed);
    match accepted {
        None => Err(ApiError::bad_request(
            "UserNotRegisteredException",
            "This person is not registered with the gateway: accept its terms and register first.",
        )),
        Some(v) if v < current => Err(ApiError::bad_request(
            "TermsNotAcceptedException",
            format!("The gateway's terms changed (version {current}); accept them again."),
        )),
        Some(_) => Ok(()),
    }
}
