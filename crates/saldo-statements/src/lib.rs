//! What a bank statement file says, whatever its format (issue 17).
//!
//! Every reader — ISO 20022 camt.052/053/054, SWIFT MT940/MT942, Belgian
//! CODA, OFX/QFX, QIF, CSV with a column mapping — turns a file into
//! [`Statement`]s of this one shape, so that matching against synced rows,
//! balance checks and provenance are written once. Amounts are exact
//! ([`Decimal`], signed: negative is money out of the account), dates are
//! calendar dates ([`NaiveDate`]); nothing here is ever `f64`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The file formats Saldo reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// ISO 20022 camt.052 (account report, intraday).
    Camt052,
    /// ISO 20022 camt.053 (bank-to-customer statement).
    Camt053,
    /// ISO 20022 camt.054 (debit/credit notification).
    Camt054,
    /// SWIFT MT940 (customer statement).
    Mt940,
    /// SWIFT MT942 (interim transaction report).
    Mt942,
    /// Belgian CODA 2.x.
    Coda,
    /// OFX 1.x (SGML) or 2.x (XML), and Quicken's QFX.
    Ofx,
    /// Quicken Interchange Format.
    Qif,
    /// A bank's CSV export, read through a column mapping.
    Csv,
}

/// The account a statement is about, as the file names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountRef {
    /// IBAN, compact and upper case, when the file gives one.
    pub iban: Option<String>,
    /// Another account number (a BBAN, an OFX `ACCTID`), as written.
    pub number: Option<String>,
    /// The bank's BIC, when given.
    pub bic: Option<String>,
    /// The account's currency (ISO 4217), when given.
    pub currency: Option<String>,
    /// The account's name or product, when given.
    pub name: Option<String>,
    /// The holder's name, when given.
    pub owner: Option<String>,
}

/// A balance the file states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The day it holds for (end of that day for a closing balance, start of
    /// it for an opening one, as the format defines).
    pub date: NaiveDate,
    /// Exact, signed.
    pub amount: Decimal,
    /// ISO 4217, when given.
    pub currency: Option<String>,
}

/// One movement of money.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// 1-based position of the entry in its statement (provenance: "entry 12").
    pub position: usize,
    /// 1-based line of the file where the entry starts, for line-based formats.
    pub line: Option<usize>,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Value date, when given.
    pub value_date: Option<NaiveDate>,
    /// Exact, signed: negative is money out of the account.
    pub amount: Decimal,
    /// ISO 4217, when given (else the account's).
    pub currency: Option<String>,
    /// The other party's name.
    pub counterparty_name: Option<String>,
    /// The other party's account (IBAN compact and upper case, else as written).
    pub counterparty_account: Option<String>,
    /// The other party's BIC.
    pub counterparty_bic: Option<String>,
    /// The bank's own text for the entry (booking text, OFX `NAME`/`MEMO`, QIF `P`/`M`).
    pub description: Option<String>,
    /// Unstructured remittance information, lines joined by a space.
    pub remittance: Option<String>,
    /// A structured creditor reference: Belgian `+++123/4567/89002+++`, ISO `RF…`.
    pub structured_reference: Option<String>,
    /// The payer's end-to-end id (SEPA `EndToEndId`; not `NOTPROVIDED`).
    pub end_to_end_id: Option<String>,
    /// The bank's reference of the entry (camt `AcctSvcrRef`, MT940 bank
    /// reference, OFX `FITID`, CODA sequence), for matching re-imports.
    pub bank_reference: Option<String>,
    /// The bank transaction code (camt domain-family-subfamily, MT940 `N…`
    /// code, CODA transaction code), as written.
    pub bank_transaction_code: Option<String>,
    /// A SEPA direct debit's mandate reference.
    pub mandate: Option<String>,
    /// Whether the bank says it is booked (false: pending, e.g. camt.052 `PDNG`).
    pub booked: bool,
}

/// One statement (a file may hold several: several accounts, several days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The format it was read from.
    pub format: Format,
    /// The statement's own id or sequence number, when given.
    pub id: Option<String>,
    /// The account.
    pub account: AccountRef,
    /// The balance before the first entry, when given.
    pub opening: Option<Balance>,
    /// The balance after the last entry, when given.
    pub closing: Option<Balance>,
    /// The entries, in the file's order.
    pub entries: Vec<Entry>,
}

/// One step of reading a statement file, in the file's order: what a
/// streaming reader yields, so that a file of a million entries is read in
/// memory that does not grow with it. A statement is `Begin`, its entries,
/// then `End`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A statement begins: its format, id, account and the balances read so
    /// far (`entries` is empty: they follow).
    Begin(Statement),
    /// An entry of the statement begun last.
    Entry(Entry),
    /// The statement begun last ends: its format and balances as the whole
    /// statement states them (a field after the entries may change them).
    End {
        /// The format (MT942's fields may come after the entries).
        format: Format,
        /// The balance before the first entry.
        opening: Option<Balance>,
        /// The balance after the last entry.
        closing: Option<Balance>,
    },
}

/// A streaming reader: one step of reading queues the items it completes.
/// [`ItemSource::next_item`] is the `Iterator::next` of each reader: the
/// queued items, then another step; after an error, nothing more.
pub trait ItemSource {
    /// Items read and not yet taken.
    fn pending(&mut self) -> &mut std::collections::VecDeque<Item>;
    /// Whether the input is read to its end (or failed).
    fn finished(&self) -> bool;
    /// Marks the input finished (its end, or an error).
    fn finish(&mut self);
    /// Reads one step (an XML event, a line, a record); at the input's end,
    /// checks the file as a whole and calls [`ItemSource::finish`].
    fn step(&mut self) -> Result<(), ReadError>;

    /// The next item, reading as far as it takes.
    fn next_item(&mut self) -> Option<Result<Item, ReadError>> {
        loop {
            if let Some(item) = self.pending().pop_front() {
                return Some(Ok(item));
            }
            if self.finished() {
                return None;
            }
            if let Err(e) = self.step() {
                self.finish();
                self.pending().clear();
                return Some(Err(e));
            }
        }
    }
}

/// Statements built from a reader's items (everything in memory: tests and
/// small files).
pub fn collect(items: impl IntoIterator<Item = Result<Item, ReadError>>) -> Result<Vec<Statement>, ReadError> {
    let mut out: Vec<Statement> = Vec::new();
    let mut open = false;
    for item in items {
        match item? {
            Item::Begin(s) => {
                out.push(s);
                open = true;
            }
            Item::Entry(e) => match out.last_mut() {
                Some(s) if open => s.entries.push(e),
                _ => return Err(ReadError::file("an entry outside a statement")),
            },
            Item::End { format, opening, closing } => match out.last_mut() {
                Some(s) if open => {
                    s.format = format;
                    s.opening = opening;
                    s.closing = closing;
                    open = false;
                }
                _ => return Err(ReadError::file("a statement's end without its beginning")),
            },
        }
    }
    Ok(out)
}

/// Why a file could not be read. The message names what is wrong in words a
/// person can act on; nothing of the file beyond the offending value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ReadError {
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl ReadError {
    /// An error at a line.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), message: message.into() }
    }

    /// An error about the whole file.
    pub fn file(message: impl Into<String>) -> Self {
        Self { line: None, message: message.into() }
    }
}

/// An IBAN written compactly (no spaces, upper case), if `text` looks like
/// one (two letters, two digits, then letters and digits); else `None`.
pub fn compact_iban(text: &str) -> Option<String> {
    let c: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let b = c.as_bytes();
    (c.len() >= 15
        && c.len() <= 34
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric))
    .then_some(c)
}

/// Where the shared corpus of real statement files is (tests and benches
/// only: the files are not ours to ship): `$SALDO_CORPUS`, else
/// `../shared/corpus` beside this checkout, else `/work/shared/corpus`.
#[doc(hidden)]
pub fn corpus_dir() -> Option<std::path::PathBuf> {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    std::env::var_os("SALDO_CORPUS")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([beside, std::path::PathBuf::from("/work/shared/corpus")])
        .find(|d| d.join("README.md").is_file())
}

/// In a test that reads the shared corpus: returns early, saying so, when
/// this machine does not have it (the corpus lives outside the repository).
#[doc(hidden)]
#[macro_export]
macro_rules! require_corpus {
    () => {
        if $crate::corpus_dir().is_none() {
            eprintln!("skipped: the shared statement corpus is not on this machine (set SALDO_CORPUS to its folder)");
            return;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::{compact_iban, ReadError};

    #[test]
    fn ibans_are_compacted_and_other_numbers_are_not_ibans() {
        assert_eq!(compact_iban("be68 5390 0754 7034").as_deref(), Some("BE68539007547034"));
        assert_eq!(compact_iban("123-4567890-12"), None);
        assert_eq!(compact_iban("NL91"), None);
    }

    #[test]
    fn an_error_names_its_line() {
        assert_eq!(ReadError::at(7, "bad amount").to_string(), "line 7: bad amount");
        assert_eq!(ReadError::file("not a statement").to_string(), "not a statement");
    }
}
