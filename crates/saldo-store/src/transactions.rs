//! `transactions`: exact, idempotent ingest (R16, R17) committed together
//! with the contexts that came with the page (R1, R4).
//!
//! Identity: `<key>#<n>`. The key is `b:<bank id>` when the bank sends an id,
//! else `f:<fingerprint>` — a SHA-256 over booking date, value date, amount,
//! currency, counterparty name and account, description, remittance and
//! creditor reference. `n` is the occurrence of that key within one fetch of
//! the account, counted across its pages: a fetch starts at a first page and
//! ends with the page that has no next one. Re-fetching the same
//! transactions yields the same identities (a no-op); genuine twins get #0
//! and #1 and stay two.
//!
//! The occurrences a fetch has consumed are kept in memory while it runs. A
//! fetch resumed after a crash keeps its run id (the checkpoint's) and
//! rebuilds them from the database: the rows that run stored, plus the keys
//! each committed page re-fetched (`fetch_claims`, written with the page and
//! deleted when the fetch ends).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use saldo_gateway::{PagerContext, Transaction, UserContext};
use sha2::{Digest, Sha256};

use crate::fetch_claims::{load_claims, FetchClaims};
use crate::gaps::SeqPoint;
use crate::{Result, Store, StoreError, StoredAmount};

/// One page of transactions to commit, with what came with it.
#[derive(Debug)]
pub struct PageCommit<'a> {
    /// The connection whose user context may have changed.
    pub connection_id: i64,
    /// The account.
    pub account_id: i64,
    /// The run that claims identities: the checkpoint's run when resuming
    /// an interrupted fetch, else the current one.
    pub run_id: i64,
    /// The run whose progress counters this page adds to (the current run).
    pub progress_run: i64,
    /// A non-null user context from the response: stored first (R1).
    pub user_context: Option<&'a UserContext>,
    /// The page's transactions, in the bank's order.
    pub transactions: &'a [Transaction],
    /// Where the next page starts (R4); `None` when this was the last page.
    pub next_pager: Option<&'a PagerContext>,
}

impl<'a> PageCommit<'a> {
    /// A page of a fresh fetch under `run_id`, with no context change and no
    /// next page; set the other fields with struct update syntax.
    pub fn new(connection_id: i64, account_id: i64, run_id: i64, transactions: &'a [Transaction]) -> Self {
        Self {
            connection_id,
            account_id,
            run_id,
            progress_run: run_id,
            user_context: None,
            transactions,
            next_pager: None,
        }
    }
}

/// What a commit did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// New transactions stored.
    pub inserted: u64,
    /// Transactions already stored (re-fetched).
    pub unchanged: u64,
    /// Transactions the bank amended since they were stored: same bank id,
    /// different content. The stored row is replaced by the new version.
    pub updated: u64,
    /// Transactions refused because their currency was not a currency code
    /// (three letters): no journal or statement could carry them safely.
    pub flagged: u64,
    /// Rows a rule (or the person's earlier choices) categorised.
    pub categorised: u64,
    /// New rows the bank sent that were already here from a statement
    /// file: the bank's row took the file's row's place (issue 17).
    pub from_files: u64,
    /// The booking dates the new and amended rows span (transfer detection
    /// looks around them).
    pub span: Option<(NaiveDate, NaiveDate)>,
}

impl IngestStats {
    /// Adds another page's counts.
    pub fn add(&mut self, other: &IngestStats) {
        self.inserted += other.inserted;
        self.unchanged += other.unchanged;
        self.updated += other.updated;
        self.flagged += other.flagged;
        self.categorised += other.categorised;
        self.from_files += other.from_files;
        self.span = match (self.span, other.span) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (x, None) | (None, x) => x,
        };
    }
}

/// Days a statement file's booking date may differ from the bank's for the
/// same row (files and APIs disagree on weekends and cut-offs).
pub const FILE_DATE_SLACK_DAYS: u64 = 3;

/// A new row from the bank, as [`absorb_file_twin`] looks for it among rows
/// read from statement files.
pub(crate) struct NewBankRow<'a> {
    pub(crate) account_id: i64,
    pub(crate) identity: &'a str,
    pub(crate) bank_id: Option<&'a str>,
    pub(crate) booking: NaiveDate,
    pub(crate) amount: StoredAmount,
    pub(crate) currency: &'a str,
    pub(crate) party_key: &'a str,
}

/// When the bank sends a row that an imported statement file already
/// brought (issue 17, "import then sync"), the bank's row takes the file
/// row's place: the file row is removed from the sums and deleted, and what
/// Saldo keeps about it — where it came from, a person's category, its
/// transfer — moves to the bank's row. The same rule as the import's own
/// matching, the other way round: the bank's reference, else the same day
/// and amount with the same (or an unknown) counterparty, else the same
/// amount and counterparty a few days apart. A file row with another
/// counterparty on that day stays (never merged on a guess). Whether one
/// was taken over: `None` if none was, else the person's label it moved to
/// the bank's row (`Some(None)`: none; `Some(Some(None))`: "no category").
pub(crate) fn absorb_file_twin(
    tx: &rusqlite::Transaction<'_>,
    new: &NewBankRow<'_>,
    days: &mut crate::category_days::Deltas,
    monthly: &mut HashMap<(String, String, u32), (i64, i64)>,
) -> Result<Option<Option<Option<i64>>>> {
    let slack = chrono::Days::new(FILE_DATE_SLACK_DAYS);
    let mut st = tx.prepare_cached(
        "SELECT identity, booking_date, coalesce(counterparty_key, ''), bank_id, coalesce(counterparty_clean, '')
         FROM transactions WHERE account_id = ?1 AND amount_minor = ?2 AND booking_date BETWEEN ?3 AND ?4
           AND identity >= 's:' AND identity < 's;' AND scale = ?5 AND currency = ?6",
    )?;
    let candidates: Vec<(String, String, String, Option<String>, String)> = st
        .query_map(
            params![
                new.account_id,
                new.amount.minor,
                (new.booking - slack).to_string(),
                (new.booking + slack).to_string(),
                new.amount.scale,
                new.currency
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let day = new.booking.to_string();
    let days_apart = |d: &str| d.parse::<NaiveDate>().map_or(i64::MAX, |d| (d - new.booking).num_days().abs());
    let by_reference = candidates.iter().find(|c| new.bank_id.is_some() && c.3.as_deref() == new.bank_id);
    let same_day = || {
        candidates
            .iter()
            .filter(|c| c.1 == day && (c.2.is_empty() || new.party_key.is_empty() || c.2 == new.party_key))
            .min_by_key(|c| c.2 != new.party_key)
    };
    let near = || {
        candidates.iter().filter(|c| !new.party_key.is_empty() && c.2 == new.party_key).min_by_key(|c| days_apart(&c.1))
    };
    let Some((old, old_booking, old_key, _, old_clean)) = by_reference.or_else(same_day).or_else(near) else {
        return Ok(None);
    };
    // The file row's own decision, and the person's label if there is one
    // (`Some(None)`: "no category").
    let (own_category, person): (Option<i64>, Option<Option<i64>>) = tx
        .prepare_cached(
            "SELECT t.auto_category_id, l.identity IS NOT NULL, l.category_id
             FROM transactions t LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
             WHERE t.account_id = ?1 AND t.identity = ?2",
        )?
        .query_row(params![new.account_id, old], |r| {
            let labelled: bool = r.get(1)?;
            Ok((r.get(0)?, if labelled { Some(r.get(2)?) } else { None }))
        })?;
    days.count(
        &crate::category_days::RowAmount {
            account_id: new.account_id,
            day: old_booking.clone(),
            minor: new.amount.minor,
            currency: new.currency.to_owned(),
            scale: new.amount.scale,
            key: old_key.clone(),
            clean: old_clean.clone(),
        },
        person.unwrap_or(own_category),
        false,
    );
    add_month(monthly, old_booking, new.currency, new.amount.scale, new.amount.minor, true);
    // A person's category stays with the row (`labels` holds only theirs);
    // Saldo's own decision was made again for the bank's version.
    tx.prepare_cached("UPDATE labels SET identity = ?3 WHERE account_id = ?1 AND identity = ?2")?.execute(params![
        new.account_id,
        old,
        new.identity
    ])?;
    for sql in [
        "UPDATE provenance SET identity = ?3 WHERE account_id = ?1 AND identity = ?2",
        "UPDATE transfers SET out_identity = ?3 WHERE out_account = ?1 AND out_identity = ?2",
        "UPDATE transfers SET in_identity = ?3 WHERE in_account = ?1 AND in_identity = ?2",
        "UPDATE OR IGNORE not_transfers SET identity = ?3 WHERE account_id = ?1 AND identity = ?2",
        "DELETE FROM transfer_review WHERE account_id = ?1 AND identity = ?2 AND ?3 IS NOT NULL",
        "DELETE FROM transactions WHERE account_id = ?1 AND identity = ?2 AND ?3 IS NOT NULL",
    ] {
        tx.prepare_cached(sql)?.execute(params![new.account_id, old, new.identity])?;
    }
    Ok(Some(person))
}

/// A paging checkpoint: where to resume an interrupted fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The run the fetch belongs to.
    pub run_id: i64,
    /// The pager context of the next page.
    pub pager: Option<PagerContext>,
    /// Pages committed so far.
    pub pages_done: i64,
}

/// What an ingest learns of a stored row with the identity it claims: whether
/// its raw JSON equals the new one (compared inside SQLite: no copy), its
/// amount (minor units, scale, currency), booking date, counterparty (merge
/// key, clean name) and its own decision (category, reason).
type StoredRow = (bool, i64, u32, String, String, String, String, (Option<i64>, Option<i64>));

/// Adds (or, with `remove`, takes back) an amount in the page's monthly
/// income/expense sums; its sign decides the side.
fn add_month(
    monthly: &mut HashMap<(String, String, u32), (i64, i64)>,
    booking: &str,
    currency: &str,
    scale: u32,
    minor: i64,
    remove: bool,
) {
    let m = monthly.entry((booking.get(..7).unwrap_or(booking).to_owned(), currency.to_owned(), scale)).or_default();
    let delta = if remove { -minor } else { minor };
    if minor > 0 {
        m.0 += delta;
    } else {
        m.1 += delta;
    }
}

/// The content fingerprint of a transaction without a bank id.
pub fn fingerprint(t: &Transaction, booking: NaiveDate) -> String {
    let mut h = Sha256::new();
    let fields = [
        booking.to_string(),
        t.value_date.as_ref().map(|d| d.date().to_string()).unwrap_or_default(),
        t.amount.0.normalize().to_string(),
        t.currency.clone().unwrap_or_default(),
        t.counterpart_name.clone().unwrap_or_default(),
        t.counterpart_reference.clone().unwrap_or_default(),
        t.description.clone().unwrap_or_default(),
        t.remittance_information.as_ref().and_then(|r| r.unstructured.clone()).unwrap_or_default(),
        creditor_reference(t).unwrap_or_default(),
    ];
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    format!("f:{}", hex::encode(&h.finalize()[..16]))
}

fn creditor_reference(t: &Transaction) -> Option<String> {
    t.remittance_information.as_ref()?.structured.as_ref()?.creditor_reference_information.as_ref()?.reference.clone()
}

/// First row id of a booking day: ids are `(days since 1900-01-01) << 24 | n`,
/// so id order is date order (see migration v2).
pub fn day_base(date: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
    (date - epoch).num_days().max(0) << 24
}

fn booking_date(t: &Transaction, today: NaiveDate) -> NaiveDate {
    t.execution_date.as_ref().or(t.value_date.as_ref()).map_or(today, |d| d.date())
}

impl Store {
    /// Commits one page in one database transaction: the user context first
    /// (R1), then the transactions, then the checkpoint (R4). A crash leaves
    /// either all of it or none of it.
    pub fn commit_page(&mut self, page: &PageCommit<'_>, now: DateTime<Utc>) -> Result<IngestStats> {
        let now_s = now.to_rfc3339();
        let today = now.date_naive();
        // Categorised as they arrive (in the row itself, see `labels`).
        let rules = self.compiled_rules()?;
        let similar = crate::labels::Similar::load(&self.conn)?;
        let holder: Option<String> = self
            .conn
            .query_row("SELECT owner_name FROM accounts WHERE id = ?1", [page.account_id], |r| r.get(0))
            .optional()?
            .flatten();
        // Rules see the name the person gave a counterparty.
        let aliases = self.alias_names()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(user) = page.user_context {
            tx.execute(
                "UPDATE connections SET user_context = ?2, updated_at = ?3 WHERE id = ?1",
                params![page.connection_id, user.expose(), now_s],
            )?;
        }
        let currency_of: String =
            tx.query_row("SELECT currency FROM accounts WHERE id = ?1", [page.account_id], |r| r.get(0))?;
        // Rows from statement files the bank's new rows may be (issue 17).
        let has_file_rows: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE account_id = ?1 AND identity >= 's:' AND identity < 's;')",
            [page.account_id],
            |r| r.get(0),
        )?;

        // Each transaction claims `key#n`, n = the key's occurrences earlier
        // in this fetch. No stored row: new. A stored row with the same
        // content: re-fetched. With other content and a bank id: amended.
        let checkpoint: Option<(i64, i64)> = tx
            .query_row(
                "SELECT sync_run_id, pages_done FROM paging_checkpoints WHERE account_id = ?1",
                [page.account_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // This process's counts hold while the checkpoint is where it left it.
        let cached = self
            .fetches
            .remove(&page.account_id)
            .filter(|f| f.run_id == page.run_id && checkpoint == Some((f.run_id, f.pages_done)));
        let prior_edge = cached.as_ref().and_then(|f| f.seq_edge);
        let seq_edge;
        let mut claims = match cached {
            Some(f) => f.counts,
            None => {
                let resuming = checkpoint.is_some_and(|(run, _)| run == page.run_id);
                load_claims(&tx, page.account_id, page.run_id, resuming)?
            }
        };
        let mut refetched: Vec<String> = Vec::new();
        let mut expect_new = true;
        let mut stats = IngestStats::default();
        let mut monthly: HashMap<(String, String, u32), (i64, i64)> = HashMap::new();
        let mut next_id: HashMap<NaiveDate, i64> = HashMap::new();
        let mut parties: HashMap<String, Option<saldo_classify::counterparty::Counterparty>> = HashMap::new();
        let mut days = crate::category_days::Deltas::default();
        // Reason ids known from earlier pages; this page's new ones are kept
        // only once it commits (a rollback takes them back).
        let mut reasons = std::mem::take(&mut self.rules_cache.reasons);
        {
            let mut max_id = tx.prepare_cached("SELECT max(id) FROM transactions WHERE id BETWEEN ?1 AND ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO transactions (account_id, identity, match_key, bank_id, booking_date, value_date, amount_minor, scale,
                 currency, counterparty_name, counterparty_account, counterparty_bic, description, remittance, creditor_reference,
                 bank_transaction_code, first_seen_run, last_seen_run, created_at, id, counterparty_clean, counterparty_key,
                 mandate, auto_category_id, auto_reason_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24)
                 ON CONFLICT (account_id, identity) DO NOTHING",
            )?;
            // The bank's JSON beside the row (schema v9).
            let mut insert_raw = tx.prepare_cached("INSERT INTO transaction_raw (id, raw) VALUES (?1, ?2)")?;
            let mut claimed = tx.prepare_cached(
                "SELECT (SELECT r.raw FROM transaction_raw r WHERE r.id = t.id) = ?3, t.amount_minor, t.scale, t.currency,
                 t.booking_date, coalesce(t.counterparty_key, ''), coalesce(t.counterparty_clean, ''),
                 t.auto_category_id, t.auto_reason_id
                 FROM transactions t WHERE t.account_id = ?1 AND t.identity = ?2",
            )?;
            let mut replace = tx.prepare_cached("DELETE FROM transactions WHERE account_id = ?1 AND identity = ?2")?;
            // The person's label of an amended row (`labels`: few rows).
            let mut person_of =
                tx.prepare_cached("SELECT category_id FROM labels WHERE account_id = ?1 AND identity = ?2")?;
            // What the v2 view `transactions_search` indexes (see migration v5).
            let mut index = tx.prepare_cached(
                "INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance) VALUES (?1, ?2, ?3, nullif(?4, ?3))",
            )?;
            for t in page.transactions {
                let booking = booking_date(t, today);
                let key =
                    t.id.as_ref()
                        .filter(|id| !id.is_empty())
                        .map_or_else(|| fingerprint(t, booking), |id| format!("b:{id}"));
                let currency = match t.currency.as_deref() {
                    None => currency_of.clone(),
                    Some(c) => match crate::checked_currency(c) {
                        Some(c) => c,
                        None => {
                            // Not a currency code (a line break, a journal
                            // directive): refused, counted, reported by the sync.
                            stats.flagged += 1;
                            continue;
                        }
                    },
                };
                let amount = StoredAmount::from_decimal(t.amount.0, &currency)
                    .ok_or_else(|| StoreError::Corrupt(format!("amount {} does not fit in 64 bits", t.amount)))?;
                let raw = serde_json::to_string(t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let btc = t.bank_transaction_code.as_ref().map(|c| {
                    [c.domain.as_deref(), c.family.as_deref(), c.sub_family.as_deref()]
                        .map(|p| p.unwrap_or(""))
                        .join("-")
                });
                let booking_s = booking.to_string();
                let remittance = t.remittance_information.as_ref().and_then(|r| r.unstructured.as_deref());
                let id = match next_id.get(&booking) {
                    Some(id) => *id,
                    None => {
                        let base = day_base(booking);
                        let max: Option<i64> = max_id.query_row(params![base, base + 0xFF_FFFF], |r| r.get(0))?;
                        let first_free = max.map_or(base, |m| m + 1);
                        next_id.insert(booking, first_free);
                        first_free
                    }
                };
                if id > day_base(booking) + 0xFF_FFFF {
                    return Err(StoreError::Corrupt(format!("more than 16 million transactions on {booking}")));
                }
                let identity = format!("{key}#{}", claims.next(&key));
                // The gateway's counterparty name, when it gives a name, wins
                // over the texts whatever they say: one normalisation per
                // distinct name and page (merchants repeat).
                let full = || {
                    crate::labels::party_of(
                        amount.minor < 0,
                        t.counterpart_name.as_deref(),
                        t.description.as_deref(),
                        remittance,
                        holder.as_deref(),
                    )
                };
                let party = match t.counterpart_name.as_deref().filter(|n| !n.trim().is_empty()) {
                    Some(name) => {
                        let by_name = parties.entry(name.to_owned()).or_insert_with(|| {
                            crate::labels::party_of(amount.minor < 0, Some(name), None, None, holder.as_deref())
                        });
                        by_name.clone().or_else(full)
                    }
                    None => full(),
                };
                // '' for "looked, found none" (NULL: stored before v8, not looked yet).
                let (clean, party_key) = party.as_ref().map_or(("", ""), |p| (p.clean.as_str(), p.key.as_str()));
                let mandate = t.mandate.as_ref().and_then(|m| m.mandate_reference.as_deref());
                let reference = creditor_reference(t);
                let facts = saldo_classify::rules::Facts {
                    account_id: page.account_id,
                    booking_date: Some(booking),
                    amount: amount.to_decimal(),
                    counterparty: aliases
                        .get(party_key)
                        .map(String::as_str)
                        .or(party.as_ref().map(|p| p.clean.as_str())),
                    counterparty_raw: t.counterpart_name.as_deref(),
                    iban: t.counterpart_reference.as_deref(),
                    description: t.description.as_deref(),
                    remittance,
                    reference: reference.as_deref(),
                    bank_code: btc.as_deref(),
                    mandate,
                };
                let decide =
                    || crate::labels::decide(&rules, &similar, &facts, Some(party_key).filter(|k| !k.is_empty()));
                // The row's own category and reason, stored by the INSERT
                // itself (see `labels`): decided once the row is known to be
                // new; an amended row keeps the one it had.
                let mut inline: (Option<i64>, Option<i64>) = (None, None);
                let mut decided = false;
                macro_rules! new_row {
                    () => {
                        params![
                            page.account_id,
                            identity,
                            key,
                            t.id,
                            booking_s,
                            t.value_date.as_ref().map(|d| d.date().to_string()),
                            amount.minor,
                            amount.scale,
                            currency,
                            t.counterpart_name,
                            t.counterpart_reference,
                            t.counterpart_bic,
                            t.description,
                            remittance,
                            reference,
                            btc,
                            page.run_id,
                            now_s,
                            id,
                            clean,
                            party_key,
                            mandate,
                            inline.0,
                            inline.1,
                        ]
                    };
                }
                // Rows come in runs of new ones (a first sync, the latest
                // days) and of re-fetched ones: insert first after a new row,
                // look up first after a re-fetched one.
                let mut stored: Option<StoredRow> = None;
                // The person's label of an amended row: `Some(None)`, "no category".
                let mut person: Option<Option<i64>> = None;
                let mut inserted = false;
                if expect_new {
                    inline = reasons.inline(&tx, decide().as_ref())?;
                    decided = true;
                    inserted = insert.execute(new_row!())? == 1;
                }
                if !inserted {
                    stored = claimed
                        .query_row(params![page.account_id, identity, raw], |r| {
                            Ok((
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                                r.get(6)?,
                                (r.get(7)?, r.get(8)?),
                            ))
                        })
                        .optional()?;
                    match &stored {
                        None => {
                            if !decided {
                                inline = reasons.inline(&tx, decide().as_ref())?;
                                decided = true;
                            }
                            insert.execute(new_row!())?;
                        }
                        Some((same, ..)) if *same || !key.starts_with("b:") => {
                            refetched.push(key.clone());
                            stats.unchanged += 1;
                            expect_new = false;
                            continue;
                        }
                        Some((_, old_minor, old_scale, old_currency, old_booking, old_key, old_clean, old_inline)) => {
                            // The bank amended a transaction it identifies (a card
                            // payment settling, a corrected text): the new version
                            // replaces the stored one, under the same identity. The
                            // person's label (keyed by identity) stays; the row's
                            // own decision is carried over, or made now if it had none.
                            person =
                                person_of.query_row(params![page.account_id, identity], |r| r.get(0)).optional()?;
                            let old_row = crate::category_days::RowAmount {
                                account_id: page.account_id,
                                day: old_booking.clone(),
                                minor: *old_minor,
                                currency: old_currency.clone(),
                                scale: *old_scale,
                                key: old_key.clone(),
                                clean: old_clean.clone(),
                            };
                            days.count(&old_row, person.unwrap_or(old_inline.0), false);
                            if old_inline.0.is_some() {
                                inline = *old_inline;
                                decided = false;
                            } else if !decided {
                                inline = reasons.inline(&tx, decide().as_ref())?;
                                decided = true;
                            }
                            replace.execute(params![page.account_id, identity])?;
                            add_month(&mut monthly, old_booking, old_currency, *old_scale, *old_minor, true);
                            insert.execute(new_row!())?;
                        }
                    }
                }
                insert_raw.execute(params![id, raw])?;
                index.execute(params![id, t.counterpart_name, t.description, remittance])?;
                if has_file_rows && stored.is_none() {
                    let new = NewBankRow {
                        account_id: page.account_id,
                        identity: &identity,
                        bank_id: t.id.as_deref(),
                        booking,
                        amount,
                        currency: &currency,
                        party_key,
                    };
                    if let Some(moved) = absorb_file_twin(&tx, &new, &mut days, &mut monthly)? {
                        stats.from_files += 1;
                        if moved.is_some() {
                            person = moved;
                        }
                    }
                }
                next_id.insert(booking, id + 1);
                // Categorised by this ingest: a decision made now that the
                // person's label does not override.
                stats.categorised += u64::from(decided && inline.0.is_some() && person.is_none());
                days.count(
                    &crate::category_days::RowAmount {
                        account_id: page.account_id,
                        day: booking_s.clone(),
                        minor: amount.minor,
                        currency: currency.clone(),
                        scale: amount.scale,
                        key: party_key.to_owned(),
                        clean: clean.to_owned(),
                    },
                    person.unwrap_or(inline.0),
                    true,
                );
                stats.span = Some(match stats.span {
                    Some((a, b)) => (a.min(booking), b.max(booking)),
                    None => (booking, booking),
                });
                if stored.is_some() {
                    stats.updated += 1;
                } else {
                    stats.inserted += 1;
                }
                add_month(&mut monthly, &booking_s, &currency, amount.scale, amount.minor, false);
                expect_new = true;
            }
        }
        days.flush(&tx)?;
        {
            let mut agg = tx.prepare_cached(
                "INSERT INTO monthly_totals (account_id, month, currency, scale, income_minor, expense_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, month, currency, scale) DO UPDATE SET income_minor = income_minor + excluded.income_minor,
                 expense_minor = expense_minor + excluded.expense_minor",
            )?;
            for ((month, currency, scale), (inc, exp)) in monthly {
                agg.execute(params![page.account_id, month, currency, scale, inc, exp])?;
            }
        }
        let mut pages_done = 0;
        match page.next_pager {
            Some(pager) => {
                pages_done = tx.query_row(
                    "INSERT INTO paging_checkpoints (account_id, sync_run_id, pager_context, pages_done, updated_at) VALUES (?1, ?2, ?3, 1, ?4)
                     ON CONFLICT (account_id) DO UPDATE SET sync_run_id = excluded.sync_run_id, pager_context = excluded.pager_context,
                     pages_done = pages_done + 1, updated_at = excluded.updated_at
                     RETURNING pages_done",
                    params![page.account_id, page.run_id, pager.expose(), now_s],
                    |r| r.get(0),
                )?;
                if !refetched.is_empty() {
                    let keys = serde_json::to_string(&refetched).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    tx.execute(
                        "INSERT INTO fetch_claims (account_id, sync_run_id, keys) VALUES (?1, ?2, ?3)",
                        params![page.account_id, page.run_id, keys],
                    )?;
                }
            }
            None => {
                tx.execute("DELETE FROM paging_checkpoints WHERE account_id = ?1", [page.account_id])?;
                tx.execute("DELETE FROM fetch_claims WHERE account_id = ?1", [page.account_id])?;
            }
        }
        tx.execute(
            "UPDATE sync_runs SET pages_done = pages_done + 1, new_transactions = new_transactions + ?2,
             seen_transactions = seen_transactions + ?3, updated_transactions = updated_transactions + ?4 WHERE id = ?1",
            params![page.progress_run, stats.inserted as i64, stats.unchanged as i64 + stats.updated as i64, stats.updated as i64],
        )?;
        // The gateway's hole marks (`possibleHole`): a gap opens before each
        // marked transaction; one this page's span covers without a mark closes.
        {
            let days: Vec<NaiveDate> = page.transactions.iter().map(|t| booking_date(t, today)).collect();
            let mut marked: Vec<NaiveDate> = page
                .transactions
                .iter()
                .zip(&days)
                .filter(|(t, _)| t.possible_hole == Some(true))
                .map(|(_, d)| *d)
                .collect();
            for before in &marked {
                let after = days.iter().copied().filter(|d| d < before).max();
                crate::gaps::mark(&tx, page.account_id, after, *before, true, now)?;
            }
            // And the jumps in its numbering (`gwSequence`), this page's rows
            // with the edge of the page before it in this fetch.
            let mut points: Vec<SeqPoint> = page
                .transactions
                .iter()
                .zip(&days)
                .filter_map(|(t, d)| {
                    t.gw_sequence_parts().map(|(prefix, counter)| SeqPoint { prefix, counter, day: *d })
                })
                .collect();
            seq_edge = points.iter().min_by_key(|p| (p.prefix, p.counter)).copied();
            points.extend(prior_edge);
            for (after, before) in crate::gaps::sequence_jumps(&mut points) {
                crate::gaps::mark(&tx, page.account_id, Some(after), before, true, now)?;
                marked.push(before);
            }
            if let (Some(lo), Some(hi)) = (days.iter().min(), days.iter().max()) {
                let keep = serde_json::to_string(&marked.iter().map(ToString::to_string).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.execute(
                    "DELETE FROM gaps WHERE account_id = ?1 AND before_date BETWEEN ?2 AND ?3
                       AND before_date NOT IN (SELECT value FROM json_each(?4))",
                    params![page.account_id, lo.to_string(), hi.to_string(), keep],
                )?;
            }
        }
        tx.commit()?;
        self.rules_cache.reasons = reasons;
        if page.next_pager.is_some() {
            self.fetches
                .insert(page.account_id, FetchClaims { run_id: page.run_id, pages_done, counts: claims, seq_edge });
        }
        Ok(stats)
    }

    /// Where an interrupted fetch of an account resumes (R4), if it was interrupted.
    pub fn checkpoint(&self, account_id: i64) -> Result<Option<Checkpoint>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sync_run_id, pager_context, pages_done FROM paging_checkpoints WHERE account_id = ?1",
                [account_id],
                |r| {
                    Ok(Checkpoint {
                        run_id: r.get(0)?,
                        pager: r.get::<_, Option<String>>(1)?.map(PagerContext::new),
                        pages_done: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Number of stored transactions of an account.
    pub fn transaction_count(&self, account_id: i64) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM transactions WHERE account_id = ?1", [account_id], |r| r.get(0))?)
    }
}
