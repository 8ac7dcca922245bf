//! Restoring an install from Saldo's own JSON export (the store side of
//! `saldo import --format saldo-json`): connections, accounts, balances and
//! transactions with their overlay (category, clean counterparty,
//! transfers), written into an empty database in ONE transaction.
//!
//! The caller (the core) parses and checks the file and hands over each
//! record in the file's order; [`Restore`] writes it the way ingest does —
//! date-ordered row ids (`day_base`, next free id of the day), the
//! full-text index, `monthly_totals` and `category_days` — so the restored
//! install is indistinguishable, to every query, from one that synced the
//! same rows. Nothing is written unless [`Restore::finish`] commits:
//! dropping a [`Restore`] rolls everything back.
//!
//! What is restored as what:
//! - a connection keeps its id, connector and bank name; an export holds no
//!   secrets (R5), so it has no user context and is `needs_reconnect`
//!   ("reconnect to keep syncing"); its country is taken from its accounts'
//!   IBANs (the export does not carry it);
//! - accounts keep their ids and every exported field; balances their type,
//!   exact amount, currency, reference date and fetch time;
//! - a transaction keeps its identity (`b:<bank id>#n` / `f:<fingerprint>#n`,
//!   R16: a later sync of the same bank recognises it) and every exported
//!   field; `raw` holds a gateway transaction rebuilt from those fields;
//!   its clean counterparty name and merge key are computed as ingest does,
//!   and a name in the file that differs from the computed one (the person
//!   renamed the counterparty) is kept — as an alias of its key when every
//!   row of that key carries it;
//! - a category is found by path, or created: under an existing category it
//!   takes that category's kind; else a transfer category when all its rows
//!   are transfer legs, else income when its rows bring more money in than
//!   they take out, else expense;
//! - a label's reason: `transfer` for a transfer leg filed under
//!   [`TRANSFER_CATEGORY`], `rule` when the rules of this install give the
//!   row that category anyway (so later rule changes apply to it as to any
//!   synced row), else `person` (the person's choice: no rule overwrites it);
//! - rows sharing a transfer id are the legs of that transfer (its id kept).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
use saldo_gateway::{
    Amount, BankDateTime, BankTransactionCode, CreditorReferenceInformation, RemittanceInformation,
    StructuredRemittance, Transaction,
};

use crate::categories::{clean_path, CompiledRules, RulesCache};
use crate::category_days::{Deltas, RowAmount};
use crate::labels::{Decision, ReasonIds, Similar};
use crate::states::{CategoryKind, ConnectionStatus, TransferHow};
use crate::transactions::day_base;
use crate::transfers::TRANSFER_CATEGORY;
use crate::{Result, Store, StoreError, StoredAmount};

/// A statement of a file: (account, file hash, statement id, file name).
type StatementKey = (i64, String, Option<String>, String);

/// Provenance rows written together (see `Restore::write_provenance`).
const PROVENANCE_BATCH: usize = 8192;

/// Rows between two writes of the day sums' deltas.
const DAYS_FLUSH: u64 = 10_000;

/// What an install already holds: an import goes only into an empty one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Connections.
    pub connections: i64,
    /// Accounts.
    pub accounts: i64,
    /// Transactions.
    pub transactions: i64,
}

impl Occupancy {
    /// Whether there is nothing an import could collide with.
    pub fn is_empty(&self) -> bool {
        self.connections == 0 && self.accounts == 0 && self.transactions == 0
    }
}

/// A connection to restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredConnection {
    /// Its id in the exporting install (kept).
    pub id: i64,
    /// The gateway connector.
    pub connector_id: i64,
    /// The bank's display name.
    pub bank_name: String,
}

/// An account to restore (its connection restored first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredAccount {
    /// Its id in the exporting install (kept).
    pub id: i64,
    /// Its connection.
    pub connection_id: i64,
    /// The gateway's account id.
    pub gateway_id: String,
    /// IBAN.
    pub iban: Option<String>,
    /// Description / name.
    pub description: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Owner.
    pub owner_name: Option<String>,
    /// BIC.
    pub bic: Option<String>,
    /// ISO 20022 cash account type.
    pub cash_account_type: Option<String>,
    /// Currency (a currency code, or `XXX`).
    pub currency: String,
    /// Whether it is synced (R12).
    pub enabled: bool,
    /// When the bank stopped returning it (R13), as exported.
    pub disappeared_at: Option<String>,
}

/// A balance to restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredBalance {
    /// ISO 20022 type.
    pub balance_type: String,
    /// Exact amount (R17).
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// The day it refers to.
    pub reference_date: Option<NaiveDate>,
    /// When it was fetched, as exported.
    pub fetched_at: String,
}

/// A transaction to restore, with its overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredTx {
    /// Its account (restored first).
    pub account_id: i64,
    /// Stable identity `<key>#<n>` (R16), kept exactly.
    pub identity: String,
    /// The bank's id.
    pub bank_id: Option<String>,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Value date.
    pub value_date: Option<NaiveDate>,
    /// Exact amount (R17).
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// Counterparty name as the bank sent it.
    pub counterparty_name: Option<String>,
    /// Counterparty account.
    pub counterparty_account: Option<String>,
    /// Counterparty BIC.
    pub counterparty_bic: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Remittance information.
    pub remittance: Option<String>,
    /// Creditor reference.
    pub creditor_reference: Option<String>,
    /// Bank transaction code (`domain-family-subfamily`).
    pub bank_transaction_code: Option<String>,
    /// Category path.
    pub category: Option<String>,
    /// The clean counterparty name the export showed.
    pub counterparty_clean: Option<String>,
    /// Whether it is a leg of a transfer (the legs are restored by
    /// [`Restore::transfer`] once both are written).
    pub transfer_leg: bool,
    /// A SEPA direct debit's mandate reference.
    pub mandate: Option<String>,
}

/// What [`Restore::transaction`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Stored.
    Stored,
    /// Its account already has a row with this identity: nothing written.
    Duplicate,
}

/// What a restore wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoreSummary {
    /// Connections.
    pub connections: usize,
    /// Accounts.
    pub accounts: usize,
    /// Balances.
    pub balances: usize,
    /// Transactions.
    pub transactions: u64,
    /// Categories created (the defaults and existing ones not counted).
    pub categories: usize,
    /// Transfers.
    pub transfers: usize,
    /// Names the person gave counterparties, restored as aliases.
    pub aliases: usize,
}

/// What the rows of a category created by the restore say about its kind.
#[derive(Debug, Default)]
struct CreatedCategory {
    path: String,
    /// The kind of its nearest existing ancestor, if any.
    inherited: Option<CategoryKind>,
    net: Decimal,
    rows: u64,
    transfer_legs: u64,
}

/// What the rows of one counterparty key showed as their clean name.
#[derive(Debug, Default)]
struct KeyNames {
    /// The first row's name.
    first: Option<String>,
    /// Another row showed another name.
    conflict: bool,
    /// A row showed a name other than the computed one.
    renamed: bool,
}

/// An import in progress: one database transaction (see the module docs).
pub struct Restore<'s> {
    tx: rusqlite::Transaction<'s>,
    rules_cache: &'s mut RulesCache,
    rules: Arc<CompiledRules>,
    similar: Similar,
    reasons: ReasonIds,
    now: String,
    /// Account → (owner name, currency).
    accounts: HashMap<i64, (Option<String>, String)>,
    /// Connection → whether its country is known yet.
    countries: HashMap<i64, bool>,
    next_id: HashMap<NaiveDate, i64>,
    monthly: HashMap<(i64, String, String, u32), (i64, i64)>,
    days: Deltas,
    categories: HashMap<String, i64>,
    created: HashMap<i64, CreatedCategory>,
    /// (account, debit) → name → the counterparty ingest finds for that
    /// name alone (looked up by the name borrowed: no copy per row).
    parties: HashMap<(i64, bool), HashMap<String, Option<saldo_classify::counterparty::Counterparty>>>,
    keys: HashMap<String, KeyNames>,
    summary: RestoreSummary,
    /// (account, file hash, statement id, file name) → its `imported_statements` row.
    statement_rows: HashMap<StatementKey, i64>,
    /// Provenance rows not written yet: (account, identity, statement,
    /// entry, line), written in key order a batch at a time.
    provenance_due: Vec<(i64, String, i64, i64, Option<i64>)>,
    /// The last statement provenance named, and its row.
    last_statement: Option<(StatementKey, i64)>,
    /// Rows come from statement files (issue 17), not from Saldo's own
    /// export: their clean counterparty and category are found as ingest
    /// finds them (rules, similar rows), not taken from the file.
    statements: bool,
}

impl std::fmt::Debug for Restore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("summary", &self.summary).finish_non_exhaustive()
    }
}

impl Store {
    /// What the install holds (an import needs it empty).
    pub fn occupancy(&self) -> Result<Occupancy> {
        occupancy(&self.conn)
    }

    /// Starts a restore: one immediate transaction, begun only when the
    /// install holds no connection, account or transaction (else what it
    /// holds, and nothing is changed).
    pub fn begin_restore(&mut self, now: DateTime<Utc>) -> Result<Result<Restore<'_>, Occupancy>> {
        let rules = self.compiled_rules()?;
        let Store { conn, rules_cache, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held = occupancy(&tx)?;
        if !held.is_empty() {
            return Ok(Err(held));
        }
        let categories = {
            let mut st = tx.prepare("SELECT path, id FROM categories")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        Ok(Ok(Restore {
            tx,
            rules_cache,
            rules,
            similar: Similar::default(),
            reasons: ReasonIds::default(),
            now: now.to_rfc3339(),
            accounts: HashMap::new(),
            countries: HashMap::new(),
            next_id: HashMap::new(),
            monthly: HashMap::new(),
            days: Deltas::default(),
            categories,
            created: HashMap::new(),
            parties: HashMap::new(),
            keys: HashMap::new(),
            summary: RestoreSummary::default(),
            statement_rows: HashMap::new(),
            provenance_due: Vec::new(),
            last_statement: None,
            statements: false,
        }))
    }
}

/// Where a row imported from a statement file came from (issue 17).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The file's name (no directory).
    pub file_name: String,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: String,
    /// The format it was read as (`camt053`, `mt940`, …).
    pub format: String,
    /// The statement's own id, when the file gives one.
    pub statement_id: Option<String>,
    /// 1-based entry of its statement.
    pub entry: usize,
    /// 1-based line of the file, for line-based formats.
    pub line: Option<usize>,
}

/// A stored row as a statement import matches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearRow {
    /// Row id.
    pub id: i64,
    /// Its identity.
    pub identity: String,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Exact amount.
    pub amount: Decimal,
    /// The counterparty as the bank (or file) named it.
    pub counterparty: Option<String>,
    /// The bank's id of the row (for a row from a file: the bank's reference the file gave).
    pub bank_id: Option<String>,
}

/// An account only statement files fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfflineAccount {
    /// What the person calls it.
    pub name: String,
    /// ISO 4217.
    pub currency: String,
    /// IBAN, compact, when known.
    pub iban: Option<String>,
    /// Another account number (an OFX `ACCTID`, a BBAN), when known.
    pub number: Option<String>,
    /// The bank's BIC.
    pub bic: Option<String>,
    /// The holder's name.
    pub owner: Option<String>,
}

/// The gateway id an offline account gets for an account number.
pub fn offline_gateway_id(iban: Option<&str>, number: Option<&str>, name: &str) -> String {
    format!("file:{}", iban.or(number).unwrap_or(name))
}

/// Where a stored row was imported from, as [`Store::provenance`] gives it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProvenanceRow {
    /// The file's name.
    pub file_name: String,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
    /// The format it was read as.
    pub format: String,
    /// The statement's id, when the file gave one.
    pub statement_id: Option<String>,
    /// 1-based entry of its statement.
    pub entry: i64,
    /// 1-based line, for line-based formats.
    pub line: Option<i64>,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// Whether the row is the file's own (its fields are the file's; no
    /// bank has sent it yet), not a bank's row the file also holds.
    pub from_file: bool,
}

impl ProvenanceRow {
    /// In words: "statement.xml, statement 12, entry 4 (line 40)".
    pub fn describe(&self) -> String {
        let mut out = self.file_name.clone();
        if let Some(id) = &self.statement_id {
            out.push_str(&format!(", statement {id}"));
        }
        out.push_str(&format!(", entry {}", self.entry));
        if let Some(l) = self.line {
            out.push_str(&format!(" (line {l})"));
        }
        out
    }
}

impl Store {
    /// Which statement file a row came from (or was also found in), if any.
    pub fn provenance(&self, transaction_id: i64) -> Result<Option<ProvenanceRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.file_name, s.file_sha256, s.format, s.statement_id, p.entry, p.line, s.imported_at,
                        t.identity >= 's:' AND t.identity < 's;'
                 FROM transactions t JOIN provenance p ON p.account_id = t.account_id AND p.identity = t.identity
                 JOIN imported_statements s ON s.id = p.statement
                 WHERE t.id = ?1",
                [transaction_id],
                |r| {
                    Ok(ProvenanceRow {
                        file_name: r.get(0)?,
                        file_sha256: r.get(1)?,
                        format: r.get(2)?,
                        statement_id: r.get(3)?,
                        entry: r.get(4)?,
                        line: r.get(5)?,
                        imported_at: r.get(6)?,
                        from_file: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Starts importing statement files (issue 17): one immediate
    /// transaction into an install that may hold anything. Dropped without
    /// [`Restore::finish`], it writes nothing (a preview, or a failed file).
    pub fn begin_statement_import(&mut self, now: DateTime<Utc>) -> Result<Restore<'_>> {
        let rules = self.compiled_rules()?;
        let Store { conn, rules_cache, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let categories = {
            let mut st = tx.prepare("SELECT path, id FROM categories")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let accounts = {
            let mut st = tx.prepare("SELECT id, owner_name, currency FROM accounts")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let similar = Similar::load(&tx)?;
        Ok(Restore {
            tx,
            rules_cache,
            rules,
            similar,
            now: now.to_rfc3339(),
            accounts,
            countries: HashMap::new(),
            next_id: HashMap::new(),
            monthly: HashMap::new(),
            days: Deltas::default(),
            categories,
            created: HashMap::new(),
            parties: HashMap::new(),
            keys: HashMap::new(),
            summary: RestoreSummary::default(),
            reasons: ReasonIds::default(),
            statement_rows: HashMap::new(),
            provenance_due: Vec::new(),
            last_statement: None,
            statements: true,
        })
    }
}

impl Restore<'_> {
    /// Creates an account only files fill, on an offline connection of its
    /// own (enabled: it shows in balances, lists and exports).
    pub fn offline_account(&mut self, a: &OfflineAccount) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO connections (connector_id, bank_name, country, status, user_context, created_at, updated_at, offline)
             VALUES (0, ?1, ?2, ?3, NULL, ?4, ?4, 1)",
            params![
                a.name,
                a.iban.as_deref().and_then(|i| i.get(..2)).unwrap_or(""),
                ConnectionStatus::Active,
                self.now
            ],
        )?;
        let connection = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO accounts (connection_id, gateway_id, iban, currency, description, owner_name, bic, enabled,
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)",
            params![
                connection,
                offline_gateway_id(a.iban.as_deref(), a.number.as_deref(), &a.name),
                a.iban,
                a.currency,
                a.name,
                a.owner,
                a.bic,
                self.now
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.accounts.insert(id, (a.owner.clone(), a.currency.clone()));
        self.summary.connections += 1;
        self.summary.accounts += 1;
        Ok(id)
    }

    /// The account a file's account is: the one with its IBAN (spaces and
    /// case aside), else the offline account made for its number earlier.
    pub fn account_for(&self, iban: Option<&str>, number: Option<&str>) -> Result<Option<i64>> {
        if let Some(iban) = iban {
            let id: Option<i64> = self
                .tx
                .query_row(
                    "SELECT id FROM accounts WHERE replace(upper(iban), ' ', '') = ?1 ORDER BY disappeared_at IS NOT NULL, id LIMIT 1",
                    [iban.replace(' ', "").to_ascii_uppercase()],
                    |r| r.get(0),
                )
                .optional()?;
            if id.is_some() {
                return Ok(id);
            }
        }
        let Some(number) = number else { return Ok(None) };
        Ok(self
            .tx
            .query_row(
                "SELECT id FROM accounts WHERE gateway_id = ?1 ORDER BY id LIMIT 1",
                [offline_gateway_id(None, Some(number), "")],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The account the statement `statement_id` of the file with this hash
    /// went to when it was imported before (files that name no account).
    pub fn account_of_file(&self, sha256: &str, statement_id: Option<&str>) -> Result<Option<i64>> {
        Ok(self
            .tx
            .query_row(
                "SELECT account_id FROM imported_statements WHERE file_sha256 = ?1 AND statement_id IS ?2 ORDER BY id LIMIT 1",
                params![sha256, statement_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The currency of an account, if it exists.
    pub fn account_currency(&self, account_id: i64) -> Option<&str> {
        self.accounts.get(&account_id).map(|(_, c)| c.as_str())
    }

    /// The stored rows of `account` booked from `from` to `to` (inclusive),
    /// including those this import wrote so far.
    pub fn rows_near(&self, account_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<NearRow>> {
        let mut st = self.tx.prepare_cached(
            // Row ids are ordered by booking day (`day_base`): the days
            // are a range of the table itself, read in place (the index on
            // the account alone would visit every row of the account).
            "SELECT id, identity, booking_date, amount_minor, scale, counterparty_name, bank_id FROM transactions
             WHERE id BETWEEN ?4 AND ?5 AND +account_id = ?1 AND booking_date BETWEEN ?2 AND ?3 ORDER BY booking_date, id",
        )?;
        let ids = (day_base(from), day_base(to) + 0xFF_FFFF);
        let rows = st.query_map(params![account_id, from.to_string(), to.to_string(), ids.0, ids.1], |r| {
            let day: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, day, r.get::<_, i64>(3)?, r.get::<_, u32>(4)?, r.get(5)?, r.get(6)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, identity, day, minor, scale, counterparty, bank_id) = row?;
            let booking_date =
                day.parse().map_err(|_| StoreError::Corrupt(format!("row {id} has booking date {day:?}")))?;
            out.push(NearRow {
                id,
                identity,
                booking_date,
                amount: StoredAmount { minor, scale }.to_decimal(),
                counterparty,
                bank_id,
            });
        }
        Ok(out)
    }

    /// Writes a row read from a statement file with where it came from.
    pub fn statement_row(&mut self, t: &RestoredTx, from: &Provenance) -> Result<Written> {
        let written = self.transaction(t)?;
        if written == Written::Stored {
            self.provenance(t.account_id, &t.identity, from)?;
        }
        Ok(written)
    }

    /// Records that a stored row (the bank's, or an earlier file's) is also
    /// in this file; the first file that held it keeps the record.
    pub fn provenance(&mut self, account_id: i64, identity: &str, from: &Provenance) -> Result<()> {
        // (Rows come a statement at a time: the last statement's row first,
        // without building a key.)
        let last = self.last_statement.as_ref().filter(|((a, sha, id, name), _)| {
            *a == account_id && *sha == from.file_sha256 && *id == from.statement_id && *name == from.file_name
        });
        let statement = if let Some((_, id)) = last {
            *id
        } else {
            let key = (account_id, from.file_sha256.clone(), from.statement_id.clone(), from.file_name.clone());
            let statement = match self.statement_rows.get(&key) {
                Some(id) => *id,
                None => {
                    let id: i64 = self.tx.query_row(
                        "INSERT INTO imported_statements (account_id, file_name, file_sha256, format, statement_id, imported_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                        params![account_id, from.file_name, from.file_sha256, from.format, from.statement_id, self.now],
                        |r| r.get(0),
                    )?;
                    self.statement_rows.insert(key.clone(), id);
                    id
                }
            };
            self.last_statement = Some((key, statement));
            statement
        };
        self.provenance_due.push((
            account_id,
            identity.to_owned(),
            statement,
            from.entry as i64,
            from.line.map(|l| l as i64),
        ));
        if self.provenance_due.len() >= PROVENANCE_BATCH {
            self.write_provenance()?;
        }
        Ok(())
    }

    /// Writes the provenance rows due, in key order: the bank's rows a file
    /// also holds have identities all over the key space, and sorted, the
    /// inserts walk the table once instead of jumping around it. (A stable
    /// sort: of two files naming the same row, the first keeps it.)
    fn write_provenance(&mut self) -> Result<()> {
        let mut due = std::mem::take(&mut self.provenance_due);
        due.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut st = self.tx.prepare_cached(
            "INSERT INTO provenance (account_id, identity, statement, entry, line)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id, identity) DO NOTHING",
        )?;
        for (account_id, identity, statement, entry, line) in &due {
            st.execute(params![account_id, identity, statement, entry, line])?;
        }
        Ok(())
    }

    /// Stores a balance a statement states (`CLBD` closing, `OPBD` opening)
    /// as a point of the account's balance line; the same point twice is
    /// stored once. Whether it was new.
    pub fn statement_balance(
        &mut self,
        account_id: i64,
        balance_type: &str,
        date: NaiveDate,
        amount: Decimal,
        currency: &str,
    ) -> Result<bool> {
        let stored = StoredAmount::from_decimal(amount, currency)
            .ok_or_else(|| StoreError::Corrupt(format!("balance {amount} does not fit in 64 bits")))?;
        let known: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM balances WHERE account_id = ?1 AND balance_type = ?2 AND reference_date = ?3
               AND amount_minor = ?4 AND scale = ?5 AND currency = ?6)",
            params![account_id, balance_type, date.to_string(), stored.minor, stored.scale, currency],
            |r| r.get(0),
        )?;
        if known {
            return Ok(false);
        }
        self.tx.execute(
            "INSERT INTO balances (account_id, sync_run_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![account_id, balance_type, stored.minor, stored.scale, currency, date.to_string(), self.now],
        )?;
        self.summary.balances += 1;
        Ok(true)
    }

    /// Every stored balance of an account, oldest first (as
    /// [`Store::balance_history`], inside this import).
    pub fn balances_of(&self, account_id: i64) -> Result<Vec<crate::balances::BalanceRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT account_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at FROM balances
             WHERE account_id = ?1 ORDER BY coalesce(reference_date, fetched_at), id",
        )?;
        let rows = st.query_map([account_id], crate::balances::balance_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The net of an account's rows booked after `after` up to `upto` (inclusive).
    pub fn net_between(&self, account_id: i64, after: NaiveDate, upto: NaiveDate) -> Result<Decimal> {
        let mut st = self.tx.prepare_cached(
            // (The days as a range of row ids: see `rows_near`.)
            "SELECT scale, sum(amount_minor) FROM transactions
             WHERE id BETWEEN ?4 AND ?5 AND +account_id = ?1 AND booking_date > ?2 AND booking_date <= ?3
             GROUP BY scale",
        )?;
        let ids = (day_base(after), day_base(upto) + 0xFF_FFFF);
        let rows = st.query_map(params![account_id, after.to_string(), upto.to_string(), ids.0, ids.1], |r| {
            Ok(StoredAmount { scale: r.get(0)?, minor: r.get(1)? }.to_decimal())
        })?;
        let mut sum = Decimal::ZERO;
        for r in rows {
            sum += r?;
        }
        Ok(sum)
    }

    /// Records a file as imported (its hash, so the summary can say "this
    /// file was imported before").
    pub fn file_imported(
        &mut self,
        sha256: &str,
        file_name: &str,
        format: &str,
        entries: u64,
        added: u64,
    ) -> Result<()> {
        self.tx.execute(
            "INSERT INTO imported_files (sha256, file_name, format, entries, added, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256) DO UPDATE SET added = added + excluded.added",
            params![sha256, file_name, format, entries as i64, added as i64, self.now],
        )?;
        Ok(())
    }

    /// When a file with this hash was imported before, if it was.
    pub fn imported_before(&self, sha256: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row("SELECT imported_at FROM imported_files WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()?)
    }

    /// What this import wrote so far.
    pub fn summary(&self) -> RestoreSummary {
        self.summary
    }
}

fn occupancy(conn: &rusqlite::Connection) -> Result<Occupancy> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM connections), (SELECT count(*) FROM accounts), (SELECT count(*) FROM transactions)",
        [],
        |r| Ok(Occupancy { connections: r.get(0)?, accounts: r.get(1)?, transactions: r.get(2)? }),
    )?)
}

/// The country of an account's bank as its IBAN (else its BIC) says it.
fn country_of(a: &RestoredAccount) -> Option<String> {
    let from_iban = a.iban.as_deref().map(str::trim).and_then(|i| i.get(..2));
    let from_bic = a.bic.as_deref().map(str::trim).and_then(|b| b.get(4..6));
    [from_iban, from_bic]
        .into_iter()
        .flatten()
        .find(|c| c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

/// The gateway transaction a row's exported fields describe (what `raw`
/// holds for a restored row; ingest keeps the bank's own).
pub fn gateway_transaction(t: &RestoredTx) -> Transaction {
    let remittance_information =
        (t.remittance.is_some() || t.creditor_reference.is_some()).then(|| RemittanceInformation {
            structured: t.creditor_reference.as_ref().map(|r| StructuredRemittance {
                creditor_reference_information: Some(CreditorReferenceInformation {
                    kind: None,
                    reference: Some(r.clone()),
                }),
            }),
            unstructured: t.remittance.clone(),
        });
    let bank_transaction_code = t.bank_transaction_code.as_deref().map(|code| {
        let part = |p: &str| (!p.is_empty()).then(|| p.to_owned());
        match code.split('-').collect::<Vec<_>>().as_slice() {
            [d, f, s] => BankTransactionCode { domain: part(d), family: part(f), sub_family: part(s) },
            _ => BankTransactionCode { domain: Some(code.to_owned()), family: None, sub_family: None },
        }
    });
    Transaction {
        id: t.bank_id.clone(),
        gw_account_id: None,
        gw_sequence: None,
        possible_hole: None,
        amount: Amount(t.amount),
        counterpart_reference: t.counterparty_account.clone(),
        counterpart_name: t.counterparty_name.clone(),
        counterpart_bic: t.counterparty_bic.clone(),
        currency: Some(t.currency.clone()),
        description: t.description.clone(),
        execution_date: Some(BankDateTime::from_date(t.booking_date)),
        value_date: t.value_date.map(BankDateTime::from_date),
        remittance_information,
        bank_transaction_code,
        mandate: t.mandate.clone().map(|m| saldo_gateway::Mandate { mandate_reference: Some(m) }),
        end_to_end_id: None,
    }
}

/// `<key>` of an identity `<key>#<n>` (the row's match key), if it has that shape.
pub fn match_key(identity: &str) -> Option<&str> {
    let (key, n) = identity.rsplit_once('#')?;
    (!key.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(key)
}

impl Restore<'_> {
    /// Restores a connection (no user context: `needs_reconnect`).
    pub fn connection(&mut self, c: &RestoredConnection) -> Result<()> {
        self.tx.execute(
            "INSERT INTO connections (id, connector_id, bank_name, country, status, user_context, created_at, updated_at)
             VALUES (?1, ?2, ?3, '', ?4, NULL, ?5, ?5)",
            params![c.id, c.connector_id, c.bank_name, ConnectionStatus::NeedsReconnect, self.now],
        )?;
        self.countries.insert(c.id, false);
        self.summary.connections += 1;
        Ok(())
    }

    /// Restores an account of a restored connection.
    pub fn account(&mut self, a: &RestoredAccount) -> Result<()> {
        self.tx.execute(
            "INSERT INTO accounts (id, connection_id, gateway_id, iban, currency, description, product, owner_name, bic,
             cash_account_type, enabled, disappeared_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            params![
                a.id,
                a.connection_id,
                a.gateway_id,
                a.iban,
                a.currency,
                a.description,
                a.product,
                a.owner_name,
                a.bic,
                a.cash_account_type,
                i64::from(a.enabled),
                a.disappeared_at,
                self.now
            ],
        )?;
        if self.countries.get(&a.connection_id) == Some(&false) {
            if let Some(country) = country_of(a) {
                self.tx
                    .execute("UPDATE connections SET country = ?2 WHERE id = ?1", params![a.connection_id, country])?;
                self.countries.insert(a.connection_id, true);
            }
        }
        self.accounts.insert(a.id, (a.owner_name.clone(), a.currency.clone()));
        self.summary.accounts += 1;
        Ok(())
    }

    /// Restores one balance of a restored account (file order is kept:
    /// balances of the same day list as they were exported).
    pub fn balance(&mut self, account_id: i64, b: &RestoredBalance) -> Result<()> {
        let amount = StoredAmount::from_decimal(b.amount, &b.currency)
            .ok_or_else(|| StoreError::Corrupt(format!("balance {} does not fit in 64 bits", b.amount)))?;
        self.tx
            .prepare_cached(
                "INSERT INTO balances (account_id, sync_run_id, balance_type, amount_minor, scale, currency, reference_date, fetched_at)
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                account_id,
                b.balance_type,
                amount.minor,
                amount.scale,
                b.currency,
                b.reference_date.map(|d| d.to_string()),
                b.fetched_at
            ])?;
        self.summary.balances += 1;
        Ok(())
    }

    /// The id of the category at `path`, created (with its parents) when missing.
    fn category(&mut self, path: &str) -> Result<i64> {
        let path = clean_path(path);
        if let Some(id) = self.categories.get(&path) {
            return Ok(*id);
        }
        if path.is_empty() {
            return Err(StoreError::Corrupt("a category needs a name".into()));
        }
        let mut parent: Option<i64> = None;
        let mut inherited: Option<CategoryKind> = None;
        let mut so_far = String::new();
        for name in path.split('/') {
            if !so_far.is_empty() {
                so_far.push('/');
            }
            so_far.push_str(name);
            let id = match self.categories.get(&so_far) {
                Some(id) => {
                    if !self.created.contains_key(id) {
                        inherited =
                            Some(self.tx.query_row("SELECT kind FROM categories WHERE id = ?1", [id], |r| r.get(0))?);
                    }
                    *id
                }
                None => {
                    // A provisional kind: `finish` sets the one its rows suggest.
                    let kind = if so_far == TRANSFER_CATEGORY { CategoryKind::Transfer } else { CategoryKind::Expense };
                    self.tx.execute(
                        "INSERT INTO categories (parent_id, path, kind) VALUES (?1, ?2, ?3)",
                        params![parent, so_far, kind],
                    )?;
                    let id = self.tx.last_insert_rowid();
                    self.categories.insert(so_far.clone(), id);
                    self.created.insert(id, CreatedCategory { path: so_far.clone(), inherited, ..Default::default() });
                    id
                }
            };
            parent = Some(id);
        }
        parent.ok_or_else(|| StoreError::Corrupt("a category needs a name".into()))
    }

    /// The next free row id of a booking day (as ingest numbers them).
    fn row_id(&mut self, booking: NaiveDate) -> Result<i64> {
        let base = day_base(booking);
        let id = match self.next_id.get(&booking) {
            Some(id) => *id,
            None => {
                let max: Option<i64> = self
                    .tx
                    .prepare_cached("SELECT max(id) FROM transactions WHERE id BETWEEN ?1 AND ?2")?
                    .query_row(params![base, base + 0xFF_FFFF], |r| r.get(0))?;
                max.map_or(base, |m| m + 1)
            }
        };
        if id > base + 0xFF_FFFF {
            return Err(StoreError::Corrupt(format!("more than 16 million transactions on {booking}")));
        }
        Ok(id)
    }

    /// The counterparty ingest finds for a row (see `transactions`: the
    /// gateway's name, when it gives one, wins over the texts).
    fn party(&mut self, t: &RestoredTx, debit: bool) -> Option<saldo_classify::counterparty::Counterparty> {
        let holder = self.accounts.get(&t.account_id).and_then(|(h, _)| h.clone());
        let full = || {
            crate::labels::party_of(
                debit,
                t.counterparty_name.as_deref(),
                t.description.as_deref(),
                t.remittance.as_deref(),
                holder.as_deref(),
            )
        };
        match t.counterparty_name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(name) => {
                let names = self.parties.entry((t.account_id, debit)).or_default();
                let by_name = match names.get(name) {
                    Some(p) => p.clone(),
                    None => {
                        let p = crate::labels::party_of(debit, Some(name), None, None, holder.as_deref());
                        names.insert(name.to_owned(), p.clone());
                        p
                    }
                };
                by_name.or_else(full)
            }
            None => full(),
        }
    }

    /// Restores one transaction of a restored account, with its category
    /// and clean counterparty; the caller restores transfers afterwards.
    pub fn transaction(&mut self, t: &RestoredTx) -> Result<Written> {
        let key = match_key(&t.identity)
            .ok_or_else(|| StoreError::Corrupt(format!("{:?} is not a transaction identity", t.identity)))?
            .to_owned();
        let amount = StoredAmount::from_decimal(t.amount, &t.currency)
            .ok_or_else(|| StoreError::Corrupt(format!("amount {} does not fit in 64 bits", t.amount)))?;
        // (A statement's row is looked up by its INSERT: one B-tree search
        // instead of two; a restore's rows learn names before they insert.)
        if !self.statements {
            let exists: bool = self
                .tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM transactions WHERE account_id = ?1 AND identity = ?2)")?
                .query_row(params![t.account_id, t.identity], |r| r.get(0))?;
            if exists {
                return Ok(Written::Duplicate);
            }
        }
        let id = self.row_id(t.booking_date)?;
        let debit = amount.minor < 0;
        let party = self.party(t, debit);
        let (computed_clean, party_key) =
            party.as_ref().map_or((String::new(), String::new()), |p| (p.clean.clone(), p.key.clone()));
        // The name the export showed: the computed one, or the person's.
        let shown =
            if self.statements { computed_clean.clone() } else { t.counterparty_clean.clone().unwrap_or_default() };
        let renamed = shown != computed_clean;
        // (A statement's rows take the computed name: no alias to learn.)
        if !party_key.is_empty() && !self.statements {
            let names = self.keys.entry(party_key.clone()).or_default();
            match &names.first {
                None => names.first = Some(shown.clone()),
                Some(first) => names.conflict |= *first != shown,
            }
            names.renamed |= renamed;
        }
        let clean = if renamed { shown } else { computed_clean };
        let raw = if self.statements {
            String::new()
        } else {
            serde_json::to_string(&gateway_transaction(t)).map_err(|e| StoreError::Corrupt(e.to_string()))?
        };
        let booking_s = t.booking_date.to_string();
        let category = match &t.category {
            Some(path) => Some(self.category(path)?),
            None => None,
        };
        // The row's own decision goes into the row; the person's, beside it.
        let (decision, person) = match category {
            Some(category_id) => match self.label(t, &clean, &party_key, amount, category_id) {
                Some(d) => (Some(d), false),
                None => (None, true),
            },
            // A statement's row is categorised as ingest does (rules, then
            // rows the person categorised alike).
            None if self.statements => {
                let facts = Self::facts(t, &clean, amount);
                (
                    crate::labels::decide(
                        &self.rules,
                        &self.similar,
                        &facts,
                        Some(&*party_key).filter(|k| !k.is_empty()),
                    ),
                    false,
                )
            }
            None => (None, false),
        };
        let category = category.or(decision.as_ref().map(|d| d.category_id));
        let (auto_category, auto_reason) = self.reasons.inline(&self.tx, decision.as_ref())?;
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO transactions (id, account_id, identity, match_key, bank_id, booking_date, value_date, amount_minor,
                 scale, currency, counterparty_name, counterparty_account, counterparty_bic, description, remittance,
                 creditor_reference, bank_transaction_code, first_seen_run, last_seen_run, created_at,
                 counterparty_clean, counterparty_key, mandate, auto_category_id, auto_reason_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL, NULL, ?18, ?19, ?20, ?21,
                 ?22, ?23) ON CONFLICT (account_id, identity) DO NOTHING",
            )?
            .execute(params![
                id,
                t.account_id,
                t.identity,
                key,
                t.bank_id,
                booking_s,
                t.value_date.map(|d| d.to_string()),
                amount.minor,
                amount.scale,
                t.currency,
                t.counterparty_name,
                t.counterparty_account,
                t.counterparty_bic,
                t.description,
                t.remittance,
                t.creditor_reference,
                t.bank_transaction_code,
                self.now,
                clean,
                party_key,
                t.mandate,
                auto_category,
                auto_reason,
            ])?;
        if inserted == 0 {
            return Ok(Written::Duplicate);
        }
        if person {
            self.tx
                .prepare_cached(
                    "INSERT INTO labels (account_id, identity, category_id, set_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![t.account_id, t.identity, category, self.now])?;
        }
        // The bank's JSON beside the row (schema v9). A statement file's row
        // has none: what it would be is rebuilt from the row when asked
        // (`Store::transaction_raw`), and its provenance says where it came from.
        if !self.statements {
            self.tx
                .prepare_cached("INSERT INTO transaction_raw (id, raw) VALUES (?1, ?2)")?
                .execute(params![id, raw])?;
        }
        // Indexed for search as ingest indexes (see migration v5).
        self.tx
            .prepare_cached(
                "INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance) VALUES (?1, ?2, ?3, nullif(?4, ?3))",
            )?
            .execute(params![id, t.counterparty_name, t.description, t.remittance])?;
        self.next_id.insert(t.booking_date, id + 1);
        self.days.count(
            &RowAmount {
                account_id: t.account_id,
                day: booking_s.clone(),
                minor: amount.minor,
                currency: t.currency.clone(),
                scale: amount.scale,
                key: party_key,
                clean,
            },
            category,
            true,
        );
        let m = self
            .monthly
            .entry((
                t.account_id,
                booking_s.get(..7).unwrap_or(&booking_s).to_owned(),
                t.currency.clone(),
                amount.scale,
            ))
            .or_default();
        if amount.minor > 0 {
            m.0 += amount.minor;
        } else {
            m.1 += amount.minor;
        }
        self.summary.transactions += 1;
        // The day sums grow with the distinct (day, category, counterparty)
        // seen: written now and then, so a million rows need no more memory.
        if self.summary.transactions.is_multiple_of(DAYS_FLUSH) {
            std::mem::take(&mut self.days).flush(&self.tx)?;
        }
        Ok(Written::Stored)
    }

    /// The facts rules see of a row.
    fn facts<'t>(t: &'t RestoredTx, clean: &'t str, amount: StoredAmount) -> saldo_classify::rules::Facts<'t> {
        saldo_classify::rules::Facts {
            account_id: t.account_id,
            booking_date: Some(t.booking_date),
            amount: amount.to_decimal(),
            counterparty: Some(clean).filter(|c| !c.is_empty()),
            counterparty_raw: t.counterparty_name.as_deref(),
            iban: t.counterparty_account.as_deref(),
            description: t.description.as_deref(),
            remittance: t.remittance.as_deref(),
            reference: t.creditor_reference.as_deref(),
            bank_code: t.bank_transaction_code.as_deref(),
            mandate: t.mandate.as_deref(),
        }
    }

    /// The decision of Saldo's that gives a row its exported category (the
    /// reason that fits best, module docs), or `None`: the person's choice.
    fn label(
        &mut self,
        t: &RestoredTx,
        clean: &str,
        key: &str,
        amount: StoredAmount,
        category_id: i64,
    ) -> Option<Decision> {
        if let Some(c) = self.created.get_mut(&category_id) {
            c.net += amount.to_decimal();
            c.rows += 1;
            c.transfer_legs += u64::from(t.transfer_leg);
        }
        let is_transfer_category = self.categories.get(TRANSFER_CATEGORY) == Some(&category_id);
        if t.transfer_leg && is_transfer_category {
            return Some(Decision::transfer(category_id));
        }
        let facts = Self::facts(t, clean, amount);
        crate::labels::decide(&self.rules, &self.similar, &facts, Some(key).filter(|k| !k.is_empty()))
            .filter(|d| d.category_id == category_id)
    }

    /// Restores a transfer between own accounts by its legs (`(account,
    /// identity)`; either may be missing), keeping its id.
    pub fn transfer(&mut self, id: i64, out: Option<(i64, &str)>, inn: Option<(i64, &str)>) -> Result<()> {
        if out.is_none() && inn.is_none() {
            return Err(StoreError::Corrupt(format!("transfer {id} has no leg")));
        }
        // Recognised by account number when one leg names the other's account.
        let how = match (out, inn) {
            (Some((oa, oi)), Some((ia, ii))) => {
                let names_other: bool = self.tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM transactions t JOIN accounts a ON a.id = ?3
                       WHERE t.account_id = ?1 AND t.identity = ?2 AND a.iban IS NOT NULL
                         AND replace(upper(t.counterparty_account), ' ', '') = replace(upper(a.iban), ' ', ''))
                     OR EXISTS (SELECT 1 FROM transactions t JOIN accounts a ON a.id = ?1
                       WHERE t.account_id = ?3 AND t.identity = ?4 AND a.iban IS NOT NULL
                         AND replace(upper(t.counterparty_account), ' ', '') = replace(upper(a.iban), ' ', ''))",
                    params![oa, oi, ia, ii],
                    |r| r.get(0),
                )?;
                if names_other {
                    TransferHow::Iban
                } else {
                    TransferHow::AmountDate
                }
            }
            _ => TransferHow::Iban,
        };
        self.tx.execute(
            "INSERT INTO transfers (id, out_account, out_identity, in_account, in_identity, how, found_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, out.map(|l| l.0), out.map(|l| l.1), inn.map(|l| l.0), inn.map(|l| l.1), how, self.now],
        )?;
        self.summary.transfers += 1;
        Ok(())
    }

    /// Writes the sums, the created categories' kinds and the aliases, and
    /// commits: the install holds everything, or (on any error) nothing.
    pub fn finish(mut self) -> Result<RestoreSummary> {
        self.write_provenance()?;
        std::mem::take(&mut self.days).flush(&self.tx)?;
        {
            let mut agg = self.tx.prepare_cached(
                "INSERT INTO monthly_totals (account_id, month, currency, scale, income_minor, expense_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, month, currency, scale) DO UPDATE SET income_minor = income_minor + excluded.income_minor,
                 expense_minor = expense_minor + excluded.expense_minor",
            )?;
            for ((account, month, currency, scale), (inc, exp)) in &self.monthly {
                agg.execute(params![account, month, currency, scale, inc, exp])?;
            }
        }
        // A created category counts what its rows, and those of the created
        // categories under it, suggest — unless an existing one holds it.
        for (id, c) in &self.created {
            let prefix = format!("{}/", c.path);
            let under = self.created.values().filter(|o| o.path == c.path || o.path.starts_with(&prefix));
            let (net, rows, legs) =
                under.fold((Decimal::ZERO, 0, 0), |(n, r, l), o| (n + o.net, r + o.rows, l + o.transfer_legs));
            let kind = match c.inherited {
                Some(kind) => kind,
                None if c.path == TRANSFER_CATEGORY || (rows > 0 && legs == rows) => CategoryKind::Transfer,
                None if net > Decimal::ZERO => CategoryKind::Income,
                None => CategoryKind::Expense,
            };
            self.tx.execute("UPDATE categories SET kind = ?2 WHERE id = ?1", params![id, kind])?;
        }
        self.summary.categories = self.created.len();
        {
            let mut alias = self.tx.prepare_cached(
                "INSERT INTO aliases (match_key, name) VALUES (?1, ?2) ON CONFLICT (match_key) DO UPDATE SET name = excluded.name",
            )?;
            for (key, names) in &self.keys {
                if let (true, false, Some(name)) = (names.renamed, names.conflict, &names.first) {
                    if !name.trim().is_empty() {
                        alias.execute(params![key, name])?;
                        self.summary.aliases += 1;
                    }
                }
            }
        }
        let Restore { tx, rules_cache, summary, .. } = self;
        tx.commit()?;
        // Categories changed: rules are compiled again on next use.
        *rules_cache = RulesCache::default();
        Ok(summary)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::queries::TxQuery;
    use crate::reports::{GroupBy, ReportQuery};
    use crate::states::LabelReason;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::Builder::new().prefix("saldo-imported-").tempdir().unwrap();
        let mut s = Store::open(&tmp.path().join("i.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
        s.seed_default_rules(Utc::now()).unwrap();
        (tmp, s)
    }

    fn connection() -> RestoredConnection {
        RestoredConnection { id: 4, connector_id: 201, bank_name: "Huisbank".into() }
    }

    fn account(id: i64, iban: &str) -> RestoredAccount {
        RestoredAccount {
            id,
            connection_id: 4,
            gateway_id: format!("G{id}"),
            iban: Some(iban.into()),
            description: None,
            product: None,
            owner_name: Some("Anna Peeters".into()),
            bic: None,
            cash_account_type: None,
            currency: "EUR".into(),
            enabled: true,
            disappeared_at: None,
        }
    }

    fn row(account_id: i64, identity: &str, day: &str, amount: &str, name: &str, category: Option<&str>) -> RestoredTx {
        RestoredTx {
            account_id,
            identity: identity.into(),
            bank_id: identity.strip_prefix("b:").and_then(|i| i.split('#').next()).map(str::to_owned),
            booking_date: day.parse().unwrap(),
            value_date: None,
            amount: Decimal::from_str(amount).unwrap(),
            currency: "EUR".into(),
            counterparty_name: Some(name.into()),
            counterparty_account: None,
            counterparty_bic: None,
            description: Some(format!("BETALING {name}")),
            remittance: None,
            creditor_reference: None,
            bank_transaction_code: None,
            category: category.map(str::to_owned),
            counterparty_clean: None,
            transfer_leg: false,
            mandate: None,
        }
    }

    /// The clean name ingest computes for `t` (what a plain export shows).
    fn shown(mut t: RestoredTx) -> RestoredTx {
        let debit = t.amount.is_sign_negative();
        t.counterparty_clean =
            crate::labels::party_of(debit, t.counterparty_name.as_deref(), None, None, Some("Anna Peeters"))
                .map(|p| p.clean);
        t
    }

    #[test]
    fn a_restore_goes_only_into_an_empty_install_and_an_unfinished_one_writes_nothing() {
        let (_tmp, mut s) = store();
        {
            let mut r = s.begin_restore(Utc::now()).unwrap().unwrap();
            r.connection(&connection()).unwrap();
            r.account(&account(7, "BE68539007547034")).unwrap();
            let t = row(7, "b:1#0", "2026-01-05", "-3.10", "COLRUYT", Some("Food/Groceries"));
            assert_eq!(r.transaction(&t).unwrap(), Written::Stored);
            assert_eq!(r.transaction(&t).unwrap(), Written::Duplicate, "R16: one identity per account");
            // Dropped without `finish`: a malformed file found here leaves nothing.
        }
        assert!(s.occupancy().unwrap().is_empty(), "an unfinished restore writes nothing");
        assert!(s.balance_history(7).unwrap().is_empty());

        let mut r = s.begin_restore(Utc::now()).unwrap().unwrap();
        r.connection(&connection()).unwrap();
        r.account(&account(7, "BE68539007547034")).unwrap();
        r.transaction(&row(7, "b:1#0", "2026-01-05", "-3.10", "COLRUYT", None)).unwrap();
        r.finish().unwrap();
        assert_eq!(s.occupancy().unwrap(), Occupancy { connections: 1, accounts: 1, transactions: 1 });
        let conn = s.connection(4).unwrap().unwrap();
        assert_eq!(
            (conn.status, conn.country.as_str()),
            (ConnectionStatus::NeedsReconnect, "BE"),
            "R5: no context travels; the country is the IBAN's"
        );
        assert!(s.user_context(4).unwrap().is_none(), "R5: an export holds no secret");
        match s.begin_restore(Utc::now()).unwrap() {
            Err(held) => assert_eq!(held.transactions, 1, "a second restore is refused with what is there"),
            Ok(_) => panic!("a restore into a non-empty install must be refused"),
        }
        assert_eq!(s.occupancy().unwrap().transactions, 1, "and changes nothing");
    }

    #[test]
    fn restored_rows_are_numbered_summed_and_indexed_as_ingest_does() {
        let (_tmp, mut s) = store();
        let mut r = s.begin_restore(Utc::now()).unwrap().unwrap();
        r.connection(&connection()).unwrap();
        r.account(&account(1, "BE68539007547034")).unwrap();
        r.account(&account(2, "BE71096123456769")).unwrap();
        let rows = [
            row(1, "b:a#0", "2026-01-05", "-3.10", "COLRUYT", Some("Food/Groceries")),
            row(1, "f:00ff#0", "2026-01-05", "-3.10", "COLRUYT", Some("Food/Groceries")),
            row(1, "f:00ff#1", "2026-01-05", "-3.10", "COLRUYT", Some("Food/Groceries")),
            row(2, "b:c#0", "2026-01-05", "0.005", "Bank", None),
            row(1, "b:d#0", "2026-02-01", "2500.00", "ACME Belgium NV", Some("Income/Salary")),
            row(2, "b:e#0", "2026-02-03", "-1070.39", "Marc Claes", Some("Housing/Rent")),
        ];
        for t in &rows {
            let t = shown(t.clone());
            assert_eq!(r.transaction(&t).unwrap(), Written::Stored, "R16: genuine twins stay two");
        }
        r.finish().unwrap();

        let page = s.transactions_page(&TxQuery { limit: 100, ..TxQuery::default() }).unwrap();
        let mut ids: Vec<i64> = page.rows.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        let day = |d: &str| day_base(d.parse().unwrap());
        assert_eq!(
            ids,
            [
                day("2026-01-05"),
                day("2026-01-05") + 1,
                day("2026-01-05") + 2,
                day("2026-01-05") + 3,
                day("2026-02-01"),
                day("2026-02-03")
            ],
            "ids are the day's next free number, as ingest gives them"
        );
        let found = s.transactions_page(&TxQuery { text: Some("colruyt".into()), limit: 10, ..TxQuery::default() });
        assert_eq!(found.unwrap().rows.len(), 3, "the full-text index holds restored rows");
        let monthly = s.monthly(None).unwrap();
        assert_eq!(
            monthly.iter().map(|m| (m.month.as_str(), m.income, m.expense)).collect::<Vec<_>>(),
            [
                ("2026-01", Decimal::from_str("0.005").unwrap(), Decimal::from_str("-9.30").unwrap()),
                ("2026-02", Decimal::from_str("2500.00").unwrap(), Decimal::from_str("-1070.39").unwrap()),
            ],
            "R17: monthly totals, exact"
        );
        for by in [GroupBy::Category, GroupBy::Counterparty, GroupBy::Month] {
            for gross in [false, true] {
                let q = ReportQuery { gross, ..ReportQuery::default() };
                let days = s.report(by, &q).unwrap();
                assert_eq!(days, s.report_scan(by, &q).unwrap(), "R17: the day sums are the rows' ({by:?})");
                s.rebuild_category_days().unwrap();
                assert_eq!(s.report(by, &q).unwrap(), days, "and what a rebuild from the rows gives ({by:?})");
            }
        }
    }

    #[test]
    fn new_categories_take_their_parents_kind_else_what_their_rows_suggest_and_labels_say_why() {
        let (_tmp, mut s) = store();
        let mut r = s.begin_restore(Utc::now()).unwrap().unwrap();
        r.connection(&connection()).unwrap();
        r.account(&account(1, "BE68539007547034")).unwrap();
        let mut leg = row(1, "b:t#0", "2026-01-07", "-500.00", "Anna Peeters", Some("Moves/Savings"));
        leg.transfer_leg = true;
        let mut filed = row(1, "b:x#0", "2026-01-08", "-50.00", "Anna Peeters", Some("Transfers"));
        filed.transfer_leg = true;
        for t in [
            row(1, "b:a#0", "2026-01-05", "-3.10", "COLRUYT", Some("Food/Groceries")),
            row(1, "b:b#0", "2026-01-05", "-4.10", "COLRUYT", Some("Food/Bakery")),
            row(1, "b:r#0", "2026-01-06", "4.10", "COLRUYT", Some("Food/Bakery")),
            row(1, "b:g#0", "2026-01-06", "120.00", "Studio Noord", Some("Side/Gigs")),
            row(1, "b:h#0", "2026-01-06", "-12.00", "Climbing Hall", Some("Hobbies/Climbing")),
            leg,
            filed,
        ] {
            r.transaction(&t).unwrap();
        }
        r.transfer(3, Some((1, "b:t#0")), None).unwrap();
        r.transfer(4, Some((1, "b:x#0")), None).unwrap();
        let summary = r.finish().unwrap();
        assert_eq!(
            summary.categories, 7,
            "Food/Bakery, Side, Side/Gigs, Hobbies, Hobbies/Climbing, Moves, Moves/Savings"
        );
        let kind = |p: &str| s.category_by_path(p).unwrap().unwrap().kind;
        assert_eq!(kind("Food/Bakery"), CategoryKind::Expense, "under an existing category: its kind, refunds or not");
        assert_eq!(kind("Side/Gigs"), CategoryKind::Income, "money in: income");
        assert_eq!(kind("Side"), CategoryKind::Income, "a new parent counts its children's rows");
        assert_eq!(kind("Hobbies/Climbing"), CategoryKind::Expense, "money out: expense");
        assert_eq!(kind("Moves/Savings"), CategoryKind::Transfer, "only transfer legs: a transfer category");

        let reason = |identity: &str| -> (LabelReason, String) {
            let id: i64 =
                s.conn.query_row("SELECT id FROM transactions WHERE identity = ?1", [identity], |r| r.get(0)).unwrap();
            let label = s.label(id).unwrap().unwrap();
            (label.reason, label.detail)
        };
        assert_eq!(reason("b:a#0").0, LabelReason::Rule, "the rules give it that category anyway: a rule's label");
        assert_eq!(reason("b:b#0"), (LabelReason::Person, "you".into()), "another category: the person's choice");
        assert_eq!(reason("b:x#0").0, LabelReason::Transfer, "a transfer leg filed as a transfer");
        assert_eq!(reason("b:t#0").0, LabelReason::Person, "a transfer leg the person filed elsewhere");
        assert_eq!(s.transfers().unwrap().len(), 2, "transfers keep their ids");
        assert!(s.transfers().unwrap().iter().any(|t| t.id == 3 && t.in_row.is_none()));
    }

    #[test]
    fn a_name_the_person_gave_a_counterparty_is_kept_and_becomes_its_alias() {
        let (_tmp, mut s) = store();
        let mut r = s.begin_restore(Utc::now()).unwrap().unwrap();
        r.connection(&connection()).unwrap();
        r.account(&account(1, "BE68539007547034")).unwrap();
        let named = |identity: &str, name: &str, shown: Option<&str>| {
            let mut t = row(1, identity, "2026-01-05", "-3.10", name, None);
            t.counterparty_clean = shown.map(str::to_owned);
            t
        };
        // Every row of Colruyt's key shows the person's name: an alias.
        r.transaction(&named("b:1#0", "COLRUYT", Some("My Shop"))).unwrap();
        r.transaction(&named("b:2#0", "COLRUYT GENT", Some("My Shop"))).unwrap();
        // Two names for one key: each row keeps its own, no alias.
        r.transaction(&named("b:3#0", "DELHAIZE", Some("Delhaize"))).unwrap();
        r.transaction(&named("b:4#0", "DELHAIZE", Some("Other"))).unwrap();
        let summary = r.finish().unwrap();
        assert_eq!(summary.aliases, 1, "{summary:?}");
        let mut shown: Vec<(String, Option<String>)> = Vec::new();
        s.for_each_transaction::<StoreError>(1, crate::export::DateRange::default(), |t| {
            shown.push((t.identity, t.counterparty_clean));
            Ok(())
        })
        .unwrap();
        shown.sort();
        assert_eq!(
            shown,
            [
                ("b:1#0".to_owned(), Some("My Shop".to_owned())),
                ("b:2#0".to_owned(), Some("My Shop".to_owned())),
                ("b:3#0".to_owned(), Some("Delhaize".to_owned())),
                ("b:4#0".to_owned(), Some("Other".to_owned())),
            ],
            "the export shows what the file showed"
        );
        assert_eq!(s.alias_names().unwrap().values().collect::<Vec<_>>(), ["My Shop"]);
    }

    #[test]
    fn a_restored_rows_raw_is_the_gateway_transaction_its_fields_describe() {
        let mut t = row(1, "b:9#0", "2026-01-05", "-1.50", "ENGIE", None);
        t.value_date = Some("2026-01-04".parse().unwrap());
        t.remittance = Some("Factuur".into());
        t.creditor_reference = Some("+++123/4567/89012+++".into());
        t.bank_transaction_code = Some("PMNT-RDDT-ESDD".into());
        let g = gateway_transaction(&t);
        assert_eq!(g.id.as_deref(), Some("9"));
        assert_eq!(g.amount.0, Decimal::from_str("-1.50").unwrap(), "R17: exact");
        assert_eq!(g.execution_date.map(|d| d.date()), Some(t.booking_date));
        let code = g.bank_transaction_code.unwrap();
        assert_eq!(
            (code.domain.as_deref(), code.family.as_deref(), code.sub_family.as_deref()),
            (Some("PMNT"), Some("RDDT"), Some("ESDD"))
        );
        let reference = g.remittance_information.unwrap().structured.unwrap().creditor_reference_information;
        assert_eq!(reference.unwrap().reference.as_deref(), Some("+++123/4567/89012+++"));
        assert_eq!(match_key("b:9#0"), Some("b:9"));
        assert_eq!(match_key("f:ab#12"), Some("f:ab"));
        assert_eq!(match_key("b:9"), None);
        assert_eq!(match_key("#1"), None);
    }
}
