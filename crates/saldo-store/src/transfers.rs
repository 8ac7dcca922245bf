//! `transfers`, `not_transfers`, `transfer_review`, `own_ibans`: money moved
//! between the person's own accounts, found by `saldo_classify::transfers`
//! (the rules are there), recorded once with both legs (either may be
//! missing), labelled with the transfer category, and left out of income
//! and spending. The person can say "not a transfer", pair two rows, and
//! name IBANs of their accounts Saldo does not sync.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};
use saldo_classify::transfers::{self, Leg, Own};

use crate::states::{CategoryKind, TransferHow};
use crate::transactions::day_base;
use crate::{Result, Store, StoreError};

/// The category transfers are filed under (created when missing).
pub const TRANSFER_CATEGORY: &str = "Transfers";

/// What a detection found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detected {
    /// Transfers recorded.
    pub transfers: usize,
    /// Groups left for the person to decide.
    pub review: usize,
}

/// A recorded transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Id (the same on both legs).
    pub id: i64,
    /// The outgoing leg's row id, if stored.
    pub out_row: Option<i64>,
    /// The incoming leg's row id, if stored.
    pub in_row: Option<i64>,
    /// How it was recognised.
    pub how: TransferHow,
}

/// `(account, identity)` of a row.
fn key_of(tx: &rusqlite::Transaction<'_>, row: i64) -> Result<(i64, String)> {
    tx.query_row("SELECT account_id, identity FROM transactions WHERE id = ?1", [row], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("there is no transaction {row}")))
}

fn how_of(h: transfers::How) -> TransferHow {
    match h {
        transfers::How::Iban => TransferHow::Iban,
        transfers::How::AmountDate => TransferHow::AmountDate,
    }
}

/// Records a transfer and makes it its legs' own decision (a person's
/// label stays over it).
fn record(
    tx: &rusqlite::Transaction<'_>,
    category: i64,
    out: Option<(i64, String)>,
    inn: Option<(i64, String)>,
    how: TransferHow,
    now: &str,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO transfers (out_account, out_identity, in_account, in_identity, how, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![out.as_ref().map(|k| k.0), out.as_ref().map(|k| &k.1), inn.as_ref().map(|k| k.0), inn.as_ref().map(|k| &k.1), how, now],
    )?;
    let id = tx.last_insert_rowid();
    let reason = crate::labels::ReasonIds::default().id(tx, &crate::labels::Decision::transfer(category))?;
    let mut days = crate::category_days::Deltas::default();
    for (account, identity) in out.iter().chain(inn.iter()) {
        crate::category_days::track(tx, &mut days, *account, identity, || {
            Ok(tx.execute(
                "UPDATE transactions SET auto_category_id = ?3, auto_reason_id = ?4 WHERE account_id = ?1 AND identity = ?2",
                params![account, identity, category, reason],
            )?)
        })?;
        tx.execute("DELETE FROM transfer_review WHERE account_id = ?1 AND identity = ?2", params![account, identity])?;
    }
    days.flush(tx)?;
    Ok(id)
}

impl Store {
    /// IBANs of the person's own accounts that Saldo does not sync, with a name.
    pub fn own_ibans(&self) -> Result<Vec<(String, Option<String>)>> {
        let mut st = self.conn.prepare_cached("SELECT iban, name FROM own_ibans ORDER BY iban")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Adds (or renames) one of the person's other accounts.
    pub fn add_own_iban(&mut self, iban: &str, name: Option<&str>) -> Result<String> {
        let iban = transfers::compact_iban(iban);
        if iban.len() < 8 {
            return Err(StoreError::Corrupt(format!("{iban:?} is not an account number")));
        }
        self.conn.execute(
            "INSERT INTO own_ibans (iban, name) VALUES (?1, ?2) ON CONFLICT (iban) DO UPDATE SET name = excluded.name",
            params![iban, name],
        )?;
        Ok(iban)
    }

    /// Removes one of the person's other accounts; whether it was there.
    pub fn remove_own_iban(&mut self, iban: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM own_ibans WHERE iban = ?1", [transfers::compact_iban(iban)])? > 0)
    }

    /// Finds transfers among the rows booked in `window` (all rows with
    /// `None`) that are not paired yet, records them and labels their legs;
    /// refreshes the review list of that window. Idempotent.
    pub fn detect_transfers(&mut self, window: Option<(NaiveDate, NaiveDate)>, now: DateTime<Utc>) -> Result<Detected> {
        let own = {
            let mut st = self.conn.prepare_cached(
                "SELECT iban, id FROM accounts WHERE iban IS NOT NULL AND disappeared_at IS NULL
                 UNION ALL SELECT iban, NULL FROM own_ibans",
            )?;
            let rows: Vec<(String, Option<i64>)> =
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            Own::new(rows)
        };
        // Two weeks around the window: a leg of a transfer in it may be
        // booked a few banking days outside.
        let (lo, hi) = match window {
            Some((a, b)) => (
                day_base(a.checked_sub_days(Days::new(14)).unwrap_or(a)),
                day_base(b.checked_add_days(Days::new(14)).unwrap_or(b)) + 0xFF_FFFF,
            ),
            None => (i64::MIN, i64::MAX),
        };
        // Rows that are settled: a leg of a paired transfer, or a row the
        // person said is not one or categorised. Few beside the rows of a
        // window, so they are read once into memory rather than looked up
        // for every row (four index searches a row, most of a detection).
        let settled: std::collections::HashSet<(i64, String)> = {
            let mut st = self.conn.prepare_cached(
                "SELECT out_account, out_identity FROM transfers WHERE out_identity IS NOT NULL AND in_identity IS NOT NULL
                 UNION ALL SELECT in_account, in_identity FROM transfers WHERE in_identity IS NOT NULL AND out_identity IS NOT NULL
                 UNION ALL SELECT account_id, identity FROM not_transfers
                 UNION ALL SELECT account_id, identity FROM labels",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let legs: Vec<Leg> = {
            let mut st = self.conn.prepare_cached(
                "SELECT t.id, t.account_id, t.booking_date, t.amount_minor, t.scale, t.currency, t.counterparty_account,
                        t.bank_transaction_code, t.identity
                 FROM transactions t WHERE t.id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = st.query(params![lo, hi])?;
            let mut legs = Vec::new();
            let mut key = (0, String::new());
            fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
                r.get_ref(i)?.as_str_or_null().map_err(|e| StoreError::Corrupt(e.to_string()))
            }
            while let Some(r) = rows.next()? {
                // Most rows pay someone else, by card or by debit: they are
                // left out before anything of them is copied.
                let (iban, code) = (text(r, 6)?, text(r, 7)?);
                let minor: i64 = r.get(3)?;
                if !transfers::could_be_a_leg(iban, code, minor == 0, &own) {
                    continue;
                }
                key.0 = r.get(1)?;
                key.1.clear();
                key.1.push_str(text(r, 8)?.unwrap_or_default());
                if settled.contains(&key) {
                    continue;
                }
                legs.push(Leg {
                    row: r.get(0)?,
                    account: key.0,
                    date: r.get::<_, String>(2)?.parse().unwrap_or_default(),
                    amount: crate::StoredAmount { minor, scale: r.get::<_, u32>(4)? }.to_decimal(),
                    currency: r.get(5)?,
                    counterparty_iban: iban.map(str::to_owned),
                    bank_code: code.map(str::to_owned),
                });
            }
            legs
        };
        // Rows already recorded as one leg of a transfer whose other leg had
        // not arrived: a new row may complete them.
        let half: std::collections::HashMap<i64, i64> = {
            let mut st = self.conn.prepare_cached(
                "SELECT t.id, x.id FROM transfers x JOIN transactions t
                   ON (t.account_id = x.out_account AND t.identity = x.out_identity AND x.in_identity IS NULL)
                   OR (t.account_id = x.in_account AND t.identity = x.in_identity AND x.out_identity IS NULL)",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let found = transfers::detect(&legs, &own);
        let category = self.ensure_category(TRANSFER_CATEGORY, CategoryKind::Transfer)?;
        let now_s = now.to_rfc3339();
        let tx = self.conn.transaction()?;
        let mut recorded = 0;
        for f in &found.transfers {
            let known = |r: Option<i64>| r.and_then(|r| half.get(&r).copied());
            let (out_half, in_half) = (known(f.out_row), known(f.in_row));
            let out = f.out_row.map(|r| key_of(&tx, r)).transpose()?;
            let inn = f.in_row.map(|r| key_of(&tx, r)).transpose()?;
            match (out_half, in_half) {
                // Both legs already stand alone: one transfer now.
                (Some(a), Some(b)) => {
                    tx.execute("DELETE FROM transfers WHERE id IN (?1, ?2)", params![a, b])?;
                    record(&tx, category, out, inn, how_of(f.how), &now_s)?;
                }
                // The second leg arrived: it completes the recorded one.
                (Some(id), None) | (None, Some(id)) if out.is_some() && inn.is_some() => {
                    tx.execute("DELETE FROM transfers WHERE id = ?1", [id])?;
                    let kept = record(&tx, category, out, inn, how_of(f.how), &now_s)?;
                    tx.execute("UPDATE transfers SET id = ?1 WHERE id = ?2", params![id, kept])?;
                }
                // Already recorded as it is.
                (Some(_), None) | (None, Some(_)) => continue,
                (None, None) => {
                    record(&tx, category, out, inn, how_of(f.how), &now_s)?;
                }
            }
            recorded += 1;
        }
        tx.execute(
            // (Few rows await review: each is looked up, rather than every
            // row of the window gathered into a temporary index.)
            "DELETE FROM transfer_review WHERE EXISTS (SELECT 1 FROM transactions t
               WHERE t.account_id = transfer_review.account_id AND t.identity = transfer_review.identity
                 AND t.id BETWEEN ?1 AND ?2)",
            params![lo, hi],
        )?;
        for group in &found.review {
            let grp = group.iter().copied().min().unwrap_or_default();
            for row in group {
                let (account, identity) = key_of(&tx, *row)?;
                tx.execute(
                    "INSERT INTO transfer_review (account_id, identity, grp) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account_id, identity) DO UPDATE SET grp = excluded.grp",
                    params![account, identity, grp],
                )?;
            }
        }
        tx.commit()?;
        Ok(Detected { transfers: recorded, review: found.review.len() })
    }

    /// Every recorded transfer, newest first.
    pub fn transfers(&self) -> Result<Vec<Transfer>> {
        let mut st = self.conn.prepare_cached(
            "SELECT x.id, o.id, i.id, x.how FROM transfers x
             LEFT JOIN transactions o ON o.account_id = x.out_account AND o.identity = x.out_identity
             LEFT JOIN transactions i ON i.account_id = x.in_account AND i.identity = x.in_identity
             ORDER BY x.id DESC",
        )?;
        let rows = st
            .query_map([], |r| Ok(Transfer { id: r.get(0)?, out_row: r.get(1)?, in_row: r.get(2)?, how: r.get(3)? }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The groups of rows that may be transfers, for the person to decide
    /// (row ids, oldest group first).
    pub fn transfer_review(&self) -> Result<Vec<Vec<i64>>> {
        let mut st = self.conn.prepare_cached(
            "SELECT r.grp, t.id FROM transfer_review r
             JOIN transactions t ON t.account_id = r.account_id AND t.identity = r.identity ORDER BY r.grp, t.id",
        )?;
        let mut groups: Vec<(i64, Vec<i64>)> = Vec::new();
        for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (g, id) = row?;
            match groups.last_mut() {
                Some((last, ids)) if *last == g => ids.push(id),
                _ => groups.push((g, vec![id])),
            }
        }
        Ok(groups.into_iter().map(|(_, ids)| ids).collect())
    }

    /// The person says a row is not a transfer: its transfer (if any) is
    /// undone for both legs, and detection leaves it alone from now on.
    pub fn not_a_transfer(&mut self, row: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (account, identity) = key_of(&tx, row)?;
        // (account, identity) of the outgoing and of the incoming leg
        type Legs = (Option<i64>, Option<String>, Option<i64>, Option<String>);
        let legs: Vec<Legs> = {
            let mut st = tx.prepare(
                "SELECT out_account, out_identity, in_account, in_identity FROM transfers
                 WHERE (out_account = ?1 AND out_identity = ?2) OR (in_account = ?1 AND in_identity = ?2)",
            )?;
            let rows =
                st.query_map(params![account, identity], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut days = crate::category_days::Deltas::default();
        for (oa, oi, ia, ii) in legs {
            for (a, i) in [(oa, oi), (ia, ii)] {
                if let (Some(a), Some(i)) = (a, i) {
                    crate::category_days::track(&tx, &mut days, a, &i, || {
                        Ok(tx.execute(
                            "UPDATE transactions SET auto_category_id = NULL, auto_reason_id = NULL
                             WHERE account_id = ?1 AND identity = ?2
                               AND auto_reason_id IN (SELECT id FROM label_reasons WHERE reason = 'transfer')",
                            params![a, i],
                        )?)
                    })?;
                }
            }
        }
        days.flush(&tx)?;
        tx.execute(
            "DELETE FROM transfers WHERE (out_account = ?1 AND out_identity = ?2) OR (in_account = ?1 AND in_identity = ?2)",
            params![account, identity],
        )?;
        tx.execute(
            "INSERT INTO not_transfers (account_id, identity) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![account, identity],
        )?;
        tx.execute("DELETE FROM transfer_review WHERE account_id = ?1 AND identity = ?2", params![account, identity])?;
        tx.commit()?;
        Ok(())
    }

    /// The person pairs two rows as one transfer (money out of one, into
    /// the other, same currency and absolute amount); returns its id.
    pub fn pair_transfer(&mut self, a: i64, b: i64, now: DateTime<Utc>) -> Result<i64> {
        let category = self.ensure_category(TRANSFER_CATEGORY, CategoryKind::Transfer)?;
        let tx = self.conn.transaction()?;
        let amount = |row: i64| -> Result<(i64, u32, String, i64)> {
            Ok(tx.query_row(
                "SELECT amount_minor, scale, currency, account_id FROM transactions WHERE id = ?1",
                [row],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        };
        let (am, asc, acur, aacc) = amount(a)?;
        let (bm, bsc, bcur, bacc) = amount(b)?;
        let (ad, bd) = (
            crate::StoredAmount { minor: am, scale: asc }.to_decimal(),
            crate::StoredAmount { minor: bm, scale: bsc }.to_decimal(),
        );
        if acur != bcur || ad != -bd || ad.is_zero() || aacc == bacc {
            return Err(StoreError::Corrupt(
                "a transfer takes money out of one account and the same amount into another".into(),
            ));
        }
        let (out, inn) = if ad.is_sign_negative() { (a, b) } else { (b, a) };
        let (out, inn) = (key_of(&tx, out)?, key_of(&tx, inn)?);
        for (acc, ident) in [&out, &inn] {
            tx.execute(
                "DELETE FROM transfers WHERE (out_account = ?1 AND out_identity = ?2) OR (in_account = ?1 AND in_identity = ?2)",
                params![acc, ident],
            )?;
            tx.execute("DELETE FROM not_transfers WHERE account_id = ?1 AND identity = ?2", params![acc, ident])?;
        }
        // The person pairs them: their earlier category for these rows gives way.
        let mut days = crate::category_days::Deltas::default();
        for (acc, ident) in [&out, &inn] {
            crate::category_days::track(&tx, &mut days, *acc, ident, || {
                Ok(tx.execute("DELETE FROM labels WHERE account_id = ?1 AND identity = ?2", params![acc, ident])?)
            })?;
        }
        days.flush(&tx)?;
        let id = record(&tx, category, Some(out), Some(inn), TransferHow::Person, &now.to_rfc3339())?;
        tx.commit()?;
        Ok(id)
    }
}
