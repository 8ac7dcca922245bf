//! Exports: the person's data back out, whole, in the formats their other
//! tools read. One driver streams each account's transactions from the store
//! (oldest first, one row in memory) into a format writer, so exporting a
//! million transactions runs in constant memory.
//!
//! Every format writes exact amounts with at least the currency's decimals
//! (R17: JPY 0, EUR 2, KWD 3, more when the bank sent more) and calendar dates.
//! Secrets never appear in an export: it is built from stored account and
//! transaction fields only, never from contexts or tokens.

use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_store::accounts::Account;
use saldo_store::balances::BalanceRow;
use saldo_store::export::{DateRange, ExportTx, Span};
use saldo_store::Store;

use crate::insights::{closing_day, Headline};
use crate::{CoreError, Result};

mod csv;
mod json;
mod ledger;
mod ofx;
mod qif;
mod text;

pub use ledger::{check_account_name, Dialect};

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV, one row per transaction.
    Csv,
    /// One JSON document: accounts with their balances and transactions.
    Json,
    /// JSON Lines: one account, balance or transaction object per line.
    Jsonl,
    /// OFX 2.2 bank statements (XML), one statement per account.
    Ofx,
    /// Quicken Interchange Format, one `!Account` section per account.
    Qif,
    /// A beancount ledger.
    Beancount,
    /// An hledger / ledger-cli journal.
    Ledger,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 7] =
        [Format::Csv, Format::Json, Format::Jsonl, Format::Ofx, Format::Qif, Format::Beancount, Format::Ledger];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Ofx => "ofx",
            Format::Qif => "qif",
            Format::Beancount => "beancount",
            Format::Ledger => "ledger",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ledger => "journal",
            other => other.as_str(),
        }
    }
}

impl FromStr for Format {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s) || (s.eq_ignore_ascii_case("hledger") && *f == Format::Ledger))
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                CoreError::Invalid(format!("unknown export format {s:?}; use one of {}", names.join(", ")))
            })
    }
}

/// What to export and how.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The format.
    pub format: Format,
    /// Accounts by row id; empty means every enabled account (including ones
    /// the bank no longer returns, R13: their history is still the person's).
    pub accounts: Vec<i64>,
    /// Booking-date range.
    pub range: DateRange,
    /// Counter-account of money going out (beancount, ledger).
    pub expense_account: String,
    /// Counter-account of money coming in (beancount, ledger).
    pub income_account: String,
    /// When the export is made (OFX server time, JSON header).
    pub now: DateTime<Utc>,
}

impl ExportOptions {
    /// Defaults: all enabled accounts, all dates, `Expenses:Uncategorized` and
    /// `Income:Uncategorized` as counter-accounts.
    pub fn new(format: Format, now: DateTime<Utc>) -> Self {
        Self {
            format,
            accounts: Vec::new(),
            range: DateRange::default(),
            expense_account: "Expenses:Uncategorized".into(),
            income_account: "Income:Uncategorized".into(),
            now,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Accounts written.
    pub accounts: usize,
    /// Transactions written.
    pub transactions: u64,
}

/// A balance the bank reported, as a closing booked balance of a day: it
/// includes every transaction booked on or before `date`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookedPoint {
    /// The day it closes.
    pub date: NaiveDate,
    /// Exact amount.
    pub amount: Decimal,
}

/// Everything a writer needs to know about one account before its rows.
#[derive(Clone, Debug)]
pub struct AccountInfo {
    /// The stored account.
    pub account: Account,
    /// Its bank's display name.
    pub bank_name: String,
    /// Its connector.
    pub connector_id: i64,
    /// A human label: the account's name, product, IBAN or id.
    pub label: String,
    /// What the export holds of it.
    pub span: Span,
    /// The latest booked balance (closing/interim booked, or opening booked of
    /// the next day), in the account's currency.
    pub booked: Option<(BalanceRow, NaiveDate)>,
    /// The latest available balance (closing/interim available).
    pub available: Option<BalanceRow>,
    /// Every stored balance, oldest first.
    pub history: Vec<BalanceRow>,
    /// Booked balances inside the exported range, one per day, oldest first.
    pub booked_points: Vec<BookedPoint>,
    /// The balance before the first exported transaction that makes the
    /// latest booked balance come out of the history, when there is one.
    pub opening: Option<Decimal>,
    /// Transfers into this account from another of the person's accounts
    /// (journals write a transfer once, on the day the money left).
    pub incoming: Vec<saldo_store::export::IncomingTransfer>,
}

/// A format writer: called once at the start, then per account its start,
/// each transaction and its end, then once at the end.
trait Writer {
    fn begin(&mut self, out: &mut dyn Write, accounts: &[AccountInfo]) -> Result<()>;
    fn account(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()>;
    fn transaction(&mut self, out: &mut dyn Write, a: &AccountInfo, t: &ExportTx) -> Result<()>;
    fn account_end(&mut self, _out: &mut dyn Write, _a: &AccountInfo) -> Result<()> {
        Ok(())
    }
    fn end(&mut self, _out: &mut dyn Write) -> Result<()> {
        Ok(())
    }
}

/// Writes an export of the store to `out`.
pub fn export(store: &Store, opts: &ExportOptions, out: &mut dyn Write) -> Result<ExportSummary> {
    check_account_name(&opts.expense_account)?;
    check_account_name(&opts.income_account)?;
    if let (Some(f), Some(t)) = (opts.range.from, opts.range.to) {
        if f > t {
            return Err(CoreError::Invalid(format!("the export range is empty: {f} is after {t}")));
        }
    }
    let accounts = prepare(store, opts)?;
    let mut writer: Box<dyn Writer> = match opts.format {
        Format::Csv => Box::new(csv::Csv::default()),
        Format::Json => Box::new(json::Json::document(opts)),
        Format::Jsonl => Box::new(json::Json::lines(opts)),
        Format::Ofx => Box::new(ofx::Ofx::new(opts)),
        Format::Qif => Box::new(qif::Qif::default()),
        Format::Beancount => Box::new(ledger::Ledger::new(Dialect::Beancount, opts, &accounts, &store.categories()?)),
        Format::Ledger => Box::new(ledger::Ledger::new(Dialect::Hledger, opts, &accounts, &store.categories()?)),
    };
    let mut summary = ExportSummary { accounts: accounts.len(), transactions: 0 };
    writer.begin(out, &accounts)?;
    for a in &accounts {
        writer.account(out, a)?;
        store.for_each_transaction(a.account.id, opts.range, |t| {
            summary.transactions += 1;
            writer.transaction(out, a, &t)
        })?;
        writer.account_end(out, a)?;
    }
    writer.end(out)?;
    out.flush()?;
    Ok(summary)
}

/// Writes an export to a file. A regular file is written beside its name
/// and renamed at the end (after `fsync`), so a failure — a full disk, a
/// refused option — never leaves half a file under the name and keeps an
/// earlier export intact; a device or pipe (`/dev/stdout`, a FIFO) is written
/// as it is.
pub fn export_to_file(store: &Store, opts: &ExportOptions, path: &std::path::Path) -> Result<ExportSummary> {
    write_atomically(path, |out| export(store, opts, out))
}

/// Writes bytes to a file the way [`export_to_file`] does (all or nothing).
pub fn write_file_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |out| Ok(std::io::Write::write_all(out, bytes)?))
}

/// Runs `write` into a file that appears under `path` only when complete
/// (see [`export_to_file`]); a device or pipe is written as it is.
fn write_atomically<T>(path: &std::path::Path, write: impl FnOnce(&mut dyn std::io::Write) -> Result<T>) -> Result<T> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::fs::OpenOptions::new().write(true).open(path)?);
        let done = write(&mut out)?;
        std::io::Write::flush(&mut out)?;
        return Ok(done);
    }
    let name = path.file_name().ok_or_else(|| CoreError::Invalid(format!("{} is not a file name", path.display())))?;
    let tmp = path.with_file_name(format!(".{}.saldo-partial", name.to_string_lossy()));
    // Private (0600) unless it replaces a file whose mode the person chose;
    // the temporary file is created with O_EXCL, never through a symlink.
    let mode = private::mode_of(path).unwrap_or(private::PRIVATE_MODE);
    let attempt = || -> Result<T> {
        let file = private::create_replacing_stale(&tmp, mode)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        let done = write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(done)
    };
    attempt().inspect_err(|_| {
        std::fs::remove_file(&tmp).ok();
    })
}

use saldo_vault::private;

fn prepare(store: &Store, opts: &ExportOptions) -> Result<Vec<AccountInfo>> {
    let connections = store.connections()?;
    let all = store.accounts(None, true)?;
    let chosen: Vec<Account> = if opts.accounts.is_empty() {
        all.into_iter().filter(|a| a.enabled).collect()
    } else {
        let mut v = Vec::new();
        for id in &opts.accounts {
            let a = all
                .iter()
                .find(|a| a.id == *id)
                .ok_or_else(|| CoreError::NotFound(format!("there is no account {id}")))?;
            if !v.iter().any(|x: &Account| x.id == a.id) {
                v.push(a.clone());
            }
        }
        v
    };
    let mut out = Vec::with_capacity(chosen.len());
    for account in chosen {
        let conn = connections.iter().find(|c| c.id == account.connection_id);
        let span = store.span(account.id, opts.range)?;
        let history = store.balance_history(account.id)?;
        let own: Vec<&BalanceRow> = history.iter().filter(|b| b.currency == account.currency).collect();
        // The latest balance of each type, then the headline rule (as the overview).
        let mut latest_per_type: Vec<BalanceRow> = Vec::new();
        for b in own.iter().rev() {
            if !latest_per_type.iter().any(|l| l.balance_type == b.balance_type) {
                latest_per_type.push((*b).clone());
            }
        }
        let booked = own.iter().rev().find_map(|b| closing_day(b).map(|d| ((*b).clone(), d)));
        let in_range = |d: NaiveDate| opts.range.from.is_none_or(|f| d >= f) && opts.range.to.is_none_or(|t| d <= t);
        // One booked point per day (the latest fetched wins), inside the range.
        let mut points: Vec<BookedPoint> = Vec::new();
        for b in &own {
            if let Some(date) = closing_day(b).filter(|d| in_range(*d)) {
                points.retain(|p| p.date != date);
                points.push(BookedPoint { date, amount: b.amount });
            }
        }
        points.sort_by_key(|p| p.date);
        // The latest point anchors the opening balance: opening + history up to
        // that day = what the bank says. The other points are then checked
        // against the history by the writers that assert balances.
        let opening = match points.last() {
            Some(p) => {
                let upto = DateRange { from: opts.range.from, to: Some(p.date) };
                Some(p.amount - store.sum(account.id, upto)?)
            }
            None => None,
        };
        out.push(AccountInfo {
            label: account.name(),
            bank_name: conn.map(|c| c.bank_name.clone()).unwrap_or_default(),
            connector_id: conn.map_or(0, |c| c.connector_id),
            available: Headline::of(&latest_per_type).available.cloned(),
            booked,
            booked_points: points,
            opening,
            history,
            span,
            incoming: store.incoming_transfers(account.id)?,
            account,
        });
    }
    Ok(out)
}
