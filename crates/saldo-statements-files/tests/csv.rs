//! The CSV reader over the corpus's five bank exports, with the built-in
//! profiles Saldo ships and with profiles guessed from the data.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::Statement;
use saldo_statements_files::csv::{self, builtin_profiles, guess_profile, AmountColumns, Column, CsvProfile};

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/csv2ofx/{name}", saldo_statements::corpus_dir().unwrap().display());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn profile(name: &str) -> CsvProfile {
    builtin_profiles().unwrap().into_iter().find(|p| p.name.starts_with(name)).unwrap()
}

fn one(file: &str, bank: &str) -> Statement {
    let mut s = csv::read(&corpus(file), &profile(bank)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(s.len(), 1, "{file}: one account");
    s.remove(0)
}

/// The file's running balance column parsed independently of the reader.
fn balances(file: &str, delimiter: u8, column: usize) -> Vec<Decimal> {
    let text = String::from_utf8_lossy(&corpus(file)).into_owned();
    let mut reader = ::csv::ReaderBuilder::new().delimiter(delimiter).from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let cell: String =
                r.unwrap()[column].chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
            dec(&cell)
        })
        .collect()
}

/// R17 (a balance reached by exact sums): each row's running balance is
/// the one before it plus its amount, and the statement's opening plus
/// every amount is its closing.
fn assert_reconciles(s: &Statement, balances: &[Decimal], newest_first: bool) {
    let amounts: Vec<Decimal> = s.entries.iter().map(|e| e.amount).collect();
    for i in 1..amounts.len() {
        let (older, newer) = if newest_first { (i, i - 1) } else { (i - 1, i) };
        assert_eq!(
            balances[older] + amounts[newer],
            balances[newer],
            "row {newer}: previous balance + amount == balance"
        );
    }
    let opening = s.opening.as_ref().expect("opening balance").amount;
    let closing = s.closing.as_ref().expect("closing balance").amount;
    assert_eq!(opening + amounts.iter().sum::<Decimal>(), closing, "opening + amounts == closing");
}

#[test]
fn builtin_profiles_are_valid_and_round_trip() {
    saldo_statements::require_corpus!();
    let profiles = builtin_profiles().unwrap();
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for p in &profiles {
        let json = serde_json::to_string(p).unwrap();
        assert_eq!(&serde_json::from_str::<CsvProfile>(&json).unwrap(), p, "a saved profile reads back the same");
    }
}

/// GLS: ISO-8859-1, `;`, decimal comma, purpose lines VWZ1…VWZ14 joined.
#[test]
fn gls() {
    saldo_statements::require_corpus!();
    let s = one("gls.csv", "GLS");
    assert_eq!(s.account.number.as_deref(), Some("1234567890"), "Kontonummer");
    assert_eq!(s.entries.len(), 1);
    let e = &s.entries[0];
    assert_eq!((e.booking_date, e.value_date, e.amount), (day(2017, 10, 10), Some(day(2017, 10, 10)), dec("-98.76")));
    assert_eq!(e.counterparty_name.as_deref(), Some("Drillisch Online AG"), "Auftraggeber/Empfänger (Latin-1 header)");
    assert_eq!(e.description.as_deref(), Some("SEPA-Basislastschrift"));
    assert_eq!(e.remittance.as_deref(), Some("B4658645 U123456789 B123456 987 SIMply Rechnung"));
    assert_eq!(e.currency.as_deref(), Some("EUR"));
    assert_eq!(s.closing.as_ref().map(|b| b.amount), Some(dec("1234.56")), "Kontostand 1.234,56");
    assert_eq!(s.opening.as_ref().map(|b| b.amount), Some(dec("1333.32")), "the balance before the row");
}

/// ING Spain: rows out of date order and a balance column that does not
/// chain (a trimmed sample): no balance is claimed, and a note says why.
#[test]
fn ing_spain() {
    saldo_statements::require_corpus!();
    let r = csv::read_with_notes(&corpus("ingesp.csv"), &profile("ING")).unwrap();
    let s = &r.statements[0];
    assert_eq!(s.entries.len(), 10);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(2022, 3, 24), dec("2.83")));
    assert_eq!(first.description.as_deref(), Some("Abono por campaña Abono Shopping NARANJA:GALP"));
    assert_eq!(first.line, Some(2), "CRLF lines are counted right");
    let last = &s.entries[9];
    assert_eq!((last.booking_date, last.amount), (day(2022, 11, 13), dec("500.00")));
    assert_eq!(last.line, Some(11));
    assert_eq!(s.entries[5].amount, dec("-276.89"));
    assert_eq!(s.entries.iter().map(|e| e.amount).sum::<Decimal>(), dec("350.21"));
    assert_eq!((s.opening.clone(), s.closing.clone()), (None, None));
    assert!(r.notes[0].message.contains("does not add up") && r.notes[0].line == Some(3), "{:?}", r.notes);
}

#[test]
fn n26() {
    saldo_statements::require_corpus!();
    let s = one("n26-fr.csv", "N26");
    assert_eq!(s.entries.len(), 2);
    let e = &s.entries[0];
    assert_eq!((e.booking_date, e.value_date, e.amount), (day(2020, 3, 7), None, dec("328.00")));
    assert_eq!(e.counterparty_name.as_deref(), Some("Compte courant"));
    assert_eq!(e.counterparty_account.as_deref(), Some("DE27100110000000000000"));
    assert_eq!(e.description.as_deref(), Some("Credit Transfer"));
    assert_eq!(s.entries[1].amount, dec("-328.00"));
    assert_eq!(s.account.currency.as_deref(), Some("EUR"));
}

/// Schwab: newest first, `$1,036.47` in withdrawal/deposit columns; the
/// running balance reconciles bottom-up.
#[test]
fn schwab() {
    saldo_statements::require_corpus!();
    let s = one("schwab-checking.csv", "Charles Schwab");
    assert_eq!(s.entries.len(), 4);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(2022, 8, 17), dec("20.00")));
    assert_eq!(first.description.as_deref(), Some("Deposit Mobile Banking"));
    assert_eq!(first.bank_transaction_code.as_deref(), Some("DEPOSIT"));
    let last = &s.entries[3];
    assert_eq!((last.booking_date, last.amount), (day(2022, 8, 4), dec("-57.27")), "a withdrawal is money out");
    assert_eq!(s.closing.as_ref().map(|b| (b.date, b.amount)), Some((day(2022, 8, 17), dec("878.47"))));
    assert_eq!(s.opening.as_ref().map(|b| (b.date, b.amount)), Some((day(2022, 8, 4), dec("1093.74"))));
    assert_reconciles(&s, &balances("schwab-checking.csv", b',', 7), true);
}

/// UBS: `;`, apostrophe thousands (`11'373.94`), debit/credit columns; the
/// running balance reconciles top-down (whatever the anonymised dates say).
#[test]
fn ubs() {
    saldo_statements::require_corpus!();
    let s = one("ubs-ch-fr_trimmed.csv", "UBS");
    assert_eq!(s.account.number.as_deref(), Some("0123 45678901.23A"));
    assert_eq!(s.account.currency.as_deref(), Some("CHF"));
    assert_eq!(s.entries.len(), 3);
    let first = &s.entries[0];
    assert_eq!((first.booking_date, first.amount), (day(2019, 3, 31), dec("-10.00")));
    assert_eq!(first.description.as_deref(), Some("Solde prix prestations"));
    assert_eq!(first.bank_reference.as_deref(), Some("A01234BC01234567"));
    let second = &s.entries[1];
    assert_eq!(second.amount, dec("240.00"));
    assert_eq!(second.counterparty_name.as_deref(), Some("ASSOCIATION FOO-BAR"));
    assert_eq!(second.remittance.as_deref(), Some("BVD DE QUELQUE-PART 1, 1201 GENEVE, CH"));
    assert_eq!((s.entries[2].booking_date, s.entries[2].amount), (day(2019, 4, 27), dec("-200.00")));
    assert_eq!(s.closing.as_ref().map(|b| b.amount), Some(dec("11413.94")));
    assert_eq!(s.opening.as_ref().map(|b| b.amount), Some(dec("11383.94")));
    assert_reconciles(&s, &balances("ubs-ch-fr_trimmed.csv", b';', 10), false);
}

/// A guessed profile gets the layout right for every corpus bank and reads
/// the same amounts as the built-in one.
#[test]
fn guessed_profiles_match_the_builtin_ones() {
    saldo_statements::require_corpus!();
    let cases = [
        ("gls.csv", "GLS", ';', "%d.%m.%Y", ','),
        ("ingesp.csv", "ING", ',', "%d/%m/%Y", '.'),
        ("n26-fr.csv", "N26", ',', "%Y-%m-%d", '.'),
        ("schwab-checking.csv", "Charles Schwab", ',', "%m/%d/%Y", '.'),
        ("ubs-ch-fr_trimmed.csv", "UBS", ';', "%d.%m.%Y", '.'),
    ];
    for (file, bank, delimiter, date_format, decimal) in cases {
        let guess = guess_profile(&corpus(file));
        assert_eq!(guess.delimiter, Some(delimiter), "{file}");
        assert!(guess.has_header, "{file}");
        assert_eq!(guess.date_format, date_format, "{file}");
        assert_eq!(guess.decimal_separator, decimal, "{file}");
        let amounts = |p: &CsvProfile| -> Vec<Decimal> {
            csv::read(&corpus(file), p).unwrap().iter().flat_map(|s| s.entries.iter().map(|e| e.amount)).collect()
        };
        assert_eq!(amounts(&guess), amounts(&profile(bank)), "{file}: guessed and built-in profiles agree");
    }
    let schwab = guess_profile(&corpus("schwab-checking.csv"));
    assert_eq!(
        schwab.amount,
        AmountColumns::DebitCredit { debit: Column::Name("Withdrawal".into()), credit: Column::Name("Deposit".into()) }
    );
    assert_eq!(schwab.balance, Some(Column::Name("RunningBalance".into())));
}

#[test]
fn preview_of_a_corpus_file() {
    saldo_statements::require_corpus!();
    let p = csv::preview(&corpus("ubs-ch-fr_trimmed.csv"), &profile("UBS"), 2).unwrap();
    assert_eq!(p.header[0], "Produit");
    assert_eq!(p.rows.len(), 2, "only the rows asked for");
    assert_eq!(p.rows[1].as_ref().unwrap().amount, dec("240.00"));
    assert_eq!(p.cells[1][8], "");
    let wrong = CsvProfile { date_format: "%Y-%m-%d".into(), ..profile("UBS") };
    let p = csv::preview(&corpus("ubs-ch-fr_trimmed.csv"), &wrong, 10).unwrap();
    assert!(p.rows.iter().all(|r| r.as_ref().is_err_and(|e| e.message.contains("not a date"))));
}

#[test]
fn garbage_is_refused_not_a_panic() {
    saldo_statements::require_corpus!();
    let p = profile("N26");
    for bytes in [&b""[..], b"\"", b"a,b\n\xff\xfe", b"Booking Date\n2020-01-01\n"] {
        let _ = csv::read(bytes, &p);
        let _ = csv::preview(bytes, &p, 5);
        let _ = guess_profile(bytes);
    }
    assert!(csv::read(b"\xff\xfe", &p).unwrap_err().message.contains("UTF-8"));
}
