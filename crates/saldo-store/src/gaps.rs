//! `gaps`: stretches of an account's history the gateway says may be
//! missing (a transaction it marks `possibleHole`). Recorded by the ingest,
//! shown to the person with the days around them, closed when a later
//! fetch brings the same transaction without the mark.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use crate::{Result, Store};

/// A possibly missing stretch of an account's transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The account.
    pub account_id: i64,
    /// The last day known before the hole, when the page showed it.
    pub after: Option<NaiveDate>,
    /// The first day known after the hole: the marked transaction's day.
    pub before: NaiveDate,
}

impl Store {
    /// The open gaps of an account (all accounts with `None`), oldest first.
    pub fn gaps(&self, account_id: Option<i64>) -> Result<Vec<Gap>> {
        let mut st = self.conn.prepare_cached(
            "SELECT account_id, after_date, before_date FROM gaps
             WHERE (?1 IS NULL OR account_id = ?1) ORDER BY account_id, before_date",
        )?;
        let day = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        let rows = st
            .query_map([account_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(account_id, after, before)| {
                Some(Gap { account_id, after: day(after), before: day(Some(before))? })
            })
            .collect())
    }
}

/// Records (or, with `open = false`, closes) the gap before a transaction of
/// `before` inside an ingest transaction.
pub(crate) fn mark(
    tx: &rusqlite::Transaction<'_>,
    account_id: i64,
    after: Option<NaiveDate>,
    before: NaiveDate,
    open: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    if open {
        tx.execute(
            "INSERT INTO gaps (account_id, after_date, before_date, found_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, before_date) DO UPDATE SET after_date = coalesce(excluded.after_date, after_date)",
            params![account_id, after.map(|d| d.to_string()), before.to_string(), now.to_rfc3339()],
        )?;
    } else {
        tx.execute(
            "DELETE FROM gaps WHERE account_id = ?1 AND before_date = ?2",
            params![account_id, before.to_string()],
        )?;
    }
    Ok(())
}
