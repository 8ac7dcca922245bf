//! The gateway API (seed 004) over the simulated banks.
//!
//! One module per resource: [`catalog`] (banks and access options), [`access`]
//! (starting and continuing SCA flows), [`card_reader`] (the card-reader bank's
//! questions), [`data`] (accounts, balances, transactions) and [`delete`]
//! (accounts and consents). This module holds what they share; the handlers
//! are re-exported here, so the router names them `api::banks` and so on.

use axum::body::Bytes;
use axum::response::Response;
use serde::de::DeserializeOwned;

use saldo_gateway::{AccessResponse, FlowContext, ResultStatus, StatusInfo, UserContext};

use crate::error::ApiError;
use crate::state::{Authorised, Consent, Flow, State};
use crate::App;

mod access;
mod card_reader;
mod catalog;
mod data;
mod delete;
pub mod users;

pub use access::{bank_page_url, find_flow_id, pkce_challenge, post_access, put_access};
pub use card_reader::{card_reader_response, response_code_prompt, CLIENT_NUMBER_PROMPT};
pub use catalog::{banks, options, BanksQuery};
pub use data::{accounts, balances, transactions, transactions_next};
pub use delete::{delete_account, delete_consent};

type ApiResult = Result<Response, ApiError>;

/// Decodes a JSON request body; a bad body is a 400 with an error body.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("InvalidRequestException", format!("The request body is not valid: {e}")))
}

fn flow_context(flow: &Flow, consent: &Consent, verifier: Option<&str>) -> FlowContext {
    FlowContext::new(
        serde_json::json!({
            "Id": flow.id,
            "ConnectorType": flow.connector_id,
            "AccountAccessProperties": {
                "ConsentId": consent.id,
                "ValidUntil": consent.valid_until.to_rfc3339(),
                "TransactionAccounts": consent.accounts,
                "BalanceAccounts": consent.accounts,
            },
            "AdditionalProperties": {},
            "FlowType": 0,
            "CodeVerifier": verifier,
            "RedirectUrl": flow.redirect_url,
        })
        .to_string(),
    )
}

/// Appends a query to a URL that may already have one.
pub(crate) fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

fn access_response(
    result: ResultStatus,
    data: Option<String>,
    flow: Option<FlowContext>,
    user: Option<String>,
) -> AccessResponse {
    AccessResponse {
        result_status: result,
        status_info: StatusInfo::Default,
        data_string: data,
        options: None,
        flow_context: flow,
        user_context: user.map(UserContext::new),
        raw_response: None,
    }
}

/// Checks a data call's context; on success returns the user and, if tokens
/// rotated, the new context to send back (R1).
fn authorise(
    app: &App,
    st: &mut State,
    connector_id: i64,
    ctx: Option<&UserContext>,
) -> Result<(Authorised, Option<String>), ApiError> {
    let auth = st.authorise(connector_id, ctx.map(UserContext::expose), app.config.token_ttl)?;
    let rotated = auth.rotated.then(|| st.context_of(&auth.user_key));
    if auth.rotated {
        app.persist(st);
    }
    Ok((auth, rotated))
}
