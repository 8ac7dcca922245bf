//! `accounts`: discovered accounts, disabled until the person enables them
//! (R12), kept and marked when the bank stops returning them (R13).

use chrono::{DateTime, Utc};
use rusqlite::{params, Row};

use crate::{Result, Store};

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// Connection.
    pub connection_id: i64,
    /// The gateway's account id.
    pub gateway_id: String,
    /// IBAN.
    pub iban: Option<String>,
    /// Currency.
    pub currency: String,
    /// Description / name.
    pub description: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Owner.
    pub owner_name: Option<String>,
    /// BIC of the account's bank.
    pub bic: Option<String>,
    /// ISO 20022 cash account type (`CACC`, `SVGS`, `CARD`, …).
    pub cash_account_type: Option<String>,
    /// Whether data is fetched for it (R12).
    pub enabled: bool,
    /// When the bank stopped returning it (R13).
    pub disappeared_at: Option<String>,
}

impl Account {
    /// What to call it: the bank's description, else the product, the IBAN,
    /// the gateway's id.
    pub fn name(&self) -> String {
        self.description
            .clone()
            .or_else(|| self.product.clone())
            .or_else(|| self.iban.clone())
            .unwrap_or_else(|| self.gateway_id.clone())
    }
}

const COLUMNS: &str = "id, connection_id, gateway_id, iban, currency, description, product, owner_name, enabled, disappeared_at, bic, cash_account_type";

fn row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        gateway_id: r.get(2)?,
        iban: r.get(3)?,
        currency: r.get(4)?,
        description: r.get(5)?,
        product: r.get(6)?,
        owner_name: r.get(7)?,
        enabled: r.get::<_, i64>(8)? == 1,
        disappeared_at: r.get(9)?,
        bic: r.get(10)?,
        cash_account_type: r.get(11)?,
    })
}

/// What changed when the bank's account list was applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChanges {
    /// Newly discovered (added disabled).
    pub added: Vec<i64>,
    /// No longer returned (kept, marked disappeared).
    pub disappeared: Vec<i64>,
    /// Returned again after having disappeared.
    pub reappeared: Vec<i64>,
}

impl Store {
    /// Applies the bank's current account list for a connection: new accounts
    /// are added disabled (R12), missing ones marked disappeared (R13),
    /// returning ones unmarked. Details are refreshed.
    pub fn apply_accounts(
        &mut self,
        connection_id: i64,
        accounts: &[saldo_gateway::Account],
        now: DateTime<Utc>,
    ) -> Result<AccountChanges> {
        let now = now.to_rfc3339();
        let tx = self.conn.transaction()?;
        let mut changes = AccountChanges::default();
        for a in accounts {
            let existing: Option<(i64, Option<String>)> = {
                use rusqlite::OptionalExtension;
                tx.query_row(
                    "SELECT id, disappeared_at FROM accounts WHERE connection_id = ?1 AND gateway_id = ?2",
                    params![connection_id, a.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
            };
            let currency = match a.currency.as_deref() {
                None => "EUR".to_owned(),
                Some(c) => crate::checked_currency(c).unwrap_or_else(|| {
                    tracing::warn!("an account's currency is not a currency code; stored as {}", crate::NO_CURRENCY);
                    crate::NO_CURRENCY.to_owned()
                }),
            };
            match existing {
                Some((id, gone)) => {
                    tx.execute(
                        "UPDATE accounts SET iban = ?2, currency = ?3, description = ?4, product = ?5, owner_name = ?6, bic = ?7,
                         cash_account_type = ?8, disappeared_at = NULL, updated_at = ?9 WHERE id = ?1",
                        params![id, a.iban, currency, a.description, a.product, a.owner_name, a.bic, a.cash_account_type, now],
                    )?;
                    if gone.is_some() {
                        changes.reappeared.push(id);
                    }
                }
                None => {
                    tx.execute(
                        "INSERT INTO accounts (connection_id, gateway_id, iban, currency, description, product, owner_name, bic,
                         cash_account_type, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?10)",
                        params![connection_id, a.id, a.iban, currency, a.description, a.product, a.owner_name, a.bic, a.cash_account_type, now],
                    )?;
                    changes.added.push(tx.last_insert_rowid());
                }
            }
        }
        let present: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        let mut st =
            tx.prepare("SELECT id, gateway_id FROM accounts WHERE connection_id = ?1 AND disappeared_at IS NULL")?;
        let stored: Vec<(i64, String)> =
            st.query_map([connection_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        drop(st);
        for (id, gid) in stored {
            if !present.contains(&gid.as_str()) {
                tx.execute("UPDATE accounts SET disappeared_at = ?2, updated_at = ?2 WHERE id = ?1", params![id, now])?;
                changes.disappeared.push(id);
            }
        }
        tx.commit()?;
        Ok(changes)
    }

    /// Enables or disables an account (R12).
    pub fn set_account_enabled(&self, id: i64, enabled: bool, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE accounts SET enabled = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, enabled as i64, now.to_rfc3339()],
        )? > 0)
    }

    /// Accounts, optionally of one connection; disappeared ones only when asked (R13).
    pub fn accounts(&self, connection_id: Option<i64>, include_disappeared: bool) -> Result<Vec<Account>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE (?1 IS NULL OR connection_id = ?1) AND (?2 OR disappeared_at IS NULL) ORDER BY connection_id, id"
        ))?;
        let rows = st.query_map(params![connection_id, include_disappeared], row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Deletes an account and its balances and transactions (R14).
    pub fn delete_account(&self, id: i64) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM accounts WHERE id = ?1", [id])? > 0)
    }
}
