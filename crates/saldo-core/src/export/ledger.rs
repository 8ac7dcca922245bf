//! Plain-text accounting: beancount and hledger/ledger journals.
//!
//! Each exported account becomes `Assets:<Bank>:<Account>` (ASCII
//! components; `-<id>` appended if two would share a name). Every transaction
//! has two postings: the account, and the counter-account — `--expense-account`
//! for money out, `--income-account` for money in. When the bank reported a
//! booked balance, an `Opening balance` transaction against
//! `Equity:Opening-Balances` comes first, so that the account's balance in the
//! journal equals the bank's; then every booked balance the bank reported
//! inside the range becomes a balance assertion **where it is consistent
//! with the history** (opening + the transactions up to its day); one that
//! is not (a gap in the history, a bank correction) is written as a comment
//! saying both figures, never as a failing assertion.
//!
//! Categories: a row's category is its counter-account — `Expenses:<path>`
//! or `Income:<path>` by the category's kind (`Food/Groceries` →
//! `Expenses:Food:Groceries`), `Equity:Ignored` for ignored rows; rows
//! without one go to `--expense-account`/`--income-account`. A transfer
//! between two exported accounts with both legs in the range is written
//! **once**, on the day the money left, between the two asset accounts;
//! the arriving account's balance assertions that fall while the money is
//! on its way are written as comments. Any other leg of a transfer posts to
//! `Assets:Other-Accounts` (an account Saldo does not sync, or a leg
//! outside the export). Every account used is declared.
//!
//! Text: one line; in beancount strings `\` and `"` are escaped; in hledger
//! descriptions `;` (comment start) becomes `,`, `|` (payee separator)
//! in a payee becomes `/`, a leading `(` is kept from reading as a code by
//! an empty code `()`, and tag values lose commas. The bank id and the
//! stable Saldo id travel as metadata (beancount) or tags (hledger).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_store::export::ExportTx;

use super::text::{component, one_line};
use super::{AccountInfo, ExportOptions, Writer};
use crate::{CoreError, Result};

/// Which plain-text accounting tool the journal is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// beancount (`bean-check`).
    Beancount,
    /// hledger, also readable by ledger-cli (`hledger check --strict`).
    Hledger,
}

const ROOTS: [&str; 5] = ["Assets", "Liabilities", "Equity", "Income", "Expenses"];
const OPENING: &str = "Equity:Opening-Balances";
const OTHER_ACCOUNTS: &str = "Assets:Other-Accounts";
const IGNORED: &str = "Equity:Ignored";

/// Checks that a counter-account name is valid in both beancount and hledger:
/// a root (`Assets`, `Liabilities`, `Equity`, `Income`, `Expenses`) and
/// components of ASCII letters, digits and `-`, each starting with an upper
/// case letter or digit.
pub fn check_account_name(name: &str) -> Result<()> {
    let mut parts = name.split(':');
    let root_ok = parts.next().is_some_and(|r| ROOTS.contains(&r));
    let rest: Vec<&str> = parts.collect();
    let comps_ok = !rest.is_empty()
        && rest.iter().all(|c| {
            let mut chars = c.chars();
            chars.next().is_some_and(|f| f.is_ascii_uppercase() || f.is_ascii_digit())
                && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        });
    if root_ok && comps_ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "{name:?} is not a usable account name; write it like Expenses:Groceries (a root of Assets, Liabilities, Equity, Income or Expenses, then parts that start with a capital letter or digit)"
        )))
    }
}

struct State {
    name: String,
    sum: Decimal,
    next_point: usize,
}

pub struct Ledger {
    dialect: Dialect,
    expense: String,
    income: String,
    exported_at: String,
    today: NaiveDate,
    names: BTreeMap<i64, String>,
    /// Category path → its account.
    categories: BTreeMap<String, String>,
    range: saldo_store::export::DateRange,
    current: Option<State>,
}

impl Ledger {
    pub fn new(
        dialect: Dialect,
        opts: &ExportOptions,
        accounts: &[AccountInfo],
        categories: &[saldo_store::categories::Category],
    ) -> Self {
        use saldo_store::states::CategoryKind;
        let categories = categories
            .iter()
            .map(|c| {
                let comps: Vec<String> = c.path.split('/').map(|n| component(n, "Other")).collect();
                let account = match c.kind {
                    CategoryKind::Expense => format!("Expenses:{}", comps.join(":")),
                    CategoryKind::Income => format!("Income:{}", comps.join(":")),
                    CategoryKind::Transfer => OTHER_ACCOUNTS.to_owned(),
                    CategoryKind::Ignore => IGNORED.to_owned(),
                };
                (c.path.clone(), account)
            })
            .collect();
        let mut names = BTreeMap::new();
        let mut used = BTreeSet::new();
        for a in accounts {
            let mut name = format!("Assets:{}:{}", component(&a.bank_name, "Bank"), component(&a.label, "Account"));
            if !used.insert(name.clone()) {
                name = format!("{name}-{}", a.account.id);
                used.insert(name.clone());
            }
            names.insert(a.account.id, name);
        }
        Self {
            dialect,
            expense: opts.expense_account.clone(),
            income: opts.income_account.clone(),
            exported_at: opts.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            today: opts.now.date_naive(),
            names,
            categories,
            range: opts.range,
            current: None,
        }
    }

    fn in_range(&self, d: NaiveDate) -> bool {
        self.range.from.is_none_or(|f| d >= f) && self.range.to.is_none_or(|t| d <= t)
    }

    /// Whether a transfer is written once between two exported accounts:
    /// both accounts exported, both legs in the range.
    fn written_once(&self, own_date: NaiveDate, x: &saldo_store::export::TransferLeg) -> Option<&String> {
        let other = self.names.get(&x.other_account?)?;
        (x.paired && self.in_range(own_date) && x.other_date.is_some_and(|d| self.in_range(d))).then_some(other)
    }

    /// The journal's balance of an account at the end of `day` minus the
    /// bank's: transfers into it written on the day the money left.
    fn in_flight(&self, a: &AccountInfo, day: NaiveDate) -> Decimal {
        a.incoming
            .iter()
            .filter(|i| self.names.contains_key(&i.from_account) && self.in_range(i.left) && self.in_range(i.arrived))
            .map(|i| {
                let on = |d: NaiveDate| if d <= day { Decimal::ONE } else { Decimal::ZERO };
                i.amount * (on(i.left) - on(i.arrived))
            })
            .sum()
    }

    fn beancount(&self) -> bool {
        self.dialect == Dialect::Beancount
    }

    fn opening_date(a: &AccountInfo) -> Option<NaiveDate> {
        a.opening?;
        [a.span.first, a.booked_points.first().map(|p| p.date)].into_iter().flatten().min()
    }

    /// Writes the assertions (or comments) of booked points before `before`.
    fn points(&mut self, out: &mut dyn Write, a: &AccountInfo, before: Option<NaiveDate>) -> Result<()> {
        let Some(mut state) = self.current.take() else { return Ok(()) };
        let opening = a.opening.unwrap_or_default();
        while let Some(p) = a.booked_points.get(state.next_point) {
            if before.is_some_and(|d| p.date >= d) {
                break;
            }
            state.next_point += 1;
            let implied = opening + state.sum;
            let cur = &commodity(&a.account.currency);
            let flight = self.in_flight(a, p.date);
            if implied == p.amount && !flight.is_zero() {
                writeln!(
                    out,
                    "; {}: the bank reported a booked balance of {} {cur}; {flight} {cur} between your accounts was on its way (written on the day it left): not asserted\n",
                    p.date, p.amount
                )?;
            } else if implied != p.amount {
                writeln!(
                    out,
                    "; {}: the bank reported a booked balance of {} {cur} but the history gives {implied} {cur}: not asserted\n",
                    p.date, p.amount
                )?;
            } else if self.dialect == Dialect::Beancount {
                let day = p.date.succ_opt().unwrap_or(p.date);
                writeln!(out, "{day} balance {}  {} {cur}\n", state.name, p.amount)?;
            } else {
                writeln!(
                    out,
                    "{} * Booked balance reported by the bank\n    {}    0 {cur} = {} {cur}\n",
                    p.date, state.name, p.amount
                )?;
            }
        }
        self.current = Some(state);
        Ok(())
    }
}

fn hledger_text(s: &str) -> String {
    one_line(s).replace(';', ",")
}

fn tag_value(s: &str) -> String {
    hledger_text(s).replace(',', " ")
}

impl Writer for Ledger {
    fn begin(&mut self, out: &mut dyn Write, accounts: &[AccountInfo]) -> Result<()> {
        writeln!(out, "; Saldo export, {}: {} account(s)", self.exported_at, accounts.len())?;
        writeln!(
            out,
            "; Money out is posted to {}, money in to {}; opening balances to {OPENING}.\n",
            self.expense, self.income
        )?;
        let first =
            accounts.iter().flat_map(|a| [a.span.first, Self::opening_date(a)]).flatten().min().unwrap_or(self.today);
        let mut currencies: BTreeMap<String, u32> = BTreeMap::new();
        for a in accounts {
            let scale = saldo_store::exponent(&a.account.currency);
            let e = currencies.entry(commodity(&a.account.currency)).or_insert(scale);
            *e = (*e).max(scale);
        }
        let counters: BTreeSet<&str> = [self.expense.as_str(), self.income.as_str(), OPENING, OTHER_ACCOUNTS]
            .into_iter()
            .chain(self.categories.values().map(String::as_str))
            .collect();
        if self.beancount() {
            if let Some((cur, _)) = currencies.iter().next() {
                writeln!(out, "option \"operating_currency\" \"{cur}\"\n")?;
            }
            for cur in currencies.keys() {
                writeln!(out, "{first} commodity {cur}")?;
            }
            for a in accounts {
                writeln!(out, "{first} open {}", self.names[&a.account.id])?;
            }
            for name in &counters {
                if !accounts.is_empty() {
                    writeln!(out, "{first} open {name}")?;
                }
            }
        } else {
            for (cur, scale) in &currencies {
                // hledger wants a decimal mark in the sample even with no decimals.
                let sample = Decimal::new(1_000 * 10_i64.pow(*scale), *scale);
                let mark = if *scale == 0 { "." } else { "" };
                writeln!(out, "commodity {sample}{mark} {cur}")?;
            }
            for a in accounts {
                writeln!(out, "account {}", self.names[&a.account.id])?;
            }
            for name in &counters {
                writeln!(out, "account {name}")?;
            }
        }
        writeln!(out)?;
        Ok(())
    }

    fn account(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        let name = self.names[&a.account.id].clone();
        writeln!(out, "; {} — {}\n", one_line(&a.bank_name), one_line(&a.label))?;
        if let (Some(opening), Some(date)) = (a.opening, Self::opening_date(a)) {
            let cur = &commodity(&a.account.currency);
            if self.beancount() {
                writeln!(
                    out,
                    "{date} * \"Opening balance\"\n  {name}  {opening} {cur}\n  {OPENING}  {} {cur}\n",
                    -opening
                )?;
            } else {
                writeln!(
                    out,
                    "{date} * Opening balance\n    {name}    {opening} {cur}\n    {OPENING}    {} {cur}\n",
                    -opening
                )?;
            }
        }
        self.current = Some(State { name, sum: Decimal::ZERO, next_point: 0 });
        Ok(())
    }

    fn transaction(&mut self, out: &mut dyn Write, a: &AccountInfo, t: &ExportTx) -> Result<()> {
        self.points(out, a, Some(t.booking_date))?;
        let once =
            t.transfer.as_ref().and_then(|x| self.written_once(t.booking_date, x).map(|o| (x.outgoing, o.clone())));
        let counter = match (&once, &t.transfer, &t.category) {
            // The arriving leg of a transfer written once: written by the leg that left.
            (Some((false, _)), _, _) => {
                if let Some(state) = self.current.as_mut() {
                    state.sum += t.amount;
                }
                return Ok(());
            }
            (Some((true, other)), _, _) => other.clone(),
            (None, Some(_), _) => OTHER_ACCOUNTS.to_owned(),
            (None, None, Some((path, _))) => self.categories.get(path).cloned().unwrap_or_else(|| self.expense.clone()),
            (None, None, None) if t.amount.is_sign_negative() => self.expense.clone(),
            (None, None, None) => self.income.clone(),
        };
        let counter = &counter;
        let Some(state) = self.current.as_mut() else { return Ok(()) };
        state.sum += t.amount;
        let narration = t.remittance.as_deref().or(t.description.as_deref()).unwrap_or("");
        let payee = t.counterparty_name.as_deref().filter(|p| !one_line(p).is_empty());
        let (cur, amount) = (&commodity(&t.currency), t.amount);
        let neg = if amount.is_zero() { amount } else { -amount };
        if self.dialect == Dialect::Beancount {
            write!(out, "{} * ", t.booking_date)?;
            if let Some(p) = payee {
                write_quoted(out, p)?;
                out.write_all(b" ")?;
            }
            write_quoted(out, narration)?;
            if let Some(id) = &t.bank_id {
                out.write_all(b"\n  bank_id: ")?;
                write_quoted(out, id)?;
            }
            out.write_all(b"\n  saldo_id: ")?;
            write_quoted(out, &t.identity)?;
            out.write_all(b"\n")?;
            if let Some(v) = t.value_date.filter(|v| *v != t.booking_date) {
                writeln!(out, "  value_date: {v}")?;
            }
            writeln!(out, "  {}  {amount} {cur}\n  {counter}  {neg} {cur}\n", state.name)?;
        } else {
            let desc = match payee {
                Some(p) => format!("{} | {}", hledger_text(p).replace('|', "/"), hledger_text(narration)),
                None => hledger_text(narration).replace('|', "/"),
            };
            // An empty code `()` first, so a description starting with `(`
            // is not read as a transaction code.
            let code = if desc.starts_with('(') { "() " } else { "" };
            let mut tags = Vec::new();
            if let Some(id) = &t.bank_id {
                tags.push(format!("bank_id: {}", tag_value(id)));
            }
            tags.push(format!("saldo_id: {}", tag_value(&t.identity)));
            writeln!(out, "{} * {code}{desc}  ; {}", t.booking_date, tags.join(", "))?;
            writeln!(out, "    {}    {amount} {cur}\n    {counter}    {neg} {cur}\n", state.name)?;
        }
        Ok(())
    }

    fn account_end(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        self.points(out, a, None)?;
        self.current = None;
        Ok(())
    }
}

/// `s` on one line as a double-quoted beancount string (backslashes and
/// quotes escaped), written straight to `out`.
fn write_quoted(out: &mut dyn Write, s: &str) -> std::io::Result<()> {
    out.write_all(b"\"")?;
    let line = one_line(s);
    let mut rest = line.as_str();
    while let Some(i) = rest.find(['\\', '"']) {
        out.write_all(&rest.as_bytes()[..i])?;
        out.write_all(if rest.as_bytes()[i] == b'"' { b"\\\"" } else { b"\\\\" })?;
        rest = &rest[i + 1..];
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

/// A currency as a journal commodity: the stored code, or `XXX` for anything
/// that is not one (a database written before codes were checked) — never
/// text that could start a directive of its own.
fn commodity(currency: &str) -> String {
    saldo_store::checked_currency(currency).unwrap_or_else(|| saldo_store::NO_CURRENCY.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_account_names_are_checked() {
        assert!(check_account_name("Expenses:Uncategorized").is_ok());
        assert!(check_account_name("Income:Salary:2026").is_ok());
        assert!(check_account_name("Spending:Food").is_err(), "unknown root");
        assert!(check_account_name("Expenses").is_err(), "a root alone");
        assert!(check_account_name("Expenses:food").is_err(), "lower-case component");
        assert!(check_account_name("Expenses:Food Bar").is_err(), "space");
    }
}
