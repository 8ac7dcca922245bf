//! SCA flows: `POST /ob/Ais/access` starts one, `PUT /ob/Ais/access` takes
//! it a step further, `GET /ob/findFlowId` reads a flow id from a callback.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine as _;
use chrono::Duration;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use saldo_gateway::{AccessContinueRequest, AccessRequest, AccessResponse, ResultStatus, StatusInfo, UserContext};

use super::card_reader::{self, CLIENT_NUMBER_PROMPT};
use super::{access_response, flow_context, parse, with_query, ApiResult};
use crate::banks::{Connector, ScaStyle};
use crate::error::ApiError;
use crate::state::{Consent, ConsentStatus, Flow, State, Step};
use crate::App;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn select_options() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("push".to_owned(), "Push notification in the Sandbox Bank app".to_owned()),
        ("sms".to_owned(), "SMS code to +31 6 ••• ••• 12".to_owned()),
    ])
}

/// What a bank that asks after the sign-in offers.
pub fn share_options() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("all".to_owned(), "All my accounts".to_owned()),
        ("current".to_owned(), "Current accounts only".to_owned()),
    ])
}

/// The URL of the page where the person signs in for this flow's current step.
pub fn bank_page_url(app: &App, c: &Connector, flow: &Flow, consent: &Consent) -> String {
    let base = &app.base_url;
    let redirect = flow.redirect_url.as_deref().unwrap_or_default();
    match (c.sca, flow.step) {
        (ScaStyle::OAuthTwoStep, Step::SecondCallback) => format!(
            "{base}/bank/{}/sca?consent={}&state={}&redirect_uri={}",
            c.id, consent.id, flow.id, enc(redirect)
        ),
        (ScaStyle::OAuthTwoStep, _) => format!(
            "{base}/bank/{}/authorize?response_type=code&client_id=SALDO_SANDBOX&scope=AIS&state={}&redirect_uri={}&code_challenge={}&code_challenge_method=S256",
            c.id, flow.id, enc(redirect), flow.code_challenge.as_deref().unwrap_or_default()
        ),
        (ScaStyle::ConsentRedirect, _) => format!(
            "{base}/bank/{}/psd2?consent_id={}&redirectBackUrl={}",
            c.id, consent.id, enc(&with_query(redirect, &format!("flowId={}", flow.id)))
        ),
        _ => format!("{base}/bank/{}/login?flow={}", c.id, flow.id),
    }
}

/// `POST /ob/Ais/access`: starts an SCA flow.
pub async fn post_access(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let req: AccessRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let ar = &req.accounts_access_request;
    if let Some(f) = ar.frequency_per_day {
        if !(1..=4).contains(&f) {
            return Err(ApiError::unprocessable(
                "InvalidRequestException",
                format!("frequencyPerDay must be between 1 and 4, got {f}."),
            ));
        }
    }
    super::users::check_registered(&app, req.user_context.as_ref())?;
    let redirect_url = ar.redirect_url.clone().filter(|u| !u.trim().is_empty());
    if c.sca != ScaStyle::Decoupled {
        let Some(u) = &redirect_url else {
            return Err(ApiError::unprocessable(
                "InvalidRequestException",
                "redirectUrl is required: the bank sends the person back there after SCA.",
            ));
        };
        if url::Url::parse(u).is_err() {
            return Err(ApiError::unprocessable(
                "InvalidRequestException",
                format!("redirectUrl {u:?} is not an absolute URL."),
            ));
        }
    }
    let references: Vec<&saldo_gateway::AccountReference> = ar
        .single_account
        .iter()
        .chain(ar.transaction_accounts.iter().flatten())
        .chain(ar.balance_accounts.iter().flatten())
        .collect();
    if c.currency_option == saldo_gateway::CurrencyOption::Required && references.iter().any(|r| r.currency.is_none()) {
        return Err(ApiError::unprocessable(
            "InvalidRequestException",
            "This bank needs the currency of every account given.",
        ));
    }
    let mut granted = Vec::new();
    for r in &references {
        let Some(iban) = r.iban.as_deref() else { continue };
        let normalized: String = iban.chars().filter(|ch| !ch.is_whitespace()).collect::<String>().to_ascii_uppercase();
        match c.accounts.iter().find(|a| a.iban == normalized) {
            Some(a) if !granted.contains(&a.id.to_owned()) => granted.push(a.id.to_owned()),
            Some(_) => {}
            None => {
                return Err(ApiError::unprocessable(
                    "AccountNotFoundException",
                    format!("The bank has no account {normalized} for this person."),
                ))
            }
        }
    }
    if c.access == saldo_gateway::AccessOption::Detailed && granted.is_empty() {
        return Err(ApiError::unprocessable(
            "InvalidRequestException",
            "This bank needs the account numbers up front: send the IBANs in transactionAccounts and balanceAccounts.",
        ));
    }
    if granted.is_empty() {
        granted = c.accounts.iter().map(|a| a.id.to_owned()).collect();
    }
    if let Some((name, _, _, _)) = c.additional {
        let value = ar.additional_properties.as_ref().and_then(|m| m.get(name)).map(|v| v.trim().to_owned());
        match value {
            None => {
                return Err(ApiError::unprocessable(
                    "MissingAdditionalPropertyException",
                    format!("The additional property {name:?} is required by this bank."),
                ))
            }
            Some(v) if v.len() != 8 || !v.chars().all(|ch| ch.is_ascii_digit()) => {
                return Err(ApiError::unprocessable(
                    "InvalidAdditionalPropertyException",
                    format!("{name} must be 8 digits."),
                ))
            }
            Some(_) => {}
        }
    }

    let mut st = app.state();
    let (user_key, created) = st.user_for_access(c.id, req.user_context.as_ref().map(UserContext::expose))?;
    let flow_id =
        ar.flow_id.clone().filter(|f| !f.trim().is_empty()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if st.flows.contains_key(&flow_id) {
        return Err(ApiError::unprocessable(
            "DuplicateFlowException",
            "This flowId was already used; every flow needs a new id.",
        ));
    }
    let now = st.now();
    let valid_until =
        (now + Duration::days(c.max_consent_days)).date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let consent = Consent {
        id: uuid::Uuid::new_v4().to_string(),
        user_key: user_key.clone(),
        connector_id: c.id,
        status: ConsentStatus::Pending,
        authorised_at: None,
        valid_until,
        token: format!("Bearer {}", uuid::Uuid::new_v4()),
        token_valid_until: if c.rotates_tokens { now + app.config.token_ttl } else { valid_until },
        refresh_token: c.rotates_tokens.then(|| uuid::Uuid::new_v4().to_string()),
        accounts: granted,
        deleted_accounts: Vec::new(),
        frequency_per_day: ar.frequency_per_day.unwrap_or(4),
        accounts_calls: 0,
        transactions_need_sca: false,
    };
    let verifier =
        (c.sca == ScaStyle::OAuthTwoStep).then(|| format!("{}_{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4()));
    let challenge = verifier.as_deref().map(pkce_challenge);
    let step = match c.sca {
        ScaStyle::SelectOption => Step::ChooseOption,
        ScaStyle::Decoupled => Step::Decoupled,
        ScaStyle::NoCallback => Step::NoCallback,
        ScaStyle::CardReader => Step::ClientNumber,
        _ => Step::FirstCallback,
    };
    let flow = Flow {
        id: flow_id.clone(),
        connector_id: c.id,
        user_key: user_key.clone(),
        consent_id: consent.id.clone(),
        step,
        redirect_url,
        created_at: now,
        expires_at: now + app.config.flow_ttl,
        code_challenge: challenge,
        approved: None,
        option: None,
        challenge: None,
        wrong_answers: 0,
    };
    let fctx = flow_context(&flow, &consent, verifier.as_deref());
    let user_ctx = created.then(|| st.context_of(&user_key));
    let mut resp = match c.sca {
        ScaStyle::SelectOption => {
            let mut r = access_response(ResultStatus::SelectOption, None, Some(fctx), user_ctx);
            r.options = Some(select_options());
            r
        }
        ScaStyle::Decoupled => access_response(
            ResultStatus::Decoupled,
            Some(format!(
                "Open the {} app on your phone and confirm the access (simulated at {}/bank/{}/app).",
                c.name, app.base_url, c.id
            )),
            Some(fctx),
            user_ctx,
        ),
        ScaStyle::CardReader => {
            access_response(ResultStatus::MoreInfo, Some(CLIENT_NUMBER_PROMPT.to_owned()), Some(fctx), user_ctx)
        }
        _ => {
            access_response(ResultStatus::Redirect, Some(bank_page_url(&app, c, &flow, &consent)), Some(fctx), user_ctx)
        }
    };
    if c.sca == ScaStyle::NoCallback {
        resp.status_info = StatusInfo::NoCallback;
    }
    st.consents.insert(consent.id.clone(), consent);
    st.flows.insert(flow_id, flow);
    app.persist(&st);
    Ok(Json(resp).into_response())
}

/// S256 PKCE challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IncomingFlow {
    id: String,
    #[serde(default)]
    code_verifier: Option<String>,
}

fn query_map(data: &str) -> BTreeMap<String, String> {
    let q = data.trim().trim_start_matches('?');
    let q = q.split_once('?').map_or(q, |(_, after)| after);
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Completes a flow: the consent becomes active; at LINKED banks older consents end (R8).
pub(super) fn activate(st: &mut State, c: &Connector, flow_id: &str) -> String {
    let now = st.now();
    let Some(flow) = st.flows.get_mut(flow_id) else { return String::new() };
    flow.step = Step::Done;
    let (user_key, consent_id) = (flow.user_key.clone(), flow.consent_id.clone());
    if c.linking == saldo_gateway::LinkingOption::Linked {
        for other in st.consents.values_mut() {
            if other.user_key == user_key && other.id != consent_id && other.status == ConsentStatus::Active {
                other.status = ConsentStatus::Revoked;
            }
        }
    }
    if let Some(consent) = st.consents.get_mut(&consent_id) {
        consent.status = ConsentStatus::Active;
        consent.authorised_at = Some(now);
    }
    if let Some(user) = st.users.get_mut(&user_key) {
        if !user.consent_ids.contains(&consent_id) {
            user.consent_ids.push(consent_id);
        }
    }
    st.context_of(&user_key)
}

pub(super) fn fail(st: &mut State, flow_id: &str, message: &str) -> AccessResponse {
    if let Some(flow) = st.flows.get_mut(flow_id) {
        flow.step = Step::Failed;
    }
    access_response(ResultStatus::Error, Some(message.to_owned()), None, None)
}

/// `PUT /ob/Ais/access`: the next step of a flow.
pub async fn put_access(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let req: AccessContinueRequest = parse(&body)?;
    let incoming: IncomingFlow = serde_json::from_str(req.flow.expose()).map_err(|_| {
        ApiError::bad_request(
            "InvalidFlowContextException",
            "The flow context is not one this gateway issued (it cannot be read).",
        )
    })?;
    let mut st = app.state();
    let Some(flow) = st.flows.get(&incoming.id).cloned() else {
        return Err(ApiError::bad_request(
            "UnknownFlowException",
            "This flow was not started by this gateway, or it was removed.",
        ));
    };
    let c = app.connector(flow.connector_id)?;
    let now = st.now();
    if matches!(flow.step, Step::Done | Step::Failed) {
        return Err(ApiError::bad_request("FlowCompletedException", "This flow is already finished; start a new one."));
    }
    if now > flow.expires_at {
        st.flows.entry(flow.id.clone()).and_modify(|f| f.step = Step::Failed);
        app.persist(&st);
        return Err(ApiError::bad_request(
            "FlowExpiredException",
            "This flow expired before it was completed; start a new one.",
        ));
    }
    if let Some(ctx) = &req.user_context {
        let inc = crate::state::parse_context(ctx.expose())?;
        if format!("{}:{}", inc.user_id, c.id) != flow.user_key {
            return Err(ApiError::bad_request(
                "InvalidUserContextException",
                "This user context does not belong to this flow.",
            ));
        }
    }
    let data = req.data_string.clone().unwrap_or_default();
    let params = query_map(&data);
    let consent = st
        .consents
        .get(&flow.consent_id)
        .cloned()
        .ok_or_else(|| ApiError::bad_request("UnknownFlowException", "The flow's consent is gone."))?;
    let denied_message = || {
        params
            .get("error_description")
            .cloned()
            .unwrap_or_else(|| format!("The person did not authorise access at {}.", c.name))
    };
    let resp = match flow.step {
        Step::ChooseOption => {
            let choice = data.trim().trim_start_matches('?');
            let choice = params.get("option").map_or(choice, String::as_str).to_owned();
            if !select_options().contains_key(&choice) {
                return Err(ApiError::unprocessable(
                    "InvalidOptionException",
                    format!("{choice:?} is not one of the offered options (push, sms)."),
                ));
            }
            let f = st.flows.get_mut(&flow.id).ok_or_else(|| ApiError::bad_request("UnknownFlowException", "gone"))?;
            f.option = Some(choice);
            f.step = Step::FirstCallback;
            let f = f.clone();
            access_response(
                ResultStatus::Redirect,
                Some(bank_page_url(&app, c, &f, &consent)),
                Some(flow_context(&f, &consent, None)),
                None,
            )
        }
        Step::ChooseAfterSignIn => {
            let choice = data.trim().trim_start_matches('?').to_owned();
            if !share_options().contains_key(&choice) {
                return Err(ApiError::unprocessable(
                    "InvalidOptionException",
                    format!("{choice:?} is not one of the offered options (all, current)."),
                ));
            }
            let ctx = activate(&mut st, c, &flow.id);
            access_response(ResultStatus::Done, None, None, Some(ctx))
        }
        Step::ClientNumber | Step::ResponseCode => card_reader::answer(&mut st, c, &flow.id, &consent, &data)?,
        Step::FirstCallback if params.contains_key("error") => fail(&mut st, &flow.id, &denied_message()),
        Step::FirstCallback if c.sca == ScaStyle::OAuthTwoStep => {
            let code = params.get("code").cloned().unwrap_or_default();
            let valid = st.codes.get(&code).is_some_and(|k| k.flow_id == flow.id && !k.used && k.expires_at > now);
            if !valid || params.get("state") != Some(&flow.id) {
                return Err(ApiError::bad_request(
                    "InvalidAuthorizationCodeException",
                    "The authorization code is missing, unknown, already used or expired, or the state does not match.",
                ));
            }
            let verifier = incoming.code_verifier.unwrap_or_default();
            if Some(pkce_challenge(&verifier)) != flow.code_challenge {
                return Err(ApiError::bad_request(
                    "PkceVerificationException",
                    "The code verifier in the flow context does not match the code challenge (PKCE).",
                ));
            }
            if let Some(k) = st.codes.get_mut(&code) {
                k.used = true;
            }
            let f = st.flows.get_mut(&flow.id).ok_or_else(|| ApiError::bad_request("UnknownFlowException", "gone"))?;
            f.step = Step::SecondCallback;
            f.approved = None;
            let f = f.clone();
            // The consent (with its tokens) enters the user context now, still without accounts.
            if let Some(user) = st.users.get_mut(&flow.user_key) {
                if !user.consent_ids.contains(&consent.id) {
                    user.consent_ids.push(consent.id.clone());
                }
            }
            let ctx = st.context_of(&flow.user_key);
            access_response(
                ResultStatus::Redirect,
                Some(bank_page_url(&app, c, &f, &consent)),
                Some(flow_context(&f, &consent, None)),
                Some(ctx),
            )
        }
        Step::FirstCallback | Step::SecondCallback | Step::Decoupled | Step::NoCallback => {
            let identifies = params.get("flowId") == Some(&flow.id) || params.get("state") == Some(&flow.id);
            let callback_needed = matches!(flow.step, Step::FirstCallback | Step::SecondCallback);
            match flow.approved {
                Some(true) if callback_needed && !identifies => {
                    return Err(ApiError::bad_request(
                        "InvalidCallbackException",
                        "The callback does not identify this flow.",
                    ));
                }
                Some(true) if c.sca == ScaStyle::SignInThenChoose && flow.step == Step::FirstCallback => {
                    let f = st
                        .flows
                        .get_mut(&flow.id)
                        .ok_or_else(|| ApiError::bad_request("UnknownFlowException", "gone"))?;
                    f.step = Step::ChooseAfterSignIn;
                    let f = f.clone();
                    let mut r =
                        access_response(ResultStatus::SelectOption, None, Some(flow_context(&f, &consent, None)), None);
                    r.options = Some(share_options());
                    r
                }
                Some(true) => {
                    let ctx = activate(&mut st, c, &flow.id);
                    access_response(ResultStatus::Done, None, None, Some(ctx))
                }
                Some(false) => fail(&mut st, &flow.id, &denied_message()),
                None if flow.step == Step::Decoupled => access_response(
                    ResultStatus::Decoupled,
                    Some(format!("Still waiting for confirmation in the {} app.", c.name)),
                    Some(flow_context(&flow, &consent, None)),
                    None,
                ),
                None => {
                    let mut r = access_response(
                        ResultStatus::Redirect,
                        Some(bank_page_url(&app, c, &flow, &consent)),
                        Some(flow_context(&flow, &consent, None)),
                        None,
                    );
                    if flow.step == Step::NoCallback {
                        r.status_info = StatusInfo::NoCallback;
                    }
                    r
                }
            }
        }
        Step::Done | Step::Failed => {
            return Err(ApiError::bad_request("FlowCompletedException", "This flow is already finished."))
        }
    };
    app.persist(&st);
    Ok(Json(resp).into_response())
}

/// `GET /ob/findFlowId?<callback query>`: `flowId` wins over `state`.
pub async fn find_flow_id(RawQuery(q): RawQuery) -> ApiResult {
    let params = query_map(q.as_deref().unwrap_or_default());
    let id = params.get("flowId").or_else(|| params.get("flowid")).or_else(|| params.get("state"));
    match id {
        Some(id) if !id.is_empty() => {
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], id.clone()).into_response())
        }
        _ => Err(ApiError::bad_request("FlowIdNotFoundException", "The query string carries no flowId or state.")),
    }
}
