//! Where the money goes, for both shells: categories and rules (with Saldo's
//! defaults), the person's choices, transfers between own accounts, and
//! the reports. The rules themselves are `saldo_classify`; what is stored
//! and how, `saldo_store::{categories, labels, transfers, reports}`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_classify::rules::{RuleDef, RuleFile};
use saldo_store::reports::{GroupBy, ReportLine, ReportQuery};
use saldo_store::Store;

use crate::{CoreError, Result};

/// Readies a store for categorisation: Saldo's default categories and rules
/// on first use, clean counterparty names for rows stored before they
/// existed — and then, once, the rules and transfer detection over them.
pub fn prepare(store: &mut Store, now: DateTime<Utc>) -> Result<()> {
    let seeded = store.seed_default_rules(now)?;
    let filled = store.fill_counterparties()?;
    if seeded || filled > 0 {
        store.apply_rules(false, now)?;
        store.detect_transfers(None, now)?;
    }
    Ok(())
}

/// The person puts rows in the category at `path` (`None`: no category).
/// Returns the undoable step and the rows changed.
pub fn categorize(store: &mut Store, rows: &[i64], path: Option<&str>, now: DateTime<Utc>) -> Result<(i64, usize)> {
    let category = match path {
        Some(p) => Some(
            store
                .category_by_path(p)?
                .ok_or_else(|| CoreError::NotFound(format!("there is no category {p:?} (see `saldo categories`)")))?
                .id,
        ),
        None => None,
    };
    let (batch, changed) = store.set_category(rows, category, now)?;
    if changed < rows.len() {
        return Err(CoreError::NotFound(format!(
            "{} of the {} transaction(s) do not exist; the others were categorised",
            rows.len() - changed,
            rows.len()
        )));
    }
    Ok((batch, changed))
}

/// What a rule would do now: rows it matches (not decided by the person
/// or a transfer), and how many of them would change category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preview {
    /// Rows the rule matches.
    pub matches: usize,
    /// Of those, rows whose category would change.
    pub changes: usize,
}

/// Checks a rule without adding it.
pub fn preview(store: &Store, rule: &RuleDef) -> Result<Preview> {
    let category = category_of(store, rule)?;
    let (matches, changes) = store.preview_rule(&rule.when, category)?;
    Ok(Preview { matches, changes })
}

fn category_of(store: &Store, rule: &RuleDef) -> Result<i64> {
    if rule.when.is_empty() {
        return Err(CoreError::Invalid(format!(
            "rule {:?} has no condition: it would take every transaction",
            rule.name
        )));
    }
    if let (Some(lo), Some(hi)) = (rule.when.min, rule.when.max) {
        if lo > hi {
            return Err(CoreError::Invalid(format!("--min {lo} is above --max {hi}")));
        }
    }
    Ok(store
        .category_by_path(&rule.category)?
        .ok_or_else(|| {
            CoreError::NotFound(format!("there is no category {:?} (see `saldo categories`)", rule.category))
        })?
        .id)
}

/// Adds a rule (at `position`, else last). It applies to new rows at once;
/// to the rows already stored when the rules are applied ([`apply`]).
pub fn add_rule(store: &mut Store, rule: &RuleDef, position: Option<i64>, now: DateTime<Utc>) -> Result<i64> {
    category_of(store, rule)?;
    Ok(store.add_rule(rule, position, now)?)
}

/// Applies the rules to every stored row (one undoable step), or with
/// `dry_run` only counts what would change.
pub fn apply(store: &mut Store, dry_run: bool, now: DateTime<Utc>) -> Result<saldo_store::labels::Applied> {
    Ok(store.apply_rules(dry_run, now)?)
}

/// Reads a rule file and imports it (its categories are created; its rules
/// replace the current ones with `replace`, else come after them).
pub fn import_rules(
    store: &mut Store,
    text: &str,
    replace: bool,
    now: DateTime<Utc>,
) -> Result<saldo_store::categories::Imported> {
    let known: Vec<String> = store.categories()?.into_iter().map(|c| c.path).collect();
    let file = RuleFile::parse(text, &known).map_err(|e| CoreError::Invalid(e.to_string()))?;
    Ok(store.import_rules(&file, replace, now)?)
}

/// A report: income and spending per category, counterparty or month.
pub fn report(store: &Store, by: GroupBy, q: &ReportQuery) -> Result<Vec<ReportLine>> {
    if let (Some(a), Some(b)) = (q.from, q.to) {
        if a > b {
            return Err(CoreError::Invalid(format!("--from {a} is after --to {b}")));
        }
    }
    Ok(store.report(by, q)?)
}

/// Net worth at the end of a month, per currency, by account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetWorth {
    /// `YYYY-MM`.
    pub month: String,
    /// Currency.
    pub currency: String,
    /// The total.
    pub total: Decimal,
    /// Each account's balance at the end of the month.
    pub accounts: BTreeMap<i64, Decimal>,
}

/// Net worth at each month's end from `from` to `to` (default: the last
/// twelve months), rebuilt from each enabled account's history and anchored
/// on what its bank last said.
pub fn networth(store: &Store, from: Option<NaiveDate>, to: NaiveDate) -> Result<Vec<NetWorth>> {
    let from = from.unwrap_or_else(|| to - chrono::Months::new(11));
    if from > to {
        return Err(CoreError::Invalid(format!("--from {from} is after --to {to}")));
    }
    let mut out: BTreeMap<(String, String), NetWorth> = BTreeMap::new();
    for o in store.accounts_overview(false)? {
        if !o.account.enabled {
            continue;
        }
        let series = crate::insights::balance_series(store, o.account.id, None)?;
        let mut month = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
        while month <= to {
            let end = (month + chrono::Months::new(1)).pred_opt().unwrap_or(month).min(to);
            if let Some(b) = series.iter().take_while(|d| d.date <= end).last() {
                let key = (month.format("%Y-%m").to_string(), o.account.currency.clone());
                let e = out.entry(key.clone()).or_insert_with(|| NetWorth {
                    month: key.0,
                    currency: key.1,
                    total: Decimal::ZERO,
                    accounts: BTreeMap::new(),
                });
                e.total += b.amount;
                e.accounts.insert(o.account.id, b.amount);
            }
            month = month + chrono::Months::new(1);
        }
    }
    Ok(out.into_values().collect())
}

/// A rule's conditions in words, for a list ("counterparty Albert Heijn,
/// money out, from 10.00").
pub fn describe(when: &saldo_classify::rules::Conditions) -> String {
    use saldo_classify::rules::Direction;
    let mut parts: Vec<String> = Vec::new();
    let mut add = |label: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{label} {v}"));
        }
    };
    add("counterparty", &when.counterparty);
    add("text", &when.text);
    add("IBAN", &when.iban);
    add("reference", &when.reference);
    add("bank code", &when.bank_code);
    add("mandate", &when.mandate);
    if let Some(d) = when.direction {
        parts.push(if d == Direction::In { "money in".into() } else { "money out".into() });
    }
    if let Some(m) = when.min {
        parts.push(format!("from {m}"));
    }
    if let Some(m) = when.max {
        parts.push(format!("up to {m}"));
    }
    if let Some(a) = when.account {
        parts.push(format!("account {a}"));
    }
    if let Some(d) = when.from {
        parts.push(format!("booked from {d}"));
    }
    if let Some(d) = when.to {
        parts.push(format!("booked until {d}"));
    }
    parts.join(", ")
}
