//! Helpers shared by the readers' tests: the corpus and balance checks.

#![allow(dead_code)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::Statement;

/// What reading a corpus file gives: `Ok((statements, entries))`, or an
/// error whose message contains the text.
pub type Expected = Result<(usize, usize), &'static str>;

/// The corpus folder (tests that read it start with `require_corpus!()`).
fn corpus_root() -> String {
    saldo_statements::corpus_dir().map(|d| d.display().to_string()).unwrap_or_else(|| panic!("no statement corpus"))
}

/// A file of the shared corpus of real statement files (not copied into
/// the repository: its licences differ).
pub fn corpus(path: &str) -> Vec<u8> {
    let full = format!("{}/{path}", corpus_root());
    std::fs::read(&full).unwrap_or_else(|e| panic!("corpus file {full}: {e}"))
}

/// The names of a corpus folder's files, sorted.
pub fn corpus_files(folder: &str) -> Vec<String> {
    let dir = format!("{}/{folder}", corpus_root());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus folder {dir}: {e}"))
        .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    names
}

/// An exact decimal from its text.
pub fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A calendar date.
pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Asserts opening + the sum of the entries == closing, exactly (R17).
pub fn assert_chains(file: &str, stmt: &Statement) {
    let opening = stmt.opening.as_ref().unwrap_or_else(|| panic!("{file} {:?}: no opening balance", stmt.id));
    let closing = stmt.closing.as_ref().unwrap_or_else(|| panic!("{file} {:?}: no closing balance", stmt.id));
    let sum: Decimal = stmt.entries.iter().map(|e| e.amount).sum();
    assert_eq!(
        opening.amount + sum,
        closing.amount,
        "{file} statement {:?}: opening + entries must equal closing exactly (R17)",
        stmt.id
    );
}
