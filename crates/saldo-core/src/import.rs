//! Importing data into an empty install. For now one format: Saldo's own
//! JSON export ([`ImportFormat::SaldoJson`], `saldo export --format json` or
//! `jsonl`, described by `docs/schema/saldo-export.schema.json`); bank
//! statement formats are to come under the same entry point.
//!
//! The file is read as a stream (a JSON document record by record, JSON
//! Lines line by line: a million transactions need no more memory than a
//! few of them) and written by [`saldo_store::imported::Restore`] in ONE
//! database transaction, into an install that holds no connection, account
//! or transaction. Anything wrong in the file — not JSON, cut short, an
//! amount that is not an exact decimal (R17), a currency that is not a
//! code, a transaction whose account is not in the file, an identity twice
//! in one account, a transfer with more than two legs — refuses the whole
//! import with the line (and column) and field named, and nothing is
//! written.
//!
//! # Round trip
//! Export → import → export gives the same file, byte for byte, except the
//! header's `exported_at` (the time of each export). Only a whole export
//! (no `from`/`to`, every account) restores the whole install: a partial
//! one imports what it holds, and the header of a later whole export then
//! has no `from`/`to`. Of a JSON Lines file cut exactly at a line's end
//! nothing tells that lines are missing (the document's closing brackets
//! do): prefer `json` for files that travel.
//!
//! What the export does not carry is not restored: contexts and tokens
//! (R5: a restored connection needs a reconnect to sync again), rules (keep
//! them with `rules export` / `rules import`; imported first, the rows
//! they categorise are labelled as ruled), sync history, the gateway's
//! bank-side fields (`gwSequence`, mandate, end-to-end id), the person's
//! "not a transfer" choices and their other own IBANs. Row ids
//! (`saldo transactions`' `id`) are numbered afresh by booking day, as a
//! sync numbers them; the export's `id` — the identity — is kept (R16).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_store::imported::{
    match_key, Occupancy, Restore, RestoredAccount, RestoredBalance, RestoredConnection, RestoredTx, Written,
};
use saldo_store::{Store, StoredAmount};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::{CoreError, Result};

/// The version of the export's shape this Saldo reads (the export's
/// `SCHEMA_VERSION`; the round-trip test fails when they part).
const EXPORT_VERSION: u32 = 1;

/// A format `saldo import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// Saldo's own export, `json` or `jsonl` (told apart by the first line).
    SaldoJson,
}

impl ImportFormat {
    /// Every format, in documentation order.
    pub const ALL: [ImportFormat; 1] = [ImportFormat::SaldoJson];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::SaldoJson => "saldo-json",
        }
    }
}

/// What an import restored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Connections (each needs a reconnect before it syncs again).
    pub connections: usize,
    /// Accounts.
    pub accounts: usize,
    /// Transactions.
    pub transactions: u64,
    /// Balances.
    pub balances: usize,
    /// Categories created (those the install had are not counted).
    pub categories: usize,
    /// Transfers between own accounts.
    pub transfers: usize,
    /// Names the person gave counterparties.
    pub aliases: usize,
}

/// Imports `input` in `format` into an empty install (see the module docs).
pub fn import(
    store: &mut Store,
    format: ImportFormat,
    input: impl BufRead,
    now: DateTime<Utc>,
) -> Result<ImportSummary> {
    match format {
        ImportFormat::SaldoJson => import_saldo_json(store, input, now),
    }
}

/// Imports `path` (`-`: standard input) in `format` into an empty install.
pub fn import_file(
    store: &mut Store,
    format: ImportFormat,
    path: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<ImportSummary> {
    if path.as_os_str() == "-" {
        return import(store, format, std::io::stdin().lock(), now);
    }
    let file =
        std::fs::File::open(path).map_err(|e| CoreError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    import(store, format, std::io::BufReader::with_capacity(1 << 16, file), now)
}

/// Imports Saldo's JSON export (one document, or JSON Lines) into an empty
/// install, in one database transaction.
pub fn import_saldo_json(store: &mut Store, mut input: impl BufRead, now: DateTime<Utc>) -> Result<ImportSummary> {
    let lines = is_json_lines(&mut input)?;
    let restore = match store.begin_restore(now)? {
        Ok(r) => r,
        Err(held) => return Err(not_empty(held)),
    };
    let mut sink = Sink::new(restore);
    if lines {
        read_lines(&mut sink, input)?;
    } else {
        read_document(&mut sink, input)?;
    }
    sink.finish()
}

fn not_empty(held: Occupancy) -> CoreError {
    CoreError::Invalid(format!(
        "this install already holds data ({} connection(s), {} account(s), {} transaction(s)); an export is imported \
         only into an empty install, and nothing was changed",
        held.connections, held.accounts, held.transactions
    ))
}

/// Whether the input is JSON Lines: its first object's first key is `type`
/// (the document's is `format`).
fn is_json_lines(input: &mut impl BufRead) -> Result<bool> {
    let head = input.fill_buf()?;
    if head.is_empty() {
        return Err(invalid("the file is empty".into()));
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(256)]).into_owned();
    let rest = text.trim_start().strip_prefix('{').map(str::trim_start);
    Ok(rest.is_some_and(|r| r.starts_with("\"type\"")))
}

// ---- The records as the export writes them (docs/schema) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderIn {
    format: String,
    version: u32,
    #[allow(dead_code)]
    exported_at: String,
    #[serde(default)]
    #[allow(dead_code)]
    from: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountIn {
    id: i64,
    connection_id: i64,
    bank: String,
    connector_id: i64,
    gateway_account_id: String,
    #[allow(dead_code)]
    name: String,
    #[serde(default)]
    iban: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    bic: Option<String>,
    #[serde(default)]
    cash_account_type: Option<String>,
    currency: String,
    enabled: bool,
    #[serde(default)]
    disappeared_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceIn {
    balance_type: String,
    amount: String,
    currency: String,
    #[serde(default)]
    reference_date: Option<String>,
    fetched_at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TxIn {
    id: String,
    account_id: i64,
    #[serde(default)]
    bank_id: Option<String>,
    booking_date: String,
    #[serde(default)]
    value_date: Option<String>,
    amount: String,
    currency: String,
    #[serde(default)]
    counterparty_name: Option<String>,
    #[serde(default)]
    counterparty_account: Option<String>,
    #[serde(default)]
    counterparty_bic: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    remittance: Option<String>,
    #[serde(default)]
    creditor_reference: Option<String>,
    #[serde(default)]
    bank_transaction_code: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    counterparty_clean: Option<String>,
    #[serde(default)]
    transfer_id: Option<i64>,
}

/// A balance line of JSON Lines: the balance with its account.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceLine {
    account_id: i64,
    balance_type: String,
    amount: String,
    currency: String,
    #[serde(default)]
    reference_date: Option<String>,
    fetched_at: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Export(HeaderIn),
    Account(AccountIn),
    Balance(BalanceLine),
    Transaction(TxIn),
}

// ---- Checks: each names the record and the field ----

fn invalid(msg: String) -> CoreError {
    CoreError::Invalid(msg)
}

/// An exact decimal as the schema writes it (no exponent, `.` as the point).
fn amount(text: &str, what: &str) -> Result<Decimal> {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(int) && digits(frac)) {
        return Err(invalid(format!("{what}: amount {text:?} is not an exact decimal like \"-12.50\"")));
    }
    Decimal::from_str_exact(text)
        .map_err(|_| invalid(format!("{what}: amount {text:?} has more digits than an exact decimal holds")))
}

fn currency(text: &str, what: &str) -> Result<String> {
    match saldo_store::checked_currency(text) {
        Some(c) if c == text => Ok(c),
        _ => Err(invalid(format!("{what}: currency {text:?} is not a currency code (three capital letters)"))),
    }
}

fn date(text: &str, what: &str, field: &str) -> Result<NaiveDate> {
    let ok = text.len() == 10;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| ok)
        .ok_or_else(|| invalid(format!("{what}: {field} {text:?} is not a date (YYYY-MM-DD)")))
}

fn fits(value: Decimal, currency: &str, what: &str) -> Result<()> {
    StoredAmount::from_decimal(value, currency)
        .map(|_| ())
        .ok_or_else(|| invalid(format!("{what}: amount {value} is too large to store exactly")))
}

/// One transfer leg as read: (account, identity, money out).
type Leg = (i64, String, bool);

/// Where the records go: checked, then written by the store's restore.
struct Sink<'s> {
    restore: Restore<'s>,
    header: bool,
    /// Connection → (connector, bank).
    connections: HashMap<i64, (i64, String)>,
    /// Account ids restored.
    accounts: HashSet<i64>,
    /// (connection, gateway account id) restored.
    gateway_ids: HashSet<(i64, String)>,
    transfers: HashMap<i64, Vec<Leg>>,
    /// The error a record raised, kept whole while the parser unwinds.
    failed: Option<CoreError>,
    /// The line it was raised on.
    failed_line: u64,
    /// Line breaks the document's parser has consumed.
    newlines: Option<std::rc::Rc<std::cell::Cell<u64>>>,
}

impl<'s> Sink<'s> {
    fn new(restore: Restore<'s>) -> Self {
        Self {
            restore,
            header: false,
            connections: HashMap::new(),
            accounts: HashSet::new(),
            gateway_ids: HashSet::new(),
            transfers: HashMap::new(),
            failed: None,
            failed_line: 0,
            newlines: None,
        }
    }

    /// Keeps `e` and gives the parser an error to unwind with.
    fn fail<E: de::Error>(&mut self, e: CoreError) -> E {
        let msg = e.to_string();
        self.failed = Some(e);
        self.failed_line = self.newlines.as_ref().map_or(0, |n| n.get() + 1);
        E::custom(msg)
    }

    fn header(&mut self, h: &HeaderIn) -> Result<()> {
        if self.header {
            return Err(invalid("the file has two export headers".into()));
        }
        if h.format != "saldo-export" {
            return Err(invalid(format!("this is not a Saldo export (its format is {:?})", h.format)));
        }
        if h.version != EXPORT_VERSION {
            return Err(invalid(format!(
                "this export has version {}; this Saldo reads version {}",
                h.version, EXPORT_VERSION
            )));
        }
        self.header = true;
        Ok(())
    }

    fn need_header(&self) -> Result<()> {
        if self.header {
            Ok(())
        } else {
            Err(invalid("the file does not start with a Saldo export header (format, version)".into()))
        }
    }

    fn account(&mut self, a: AccountIn) -> Result<i64> {
        self.need_header()?;
        let what = format!("account {}", a.id);
        if !self.accounts.insert(a.id) {
            return Err(invalid(format!("{what} appears twice")));
        }
        match self.connections.get(&a.connection_id) {
            Some((connector, bank)) if *connector != a.connector_id || *bank != a.bank => {
                return Err(invalid(format!(
                    "{what}: connection {} is at connector {connector} ({bank}) in an earlier account, here at {} ({})",
                    a.connection_id, a.connector_id, a.bank
                )));
            }
            Some(_) => {}
            None => {
                self.restore.connection(&RestoredConnection {
                    id: a.connection_id,
                    connector_id: a.connector_id,
                    bank_name: a.bank.clone(),
                })?;
                self.connections.insert(a.connection_id, (a.connector_id, a.bank.clone()));
            }
        }
        if a.gateway_account_id.is_empty() {
            return Err(invalid(format!("{what}: gateway_account_id is empty")));
        }
        if !self.gateway_ids.insert((a.connection_id, a.gateway_account_id.clone())) {
            return Err(invalid(format!(
                "{what}: connection {} already has an account with gateway id {:?}",
                a.connection_id, a.gateway_account_id
            )));
        }
        let currency = currency(&a.currency, &what)?;
        self.restore.account(&RestoredAccount {
            id: a.id,
            connection_id: a.connection_id,
            gateway_id: a.gateway_account_id,
            iban: a.iban,
            description: a.description,
            product: a.product,
            owner_name: a.owner,
            bic: a.bic,
            cash_account_type: a.cash_account_type,
            currency,
            enabled: a.enabled,
            disappeared_at: a.disappeared_at,
        })?;
        Ok(a.id)
    }

    fn balance(&mut self, account_id: i64, b: BalanceIn) -> Result<()> {
        let what = format!("a balance ({}) of account {account_id}", b.balance_type);
        if !self.accounts.contains(&account_id) {
            return Err(invalid(format!("{what}: account {account_id} is not in the file before it")));
        }
        let currency = currency(&b.currency, &what)?;
        let value = amount(&b.amount, &what)?;
        fits(value, &currency, &what)?;
        let reference_date = b.reference_date.as_deref().map(|d| date(d, &what, "reference_date")).transpose()?;
        self.restore.balance(
            account_id,
            &RestoredBalance {
                balance_type: b.balance_type,
                amount: value,
                currency,
                reference_date,
                fetched_at: b.fetched_at,
            },
        )?;
        Ok(())
    }

    /// A transaction; `inside`: the account whose array holds it (the document).
    fn transaction(&mut self, t: TxIn, inside: Option<i64>) -> Result<()> {
        let what = format!("transaction {:?} of account {}", t.id, t.account_id);
        match inside {
            Some(a) if a != t.account_id => {
                return Err(invalid(format!("{what} is listed under account {a}")));
            }
            _ if !self.accounts.contains(&t.account_id) => {
                return Err(invalid(format!("{what}: account {} is not in the file before it", t.account_id)));
            }
            _ => {}
        }
        if match_key(&t.id).is_none() {
            return Err(invalid(format!("{what}: id is not a transaction identity (`<key>#<n>`)")));
        }
        let currency = currency(&t.currency, &what)?;
        let value = amount(&t.amount, &what)?;
        fits(value, &currency, &what)?;
        let booking_date = date(&t.booking_date, &what, "booking_date")?;
        let value_date = t.value_date.as_deref().map(|d| date(d, &what, "value_date")).transpose()?;
        if let Some(path) = &t.category {
            if saldo_store::categories::clean_path(path).is_empty() {
                return Err(invalid(format!("{what}: category {path:?} has no name")));
            }
        }
        let row = RestoredTx {
            account_id: t.account_id,
            identity: t.id,
            bank_id: t.bank_id,
            booking_date,
            value_date,
            amount: value,
            currency,
            counterparty_name: t.counterparty_name,
            counterparty_account: t.counterparty_account,
            counterparty_bic: t.counterparty_bic,
            description: t.description,
            remittance: t.remittance,
            creditor_reference: t.creditor_reference,
            bank_transaction_code: t.bank_transaction_code,
            category: t.category,
            counterparty_clean: t.counterparty_clean,
            transfer_leg: t.transfer_id.is_some(),
            mandate: None,
        };
        if self.restore.transaction(&row)? == Written::Duplicate {
            return Err(invalid(format!("{what}: the id appears twice in the account")));
        }
        if let Some(id) = t.transfer_id {
            self.transfers.entry(id).or_default().push((row.account_id, row.identity, value.is_sign_negative()));
        }
        Ok(())
    }

    fn line(&mut self, line: Line) -> Result<()> {
        match line {
            Line::Export(h) => self.header(&h),
            Line::Account(a) => self.account(a).map(|_| ()),
            Line::Balance(b) => self.balance(
                b.account_id,
                BalanceIn {
                    balance_type: b.balance_type,
                    amount: b.amount,
                    currency: b.currency,
                    reference_date: b.reference_date,
                    fetched_at: b.fetched_at,
                },
            ),
            Line::Transaction(t) => {
                self.need_header()?;
                self.transaction(t, None)
            }
        }
    }

    fn finish(mut self) -> Result<ImportSummary> {
        self.need_header()?;
        let mut transfers: Vec<(i64, Vec<Leg>)> = std::mem::take(&mut self.transfers).into_iter().collect();
        transfers.sort_by_key(|(id, _)| *id);
        for (id, legs) in transfers {
            let (out, inn) = match legs.as_slice() {
                [(a, i, true)] => (Some((*a, i.as_str())), None),
                [(a, i, false)] => (None, Some((*a, i.as_str()))),
                [(oa, oi, true), (ia, ii, false)] | [(ia, ii, false), (oa, oi, true)] => {
                    (Some((*oa, oi.as_str())), Some((*ia, ii.as_str())))
                }
                [_, _] => {
                    return Err(invalid(format!(
                        "transfer_id {id}: both of its transactions move money the same way (a transfer takes \
                         money out of one account and into another)"
                    )))
                }
                _ => {
                    return Err(invalid(format!(
                        "transfer_id {id} is on {} transactions; a transfer has at most two",
                        legs.len()
                    )))
                }
            };
            self.restore.transfer(id, out, inn)?;
        }
        let s = self.restore.finish()?;
        Ok(ImportSummary {
            connections: s.connections,
            accounts: s.accounts,
            transactions: s.transactions,
            balances: s.balances,
            categories: s.categories,
            transfers: s.transfers,
            aliases: s.aliases,
        })
    }
}

// ---- JSON Lines ----

fn read_lines(sink: &mut Sink<'_>, mut input: impl BufRead) -> Result<()> {
    let mut text = String::new();
    let mut number = 0u64;
    loop {
        text.clear();
        if input.read_line(&mut text).map_err(|e| read_error(e, number + 1))? == 0 {
            return Ok(());
        }
        number += 1;
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(&text).map_err(|e| {
            if e.is_eof() {
                invalid(format!("line {number} ends before its record does: the file is cut short ({e})"))
            } else {
                invalid(format!("line {number}: {e}"))
            }
        })?;
        sink.line(line).map_err(|e| match e {
            CoreError::Invalid(m) => invalid(format!("line {number}: {m}")),
            other => other,
        })?;
    }
}

fn read_error(e: std::io::Error, line: u64) -> CoreError {
    if e.kind() == std::io::ErrorKind::InvalidData {
        invalid(format!("line {line} is not UTF-8 text"))
    } else {
        CoreError::Io(e)
    }
}

// ---- One document, streamed ----

/// A reader that counts the line breaks the parser has consumed: when a
/// record is handed over, the parser has read up to its end (and no
/// further), so its line is known — serde_json's own position of an error
/// raised after a record is already past the separator that follows it.
struct Counting<R> {
    inner: R,
    newlines: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let lines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + lines);
        Ok(n)
    }
}

fn read_document(sink: &mut Sink<'_>, input: impl BufRead) -> Result<()> {
    let newlines = std::rc::Rc::new(std::cell::Cell::new(0));
    sink.newlines = Some(newlines.clone());
    let mut de = serde_json::Deserializer::from_reader(Counting { inner: input, newlines });
    let parsed = Document(&mut *sink).deserialize(&mut de).and_then(|()| de.end());
    match parsed {
        Ok(()) => Ok(()),
        Err(e) => Err(match sink.failed.take() {
            Some(CoreError::Invalid(m)) => invalid(format!("line {}: {m}", sink.failed_line)),
            Some(other) => other,
            None if e.is_io() => CoreError::Io(std::io::Error::other(e.to_string())),
            None if e.is_eof() => invalid(format!("the file is cut short: {e}")),
            None => invalid(format!("the file is not a Saldo JSON export: {e}")),
        }),
    }
}

/// The whole document: header fields, then `accounts`.
struct Document<'a, 's>(&'a mut Sink<'s>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Saldo export (a JSON object with format, version and accounts)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut head = serde_json::Map::new();
        let mut accounts = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "accounts" {
                if accounts {
                    return Err(de::Error::duplicate_field("accounts"));
                }
                accounts = true;
                let header = HeaderIn::deserialize(serde_json::Value::Object(std::mem::take(&mut head)))
                    .map_err(|e| self.0.fail(invalid(format!("the export header: {e}"))))?;
                self.0.header(&header).map_err(|e| self.0.fail(e))?;
                map.next_value_seed(Accounts(&mut *self.0))?;
            } else if accounts {
                return Err(de::Error::custom(format!("unknown field `{key}` after the accounts")));
            } else {
                head.insert(key, map.next_value()?);
            }
        }
        if !accounts {
            return Err(de::Error::missing_field("accounts"));
        }
        Ok(())
    }
}

/// The `accounts` array.
struct Accounts<'a, 's>(&'a mut Sink<'s>);

impl<'de> DeserializeSeed<'de> for Accounts<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Accounts<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of accounts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(AccountSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One account: its fields, then its `balances` and `transactions`.
struct AccountSeed<'a, 's>(&'a mut Sink<'s>);

impl<'de> DeserializeSeed<'de> for AccountSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl AccountSeed<'_, '_> {
    /// Restores the account from the fields read so far (once).
    fn restore<E: de::Error>(
        &mut self,
        fields: &mut serde_json::Map<String, serde_json::Value>,
    ) -> std::result::Result<i64, E> {
        let account = AccountIn::deserialize(serde_json::Value::Object(std::mem::take(fields)))
            .map_err(|e| self.0.fail(invalid(format!("an account: {e}"))))?;
        self.0.account(account).map_err(|e| self.0.fail(e))
    }
}

impl<'de> Visitor<'de> for AccountSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an account object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut fields = serde_json::Map::new();
        let mut id: Option<i64> = None;
        let (mut balances, mut transactions) = (false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "balances" | "transactions" => {
                    let account = match id {
                        Some(a) => a,
                        None => {
                            let a = self.restore(&mut fields)?;
                            id = Some(a);
                            a
                        }
                    };
                    let seen = if key == "balances" { &mut balances } else { &mut transactions };
                    if std::mem::replace(seen, true) {
                        return Err(de::Error::custom(format!("account {account} has two `{key}` arrays")));
                    }
                    if key == "balances" {
                        map.next_value_seed(Balances(&mut *self.0, account))?;
                    } else {
                        map.next_value_seed(Transactions(&mut *self.0, account))?;
                    }
                }
                _ if id.is_some() => {
                    return Err(de::Error::custom(format!("account field `{key}` comes after its transactions")));
                }
                _ => {
                    fields.insert(key, map.next_value()?);
                }
            }
        }
        if id.is_none() {
            self.restore(&mut fields)?;
        }
        Ok(())
    }
}

/// An account's `balances` array.
struct Balances<'a, 's>(&'a mut Sink<'s>, i64);

impl<'de> DeserializeSeed<'de> for Balances<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Balances<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of balances")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(b) = seq.next_element::<BalanceIn>()? {
            self.0.balance(self.1, b).map_err(|e| self.0.fail(e))?;
        }
        Ok(())
    }
}

/// An account's `transactions` array, one row at a time.
struct Transactions<'a, 's>(&'a mut Sink<'s>, i64);

impl<'de> DeserializeSeed<'de> for Transactions<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Transactions<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of transactions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(t) = seq.next_element::<TxIn>()? {
            self.0.transaction(t, Some(self.1)).map_err(|e| self.0.fail(e))?;
        }
        Ok(())
    }
}

impl FromStr for ImportFormat {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self> {
        ImportFormat::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<&str> = ImportFormat::ALL.iter().map(|f| f.as_str()).collect();
            CoreError::Invalid(format!("unknown import format {s:?}; use one of {}", names.join(", ")))
        })
    }
}
