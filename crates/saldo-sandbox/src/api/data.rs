//! Account data: the accounts, an account's balances and its transactions
//! (first page and the pages after it).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Days, Duration};
use serde::Deserialize;

use saldo_gateway::{
    Account, AccountConsent, AccountDataRequest, AccountsRequest, AccountsResponse, Amount, Balance, BalanceAmount,
    BalanceType, BalancesResponse, BankDateTime, PagerContext, TransactionsNextRequest, TransactionsResponse,
    UserContext,
};

use super::{authorise, parse, ApiResult};
use crate::banks::Connector;
use crate::data;
use crate::error::ApiError;
use crate::household;
use crate::state::{AccountAccess, Authorised, Consent, ConsentStatus, State};
use crate::App;

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
    let booked = if household::is_household(c.id) {
        household::booked_balance(seed, epoch, spec.id, today)
    } else {
        data::booked_balance(seed, c, spec, data::visible_count(epoch, spec, today))
    };
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

/// The currency a hostile bank sends (see `SandboxConfig::hostile_currency`).
pub const HOSTILE_CURRENCY: &str = "EUR\n2000-01-01 open Assets:Evil";

fn page(
    app: &App,
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
    let dropping = app.dropped_rows.load(std::sync::atomic::Ordering::Relaxed);
    // The household's rows come from its schedule (indices are positions in it).
    let household_rows = household::is_household(c.id).then(|| household::rows(seed, epoch, spec.id, today));
    let transactions = (lo..hi)
        .rev()
        .filter(|i| !(dropping && i % 97 == data::DROPPED_ROW))
        .filter_map(|i| {
            let mut t = match &household_rows {
                Some(rows) => household::settling(rows.get(usize::try_from(i).ok()?)?.clone(), today),
                None => data::settling(data::transaction(seed, epoch, c, spec, i), c, today),
            };
            if app.config.hostile_currency && i % 40 == 7 {
                t.currency = Some(HOSTILE_CURRENCY.to_owned());
            }
            if app.possible_holes.load(std::sync::atomic::Ordering::Relaxed) {
                t.possible_hole = Some(i % 97 == 50);
            }
            Some(t)
        })
        .collect();
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

fn consent_lost_page(app: &App, rotated: Option<String>) -> Response {
    let page = TransactionsResponse {
        transactions: vec![],
        user_context: rotated.map(UserContext::new),
        pager_context: None,
        is_first_page: true,
        is_last_page: true,
        raw_response: None,
        is_consent_lost: Some(true),
    };
    if app.config.consent_loss_as_206 {
        // The real gateway: HTTP 206, and the body does not say so.
        let page = TransactionsResponse { is_consent_lost: None, ..page };
        return (StatusCode::PARTIAL_CONTENT, Json(page)).into_response();
    }
    Json(page).into_response()
}

/// `POST /ob/Ais/accounts/{accountId}/transactions`: the first page, newest first.
/// Within an hour of SCA the whole history is served; later only 90 days (R18).
pub async fn transactions(AxState(app): AxState<Arc<App>>, Path(account_id): Path<String>, body: Bytes) -> ApiResult {
    let req: AccountDataRequest = parse(&body)?;
    let c = app.connector(req.connector_id)?;
    let mut st = app.state();
    let (auth, rotated) = authorise(&app, &mut st, c.id, req.user_context.as_ref())?;
    let Some((spec, consent)) =
        account_access(&st, c, &auth, &account_id, &rotated)?.filter(|(_, consent)| !consent.transactions_need_sca)
    else {
        return Ok(consent_lost_page(&app, rotated));
    };
    let now = st.now();
    let today = now.date_naive();
    let fresh = consent.authorised_at.is_some_and(|t| now - t < Duration::hours(1));
    let from = today - Days::new(90);
    let (top, lo) = if household::is_household(c.id) {
        let top = household::visible_count(st.seed, st.epoch, spec.id, today);
        (top, if fresh { 0 } else { household::first_index_on_or_after(st.seed, st.epoch, spec.id, from).min(top) })
    } else {
        let top = data::visible_count(st.epoch, spec, today);
        (top, if fresh { 0 } else { data::first_index_on_or_after(st.epoch, spec, from).min(top) })
    };
    let size = c.page_size.max(1);
    let pager = Pager { account: account_id, page: 0, next_page: 0, lo, top, total_page: (top - lo).div_ceil(size) };
    Ok(page(&app, st, c, spec, pager, rotated))
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
    let Some((spec, _)) =
        account_access(&st, c, &auth, &account_id, &rotated)?.filter(|(_, consent)| !consent.transactions_need_sca)
    else {
        return Ok(consent_lost_page(&app, rotated));
    };
    let pager = Pager { page: pager.next_page, ..pager };
    if pager.page * c.page_size.max(1) >= (pager.top - pager.lo).max(1) {
        return Err(ApiError::bad_request("InvalidPagerContextException", "There is no page after the last one."));
    }
    Ok(page(&app, st, c, spec, pager, rotated))
}
