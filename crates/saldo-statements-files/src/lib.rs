//! Readers for the statement files people keep on disk (issue 17, item 1):
//! OFX 1.x/2.x and QFX ([`ofx`]), QIF ([`qif`]) and bank CSV exports read
//! through a saved column mapping ([`csv`]).
//!
//! Each reader turns a whole file into [`saldo_statements::Statement`]s —
//! the same type the camt/MT940/CODA readers produce — or refuses it with a
//! [`ReadError`] naming the line and the reason: a file is never half read
//! (a malformed file must not leave a partial import). Amounts are parsed
//! from their text into exact decimals and dates are calendar dates as the
//! file writes them (design rule R17).
//!
//! These formats are small user downloads, so each reader holds the file in
//! memory; the bounded-memory streaming of issue 17 is for camt/MT940.

pub mod csv;
pub mod ofx;
pub mod qif;
mod text;

pub use saldo_statements::{ReadError, Statement};
pub use text::TextEncoding;

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
