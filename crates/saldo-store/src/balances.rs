//! `balances`: one row per balance per sync, so history is kept.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, TransactionBehavior};
use saldo_gateway::UserContext;

use crate::{Result, Store, StoreError, StoredAmount};

/// A stored balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceRow {
    /// Account.
    pub account_id: i64,
    /// ISO 20022 type (`CLBD`, `ITAV`, …).
    pub balance_type: String,
    /// Exact amount.
    pub amount: rust_decimal::Decimal,
    /// Currency.
    pub currency: String,
    /// The day it refers to.
    pub reference_date: Option<NaiveDate>,
    /// When it was fetched.
    pub fetched_at: String,
}

impl Store {
    /// Stores the balances of one fetch.
    pub fn insert_balances(
        &mut self,
        account_id: i64,
        run: Option<i64>,
        balances: &[saldo_gateway::Balance],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_balances_tx(&tx, account_id, run, balances, now)?;
        tx.commit()?;
        Ok(())
    }

    /// The latest balance of each type per account: the one of the latest
    /// day (a statement imported today may close a day years ago), then the
    /// latest stored.
    pub fn latest_balances(&self, account_id: i64) -> Result<Vec<BalanceRow>> {
        let mut st = self.conn.prepare(
            "SELECT account_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at FROM balances b
             WHERE account_id = ?1 AND id = (SELECT id FROM balances WHERE account_id = b.account_id AND balance_type = b.balance_type
                 ORDER BY coalesce(reference_date, substr(fetched_at, 1, 10)) DESC, id DESC LIMIT 1)
             ORDER BY balance_type",
        )?;
        let rows = st.query_map([account_id], balance_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every stored balance of an account, oldest first (balance over time).
    pub fn balance_history(&self, account_id: i64) -> Result<Vec<BalanceRow>> {
        let mut st = self.conn.prepare(
            "SELECT account_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at FROM balances
             WHERE account_id = ?1 ORDER BY coalesce(reference_date, fetched_at), id",
        )?;
        let rows = st.query_map([account_id], balance_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

pub(crate) fn balance_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BalanceRow> {
    let date: Option<String> = r.get(5)?;
    Ok(BalanceRow {
        account_id: r.get(0)?,
        balance_type: r.get(1)?,
        amount: StoredAmount { minor: r.get(2)?, scale: r.get::<_, u32>(3)? }.to_decimal(),
        currency: r.get(4)?,
        reference_date: date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        fetched_at: r.get(6)?,
    })
}

pub(crate) fn insert_balances_tx(
    tx: &rusqlite::Transaction<'_>,
    account_id: i64,
    run: Option<i64>,
    balances: &[saldo_gateway::Balance],
    now: DateTime<Utc>,
) -> Result<()> {
    let currency_of: String =
        tx.query_row("SELECT currency FROM accounts WHERE id = ?1", [account_id], |r| r.get(0))?;
    let mut st = tx.prepare_cached(
        "INSERT INTO balances (account_id, sync_run_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for b in balances {
        let currency = b.balance_amount.currency.clone().unwrap_or_else(|| currency_of.clone());
        let amount = StoredAmount::from_decimal(b.balance_amount.amount.0, &currency)
            .ok_or_else(|| StoreError::Corrupt(format!("balance {} does not fit", b.balance_amount.amount)))?;
        st.execute(params![
            account_id,
            run,
            b.balance_type.as_str(),
            amount.minor,
            amount.scale,
            currency,
            b.reference_date.as_ref().map(|d| d.date().to_string()),
            now.to_rfc3339()
        ])?;
    }
    Ok(())
}

impl Store {
    /// Stores balances together with the user context that came with them (R1).
    pub fn commit_balances(
        &mut self,
        connection_id: i64,
        account_id: i64,
        run: i64,
        balances: &[saldo_gateway::Balance],
        user_context: Option<&UserContext>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(user) = user_context {
            tx.execute(
                "UPDATE connections SET user_context = ?2, updated_at = ?3 WHERE id = ?1",
                params![connection_id, user.expose(), now.to_rfc3339()],
            )?;
        }
        crate::balances::insert_balances_tx(&tx, account_id, Some(run), balances, now)?;
        tx.commit()?;
        Ok(())
    }
}
