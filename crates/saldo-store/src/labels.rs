//! Each row's category and why it has it. Saldo's own decision (a rule,
//! the person's consistent earlier choices, a transfer) is kept in the row
//! itself (`transactions.auto_category_id`, `auto_reason_id` → the words in
//! `label_reasons`), written by the INSERT that stores the row; `labels`
//! holds only what overrides it: the person's choice (a NULL category: "no
//! category"), keyed by (account, identity) — the key an amendment and every
//! re-fetch keep (R16), so no sync loses it. A row shows the person's choice
//! when there is one, else its own decision. A person's label is never
//! replaced by a rule; changes made as one step (a rule applied to the past,
//! a person's choice over many rows) can be undone.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use saldo_classify::rules::{self, Conditions, Facts, Proposal, RuleSet};

use crate::categories::CompiledRules;
use crate::states::LabelReason;
use crate::{Result, Store, StoreError};

/// Rows the person categorised alike before Saldo files a new row of the
/// same counterparty with them ("like 3 earlier payments to X").
pub const SIMILAR_EVIDENCE: usize = 3;

/// What a transfer's legs say about their category.
pub(crate) const TRANSFER_DETAIL: &str = "a transfer between your accounts";

/// A category decision for one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) category_id: i64,
    pub(crate) reason: LabelReason,
    pub(crate) rule_id: Option<i64>,
    /// The reason in words (shared: a million rows say a few hundred things).
    pub(crate) detail: Arc<str>,
}

impl Decision {
    /// A transfer leg's decision.
    pub(crate) fn transfer(category_id: i64) -> Self {
        Self { category_id, reason: LabelReason::Transfer, rule_id: None, detail: Arc::from(TRANSFER_DETAIL) }
    }
}

/// The ids of the reasons (`label_reasons`) decisions point at, found or
/// added as they are needed. Kept for one database transaction only: a
/// rollback takes back the reasons it added.
#[derive(Debug, Default)]
pub(crate) struct ReasonIds(HashMap<(LabelReason, Option<i64>, Arc<str>), i64>);

impl ReasonIds {
    /// The id of what `d` says (added when new).
    pub(crate) fn id(&mut self, conn: &rusqlite::Connection, d: &Decision) -> Result<i64> {
        let key = (d.reason, d.rule_id, d.detail.clone());
        if let Some(id) = self.0.get(&key) {
            return Ok(*id);
        }
        let found: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM label_reasons WHERE detail = ?3 AND reason = ?1 AND rule_id IS ?2 ORDER BY id LIMIT 1",
            )?
            .query_row(params![d.reason, d.rule_id, &*d.detail], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => conn
                .prepare_cached("INSERT INTO label_reasons (reason, rule_id, detail) VALUES (?1, ?2, ?3) RETURNING id")?
                .query_row(params![d.reason, d.rule_id, &*d.detail], |r| r.get(0))?,
        };
        self.0.insert(key, id);
        Ok(id)
    }

    /// The category and reason id a row stores for `d`.
    pub(crate) fn inline(
        &mut self,
        conn: &rusqlite::Connection,
        d: Option<&Decision>,
    ) -> Result<(Option<i64>, Option<i64>)> {
        Ok(match d {
            Some(d) => (Some(d.category_id), Some(self.id(conn, d)?)),
            None => (None, None),
        })
    }
}

/// Every reason by id: (why, rule).
fn reason_kinds(conn: &rusqlite::Connection) -> Result<HashMap<i64, (LabelReason, Option<i64>)>> {
    let mut st = conn.prepare_cached("SELECT id, reason, rule_id FROM label_reasons")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The rows the person categorised (or said have no category), by account:
/// few, so scans look them up in memory instead of joining.
#[derive(Debug, Default)]
pub(crate) struct PersonLabels(HashMap<i64, HashMap<String, Option<i64>>>);

impl PersonLabels {
    /// Read from `labels` (all accounts, or one).
    pub(crate) fn load(conn: &rusqlite::Connection, account: Option<i64>) -> Result<Self> {
        let mut st = conn.prepare_cached(
            "SELECT account_id, identity, category_id FROM labels WHERE ?1 IS NULL OR account_id = ?1",
        )?;
        let mut out: HashMap<i64, HashMap<String, Option<i64>>> = HashMap::new();
        for row in st.query_map([account], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?)))? {
            let (account, identity, category) = row?;
            out.entry(account).or_default().insert(identity, category);
        }
        Ok(Self(out))
    }

    /// The person's label of a row: `None` when they gave none, `Some(None)`
    /// when they said "no category".
    pub(crate) fn get(&self, account_id: i64, identity: &str) -> Option<Option<i64>> {
        self.0.get(&account_id)?.get(identity).copied()
    }
}

/// Counterparty keys the person categorised consistently: key → (category,
/// the reason for a payment to it, the reason for a payment from it).
#[derive(Debug, Default)]
pub(crate) struct Similar(HashMap<String, (i64, Arc<str>, Arc<str>)>);

impl Similar {
    /// Read from the person's labels.
    pub(crate) fn load(conn: &rusqlite::Connection) -> Result<Self> {
        let mut st = conn.prepare_cached(
            // From the person's labels (few rows), never from the
            // transactions: this runs for every page a sync commits.
            "SELECT t.counterparty_key, min(t.counterparty_clean), l.category_id, count(*)
             FROM labels l CROSS JOIN transactions t
             WHERE l.category_id IS NOT NULL AND t.account_id = l.account_id AND t.identity = l.identity
               AND t.counterparty_key IS NOT NULL AND t.counterparty_key <> ''
             GROUP BY t.counterparty_key, l.category_id",
        )?;
        let mut by_key: HashMap<String, Vec<(i64, usize, String)>> = HashMap::new();
        for row in st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })? {
            let (key, name, category, n) = row?;
            by_key.entry(key).or_default().push((category, n as usize, name.unwrap_or_default()));
        }
        Ok(Self(
            by_key
                .into_iter()
                .filter_map(|(k, v)| match v.as_slice() {
                    [(c, n, name)] if *n >= SIMILAR_EVIDENCE => Some((
                        k,
                        (
                            *c,
                            Arc::from(format!("like {n} earlier payments to {name}")),
                            Arc::from(format!("like {n} earlier payments from {name}")),
                        ),
                    )),
                    _ => None,
                })
                .collect(),
        ))
    }
}

/// What a rule or the person's earlier choices say about one row.
pub(crate) fn decide(
    rules: &CompiledRules,
    similar: &Similar,
    facts: &Facts<'_>,
    counterparty_key: Option<&str>,
) -> Option<Decision> {
    if let Some(id) = rules.set.first_match(facts) {
        let (detail, category_id) = rules.meta.get(&id)?;
        return Some(Decision {
            category_id: *category_id,
            reason: LabelReason::Rule,
            rule_id: Some(id),
            detail: detail.clone(),
        });
    }
    let (category_id, to, from) = similar.0.get(counterparty_key?)?;
    Some(Decision {
        category_id: *category_id,
        reason: LabelReason::Similar,
        rule_id: None,
        detail: if facts.amount.is_sign_negative() { to.clone() } else { from.clone() },
    })
}

/// A row's category as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The category.
    pub category_id: i64,
    /// Its path.
    pub category: String,
    /// Why the row has it.
    pub reason: LabelReason,
    /// The reason in words ("rule Supermarkets", "you").
    pub detail: String,
}

/// What applying the rules did or would do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rows looked at.
    pub examined: usize,
    /// Rows whose category changes (or would).
    pub changed: usize,
    /// The step to undo, when something changed.
    pub batch: Option<i64>,
}

/// A step that changed labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Id.
    pub id: i64,
    /// What it did.
    pub what: String,
    /// Rows it changed.
    pub rows: i64,
    /// When.
    pub created_at: String,
}

/// The rows the rules read, with their own decision (the person's labels
/// and aliases are applied from memory), and what undo and the day sums
/// need: no join, the rows alone.
const APPLY_SQL: &str = "SELECT t.account_id, t.identity, t.booking_date, t.amount_minor, t.scale,
    t.counterparty_clean, t.counterparty_key, t.counterparty_name, t.counterparty_account,
    t.description, t.remittance, t.creditor_reference, t.bank_transaction_code, t.mandate,
    t.auto_category_id, t.auto_reason_id, t.id, t.currency
    FROM transactions t";

/// One row's change of its own decision.
struct Change {
    id: i64,
    account_id: i64,
    identity: String,
    /// (category, reason) before.
    before: (Option<i64>, Option<i64>),
    after: Option<Decision>,
}

/// How many slices of the id range [`Store::apply_rules`] hands out.
const SLICES: i64 = 64;

/// What one slice of the rows decided.
struct Slice {
    examined: usize,
    recategorised: usize,
    changes: Vec<Change>,
    days: crate::category_days::Deltas,
}

/// What the rules see besides the rows: the person's labels, the reasons
/// rows point at, the names the person gave counterparties.
struct Context {
    persons: PersonLabels,
    kinds: HashMap<i64, (LabelReason, Option<i64>)>,
    aliases: HashMap<String, String>,
}

/// Reads the rows of `ids` and decides each (see [`Store::apply_rules`]).
fn decide_slice(
    conn: &rusqlite::Connection,
    ids: (i64, i64),
    rules: &CompiledRules,
    similar: &Similar,
    cx: &Context,
    dry_run: bool,
) -> Result<Slice> {
    let mut out = Slice { examined: 0, recategorised: 0, changes: Vec::new(), days: Default::default() };
    scan_ids(conn, cx, ids, |row, r| {
        out.examined += 1;
        if row.decided_elsewhere(cx) {
            return Ok(());
        }
        let d = decide(rules, similar, &row.facts, row.key.filter(|k| !k.is_empty()));
        let (category, reason) = row.auto;
        let same_category = d.as_ref().map(|d| d.category_id) == category;
        let same = same_category
            && match &d {
                Some(d) => reason.and_then(|w| cx.kinds.get(&w)) == Some(&(d.reason, d.rule_id)),
                None => true,
            };
        out.recategorised += usize::from(!same_category);
        if same || dry_run {
            return Ok(());
        }
        if !same_category {
            out.days.moved(
                &crate::category_days::RowAmount {
                    account_id: row.account_id,
                    day: row.booking.to_owned(),
                    minor: row.minor,
                    currency: r.get(17)?,
                    scale: row.scale,
                    key: row.key.unwrap_or_default().to_owned(),
                    clean: row.clean.unwrap_or_default().to_owned(),
                },
                category,
                d.as_ref().map(|d| d.category_id),
            );
        }
        out.changes.push(Change {
            id: r.get(16)?,
            account_id: row.account_id,
            identity: row.identity.to_owned(),
            before: row.auto,
            after: d,
        });
        Ok(())
    })?;
    Ok(out)
}

/// One row as the rules see it, read in place by [`scan`].
struct Scanned<'a> {
    account_id: i64,
    identity: &'a str,
    booking: &'a str,
    minor: i64,
    scale: u32,
    clean: Option<&'a str>,
    key: Option<&'a str>,
    /// Its own decision: (category, reason).
    auto: (Option<i64>, Option<i64>),
    facts: Facts<'a>,
}

impl Scanned<'_> {
    /// Whether the person or a transfer decided the row (rules leave it alone).
    fn decided_elsewhere(&self, cx: &Context) -> bool {
        cx.persons.get(self.account_id, self.identity).is_some()
            || self.auto.1.and_then(|w| cx.kinds.get(&w)).is_some_and(|(why, _)| *why == LabelReason::Transfer)
    }
}

/// Calls `f` for every row (with its [`APPLY_SQL`] row, for the columns
/// only a change needs); a row's counterparty is the name the person gave
/// it, else the clean one.
fn scan(
    conn: &rusqlite::Connection,
    cx: &Context,
    f: impl FnMut(&Scanned<'_>, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    scan_ids(conn, cx, (i64::MIN, i64::MAX), f)
}

/// [`scan`] over the rows whose id is in `ids` (inclusive).
fn scan_ids(
    conn: &rusqlite::Connection,
    cx: &Context,
    ids: (i64, i64),
    mut f: impl FnMut(&Scanned<'_>, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut st = conn.prepare_cached(&format!("{APPLY_SQL} WHERE t.id BETWEEN ?1 AND ?2"))?;
    let mut it = st.query(params![ids.0, ids.1])?;
    while let Some(r) = it.next()? {
        let text = |i: usize| -> rusqlite::Result<Option<&str>> { Ok(r.get_ref(i)?.as_str_or_null()?) };
        let account_id: i64 = r.get(0)?;
        let (minor, scale): (i64, u32) = (r.get(3)?, r.get(4)?);
        let booking = text(2)?.unwrap_or_default();
        let (clean, key) = (text(5)?, text(6)?);
        let row = Scanned {
            account_id,
            identity: text(1)?.unwrap_or_default(),
            booking,
            minor,
            scale,
            clean,
            key,
            auto: (r.get(14)?, r.get(15)?),
            facts: Facts {
                account_id,
                booking_date: booking.parse().ok(),
                amount: crate::StoredAmount { minor, scale }.to_decimal(),
                counterparty: key.and_then(|k| cx.aliases.get(k)).map(String::as_str).or(clean),
                counterparty_raw: text(7)?,
                iban: text(8)?,
                description: text(9)?,
                remittance: text(10)?,
                reference: text(11)?,
                bank_code: text(12)?,
                mandate: text(13)?,
            },
        };
        f(&row, r)?;
    }
    Ok(())
}

/// Writes the person's label for a row (`None`: "no category"), recording
/// the one it replaces (or that there was none) under `batch`.
fn write_person_label(
    tx: &rusqlite::Transaction<'_>,
    days: &mut crate::category_days::Deltas,
    batch: i64,
    account_id: i64,
    identity: &str,
    category: Option<i64>,
    now: &str,
) -> Result<()> {
    crate::category_days::track(tx, days, account_id, identity, || {
        tx.prepare_cached(
            "INSERT INTO label_undo (batch_id, account_id, identity, person, category_id, reason_id, set_at)
             SELECT ?1, ?2, ?3, 1, l.category_id, NULL, l.set_at FROM (SELECT 1)
             LEFT JOIN labels l ON l.account_id = ?2 AND l.identity = ?3",
        )?
        .execute(params![batch, account_id, identity])?;
        tx.prepare_cached(
            "INSERT INTO labels (account_id, identity, category_id, set_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, identity) DO UPDATE SET category_id = excluded.category_id, set_at = excluded.set_at",
        )?
        .execute(params![account_id, identity, category, now])?;
        Ok(())
    })
}

fn new_batch(tx: &rusqlite::Transaction<'_>, what: &str, now: &str) -> Result<i64> {
    tx.execute("INSERT INTO label_batches (what, rows, created_at) VALUES (?1, 0, ?2)", params![what, now])?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// A row's label: the person's choice, else the row's own decision.
    pub fn label(&self, transaction_id: i64) -> Result<Option<Label>> {
        Ok(self
            .conn
            .query_row(
                "SELECT c.id, c.path, CASE WHEN l.identity IS NULL THEN coalesce(r.reason, 'rule') ELSE 'person' END,
                        CASE WHEN l.identity IS NULL THEN coalesce(r.detail, '') ELSE 'you' END
                 FROM transactions t LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
                 LEFT JOIN label_reasons r ON r.id = t.auto_reason_id
                 JOIN categories c ON c.id = CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END
                 WHERE t.id = ?1",
                [transaction_id],
                |r| Ok(Label { category_id: r.get(0)?, category: r.get(1)?, reason: r.get(2)?, detail: r.get(3)? }),
            )
            .optional()?)
    }

    /// The person puts rows in a category (`None`: no category, which rules
    /// then leave alone too), as one step that can be undone. Rows that do
    /// not exist are skipped; returns the step and how many rows changed. A
    /// leg of a transfer filed as anything but a transfer is not a transfer
    /// any more (the other leg loses its transfer label; detection leaves
    /// the row alone).
    pub fn set_category(&mut self, rows: &[i64], category: Option<i64>, now: DateTime<Utc>) -> Result<(i64, usize)> {
        let now_s = now.to_rfc3339();
        let tx = self.conn.transaction()?;
        let path: Option<String> = match category {
            Some(c) => Some(
                tx.query_row("SELECT path FROM categories WHERE id = ?1", [c], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| StoreError::Corrupt(format!("there is no category {c}")))?,
            ),
            None => None,
        };
        let what = match &path {
            Some(p) => format!("put in {p} by you"),
            None => "category removed by you".to_owned(),
        };
        let batch = new_batch(&tx, &what, &now_s)?;
        let mut changed = 0;
        let mut days = crate::category_days::Deltas::default();
        let unique: std::collections::BTreeSet<i64> = rows.iter().copied().collect();
        for id in &unique {
            let key: Option<(i64, String)> = tx
                .query_row("SELECT account_id, identity FROM transactions WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((account_id, identity)) = key {
                write_person_label(&tx, &mut days, batch, account_id, &identity, category, &now_s)?;
                changed += 1;
            }
        }
        std::mem::take(&mut days).flush(&tx)?;
        tx.execute("UPDATE label_batches SET rows = ?2 WHERE id = ?1", params![batch, changed as i64])?;
        tx.commit()?;
        // Filed by the person as anything but a transfer: it is not one (both
        // legs leave the transfer; exports, reports and the list agree).
        let kind: Option<crate::states::CategoryKind> = match category {
            Some(c) => {
                self.conn.query_row("SELECT kind FROM categories WHERE id = ?1", [c], |r| r.get(0)).optional()?
            }
            None => None,
        };
        if kind != Some(crate::states::CategoryKind::Transfer) {
            for id in &unique {
                let in_transfer: bool = self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM transactions t JOIN transfers x
                       ON (x.out_account = t.account_id AND x.out_identity = t.identity)
                       OR (x.in_account = t.account_id AND x.in_identity = t.identity) WHERE t.id = ?1)",
                    [id],
                    |r| r.get(0),
                )?;
                if in_transfer {
                    self.not_a_transfer(*id)?;
                }
            }
        }
        Ok((batch, changed))
    }

    /// What the rules see besides the rows.
    fn rules_context(&self) -> Result<Context> {
        Ok(Context {
            persons: PersonLabels::load(&self.conn, None)?,
            kinds: reason_kinds(&self.conn)?,
            aliases: self.alias_names()?,
        })
    }

    /// Applies the rules (and the person's consistent earlier choices) to
    /// every row the person did not categorise and that is not a transfer,
    /// as one step that can be undone. With `dry_run`, only counts.
    pub fn apply_rules(&mut self, dry_run: bool, now: DateTime<Utc>) -> Result<Applied> {
        let rules = self.compiled_rules()?;
        let similar = Similar::load(&self.conn)?;
        let now_s = now.to_rfc3339();
        // The write lock first: nothing changes between what the readers
        // below see (the last commit) and what this step writes.
        let aliases = self.alias_names()?;
        let tx = self.conn.transaction_with_behavior(if dry_run {
            rusqlite::TransactionBehavior::Deferred
        } else {
            rusqlite::TransactionBehavior::Immediate
        })?;
        let cx = Context { persons: PersonLabels::load(&tx, None)?, kinds: reason_kinds(&tx)?, aliases };
        let range: (Option<i64>, Option<i64>) =
            tx.query_row("SELECT min(id), max(id) FROM transactions", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (Some(lo), Some(hi)) = range else { return Ok(Applied::default()) };
        let batch = if dry_run { None } else { Some(new_batch(&tx, "rules applied", &now_s)?) };
        // Rows are read and decided on other connections, one slice of the
        // id range at a time by whichever reader is free (both cores busy
        // whatever the history's shape), while this connection writes the
        // changes as they come.
        let step = ((hi - lo) / SLICES).saturating_add(1);
        let next = std::sync::atomic::AtomicI64::new(lo);
        let readers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get).clamp(1, 4);
        let (path, key) = (&self.path, &self.key);
        let mut out = Applied::default();
        let mut written = 0usize;
        let mut days = crate::category_days::Deltas::default();
        let mut reasons = ReasonIds::default();
        std::thread::scope(|scope| -> Result<()> {
            let (send, recv) = std::sync::mpsc::sync_channel::<Result<Slice>>(readers * 2);
            for _ in 0..readers {
                let send = send.clone();
                let (rules, similar, cx, next) = (&rules, &similar, &cx, &next);
                scope.spawn(move || {
                    let work = || -> Result<()> {
                        let conn = crate::open::open_keyed(path, key)?;
                        conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -16384;")?;
                        loop {
                            let start = next.fetch_add(step, std::sync::atomic::Ordering::Relaxed);
                            if start > hi {
                                return Ok(());
                            }
                            let ids = (start, start.saturating_add(step - 1).min(hi));
                            let slice = decide_slice(&conn, ids, rules, similar, cx, dry_run)?;
                            if send.send(Ok(slice)).is_err() {
                                return Ok(()); // the writer stopped (an error): nothing more to do
                            }
                        }
                    };
                    if let Err(e) = work() {
                        let _ = send.send(Err(e));
                    }
                });
            }
            drop(send);
            let mut undo = tx.prepare_cached(
                "INSERT INTO label_undo (batch_id, account_id, identity, person, category_id, reason_id, set_at)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, NULL)",
            )?;
            let mut set =
                tx.prepare_cached("UPDATE transactions SET auto_category_id = ?2, auto_reason_id = ?3 WHERE id = ?1")?;
            for slice in recv {
                let slice = slice?;
                out.examined += slice.examined;
                out.changed += slice.recategorised;
                days.merge(slice.days);
                let Some(batch) = batch else { continue };
                // Rows whose reason changes (another rule, the same category)
                // are rewritten too: the reason shown is the rule that decides now.
                for c in &slice.changes {
                    undo.execute(params![batch, c.account_id, c.identity, c.before.0, c.before.1])?;
                    let (category, reason) = reasons.inline(&tx, c.after.as_ref())?;
                    set.execute(params![c.id, category, reason])?;
                }
                written += slice.changes.len();
            }
            Ok(())
        })?;
        let Some(batch) = batch.filter(|_| written > 0) else { return Ok(out) }; // dropped: rolled back
        days.flush(&tx)?;
        tx.execute(
            "UPDATE label_batches SET what = ?2, rows = ?3 WHERE id = ?1",
            params![batch, format!("rules applied: {} row(s) changed category", out.changed), written as i64],
        )?;
        tx.commit()?;
        out.batch = Some(batch);
        Ok(out)
    }

    /// The names the person gave counterparties, by merge key.
    pub(crate) fn alias_names(&self) -> Result<HashMap<String, String>> {
        let mut st = self.conn.prepare_cached("SELECT match_key, name FROM aliases")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many rows one rule would categorise (rows the person or a
    /// transfer already decided are not counted), and how many of those
    /// would change category.
    pub fn preview_rule(&self, when: &Conditions, category_id: i64) -> Result<(usize, usize)> {
        let set = RuleSet::new([(0, when)]);
        let cx = self.rules_context()?;
        let (mut matched, mut changed) = (0, 0);
        scan(&self.conn, &cx, |row, _| {
            if row.decided_elsewhere(&cx) {
                return Ok(());
            }
            if set.first_match(&row.facts).is_some() {
                matched += 1;
                if row.auto.0 != Some(category_id) {
                    changed += 1;
                }
            }
            Ok(())
        })?;
        Ok((matched, changed))
    }

    /// The steps that can still be undone, newest first.
    pub fn label_batches(&self) -> Result<Vec<Batch>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, what, rows, created_at FROM label_batches WHERE undone_at IS NULL ORDER BY id DESC",
        )?;
        let rows = st
            .query_map([], |r| Ok(Batch { id: r.get(0)?, what: r.get(1)?, rows: r.get(2)?, created_at: r.get(3)? }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Undoes a step (the newest with `None`): every row it changed gets
    /// back what the step replaced — the person's label (or none) for a
    /// person's step, the row's own decision for rules applied (a label
    /// the person gave the row since stays). Returns the step undone.
    pub fn undo_labels(&mut self, batch: Option<i64>, now: DateTime<Utc>) -> Result<Option<Batch>> {
        let target = match batch {
            Some(b) => self.label_batches()?.into_iter().find(|x| x.id == b),
            None => self.label_batches()?.into_iter().next(),
        };
        let Some(target) = target else { return Ok(None) };
        let tx = self.conn.transaction()?;
        // Each row moves from the category it shows to the one it will show:
        // count the moves first, and find the rows whose own decision goes
        // back. (A category deleted since reads as none.)
        let mut days = crate::category_days::Deltas::default();
        let mut decisions: Vec<(i64, Option<i64>, Option<i64>)> = Vec::new();
        {
            let mut st = tx.prepare(
                "SELECT t.account_id, t.booking_date, t.amount_minor, t.currency, t.scale,
                        coalesce(t.counterparty_key, ''), coalesce(t.counterparty_clean, ''),
                        CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END,
                        CASE WHEN u.person = 1 THEN CASE WHEN u.set_at IS NULL THEN t.auto_category_id ELSE c.id END
                             WHEN l.identity IS NULL THEN c.id ELSE l.category_id END,
                        u.person, t.id, c.id, iif(c.id IS NULL, NULL, u.reason_id)
                 FROM label_undo u JOIN transactions t ON t.account_id = u.account_id AND t.identity = u.identity
                 LEFT JOIN labels l ON l.account_id = u.account_id AND l.identity = u.identity
                 LEFT JOIN categories c ON c.id = u.category_id
                 WHERE u.batch_id = ?1",
            )?;
            let mut rows = st.query([target.id])?;
            while let Some(r) = rows.next()? {
                let row = crate::category_days::RowAmount {
                    account_id: r.get(0)?,
                    day: r.get(1)?,
                    minor: r.get(2)?,
                    currency: r.get(3)?,
                    scale: r.get(4)?,
                    key: r.get(5)?,
                    clean: r.get(6)?,
                };
                days.moved(&row, r.get(7)?, r.get(8)?);
                if r.get::<_, i64>(9)? == 0 {
                    decisions.push((r.get(10)?, r.get(11)?, r.get(12)?));
                }
            }
        }
        // The person's labels.
        tx.execute(
            "DELETE FROM labels WHERE (account_id, identity) IN
             (SELECT account_id, identity FROM label_undo WHERE batch_id = ?1 AND person = 1 AND set_at IS NULL)",
            [target.id],
        )?;
        tx.execute(
            "INSERT INTO labels (account_id, identity, category_id, set_at)
             SELECT u.account_id, u.identity, c.id, u.set_at
             FROM label_undo u JOIN transactions t ON t.account_id = u.account_id AND t.identity = u.identity
             LEFT JOIN categories c ON c.id = u.category_id
             WHERE u.batch_id = ?1 AND u.person = 1 AND u.set_at IS NOT NULL
             ON CONFLICT (account_id, identity) DO UPDATE SET category_id = excluded.category_id, set_at = excluded.set_at",
            [target.id],
        )?;
        // The rows' own decisions, in row order (each write beside the last;
        // by identity, they would land all over the table).
        decisions.sort_unstable_by_key(|d| d.0);
        {
            let mut set =
                tx.prepare_cached("UPDATE transactions SET auto_category_id = ?2, auto_reason_id = ?3 WHERE id = ?1")?;
            for (id, category, reason) in &decisions {
                set.execute(params![id, category, reason])?;
            }
        }
        days.flush(&tx)?;
        tx.execute("UPDATE label_batches SET undone_at = ?2 WHERE id = ?1", params![target.id, now.to_rfc3339()])?;
        tx.execute("DELETE FROM label_undo WHERE batch_id = ?1", [target.id])?;
        tx.commit()?;
        Ok(Some(target))
    }

    /// Rules Saldo proposes from the person's own choices, each with how
    /// many rows it would change now. Never applied without the person.
    pub fn rule_proposals(&self) -> Result<Vec<(Proposal, usize)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT coalesce(a.name, t.counterparty_clean), c.path
             FROM labels l JOIN transactions t ON t.account_id = l.account_id AND t.identity = l.identity
             JOIN categories c ON c.id = l.category_id LEFT JOIN aliases a ON a.match_key = t.counterparty_key
             WHERE t.counterparty_clean IS NOT NULL AND t.counterparty_clean <> ''",
        )?;
        let choices: Vec<(String, String)> =
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let existing: Vec<Conditions> = self.rules()?.into_iter().map(|r| r.when).collect();
        let mut out = Vec::new();
        for p in rules::propose(&choices, &existing, 2) {
            let Some(category) = self.category_by_path(&p.rule.category)? else { continue };
            let (_, changed) = self.preview_rule(&p.rule.when, category.id)?;
            out.push((p, changed));
        }
        Ok(out)
    }
}

/// The other party of a row as stored from the gateway (which names it in
/// one field, `counterpartName`; imported statements give more).
pub(crate) fn party_of(
    debit: bool,
    name: Option<&str>,
    description: Option<&str>,
    remittance: Option<&str>,
    holder: Option<&str>,
) -> Option<saldo_classify::counterparty::Counterparty> {
    let holders: Vec<&str> = holder.into_iter().collect();
    saldo_classify::counterparty::identify(&saldo_classify::counterparty::Parties {
        debit,
        counterparty_name: name,
        creditor_name: None,
        debtor_name: None,
        ultimate_creditor: None,
        ultimate_debtor: None,
        remittance,
        description,
        holder_names: &holders,
    })
}

/// The setting that says every row has its counterparty looked at.
const FILLED: &str = "classify:counterparties-filled";

impl Store {
    /// Gives rows stored before clean counterparties existed (schema v8)
    /// their clean name and key, once; how many rows it filled.
    pub fn fill_counterparties(&mut self) -> Result<usize> {
        if self.setting(FILLED)?.is_some() {
            return Ok(0);
        }
        let mut filled = 0;
        loop {
            // id, amount (minor), counterparty, description, remittance, account holder
            type Unfilled = (i64, i64, Option<String>, Option<String>, Option<String>, Option<String>);
            let rows: Vec<Unfilled> = {
                let mut st = self.conn.prepare_cached(
                    "SELECT t.id, t.amount_minor, t.counterparty_name, t.description, t.remittance, a.owner_name
                     FROM transactions t JOIN accounts a ON a.id = t.account_id
                     WHERE t.counterparty_clean IS NULL LIMIT 20000",
                )?;
                let rows =
                    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if rows.is_empty() {
                break;
            }
            let tx = self.conn.transaction()?;
            {
                let mut set = tx.prepare_cached(
                    "UPDATE transactions SET counterparty_clean = ?2, counterparty_key = ?3 WHERE id = ?1",
                )?;
                let mut where_ = tx.prepare_cached("SELECT account_id, identity FROM transactions WHERE id = ?1")?;
                let mut days = crate::category_days::Deltas::default();
                for (id, minor, name, description, remittance, holder) in &rows {
                    let party = party_of(
                        *minor < 0,
                        name.as_deref(),
                        description.as_deref(),
                        remittance.as_deref(),
                        holder.as_deref(),
                    );
                    let (clean, key) = party.as_ref().map_or(("", ""), |p| (p.clean.as_str(), p.key.as_str()));
                    // The day sums held the row under no counterparty; now under its own.
                    let (account, identity): (i64, String) = where_.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    if let Some((row, category)) = crate::category_days::row_and_category(&tx, account, &identity)? {
                        days.count(&row, category, false);
                        let named =
                            crate::category_days::RowAmount { key: key.to_owned(), clean: clean.to_owned(), ..row };
                        days.count(&named, category, true);
                    }
                    set.execute(params![id, clean, key])?;
                }
                days.flush(&tx)?;
            }
            tx.commit()?;
            filled += rows.len();
        }
        self.set_setting(FILLED, "1")?;
        Ok(filled)
    }
}
