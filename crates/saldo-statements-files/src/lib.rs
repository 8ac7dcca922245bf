//! Readers for the statement files people keep on disk (issue 17, item 1):
//! OFX 1.x/2.x and QFX ([`ofx`]), QIF ([`qif`]) and bank CSV exports read
//! through a saved column mapping ([`csv`]).
//!
//! Each reader turns a file into [`saldo_statements::Statement`]s — the
//! same type the camt/MT940/CODA readers produce — or refuses it with a
//! [`ReadError`] naming the line and the reason: a file is never half read
//! (a malformed file must not leave a partial import). Amounts are parsed
//! from their text into exact decimals and dates are calendar dates as the
//! file writes them (design rule R17).
//!
//! Each format is streamed ([`Stream`]): what only the whole file can tell
//! — its encoding, its decimal separator and date order, which rows belong
//! to which account, its balances, whether every entry is readable — is
//! found in a first pass over it, and its entries are then read again in a
//! second, one statement at a time. A file of a million entries is read in
//! memory that does not grow with it ([`Reopen`]: the file is read more
//! than once, never held), and every error a file has is found before its
//! first entry is handed over.

pub mod csv;
pub mod ofx;
pub mod qif;
mod text;

pub use saldo_statements::{Item, ReadError, Statement};
pub use text::TextEncoding;

/// A statement file that can be read more than once, from any byte on: the
/// passes of a [`Stream`] read it again instead of holding it.
pub trait Reopen: Sync {
    /// The file's bytes from `offset` on.
    fn open_at(&self, offset: u64) -> std::io::Result<Box<dyn std::io::BufRead + Send + '_>>;
}

impl Reopen for &[u8] {
    fn open_at(&self, offset: u64) -> std::io::Result<Box<dyn std::io::BufRead + Send + '_>> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.len());
        Ok(Box::new(&self[start..]))
    }
}

/// A file being read: what its first pass found to tell, then its items in
/// the file's order (statements one after the other).
pub struct Stream<'a> {
    /// What was skipped or decided, for the import summary.
    pub notes: Vec<Note>,
    /// The statements' items; an error only when the file changes or cannot
    /// be read again between the passes.
    pub items: Box<dyn Iterator<Item = Result<Item, ReadError>> + Send + 'a>,
}

impl Stream<'_> {
    /// Everything read into memory (tests and small files).
    pub fn into_reading(self) -> Result<Reading, ReadError> {
        Ok(Reading { statements: saldo_statements::collect(self.items)?, notes: self.notes })
    }
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("notes", &self.notes).finish_non_exhaustive()
    }
}

/// A reader's last pass: each step hands over the next item, or none at
/// the end.
pub(crate) trait Step {
    /// The next item.
    fn step(&mut self) -> Result<Option<Item>, ReadError>;
}

/// The items of a last pass, up to its end or its first error (nothing
/// after that).
pub(crate) fn until_error<'a>(
    mut pass: impl Step + Send + 'a,
) -> impl Iterator<Item = Result<Item, ReadError>> + Send + 'a {
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        match pass.step() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

/// A file that failed between or during the passes.
pub(crate) fn io_error(e: &std::io::Error) -> ReadError {
    ReadError::file(format!("the file cannot be read: {e}"))
}

/// A file read, with what the reader chose to leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// The statements, one per account (in the file's order).
    pub statements: Vec<Statement>,
    /// What was skipped or guessed and why (an investment account in an OFX
    /// file, a category list in a QIF file, a running balance that does not
    /// add up), for the import summary.
    pub notes: Vec<Note>,
}

/// Something a reader skipped or decided that the person importing should
/// be told about; not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// 1-based line it is about, when there is one.
    pub line: Option<usize>,
    /// What happened, in words a person can act on.
    pub message: String,
}

impl Note {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), message: message.into() }
    }

    pub(crate) fn file(message: impl Into<String>) -> Self {
        Self { line: None, message: message.into() }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
