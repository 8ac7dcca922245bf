//! Reading: overview, transactions, history, monthly totals; enabling accounts.

use chrono::Utc;
use saldo_core::insights;

use super::{ready, State};
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::present;
use crate::state::AppFile;
use crate::views::{BalancePoint, Money, MonthView, Overview, TxDetail, TxFilter, TxPageView};

/// Totals, accounts with balances, connections.
#[tauri::command]
pub async fn overview(state: State<'_>) -> IpcResult<Overview> {
    let auto_sync = AppFile::load(&state.data_dir)?.settings.auto_sync;
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    Ok(Overview {
        totals: insights::totals(store)?
            .into_iter()
            .map(|(currency, amount)| Money { amount: amount.to_string(), currency })
            .collect(),
        accounts: {
            let gaps = store.gaps(None)?;
            store.accounts_overview(true)?.iter().map(|o| present::account(o, &gaps)).collect()
        },
        connections: insights::connections(store, auto_sync, Utc::now())?
            .into_iter()
            .map(present::connection)
            .collect(),
    })
}

/// Enables or disables an account (R12: only enabled accounts are fetched).
#[tauri::command]
pub async fn set_account_enabled(state: State<'_>, account_id: i64, enabled: bool) -> IpcResult<()> {
    let mut guard = state.session.lock().await;
    ready(&mut guard)?.store.set_account_enabled(account_id, enabled, Utc::now())?;
    Ok(())
}

/// One page of the transaction list.
#[tauri::command]
pub async fn transactions(state: State<'_>, filter: TxFilter) -> IpcResult<TxPageView> {
    let q = present::query(&filter)?;
    let mut guard = state.session.lock().await;
    let page = ready(&mut guard)?.store.transactions_page(&q)?;
    Ok(TxPageView { rows: page.rows.into_iter().map(present::tx_view).collect(), next: page.next.map(present::cursor) })
}

/// Every field the bank sent for a transaction.
#[tauri::command]
pub async fn transaction_detail(state: State<'_>, id: i64) -> IpcResult<TxDetail> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    let raw = store
        .transaction_raw(id)?
        .ok_or_else(|| IpcError::new(IpcCode::NotFound, format!("there is no transaction {id}")))?;
    let provenance = store.provenance(id)?;
    let from_file = provenance.as_ref().is_some_and(|p| p.from_file);
    let imported_from = provenance.map(|p| p.describe());
    Ok(TxDetail { id, fields: present::flatten(&raw), imported_from, from_file })
}

/// Monthly money in and out, for one account or all; transfers between
/// own accounts left out unless `gross`.
#[tauri::command]
pub async fn monthly(state: State<'_>, account_id: Option<i64>, gross: bool) -> IpcResult<Vec<MonthView>> {
    let mut guard = state.session.lock().await;
    Ok(ready(&mut guard)?
        .store
        .monthly_flows(account_id, gross)?
        .into_iter()
        .map(|m| MonthView {
            month: m.month,
            currency: m.currency,
            income: m.income.to_string(),
            expense: m.expense.to_string(),
        })
        .collect())
}

/// An account's booked balance at the end of each day of the last year
/// with transactions, anchored on the bank's latest booked balance.
#[tauri::command]
pub async fn balance_history(state: State<'_>, account_id: i64) -> IpcResult<Vec<BalancePoint>> {
    let mut guard = state.session.lock().await;
    let from = chrono::Utc::now().date_naive().checked_sub_days(chrono::Days::new(365));
    let series = saldo_core::insights::balance_series(&ready(&mut guard)?.store, account_id, from)?;
    Ok(series.into_iter().map(|p| BalancePoint { date: p.date.to_string(), amount: p.amount.to_string() }).collect())
}
