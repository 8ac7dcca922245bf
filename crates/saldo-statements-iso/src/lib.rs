//! Readers for the statement files banks exchange with their customers
//! (issue 17, item 1): ISO 20022 camt.052/053/054 ([`camt`]), SWIFT
//! MT940/MT942 ([`mt940`]) and Belgian CODA 2.x ([`coda`]).
//!
//! Each reader takes any [`std::io::BufRead`] and returns the file's
//! [`saldo_statements::Statement`]s, or a [`saldo_statements::ReadError`]
//! that names the line (and element or field) and the reason. Readers read
//! the file once, front to back, and never hold more than the statements
//! they return (no DOM of a camt file, one MT940 field or CODA record at a
//! time). Amounts are parsed from their text into exact decimals and dates
//! are calendar dates as the bank wrote them (R17). No input makes a reader
//! panic.

pub mod camt;
pub mod coda;
pub mod mt940;

mod text;

pub use camt::read_camt;
pub use coda::read_coda;
pub use mt940::read_mt940;
