//! Belgian CODA 2.x reader against the php-coda-parser corpus and inline
//! records for the rules the corpus does not cover.

mod support;

use rust_decimal::Decimal;
use saldo_statements::{Format, Statement};
use saldo_statements_iso::read_coda;
use support::{assert_chains, corpus, corpus_files, day, dec};

fn read(file: &str) -> Vec<Statement> {
    read_coda(&corpus(&format!("php-coda-parser/{file}"))[..]).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The trailer's (record 9) debit and credit totals, read independently.
fn trailer_totals(file: &str) -> (Decimal, Decimal) {
    let bytes = corpus(&format!("php-coda-parser/{file}"));
    let text = String::from_utf8_lossy(&bytes);
    let nine = text.lines().find(|l| l.starts_with('9')).expect("a trailer record");
    let total = |r: std::ops::Range<usize>| Decimal::from_i128_with_scale(nine[r].parse().expect("digits"), 3);
    (total(22..37), total(37..52))
}

/// Every CODA file of the corpus is read: statements and entries.
#[test]
fn every_corpus_file_is_read() {
    saldo_statements::require_corpus!();
    let expected = [
        ("sample1.cod", 4),
        ("sample2.cod", 1),
        ("sample3.cod", 1),
        ("sample5.cod", 3),
        ("sample6.cod", 3),
        ("sample7.cod", 1),
    ];
    assert_eq!(corpus_files("php-coda-parser").len(), expected.len(), "a corpus file was added or removed");
    for (file, entries) in expected {
        let s = read(file);
        assert_eq!(s.len(), 1, "{file}: one statement");
        assert_eq!(s[0].format, Format::Coda);
        assert_eq!(s[0].entries.len(), entries, "{file}: entries (a globalisation's details are not entries)");
    }
}

/// sample1: the one file whose balances add up, and every field of its
/// first and last movement.
#[test]
fn sample1_chains_and_is_mapped() {
    saldo_statements::require_corpus!();
    let s = read("sample1.cod");
    let stmt = &s[0];
    assert_chains("sample1.cod", stmt);
    assert_eq!(stmt.id.as_deref(), Some("139"), "the paper statement number");
    assert_eq!(stmt.account.number.as_deref(), Some("138536152215"), "structure 0: a Belgian BBAN");
    assert_eq!(stmt.account.currency.as_deref(), Some("EUR"));
    assert_eq!(stmt.account.owner.as_deref(), Some("BOUWBEDRIJF VOOR GROTE WER"), "26 characters, as CODA cuts it");
    assert_eq!(stmt.account.name.as_deref(), Some("KBC-Bedrijfsrekening"));
    assert_eq!(stmt.opening.as_ref().map(|b| (b.date, b.amount)), Some((day(2017, 10, 10), dec("17752.120"))));
    assert_eq!(stmt.closing.as_ref().map(|b| (b.date, b.amount)), Some((day(2017, 10, 11), dec("17832.120"))));
    let first = &stmt.entries[0];
    assert_eq!((first.booking_date, first.value_date), (day(2017, 10, 11), Some(day(2017, 10, 11))));
    assert_eq!(first.amount, dec("5.000"));
    assert_eq!(first.counterparty_name.as_deref(), Some("KLANT1 MET NAAM1"));
    assert_eq!(first.counterparty_account.as_deref(), Some("BE22313215646432"));
    assert_eq!(first.counterparty_bic.as_deref(), Some("KREDBEBB"));
    assert_eq!(first.structured_reference.as_deref(), Some("+++000/0035/05158+++"), "type 101, formatted");
    assert_eq!(first.remittance, None, "the address records are not communication");
    assert_eq!(first.bank_transaction_code.as_deref(), Some("00150000"));
    assert_eq!(first.bank_reference.as_deref(), Some("139/0001"), "statement/sequence");
    assert_eq!(first.line, Some(3));
    let last = &stmt.entries[3];
    assert_eq!(last.amount, dec("30.000"));
    assert_eq!(last.counterparty_name.as_deref(), Some("KLANT4 - NAAM4 MET"));
    assert_eq!(last.counterparty_account.as_deref(), Some("BE23156453132168"));
    assert_eq!(last.structured_reference.as_deref(), Some("+++000/0021/33131+++"));
    let credits: Decimal = stmt.entries.iter().map(|e| e.amount).filter(|a| a.is_sign_positive()).sum();
    assert_eq!((Decimal::ZERO, credits), trailer_totals("sample1.cod"), "the trailer's totals (R17)");
}

/// A global movement with detail records counts once: its amount is the
/// global one, its details are information (CODA globalisation).
#[test]
fn a_globalisation_counts_once() {
    saldo_statements::require_corpus!();
    let s = read("sample2.cod");
    let e = &s[0].entries;
    assert_eq!(e.len(), 1, "details 0001 and 0002 of sequence 0001 are not entries");
    assert_eq!(e[0].amount, dec("-9.680"), "the global amount, not 9.680 + 8.000 + 1.680");
    assert_eq!(trailer_totals("sample2.cod"), (dec("9.680"), Decimal::ZERO), "the bank's own debit total agrees");
    assert_eq!(e[0].remittance.as_deref(), Some("Zichtrekening nr 21354598 - 2,11Justification in annex"));
    assert_eq!(s[0].account.iban.as_deref(), Some("BE62354872126588"), "structure 2: a Belgian IBAN");
    assert_eq!((e[0].booking_date, e[0].value_date), (day(2017, 7, 3), Some(day(2017, 6, 30))));
    let s3 = read("sample3.cod");
    assert_eq!(s3[0].entries[0].amount, dec("-812.690"), "805.730 + 6.960 are its details");
    assert_eq!(s3[0].entries[0].remittance.as_deref(), Some("Message goes here"));
    let s7 = read("sample7.cod");
    assert_eq!(s7[0].entries[0].amount, dec("-75.000"), "25 + 20 + 30 are its details");
    assert_eq!(s7[0].entries[0].counterparty_name, None, "a detail's counterparty is not the global's");
    assert_eq!(
        s7[0].entries[0].remittance.as_deref(),
        Some("creditTran/0000 UITVOERING VAN UW BESTAND/GROEP creditTran/0000"),
        "information record 31 appended to the movement's communication"
    );
}

/// A third decimal is kept; negative new balances are negative.
#[test]
fn three_decimals_and_negative_balances() {
    saldo_statements::require_corpus!();
    let s6 = read("sample6.cod");
    assert_eq!(s6[0].entries[0].amount.to_string(), "-767.823", "exactly as written (R17)");
    assert_eq!(s6[0].closing.as_ref().map(|b| (b.date, b.amount)), Some((day(2015, 5, 12), dec("-500012.100"))));
    let s5 = read("sample5.cod");
    assert_eq!(s5[0].closing.as_ref().map(|b| b.amount), Some(dec("-500012.100")));
    let e = &s5[0].entries;
    assert_eq!(e[0].amount, dec("1767.820"));
    assert_eq!(e[0].remittance.as_deref(), Some("112/4554/46812 813 ANOTHER MESSAGE MESSAGE"), "21 + 22 + 23");
    assert_eq!(e[0].counterparty_name.as_deref(), Some("BVBA.BAKKER PIET"));
    assert_eq!(e[0].counterparty_bic.as_deref(), Some("GEBCEEBB"));
    assert_eq!(e[1].structured_reference.as_deref(), Some("+++112/4554/46812+++"));
    assert_eq!(e[2].bank_reference.as_deref(), Some("155/0009"));
}

/// A record of 128 characters with `fields` placed at their 1-based
/// positions.
fn rec(fields: &[(usize, &str)]) -> String {
    let mut r = vec![b' '; 128];
    for (pos, text) in fields {
        r[pos - 1..pos - 1 + text.len()].copy_from_slice(text.as_bytes());
    }
    String::from_utf8(r).expect("ascii")
}

fn file(movements: &[String], closing: &str) -> String {
    let mut lines = vec![
        rec(&[(1, "00000"), (6, "010224"), (128, "2")]),
        rec(&[(1, "12001"), (6, "BE68539007547034"), (40, "EUR"), (43, "0000000000100000"), (59, "310124")]),
    ];
    lines.extend_from_slice(movements);
    lines.push(rec(&[(1, "8001"), (42, closing), (58, "010224")]));
    lines.push(rec(&[(1, "9")]));
    lines.join("\r\n")
}

/// Structured communication 101 is printed `+++ddd/dddd/ddddd+++`; free
/// communication continues over 22 and 23 without a separator.
#[test]
fn structured_and_free_communication() {
    saldo_statements::require_corpus!();
    let full = format!("0Invoice {}12", "x".repeat(43)); // type 0 + 53 characters
    let movements = [
        rec(&[
            (1, "2100010000"),
            (32, "1000000000012500"),
            (48, "010224"),
            (54, "00150000"),
            (62, "1101123456789002"),
            (116, "010224"),
            (126, "1"),
        ]),
        rec(&[
            (1, "2100020000"),
            (32, "0000000000002500"),
            (48, "000000"),
            (54, "00150000"),
            (62, &full),
            (116, "010224"),
            (126, "1"),
        ]),
        rec(&[(1, "2200020000"), (11, "34 paid")]),
        rec(&[(1, "2300020000"), (11, "FR7630006000011234567890189"), (48, "Jean Dupont"), (83, " thanks")]),
    ];
    let s = read_coda(file(&movements, "0000000000090000").as_bytes()).expect("reads");
    let e = &s[0].entries;
    assert_eq!(s[0].account.iban.as_deref(), Some("BE68539007547034"));
    assert_eq!(e[0].structured_reference.as_deref(), Some("+++123/4567/89002+++"));
    assert_eq!(e[0].amount, dec("-12.500"), "sign 1 is a debit");
    let want = format!("Invoice {}1234 paid thanks", "x".repeat(43));
    assert_eq!(e[1].remittance, Some(want), "a full piece continues mid-word into the next");
    assert_eq!(e[1].value_date, None, "000000 is no value date");
    assert_eq!(e[1].counterparty_account.as_deref(), Some("FR7630006000011234567890189"));
    assert_eq!(e[1].counterparty_name.as_deref(), Some("Jean Dupont"));
    assert_chains("inline", &s[0]);
}

/// A detail (number > 0) with no global movement before it is kept as an
/// entry, so no money is lost; one under its global is not.
#[test]
fn details_count_only_without_their_global() {
    saldo_statements::require_corpus!();
    let movements = [
        rec(&[(1, "2100010000"), (32, "1000000000010000"), (48, "010224"), (116, "010224"), (125, "1")]),
        rec(&[(1, "2100010001"), (32, "1000000000004000"), (48, "010224"), (116, "010224")]),
        rec(&[(1, "2100010002"), (32, "1000000000006000"), (48, "010224"), (116, "010224")]),
        rec(&[(1, "2100020001"), (32, "0000000000001000"), (48, "010224"), (116, "010224")]),
    ];
    let s = read_coda(file(&movements, "0000000000091000").as_bytes()).expect("reads");
    let amounts: Vec<Decimal> = s[0].entries.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, vec![dec("-10.000"), dec("1.000")]);
    assert_chains("inline", &s[0]);
}

/// Broken files are refused with their line.
#[test]
fn broken_files_are_refused() {
    saldo_statements::require_corpus!();
    let e = read_coda(&b"hello\n"[..]).expect_err("not CODA");
    assert!(e.to_string().contains("not a CODA file"), "{e}");
    let bad = [rec(&[(1, "2100010000"), (32, "10000000000X0000"), (48, "010224"), (116, "010224")])];
    let e = read_coda(file(&bad, "0000000000100000").as_bytes()).expect_err("a letter in the amount");
    assert_eq!(e.line, Some(3), "{e}");
    let short = format!("{}\n{}", rec(&[(1, "00000"), (128, "2")]), "12001BE68539007547034");
    let e = read_coda(short.as_bytes()).expect_err("a cut record");
    assert_eq!(e.line, Some(2), "{e}");
    let header_only = rec(&[(1, "00000"), (128, "2")]);
    assert!(read_coda(header_only.as_bytes()).is_err(), "no statement");
    let version1 = rec(&[(1, "00000"), (128, "1")]);
    assert!(read_coda(version1.as_bytes()).expect_err("CODA 1").to_string().contains("CODA 2"));
    let no_end = file(&[], "0000000000100000");
    let cut: Vec<&str> = no_end.lines().take(2).collect();
    assert!(read_coda(cut.join("\n").as_bytes()).is_err(), "a statement without its new balance");
}
