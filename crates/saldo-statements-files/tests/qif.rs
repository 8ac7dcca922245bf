//! The QIF reader over every QIF file of the shared corpus (GnuCash's
//! examples, quiffen's test file) and over small files made here.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::Statement;
use saldo_statements_files::qif::{self, DateOrder, QifOptions};

fn corpus(path: &str) -> Vec<u8> {
    let path = format!("{}/{path}", saldo_statements::corpus_dir().unwrap().display());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn one(path: &str) -> Statement {
    let mut s = qif::read(&corpus(path), &QifOptions::default()).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(s.len(), 1, "{path} holds one register");
    s.remove(0)
}

fn sum(s: &Statement) -> Decimal {
    s.entries.iter().map(|e| e.amount).sum()
}

/// Issue 17 "Bad input": every corpus QIF file is read.
#[test]
fn every_corpus_file_is_read() {
    saldo_statements::require_corpus!();
    for path in [
        "gnucash-qif/Money95bank_fr.qif",
        "gnucash-qif/cbb-export.qif",
        "gnucash-qif/ms-money.qif",
        "gnucash-qif/web.qif",
        "quiffen/test.qif",
    ] {
        let s = qif::read(&corpus(path), &QifOptions::default()).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!s.is_empty() && !s[0].entries.is_empty(), "{path}");
        assert!(qif::sniff(&corpus(path)), "{path} is told to be QIF by its content");
    }
}

/// R17: Latin-1 text, `5,762.36` amounts, the opening balance record, and
/// a split transaction counted once with its `T` amount.
#[test]
fn money95_french_register() {
    saldo_statements::require_corpus!();
    let s = one("gnucash-qif/Money95bank_fr.qif");
    assert_eq!(s.entries.len(), 142, "143 records less the opening balance");
    let opening = s.opening.clone().expect("Opening Balance record");
    assert_eq!((opening.date, opening.amount), (day(1995, 1, 1), dec("5762.36")));
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(1995, 1, 1), dec("-405.00")));
    assert_eq!(first.counterparty_name.as_deref(), Some("Canal Satellite"));
    let split = &s.entries[1];
    assert_eq!(split.line, Some(14));
    assert_eq!((split.booking_date, split.amount), (day(1995, 1, 3), dec("-500.00")), "T, not the splits added on");
    assert_eq!(split.description.as_deref(), Some("Retrait distributeur"));
    let last = &s.entries[141];
    assert_eq!((last.booking_date, last.amount), (day(1995, 12, 31), dec("-97.63")));
    assert_eq!(last.counterparty_name.as_deref(), Some("Crédit Mutuel"), "ISO-8859-1 decoded");
    assert_eq!(last.description.as_deref(), Some("Agios pour découvert du 15/10 au 24/10"));
    assert_eq!(sum(&s), dec("3060.04"), "R17: exact sum of every T but the opening balance");
    let splits = qif::split_sums(&corpus("gnucash-qif/Money95bank_fr.qif"), &QifOptions::default()).unwrap();
    assert_eq!(splits.iter().find(|(line, _)| *line == 14).map(|(_, s)| *s), Some(dec("-500.00")));
}

#[test]
fn ms_money_register() {
    saldo_statements::require_corpus!();
    let s = one("gnucash-qif/ms-money.qif");
    assert_eq!(s.entries.len(), 346);
    assert_eq!(s.opening.as_ref().map(|o| (o.date, o.amount)), Some((day(1995, 12, 3), dec("4706.57"))));
    assert_eq!(s.entries[0].amount, dec("1004.81"));
    assert_eq!(s.entries[0].counterparty_name.as_deref(), Some("Boss1"));
    let last = s.entries.last().unwrap();
    assert_eq!((last.booking_date, last.amount), (day(1997, 12, 12), dec("926.90")));
    assert_eq!(last.counterparty_name.as_deref(), Some("Boss2"));
    assert_eq!(sum(&s), dec("-2704.64"));
}

/// Splits are detail: every split transaction counts once, with `T`.
#[test]
fn cbb_export_splits_count_once_and_dates_keep_their_order() {
    saldo_statements::require_corpus!();
    let s = one("gnucash-qif/cbb-export.qif");
    assert_eq!(s.entries.len(), 9);
    assert_eq!(s.opening, None);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(1997, 10, 11), dec("-6.19")));
    assert_eq!(first.counterparty_name.as_deref(), Some("AT&T/063"));
    assert_eq!(first.description.as_deref(), Some("Phone Bill - September"));
    assert_eq!(s.entries[1].amount, dec("-98.05"));
    assert_eq!(s.entries[1].description.as_deref(), Some("VISA - September"), "M after the splits is the memo");
    assert_eq!((s.entries[2].booking_date, s.entries[2].amount), (day(1997, 7, 12), dec("-513.43")), "D7/12/97");
    let last = &s.entries[8];
    assert_eq!((last.booking_date, last.amount), (day(1997, 9, 29), dec("193.42")));
    assert_eq!(sum(&s), dec("-507.59"), "no split amount is added");
    let splits = qif::split_sums(&corpus("gnucash-qif/cbb-export.qif"), &QifOptions::default()).unwrap();
    let by_t: Vec<Decimal> = splits.iter().map(|(_, s)| *s).collect();
    assert_eq!(by_t, vec![dec("-98.05"), dec("193.42")], "the splits add up to T");
}

/// web.qif's `D03/25/099Share Withdrawal`: a `tm_year` of 99 is 1999, and
/// the payee repeated after the date is ignored.
#[test]
fn web_export_broken_dates_are_1999() {
    saldo_statements::require_corpus!();
    let s = one("gnucash-qif/web.qif");
    assert_eq!(s.entries.len(), 7);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(1999, 3, 25), dec("-99.99")));
    assert_eq!(first.counterparty_name.as_deref(), Some("Share Withdrawal"));
    assert_eq!(first.description, None, "an empty M is no description");
    let last = &s.entries[6];
    assert_eq!((last.booking_date, last.amount), (day(1999, 3, 18), dec("-99.99")));
    assert_eq!(last.counterparty_name.as_deref(), Some("Check Number:   203"));
    assert_eq!(sum(&s), dec("-499.95"));
    let forced = QifOptions { date_order: Some(DateOrder::DayMonth), ..QifOptions::default() };
    let e = qif::read(&corpus("gnucash-qif/web.qif"), &forced).unwrap_err();
    assert_eq!(e.line, Some(2), "day 03 month 25 is refused with its line: {e}");
}

/// Lists, classes, categories, securities and the investment register are
/// skipped with notes; a split's own D line does not move the date.
#[test]
fn quiffen_lists_and_investments_are_skipped() {
    saldo_statements::require_corpus!();
    let r = qif::read_with_notes(&corpus("quiffen/test.qif"), &QifOptions::default()).unwrap();
    assert_eq!(r.statements.len(), 1);
    let s = &r.statements[0];
    assert_eq!(s.opening.as_ref().map(|o| (o.date, o.amount)), Some((day(2020, 2, 10), dec("0.00"))));
    assert_eq!(s.entries.len(), 5);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(2020, 2, 14), dec("67.50")), "D2/14'2020");
    assert_eq!(first.counterparty_name.as_deref(), Some("T-Mobile"));
    let last = &s.entries[4];
    assert_eq!((last.booking_date, last.amount), (day(2020, 2, 10), dec("-100.00")), "not the split's D1/10'2020");
    assert_eq!(last.counterparty_name.as_deref(), Some("Amazon.com"));
    assert_eq!(last.description.as_deref(), Some("test order 1"));
    assert_eq!(sum(s), dec("-35.50"));
    let notes: Vec<String> = r.notes.iter().map(|n| n.to_string()).collect();
    assert!(notes.iter().any(|n| n.contains("investment register skipped")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("`cat` list skipped")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("`security` list skipped")), "{notes:?}");
}

#[test]
fn files_without_a_register_are_refused() {
    saldo_statements::require_corpus!();
    assert!(qif::read(b"!Type:Cat\nNFood\n^\n", &QifOptions::default()).is_err());
    assert!(qif::read(b"hello\n", &QifOptions::default()).unwrap_err().to_string().contains("line 1"));
    for bytes in
        [&b""[..], b"!", b"!Type:Bank\nD\nT\n^", b"!Type:Bank\nD99/99/99\nT1\n^", b"!Type:Bank\nD1/1/1\nT1e999999\n^"]
    {
        let _ = qif::read(bytes, &QifOptions::default());
    }
}

/// Issue 17 "Bad input": a cut-off file is refused or read, never a panic.
#[test]
fn truncated_files_never_panic() {
    saldo_statements::require_corpus!();
    for path in ["gnucash-qif/Money95bank_fr.qif", "gnucash-qif/web.qif", "quiffen/test.qif"] {
        let bytes = corpus(path);
        for end in (0..bytes.len()).step_by(101) {
            let _ = qif::read(&bytes[..end], &QifOptions::default());
        }
    }
}
