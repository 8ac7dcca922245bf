//! Connecting a bank (R6–R8): access options → POST access → the person
//! authenticates at the bank → callback → PUT access … → DONE → the
//! connection and its (disabled, R12) accounts are stored.
//!
//! Flows are persisted with a state and an expiry, survive restarts, and can
//! be cancelled. A callback is checked against them before any gateway call:
//! it must name a pending flow of this installation that waits for a
//! callback, within its expiry, and not be a replay (R7, R19).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use saldo_gateway::{
    AccessContinueRequest, AccessOption, AccessRequest, AccessResponse, AccountReference, AccountsAccessRequest,
    AccountsRequest, CorrelationId, GatewayClient, GatewayError, ResultStatus, StatusInfo, TppContext, UserContext,
};
use saldo_store::flows::FlowRow;
use saldo_store::Store;
use serde::{Deserialize, Serialize};

use crate::{iban, CoreError, Result};

/// How long a flow may wait for the person.
pub const FLOW_TTL: Duration = Duration::minutes(30);

pub use saldo_store::states::RedirectKind;
use saldo_store::states::{ConnectionStatus, FlowState, FlowStep};

/// What the person asked for.
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    /// The connector (from the bank catalog).
    pub connector_id: i64,
    /// The bank's name, for display.
    pub bank_name: String,
    /// Its country.
    pub country: String,
    /// Account numbers, required by DETAILED banks (R8).
    pub ibans: Vec<String>,
    /// Values for the bank's `additionalPropertiesRequested`.
    pub additional: BTreeMap<String, String>,
    /// The redirect URL (deep link or loopback).
    pub redirect_url: String,
    /// Which kind it is.
    pub redirect_kind: RedirectKind,
    /// Unattended accesses per day, 1–4 (R8, R18).
    pub frequency_per_day: i64,
    /// Re-consent of this existing connection (keeps its history, R15).
    pub reconnect: Option<i64>,
    /// Who Saldo says it is to the gateway (`tppContext`); `None`: the
    /// build's defaults.
    pub identity: Option<TppIdentity>,
}

/// Saldo's name at the gateway, sent as `tppContext` with every flow call:
/// a setting (the gateway operator may have given this installation its own
/// TPP id), with the build's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TppIdentity {
    /// The TPP id (default `saldo`, or `SALDO_TPP_ID` at build time).
    pub tpp_id: String,
    /// The app's name (default `Saldo/<version>`).
    pub app: String,
}

impl Default for TppIdentity {
    fn default() -> Self {
        Self { tpp_id: TPP_ID.to_owned(), app: concat!("Saldo/", env!("CARGO_PKG_VERSION")).to_owned() }
    }
}

/// What happens next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Open this URL in the person's browser; wait for the callback (or, with
    /// `no_callback`, for the person to say they are done).
    OpenBrowser {
        /// The flow.
        flow_id: String,
        /// The bank's page.
        url: String,
        /// The bank will not call back (statusInfo NO_CALLBACK).
        no_callback: bool,
    },
    /// Let the person choose one of these (key → label).
    ChooseOption {
        /// The flow.
        flow_id: String,
        /// The choices.
        options: BTreeMap<String, String>,
    },
    /// The bank asks the person a question (MORE_INFO), or for a secret such
    /// as a card reader's response code (PASSWORD, `secret`): answer with
    /// [`answer`]. A wrong answer may be asked again with a new prompt.
    AskInput {
        /// The flow.
        flow_id: String,
        /// The bank's question, to show as it is.
        prompt: String,
        /// The answer is a secret: do not echo it, never keep it.
        secret: bool,
    },
    /// The person confirms in their banking app; poll with back-off.
    WaitDecoupled {
        /// The flow.
        flow_id: String,
        /// What the bank says.
        message: String,
    },
    /// Done: the connection is stored.
    Connected {
        /// The flow.
        flow_id: String,
        /// The connection.
        connection_id: i64,
        /// Accounts discovered (added disabled, R12).
        new_accounts: usize,
    },
    /// The flow ended without access; a new one may be started (R7).
    Failed {
        /// The flow.
        flow_id: String,
        /// Why, in the bank's or our words.
        message: String,
    },
}

impl Next {
    /// The flow this step belongs to.
    pub fn flow_id(&self) -> &str {
        match self {
            Next::OpenBrowser { flow_id, .. }
            | Next::ChooseOption { flow_id, .. }
            | Next::AskInput { flow_id, .. }
            | Next::WaitDecoupled { flow_id, .. }
            | Next::Connected { flow_id, .. }
            | Next::Failed { flow_id, .. } => flow_id,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Details {
    bank_name: String,
    country: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
    /// Callback parameters already used, in a fixed order (R19: once).
    #[serde(default)]
    used_callbacks: Vec<String>,
    /// Who Saldo said it was when the flow started (the same on every call).
    #[serde(default)]
    identity: Option<TppIdentity>,
}

fn details(flow: &FlowRow) -> Details {
    serde_json::from_str(&flow.details).unwrap_or_default()
}

/// The countries whose banks the gateway serves (ISO 3166 codes, upper
/// case, sorted): read from its whole catalog, so a person anywhere the
/// gateway reaches finds their country — no list is built into Saldo.
pub async fn countries(client: &GatewayClient) -> Result<Vec<String>> {
    let banks = client.banks_all(&CorrelationId::new()).await?;
    let set: std::collections::BTreeSet<String> =
        banks.into_iter().map(|b| b.country_iso.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    Ok(set.into_iter().collect())
}

/// Starts connecting a bank.
pub async fn start(
    store: &mut Store,
    client: &GatewayClient,
    req: &ConnectRequest,
    now: DateTime<Utc>,
) -> Result<Next> {
    let cid = CorrelationId::new();
    if let Some(conn) = req.reconnect {
        // A connection's consent is renewed at its own bank, never another:
        // refused before any gateway call.
        let c = store.connection(conn)?.ok_or_else(|| CoreError::NotFound(format!("there is no connection {conn}")))?;
        if c.offline {
            return Err(CoreError::Invalid(format!(
                "connection {conn} holds accounts imported from statement files; there is no bank access to renew \
                 (connect the bank as a new connection)"
            )));
        }
        if c.connector_id != req.connector_id {
            return Err(CoreError::Invalid(format!(
                "connection {conn} is at {}; reconnect it with the same bank",
                c.bank_name
            )));
        }
    }
    if !(1..=4).contains(&req.frequency_per_day) {
        return Err(CoreError::Invalid("the daily access frequency must be between 1 and 4".into()));
    }
    let ibans =
        req.ibans.iter().map(|i| iban::validate(i)).collect::<Result<Vec<_>, _>>().map_err(CoreError::Invalid)?;
    let options = client.access_options(req.connector_id, &cid).await?.body;
    if options.access_option == AccessOption::Detailed && ibans.is_empty() {
        return Err(CoreError::Invalid(format!("{} needs the account numbers (IBANs) to connect", req.bank_name)));
    }
    for p in options.additional_properties_requested.iter().filter(|p| p.required) {
        if req.additional.get(&p.name).is_none_or(|v| v.trim().is_empty()) {
            let label = p.title.clone().unwrap_or_else(|| p.name.clone());
            return Err(CoreError::Invalid(format!("{} asks for “{label}”", req.bank_name)));
        }
    }
    let user = match req.reconnect {
        // Moving a connection to another gateway: its contexts mean nothing
        // there, so the person starts afresh at this one (the data stays).
        Some(conn) if store.connection(conn)?.and_then(|c| c.gateway).is_some_and(|g| g != client.label()) => None,
        Some(conn) => match store.user_context(conn)? {
            Some(user) => Some(user),
            // Imported from an export: no context was ever here (R5); it
            // starts afresh, like a new connection of this person.
            None => crate::onboarding::registration(store, client.label())?.and_then(|r| r.user_context),
        },
        // A registered person's connections start from the registration's context (R1).
        None => crate::onboarding::registration(store, client.label())?.and_then(|r| r.user_context),
    };
    let flow_id = uuid::Uuid::new_v4().to_string();
    let identity = req.identity.clone().unwrap_or_default();
    let d = Details {
        bank_name: req.bank_name.clone(),
        country: req.country.clone(),
        identity: Some(identity.clone()),
        ..Details::default()
    };
    let details_json = serde_json::to_string(&d).unwrap_or_default();
    store.insert_flow(
        &flow_id,
        req.connector_id,
        req.reconnect,
        req.redirect_kind,
        &details_json,
        now,
        now + FLOW_TTL,
    )?;
    let accounts: Option<Vec<AccountReference>> =
        (!ibans.is_empty()).then(|| ibans.iter().map(AccountReference::iban).collect());
    let access = AccessRequest {
        connector_id: req.connector_id,
        user_context: user,
        bank_settings: None,
        tpp_context: Some(tpp_context(&identity, &flow_id)),
        accounts_access_request: AccountsAccessRequest {
            flow_id: Some(flow_id.clone()),
            redirect_url: Some(req.redirect_url.clone()),
            frequency_per_day: Some(req.frequency_per_day),
            additional_properties: (!req.additional.is_empty()).then(|| req.additional.clone()),
            transaction_accounts: accounts.clone(),
            balance_accounts: accounts,
            ..AccountsAccessRequest::default()
        },
    };
    let flow = store.flow(&flow_id)?.ok_or_else(|| CoreError::NotFound("the connection attempt vanished".into()))?;
    match with_retry(store, &flow, || client.request_access(&access, &cid), now).await {
        Ok(resp) => apply(store, client, &flow, resp.body, now).await,
        Err(e) => Err(failed_call(store, &flow, e, now)),
    }
}

/// The bank's page address, if it is one a browser may be given: an
/// absolute `https` URL, or `http` to this computer (a loopback host).
pub fn bank_address(text: &str) -> Option<url::Url> {
    let url = url::Url::parse(text).ok()?;
    url.host()?;
    match url.scheme() {
        "https" => Some(url),
        "http" if saldo_gateway::is_loopback(&url) => Some(url),
        _ => None,
    }
}

/// Who is calling, sent as `tppContext` with every flow call (the .NET
/// client's README fills `TppId`, `App` and `Flow`): the gateway's accounting
/// and support can tell Saldo's flows apart.
pub fn tpp_context(identity: &TppIdentity, flow_id: &str) -> TppContext {
    TppContext {
        tpp_id: Some(identity.tpp_id.clone()),
        app: Some(identity.app.clone()),
        flow: Some(flow_id.to_owned()),
        transaction: None,
        unit: None,
    }
}

/// Saldo's TPP id at the gateway: `SALDO_TPP_ID` at build time, else `saldo`.
pub const TPP_ID: &str = match option_env!("SALDO_TPP_ID") {
    Some(id) => id,
    None => "saldo",
};

/// How many times a flow call the gateway answers with RETRY is sent, and
/// the first pause between two (doubled each time).
pub const RETRY_ATTEMPTS: u32 = 4;
/// See [`RETRY_ATTEMPTS`].
pub const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// Sends a flow call, again while the gateway answers RETRY (bounded, with
/// back-off). Only an explicit RETRY repeats a flow call: a transport error
/// or a 5xx is never retried automatically here (the call may have reached
/// the bank; the .NET client also sends access calls without retries).
async fn with_retry<F, Fut>(
    store: &mut Store,
    flow: &FlowRow,
    mut call: F,
    now: DateTime<Utc>,
) -> std::result::Result<saldo_gateway::WithMeta<AccessResponse>, GatewayError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<saldo_gateway::WithMeta<AccessResponse>, GatewayError>>,
{
    let mut pause = RETRY_PAUSE;
    let mut attempt = 1;
    loop {
        let resp = call().await?;
        if resp.body.result_status != ResultStatus::Retry || attempt >= RETRY_ATTEMPTS {
            return Ok(resp);
        }
        if let Some(ctx) = &resp.body.user_context {
            // R1 even on a RETRY: a non-null context replaces the stored one.
            if let Err(e) = save_user_context(&*store, flow, ctx, now) {
                tracing::warn!("could not keep the user context of a RETRY answer: {e}");
            }
        }
        tracing::info!(attempt, "the gateway asked to send the flow call again");
        tokio::time::sleep(pause).await;
        pause *= 2;
        attempt += 1;
    }
}

/// Stores a user context from an error body (R1) and marks the flow failed.
fn failed_call(store: &Store, flow: &FlowRow, e: GatewayError, now: DateTime<Utc>) -> CoreError {
    let keep = |store: &Store| -> Result<()> {
        if let Some(ctx) = e.user_context() {
            save_user_context(store, flow, ctx, now)?;
        }
        store.update_flow(&flow.id, FlowState::Exception, None, None, None, Some(&e.to_string()), now)?;
        Ok(())
    };
    match keep(store) {
        Ok(()) => e.into(),
        Err(store_err) => store_err,
    }
}

fn save_user_context(store: &Store, flow: &FlowRow, ctx: &UserContext, now: DateTime<Utc>) -> Result<()> {
    match flow.connection_id {
        Some(conn) => store.set_user_context(conn, ctx, now)?,
        None => store.update_flow(&flow.id, flow.state, flow.step, None, Some(ctx), flow.error.as_deref(), now)?,
    }
    Ok(())
}

/// Acts on a gateway answer: contexts first (R1), then the next step.
async fn apply(
    store: &mut Store,
    client: &GatewayClient,
    flow: &FlowRow,
    resp: AccessResponse,
    now: DateTime<Utc>,
) -> Result<Next> {
    if let Some(ctx) = &resp.user_context {
        save_user_context(store, flow, ctx, now)?;
    }
    let fctx = resp.flow_context.as_ref();
    let id = flow.id.clone();
    match resp.result_status {
        ResultStatus::Redirect => {
            let Some(url) = resp.data_string.clone().filter(|u| !u.is_empty()) else {
                return fail(store, flow, "the bank asked for a redirect without a URL", now);
            };
            if bank_address(&url).is_none() {
                // Never hand a file:, smb:, javascript: or saldo: link (or an
                // option-like "--version") to a browser.
                return fail(store, flow, "the bank's address is not a web address", now);
            }
            let no_callback = resp.status_info == StatusInfo::NoCallback;
            let step = if no_callback { FlowStep::NoCallback } else { FlowStep::Callback };
            store.update_flow(&id, FlowState::ConsumerInputNeeded, Some(step), fctx, None, None, now)?;
            Ok(Next::OpenBrowser { flow_id: id, url, no_callback })
        }
        ResultStatus::SelectOption => {
            let options = resp.options.clone().unwrap_or_default();
            if options.is_empty() {
                return fail(store, flow, "the bank asked to choose without offering options", now);
            }
            let mut d = details(flow);
            d.options = options.clone();
            store.update_flow(&id, FlowState::ConsumerInputNeeded, Some(FlowStep::Option), fctx, None, None, now)?;
            set_details(store, &id, &d)?;
            Ok(Next::ChooseOption { flow_id: id, options })
        }
        ResultStatus::Decoupled => {
            store.update_flow(&id, FlowState::ConsumerInputNeeded, Some(FlowStep::Decoupled), fctx, None, None, now)?;
            let message = resp.data_string.clone().unwrap_or_else(|| "Confirm in your banking app.".into());
            Ok(Next::WaitDecoupled { flow_id: id, message })
        }
        ResultStatus::Done => finish(store, client, flow, resp.user_context, now).await,
        ResultStatus::Error => {
            let message =
                resp.data_string.clone().unwrap_or_else(|| format!("{} refused the access.", details(flow).bank_name));
            fail(store, flow, &message, now)
        }
        ResultStatus::Password | ResultStatus::MoreInfo => {
            // The gateway's dataString carries the bank's question; the answer
            // goes back in the next PUT's dataString (as a callback's query or
            // a chosen option does).
            let secret = resp.result_status == ResultStatus::Password;
            let fallback =
                if secret { "Enter the code your bank asks for." } else { "Your bank needs more information." };
            let prompt = resp.data_string.clone().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| fallback.into());
            store.update_flow(&id, FlowState::ConsumerInputNeeded, Some(FlowStep::Input), fctx, None, None, now)?;
            Ok(Next::AskInput { flow_id: id, prompt, secret })
        }
        ResultStatus::Retry => fail(
            store,
            flow,
            &format!("{} is busy and asked to try again several times; try again later", details(flow).bank_name),
            now,
        ),
        ResultStatus::NotAvailable => {
            fail(store, flow, &format!("{} is not available right now; try again later", details(flow).bank_name), now)
        }
        ResultStatus::Undetermined | ResultStatus::Unknown(_) => {
            let code = resp.result_status.code();
            fail(store, flow, &format!("the gateway answered with an unknown result status {code}"), now)
        }
    }
}

fn set_details(store: &Store, flow_id: &str, d: &Details) -> Result<()> {
    store.set_flow_details(flow_id, &serde_json::to_string(d).unwrap_or_default())?;
    Ok(())
}

fn fail(store: &Store, flow: &FlowRow, message: &str, now: DateTime<Utc>) -> Result<Next> {
    store.update_flow(&flow.id, FlowState::Exception, None, None, None, Some(message), now)?;
    Ok(Next::Failed { flow_id: flow.id.clone(), message: message.to_owned() })
}

async fn finish(
    store: &mut Store,
    client: &GatewayClient,
    flow: &FlowRow,
    ctx: Option<UserContext>,
    now: DateTime<Utc>,
) -> Result<Next> {
    let stored = store.flow(&flow.id)?.and_then(|f| f.user_context);
    let d = details(flow);
    let conn = match flow.connection_id {
        Some(conn) => {
            // Re-consent: same connection, history kept (R15).
            if let Some(ctx) = &ctx {
                store.set_user_context(conn, ctx, now)?;
            }
            store.set_connection_status(conn, ConnectionStatus::Active, now)?;
            // The consents the bank refused are superseded by the ones it
            // reports for the renewed access (recorded just below).
            store.drop_expired_consents(conn)?;
            conn
        }
        None => {
            let ctx = ctx.or(stored).ok_or_else(|| {
                CoreError::Gateway(saldo_gateway::GatewayError::Config(
                    "the gateway finished without a user context".into(),
                ))
            })?;
            let conn = store.insert_connection(flow.connector_id, &d.bank_name, &d.country, &ctx, now)?;
            store.set_flow_connection(&flow.id, conn)?;
            conn
        }
    };
    store.set_connection_gateway(conn, client.label())?;
    store.update_flow(&flow.id, FlowState::Finished, None, None, None, None, now)?;
    // Discover the accounts now; a failure here leaves a working connection
    // whose accounts the next sync finds.
    let user = store.user_context(conn)?;
    let new_accounts =
        match client.accounts(&AccountsRequest::new(flow.connector_id, user), &CorrelationId::new()).await {
            Ok(r) => {
                if let Some(ctx) = &r.body.user_context {
                    store.set_user_context(conn, ctx, now)?;
                }
                store.record_consents(conn, &r.body.accounts, now)?;
                store.apply_accounts(conn, &r.body.accounts, now)?.added.len()
            }
            Err(e) => {
                if let Some(ctx) = e.user_context() {
                    store.set_user_context(conn, ctx, now)?;
                }
                tracing::warn!(connection = conn, "accounts could not be fetched after connecting: {e}");
                0
            }
        };
    Ok(Next::Connected { flow_id: flow.id.clone(), connection_id: conn, new_accounts })
}

/// The flow id and query string of a callback URL (`saldo://callback?…` or a
/// loopback URL): `flowId` wins over `state`. Parsed locally: an unknown
/// callback must cause no gateway call.
pub fn identify_callback(callback_url: &str) -> Option<(String, String)> {
    let url = url::Url::parse(callback_url.trim()).ok()?;
    let query = url.query().unwrap_or_default().to_owned();
    let pairs: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let id = pairs.get("flowId").or_else(|| pairs.get("state")).filter(|v| !v.is_empty())?.clone();
    Some((id, format!("?{query}")))
}

/// Whether a callback arrived through the channel its flow was started with:
/// `saldo://callback` for a deep link, `http://127.0.0.1:PORT/callback` (or
/// `localhost`) for the loopback listener.
fn came_through(kind: RedirectKind, callback_url: &str) -> bool {
    let Ok(url) = url::Url::parse(callback_url.trim()) else { return false };
    match kind {
        RedirectKind::DeepLink => {
            url.scheme() == "saldo" && url.host_str() == Some("callback") && matches!(url.path(), "" | "/")
        }
        RedirectKind::Loopback => {
            url.scheme() == "http"
                && matches!(url.host_str(), Some("127.0.0.1" | "localhost"))
                && url.path() == "/callback"
        }
    }
}

/// A callback's parameters in a fixed order, to recognise a replay whose
/// parameters were shuffled.
fn normalized_query(callback_url: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        url::Url::parse(callback_url.trim()).map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
    pairs.sort();
    serde_json::to_string(&pairs).unwrap_or_default()
}

/// Loads a flow that must be pending and at `step`, or says why not (R7).
fn pending(store: &Store, flow_id: &str, step: FlowStep, now: DateTime<Utc>) -> Result<FlowRow> {
    let flow = store.flow(flow_id)?.ok_or_else(|| {
        CoreError::CallbackRejected("no connection attempt of this Saldo has that id (forged or foreign link)".into())
    })?;
    match flow.state {
        FlowState::Finished => {
            return Err(CoreError::CallbackRejected("this connection attempt is already finished".into()))
        }
        FlowState::Aborted => return Err(CoreError::CallbackRejected("this connection attempt was cancelled".into())),
        FlowState::Exception => {
            return Err(CoreError::CallbackRejected("this connection attempt failed; start a new one".into()))
        }
        FlowState::Processing | FlowState::ConsumerInputNeeded => {}
    }
    if flow.is_expired(now) {
        store.update_flow(&flow.id, FlowState::Exception, None, None, None, Some("expired"), now)?;
        return Err(CoreError::CallbackRejected("this connection attempt expired; start a new one".into()));
    }
    if flow.step != Some(step) {
        return Err(CoreError::CallbackRejected(format!("this connection attempt is not waiting for that ({step})")));
    }
    Ok(flow)
}

/// Continues a flow with a bank callback (deep link or loopback).
pub async fn handle_callback(
    store: &mut Store,
    client: &GatewayClient,
    callback_url: &str,
    now: DateTime<Utc>,
) -> Result<Next> {
    let (flow_id, query) = identify_callback(callback_url)
        .ok_or_else(|| CoreError::CallbackRejected("the link does not identify a connection attempt".into()))?;
    let flow = pending(store, &flow_id, FlowStep::Callback, now)?;
    if !came_through(flow.redirect_kind, callback_url) {
        return Err(CoreError::CallbackRejected(
            "this link did not come the way the bank was told to send you back".into(),
        ));
    }
    let mut d = details(&flow);
    // A replay is the same parameters, in whatever order (R19).
    let seen = normalized_query(callback_url);
    if d.used_callbacks.contains(&seen) {
        return Err(CoreError::CallbackRejected("this bank link was already used".into()));
    }
    d.used_callbacks.push(seen);
    set_details(store, &flow.id, &d)?;
    let flow = store.flow(&flow.id)?.unwrap_or(flow);
    step(store, client, &flow, Some(query), now).await
}

/// Continues a flow whose bank does not call back, once the person says they are done.
pub async fn continue_without_callback(
    store: &mut Store,
    client: &GatewayClient,
    flow_id: &str,
    now: DateTime<Utc>,
) -> Result<Next> {
    let flow = pending(store, flow_id, FlowStep::NoCallback, now)?;
    step(store, client, &flow, Some(String::new()), now).await
}

/// Sends the person's choice (SELECT_OPTION).
pub async fn choose_option(
    store: &mut Store,
    client: &GatewayClient,
    flow_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Next> {
    let flow = pending(store, flow_id, FlowStep::Option, now)?;
    if !details(&flow).options.contains_key(key) {
        return Err(CoreError::Invalid(format!("{key:?} is not one of the offered choices")));
    }
    step(store, client, &flow, Some(key.to_owned()), now).await
}

/// Sends the person's answer to the bank's question (MORE_INFO / PASSWORD).
/// The answer goes to the gateway only: it is not stored and not logged.
pub async fn answer(
    store: &mut Store,
    client: &GatewayClient,
    flow_id: &str,
    answer: &str,
    now: DateTime<Utc>,
) -> Result<Next> {
    let flow = pending(store, flow_id, FlowStep::Input, now)?;
    if answer.trim().is_empty() {
        return Err(CoreError::Invalid("the answer is empty".into()));
    }
    step(store, client, &flow, Some(answer.trim().to_owned()), now).await
}

/// Polls a decoupled flow once; the caller repeats with back-off while it
/// answers [`Next::WaitDecoupled`], and may [`cancel`] it.
pub async fn poll_decoupled(
    store: &mut Store,
    client: &GatewayClient,
    flow_id: &str,
    now: DateTime<Utc>,
) -> Result<Next> {
    let flow = pending(store, flow_id, FlowStep::Decoupled, now)?;
    step(store, client, &flow, None, now).await
}

/// Cancels a pending flow (R7): later callbacks for it are rejected.
pub fn cancel(store: &Store, flow_id: &str, now: DateTime<Utc>) -> Result<bool> {
    match store.flow(flow_id)? {
        Some(f) if f.state.is_pending() => {
            store.update_flow(flow_id, FlowState::Aborted, None, None, None, Some("cancelled by the person"), now)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn step(
    store: &mut Store,
    client: &GatewayClient,
    flow: &FlowRow,
    data: Option<String>,
    now: DateTime<Utc>,
) -> Result<Next> {
    let fctx = flow
        .flow_context
        .clone()
        .ok_or_else(|| CoreError::CallbackRejected("this connection attempt has no context to continue with".into()))?;
    let user = match flow.connection_id {
        Some(conn) => store.user_context(conn)?,
        None => flow.user_context.clone(),
    };
    let mut req = AccessContinueRequest::new(fctx, data, user);
    req.tpp_context = Some(tpp_context(&details(flow).identity.unwrap_or_default(), &flow.id));
    let cid = CorrelationId::new();
    match with_retry(store, flow, || client.continue_access(&req, &cid), now).await {
        Ok(resp) => apply(store, client, flow, resp.body, now).await,
        Err(e) => Err(failed_call(store, flow, e, now)),
    }
}

#[cfg(test)]
mod tests {
    use super::bank_address;

    #[test]
    fn only_web_addresses_reach_a_browser() {
        for ok in ["https://bank.example/sca?x=1", "http://127.0.0.1:8480/bank/1/authorize", "http://localhost:9/a"] {
            assert!(bank_address(ok).is_some(), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "smb://host/share",
            "javascript:alert(1)",
            "saldo://callback?flowId=x",
            "--version",
            "http://bank.example/plain-http",
            "https://",
            "data:text/html,<script>",
        ] {
            assert!(bank_address(bad).is_none(), "{bad} is refused");
        }
    }
}
