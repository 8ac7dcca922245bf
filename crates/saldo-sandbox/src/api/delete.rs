//! Deleting an account from a consent and revoking a consent.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use saldo_gateway::DeleteRequest;

use super::{authorise, parse, ApiResult};
use crate::error::ApiError;
use crate::state::ConsentStatus;
use crate::App;

fn context_body(ctx: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], ctx).into_response()
}

/// `PUT /ob/Ais/accounts/delete`: answers with the updated user context.
pub async fn delete_account(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let req: DeleteRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let user_key = auth.user_key;
    let mut found = false;
    for id in auth.consent_ids {
        if let Some(k) = st.consents.get_mut(&id) {
            if k.user_key == user_key
                && k.status == ConsentStatus::Active
                && k.accounts.contains(&req.id)
                && !k.deleted_accounts.contains(&req.id)
            {
                k.deleted_accounts.push(req.id.clone());
                found = true;
            }
        }
    }
    if !found {
        return Err(ApiError::bad_request(
            "AccountNotFoundException",
            format!("No consent of this user covers account {:?}.", req.id),
        )
        .with_context(rotated));
    }
    let ctx = st.context_of(&user_key);
    app.persist(&st);
    Ok(context_body(ctx))
}

/// `PUT /ob/Ais/consents/delete`: revokes a consent; answers with the updated user context.
pub async fn delete_consent(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let req: DeleteRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let user_key = auth.user_key;
    match st.consents.get_mut(&req.id) {
        Some(k) if k.user_key == user_key => k.status = ConsentStatus::Revoked,
        _ => {
            return Err(ApiError::bad_request(
                "ConsentNotFoundException",
                format!("This user has no consent {:?}.", req.id),
            )
            .with_context(rotated))
        }
    }
    let ctx = st.context_of(&user_key);
    app.persist(&st);
    Ok(context_body(ctx))
}
