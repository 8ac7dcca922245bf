//! The questions the UI and CLI ask, each one function. All sums are exact:
//! SQL adds integer minor units per (currency, scale) and Rust combines the
//! scales with decimals (R17).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rust_decimal::Decimal;

use crate::accounts::Account;
use crate::balances::BalanceRow;
use crate::transactions::day_base;
use crate::{Result, Store, StoreError, StoredAmount};

/// An account with its latest balance of each type.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountOverview {
    /// The account.
    pub account: Account,
    /// Its bank.
    pub bank_name: String,
    /// Latest balance per type.
    pub balances: Vec<BalanceRow>,
}

/// Sort orders of the transaction list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    #[default]
    DateDesc,
    /// Oldest first.
    DateAsc,
    /// Largest amount first.
    AmountDesc,
    /// Smallest (most negative) first.
    AmountAsc,
}

/// Money in or out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Positive amounts.
    In,
    /// Negative amounts.
    Out,
}

/// Where the previous page ended (keyset pagination).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Sort key of the last row: its amount in micro-units for amount orders
    /// (date orders need only the id, which is date-ordered).
    pub key: String,
    /// Row id of the last row (tie-breaker).
    pub id: i64,
}

/// A transaction-list request.
#[derive(Clone, Debug, Default)]
pub struct TxQuery {
    /// One account, or all.
    pub account: Option<i64>,
    /// First booking date (inclusive).
    pub from: Option<NaiveDate>,
    /// Last booking date (inclusive).
    pub to: Option<NaiveDate>,
    /// Smallest amount (inclusive).
    pub min: Option<Decimal>,
    /// Largest amount (inclusive).
    pub max: Option<Decimal>,
    /// In or out.
    pub direction: Option<Direction>,
    /// Words to find in counterparty, description or remittance (prefix match).
    pub text: Option<String>,
    /// Rows of this category or one under it (its path).
    pub category: Option<String>,
    /// Rows of this counterparty (its clean name or the name it was given).
    pub counterparty: Option<String>,
    /// Rows without a category.
    pub uncategorized: bool,
    /// Order.
    pub sort: Sort,
    /// Continue after this row.
    pub after: Option<Cursor>,
    /// Page size (1–1000).
    pub limit: u32,
}

/// One row of the transaction list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRow {
    /// Row id.
    pub id: i64,
    /// Account.
    pub account_id: i64,
    /// Booking date.
    pub booking_date: String,
    /// Value date.
    pub value_date: Option<String>,
    /// Exact amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// Counterparty.
    pub counterparty_name: Option<String>,
    /// Counterparty account.
    pub counterparty_account: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Remittance information.
    pub remittance: Option<String>,
    /// The bank's id.
    pub bank_id: Option<String>,
    /// The clean counterparty name (or the name the person gave it).
    pub counterparty_clean: Option<String>,
    /// The category's path.
    pub category: Option<String>,
    /// Why the row has its category ("rule Supermarkets", "you").
    pub category_reason: Option<String>,
    /// The transfer between own accounts this row is a leg of (the same id
    /// on both legs).
    pub transfer_id: Option<i64>,
}

/// A page of transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxPage {
    /// The rows.
    pub rows: Vec<TxRow>,
    /// Cursor of the next page, if there is one.
    pub next: Option<Cursor>,
}

/// Income and spending of one month in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlyRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Currency.
    pub currency: String,
    /// Sum of positive amounts.
    pub income: Decimal,
    /// Sum of negative amounts (negative).
    pub expense: Decimal,
}

/// What Saldo adds to a bank row (see `labels`, `transfers`), as columns
/// 12–15 of a row query over `transactions t` joined with [`OVERLAY_JOINS`].
/// The category is the person's (`l`), else the row's own decision.
pub(crate) const OVERLAY_COLUMNS: &str = "coalesce(al.name, nullif(t.counterparty_clean, '')), c.path,
    CASE WHEN c.id IS NULL THEN NULL WHEN l.identity IS NULL THEN r.detail ELSE 'you' END,
    coalesce((SELECT x.id FROM transfers x WHERE x.out_account = t.account_id AND x.out_identity = t.identity),
             (SELECT x.id FROM transfers x WHERE x.in_account = t.account_id AND x.in_identity = t.identity))";

/// The joins [`OVERLAY_COLUMNS`] reads.
pub(crate) const OVERLAY_JOINS: &str = "LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
    LEFT JOIN categories c ON c.id = CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END
    LEFT JOIN label_reasons r ON r.id = t.auto_reason_id
    LEFT JOIN aliases al ON al.match_key = t.counterparty_key AND t.counterparty_key <> ''";

/// A row of a query that selects the list's columns (see [`OVERLAY_COLUMNS`]).
fn tx_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TxRow> {
    Ok(TxRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        booking_date: r.get(2)?,
        value_date: r.get(3)?,
        amount: StoredAmount { minor: r.get(4)?, scale: r.get::<_, u32>(5)? }.to_decimal(),
        currency: r.get(6)?,
        counterparty_name: r.get(7)?,
        counterparty_account: r.get(8)?,
        description: r.get(9)?,
        remittance: r.get(10)?,
        bank_id: r.get(11)?,
        counterparty_clean: r.get(12)?,
        category: r.get(13)?,
        category_reason: r.get(14)?,
        transfer_id: r.get(15)?,
    })
}

/// `text` for a LIKE pattern with `\` as the escape character.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Amounts compare across scales as micro-units (scale 6).
const MICRO: &str = "t.amount_minor * (CASE t.scale WHEN 0 THEN 1000000 WHEN 1 THEN 100000 WHEN 2 THEN 10000 WHEN 3 THEN 1000 WHEN 4 THEN 100 WHEN 5 THEN 10 ELSE 1 END)";

fn micro(d: Decimal) -> i64 {
    let mut v = d;
    v.rescale(6);
    i64::try_from(v.mantissa()).unwrap_or(if d.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// Whether FTS5's `unicode61` tokenizer keeps `c` inside a token: its token
/// characters are the general categories L*, N* and Co; everything else —
/// spaces, punctuation, symbols (emoji, circled letters) and combining marks
/// (the vowel signs of Hindi, Thai, Bengali, Arabic harakat) — separates.
fn is_token_char(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
            | G::PrivateUse
    )
}

/// The FTS5 query for a search text: every run of token characters, split
/// exactly where the index's tokenizer splits, becomes one quoted prefix
/// term, and the terms are ANDed. Quoting makes operators plain words;
/// splitting like the tokenizer means no term is ever a phrase (which the
/// index, kept without positions, cannot answer: "phrase queries are not
/// supported"). `None` when the text holds nothing the index can match.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> =
        text.split(|c: char| !is_token_char(c)).filter(|w| !w.is_empty()).map(|w| format!("\"{w}\"*")).collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

impl Store {
    /// Accounts (visible ones, or all) with their latest balances.
    pub fn accounts_overview(&self, include_disappeared: bool) -> Result<Vec<AccountOverview>> {
        let banks: BTreeMap<i64, String> = self.connections()?.into_iter().map(|c| (c.id, c.bank_name)).collect();
        self.accounts(None, include_disappeared)?
            .into_iter()
            .map(|account| {
                Ok(AccountOverview {
                    bank_name: banks.get(&account.connection_id).cloned().unwrap_or_default(),
                    balances: self.latest_balances(account.id)?,
                    account,
                })
            })
            .collect()
    }

    /// These rows, as the list shows them (oldest first; unknown ids are skipped).
    pub fn transactions_by_id(&self, ids: &[i64]) -> Result<Vec<TxRow>> {
        let ids = serde_json::to_string(ids).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let sql = format!(
            "SELECT t.id, t.account_id, t.booking_date, t.value_date, t.amount_minor, t.scale, t.currency, t.counterparty_name,
             t.counterparty_account, t.description, t.remittance, t.bank_id, {OVERLAY_COLUMNS}
             FROM transactions t {OVERLAY_JOINS} WHERE t.id IN (SELECT value FROM json_each(?1)) ORDER BY t.id"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([ids], tx_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One page of the transaction list.
    pub fn transactions_page(&self, q: &TxQuery) -> Result<TxPage> {
        let date_sorted = matches!(q.sort, Sort::DateDesc | Sort::DateAsc);
        let fts = q.text.as_deref().and_then(fts_query);
        if fts.is_none() && q.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
            // Only symbols or marks (an emoji, "ⓐ"): nothing the index can
            // match, so no transaction matches — not every transaction.
            return Ok(TxPage { rows: Vec::new(), next: None });
        }
        // With a search and a date order, the full-text index drives: it
        // yields matches in rowid (= date) order and the LIMIT stops it early.
        let from = if fts.is_some() && date_sorted {
            "transactions_fts f JOIN transactions t ON t.id = f.rowid"
        } else {
            "transactions t"
        };
        let mut sql = format!(
            "SELECT t.id, t.account_id, t.booking_date, t.value_date, t.amount_minor, t.scale, t.currency, t.counterparty_name,
             t.counterparty_account, t.description, t.remittance, t.bank_id, {OVERLAY_COLUMNS}
             FROM {from} {OVERLAY_JOINS} WHERE 1 = 1"
        );
        let mut args: Vec<Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(a) = q.account {
            arg(&mut sql, " AND t.account_id = ?", Value::Integer(a));
        }
        // Ids are date-ordered (migration v2): a date range is an id range.
        if let Some(d) = q.from {
            arg(&mut sql, " AND t.id >= ?", Value::Integer(day_base(d)));
        }
        if let Some(d) = q.to {
            arg(&mut sql, " AND t.id <= ?", Value::Integer(day_base(d) + 0xFF_FFFF));
        }
        if let Some(m) = q.min {
            arg(&mut sql, &format!(" AND {MICRO} >= ?"), Value::Integer(micro(m)));
        }
        if let Some(m) = q.max {
            arg(&mut sql, &format!(" AND {MICRO} <= ?"), Value::Integer(micro(m)));
        }
        if let Some(c) = q.category.as_deref().map(crate::categories::clean_path) {
            arg(&mut sql, " AND (c.path = ? ", Value::Text(c.clone()));
            arg(&mut sql, "OR c.path LIKE ? ESCAPE '\\')", Value::Text(format!("{}/%", like_escape(&c))));
        }
        if let Some(name) = &q.counterparty {
            let key = saldo_classify::counterparty::key(name);
            arg(&mut sql, " AND (t.counterparty_key = ? ", Value::Text(key));
            arg(&mut sql, "OR al.name = ?)", Value::Text(name.trim().to_owned()));
        }
        if q.uncategorized {
            sql.push_str(" AND c.id IS NULL");
        }
        match q.direction {
            Some(Direction::In) => sql.push_str(" AND t.amount_minor > 0"),
            Some(Direction::Out) => sql.push_str(" AND t.amount_minor < 0"),
            None => {}
        }
        match (fts, date_sorted) {
            (Some(m), true) => arg(&mut sql, " AND transactions_fts MATCH ?", Value::Text(m)),
            (Some(m), false) => arg(
                &mut sql,
                " AND t.id IN (SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH ?)",
                Value::Text(m),
            ),
            (None, _) => {}
        }
        let id_expr = if from.starts_with("transactions_fts") { "f.rowid" } else { "t.id" };
        let (key_expr, desc) = match q.sort {
            Sort::DateDesc => (id_expr, true),
            Sort::DateAsc => (id_expr, false),
            Sort::AmountDesc => (MICRO, true),
            Sort::AmountAsc => (MICRO, false),
        };
        let numeric = matches!(q.sort, Sort::AmountDesc | Sort::AmountAsc);
        let cmp = if desc { "<" } else { ">" };
        let dir = if desc { "DESC" } else { "ASC" };
        let limit = q.limit.clamp(1, 1000);
        if numeric {
            if let Some(c) = &q.after {
                args.push(Value::Integer(c.key.parse().unwrap_or(0)));
                args.push(Value::Integer(c.id));
                let (k, i) = (args.len() - 1, args.len());
                sql.push_str(&format!(" AND ({key_expr}, t.id) {cmp} (?{k}, ?{i})"));
            }
            sql.push_str(&format!(" ORDER BY {key_expr} {dir}, t.id {dir} LIMIT {}", limit + 1));
        } else {
            if let Some(c) = &q.after {
                args.push(Value::Integer(c.id));
                sql.push_str(&format!(" AND {id_expr} {cmp} ?{}", args.len()));
            }
            sql.push_str(&format!(" ORDER BY {id_expr} {dir} LIMIT {}", limit + 1));
        }
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<TxRow> =
            st.query_map(rusqlite::params_from_iter(args), tx_row)?.collect::<rusqlite::Result<_>>()?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| Cursor {
                key: if numeric { micro(r.amount).to_string() } else { r.booking_date.clone() },
                id: r.id,
            })
        } else {
            None
        };
        Ok(TxPage { rows, next })
    }

    /// Everything the bank sent for one transaction (the raw JSON). A row
    /// read from a statement file has no bank JSON: its fields are given as
    /// the gateway would have sent them.
    pub fn transaction_raw(&self, id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        if let Some(raw) =
            self.conn.query_row("SELECT raw FROM transaction_raw WHERE id = ?1", [id], |r| r.get(0)).optional()?
        {
            return Ok(Some(raw));
        }
        let row = self
            .conn
            .query_row(
                "SELECT account_id, identity, bank_id, booking_date, value_date, amount_minor, scale, currency,
                        counterparty_name, counterparty_account, counterparty_bic, description, remittance,
                        creditor_reference, bank_transaction_code, mandate
                 FROM transactions WHERE id = ?1",
                [id],
                |r| {
                    let date = |i: usize| crate::export::date(r.get(i)?);
                    Ok(crate::imported::RestoredTx {
                        account_id: r.get(0)?,
                        identity: r.get(1)?,
                        bank_id: r.get(2)?,
                        booking_date: date(3)?.unwrap_or_default(),
                        value_date: date(4)?,
                        amount: StoredAmount { minor: r.get(5)?, scale: r.get(6)? }.to_decimal(),
                        currency: r.get(7)?,
                        counterparty_name: r.get(8)?,
                        counterparty_account: r.get(9)?,
                        counterparty_bic: r.get(10)?,
                        description: r.get(11)?,
                        remittance: r.get(12)?,
                        creditor_reference: r.get(13)?,
                        bank_transaction_code: r.get(14)?,
                        category: None,
                        counterparty_clean: None,
                        transfer_leg: false,
                        mandate: r.get(15)?,
                    })
                },
            )
            .optional()?;
        row.map(|t| serde_json::to_string(&crate::imported::gateway_transaction(&t)))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Monthly income and spending per currency, for one account or all.
    pub fn monthly(&self, account: Option<i64>) -> Result<Vec<MonthlyRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT month, currency, scale, sum(income_minor), sum(expense_minor)
             FROM monthly_totals WHERE (?1 IS NULL OR account_id = ?1)
             GROUP BY month, currency, scale ORDER BY month, currency",
        )?;
        let mut out: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
        let rows = st.query_map([account], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (month, currency, scale, inc, exp) = row?;
            let e = out.entry((month, currency)).or_default();
            e.0 += Decimal::new(inc, scale);
            e.1 += Decimal::new(exp, scale);
        }
        Ok(out
            .into_iter()
            .map(|((month, currency), (income, expense))| MonthlyRow { month, currency, income, expense })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_inject_fts_syntax() {
        assert_eq!(fts_query("café zürich").as_deref(), Some("\"café\"* AND \"zürich\"*"));
        assert_eq!(
            fts_query("a\" OR b NEAR(").as_deref(),
            Some("\"a\"* AND \"OR\"* AND \"b\"* AND \"NEAR\"*"),
            "operators become plain words"
        );
        assert_eq!(fts_query("  ;;; "), None);
        assert_eq!(
            fts_query("नमस्ते").as_deref(),
            Some("\"नमस\"* AND \"त\"*"),
            "split at the marks, as the tokenizer splits: no phrase"
        );
    }
}
