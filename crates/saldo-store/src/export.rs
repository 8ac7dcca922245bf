//! Reads for exports: every stored field of a transaction, streamed in
//! booking-date order one account at a time, so an export of a million rows
//! holds one row in memory.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::states::CategoryKind;
use crate::transactions::day_base;
use crate::{Result, Store, StoreError, StoredAmount};

/// One transaction with every field an export writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportTx {
    /// Row id (date-ordered, not stable across databases).
    pub id: i64,
    /// Stable identity (`b:<bank id>#n` or `f:<fingerprint>#n`, R16): the
    /// same transaction gets the same identity in every export.
    pub identity: String,
    /// The bank's id.
    pub bank_id: Option<String>,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Value date.
    pub value_date: Option<NaiveDate>,
    /// Exact amount, with at least the currency's decimals.
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// Counterparty name.
    pub counterparty_name: Option<String>,
    /// Counterparty account (IBAN or other).
    pub counterparty_account: Option<String>,
    /// Counterparty BIC.
    pub counterparty_bic: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Remittance information.
    pub remittance: Option<String>,
    /// Creditor reference.
    pub creditor_reference: Option<String>,
    /// Bank transaction code.
    pub bank_transaction_code: Option<String>,
    /// The clean counterparty name (or the name the person gave it).
    pub counterparty_clean: Option<String>,
    /// The category's path and kind.
    pub category: Option<(String, CategoryKind)>,
    /// The transfer between own accounts this row is a leg of.
    pub transfer: Option<TransferLeg>,
}

/// A row's place in a transfer between own accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferLeg {
    /// The transfer's id (the same on both legs).
    pub id: i64,
    /// The account at the other end, when Saldo has it.
    pub other_account: Option<i64>,
    /// Whether this is the leg that took the money out.
    pub outgoing: bool,
    /// Whether the other leg is stored (an export writes the transfer once).
    pub paired: bool,
    /// The other leg's booking date, when it is stored.
    pub other_date: Option<NaiveDate>,
}

/// A transfer into an account, seen from the account the money left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingTransfer {
    /// The transfer's id.
    pub id: i64,
    /// The account the money left.
    pub from_account: i64,
    /// The day it left.
    pub left: NaiveDate,
    /// The day it arrived (this account's booking date).
    pub arrived: NaiveDate,
    /// The amount that arrived.
    pub amount: Decimal,
}

/// A date range of an export (both ends inclusive, open when `None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    /// First booking date.
    pub from: Option<NaiveDate>,
    /// Last booking date.
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// Bounds as row ids: ids are date-ordered (migration v2), so a date
    /// range is an id range and the (account, id) index drives, in order.
    fn bounds(&self) -> (i64, i64) {
        (self.from.map_or(0, day_base), self.to.map_or(i64::MAX, |d| day_base(d) + 0xFF_FFFF))
    }
}

/// How much of an account an export holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Transactions in range.
    pub count: u64,
    /// First booking date in range.
    pub first: Option<NaiveDate>,
    /// Last booking date in range.
    pub last: Option<NaiveDate>,
}

/// A stored `YYYY-MM-DD` (a column that holds something else is an error).
pub(crate) fn date(s: Option<String>) -> rusqlite::Result<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
    })
    .transpose()
}

/// Every field of an account's transactions in a range, in id (= date) order.
/// The rows of an account in a range, with their own category decision and
/// their merge key; the person's labels, categories, aliases and transfers
/// (few) are looked up in memory, so the stream reads the rows alone.
const STREAM: &str =
    "SELECT t.id, t.identity, t.bank_id, t.booking_date, t.value_date, t.amount_minor, t.scale, t.currency, t.counterparty_name,
            t.counterparty_account, t.counterparty_bic, t.description, t.remittance, t.creditor_reference,
            t.bank_transaction_code, nullif(t.counterparty_clean, ''), t.counterparty_key, t.auto_category_id
     FROM transactions t
     WHERE t.account_id = ?1 AND t.id BETWEEN ?2 AND ?3 ORDER BY t.id";

/// An account's transfer legs by identity.
const LEGS: &str = "SELECT x.id, x.out_account = ?1 AND x.out_identity IS NOT NULL AND t.identity = x.out_identity,
        t.identity, o.account_id, o.booking_date, x.out_identity IS NOT NULL AND x.in_identity IS NOT NULL
     FROM transfers x
     JOIN transactions t ON t.account_id = ?1 AND ((x.out_account = ?1 AND t.identity = x.out_identity)
                                                OR (x.in_account = ?1 AND t.identity = x.in_identity))
     LEFT JOIN transactions o ON (t.identity = x.out_identity AND x.out_account = ?1 AND o.account_id = x.in_account AND o.identity = x.in_identity)
                              OR (t.identity = x.in_identity AND x.in_account = ?1 AND o.account_id = x.out_account AND o.identity = x.out_identity)
     WHERE x.out_account = ?1 OR x.in_account = ?1";

impl Store {
    /// Count and first/last date of an account's transactions in a range.
    pub fn span(&self, account_id: i64, range: DateRange) -> Result<Span> {
        let (lo, hi) = range.bounds();
        let (count, first, last) = self.conn.query_row(
            "SELECT count(*), min(booking_date), max(booking_date) FROM transactions
             WHERE account_id = ?1 AND id BETWEEN ?2 AND ?3",
            rusqlite::params![account_id, lo, hi],
            |r| Ok((r.get::<_, i64>(0)?, date(r.get(1)?)?, date(r.get(2)?)?)),
        )?;
        Ok(Span { count: u64::try_from(count).unwrap_or(0), first, last })
    }

    /// Exact sum of an account's transactions in a range.
    pub fn sum(&self, account_id: i64, range: DateRange) -> Result<Decimal> {
        let (lo, hi) = range.bounds();
        let mut st = self.conn.prepare_cached(
            "SELECT scale, sum(amount_minor) FROM transactions WHERE account_id = ?1 AND id BETWEEN ?2 AND ?3 GROUP BY scale",
        )?;
        let mut total = Decimal::ZERO;
        let rows =
            st.query_map(rusqlite::params![account_id, lo, hi], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (scale, minor) = row?;
            total = total
                .checked_add(Decimal::new(minor, scale))
                .ok_or_else(|| StoreError::Corrupt("sum out of range".into()))?;
        }
        Ok(total)
    }

    /// Net amount per booking day of an account in a range, oldest first
    /// (days without transactions are left out). Exact.
    pub fn daily_sums(&self, account_id: i64, range: DateRange) -> Result<Vec<(NaiveDate, Decimal)>> {
        let (lo, hi) = range.bounds();
        let mut st = self.conn.prepare_cached(
            "SELECT booking_date, scale, sum(amount_minor) FROM transactions
             WHERE account_id = ?1 AND id BETWEEN ?2 AND ?3 GROUP BY booking_date, scale ORDER BY booking_date",
        )?;
        let mut out: Vec<(NaiveDate, Decimal)> = Vec::new();
        let rows = st.query_map(rusqlite::params![account_id, lo, hi], |r| {
            Ok((date(r.get(0)?)?, r.get::<_, u32>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (day, scale, minor) = row?;
            let Some(day) = day else { continue };
            let amount = Decimal::new(minor, scale);
            match out.last_mut() {
                Some((d, total)) if *d == day => {
                    *total = total.checked_add(amount).ok_or_else(|| StoreError::Corrupt("sum out of range".into()))?;
                }
                _ => out.push((day, amount)),
            }
        }
        Ok(out)
    }

    /// Every transfer into an account whose outgoing leg is stored, oldest
    /// arrival first (an export that writes a transfer once, on the day the
    /// money left, needs them to keep the account's balance assertions true).
    pub fn incoming_transfers(&self, account_id: i64) -> Result<Vec<IncomingTransfer>> {
        let mut st = self.conn.prepare_cached(
            "SELECT x.id, o.account_id, o.booking_date, t.booking_date, t.amount_minor, t.scale
             FROM transfers x
             JOIN transactions t ON t.account_id = x.in_account AND t.identity = x.in_identity
             JOIN transactions o ON o.account_id = x.out_account AND o.identity = x.out_identity
             WHERE x.in_account = ?1 ORDER BY t.id",
        )?;
        let rows = st.query_map([account_id], |r| {
            Ok(IncomingTransfer {
                id: r.get(0)?,
                from_account: r.get(1)?,
                left: date(r.get(2)?)?.unwrap_or_default(),
                arrived: date(r.get(3)?)?.unwrap_or_default(),
                amount: StoredAmount { minor: r.get(4)?, scale: r.get::<_, u32>(5)? }.to_decimal(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `f` with each transaction of an account in a range, oldest first
    /// (booking date, then arrival), without collecting them.
    pub fn for_each_transaction<E: From<StoreError>>(
        &self,
        account_id: i64,
        range: DateRange,
        mut f: impl FnMut(ExportTx) -> Result<(), E>,
    ) -> Result<(), E> {
        let (lo, hi) = range.bounds();
        let categories: std::collections::HashMap<i64, (String, CategoryKind)> =
            self.categories()?.into_iter().map(|c| (c.id, (c.path, c.kind))).collect();
        let aliases = self.alias_names()?;
        let persons = crate::labels::PersonLabels::load(&self.conn, Some(account_id))?;
        let legs: std::collections::HashMap<String, TransferLeg> = {
            let mut st = self.conn.prepare_cached(LEGS).map_err(StoreError::from)?;
            let rows = st
                .query_map([account_id], |r| {
                    Ok((
                        r.get::<_, String>(2)?,
                        TransferLeg {
                            id: r.get(0)?,
                            outgoing: r.get(1)?,
                            other_account: r.get(3)?,
                            other_date: date(r.get(4)?)?,
                            paired: r.get(5)?,
                        },
                    ))
                })
                .map_err(StoreError::from)?;
            rows.collect::<rusqlite::Result<_>>().map_err(StoreError::from)?
        };
        let mut st = self.conn.prepare_cached(STREAM).map_err(StoreError::from)?;
        let rows = st
            .query_map(rusqlite::params![account_id, lo, hi], |r| {
                let identity: String = r.get(1)?;
                let clean: Option<String> = r.get(15)?;
                let key: Option<String> = r.get(16)?;
                // The person's choice, else the row's own decision.
                let category: Option<i64> = persons.get(account_id, &identity).unwrap_or(r.get(17)?);
                Ok(ExportTx {
                    id: r.get(0)?,
                    transfer: legs.get(&identity).copied(),
                    identity,
                    bank_id: r.get(2)?,
                    booking_date: date(r.get(3)?)?.unwrap_or_default(),
                    value_date: date(r.get(4)?)?,
                    amount: StoredAmount { minor: r.get(5)?, scale: r.get::<_, u32>(6)? }.to_decimal(),
                    currency: r.get(7)?,
                    counterparty_name: r.get(8)?,
                    counterparty_account: r.get(9)?,
                    counterparty_bic: r.get(10)?,
                    description: r.get(11)?,
                    remittance: r.get(12)?,
                    creditor_reference: r.get(13)?,
                    bank_transaction_code: r.get(14)?,
                    counterparty_clean: key.and_then(|k| aliases.get(&k).cloned()).or(clean),
                    category: category.and_then(|c| categories.get(&c).cloned()),
                })
            })
            .map_err(StoreError::from)?;
        for row in rows {
            f(row.map_err(StoreError::from)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::STREAM;

    #[test]
    fn the_export_stream_reads_in_index_order_without_sorting_in_memory() {
        let tmp = tempfile::Builder::new().prefix("saldo-export-plan-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let s = crate::Store::open(&dir.join("p.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
        let mut st = s.conn.prepare(&format!("EXPLAIN QUERY PLAN {STREAM}")).unwrap();
        let plan: Vec<String> = st
            .query_map(rusqlite::params![1, 0, i64::MAX], |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert!(
            plan.iter().all(|p| !p.contains("TEMP B-TREE")) && plan.iter().any(|p| p.contains("USING INDEX")),
            "a million-row export streams from the index; a sort would hold every row in memory: {plan:?}"
        );
    }
}
