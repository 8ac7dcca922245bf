//! Where the money goes: totals by category, by counterparty and by month,
//! exact per currency. By category or counterparty, a row counts as its
//! category's kind (a refund in a spending category lowers that spending);
//! a row without a category counts as spending when money went out and
//! income when it came in. By month, income and spending are the money in
//! and out. Transfers between own accounts and ignored rows count as
//! neither — unless `gross` asks for the flows as the banks show them. The
//! net (income − spending) is the same whichever way it is grouped.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rust_decimal::Decimal;

use crate::transactions::day_base;
use crate::{Result, Store};

/// What a report groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// The category path (uncategorised rows under `None`).
    Category,
    /// The clean counterparty name (or the name the person gave it).
    Counterparty,
    /// The booking month (`YYYY-MM`).
    Month,
}

/// A report request.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportQuery {
    /// First booking date (inclusive).
    pub from: Option<NaiveDate>,
    /// Last booking date (inclusive).
    pub to: Option<NaiveDate>,
    /// One account, or all.
    pub account: Option<i64>,
    /// Count transfers and ignored rows too (by sign).
    pub gross: bool,
}

/// One line of a report: a group's income and spending in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLine {
    /// The group (category path, counterparty name, month); `None`: none.
    pub group: Option<String>,
    /// Currency.
    pub currency: String,
    /// Money in (positive).
    pub income: Decimal,
    /// Money out (positive; refunds in a spending category lower it).
    pub spending: Decimal,
    /// Rows counted.
    pub rows: u64,
}

/// The kind a row counts as, in SQL (see the module docs).
const KIND: &str = "CASE WHEN c.kind IS NOT NULL THEN c.kind WHEN t.amount_minor < 0 THEN 'expense' ELSE 'income' END";

impl Store {
    /// Income and spending per group and currency, largest spending first
    /// (by month: in month order), from the maintained day sums
    /// (`category_days`), a few rows per day and counterparty.
    pub fn report(&self, by: GroupBy, q: &ReportQuery) -> Result<Vec<ReportLine>> {
        self.report_days(by, q)
    }

    fn report_days(&self, by: GroupBy, q: &ReportQuery) -> Result<Vec<ReportLine>> {
        let (group, income, spending) = match by {
            GroupBy::Month => ("substr(d.day, 1, 7)", "d.in_minor", "-d.out_minor"),
            _ => (
                if by == GroupBy::Counterparty { "coalesce(al.name, nullif(d.counterparty, ''))" } else { "c.path" },
                "CASE WHEN c.kind IS NULL THEN d.in_minor WHEN c.kind = 'income' THEN d.in_minor + d.out_minor
                      WHEN c.kind = 'expense' THEN 0 ELSE d.in_minor END",
                "CASE WHEN c.kind IS NULL THEN -d.out_minor WHEN c.kind = 'expense' THEN -(d.in_minor + d.out_minor)
                      WHEN c.kind = 'income' THEN 0 ELSE -d.out_minor END",
            ),
        };
        let sql = format!(
            "SELECT {group}, d.currency, d.scale, sum({income}), sum({spending}), sum(d.rows)
             FROM category_days d LEFT JOIN categories c ON c.id = d.category_id
             LEFT JOIN aliases al ON al.match_key = d.counterparty_key AND d.counterparty_key <> ''
             WHERE d.day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR d.account_id = ?3)
               AND (?4 OR c.kind IS NULL OR c.kind IN ('income', 'expense'))
             GROUP BY 1, 2, 3"
        );
        let from = q.from.map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
        let to = q.to.map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
        let args = [
            Value::Text(from),
            Value::Text(to),
            q.account.map_or(Value::Null, Value::Integer),
            Value::Integer(i64::from(q.gross)),
        ];
        self.collect_lines(by, &sql, args)
    }

    /// The same report, summed from the rows themselves (the reference the
    /// maintained sums are tested against).
    pub fn report_scan(&self, by: GroupBy, q: &ReportQuery) -> Result<Vec<ReportLine>> {
        let group = match by {
            GroupBy::Category => "c.path",
            GroupBy::Counterparty => "coalesce(al.name, nullif(t.counterparty_clean, ''))",
            GroupBy::Month => "substr(t.booking_date, 1, 7)",
        };
        // Per category or counterparty, a row counts as its kind (a refund
        // in a spending category lowers that spending); per month, money in
        // and out by sign (the flows the banks show, transfers left out).
        let (income, spending) = if by == GroupBy::Month {
            ("t.amount_minor > 0".to_owned(), "t.amount_minor < 0".to_owned())
        } else {
            (
                format!("{KIND} = 'income' OR ({KIND} IN ('transfer', 'ignore') AND t.amount_minor > 0)"),
                format!("{KIND} = 'expense' OR ({KIND} IN ('transfer', 'ignore') AND t.amount_minor < 0)"),
            )
        };
        let sql = format!(
            "SELECT {group}, t.currency, t.scale,
                    sum(CASE WHEN {income} THEN t.amount_minor ELSE 0 END),
                    sum(CASE WHEN {spending} THEN -t.amount_minor ELSE 0 END),
                    count(*)
             FROM transactions t
             LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
             LEFT JOIN categories c ON c.id = CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END
             LEFT JOIN aliases al ON al.match_key = t.counterparty_key AND t.counterparty_key <> ''
             WHERE t.id BETWEEN ?1 AND ?2 AND (?3 IS NULL OR t.account_id = ?3)
               AND (?4 OR {KIND} IN ('income', 'expense'))
             GROUP BY 1, 2, 3"
        );
        let lo = q.from.map_or(i64::MIN, day_base);
        let hi = q.to.map_or(i64::MAX, |d| day_base(d) + 0xFF_FFFF);
        let args = [
            Value::Integer(lo),
            Value::Integer(hi),
            q.account.map_or(Value::Null, Value::Integer),
            Value::Integer(i64::from(q.gross)),
        ];
        self.collect_lines(by, &sql, args)
    }

    fn collect_lines(&self, by: GroupBy, sql: &str, args: [Value; 4]) -> Result<Vec<ReportLine>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut lines: BTreeMap<(Option<String>, String), ReportLine> = BTreeMap::new();
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (g, currency, scale, income, spending, n) = row?;
            let e = lines.entry((g.clone(), currency.clone())).or_insert_with(|| ReportLine {
                group: g,
                currency,
                income: Decimal::ZERO,
                spending: Decimal::ZERO,
                rows: 0,
            });
            e.income += Decimal::new(income, scale);
            e.spending += Decimal::new(spending, scale);
            e.rows += n as u64;
        }
        let mut out: Vec<ReportLine> = lines.into_values().collect();
        if by != GroupBy::Month {
            out.sort_by(|a, b| b.spending.cmp(&a.spending).then(b.income.cmp(&a.income)).then(a.group.cmp(&b.group)));
        }
        Ok(out)
    }
}

impl Store {
    /// Money in and out per month and currency (one account or all), from
    /// the maintained monthly sums: with `gross`, as the banks show them;
    /// otherwise without transfers between own accounts and ignored rows
    /// (subtracted through the maintained sums per category and month,
    /// `category_months`), so it stays fast at a million transactions.
    pub fn monthly_flows(&self, account: Option<i64>, gross: bool) -> Result<Vec<crate::queries::MonthlyRow>> {
        let mut rows = self.monthly(account)?;
        if gross {
            return Ok(rows);
        }
        let mut st = self.conn.prepare_cached(
            "SELECT m.month, m.currency, m.scale, sum(m.in_minor), sum(m.out_minor)
             FROM categories c CROSS JOIN category_months m
             WHERE c.kind IN ('transfer', 'ignore') AND m.category_id = c.id AND (?1 IS NULL OR m.account_id = ?1)
             GROUP BY 1, 2, 3",
        )?;
        let left_out = st.query_map([account], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in left_out {
            let (month, currency, scale, income, expense) = row?;
            if let Some(m) = rows.iter_mut().find(|m| m.month == month && m.currency == currency) {
                m.income -= Decimal::new(income, scale);
                m.expense -= Decimal::new(expense, scale);
            }
        }
        Ok(rows)
    }
}
