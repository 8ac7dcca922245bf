//! The gateway API (seed 004) over the simulated banks.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State as AxState};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use chrono::{Days, Duration};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use saldo_gateway::{
    AccessContinueRequest, AccessRequest, AccessResponse, Account, AccountConsent, AccountDataRequest, AccountsRequest,
    AccountsResponse, Amount, Balance, BalanceAmount, BalanceType, BalancesResponse, Bank, BankBicEntry, BankDateTime,
    BankExtraInfo, BankStatus, DeleteRequest, FlowContext, PagerContext, ResultStatus, StatusInfo,
    TransactionsNextRequest, TransactionsResponse, UserContext,
};

use crate::banks::{Connector, ScaStyle};
use crate::data;
use crate::error::ApiError;
use crate::state::{AccountAccess, Authorised, Consent, ConsentStatus, Flow, State, Step};
use crate::App;

type ApiResult = Result<Response, ApiError>;

/// Decodes a JSON request body; a bad body is a 400 with an error body.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("InvalidRequestException", format!("The request body is not valid: {e}")))
}

fn connector_id(text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::bad_request("InvalidConnectorException", format!("{text:?} is not a connector id.")))
}

/// Query of the bank catalog.
#[derive(Deserialize)]
pub struct BanksQuery {
    #[serde(rename = "countryCode", alias = "countrycode", alias = "CountryCode")]
    country_code: Option<String>,
}

/// `GET /ob/banks?countryCode=`.
pub async fn banks(AxState(app): AxState<Arc<App>>, Query(q): Query<BanksQuery>) -> Response {
    let wanted = q.country_code.map(|c| c.to_ascii_uppercase());
    let list: Vec<Bank> = app
        .connectors
        .iter()
        .filter(|c| wanted.as_deref().is_none_or(|w| w == c.country))
        .map(|c| Bank {
            fullname: c.name.to_owned(),
            connector_id: c.id,
            logo_url: Some(format!("{}/logos/{}.svg", app.base_url, c.id)),
            country_iso: c.country.to_owned(),
            status: BankStatus::from(c.status),
            bank_group: Some(c.group.to_owned()),
            extra_info: Some(BankExtraInfo {
                bics: Some(vec![BankBicEntry { bic: Some(c.bic.to_owned()), branch_code: None }]),
            }),
        })
        .collect();
    Json(list).into_response()
}

/// `GET /ob/Ais/access/options/{connectorId}`.
pub async fn options(AxState(app): AxState<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let c = app.connector(connector_id(&id)?)?;
    Ok(Json(c.options()).into_response())
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

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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

fn select_options() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("push".to_owned(), "Push notification in the Sandbox Bank app".to_owned()),
        ("sms".to_owned(), "SMS code to +31 6 ••• ••• 12".to_owned()),
    ])
}

/// Wrong answers a card-reader bank accepts at one step before it ends the flow.
const CARD_READER_TRIES: u32 = 3;

/// What a card-reader bank asks first (MORE_INFO). The gateway's `dataString`
/// carries the bank's question; the answer goes back in the PUT's `dataString`.
pub const CLIENT_NUMBER_PROMPT: &str = "Enter your client number (the 10 digits on your bank card).";

/// What a card-reader bank asks second (PASSWORD): the response code to a challenge.
pub fn response_code_prompt(challenge: &str) -> String {
    format!(
        "Put your bank card in your card reader, press IDENTIFY, type the challenge {challenge} \
and enter the 8-digit response code it shows. (Sandbox card reader: the response is the challenge's digits in reverse order.)"
    )
}

/// A fresh 8-digit challenge, grouped like a card reader shows it ("4821 3310").
fn new_challenge() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    let d = format!("{n:08}");
    format!("{} {}", &d[..4], &d[4..])
}

/// The sandbox card reader: the challenge's digits in reverse order.
pub fn card_reader_response(challenge: &str) -> String {
    challenge.chars().filter(char::is_ascii_digit).rev().collect()
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
fn activate(st: &mut State, c: &Connector, flow_id: &str) -> String {
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

fn fail(st: &mut State, flow_id: &str, message: &str) -> AccessResponse {
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
        Step::ClientNumber | Step::ResponseCode => {
            let answer: String = data.chars().filter(|ch| !ch.is_whitespace() && *ch != '.').collect();
            let f = st.flows.get_mut(&flow.id).ok_or_else(|| ApiError::bad_request("UnknownFlowException", "gone"))?;
            let right = match f.step {
                Step::ClientNumber => answer.len() == 10 && answer.chars().all(|ch| ch.is_ascii_digit()),
                _ => f.challenge.as_deref().is_some_and(|ch| card_reader_response(ch) == answer),
            };
            if right && f.step == Step::ClientNumber {
                let challenge = new_challenge();
                f.step = Step::ResponseCode;
                f.challenge = Some(challenge.clone());
                f.wrong_answers = 0;
                let f = f.clone();
                access_response(
                    ResultStatus::Password,
                    Some(response_code_prompt(&challenge)),
                    Some(flow_context(&f, &consent, None)),
                    None,
                )
            } else if right {
                let ctx = activate(&mut st, c, &flow.id);
                access_response(ResultStatus::Done, None, None, Some(ctx))
            } else {
                f.wrong_answers += 1;
                let (status, again) = match f.step {
                    Step::ClientNumber => (
                        ResultStatus::MoreInfo,
                        format!("That is not a 10-digit client number. {CLIENT_NUMBER_PROMPT}"),
                    ),
                    _ => (
                        ResultStatus::Password,
                        format!(
                            "That response code is not right. {}",
                            response_code_prompt(f.challenge.as_deref().unwrap_or_default())
                        ),
                    ),
                };
                if f.wrong_answers >= CARD_READER_TRIES {
                    let msg = format!("{} ended this sign-in after {CARD_READER_TRIES} wrong answers.", c.name);
                    fail(&mut st, &flow.id, &msg)
                } else {
                    let f = f.clone();
                    access_response(status, Some(again), Some(flow_context(&f, &consent, None)), None)
                }
            }
        }
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

/// `POST /ob/Ais/accounts`.
pub async fn accounts(AxState(app): AxState<Arc<App>>, body: Bytes) -> ApiResult {
    let req: AccountsRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let now = st.now();
    let mut live = Vec::new();
    let mut lost = false;
    for id in auth.consent_ids.iter().rev() {
        match st.consents.get(id).filter(|k| k.user_key == auth.user_key) {
            Some(k) if k.status == ConsentStatus::Active && k.valid_until > now => live.push(id.clone()),
            Some(k) if k.status != ConsentStatus::Pending => lost = true,
            _ => {}
        }
    }
    if live.is_empty() && lost {
        return Err(ApiError::bad_request(
            "ConsentExpiredException",
            "The consent expired or was revoked: the person must authenticate at the bank again (SCA).",
        )
        .with_context(rotated));
    }
    let mut out: Vec<Account> = Vec::new();
    for id in live {
        let Some(k) = st.consents.get_mut(&id) else { continue };
        k.accounts_calls += 1;
        let calls = k.accounts_calls;
        let consent = AccountConsent {
            consent_id: Some(k.id.clone()),
            valid_until: Some(BankDateTime::from_instant(k.valid_until.fixed_offset())),
            status: Some(0),
            status_at: None,
            settings_id: None,
        };
        for acc_id in k.accounts.iter().filter(|a| !k.deleted_accounts.contains(a)) {
            let Some(spec) = c.account(acc_id) else { continue };
            let present =
                spec.appears_from_call.is_none_or(|n| calls >= n) && spec.gone_from_call.is_none_or(|n| calls < n);
            if !present || out.iter().any(|a| a.id == spec.id) {
                continue;
            }
            out.push(Account {
                id: spec.id.to_owned(),
                owner_name: spec.owner.map(str::to_owned),
                currency: Some(spec.currency.to_owned()),
                iban: Some(spec.iban.to_owned()),
                description: spec.description.map(str::to_owned),
                generic_account_identifications: None,
                bic: spec.bic.map(str::to_owned),
                cash_account_type: Some(spec.cash_account_type.to_owned()),
                cash_account_type_raw: None,
                product: spec.product.map(str::to_owned),
                psu_status: None,
                transactions_consent: Some(consent.clone()),
                balances_consent: Some(consent.clone()),
            });
        }
    }
    app.persist(&st);
    Ok(Json(AccountsResponse { accounts: out, user_context: rotated.map(UserContext::new), raw_response: None })
        .into_response())
}

/// Resolves an account for a data call; `Ok(None)` means the consent is lost.
fn account_access<'a>(
    st: &State,
    c: &'a Connector,
    auth: &Authorised,
    account_id: &str,
    rotated: &Option<String>,
) -> Result<Option<(&'a crate::banks::AccountSpec, Consent)>, ApiError> {
    match st.consent_for_account(&auth.user_key, &auth.consent_ids, account_id) {
        AccountAccess::Granted(cid) => {
            let spec = c
                .account(account_id)
                .ok_or_else(|| ApiError::bad_request("AccountNotFoundException", "Unknown account."))?;
            let consent = st
                .consents
                .get(&cid)
                .cloned()
                .ok_or_else(|| ApiError::bad_request("AccountNotFoundException", "Unknown account."))?;
            Ok(Some((spec, consent)))
        }
        AccountAccess::ConsentLost => Ok(None),
        AccountAccess::Unknown => Err(ApiError::bad_request(
            "AccountNotFoundException",
            format!("No consent of this user covers account {account_id:?}."),
        )
        .with_context(rotated.clone())),
    }
}

/// `POST /ob/Ais/accounts/{accountId}/balances`.
pub async fn balances(AxState(app): AxState<Arc<App>>, Path(account_id): Path<String>, body: Bytes) -> ApiResult {
    let req: AccountDataRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let Some((spec, _)) = account_access(&st, c, &auth, &account_id, &rotated)? else {
        return Ok(Json(BalancesResponse {
            balances: vec![],
            user_context: rotated.map(UserContext::new),
            raw_response: None,
            is_consent_lost: Some(true),
        })
        .into_response());
    };
    let today = st.now().date_naive();
    let (seed, epoch) = (st.seed, st.epoch);
    drop(st);
    let count = data::visible_count(epoch, spec, today);
    let booked = data::booked_balance(seed, c, spec, count);
    let yesterday = today.pred_opt().unwrap_or(today);
    let bal = |t: BalanceType, raw: &str, amount, date| Balance {
        balance_type: t,
        raw_balance_type: Some(raw.to_owned()),
        reference_date: Some(BankDateTime::from_date(date)),
        last_change_date_time: None,
        balance_amount: BalanceAmount { currency: Some(spec.currency.to_owned()), amount: Amount(amount) },
        credit_limit_included: None,
    };
    let list = match c.id {
        // As in seed 004's examples: the ES bank reports the opening booked balance only…
        973 => {
            let before_today = data::booked_balance(seed, c, spec, data::visible_count(epoch, spec, yesterday));
            vec![bal(BalanceType::Opbd, "openingBooked", before_today, today)]
        }
        // …the AT bank forward and interim available.
        43 => vec![
            bal(BalanceType::Fwav, "forwardAvailable", booked, today.checked_add_days(Days::new(1)).unwrap_or(today)),
            bal(BalanceType::Itav, "interimAvailable", booked, today),
        ],
        _ => vec![
            bal(BalanceType::Clbd, "closingBooked", booked, today),
            bal(BalanceType::Itav, "interimAvailable", booked, today),
        ],
    };
    Ok(Json(BalancesResponse {
        balances: list,
        user_context: rotated.map(UserContext::new),
        raw_response: None,
        is_consent_lost: None,
    })
    .into_response())
}

/// The sandbox's paging context (opaque to clients).
#[derive(serde::Serialize, Deserialize)]
struct Pager {
    account: String,
    page: u64,
    #[serde(rename = "nextPage")]
    next_page: u64,
    /// Indices `lo..top` form the snapshot being paged, newest first.
    lo: u64,
    top: u64,
    #[serde(rename = "totalPage")]
    total_page: u64,
}

fn page(
    st: std::sync::MutexGuard<'_, State>,
    c: &Connector,
    spec: &crate::banks::AccountSpec,
    pager: Pager,
    rotated: Option<String>,
) -> Response {
    let (seed, epoch, today) = (st.seed, st.epoch, st.now().date_naive());
    drop(st);
    let size = c.page_size.max(1);
    let hi = pager.top.saturating_sub(pager.page * size);
    let lo = hi.saturating_sub(size).max(pager.lo);
    let transactions =
        (lo..hi).rev().map(|i| data::settling(data::transaction(seed, epoch, c, spec, i), c, today)).collect();
    let is_last = lo <= pager.lo;
    let next = Pager { next_page: pager.page + 1, ..pager };
    let ctx = serde_json::to_string(&next).unwrap_or_default();
    Json(TransactionsResponse {
        transactions,
        user_context: rotated.map(UserContext::new),
        pager_context: Some(PagerContext::new(ctx)),
        is_first_page: next.page == 0,
        is_last_page: is_last,
        raw_response: None,
        is_consent_lost: None,
    })
    .into_response()
}

fn consent_lost_page(rotated: Option<String>) -> Response {
    Json(TransactionsResponse {
        transactions: vec![],
        user_context: rotated.map(UserContext::new),
        pager_context: None,
        is_first_page: true,
        is_last_page: true,
        raw_response: None,
        is_consent_lost: Some(true),
    })
    .into_response()
}

/// `POST /ob/Ais/accounts/{accountId}/transactions`: the first page, newest first.
/// Within an hour of SCA the whole history is served; later only 90 days (R18).
pub async fn transactions(AxState(app): AxState<Arc<App>>, Path(account_id): Path<String>, body: Bytes) -> ApiResult {
    let req: AccountDataRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let Some((spec, consent)) = account_access(&st, c, &auth, &account_id, &rotated)? else {
        return Ok(consent_lost_page(rotated));
    };
    let now = st.now();
    let today = now.date_naive();
    let top = data::visible_count(st.epoch, spec, today);
    let fresh = consent.authorised_at.is_some_and(|t| now - t < Duration::hours(1));
    let lo = if fresh { 0 } else { data::first_index_on_or_after(st.epoch, spec, today - Days::new(90)).min(top) };
    let size = c.page_size.max(1);
    let pager = Pager { account: account_id, page: 0, next_page: 0, lo, top, total_page: (top - lo).div_ceil(size) };
    Ok(page(st, c, spec, pager, rotated))
}

/// `POST /ob/Ais/accounts/{accountId}/transactions/next`.
pub async fn transactions_next(
    AxState(app): AxState<Arc<App>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: TransactionsNextRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let pager: Pager = serde_json::from_str(req.pager_context.expose()).map_err(|_| {
        ApiError::bad_request("InvalidPagerContextException", "The pager context is not one this gateway issued.")
    })?;
    if pager.account != account_id {
        return Err(ApiError::bad_request(
            "InvalidPagerContextException",
            "This pager context belongs to another account.",
        ));
    }
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let Some((spec, _)) = account_access(&st, c, &auth, &account_id, &rotated)? else {
        return Ok(consent_lost_page(rotated));
    };
    let pager = Pager { page: pager.next_page, ..pager };
    if pager.page * c.page_size.max(1) >= (pager.top - pager.lo).max(1) {
        return Err(ApiError::bad_request("InvalidPagerContextException", "There is no page after the last one."));
    }
    Ok(page(st, c, spec, pager, rotated))
}

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
