//! Helpers for the store tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use saldo_gateway::{Amount, BankDateTime, Transaction};
use saldo_store::Store;
use saldo_vault::DbKey;

/// A fresh directory (tempfile: a unique name even for tests on parallel
/// threads), removed when the returned guard drops.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("saldo-store-{tag}-")).tempdir().unwrap()
}

/// A fixed test clock.
pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap()
}

/// A store with a random key (no keyring involved), and the guard of its
/// directory (bind it: the directory goes when it drops).
pub fn store(tag: &str) -> (Store, DbKey, PathBuf, tempfile::TempDir) {
    let dir = temp_dir(tag);
    let key = DbKey::generate().unwrap();
    let path = dir.path().join("saldo.db");
    (Store::open(&path, &key).unwrap(), key, path, dir)
}

/// A gateway transaction.
pub fn tx(
    id: Option<&str>,
    date: (i32, u32, u32),
    amount: &str,
    currency: &str,
    counterparty: &str,
    text: &str,
) -> Transaction {
    let d = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
    Transaction {
        id: id.map(str::to_owned),
        gw_account_id: None,
        gw_sequence: None,
        possible_hole: None,
        amount: Amount::parse(amount).unwrap(),
        counterpart_reference: Some("BE89549452327885".into()),
        counterpart_name: Some(counterparty.into()),
        counterpart_bic: None,
        currency: Some(currency.into()),
        description: Some(text.into()),
        execution_date: Some(BankDateTime::from_date(d)),
        value_date: Some(BankDateTime::from_date(d)),
        remittance_information: None,
        bank_transaction_code: None,
        mandate: None,
        end_to_end_id: None,
    }
}

/// A gateway account.
pub fn account(id: &str, currency: &str) -> saldo_gateway::Account {
    let mut a = saldo_gateway::Account::new(id, currency, Some(format!("BE{id}")));
    a.description = Some(format!("Account {id}"));
    a
}

/// A closing booked balance.
pub fn clbd(amount: &str) -> saldo_gateway::Balance {
    saldo_gateway::Balance::new(saldo_gateway::BalanceType::Clbd, Amount::parse(amount).unwrap(), Some("EUR".into()))
}

/// A connection with the given accounts (enabled), returning (connection id, account ids).
pub fn seeded(store: &mut Store, accounts: &[(&str, &str)]) -> (i64, Vec<i64>) {
    let conn =
        store.insert_connection(-1, "Saldo Mock Bank", "BE", &saldo_gateway::UserContext::new("ctx-0"), now()).unwrap();
    let list: Vec<_> = accounts.iter().map(|(id, cur)| account(id, cur)).collect();
    let changes = store.apply_accounts(conn, &list, now()).unwrap();
    for id in &changes.added {
        store.set_account_enabled(*id, true, now()).unwrap();
    }
    (conn, changes.added)
}
