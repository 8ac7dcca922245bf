//! `category_days`: money in and out per account, booking day and category
//! (0: none), and the same per month (`category_months`). Every change of a
//! row (ingest, amendment) or of the category it shows (a rule, the person,
//! a transfer, undo) adds its deltas here in the same transaction, so
//! reports by category and by month sum a few thousand aggregates whatever
//! the number of rows. `reports::tests` and the
//! end-to-end tests compare them with a scan of the rows.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use crate::Result;

/// `(account, day, category, counterparty key, counterparty, currency, scale)`.
type Key = (i64, String, i64, String, String, String, u32);

/// `(category, account, month, currency, scale)`.
type MonthKey = (i64, i64, String, String, u32);

/// Deltas to add, collected over a step and written once.
#[derive(Debug, Default)]
pub(crate) struct Deltas(HashMap<Key, (i64, i64, i64)>);

/// A row's place in the sums: its account, day, amount and currency.
#[derive(Clone, Debug)]
pub(crate) struct RowAmount {
    pub(crate) account_id: i64,
    pub(crate) day: String,
    pub(crate) minor: i64,
    pub(crate) currency: String,
    pub(crate) scale: u32,
    /// Its counterparty's merge key ('' when none or not looked at yet).
    pub(crate) key: String,
    /// Its clean counterparty name ('' likewise).
    pub(crate) clean: String,
}

impl Deltas {
    /// Counts a row in `category` (`add`), or takes it out (`!add`).
    pub(crate) fn count(&mut self, row: &RowAmount, category: Option<i64>, add: bool) {
        let sign = if add { 1 } else { -1 };
        let e = self
            .0
            .entry((
                row.account_id,
                row.day.clone(),
                category.unwrap_or(0),
                row.key.clone(),
                row.clean.clone(),
                row.currency.clone(),
                row.scale,
            ))
            .or_default();
        if row.minor > 0 {
            e.0 += sign * row.minor;
        } else {
            e.1 += sign * row.minor;
        }
        e.2 += sign;
    }

    /// Adds another step's deltas to these.
    pub(crate) fn merge(&mut self, other: Deltas) {
        for (k, (inn, out, rows)) in other.0 {
            let e = self.0.entry(k).or_default();
            e.0 += inn;
            e.1 += out;
            e.2 += rows;
        }
    }

    /// Moves a row from one category to another.
    pub(crate) fn moved(&mut self, row: &RowAmount, from: Option<i64>, to: Option<i64>) {
        if from != to {
            self.count(row, from, false);
            self.count(row, to, true);
        }
    }

    /// Writes the deltas, and their sums per month (`category_months`).
    pub(crate) fn flush(self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        let mut up = tx.prepare_cached(
            "INSERT INTO category_days (account_id, day, category_id, counterparty_key, counterparty, currency, scale,
                                        in_minor, out_minor, rows)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (day, account_id, category_id, counterparty_key, counterparty, currency, scale) DO UPDATE SET
             in_minor = in_minor + excluded.in_minor, out_minor = out_minor + excluded.out_minor, rows = rows + excluded.rows",
        )?;
        // In the primary key's order: each write lands beside the last one
        // (the pages it needs are the ones just read).
        let mut deltas: Vec<(Key, (i64, i64, i64))> = self.0.into_iter().filter(|(_, d)| *d != (0, 0, 0)).collect();
        deltas.sort_unstable_by(|(a, _), (b, _)| {
            (&a.1, a.0, a.2, &a.3, &a.4, &a.5, a.6).cmp(&(&b.1, b.0, b.2, &b.3, &b.4, &b.5, b.6))
        });
        let mut months: std::collections::BTreeMap<MonthKey, (i64, i64, i64)> = Default::default();
        let mut empty = false;
        for ((account, day, category, key, clean, currency, scale), (inn, out, rows)) in deltas {
            empty |= rows < 0;
            up.execute(params![account, day, category, key, clean, currency, scale, inn, out, rows])?;
            let m = months
                .entry((category, account, day.get(..7).unwrap_or(&day).to_owned(), currency, scale))
                .or_default();
            m.0 += inn;
            m.1 += out;
            m.2 += rows;
        }
        let mut up = tx.prepare_cached(
            "INSERT INTO category_months (category_id, account_id, month, currency, scale, in_minor, out_minor, rows)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (category_id, account_id, month, currency, scale) DO UPDATE SET
             in_minor = in_minor + excluded.in_minor, out_minor = out_minor + excluded.out_minor, rows = rows + excluded.rows",
        )?;
        for ((category, account, month, currency, scale), (inn, out, rows)) in months {
            if (inn, out, rows) != (0, 0, 0) {
                up.execute(params![category, account, month, currency, scale, inn, out, rows])?;
            }
        }
        if empty {
            tx.execute("DELETE FROM category_days WHERE rows = 0", [])?;
            tx.execute("DELETE FROM category_months WHERE rows = 0", [])?;
        }
        Ok(())
    }
}

/// A stored row's amount and the category it shows (the person's, else
/// its own), by (account, identity).
pub(crate) fn row_and_category(
    tx: &rusqlite::Connection,
    account_id: i64,
    identity: &str,
) -> Result<Option<(RowAmount, Option<i64>)>> {
    Ok(tx
        .prepare_cached(
            "SELECT t.booking_date, t.amount_minor, t.currency, t.scale,
                    CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END,
                    coalesce(t.counterparty_key, ''), coalesce(t.counterparty_clean, '') FROM transactions t
             LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
             WHERE t.account_id = ?1 AND t.identity = ?2",
        )?
        .query_row(params![account_id, identity], |r| {
            Ok((
                RowAmount {
                    account_id,
                    day: r.get(0)?,
                    minor: r.get(1)?,
                    currency: r.get(2)?,
                    scale: r.get(3)?,
                    key: r.get(5)?,
                    clean: r.get(6)?,
                },
                r.get(4)?,
            ))
        })
        .optional()?)
}

/// Runs `change` (which may change the row's label or its own decision)
/// and counts the row's move between categories.
pub(crate) fn track<T>(
    tx: &rusqlite::Connection,
    days: &mut Deltas,
    account_id: i64,
    identity: &str,
    change: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let before = row_and_category(tx, account_id, identity)?;
    let done = change()?;
    if let Some((row, from)) = before {
        let to: Option<i64> = tx
            .prepare_cached(
                "SELECT CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END FROM transactions t
                 LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
                 WHERE t.account_id = ?1 AND t.identity = ?2",
            )?
            .query_row(params![account_id, identity], |r| r.get(0))
            .optional()?
            .flatten();
        days.moved(&row, from, to);
    }
    Ok(done)
}
