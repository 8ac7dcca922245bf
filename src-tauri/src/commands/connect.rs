//! Adding a bank: catalog, form, the SCA flow. The bank's page opens in the
//! person's browser; the bank calls back through `saldo://callback` (or the
//! loopback listener when the scheme is not registered) — see `crate::links`.

use std::sync::atomic::Ordering;

use chrono::Utc;
use saldo_core::connect::{self, ConnectRequest, RedirectKind};
use saldo_gateway::{AccessOption, CorrelationId};
use tauri::AppHandle;

use super::{detached, ready, State};
use crate::error::{IpcError, IpcResult};
use crate::links;
use crate::state::AppFile;
use crate::views::{Answer, BankForm, BankView, ConnectForm, FormField, Step};

/// The countries the gateway serves.
#[tauri::command]
pub async fn countries(state: State<'_>) -> IpcResult<Vec<String>> {
    let client = ready(&mut *state.session.lock().await)?.client()?.clone();
    Ok(connect::countries(&client).await?)
}

/// The banks of a country, their logos as `data:` URLs (fetched here, once
/// per address: the window itself loads no image from the network).
#[tauri::command]
pub async fn banks(state: State<'_>, country: String) -> IpcResult<Vec<BankView>> {
    let client = ready(&mut *state.session.lock().await)?.client()?.clone();
    let banks = client.banks(&country, &CorrelationId::new()).await?.body;
    let mut fetches = tokio::task::JoinSet::new();
    for url in banks.iter().filter_map(|b| b.logo_url.clone()) {
        if state.logo(&url).is_none() {
            let client = client.clone();
            fetches.spawn(async move {
                let logo = client.logo(&url).await;
                (url, logo)
            });
        }
    }
    while let Some(Ok((url, logo))) = fetches.join_next().await {
        state.keep_logo(url, logo);
    }
    Ok(banks
        .into_iter()
        .map(|b| BankView {
            connector_id: b.connector_id,
            available: b.status.is_available(),
            logo_url: b.logo_url.as_deref().and_then(|u| state.logo(u)).flatten(),
            name: b.fullname,
            country: b.country_iso,
        })
        .collect())
}

/// What the bank asks before the access request.
#[tauri::command]
pub async fn bank_form(state: State<'_>, connector_id: i64) -> IpcResult<BankForm> {
    let client = ready(&mut *state.session.lock().await)?.client()?.clone();
    let o = client.access_options(connector_id, &CorrelationId::new()).await?.body;
    Ok(BankForm {
        connector_id,
        needs_ibans: o.access_option == AccessOption::Detailed,
        fields: o
            .additional_properties_requested
            .into_iter()
            .map(|p| FormField {
                label: p.title.clone().unwrap_or_else(|| p.name.clone()),
                key: p.name,
                description: p.description,
                pattern: p.template,
                required: p.required,
            })
            .collect(),
        max_consent_days: o.max_consent_duration,
    })
}

/// Starts the flow; opens the bank's page in the browser.
#[tauri::command]
pub async fn connect_start(app: AppHandle, state: State<'_>, form: ConnectForm) -> IpcResult<Step> {
    let deep_link = state.deep_link.load(Ordering::Relaxed);
    let listener = if deep_link { None } else { Some(links::loopback().await?) };
    let (redirect_url, redirect_kind) = match &listener {
        Some(l) => (l.redirect_url(), RedirectKind::Loopback),
        None => ("saldo://callback".to_owned(), RedirectKind::DeepLink),
    };
    let req = ConnectRequest {
        connector_id: form.connector_id,
        bank_name: form.bank_name,
        country: form.country,
        ibans: form.ibans.into_iter().filter(|i| !i.trim().is_empty()).collect(),
        additional: form.additional,
        redirect_url,
        redirect_kind,
        frequency_per_day: 4,
        reconnect: form.reconnect,
        identity: Some(AppFile::load(&state.data_dir)?.settings.identity()),
    };
    let (mut store, client) = detached(&state).await?;
    let next = connect::start(&mut store, &client, &req, Utc::now()).await?;
    if let Some(l) = listener {
        links::await_loopback(app.clone(), l, next.flow_id().to_owned());
    }
    Ok(links::advance(&app, next))
}

/// The person chose an option (SELECT_OPTION).
#[tauri::command]
pub async fn connect_choose(app: AppHandle, state: State<'_>, flow_id: String, key: String) -> IpcResult<Step> {
    let (mut store, client) = detached(&state).await?;
    let next = connect::choose_option(&mut store, &client, &flow_id, &key, Utc::now()).await?;
    Ok(links::advance(&app, next))
}

/// The person answered the bank's question (MORE_INFO / PASSWORD).
#[tauri::command]
pub async fn connect_answer(app: AppHandle, state: State<'_>, flow_id: String, answer: Answer) -> IpcResult<Step> {
    let (mut store, client) = detached(&state).await?;
    let next = connect::answer(&mut store, &client, &flow_id, &answer.0, Utc::now()).await?;
    Ok(links::advance(&app, next))
}

/// Asks the bank whether the person confirmed in their app (DECOUPLED).
#[tauri::command]
pub async fn connect_poll(app: AppHandle, state: State<'_>, flow_id: String) -> IpcResult<Step> {
    let (mut store, client) = detached(&state).await?;
    let next = connect::poll_decoupled(&mut store, &client, &flow_id, Utc::now()).await?;
    Ok(links::advance(&app, next))
}

/// The person says they are done at a bank that does not call back.
#[tauri::command]
pub async fn connect_continue(app: AppHandle, state: State<'_>, flow_id: String) -> IpcResult<Step> {
    let (mut store, client) = detached(&state).await?;
    let next = connect::continue_without_callback(&mut store, &client, &flow_id, Utc::now()).await?;
    Ok(links::advance(&app, next))
}

/// Cancels a pending flow: a later callback for it is refused (R19).
#[tauri::command]
pub async fn connect_cancel(state: State<'_>, flow_id: String) -> IpcResult<bool> {
    let mut guard = state.session.lock().await;
    let s = ready(&mut guard)?;
    connect::cancel(&s.store, &flow_id, Utc::now()).map_err(IpcError::from)
}
