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
use rusqlite::{params, TransactionBehavior};
use rust_decimal::Decimal;
use saldo_gateway::{
    Amount, BankDateTime, BankTransactionCode, CreditorReferenceInformation, RemittanceInformation,
    StructuredRemittance, Transaction,
};

use crate::categories::{clean_path, CompiledRules, RulesCache};
use crate::category_days::{Deltas, RowAmount};
use crate::labels::Similar;
use crate::states::{CategoryKind, ConnectionStatus, LabelReason, TransferHow};
use crate::transactions::day_base;
use crate::transfers::TRANSFER_CATEGORY;
use crate::{Result, Store, StoreError, StoredAmount};

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
    /// (account, debit, name) → the counterparty ingest finds for that name alone.
    parties: HashMap<(i64, bool, String), Option<saldo_classify::counterparty::Counterparty>>,
    keys: HashMap<String, KeyNames>,
    summary: RestoreSummary,
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
        }))
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
    let remittance_information = (t.remittance.is_some() || t.creditor_reference.is_some()).then(|| {
        RemittanceInformation {
            structured: t.creditor_reference.as_ref().map(|r| StructuredRemittance {
                creditor_reference_information: Some(CreditorReferenceInformation {
                    kind: None,
                    reference: Some(r.clone()),
                }),
            }),
            unstructured: t.remittance.clone(),
        }
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
        mandate: None,
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
                self.tx.execute("UPDATE connections SET country = ?2 WHERE id = ?1", params![a.connection_id, country])?;
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
                        inherited = Some(self.tx.query_row("SELECT kind FROM categories WHERE id = ?1", [id], |r| {
                            r.get(0)
                        })?);
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
                let by_name = self
                    .parties
                    .entry((t.account_id, debit, name.to_owned()))
                    .or_insert_with(|| crate::labels::party_of(debit, Some(name), None, None, holder.as_deref()))
                    .clone();
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
        let exists: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM transactions WHERE account_id = ?1 AND identity = ?2)")?
            .query_row(params![t.account_id, t.identity], |r| r.get(0))?;
        if exists {
            return Ok(Written::Duplicate);
        }
        let id = self.row_id(t.booking_date)?;
        let debit = amount.minor < 0;
        let party = self.party(t, debit);
        let (computed_clean, party_key) =
            party.as_ref().map_or((String::new(), String::new()), |p| (p.clean.clone(), p.key.clone()));
        // The name the export showed: the computed one, or the person's.
        let shown = t.counterparty_clean.clone().unwrap_or_default();
        let renamed = shown != computed_clean;
        if !party_key.is_empty() {
            let names = self.keys.entry(party_key.clone()).or_default();
            match &names.first {
                None => names.first = Some(shown.clone()),
                Some(first) => names.conflict |= *first != shown,
            }
            names.renamed |= renamed;
        }
        let clean = if renamed { shown } else { computed_clean };
        let raw = serde_json::to_string(&gateway_transaction(t)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let booking_s = t.booking_date.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO transactions (id, account_id, identity, match_key, bank_id, booking_date, value_date, amount_minor,
                 scale, currency, counterparty_name, counterparty_account, counterparty_bic, description, remittance,
                 creditor_reference, bank_transaction_code, raw, first_seen_run, last_seen_run, created_at,
                 counterparty_clean, counterparty_key, mandate)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, NULL, NULL, ?19, ?20, ?21, NULL)",
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
                raw,
                self.now,
                clean,
                party_key,
            ])?;
        // Indexed for search as ingest indexes (see migration v5).
        self.tx
            .prepare_cached(
                "INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance) VALUES (?1, ?2, ?3, nullif(?4, ?3))",
            )?
            .execute(params![id, t.counterparty_name, t.description, t.remittance])?;
        self.next_id.insert(t.booking_date, id + 1);

        let category = match &t.category {
            Some(path) => Some(self.category(path)?),
            None => None,
        };
        if let Some(category_id) = category {
            self.label(t, &clean, &party_key, amount, category_id)?;
        }
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
            .entry((t.account_id, booking_s.get(..7).unwrap_or(&booking_s).to_owned(), t.currency.clone(), amount.scale))
            .or_default();
        if amount.minor > 0 {
            m.0 += amount.minor;
        } else {
            m.1 += amount.minor;
        }
        self.summary.transactions += 1;
        Ok(Written::Stored)
    }

    /// Writes a row's label with the reason that fits best (module docs).
    fn label(&mut self, t: &RestoredTx, clean: &str, key: &str, amount: StoredAmount, category_id: i64) -> Result<()> {
        if let Some(c) = self.created.get_mut(&category_id) {
            c.net += amount.to_decimal();
            c.rows += 1;
            c.transfer_legs += u64::from(t.transfer_leg);
        }
        let is_transfer_category = self.categories.get(TRANSFER_CATEGORY) == Some(&category_id);
        let (reason, rule_id, detail): (LabelReason, Option<i64>, Arc<str>) = if t.transfer_leg && is_transfer_category
        {
            (LabelReason::Transfer, None, Arc::from("a transfer between your accounts"))
        } else {
            let facts = saldo_classify::rules::Facts {
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
                mandate: None,
            };
            match crate::labels::decide(&self.rules, &self.similar, &facts, Some(key).filter(|k| !k.is_empty())) {
                Some(d) if d.category_id == category_id => (d.reason, d.rule_id, d.detail),
                _ => (LabelReason::Person, None, Arc::from("you")),
            }
        };
        self.tx
            .prepare_cached(
                "INSERT INTO labels (account_id, identity, category_id, reason, rule_id, detail, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![t.account_id, t.identity, category_id, reason, rule_id, &*detail, self.now])?;
        Ok(())
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
