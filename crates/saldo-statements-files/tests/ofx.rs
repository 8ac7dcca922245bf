//! The OFX reader over every OFX file of the shared corpus (ofxparse's
//! fixtures, some real-but-nonconforming) and over small files made here.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::{Format, Statement};
use saldo_statements_files::ofx;

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/ofxparse/{name}", saldo_statements::corpus_dir().unwrap().display());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn one(name: &str) -> Statement {
    let mut statements = ofx::read(&corpus(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(statements.len(), 1, "{name} holds one account");
    statements.remove(0)
}

/// Issue 17 "Bad input": every corpus file is read without panic and
/// either gives statements or a clear error; this is the list of which.
#[test]
fn every_corpus_file_gives_statements_or_a_clear_error() {
    saldo_statements::require_corpus!();
    let expected: &[(&str, Result<usize, &str>)] = &[
        ("account_listing_aggregation.ofx", Err("list of accounts")),
        ("anzcc.ofx", Ok(1)),
        ("bank_medium.ofx", Ok(1)),
        ("bank_small.ofx", Err("no bank or credit-card statement")),
        ("checking.ofx", Ok(1)),
        ("error_message.ofx", Err("error 2000 General Server Error")),
        ("fail_nice__date_missing.ofx", Err("line 33: a transaction (STMTTRN) has no posting date")),
        ("fail_nice__decimal_error.ofx", Err("line 37: `$120` is not an amount")),
        ("fail_nice__empty_balance.ofx", Ok(1)),
        ("fidelity-savings.ofx", Err("only investment accounts")),
        ("fidelity.ofx", Err("only investment accounts")),
        ("investment_401k.ofx", Err("only investment accounts")),
        ("investment_medium.ofx", Err("only investment accounts")),
        ("multiple_accounts.ofx", Ok(2)),
        ("multiple_accounts2.ofx", Ok(2)),
        ("ofx-v102-empty-tags.ofx", Ok(1)),
        ("signon_fail.ofx", Err("sign-on with error 15500 Your request could not be processed")),
        ("signon_success.ofx", Err("no bank or credit-card statement")),
        ("signon_success_no_message.ofx", Err("no bank or credit-card statement")),
        ("suncorp.ofx", Ok(1)),
        ("td_ameritrade.ofx", Err("only investment accounts")),
        ("tiaacref.ofx", Err("only investment accounts")),
        ("vanguard.ofx", Err("only investment accounts")),
        ("vanguard401k.ofx", Err("only investment accounts")),
    ];
    let dir = format!("{}/ofxparse", saldo_statements::corpus_dir().unwrap().display());
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ofx"))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_eq!(on_disk, listed, "every corpus OFX file has an expected result");
    for (name, want) in expected {
        let got = ofx::read(&corpus(name));
        match (want, got) {
            (Ok(n), Ok(statements)) => {
                assert_eq!(statements.len(), *n, "{name}: one statement per account");
                assert!(statements.iter().all(|s| s.format == Format::Ofx));
            }
            (Err(words), Err(e)) => assert!(e.to_string().contains(words), "{name}: `{e}` should say `{words}`"),
            (want, got) => panic!("{name}: expected {want:?}, got {got:?}"),
        }
    }
}

/// R17: exact amounts and calendar dates from an OFX 1.x SGML file whose
/// leaf elements have no end tags, several on one line.
#[test]
fn bank_medium_sgml_entries_and_ledger_balance() {
    saldo_statements::require_corpus!();
    let s = one("bank_medium.ofx");
    assert_eq!(s.account.number.as_deref(), Some("12300 000012345678"), "ACCTID as written");
    assert_eq!(s.account.currency.as_deref(), Some("CAD"), "CURDEF is the account's currency");
    assert_eq!(s.entries.len(), 3);
    let first = &s.entries[0];
    assert_eq!(first.booking_date, day(2009, 4, 1), "DTPOSTED 20090401122017.000[-5:EST] is 1 April as written");
    assert_eq!(first.amount, dec("-6.60"));
    assert_eq!(first.counterparty_name.as_deref(), Some("MCDONALD'S #112"));
    assert_eq!(first.description.as_deref(), Some("POS MERCHANDISE;MCDONALD'S #112"), "MEMO is the description");
    assert_eq!(first.bank_reference.as_deref(), Some("0000123456782009040100001"), "FITID is the bank reference");
    assert_eq!(first.bank_transaction_code.as_deref(), Some("POS"));
    assert_eq!(first.line, Some(15));
    let last = &s.entries[2];
    assert_eq!((last.booking_date, last.amount), (day(2009, 4, 3), dec("-22.00")));
    assert_eq!(last.counterparty_name.as_deref(), Some("CONNIE'S HAIR D"));
    let closing = s.closing.expect("LEDGERBAL");
    assert_eq!((closing.date, closing.amount), (day(2009, 5, 23), dec("382.34")), "LEDGERBAL, not AVAILBAL 682.34");
    assert_eq!(s.opening, None, "OFX states no opening balance");
}

#[test]
fn checking_entries_and_balance() {
    saldo_statements::require_corpus!();
    let s = one("checking.ofx");
    assert_eq!(s.entries.len(), 3);
    assert_eq!(s.entries[0].booking_date, day(2011, 3, 31));
    assert_eq!(s.entries[0].amount, dec("0.01"));
    assert_eq!(s.entries[0].counterparty_name.as_deref(), Some("DIVIDEND EARNED FOR PERIOD OF 03"));
    let last = &s.entries[2];
    assert_eq!((last.booking_date, last.amount), (day(2011, 4, 7), dec("-25.00")));
    assert_eq!(last.counterparty_name.as_deref(), Some("RETURNED CHECK FEE, CHECK # 319"));
    assert_eq!(last.description.as_deref(), Some("RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11"));
    assert_eq!(s.entries.iter().map(|e| e.amount).sum::<Decimal>(), dec("-59.50"), "R17: exact sum");
    let closing = s.closing.unwrap();
    assert_eq!((closing.date, closing.amount), (day(2013, 5, 25), dec("100.99")));
}

/// A credit-card statement (OFX 2.x XML): a charge is money out.
#[test]
fn anz_credit_card_statement() {
    saldo_statements::require_corpus!();
    let s = one("anzcc.ofx");
    assert_eq!(s.account.number.as_deref(), Some("1234123412341234"), "CCACCTFROM ACCTID");
    assert_eq!(s.entries.len(), 1);
    let e = &s.entries[0];
    assert_eq!((e.booking_date, e.amount), (day(2017, 5, 8), dec("-5.50")));
    assert_eq!(e.value_date, None, "DTUSER is not a value date");
    assert_eq!(e.description.as_deref(), Some("SOME MEMO"));
    assert_eq!(e.counterparty_name, None);
    let closing = s.closing.unwrap();
    assert_eq!((closing.date, closing.amount), (day(2017, 5, 10), dec("-123.45")));
    assert_eq!(closing.currency.as_deref(), Some("AUD"));
}

#[test]
fn suncorp_cdata_values_are_read_and_trimmed() {
    saldo_statements::require_corpus!();
    let s = one("suncorp.ofx");
    let e = &s.entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some("EFTPOS WDL HANDYWAY ALDI STORE"));
    assert_eq!(e.description.as_deref(), Some("EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU"));
    assert_eq!((e.booking_date, e.amount), (day(2013, 12, 15), dec("-16.85")));
    assert_eq!(s.closing.unwrap().amount, dec("1234.12"));
}

/// Issue 17: multi-account OFX files map each account by its id.
#[test]
fn multiple_accounts_are_separate_statements_by_account_id() {
    saldo_statements::require_corpus!();
    let s = ofx::read(&corpus("multiple_accounts2.ofx")).unwrap();
    let accounts: Vec<_> =
        s.iter().map(|s| (s.account.number.clone().unwrap(), s.closing.clone().unwrap().amount)).collect();
    assert_eq!(accounts, vec![("9100".to_owned(), dec("111")), ("9200".to_owned(), dec("222"))]);
    assert!(s.iter().all(|s| s.entries.is_empty()));
    assert_eq!(s[0].closing.as_ref().unwrap().date, day(2012, 6, 3));
}

/// Real-but-nonconforming: empty leaves, end tags on leaves in a 1.x file,
/// an empty CURDEF (the entry's CURRENCY/CURSYM gives its currency), an
/// empty LEDGERBAL (no closing balance rather than an error).
#[test]
fn empty_tags_and_empty_balances_are_accepted() {
    saldo_statements::require_corpus!();
    let s = one("ofx-v102-empty-tags.ofx");
    assert_eq!(s.account.currency, None);
    let e = &s.entries[0];
    assert_eq!((e.booking_date, e.amount), (day(2018, 5, 7), dec("12.34")));
    assert_eq!(e.currency.as_deref(), Some("AUD"));
    assert_eq!(e.bank_reference, None, "an empty FITID is no reference");
    assert_eq!(e.value_date, Some(day(2018, 5, 7)), "the non-standard VALUEDATE");
    assert_eq!(s.closing, None);
    let s = one("fail_nice__empty_balance.ofx");
    assert_eq!(s.closing, None, "BALAMT of spaces");
    assert_eq!(s.entries[0].amount, dec("120"));
}

#[test]
fn investment_accounts_are_skipped_with_a_note_beside_bank_accounts() {
    saldo_statements::require_corpus!();
    let file = b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX>\
<INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><CURDEF>USD<INVACCTFROM><BROKERID>b<ACCTID>INV1</INVACCTFROM></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1>\
<CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>EUR<CCACCTFROM><ACCTID>4111</CCACCTFROM>\
<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20200102<TRNAMT>-1,50<FITID>a</STMTTRN></BANKTRANLIST></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>";
    let r = ofx::read_with_notes(file).unwrap();
    assert_eq!(r.statements.len(), 1, "the card account only");
    assert_eq!(r.statements[0].account.number.as_deref(), Some("4111"));
    assert_eq!(r.statements[0].entries[0].amount, dec("-1.50"), "a comma decimal separator");
    assert!(r.notes[0].message.contains("investment account INV1 skipped"), "{:?}", r.notes);
}

/// The header's charset decides the decoding; entities are decoded.
#[test]
fn charset_and_entities() {
    saldo_statements::require_corpus!();
    let mut file = b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\
<BANKACCTFROM><BANKID>1<ACCTID>FR76 3000 6000 0112 3456 7890 189<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>\
<STMTTRN><TRNTYPE>XFER<DTPOSTED>20200102<DTUSER>20191230<DTAVAIL>20200103<TRNAMT>10.00<FITID>f1<PAYEE><NAME>Soci"
        .to_vec();
    file.push(0xE9); // é in windows-1252
    file.extend_from_slice(
        b"t&eacute; A&amp;B</PAYEE><MEMO>x &lt;y&gt;<BANKACCTTO><BANKID>2<ACCTID>DE89 3704 0044 0532 0130 00<ACCTTYPE>CHECKING</BANKACCTTO></STMTTRN>\
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>",
    );
    let s = ofx::read(&file).unwrap().remove(0);
    assert_eq!(s.account.iban.as_deref(), Some("FR7630006000011234567890189"), "an IBAN ACCTID is an IBAN");
    let e = &s.entries[0];
    assert_eq!(e.counterparty_name.as_deref(), Some("Sociét&eacute; A&B"), "1252 byte decoded; unknown entity kept");
    assert_eq!(e.description.as_deref(), Some("x <y>"));
    assert_eq!(e.value_date, Some(day(2020, 1, 3)), "DTAVAIL is the value date, DTUSER is not");
    assert_eq!(e.counterparty_account.as_deref(), Some("DE89370400440532013000"));
}

#[test]
fn garbage_is_refused_not_a_panic() {
    saldo_statements::require_corpus!();
    for bytes in
        [&b""[..], b"<", b"<OFX", b"<![CDATA[", b"<OFX><STMTRS><BANKTRANLIST><STMTTRN>", b"\xff\xfe<OFX>&#xFFFFFFFF;"]
    {
        let _ = ofx::read(bytes);
    }
    assert!(ofx::read(b"hello").is_err());
    assert!(ofx::sniff(&corpus("bank_medium.ofx")) && ofx::sniff(&corpus("anzcc.ofx")));
}

/// Issue 17 "Bad input": a cut-off file (every 37th prefix of every corpus
/// file) is refused or read, never a panic.
#[test]
fn truncated_files_never_panic() {
    saldo_statements::require_corpus!();
    let dir = format!("{}/ofxparse", saldo_statements::corpus_dir().unwrap().display());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for end in (0..bytes.len()).step_by(37) {
            let _ = ofx::read(&bytes[..end]);
        }
    }
}
