//! Importing statement files (issue 17): each statement of each file goes
//! to its account (the one with its IBAN or number, the one chosen, or a new
//! offline account), each entry is matched against what is stored — the
//! bank's rows and earlier files' — and only new rows are written, with
//! where they came from, in ONE database transaction for all files. A
//! preview (`dry_run`) runs the very same code and rolls back, so what it
//! shows is exactly what an import does. A file that cannot be read stops
//! everything before anything is written.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_statements::{Entry, Statement};
use saldo_statements_files::csv::CsvProfile;
use saldo_store::imported::{NearRow, OfflineAccount, Provenance, RestoredTx, Written};
use saldo_store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::statements::{check, match_entries, read, Check, Kind, Match, Stored, DATE_SLACK_DAYS};
use crate::{CoreError, Result};

/// One file to import: its name (for provenance and messages) and bytes.
#[derive(Clone)]
pub struct FileInput {
    /// The file's name, without its directory.
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileInput").field("name", &self.name).field("bytes", &self.bytes.len()).finish()
    }
}

/// Where a file's statements go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// Each statement to the account with its IBAN or number, else to a new
    /// offline account named after it.
    #[default]
    Auto,
    /// Every statement to this account.
    Account(i64),
    /// Every statement to one new offline account with this name.
    NewAccount(String),
}

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The format (else detected from the content).
    pub kind: Option<Kind>,
    /// The CSV profile (else a guess from the data).
    pub profile: Option<CsvProfile>,
    /// Where the statements go.
    pub target: Target,
    /// The currency of a new offline account when the file states none
    /// (QIF, most CSV); default EUR.
    pub currency: Option<String>,
    /// The balance before the first entry of a new offline account, when
    /// the file states none (its balance line starts there).
    pub opening_balance: Option<Decimal>,
    /// Rows that look like a stored row but differ are imported too
    /// (default: left out, for the person to decide).
    pub import_conflicts: bool,
    /// Show what would happen; write nothing.
    pub dry_run: bool,
    /// Keep every row's outcome in the report (a preview); else only counts.
    pub rows: bool,
}

/// One entry's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Not stored before: imported.
    New,
    /// Already here (the bank's row or an earlier file's): nothing added.
    Known,
    /// Looks like a stored row but differs: left out unless asked.
    Conflict,
    /// The file says it is not booked yet: never imported.
    Pending,
}

/// One entry of a statement, as the preview shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// 1-based entry of its statement.
    pub entry: usize,
    /// 1-based line, for line-based formats.
    pub line: Option<usize>,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Exact, signed.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The other party, as the file names it.
    pub counterparty: Option<String>,
    /// The file's text for it.
    pub description: Option<String>,
    /// What the import does with it.
    pub status: RowStatus,
    /// The stored row it is (known, conflict).
    pub stored_id: Option<i64>,
    /// Why it is a conflict.
    pub why: Option<String>,
}

/// One statement's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    /// The statement's own id, when given.
    pub id: Option<String>,
    /// The account it went to.
    pub account_id: i64,
    /// That account's name as the report shows it.
    pub account: String,
    /// The account was created by this import (offline).
    pub new_account: bool,
    /// The file's IBAN or account number for it.
    pub file_account: Option<String>,
    /// Currency.
    pub currency: String,
    /// First and last booking date of its booked entries.
    pub from: Option<NaiveDate>,
    /// See `from`.
    pub to: Option<NaiveDate>,
    /// Its balances against its own entries and the previous statement.
    pub check: Check,
    /// The closing balance − what Saldo's history says the balance was at
    /// the end of that day (a balance stored before this import and the rows
    /// since or until it, this import's included), when both exist; not
    /// zero: rows are missing here or in the file.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub history_difference: Option<Decimal>,
    /// The balance point the difference was computed from (its day).
    pub history_anchor: Option<NaiveDate>,
    /// Entries imported.
    pub new: u64,
    /// Entries already here.
    pub known: u64,
    /// Entries that conflict (imported only with `import_conflicts`).
    pub conflicts: u64,
    /// Pending entries (never imported).
    pub pending: u64,
    /// Balance points added to the account's balance line.
    pub balance_points: u64,
    /// Each entry (when the options ask for rows).
    pub rows: Vec<RowReport>,
}

/// One file's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// The format it was read as.
    pub format: String,
    /// When a file with the same bytes was imported before, if it was.
    pub imported_before: Option<String>,
    /// What the reader skipped or guessed.
    pub notes: Vec<String>,
    /// The CSV profile used.
    pub profile: Option<String>,
    /// Its statements.
    pub statements: Vec<StatementReport>,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Each file.
    pub files: Vec<FileReport>,
    /// Rows imported.
    pub new: u64,
    /// Rows already here.
    pub known: u64,
    /// Rows in conflict.
    pub conflicts: u64,
    /// Pending rows left out.
    pub pending: u64,
    /// Offline accounts created (ids; with `dry_run`, the ids they would have).
    pub accounts_created: Vec<i64>,
    /// Balance points added.
    pub balance_points: u64,
    /// Statements whose balances do not add up or chain (a warning: the
    /// rows are imported as the file has them).
    pub unbalanced: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn format_name(f: saldo_statements::Format) -> String {
    serde_json::to_value(f).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{f:?}"))
}

/// The name of the offline account made for a file's account.
fn offline_name(s: &Statement, file_name: &str) -> String {
    let a = &s.account;
    let number = a.iban.as_deref().or(a.number.as_deref());
    match (a.name.as_deref().filter(|n| !n.trim().is_empty()), number) {
        (Some(name), Some(n)) => format!("{} {n}", name.trim()),
        (Some(name), None) => name.trim().to_owned(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem).to_owned(),
    }
}

/// The balance at the end of `day` by Saldo's history: the balance point
/// stored before this import (`now`) nearest before it, else the first
/// after it, and the rows between (this import's included).
fn history_balance(
    w: &saldo_store::imported::Restore<'_>,
    account_id: i64,
    currency: &str,
    day: NaiveDate,
    now: &str,
) -> Result<Option<(NaiveDate, Decimal)>> {
    let points: Vec<(NaiveDate, Decimal)> = w
        .balances_of(account_id)?
        .into_iter()
        .filter(|b| b.currency == currency && b.fetched_at != now)
        .filter_map(|b| crate::insights::closing_day(&b).map(|d| (d, b.amount)))
        .collect();
    let before = points.iter().filter(|(d, _)| *d <= day).max_by_key(|(d, _)| *d);
    let after = points.iter().filter(|(d, _)| *d > day).min_by_key(|(d, _)| *d);
    Ok(match (before, after) {
        (Some(&(d, b)), _) => Some((d, b + w.net_between(account_id, d, day)?)),
        (None, Some(&(d, b))) => Some((d, b - w.net_between(account_id, day, d)?)),
        (None, None) => None,
    })
}

/// Imports `files` (see the module docs). With `dry_run` nothing is written.
pub fn import(store: &mut Store, files: &[FileInput], opts: &Options, now: DateTime<Utc>) -> Result<ImportReport> {
    // Every file is read before anything is written: a broken one names
    // itself and leaves the install as it was.
    let mut read_files = Vec::with_capacity(files.len());
    for f in files {
        let r = read(&f.bytes, opts.kind, opts.profile.clone()).map_err(|e| {
            CoreError::Invalid(format!("{}: {}", f.name, e.to_string().trim_start_matches("invalid: ")))
        })?;
        read_files.push(r);
    }
    if let Target::Account(id) = opts.target {
        if !store.accounts(None, true)?.iter().any(|a| a.id == id) {
            return Err(CoreError::NotFound(format!("there is no account {id}")));
        }
    }
    let mut report = ImportReport { dry_run: opts.dry_run, ..ImportReport::default() };
    let mut span: Option<(NaiveDate, NaiveDate)> = None;
    let mut w = store.begin_statement_import(now)?;
    // Accounts this import created, by the file's account number (or the
    // one `--new-account`).
    let mut created: HashMap<String, i64> = HashMap::new();
    let mut created_names: HashMap<i64, String> = HashMap::new();
    // Each statement's opening against Saldo's history, once every row of
    // every file is written (so rows of later statements count).
    let mut checks_after = Vec::new();
    for (f, r) in files.iter().zip(read_files) {
        let sha = sha256_hex(&f.bytes);
        let mut file = FileReport {
            name: f.name.clone(),
            sha256: sha.clone(),
            format: r.statements.first().map(|s| format_name(s.format)).unwrap_or_default(),
            imported_before: w.imported_before(&sha)?,
            notes: r.notes.clone(),
            profile: r.profile.clone(),
            statements: Vec::new(),
        };
        let checks = check(&r.statements);
        let mut file_new = 0;
        let mut file_entries = 0;
        for (si, (s, c)) in r.statements.iter().zip(checks).enumerate() {
            let file_account = s.account.iban.clone().or_else(|| s.account.number.clone());
            let currency_stated = s
                .account
                .currency
                .clone()
                .or_else(|| s.closing.as_ref().and_then(|b| b.currency.clone()))
                .or_else(|| s.entries.iter().find_map(|e| e.currency.clone()));
            let found = match &opts.target {
                Target::Account(id) => Some(*id),
                Target::NewAccount(name) => created.get(&format!("new:{name}")).copied(),
                Target::Auto => match w.account_for(s.account.iban.as_deref(), s.account.number.as_deref())? {
                    Some(id) => Some(id),
                    None if file_account.is_none() => match w.account_of_file(&sha, s.id.as_deref())? {
                        Some(id) => Some(id),
                        None => created.get(&format!("anon:{}:{si}", f.name)).copied(),
                    },
                    None => file_account.as_ref().and_then(|k| created.get(k)).copied(),
                },
            };
            let (account_id, new_account, just_created) = match found {
                Some(id) => (id, created.values().any(|c| *c == id), false),
                None => {
                    let name = match &opts.target {
                        Target::NewAccount(name) => name.clone(),
                        _ => offline_name(s, &f.name),
                    };
                    let currency = currency_stated
                        .clone()
                        .or_else(|| opts.currency.clone())
                        .unwrap_or_else(|| "EUR".to_owned())
                        .to_ascii_uppercase();
                    if saldo_store::checked_currency(&currency).is_none() {
                        return Err(CoreError::Invalid(format!("{}: {currency:?} is not a currency code", f.name)));
                    }
                    let id = w.offline_account(&OfflineAccount {
                        name: name.clone(),
                        currency,
                        iban: s.account.iban.clone(),
                        number: s.account.number.clone(),
                        bic: s.account.bic.clone(),
                        owner: s.account.owner.clone(),
                    })?;
                    let key = match &opts.target {
                        Target::NewAccount(name) => format!("new:{name}"),
                        _ => file_account.clone().unwrap_or_else(|| format!("anon:{}:{si}", f.name)),
                    };
                    created.insert(key, id);
                    created_names.insert(id, name);
                    report.accounts_created.push(id);
                    (id, true, true)
                }
            };
            let currency = w
                .account_currency(account_id)
                .ok_or_else(|| CoreError::NotFound(format!("there is no account {account_id}")))?
                .to_owned();
            if let Some(stated) = currency_stated.as_deref().filter(|c| !c.eq_ignore_ascii_case(&currency)) {
                return Err(CoreError::Invalid(format!(
                    "{}: statement {} is in {stated}, account {account_id} in {currency}",
                    f.name,
                    si + 1
                )));
            }
            let booked: Vec<&Entry> = s.entries.iter().filter(|e| e.booked).collect();
            let from = booked.iter().map(|e| e.booking_date).min();
            let to = booked.iter().map(|e| e.booking_date).max();
            let mut st = StatementReport {
                id: s.id.clone(),
                account_id,
                account: String::new(),
                new_account,
                file_account: file_account.clone(),
                currency: currency.clone(),
                from,
                to,
                check: c,
                history_difference: None,
                history_anchor: None,
                new: 0,
                known: 0,
                conflicts: 0,
                pending: (s.entries.len() - booked.len()) as u64,
                balance_points: 0,
                rows: Vec::new(),
            };
            let (near, matches) = match (from, to) {
                (Some(a), Some(b)) => {
                    let slack = chrono::Days::new(DATE_SLACK_DAYS as u64);
                    let near = w.rows_near(account_id, a - slack, b + slack)?;
                    let stored: Vec<Stored> = near.iter().map(stored_of).collect();
                    let m = match_entries(&booked, &stored);
                    (near, m)
                }
                _ => (Vec::new(), Vec::new()),
            };
            let identities: HashMap<i64, &str> = near.iter().map(|n| (n.id, n.identity.as_str())).collect();
            for (e, m) in booked.iter().zip(matches) {
                file_entries += 1;
                let from_file = Provenance {
                    file_name: f.name.clone(),
                    file_sha256: sha.clone(),
                    format: format_name(s.format),
                    statement_id: s.id.clone(),
                    entry: e.position,
                    line: e.line,
                };
                let (status, stored_id, why) = match m {
                    Match::Known { id } => {
                        if let Some(identity) = identities.get(&id) {
                            w.provenance(account_id, identity, &from_file)?;
                        }
                        (RowStatus::Known, Some(id), None)
                    }
                    Match::Conflict { id, why } if !opts.import_conflicts => (RowStatus::Conflict, Some(id), Some(why)),
                    m => {
                        let row = restored(account_id, &currency, &sha, si, e);
                        let conflict = match m {
                            Match::Conflict { id, why } => Some((id, why)),
                            _ => None,
                        };
                        match w.statement_row(&row, &from_file)? {
                            Written::Stored => {
                                file_new += 1;
                                span = Some(match span {
                                    Some((a, b)) => (a.min(e.booking_date), b.max(e.booking_date)),
                                    None => (e.booking_date, e.booking_date),
                                });
                                match conflict {
                                    Some((id, why)) => (RowStatus::Conflict, Some(id), Some(why)),
                                    None => (RowStatus::New, None, None),
                                }
                            }
                            // The same entry of the same file, imported before.
                            Written::Duplicate => (RowStatus::Known, None, None),
                        }
                    }
                };
                match status {
                    RowStatus::New => st.new += 1,
                    RowStatus::Known => st.known += 1,
                    RowStatus::Conflict => st.conflicts += 1,
                    RowStatus::Pending => {}
                }
                if opts.rows {
                    st.rows.push(row_report(e, status, stored_id, why));
                }
            }
            if opts.rows {
                for e in s.entries.iter().filter(|e| !e.booked) {
                    st.rows.push(row_report(e, RowStatus::Pending, None, None));
                }
            }
            // The statement's balances become points of the balance line.
            if let Some(b) = &s.closing {
                st.balance_points += u64::from(w.statement_balance(account_id, "CLBD", b.date, b.amount, &currency)?);
            }
            // An opening balance only when there is no closing one: formats
            // disagree on its date (the day before, or the day itself).
            if let (None, Some(b)) = (&s.closing, &s.opening) {
                st.balance_points += u64::from(w.statement_balance(account_id, "OPBD", b.date, b.amount, &currency)?);
            } else if let (true, Some(amount), Some(first)) = (just_created, opts.opening_balance, from) {
                st.balance_points += u64::from(w.statement_balance(account_id, "OPBD", first, amount, &currency)?);
            }
            let unbalanced =
                st.check.difference.is_some_and(|d| !d.is_zero()) || st.check.gap_before.is_some_and(|d| !d.is_zero());
            report.unbalanced += u64::from(unbalanced);
            if let Some(c) = &s.closing {
                // A later statement closing the same day supersedes this one.
                checks_after.retain(|(_, _, a, _, d): &(usize, usize, i64, String, saldo_statements::Balance)| {
                    !(*a == account_id && d.date == c.date)
                });
                checks_after.push((report.files.len(), file.statements.len(), account_id, currency.clone(), c.clone()));
            }
            report.new += st.new;
            report.known += st.known;
            report.conflicts += st.conflicts;
            report.pending += st.pending;
            report.balance_points += st.balance_points;
            file.statements.push(st);
        }
        w.file_imported(&sha, &f.name, &file.format, file_entries, file_new)?;
        report.files.push(file);
    }
    let now_s = now.to_rfc3339();
    for (fi, si, account_id, currency, closing) in checks_after {
        if let Some((anchor, expected)) = history_balance(&w, account_id, &currency, closing.date, &now_s)? {
            let st = &mut report.files[fi].statements[si];
            let difference = closing.amount - expected;
            st.history_difference = Some(difference);
            st.history_anchor = Some(anchor);
            if !difference.is_zero()
                && st.check.difference.is_none_or(|d| d.is_zero())
                && st.check.gap_before.is_none_or(|d| d.is_zero())
            {
                report.unbalanced += 1;
            }
        }
    }
    if opts.dry_run {
        drop(w);
    } else {
        w.finish()?;
        if let Some(span) = span {
            // Transfers between own accounts, as after a sync.
            if let Err(e) = store.detect_transfers(Some(span), now) {
                tracing::warn!(error = %e, "transfer detection after an import failed");
            }
        }
    }
    let names: HashMap<i64, String> = store
        .accounts(None, true)?
        .into_iter()
        .map(|a| (a.id, a.description.or(a.iban).unwrap_or_else(|| a.gateway_id.clone())))
        .collect();
    for f in &mut report.files {
        for s in &mut f.statements {
            // A preview rolled its new accounts back: they keep the name they would have.
            s.account = names
                .get(&s.account_id)
                .or_else(|| created_names.get(&s.account_id))
                .cloned()
                .unwrap_or_else(|| format!("account {}", s.account_id));
        }
    }
    Ok(report)
}

fn stored_of(n: &NearRow) -> Stored {
    Stored {
        id: n.id,
        booking_date: n.booking_date,
        amount: n.amount,
        counterparty: n.counterparty.clone(),
        bank_id: n.bank_id.clone(),
    }
}

fn row_report(e: &Entry, status: RowStatus, stored_id: Option<i64>, why: Option<String>) -> RowReport {
    RowReport {
        entry: e.position,
        line: e.line,
        booking_date: e.booking_date,
        amount: e.amount,
        counterparty: e.counterparty_name.clone(),
        description: e.description.clone().or_else(|| e.remittance.clone()),
        status,
        stored_id,
        why,
    }
}

/// The stored row an entry becomes: identity `s:<file>:<statement>:<entry>#0`
/// (the same file's same entry is the same row), the bank's reference as its
/// bank id (so the bank's row, or a later file, finds it).
fn restored(account_id: i64, currency: &str, sha: &str, statement: usize, e: &Entry) -> RestoredTx {
    RestoredTx {
        account_id,
        identity: format!("s:{}:{statement}:{}#0", &sha[..16], e.position),
        bank_id: e.bank_reference.clone().or_else(|| e.end_to_end_id.clone()),
        booking_date: e.booking_date,
        value_date: e.value_date,
        amount: e.amount,
        currency: e
            .currency
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| currency.to_owned())
            .to_ascii_uppercase(),
        counterparty_name: e.counterparty_name.clone(),
        counterparty_account: e.counterparty_account.clone(),
        counterparty_bic: e.counterparty_bic.clone(),
        description: e.description.clone(),
        remittance: e.remittance.clone(),
        creditor_reference: e.structured_reference.clone(),
        bank_transaction_code: e.bank_transaction_code.clone(),
        category: None,
        counterparty_clean: None,
        transfer_leg: false,
        mandate: e.mandate.clone(),
    }
}
