//! `aliases`, and what is known of one counterparty: the name the person
//! gives a counterparty (by its clean name's key, or by its account number)
//! survives every later sync, because new rows get the same key.

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;

use crate::{Result, Store, StoreError};

/// What Saldo knows of one counterparty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterpartySummary {
    /// The name shown (the person's, else the clean one).
    pub name: String,
    /// The merge key.
    pub key: String,
    /// The texts the banks sent for it.
    pub raw_names: Vec<String>,
    /// Its account numbers.
    pub ibans: Vec<String>,
    /// Rows.
    pub rows: u64,
    /// First and last booking date.
    pub first_seen: Option<String>,
    /// Last booking date.
    pub last_seen: Option<String>,
    /// Per month and currency: money in, money out (positive).
    pub months: Vec<(String, String, Decimal, Decimal)>,
}

impl Store {
    /// Gives the counterparty called `name` (its clean name or its current
    /// name) the name `to`; with `iban`, every counterparty with that account
    /// number instead (a merge: several clean names under one). Returns the
    /// rows it names.
    pub fn rename_counterparty(&mut self, name: &str, iban: Option<&str>, to: &str) -> Result<u64> {
        let to = to.trim();
        if to.is_empty() {
            return Err(StoreError::Corrupt("a counterparty needs a name".into()));
        }
        let tx = self.conn.transaction()?;
        let keys: Vec<String> = match iban {
            Some(iban) => {
                let iban = saldo_classify::transfers::compact_iban(iban);
                let mut st = tx.prepare(
                    "SELECT DISTINCT counterparty_key FROM transactions
                     WHERE replace(upper(counterparty_account), ' ', '') = ?1 AND coalesce(counterparty_key, '') <> ''",
                )?;
                let rows = st.query_map([iban], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
            None => {
                let key = saldo_classify::counterparty::key(name);
                if key.is_empty() {
                    return Err(StoreError::Corrupt(format!("no counterparty is called {name:?}")));
                }
                let by_alias: Vec<String> = {
                    let mut st = tx.prepare("SELECT match_key FROM aliases WHERE name = ?1")?;
                    let rows = st.query_map([name.trim()], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM transactions WHERE counterparty_key = ?1)",
                    [&key],
                    |r| r.get(0),
                )?;
                by_alias.into_iter().chain(known.then_some(key)).collect()
            }
        };
        if keys.is_empty() {
            return Err(StoreError::Corrupt(format!("no counterparty is called {name:?}")));
        }
        let mut rows = 0u64;
        for k in &keys {
            tx.execute(
                "INSERT INTO aliases (match_key, name) VALUES (?1, ?2) ON CONFLICT (match_key) DO UPDATE SET name = excluded.name",
                params![k, to],
            )?;
            rows += tx.query_row("SELECT count(*) FROM transactions WHERE counterparty_key = ?1", [k], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// What is known of the counterparty shown as `name`.
    pub fn counterparty(&self, name: &str) -> Result<Option<CounterpartySummary>> {
        let key = saldo_classify::counterparty::key(name);
        let keys: Vec<String> = {
            let mut st = self.conn.prepare_cached("SELECT match_key FROM aliases WHERE name = ?1")?;
            let rows = st.query_map([name.trim()], |r| r.get(0))?;
            let mut keys: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
            keys.push(key.clone());
            keys
        };
        let keys_json = serde_json::to_string(&keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let head: Option<(i64, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT count(*), min(booking_date), max(booking_date) FROM transactions
                 WHERE counterparty_key IN (SELECT value FROM json_each(?1))",
                [&keys_json],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((rows, first_seen, last_seen)) = head.filter(|h| h.0 > 0) else { return Ok(None) };
        let list = |sql: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map([&keys_json], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let raw_names = list(
            "SELECT DISTINCT counterparty_name FROM transactions
             WHERE counterparty_key IN (SELECT value FROM json_each(?1)) AND counterparty_name IS NOT NULL LIMIT 20",
        )?;
        let ibans = list(
            "SELECT DISTINCT counterparty_account FROM transactions
             WHERE counterparty_key IN (SELECT value FROM json_each(?1)) AND counterparty_account IS NOT NULL LIMIT 20",
        )?;
        let mut st = self.conn.prepare_cached(
            "SELECT substr(booking_date, 1, 7), currency, scale,
                    sum(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END),
                    sum(CASE WHEN amount_minor < 0 THEN -amount_minor ELSE 0 END)
             FROM transactions WHERE counterparty_key IN (SELECT value FROM json_each(?1))
             GROUP BY 1, 2, 3 ORDER BY 1",
        )?;
        let months = st
            .query_map([&keys_json], |r| {
                let scale: u32 = r.get(2)?;
                Ok((r.get(0)?, r.get(1)?, Decimal::new(r.get(3)?, scale), Decimal::new(r.get(4)?, scale)))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let shown: Option<String> = self
            .conn
            .query_row(
                "SELECT coalesce(a.name, t.counterparty_clean) FROM transactions t LEFT JOIN aliases a ON a.match_key = t.counterparty_key
                 WHERE t.counterparty_key IN (SELECT value FROM json_each(?1)) LIMIT 1",
                [&keys_json],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(Some(CounterpartySummary {
            name: shown.unwrap_or_else(|| name.to_owned()),
            key,
            raw_names,
            ibans,
            rows: rows as u64,
            first_seen,
            last_seen,
            months,
        }))
    }
}
