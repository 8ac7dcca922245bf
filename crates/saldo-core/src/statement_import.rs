//! Importing statement files (issue 17): each statement of each file goes
//! to its account (the one with its IBAN or number, the one chosen, or a new
//! offline account), each entry is matched against what is stored — the
//! bank's rows and earlier files' — and only new rows are written, with
//! where they came from, in ONE database transaction for all files. A
//! preview (`dry_run`) runs the very same code and rolls back, so what it
//! shows is exactly what an import does. A file that cannot be read stops
//! everything before anything is written.

use std::collections::HashMap;
use std::io::{BufRead, Read as _};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_statements::{Balance, Entry, Item, ReadError, Statement};
use saldo_statements_files::csv::CsvProfile;
use saldo_statements_files::qif::QifOptions;
use saldo_store::imported::{NearRow, OfflineAccount, Provenance, RestoredTx, Written};
use saldo_store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::statements::{
    check_one, detect, match_entries_with, Check, Kind, Match, PartyKeys, Stored, DATE_SLACK_DAYS,
};
use crate::{CoreError, Result};

/// One file to import: its name (for provenance and messages) and where
/// its bytes are.
#[derive(Clone)]
pub struct FileInput {
    /// The file's name, without its directory.
    pub name: String,
    /// Its content.
    pub source: FileSource,
}

/// Where a file's bytes are.
#[derive(Clone)]
pub enum FileSource {
    /// In memory (tests, small files).
    Bytes(Vec<u8>),
    /// On disk: read as a stream (twice: its hash, then its entries), so a
    /// file of any size is imported in memory that does not grow with it.
    Path(PathBuf),
}

impl FileInput {
    /// A file held in memory.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { name: name.into(), source: FileSource::Bytes(bytes) }
    }

    /// A file on disk, named by its file name.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Self { name, source: FileSource::Path(path) }
    }

    fn unreadable(&self, e: &std::io::Error) -> CoreError {
        CoreError::Local(format!("{}: cannot be read: {e}", self.name))
    }

    /// Its bytes as a stream.
    fn reader(&self) -> Result<Box<dyn BufRead + Send + '_>> {
        saldo_statements_files::Reopen::open_at(self, 0).map_err(|e| self.unreadable(&e))
    }

    /// Its length and last change on disk (none in memory): a file read in
    /// passes must not change between them.
    fn state(&self) -> Result<Option<(u64, std::time::SystemTime)>> {
        match &self.source {
            FileSource::Bytes(_) => Ok(None),
            FileSource::Path(p) => {
                let m = std::fs::metadata(p).map_err(|e| self.unreadable(&e))?;
                Ok(Some((m.len(), m.modified().map_err(|e| self.unreadable(&e))?)))
            }
        }
    }

    /// SHA-256 of its bytes, hex (read as a stream).
    fn sha256(&self) -> Result<String> {
        let mut hasher = Sha256::new();
        let mut r = self.reader()?;
        loop {
            let buf = r.fill_buf().map_err(|e| self.unreadable(&e))?;
            if buf.is_empty() {
                break;
            }
            hasher.update(buf);
            let n = buf.len();
            r.consume(n);
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Its first bytes (what the format is told by).
    fn head(&self) -> Result<Vec<u8>> {
        let mut head = Vec::with_capacity(4096);
        self.reader()?.take(4096).read_to_end(&mut head).map_err(|e| self.unreadable(&e))?;
        Ok(head)
    }
}

impl saldo_statements_files::Reopen for FileInput {
    fn open_at(&self, offset: u64) -> std::io::Result<Box<dyn BufRead + Send + '_>> {
        Ok(match &self.source {
            FileSource::Bytes(b) => Box::new(&b[usize::try_from(offset).unwrap_or(usize::MAX).min(b.len())..]),
            FileSource::Path(p) => {
                let mut file = std::fs::File::open(p)?;
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))?;
                Box::new(std::io::BufReader::with_capacity(1 << 16, file))
            }
        })
    }
}

impl std::fmt::Debug for FileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            FileSource::Bytes(b) => format!("{} bytes", b.len()),
            FileSource::Path(_) => "a file".to_owned(),
        };
        f.debug_struct("FileInput").field("name", &self.name).field("source", &source).finish()
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
    /// With `rows`: at most this many rows of a statement are kept, the
    /// others only counted (`StatementReport::rows_omitted`), so that the
    /// preview of a file of a million entries is not a million rows held.
    /// Conflicts are always kept: each is the person's to decide.
    pub rows_limit: Option<usize>,
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
    /// Each entry (when the options ask for rows), up to `rows_limit`.
    pub rows: Vec<RowReport>,
    /// Entries beyond `rows_limit`, counted but not kept.
    pub rows_omitted: u64,
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

/// Days of rows searched for transfers at a time after an import.
const TRANSFER_SLICE_DAYS: u64 = 92;

/// Items a file's reader hands over at a time.
const READ_BATCH: usize = 256;

/// Entries matched and written together: the stored rows around their
/// dates are read once per chunk, so memory does not grow with a statement.
/// (The unit tests run the same code with small chunks, so that a few
/// thousand entries cross many chunk borders.)
const CHUNK: usize = if cfg!(test) { 1024 } else { 16_384 };

/// A file's items, however its format is read: camt, MT940/MT942 and CODA
/// stream in one pass; OFX, QIF and CSV in passes (what the whole file
/// tells first, then the entries), reopening the file rather than holding it.
struct Opened<'f> {
    items: Box<dyn Iterator<Item = std::result::Result<Item, ReadError>> + Send + 'f>,
    notes: Vec<String>,
    profile: Option<String>,
}

fn open<'f>(f: &'f FileInput, kind: Option<Kind>, profile: Option<CsvProfile>) -> Result<Opened<'f>> {
    let kind = match kind {
        Some(k) => k,
        None => detect(&f.head()?),
    };
    let streamed = |items: Box<dyn Iterator<Item = std::result::Result<Item, ReadError>> + Send + 'f>| Opened {
        items,
        notes: Vec::new(),
        profile: None,
    };
    let bad = |e: ReadError| unreadable(f, &e.to_string());
    // The formats read in passes: what the first pass noted, then the items.
    let passes = |s: saldo_statements_files::Stream<'f>, profile: Option<String>| Opened {
        items: s.items,
        notes: s.notes.iter().map(ToString::to_string).collect(),
        profile,
    };
    Ok(match kind {
        Kind::Camt => streamed(Box::new(saldo_statements_iso::camt_items(f.reader()?))),
        Kind::Mt940 => streamed(Box::new(saldo_statements_iso::mt940_items(f.reader()?))),
        Kind::Coda => streamed(Box::new(saldo_statements_iso::coda_items(f.reader()?))),
        Kind::Ofx => passes(saldo_statements_files::ofx::stream(f).map_err(bad)?, None),
        Kind::Qif => passes(saldo_statements_files::qif::stream(f, &QifOptions::default()).map_err(bad)?, None),
        Kind::Csv => {
            let profile = match profile {
                Some(p) => p,
                None => saldo_statements_files::csv::guess_profile_of(f).map_err(bad)?,
            };
            passes(saldo_statements_files::csv::stream(f, &profile).map_err(bad)?, Some(profile.name))
        }
    })
}

/// A row's outcome into its statement's report, when rows are asked for
/// and the limit leaves room (a conflict always); else only counted.
fn keep_row(opts: &Options, st: &mut StatementReport, row: impl FnOnce() -> RowReport) {
    if !opts.rows {
        return;
    }
    let row = row();
    // Every conflict is kept (and counted before it comes here), so the
    // other rows kept are the rest.
    let others = (st.rows.len() as u64).saturating_sub(st.conflicts);
    if row.status != RowStatus::Conflict && opts.rows_limit.is_some_and(|limit| others >= limit as u64) {
        st.rows_omitted += 1;
    } else {
        st.rows.push(row);
    }
}

/// "NAME: the file cannot be read: line N: why".
fn unreadable(f: &FileInput, e: &str) -> CoreError {
    let e = e.trim_start_matches("invalid: ");
    if e.starts_with("the file cannot be read") {
        CoreError::Invalid(format!("{}: {e}", f.name))
    } else {
        CoreError::Invalid(format!("{}: the file cannot be read: {e}", f.name))
    }
}

/// The account a statement went to.
struct Resolved {
    account_id: i64,
    currency: String,
    just_created: bool,
}

/// A statement being imported: its beginning, the entries not yet matched,
/// and what its balance check needs.
struct Open {
    head: Statement,
    /// 0-based position in its file.
    index: usize,
    chunk: Vec<Entry>,
    resolved: Option<Resolved>,
    report: Option<StatementReport>,
    /// Sum and count of its booked entries.
    sum: Decimal,
    booked: usize,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// Stored rows an entry of this statement matched: each matches once
    /// (R16), across chunks.
    used: foldhash::HashSet<i64>,
    /// The stored rows (not this statement's own) of the days `span`, by
    /// day and in id order: what the last chunk was matched against.
    window: std::collections::BTreeMap<NaiveDate, Vec<(Stored, String)>>,
    span: Option<(NaiveDate, NaiveDate)>,
}

/// An import in progress (see [`import`]).
struct Importer<'a, 's> {
    w: saldo_store::imported::Restore<'s>,
    opts: &'a Options,
    report: ImportReport,
    span: Option<(NaiveDate, NaiveDate)>,
    /// Accounts this import created, by the file's account number (or the
    /// one `--new-account`).
    created: HashMap<String, i64>,
    created_names: HashMap<i64, String>,
    /// Each statement's closing against Saldo's history, once every row of
    /// every file is written (so rows of later statements count).
    checks_after: Vec<(usize, usize, i64, String, Balance)>,
    /// Counterparty keys of the names matched so far.
    keys: PartyKeys,
}

/// One file being imported.
struct FileState<'f> {
    input: &'f FileInput,
    sha: String,
    report: FileReport,
    entries: u64,
    new: u64,
    /// The closing balance of the file's last statement of each account
    /// (the chain check).
    last_closing: HashMap<String, Option<Balance>>,
}

/// Imports `files` (see the module docs). With `dry_run` nothing is written.
pub fn import(store: &mut Store, files: &[FileInput], opts: &Options, now: DateTime<Utc>) -> Result<ImportReport> {
    if let Target::Account(id) = opts.target {
        if !store.accounts(None, true)?.iter().any(|a| a.id == id) {
            return Err(CoreError::NotFound(format!("there is no account {id}")));
        }
    }
    let (w, mut report, span, created_names, checks_after) = {
        let mut imp = Importer {
            w: store.begin_statement_import(now)?,
            opts,
            report: ImportReport { dry_run: opts.dry_run, ..ImportReport::default() },
            span: None,
            created: HashMap::new(),
            created_names: HashMap::new(),
            checks_after: Vec::new(),
            keys: PartyKeys::default(),
        };
        // Files are read as they are imported, in one transaction: a broken
        // one names itself, and the transaction is rolled back (nothing
        // written).
        for f in files {
            imp.file(f)?;
        }
        (imp.w, imp.report, imp.span, imp.created_names, imp.checks_after)
    };
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
        if let Some((first, last)) = span {
            // Transfers between own accounts, as after a sync, a quarter at
            // a time: one slice's rows are held at a time, so memory does
            // not grow with the years a file spans.
            let mut from = first;
            while from <= last {
                let to = from.checked_add_days(chrono::Days::new(TRANSFER_SLICE_DAYS - 1)).unwrap_or(last).min(last);
                if let Err(e) = store.detect_transfers(Some((from, to)), now) {
                    tracing::warn!(error = %e, "transfer detection after an import failed");
                    break;
                }
                match to.succ_opt() {
                    Some(next) => from = next,
                    None => break,
                }
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

impl Importer<'_, '_> {
    fn file(&mut self, f: &FileInput) -> Result<()> {
        let before = f.state()?;
        let sha = f.sha256()?;
        let opened = open(f, self.opts.kind, self.opts.profile.clone())?;
        let mut file = FileState {
            input: f,
            report: FileReport {
                name: f.name.clone(),
                sha256: sha.clone(),
                format: String::new(),
                imported_before: self.w.imported_before(&sha)?,
                notes: opened.notes,
                profile: opened.profile,
                statements: Vec::new(),
            },
            sha,
            entries: 0,
            new: 0,
            last_closing: HashMap::new(),
        };
        let mut open: Option<Open> = None;
        let mut index = 0;
        let stray = |what: &str| unreadable(f, &format!("{what} outside a statement"));
        // The file is read on a thread of its own while its entries are
        // matched and written here (reading is a sixth of an import's work):
        // while a chunk is written, the next one is read. At most a chunk's
        // items wait, so memory stays bounded. An error here drops the
        // receiver, which stops the reader.
        let items = opened.items;
        std::thread::scope(|scope| -> Result<()> {
            let (send, batches) =
                std::sync::mpsc::sync_channel::<Vec<std::result::Result<Item, ReadError>>>(CHUNK / READ_BATCH);
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(READ_BATCH);
                for item in items {
                    let failed = item.is_err();
                    batch.push(item);
                    if batch.len() < READ_BATCH && !failed {
                        continue;
                    }
                    // A failed read ends the file: its error is handed over,
                    // and reading stops (as when the import has stopped).
                    let handed = send.send(std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH))).is_ok();
                    if failed || !handed {
                        return;
                    }
                }
                let _ = send.send(batch);
            });
            for item in batches.into_iter().flatten() {
                match item.map_err(|e| unreadable(f, &e.to_string()))? {
                    Item::Begin(head) => {
                        if open.is_some() {
                            return Err(stray("a statement"));
                        }
                        open = Some(Open {
                            head,
                            index,
                            chunk: Vec::new(),
                            resolved: None,
                            report: None,
                            sum: Decimal::ZERO,
                            booked: 0,
                            from: None,
                            to: None,
                            used: foldhash::HashSet::default(),
                            window: Default::default(),
                            span: None,
                        });
                        index += 1;
                    }
                    Item::Entry(e) => {
                        let o = open.as_mut().ok_or_else(|| stray("an entry"))?;
                        o.chunk.push(e);
                        if o.chunk.len() >= CHUNK {
                            self.flush(&mut file, o)?;
                        }
                    }
                    Item::End { format, opening, closing } => {
                        let mut o = open.take().ok_or_else(|| stray("a statement's end"))?;
                        o.head.format = format;
                        o.head.opening = opening;
                        o.head.closing = closing;
                        self.flush(&mut file, &mut o)?;
                        self.end(&mut file, o)?;
                    }
                }
            }
            Ok(())
        })?;
        if open.is_some() {
            return Err(unreadable(f, "the file ends inside a statement: it is cut short"));
        }
        // The file is read more than once (its hash, then its items; OFX,
        // QIF and CSV in passes): what was read must be one file.
        if f.state()? != before {
            return Err(CoreError::Invalid(format!(
                "{}: the file changed while it was being imported: nothing was imported, import it again",
                f.name
            )));
        }
        self.w.file_imported(&file.sha, &f.name, &file.report.format, file.entries, file.new)?;
        self.report.files.push(file.report);
        Ok(())
    }

    /// The account a statement goes to (created if it must be), once.
    fn resolve(&mut self, file: &mut FileState<'_>, o: &mut Open) -> Result<()> {
        if o.resolved.is_some() {
            return Ok(());
        }
        let (f, s, si) = (file.input, &o.head, o.index);
        let file_account = s.account.iban.clone().or_else(|| s.account.number.clone());
        let currency_stated = s
            .account
            .currency
            .clone()
            .or_else(|| s.closing.as_ref().and_then(|b| b.currency.clone()))
            .or_else(|| s.opening.as_ref().and_then(|b| b.currency.clone()))
            .or_else(|| o.chunk.iter().find_map(|e| e.currency.clone()));
        let found = match &self.opts.target {
            Target::Account(id) => Some(*id),
            Target::NewAccount(name) => self.created.get(&format!("new:{name}")).copied(),
            Target::Auto => match self.w.account_for(s.account.iban.as_deref(), s.account.number.as_deref())? {
                Some(id) => Some(id),
                None if file_account.is_none() => match self.w.account_of_file(&file.sha, s.id.as_deref())? {
                    Some(id) => Some(id),
                    None => self.created.get(&format!("anon:{}:{si}", f.name)).copied(),
                },
                None => file_account.as_ref().and_then(|k| self.created.get(k)).copied(),
            },
        };
        let (account_id, new_account, just_created) = match found {
            Some(id) => (id, self.created.values().any(|c| *c == id), false),
            None => {
                let name = match &self.opts.target {
                    Target::NewAccount(name) => name.clone(),
                    _ => offline_name(s, &f.name),
                };
                let currency = currency_stated
                    .clone()
                    .or_else(|| self.opts.currency.clone())
                    .unwrap_or_else(|| "EUR".to_owned())
                    .to_ascii_uppercase();
                if saldo_store::checked_currency(&currency).is_none() {
                    return Err(CoreError::Invalid(format!("{}: {currency:?} is not a currency code", f.name)));
                }
                let id = self.w.offline_account(&OfflineAccount {
                    name: name.clone(),
                    currency,
                    iban: s.account.iban.clone(),
                    number: s.account.number.clone(),
                    bic: s.account.bic.clone(),
                    owner: s.account.owner.clone(),
                })?;
                let key = match &self.opts.target {
                    Target::NewAccount(name) => format!("new:{name}"),
                    _ => file_account.clone().unwrap_or_else(|| format!("anon:{}:{si}", f.name)),
                };
                self.created.insert(key, id);
                self.created_names.insert(id, name);
                self.report.accounts_created.push(id);
                (id, true, true)
            }
        };
        let currency = self
            .w
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
        if file.report.format.is_empty() {
            file.report.format = format_name(s.format);
        }
        o.report = Some(StatementReport {
            id: s.id.clone(),
            account_id,
            account: String::new(),
            new_account,
            file_account,
            currency: currency.clone(),
            from: None,
            to: None,
            check: Check {
                statement: si,
                format: s.format,
                entries: 0,
                pending: 0,
                sum: Decimal::ZERO,
                difference: None,
                gap_before: None,
            },
            history_difference: None,
            history_anchor: None,
            new: 0,
            known: 0,
            conflicts: 0,
            pending: 0,
            balance_points: 0,
            rows: Vec::new(),
            rows_omitted: 0,
        });
        o.resolved = Some(Resolved { account_id, currency, just_created });
        Ok(())
    }

    /// Matches and writes the entries read since the last chunk.
    fn flush(&mut self, file: &mut FileState<'_>, o: &mut Open) -> Result<()> {
        self.resolve(file, o)?;
        let chunk = std::mem::take(&mut o.chunk);
        let (Some(r), Some(st)) = (&o.resolved, &mut o.report) else { return Ok(()) };
        let account_id = r.account_id;
        let (booked, pending): (Vec<&Entry>, Vec<&Entry>) = chunk.iter().partition(|e| e.booked);
        st.pending += pending.len() as u64;
        for e in &pending {
            keep_row(self.opts, st, || row_report(e, RowStatus::Pending, None, None));
        }
        let from = booked.iter().map(|e| e.booking_date).min();
        let to = booked.iter().map(|e| e.booking_date).max();
        let (Some(a), Some(b)) = (from, to) else { return Ok(()) };
        o.from = Some(o.from.map_or(a, |f| f.min(a)));
        o.to = Some(o.to.map_or(b, |t| t.max(b)));
        // The rows stored around these dates, but not this statement's own
        // (written from its earlier chunks, or by an earlier import of
        // the same file: that one is found by its identity), nor one an
        // earlier chunk's entry matched.
        let slack = chrono::Days::new(DATE_SLACK_DAYS as u64);
        let own = format!("s:{}:{}:", &file.sha[..16], o.index);
        let (lo, hi) = (a - slack, b + slack);
        // The window of stored rows moves with the chunks (a file is mostly
        // in date order): only the days the last chunk did not read are read.
        let mut window = std::mem::take(&mut o.window).split_off(&lo);
        let _later = window.split_off(&(hi + chrono::Days::new(1)));
        let unread = match o.span {
            Some((wl, wh)) if wl <= hi && wh >= lo => {
                let mut parts = Vec::new();
                if lo < wl {
                    parts.push((lo, wl - chrono::Days::new(1)));
                }
                if hi > wh {
                    parts.push((wh + chrono::Days::new(1), hi));
                }
                parts
            }
            _ => vec![(lo, hi)],
        };
        for (from, to) in unread {
            for n in self.w.rows_near(account_id, from, to)? {
                if !n.identity.starts_with(&own) {
                    window.entry(n.booking_date).or_default().push((stored_of(&n), n.identity));
                }
            }
        }
        o.span = Some((lo, hi));
        o.window = window;
        let near: Vec<&(Stored, String)> =
            o.window.values().flatten().filter(|(s, _)| !o.used.contains(&s.id)).collect();
        let stored: Vec<&Stored> = near.iter().map(|(s, _)| s).collect();
        let matches = match_entries_with(&booked, &stored, &mut self.keys);
        // `near` is in id order (by day, and a day's rows by id; ids grow
        // with the booking day), so a matched row's identity is found by
        // halving instead of through a map of the whole window.
        let identity_of = |id: i64| {
            near.binary_search_by_key(&id, |(s, _)| s.id)
                .ok()
                .or_else(|| near.iter().position(|(s, _)| s.id == id))
                .map(|k| near[k].1.as_str())
        };
        let mut from_file = Provenance {
            file_name: file.input.name.clone(),
            file_sha256: file.sha.clone(),
            format: format_name(o.head.format),
            statement_id: o.head.id.clone(),
            entry: 0,
            line: None,
        };
        for (e, m) in booked.iter().zip(matches) {
            file.entries += 1;
            o.sum += e.amount;
            o.booked += 1;
            from_file.entry = e.position;
            from_file.line = e.line;
            if let Match::Known { id } | Match::Conflict { id, .. } = &m {
                o.used.insert(*id);
            }
            let (status, stored_id, why) = match m {
                Match::Known { id } => {
                    if let Some(identity) = identity_of(id) {
                        self.w.provenance(account_id, identity, &from_file)?;
                    }
                    (RowStatus::Known, Some(id), None)
                }
                Match::Conflict { id, why } if !self.opts.import_conflicts => {
                    (RowStatus::Conflict, Some(id), Some(why))
                }
                m => {
                    let row = restored(account_id, &r.currency, &file.sha, o.index, e);
                    let conflict = match m {
                        Match::Conflict { id, why } => Some((id, why)),
                        _ => None,
                    };
                    match self.w.statement_row(&row, &from_file)? {
                        Written::Stored => {
                            file.new += 1;
                            self.span = Some(match self.span {
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
            keep_row(self.opts, st, || row_report(e, status, stored_id, why));
        }
        Ok(())
    }

    /// A statement's end: its balance check and balance points.
    fn end(&mut self, file: &mut FileState<'_>, o: Open) -> Result<()> {
        let (Some(r), Some(mut st)) = (o.resolved, o.report) else { return Ok(()) };
        let account_id = r.account_id;
        let s = &o.head;
        // Opening + booked entries = closing; this opening = the previous
        // statement's closing of the same account in the file (R17: exact).
        let account_key = format!("{:?}", s.account);
        let previous = file.last_closing.get(&account_key).and_then(Option::as_ref);
        st.check = check_one(o.index, s, o.booked, st.pending as usize, o.sum, previous);
        file.last_closing.insert(account_key, s.closing.clone());
        st.from = o.from;
        st.to = o.to;
        if file.report.format.is_empty() || file.report.statements.is_empty() {
            file.report.format = format_name(s.format);
        }
        // The statement's balances become points of the balance line.
        if let Some(b) = &s.closing {
            st.balance_points +=
                u64::from(self.w.statement_balance(account_id, "CLBD", b.date, b.amount, &r.currency)?);
        }
        // An opening balance only when there is no closing one: formats
        // disagree on its date (the day before, or the day itself).
        if let (None, Some(b)) = (&s.closing, &s.opening) {
            st.balance_points +=
                u64::from(self.w.statement_balance(account_id, "OPBD", b.date, b.amount, &r.currency)?);
        } else if let (true, Some(amount), Some(first)) = (r.just_created, self.opts.opening_balance, o.from) {
            st.balance_points += u64::from(self.w.statement_balance(account_id, "OPBD", first, amount, &r.currency)?);
        }
        let unbalanced =
            st.check.difference.is_some_and(|d| !d.is_zero()) || st.check.gap_before.is_some_and(|d| !d.is_zero());
        let report = &mut self.report;
        report.unbalanced += u64::from(unbalanced);
        if let Some(c) = &s.closing {
            // A later statement closing the same day supersedes this one.
            self.checks_after.retain(|(_, _, a, _, d)| !(*a == account_id && d.date == c.date));
            self.checks_after.push((
                report.files.len(),
                file.report.statements.len(),
                account_id,
                r.currency.clone(),
                c.clone(),
            ));
        }
        report.new += st.new;
        report.known += st.known;
        report.conflicts += st.conflicts;
        report.pending += st.pending;
        report.balance_points += st.balance_points;
        file.report.statements.push(st);
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

    use super::*;

    /// An MT940 statement of `entries` (day offset, cents, party), its
    /// balances adding up.
    fn mt940(reference: &str, entries: &[(u32, i64, &str)]) -> Vec<u8> {
        use std::fmt::Write as _;
        let day =
            |d: u32| (NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Days::new(u64::from(d))).format("%y%m%d");
        let mut out = format!(":20:{reference}\r\n:25:NL91ABNA0417164300\r\n:28C:1\r\n:60F:C{}EUR0,00\r\n", day(0));
        let mut balance = 0;
        for (d, cents, party) in entries {
            balance += cents;
            let mark = if *cents < 0 { "D" } else { "C" };
            let _ = write!(
                out,
                ":61:{}{mark}{},{:02}NTRFNONREF\r\n:86:/NAME/{party}/REMI/x\r\n",
                day(*d),
                cents.abs() / 100,
                cents.abs() % 100
            );
        }
        let last = entries.last().map_or(0, |e| e.0);
        let _ = write!(out, ":62F:C{}EUR{},{:02}\r\n-\r\n", day(last), balance / 100, balance % 100);
        out.into_bytes()
    }

    /// 10,000 entries (almost three chunks): two identical ones (day,
    /// amount, party) on every day, and the same amounts and parties on the
    /// days around, so that twins and near matches sit on both sides of
    /// each chunk's border.
    fn entries() -> Vec<(u32, i64, &'static str)> {
        (0..10_000u32)
            .map(|i| (i / 40, 1000 + i64::from(i % 20), if (i % 20) % 3 == 0 { "Bakery" } else { "Grocer" }))
            .collect()
    }

    fn store(dir: &std::path::Path) -> Store {
        Store::open(&dir.join("saldo.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap()
    }

    fn count(store: &Store) -> i64 {
        store.sql().query_row("SELECT count(*) FROM transactions", [], |r| r.get(0)).unwrap()
    }

    /// A preview of a long file keeps the rows it is asked to show and
    /// counts the others (the app asks for as many as it lists): its
    /// memory does not grow with the file, and its counts are the same.
    #[test]
    fn a_preview_keeps_at_most_the_rows_asked_for_and_counts_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let file = FileInput::from_bytes("a.sta", mt940("A", &entries()[..3000]));
        let opts = Options { dry_run: true, rows: true, rows_limit: Some(100), ..Options::default() };
        let r = import(&mut s, std::slice::from_ref(&file), &opts, Utc::now()).unwrap();
        let st = &r.files[0].statements[0];
        assert_eq!((st.new, st.rows.len(), st.rows_omitted), (3000, 100, 2900));
        assert_eq!(
            st.rows.iter().map(|r| r.entry).collect::<Vec<_>>(),
            (1..=100).collect::<Vec<_>>(),
            "the first ones"
        );
        let all = import(&mut s, &[file], &Options { rows_limit: None, ..opts }, Utc::now()).unwrap();
        assert_eq!((all.files[0].statements[0].rows.len(), all.files[0].statements[0].rows_omitted), (3000, 0));
        assert_eq!(count(&s), 0, "a preview writes nothing");
    }

    /// Conflicts are kept whatever the limit: `saldo import --dry-run`
    /// keeps no other row, and lists them all.
    #[test]
    fn a_preview_keeps_every_conflict_whatever_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let stored = FileInput::from_bytes("a.sta", mt940("A", &[(3, 1250, "Garage Peeters"), (9, 990, "Bakery")]));
        import(&mut s, &[stored], &Options::default(), Utc::now()).unwrap();
        // The same days and amounts, other counterparties: two conflicts among 2,000 new rows.
        let mut rows: Vec<(u32, i64, &str)> =
            (0..2000u32).map(|i| (i / 100 + 20, 500 + i64::from(i), "Shop")).collect();
        rows.insert(0, (3, 1250, "Pharmacy Claes"));
        rows.insert(1500, (9, 990, "Florist"));
        rows.sort_by_key(|r| r.0);
        let file = FileInput::from_bytes("b.sta", mt940("B", &rows));
        let opts = Options { dry_run: true, rows: true, rows_limit: Some(0), ..Options::default() };
        let r = import(&mut s, &[file], &opts, Utc::now()).unwrap();
        let st = &r.files[0].statements[0];
        assert_eq!((st.new, st.conflicts), (2000, 2));
        assert_eq!(st.rows.iter().map(|r| &r.status).collect::<Vec<_>>(), vec![&RowStatus::Conflict; 2]);
        assert_eq!(st.rows_omitted, 2000, "the new rows only counted");
    }

    /// R16 across chunk borders: each of a file's twins is a row; the same
    /// file again adds nothing; another file with the same entries finds
    /// each stored row once, and the one extra twin it has is new.
    #[test]
    fn twins_across_chunk_borders_stay_twins_in_either_order() {
        assert!(entries().len() > 2 * CHUNK);
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let now = Utc::now();
        let first = FileInput::from_bytes("a.sta", mt940("A", &entries()));
        let r = import(&mut s, std::slice::from_ref(&first), &Options::default(), now).unwrap();
        assert_eq!((r.new, r.known, r.conflicts), (10_000, 0, 0));
        assert_eq!(r.unbalanced, 0, "{:?}", r.files[0].statements[0].check);
        assert_eq!(count(&s), 10_000);

        let again = import(&mut s, std::slice::from_ref(&first), &Options::default(), now).unwrap();
        assert_eq!((again.new, again.known), (0, 10_000), "the same file again adds nothing");

        // Another file (another hash) with the same entries, and one more
        // twin of the entry at the first chunk's border.
        let mut more = entries();
        more.insert(CHUNK, more[CHUNK]);
        let second = FileInput::from_bytes("b.sta", mt940("B", &more));
        let r = import(&mut s, &[second], &Options::default(), now).unwrap();
        assert_eq!((r.new, r.known, r.conflicts), (1, 10_000, 0));
        assert_eq!(count(&s), 10_001);
    }

    /// A file on disk is read as a stream, and one cut short is refused
    /// with its name, writing nothing.
    #[test]
    fn a_file_on_disk_streams_and_one_cut_short_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let bytes = mt940("A", &entries());
        let whole = tmp.path().join("whole.sta");
        std::fs::write(&whole, &bytes).unwrap();
        let cut = tmp.path().join("cut.sta");
        // Cut inside the last :61: line's date (its closing balance gone).
        let text = String::from_utf8(bytes).unwrap();
        let at = text.rfind(":62F:").unwrap();
        std::fs::write(&cut, format!("{}:61:1905", &text[..at])).unwrap();
        let err = import(
            &mut s,
            &[FileInput::from_path(&whole), FileInput::from_path(&cut)],
            &Options::default(),
            Utc::now(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cut.sta"), "{err}");
        assert_eq!(count(&s), 0, "the first file's rows were rolled back with the broken second one");
        let r = import(&mut s, &[FileInput::from_path(&whole)], &Options::default(), Utc::now()).unwrap();
        assert_eq!(r.new, 10_000);
        assert_eq!(r.files[0].name, "whole.sta");
    }

    /// R16 when a file is not in date order: the stored rows a chunk is
    /// matched against move with its dates (days read once, forgotten when
    /// the chunks move on, read again when a chunk goes back), and each
    /// stored row still matches one entry only.
    #[test]
    fn a_file_out_of_date_order_finds_each_stored_row_once() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let now = Utc::now();
        let first = FileInput::from_bytes("a.sta", mt940("A", &entries()));
        assert_eq!(import(&mut s, &[first], &Options::default(), now).unwrap().new, 10_000);

        let mut reversed = entries();
        reversed.reverse();
        let r =
            import(&mut s, &[FileInput::from_bytes("b.sta", mt940("B", &reversed))], &Options::default(), now).unwrap();
        assert_eq!((r.new, r.known, r.conflicts), (0, 10_000, 0), "newest first");

        // The second half first, then the first half, then one more twin
        // of the first entry read: its day was left behind chunks ago.
        let mut rotated = entries();
        rotated.rotate_left(5_000);
        rotated.push(rotated[0]);
        let r =
            import(&mut s, &[FileInput::from_bytes("c.sta", mt940("C", &rotated))], &Options::default(), now).unwrap();
        assert_eq!((r.new, r.known, r.conflicts), (1, 10_000, 0), "back and forth");
        assert_eq!(count(&s), 10_001);
    }

    /// A row read from a file has no bank JSON: the app's detail view gets
    /// the file's fields as the gateway would have sent them.
    #[test]
    fn a_statement_rows_fields_read_as_the_gateway_would_send_them() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let file = FileInput::from_bytes("a.sta", mt940("A", &[(3, 1234, "Bakery Jansen")]));
        import(&mut s, &[file], &Options::default(), Utc::now()).unwrap();
        let id: i64 = s.sql().query_row("SELECT id FROM transactions", [], |r| r.get(0)).unwrap();
        let raw = s.transaction_raw(id).unwrap().expect("the row's fields");
        let t: saldo_gateway::Transaction = serde_json::from_str(&raw).unwrap();
        assert_eq!(t.amount.0, Decimal::new(1234, 2));
        assert_eq!(t.counterpart_name.as_deref(), Some("Bakery Jansen"));
        assert_eq!(t.execution_date.map(|d| d.date()), NaiveDate::from_ymd_opt(2019, 1, 4));
        assert_eq!(t.currency.as_deref(), Some("EUR"));
        assert!(s.provenance(id).unwrap().unwrap().from_file, "the row is the file's own");
        assert_eq!(s.transaction_raw(id + 1).unwrap(), None, "no such row");
    }

    /// A file whose entries cannot go where they were sent is refused
    /// while its reader is still reading (it waits on a full hand-over):
    /// the reader stops, the import returns its error, nothing is written.
    #[test]
    fn an_error_while_writing_stops_the_reader_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = store(tmp.path());
        let now = Utc::now();
        let dollars = String::from_utf8(mt940("D", &entries()[..10])).unwrap().replace("EUR", "USD");
        let r = import(&mut s, &[FileInput::from_bytes("usd.sta", dollars.into_bytes())], &Options::default(), now)
            .unwrap();
        let usd = r.files[0].statements[0].account_id;
        let euros = FileInput::from_bytes("eur.sta", mt940("E", &entries()));
        let opts = Options { target: Target::Account(usd), ..Options::default() };
        let err = import(&mut s, &[euros], &opts, now).unwrap_err().to_string();
        assert!(err.contains("eur.sta") && err.contains("EUR") && err.contains("USD"), "{err}");
        assert_eq!(count(&s), 10, "only the dollar file's rows");
    }
}
