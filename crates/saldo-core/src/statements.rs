//! Bank statement files (issue 17): any supported format read into the one
//! shape of `saldo_statements`, and what their balances say before anything
//! is imported — a statement whose opening balance plus its booked entries
//! is not its closing balance, or a gap between two statements of one
//! account, is flagged with the exact difference (a missing statement, a
//! wrong sign).

use std::path::Path;

use rust_decimal::Decimal;
use saldo_statements::{Format, Statement};
pub use saldo_statements_files::csv::CsvProfile;
use saldo_statements_files::qif::QifOptions;
use serde::Serialize;

use crate::{CoreError, Result};

/// The file kinds `read` tells apart (camt covers 052/053/054, MT940 covers MT942).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ISO 20022 camt.052/053/054.
    Camt,
    /// SWIFT MT940/MT942.
    Mt940,
    /// Belgian CODA.
    Coda,
    /// OFX/QFX.
    Ofx,
    /// QIF.
    Qif,
    /// CSV (needs a column profile: a built-in bank's, a saved one, or a guess).
    Csv,
}

impl std::str::FromStr for Kind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "camt" | "camt052" | "camt053" | "camt054" | "camt.052" | "camt.053" | "camt.054" => Self::Camt,
            "mt940" | "mt942" | "sta" => Self::Mt940,
            "coda" | "cod" => Self::Coda,
            "ofx" | "qfx" => Self::Ofx,
            "qif" => Self::Qif,
            "csv" => Self::Csv,
            other => {
                return Err(CoreError::Invalid(format!(
                    "unknown statement format {other:?}; use camt, mt940, coda, ofx, qif or csv"
                )))
            }
        })
    }
}

/// Whether `text` starts with an MT940 field tag (`:20:`, `:25:`, `:60F:`,
/// `:61:`, …): a statement, or a fragment of one a bank cut off.
fn mt940_tag(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 4
        && b[0] == b':'
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && (b[3] == b':' || (b[3].is_ascii_uppercase() && b.get(4) == Some(&b':')))
}

/// What the file's first bytes say it is.
pub fn detect(bytes: &[u8]) -> Kind {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') && head.contains("camt.05") {
        Kind::Camt
    } else if saldo_statements_files::ofx::sniff(bytes) {
        Kind::Ofx
    } else if saldo_statements_files::qif::sniff(bytes) {
        Kind::Qif
    } else if trimmed.starts_with("0000") && trimmed.lines().next().is_some_and(|l| l.trim_end().chars().count() >= 120)
    {
        Kind::Coda
    } else if trimmed.starts_with("{1:") || mt940_tag(trimmed) || head.contains("\n:20:") || head.contains("\n:25:") {
        Kind::Mt940
    } else {
        Kind::Csv
    }
}

/// A file read: its statements and what the reader skipped or guessed.
#[derive(Clone, Debug, Serialize)]
pub struct Read {
    /// The statements, in the file's order.
    pub statements: Vec<Statement>,
    /// Notes (an investment account skipped, a balance column that does not add up).
    pub notes: Vec<String>,
    /// The CSV profile used, when the file was CSV.
    pub profile: Option<String>,
}

/// Reads `bytes` as `kind` (else as detected). A CSV file uses `profile`
/// (else the built-in bank profile whose name contains `profile_name`,
/// else a guess from the data).
pub fn read(bytes: &[u8], kind: Option<Kind>, profile: Option<CsvProfile>) -> Result<Read> {
    let bad = |e: saldo_statements::ReadError| CoreError::Invalid(format!("the file cannot be read: {e}"));
    let kind = kind.unwrap_or_else(|| detect(bytes));
    let plain = |statements| Read { statements, notes: Vec::new(), profile: None };
    let notes = |n: Vec<saldo_statements_files::Note>| {
        n.into_iter().map(|n| n.line.map_or(n.message.clone(), |l| format!("line {l}: {}", n.message))).collect()
    };
    Ok(match kind {
        Kind::Camt => plain(saldo_statements_iso::read_camt(bytes).map_err(bad)?),
        Kind::Mt940 => plain(saldo_statements_iso::read_mt940(bytes).map_err(bad)?),
        Kind::Coda => plain(saldo_statements_iso::read_coda(bytes).map_err(bad)?),
        Kind::Ofx => {
            let r = saldo_statements_files::ofx::read_with_notes(bytes).map_err(bad)?;
            Read { statements: r.statements, notes: notes(r.notes), profile: None }
        }
        Kind::Qif => {
            let r = saldo_statements_files::qif::read_with_notes(bytes, &QifOptions::default()).map_err(bad)?;
            Read { statements: r.statements, notes: notes(r.notes), profile: None }
        }
        Kind::Csv => {
            let profile = profile.unwrap_or_else(|| saldo_statements_files::csv::guess_profile(bytes));
            let r = saldo_statements_files::csv::read_with_notes(bytes, &profile).map_err(bad)?;
            Read { statements: r.statements, notes: notes(r.notes), profile: Some(profile.name) }
        }
    })
}

/// A built-in CSV profile by (part of) its bank's name, case-insensitive.
pub fn builtin_profile(name: &str) -> Result<CsvProfile> {
    let wanted = name.to_lowercase();
    let all = saldo_statements_files::csv::builtin_profiles()
        .map_err(|e| CoreError::Local(format!("the built-in CSV profiles are damaged: {e}")))?;
    let names: Vec<String> = all.iter().map(|p| p.name.clone()).collect();
    all.into_iter().find(|p| p.name.to_lowercase().contains(&wanted)).ok_or_else(|| {
        CoreError::Invalid(format!("no built-in CSV profile matches {name:?}; there are: {}", names.join(", ")))
    })
}

/// Reads a file (see [`read`]).
pub fn read_file(path: &Path, kind: Option<Kind>, profile: Option<CsvProfile>) -> Result<Read> {
    let bytes = std::fs::read(path).map_err(|e| CoreError::Local(format!("cannot read {}: {e}", path.display())))?;
    read(&bytes, kind, profile)
}

/// What one statement's balances say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The statement's position in the file (0-based).
    pub statement: usize,
    /// Its format.
    pub format: Format,
    /// Booked entries.
    pub entries: usize,
    /// Pending entries (not in the sums).
    pub pending: usize,
    /// The exact sum of its booked entries.
    #[serde(with = "rust_decimal::serde::str")]
    pub sum: Decimal,
    /// Opening + booked entries − closing, when both balances are given
    /// (zero: they add up).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub difference: Option<Decimal>,
    /// This opening − the previous statement's closing, for consecutive
    /// statements of the same account (not zero: a statement is missing
    /// between them, or a sign is wrong).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gap_before: Option<Decimal>,
}

/// Checks every statement's balances, and the chain between consecutive
/// statements of the same account (R17: exact, no rounding).
pub fn check(statements: &[Statement]) -> Vec<Check> {
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let booked = s.entries.iter().filter(|e| e.booked);
            let sum: Decimal = booked.clone().map(|e| e.amount).sum();
            let entries = booked.count();
            let previous = statements[..i].iter().rev().find(|p| p.account == s.account);
            check_one(i, s, entries, s.entries.len() - entries, sum, previous.and_then(|p| p.closing.as_ref()))
        })
        .collect()
}

/// One statement's check from its booked entries' count and exact sum and
/// the closing balance of the previous statement of its account (the
/// import keeps these as the entries stream past).
pub fn check_one(
    index: usize,
    s: &Statement,
    entries: usize,
    pending: usize,
    sum: Decimal,
    previous_closing: Option<&saldo_statements::Balance>,
) -> Check {
    Check {
        statement: index,
        format: s.format,
        entries,
        pending,
        sum,
        difference: s.opening.as_ref().zip(s.closing.as_ref()).map(|(o, c)| o.amount + sum - c.amount),
        gap_before: previous_closing.zip(s.opening.as_ref()).map(|(closing, opening)| opening.amount - closing.amount),
    }
}

/// A stored row as the matcher sees it.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its row id.
    pub id: i64,
    /// Booking date.
    pub booking_date: chrono::NaiveDate,
    /// Exact amount.
    pub amount: Decimal,
    /// The counterparty as the bank named it.
    pub counterparty: Option<String>,
    /// The bank's id of the row.
    pub bank_id: Option<String>,
}

/// What one entry of a file is, against what is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Match {
    /// Not stored: an import would add it.
    New,
    /// Already here (the bank sent it): an import adds nothing.
    Known {
        /// The stored row.
        id: i64,
    },
    /// Probably the stored row, but something differs: the person decides.
    Conflict {
        /// The stored row.
        id: i64,
        /// What differs.
        why: String,
    },
}

/// Days a file's booking date may differ from the bank's for the same
/// counterparty and amount (files and APIs disagree on weekends and cut-offs).
pub const DATE_SLACK_DAYS: i64 = 3;

fn party_key(name: Option<&str>) -> String {
    name.map(|n| saldo_classify::counterparty::key(&saldo_classify::counterparty::normalise(n))).unwrap_or_default()
}

/// The counterparty keys of names seen before: a statement names the same
/// merchants, employers and landlords over and over, and so do the stored
/// rows it is matched against (bounded: forgotten when it holds too many).
#[derive(Debug, Default)]
pub struct PartyKeys(foldhash::HashMap<String, String>);

impl PartyKeys {
    const MAX: usize = 1 << 16;

    /// Learns the keys of `names` (forgetting the others first when they
    /// would be too many).
    fn learn<'n>(&mut self, names: impl Iterator<Item = Option<&'n str>> + Clone) {
        if self.0.len() + names.clone().count() > Self::MAX {
            self.0.clear();
        }
        for name in names.flatten() {
            if !self.0.contains_key(name) {
                self.0.insert(name.to_owned(), party_key(Some(name)));
            }
        }
    }

    /// The key of a name learnt (none: empty).
    fn get(&self, name: Option<&str>) -> &str {
        name.and_then(|n| self.0.get(n)).map_or("", String::as_str)
    }
}

/// Rows by key, each key's rows in the order pushed: the first and last
/// row of each key, and each row's next (foldhash: these are built for
/// every chunk of an import, and SipHash was a tenth of its time).
struct Chains<K> {
    ends: foldhash::HashMap<K, (usize, usize)>,
    next: Vec<usize>,
}

impl<K: std::hash::Hash + Eq> Chains<K> {
    const END: usize = usize::MAX;

    fn with_capacity(n: usize) -> Self {
        use foldhash::HashMapExt;
        Self { ends: foldhash::HashMap::with_capacity(n), next: vec![Self::END; n] }
    }

    /// Adds row `j` (rows are pushed in increasing order).
    fn push(&mut self, key: K, j: usize) {
        match self.ends.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let last = &mut e.get_mut().1;
                self.next[*last] = j;
                *last = j;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((j, j));
            }
        }
    }

    /// The rows of `key`, in the order pushed.
    fn rows(&self, key: &K) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.ends.get(key).map_or(Self::END, |&(first, _)| first);
        std::iter::from_fn(move || {
            let j = at;
            (j != Self::END).then(|| {
                at = self.next[j];
                j
            })
        })
    }
}

/// [`match_entries_with`], its keys computed afresh.
pub fn match_entries<E: std::borrow::Borrow<saldo_statements::Entry>>(entries: &[E], stored: &[Stored]) -> Vec<Match> {
    match_entries_with(entries, stored, &mut PartyKeys::default())
}

/// Matches a file's entries (one account) against the stored rows of that
/// account around their dates. Each stored row matches at most one entry,
/// so two identical payments in the file and one stored leave one new (R16:
/// twins stay twins). In order: the bank's reference; the same day and
/// amount (the same counterparty first); the same amount and counterparty
/// within [`DATE_SLACK_DAYS`].
pub fn match_entries_with<E: std::borrow::Borrow<saldo_statements::Entry>, S: std::borrow::Borrow<Stored>>(
    entries: &[E],
    stored: &[S],
    memo: &mut PartyKeys,
) -> Vec<Match> {
    let mut out = vec![Match::New; entries.len()];
    let mut used = vec![false; stored.len()];
    let stored: Vec<&Stored> = stored.iter().map(|s| s.borrow()).collect();
    memo.learn(
        stored
            .iter()
            .map(|s| s.counterparty.as_deref())
            .chain(entries.iter().map(|e| e.borrow().counterparty_name.as_deref())),
    );
    let memo = &*memo;
    let keys: Vec<&str> = stored.iter().map(|s| memo.get(s.counterparty.as_deref())).collect();
    // Indexes (stored rows in order, so "the first unused" is as a scan
    // finds it): each key's rows chained through one array, not a vector
    // per key (these are built for every chunk of an import).
    let mut by_reference = Chains::with_capacity(stored.len());
    let mut by_day = Chains::with_capacity(stored.len());
    let mut by_party = Chains::with_capacity(stored.len());
    for (j, s) in stored.iter().enumerate() {
        if let Some(r) = s.bank_id.as_deref() {
            by_reference.push(r, j);
        }
        by_day.push((s.booking_date, s.amount.normalize()), j);
        if !keys[j].is_empty() {
            by_party.push((s.amount.normalize(), keys[j]), j);
        }
    }
    // The bank's reference of the entry is the row's bank id.
    for (i, e) in entries.iter().enumerate() {
        let e = e.borrow();
        let Some(r) = e.bank_reference.as_deref().filter(|r| !r.trim().is_empty()) else { continue };
        let found = by_reference.rows(&r).find(|&j| !used[j]);
        if let Some(j) = found {
            used[j] = true;
            let s = &stored[j];
            let near = (s.booking_date - e.booking_date).num_days().abs() <= DATE_SLACK_DAYS;
            out[i] = if s.amount == e.amount && near {
                Match::Known { id: s.id }
            } else {
                Match::Conflict {
                    id: s.id,
                    why: format!("the bank's reference {r} is stored with {} on {}", s.amount, s.booking_date),
                }
            };
        }
    }
    // Each entry's counterparty key, once.
    let entry_keys: Vec<&str> = entries.iter().map(|e| memo.get(e.borrow().counterparty_name.as_deref())).collect();
    // The same day and amount.
    for (i, e) in entries.iter().enumerate() {
        let e = e.borrow();
        if out[i] != Match::New {
            continue;
        }
        let key = entry_keys[i];
        let day = (e.booking_date, e.amount.normalize());
        let same = by_day.rows(&day).find(|&j| !used[j] && !key.is_empty() && keys[j] == key);
        let Some(j) = same.or_else(|| by_day.rows(&day).find(|&j| !used[j])) else { continue };
        used[j] = true;
        out[i] = if key.is_empty() || keys[j].is_empty() || keys[j] == key {
            Match::Known { id: stored[j].id }
        } else {
            Match::Conflict {
                id: stored[j].id,
                why: format!(
                    "stored the same day with the same amount, but from or to {}",
                    stored[j].counterparty.as_deref().unwrap_or("someone else")
                ),
            }
        };
    }
    // The same amount and counterparty a few days apart.
    for (i, e) in entries.iter().enumerate() {
        let e = e.borrow();
        let key = entry_keys[i];
        if out[i] != Match::New || key.is_empty() {
            continue;
        }
        let near = by_party
            .rows(&(e.amount.normalize(), key))
            .filter(|&j| !used[j] && (stored[j].booking_date - e.booking_date).num_days().abs() <= DATE_SLACK_DAYS)
            .min_by_key(|&j| (stored[j].booking_date - e.booking_date).num_days().abs());
        if let Some(j) = near {
            used[j] = true;
            out[i] = Match::Known { id: stored[j].id };
        }
    }
    out
}

/// The stored rows of `account` from `from` to `to` (inclusive), for [`match_entries`].
pub fn stored_rows(
    store: &saldo_store::Store,
    account: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<Stored>> {
    let mut q = saldo_store::queries::TxQuery {
        account: Some(account),
        from: Some(from),
        to: Some(to),
        limit: 1000,
        ..saldo_store::queries::TxQuery::default()
    };
    let mut out = Vec::new();
    loop {
        let page = store.transactions_page(&q)?;
        for r in &page.rows {
            let Ok(booking_date) = r.booking_date.parse() else { continue };
            out.push(Stored {
                id: r.id,
                booking_date,
                amount: r.amount,
                counterparty: r.counterparty_name.clone(),
                bank_id: r.bank_id.clone(),
            });
        }
        match page.next {
            Some(c) => q.after = Some(c),
            None => return Ok(out),
        }
    }
}

/// The account a statement is for: the one whose IBAN it names, else `explicit`.
pub fn account_for(store: &saldo_store::Store, s: &Statement, explicit: Option<i64>) -> Result<Option<i64>> {
    if let Some(id) = explicit {
        return Ok(Some(id));
    }
    let Some(iban) = s.account.iban.as_deref() else { return Ok(None) };
    Ok(store
        .accounts(None, true)?
        .into_iter()
        .find(|a| a.iban.as_deref().and_then(saldo_statements::compact_iban).as_deref() == Some(iban))
        .map(|a| a.id))
}

/// Each entry of a statement against an account's stored rows (a preview:
/// nothing is written).
pub fn preview(store: &saldo_store::Store, account: i64, s: &Statement) -> Result<Vec<Match>> {
    let (Some(first), Some(last)) =
        (s.entries.iter().map(|e| e.booking_date).min(), s.entries.iter().map(|e| e.booking_date).max())
    else {
        return Ok(Vec::new());
    };
    let slack = chrono::Days::new(DATE_SLACK_DAYS as u64);
    let stored = stored_rows(store, account, first - slack, last + slack)?;
    Ok(match_entries(&s.entries, &stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use saldo_statements::{AccountRef, Balance, Entry};

    fn statement(opening: &str, amounts: &[&str], closing: &str) -> Statement {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let bal = |a: &str| Some(Balance { date: day, amount: a.parse().unwrap_or_default(), currency: None });
        Statement {
            format: Format::Camt053,
            id: None,
            account: AccountRef { iban: Some("BE68539007547034".into()), ..AccountRef::default() },
            opening: bal(opening),
            closing: bal(closing),
            entries: amounts
                .iter()
                .enumerate()
                .map(|(i, a)| Entry {
                    position: i + 1,
                    booking_date: day,
                    amount: a.parse().unwrap_or_default(),
                    booked: true,
                    ..Entry::default()
                })
                .collect(),
        }
    }

    #[test]
    fn balances_that_add_up_and_a_missing_statement_are_told_apart_to_the_cent() {
        let checks = check(&[statement("100.00", &["-20.50", "5"], "84.50"), statement("90.00", &["-0.01"], "89.98")]);
        assert_eq!(checks[0].difference, Some(Decimal::ZERO), "100 − 20.50 + 5 = 84.50");
        assert_eq!(checks[0].gap_before, None);
        assert_eq!(checks[1].gap_before, Some("5.50".parse().unwrap_or_default()), "90.00 opens after 84.50 closed");
        assert_eq!(checks[1].difference, Some("0.01".parse().unwrap_or_default()), "the exact difference");
    }

    fn entry(day: u32, amount: &str, party: Option<&str>, reference: Option<&str>) -> Entry {
        Entry {
            booking_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap_or_default(),
            amount: amount.parse().unwrap_or_default(),
            counterparty_name: party.map(str::to_owned),
            bank_reference: reference.map(str::to_owned),
            booked: true,
            ..Entry::default()
        }
    }

    fn row(id: i64, day: u32, amount: &str, party: Option<&str>, bank_id: Option<&str>) -> Stored {
        Stored {
            id,
            booking_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap_or_default(),
            amount: amount.parse().unwrap_or_default(),
            counterparty: party.map(str::to_owned),
            bank_id: bank_id.map(str::to_owned),
        }
    }

    /// R16: two identical coffees in the file and one stored: one is known,
    /// the other is new — never both known, never both new.
    #[test]
    fn twins_stay_twins_and_each_stored_row_matches_once() {
        let entries = [entry(4, "-4.50", Some("Bakery Jansen"), None), entry(4, "-4.50", Some("BAKERY JANSEN"), None)];
        let m = match_entries(&entries, &[row(7, 4, "-4.50", Some("Bakery Jansen"), None)]);
        assert_eq!(m, vec![Match::Known { id: 7 }, Match::New]);
    }

    #[test]
    fn references_days_apart_and_other_counterparties_are_told_apart() {
        let entries = [
            entry(2, "-20.00", Some("Shop"), Some("REF-1")),     // the bank's id
            entry(5, "-9.99", Some("Streaming Co"), None),       // booked two days later by the API
            entry(6, "-30.00", Some("Garage Peeters"), None),    // same day and amount, another party
            entry(7, "-12.00", Some("Pharmacy"), Some("REF-9")), // reference known, amount differs
            entry(8, "100.00", Some("Employer"), None),          // not stored
        ];
        let stored = [
            row(1, 3, "-20.00", Some("SHOP 123"), Some("REF-1")),
            row(2, 7, "-9.99", Some("Streaming Co"), None),
            row(3, 6, "-30.00", Some("Bakery"), None),
            row(4, 7, "-21.00", Some("Pharmacy"), Some("REF-9")),
        ];
        let m = match_entries(&entries, &stored);
        assert_eq!(m[0], Match::Known { id: 1 });
        assert_eq!(m[1], Match::Known { id: 2 });
        assert!(matches!(&m[2], Match::Conflict { id: 3, why } if why.contains("Bakery")), "{:?}", m[2]);
        assert!(matches!(&m[3], Match::Conflict { id: 4, why } if why.contains("-21.00")), "{:?}", m[3]);
        assert_eq!(m[4], Match::New);
    }

    /// R16 with many rows alike: on the same day and amount, a row of the
    /// same counterparty is taken first, else the first row not taken yet,
    /// in the stored order; a few days apart, the nearest day first.
    #[test]
    fn rows_alike_are_taken_in_order_each_once() {
        let stored = [
            row(1, 5, "-10.00", Some("Alpha"), None),
            row(2, 5, "-10.00", Some("Beta"), None),
            row(3, 5, "-10.00", Some("Alpha"), None),
            row(4, 5, "-10.00", None, None),
            row(5, 8, "-5.00", Some("Xeno"), None),
            row(6, 11, "-5.00", Some("Xeno"), None),
        ];
        let entries = [
            entry(5, "-10.00", Some("Beta"), None),
            entry(5, "-10.00", Some("Alpha"), None),
            entry(5, "-10.00", Some("Alpha"), None),
            entry(5, "-10.00", Some("Gamma"), None),
            entry(5, "-10.00", Some("Alpha"), None),
            entry(10, "-5.00", Some("Xeno"), None),
            entry(10, "-5.00", Some("Xeno"), None),
            entry(10, "-5.00", Some("Xeno"), None),
        ];
        let m = match_entries(&entries, &stored);
        let known = |id| Match::Known { id };
        assert_eq!(&m[..3], &[known(2), known(1), known(3)], "the same counterparty first, in stored order");
        assert_eq!(m[3], known(4), "then the first row left (no counterparty: no conflict)");
        assert_eq!(m[4], Match::New, "every row of that day and amount is taken");
        assert_eq!(&m[5..], &[known(6), known(5), Match::New], "the nearest day first, each row once");
    }

    #[test]
    fn formats_are_detected_from_their_first_bytes() {
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"),
            Kind::Camt
        );
        assert_eq!(detect(b":20:STARTUMS\r\n:25:12345678/1234567890\r\n"), Kind::Mt940);
        assert_eq!(detect(b":60F:C100318EUR380115,00\r\n:61:1003180318D10,00NTRF\r\n"), Kind::Mt940, "a fragment");
        assert_eq!(detect(b"{1:F01BANKBEBBAXXX0000000000}{2:I940BANKBEBBXXXXN}{4:\r\n:20:X\r\n"), Kind::Mt940);
        assert_eq!(detect(b"!Type:Bank\nD1/2/2020\nT-1.00\n^\n"), Kind::Qif);
        assert_eq!(detect(b"OFXHEADER:100\nDATA:OFXSGML\n<OFX>"), Kind::Ofx);
        assert_eq!(detect(b"date;amount\n01.02.2026;-1,00\n"), Kind::Csv);
    }
}
