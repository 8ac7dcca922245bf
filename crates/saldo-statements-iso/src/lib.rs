//! Readers for the statement files banks exchange with their customers
//! (issue 17, item 1): ISO 20022 camt.052/053/054 ([`camt`]), SWIFT
//! MT940/MT942 ([`mt940`]) and Belgian CODA 2.x ([`coda`]).
//!
//! Each reader takes any [`std::io::BufRead`] and yields the file as a
//! stream of [`saldo_statements::Item`]s (`camt_items`, `mt940_items`,
//! `coda_items`: a statement's beginning, its entries, its end), or a
//! [`saldo_statements::ReadError`] that names the line (and element or
//! field) and the reason; `read_camt`, `read_mt940` and `read_coda` collect
//! them into [`saldo_statements::Statement`]s. Readers read the file once,
//! front to back, and hold one camt entry, one MT940 field and entry, or one
//! CODA statement at a time (no DOM of a camt file), so a file of a million
//! entries is read in memory that does not grow with it. Amounts are parsed from their text into exact decimals and dates
//! are calendar dates as the bank wrote them (R17). No input makes a reader
//! panic.

pub mod camt;
pub mod coda;
pub mod mt940;

mod text;

pub use camt::{camt_items, read_camt};
pub use coda::{coda_items, read_coda};
pub use mt940::{mt940_items, read_mt940};
