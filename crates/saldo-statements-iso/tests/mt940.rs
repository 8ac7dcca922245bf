//! SWIFT MT940/MT942 reader against the wolph/mt940 corpus (German, Dutch,
//! Swiss, Polish, Hungarian and Russian banks, and the field snippets of
//! other parsers' tests) and small inline files for the tricky rules.

mod support;

use rust_decimal::Decimal;
use saldo_statements::Format;
use saldo_statements_iso::read_mt940;
use support::{assert_chains, corpus, corpus_files, day, dec, Expected};

/// Every MT940 file of the corpus: statements and entries, or the error.
/// The errors are the one-field snippets (no `:20:` before the field), the
/// deliberately broken files, and a file with an entry after its last
/// statement ended.
#[test]
fn every_corpus_file_is_read_or_refused_clearly() {
    saldo_statements::require_corpus!();
    let outside = "is outside a statement";
    let expected: &[(&str, Expected)] = &[
        ("betterplace__amount_formats.sta", Err(outside)),
        ("betterplace__currency_in_25.sta", Err(outside)),
        ("betterplace__empty_86.sta", Err(outside)),
        ("betterplace__empty_entry_date.sta", Err(outside)),
        ("betterplace__empty_line.sta", Err("has no account (:25:)")),
        ("betterplace__missing_crlf_at_end.sta", Err(outside)),
        ("betterplace__sepa_mt9401.sta", Ok((26, 97))),
        ("betterplace__sepa_snippet.sta", Ok((2, 11))),
        ("betterplace__sepa_snippet_broken.sta", Err("line 6: a second :25:")),
        ("betterplace__with_binary_character.sta", Ok((2, 4))),
        ("cmxl__account_balance_credit.sta", Err(outside)),
        ("cmxl__account_balance_debit.sta", Err(outside)),
        ("cmxl__account_identification_iban.sta", Err(outside)),
        ("cmxl__account_identification_legacy.sta", Err(outside)),
        ("cmxl__available_balance.sta", Err(outside)),
        ("cmxl__closing_balance.sta", Err(outside)),
        ("cmxl__mt940.sta", Ok((3, 16))),
        ("cmxl__reference.sta", Err("has no account (:25:)")),
        ("cmxl__statement_details.sta", Err(outside)),
        ("cmxl__statement_line.sta", Err(outside)),
        ("cmxl__statement_number.sta", Err(outside)),
        ("jejik__abnamro.sta", Ok((2, 10))),
        ("jejik__generic.sta", Ok((2, 2))),
        ("jejik__ing.sta", Ok((1, 7))),
        ("jejik__knab.sta", Ok((2, 3))),
        ("jejik__postfinance.sta", Ok((2, 4))),
        ("jejik__rabobank-iban.sta", Ok((2, 4))),
        ("jejik__rabobank.sta", Ok((4, 5))),
        ("jejik__sns.sta", Ok((2, 2))),
        ("jejik__triodos.sta", Ok((1, 2))),
        ("mBank__mt940.sta", Ok((1, 3))),
        ("mBank__mt942.sta", Ok((1, 3))),
        ("mBank__with_newline_in_tnr.sta", Ok((1, 2))),
        ("sberbank__171011_01234945.sta", Ok((1, 3))),
        ("self-provided__account_identification.sta", Ok((2, 0))),
        ("self-provided__details_60-63.sta", Ok((1, 1))),
        ("self-provided__empty_non_swift.sta", Err("no MT940/MT942 statement")),
        ("self-provided__february_30.sta", Ok((1, 1))),
        ("self-provided__gv_codes.sta", Ok((1, 2))),
        ("self-provided__invalid_statement.sta", Err("no MT940/MT942 statement")),
        ("self-provided__long_statement_number.sta", Ok((1, 0))),
        ("self-provided__malformed_details.sta", Ok((1, 1))),
        ("self-provided__mt942.sta", Ok((1, 1))),
        ("self-provided__multiline.sta", Err("line 38: field :61: is outside a statement")),
        ("self-provided__overly_long_details.sta", Ok((1, 1))),
        ("self-provided__raiffeisen-cmi.sta", Ok((1, 7))),
        ("self-provided__raphaelm.sta", Ok((3, 9))),
        ("self-provided__sparkassen.sta", Err(outside)),
        ("self-provided__transaction_details_wrapped.sta", Ok((1, 1))),
        ("self-provided__whitespace.sta", Ok((1, 1))),
        ("self-provided__wrapped_timestamp.sta", Ok((1, 1))),
    ];
    let files = corpus_files("mt940");
    assert_eq!(files.len(), expected.len(), "a corpus file was added or removed: list it here");
    for (file, want) in expected {
        let got = read_mt940(&corpus(&format!("mt940/{file}"))[..]);
        match (want, got) {
            (Ok((statements, entries)), Ok(s)) => {
                assert_eq!(s.len(), *statements, "{file}: statements");
                assert_eq!(s.iter().map(|s| s.entries.len()).sum::<usize>(), *entries, "{file}: entries");
            }
            (Err(message), Err(e)) => {
                assert!(e.to_string().contains(message), "{file}: error {e} should say {message:?}")
            }
            (want, got) => panic!("{file}: expected {want:?}, got {got:?}"),
        }
    }
}

/// Bank files whose balances are consistent: opening + entries = closing,
/// exactly, for every statement (R17). (The other files were anonymised or
/// trimmed and do not add up: ABN AMRO, ING, Knab, Postfinance, Triodos…)
#[test]
fn bank_statements_chain_exactly() {
    saldo_statements::require_corpus!();
    for file in [
        "betterplace__sepa_mt9401.sta",
        "betterplace__with_binary_character.sta",
        "cmxl__mt940.sta",
        "jejik__generic.sta",
        "jejik__rabobank-iban.sta",
        "jejik__sns.sta",
        "mBank__mt940.sta",
        "sberbank__171011_01234945.sta",
        "self-provided__february_30.sta",
        "self-provided__raphaelm.sta",
        "self-provided__transaction_details_wrapped.sta",
        "self-provided__wrapped_timestamp.sta",
    ] {
        for stmt in read_mt940(&corpus(&format!("mt940/{file}"))[..]).expect(file) {
            assert_chains(file, &stmt);
        }
    }
    let s = read_mt940(&corpus("mt940/betterplace__sepa_mt9401.sta")[..]).expect("reads");
    let total: Decimal = s.iter().flat_map(|s| &s.entries).map(|e| e.amount).sum();
    assert_eq!(total, dec("-9269135.90"), "sum of the 97 entries, computed independently (regex over :61:)");
}

/// The German SEPA sub-fields of a Commerzbank-style file.
#[test]
fn german_sepa_details_are_mapped() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/betterplace__sepa_snippet.sta")[..]).expect("reads");
    let stmt = &s[0];
    assert_chains("betterplace__sepa_snippet.sta", stmt);
    assert_eq!(stmt.id.as_deref(), Some("00004/00001"), ":28C: is the statement's id");
    assert_eq!(stmt.account.number.as_deref(), Some("50880050/0194787400888"), "BLZ/number as written");
    assert_eq!(stmt.opening.as_ref().map(|b| (b.date, b.amount)), Some((day(2007, 9, 3), dec("766656.49"))));
    assert_eq!(stmt.closing.as_ref().map(|b| (b.date, b.amount)), Some((day(2007, 9, 4), dec("1125250.4"))));
    let first = &stmt.entries[0];
    assert_eq!((first.value_date, first.booking_date), (Some(day(2007, 9, 7)), day(2007, 9, 4)));
    assert_eq!(first.amount, dec("50990.05"), "CR: credit with funds code R");
    assert_eq!(first.counterparty_name.as_deref(), Some("KARL KAUFMANN"), "?32 + ?33, spaces collapsed");
    assert_eq!(first.counterparty_account.as_deref(), Some("DE14508800500194785000"));
    assert_eq!(first.counterparty_bic.as_deref(), Some("DRESDEFF508"));
    assert_eq!(first.description.as_deref(), Some("GUTSCHRIFT"), "?00 booking text");
    assert_eq!(first.end_to_end_id.as_deref(), Some("EndToEndId TFNR 22 004 00001"), "EREF+ across ?20/?21");
    assert_eq!(first.remittance.as_deref(), Some("Verw CTSc-01 BC-PPP TFNr 22 004"), "SVWZ+");
    assert_eq!(first.bank_reference.as_deref(), Some("0724710333343453"));
    assert_eq!(first.bank_transaction_code.as_deref(), Some("NTRF"));
    assert_eq!(first.line, Some(5));
    let last = &stmt.entries[3];
    assert_eq!(last.amount, dec("-1500.00"));
    assert_eq!(last.description.as_deref(), Some("SEPA-UEBERW"));
    assert_eq!(last.remittance, None, "KREF+ is dropped and there is no SVWZ+");
    assert_eq!(last.bank_reference.as_deref(), Some("536D80EFEC56ACF8"));
    let second = &s[1];
    assert_eq!(second.opening.as_ref().map(|b| b.amount), Some(dec("-1970431.87")), "D: a debit balance");
    assert_eq!(second.entries[1].remittance, None);
}

/// Mandate and end-to-end id from the purpose; a keyword cut across two
/// sub-fields (`S` + `VWZ+`) is still found.
#[test]
fn sepa_keywords_across_sub_fields() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/self-provided__gv_codes.sta")[..]).expect("reads");
    let e = &s[0].entries[0];
    assert_eq!(e.end_to_end_id.as_deref(), Some("1234567890123 PAYPAL"));
    assert_eq!(e.mandate.as_deref(), Some("12AB234CD6E7F"));
    assert_eq!(e.remittance.as_deref(), Some(". SPOTIFY, Ihr Einkaufbei SPOTIFY"));
    assert_eq!(e.counterparty_name.as_deref(), Some("PayPal (Europe) S.a.r.l. et"));
    assert_eq!(s[0].entries[1].booking_date, day(2019, 10, 25), "an entry without :86:");
}

/// Rabobank's Dutch `/KEY/value/` details; the counterparty IBAN on the
/// `:61:`'s second line.
#[test]
fn dutch_details_are_mapped() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/jejik__rabobank-iban.sta")[..]).expect("reads");
    assert_eq!(s[0].account.iban.as_deref(), Some("NL71RABO0123456789"));
    let first = &s[0].entries[0];
    assert_eq!(first.amount, dec("-25.00"));
    assert_eq!(first.counterparty_account.as_deref(), Some("NL70ABNA0987654321"));
    assert_eq!(first.counterparty_name.as_deref(), Some("CONTRA ACCOUNT HOLDER"), "a 65-wide line continues directly");
    assert_eq!(first.end_to_end_id.as_deref(), Some("01-01-2013 12:00 0030000987654321"));
    let last = &s[1].entries[1];
    assert_eq!(last.booking_date, day(2013, 1, 9));
    assert_eq!(last.counterparty_name.as_deref(), Some("JOHN DOE"));
    assert_eq!(last.remittance.as_deref(), Some("Reference 201301234"));
}

/// 30 February (30/360 day count) is the end of February; the entry date
/// `0301` books it on 1 March.
#[test]
fn february_30_is_read_as_the_end_of_february() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/self-provided__february_30.sta")[..]).expect("reads");
    let e = &s[0].entries[0];
    assert_eq!((e.value_date, e.booking_date), (Some(day(2016, 2, 29)), day(2016, 3, 1)), "R17");
    assert_eq!(e.amount, dec("-6.00"));
    assert_eq!(e.description.as_deref(), Some("ENTGELTABSCHLUSS"));
}

/// MT942 is recognised by its fields and has no balances.
#[test]
fn an_interim_report_is_mt942() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/self-provided__mt942.sta")[..]).expect("reads");
    assert_eq!(s[0].format, Format::Mt942);
    assert_eq!((s[0].opening.as_ref(), s[0].closing.as_ref()), (None, None));
    let e = &s[0].entries[0];
    assert_eq!((e.value_date, e.booking_date), (Some(day(2016, 10, 30)), day(2016, 10, 31)));
    assert_eq!(e.amount, dec("-0.42"));
    assert_eq!(e.bank_reference.as_deref(), Some("055001022000001"));
    assert_eq!(e.description.as_deref(), Some("REMIT:Costs to MT940 Parsing. This is Somuchfun."));
    let m = read_mt940(&corpus("mt940/mBank__mt942.sta")[..]).expect("reads");
    assert_eq!(m[0].format, Format::Mt942);
    assert_eq!(m[0].account.iban.as_deref(), Some("PL29114010810000267002001002"));
}

/// Lines that are not valid UTF-8 are Latin-1; UTF-8 lines stay UTF-8.
#[test]
fn non_utf8_bytes_are_latin1() {
    saldo_statements::require_corpus!();
    let s = read_mt940(&corpus("mt940/betterplace__with_binary_character.sta")[..]).expect("reads");
    assert_eq!(s[0].id.as_deref(), Some("00027/00001"));
    assert_eq!(s[0].entries[0].counterparty_name.as_deref(), Some("PAYPAL"));
    let mut file = b":20:X\n:25:DE89370400440532013000\n:60F:C240101EUR1,00\n:61:240102D1,00NTRFNONREF\n:86:M\xfcller\n:62F:C240102EUR0,00\n".to_vec();
    let s = read_mt940(&file[..]).expect("reads");
    assert_eq!(s[0].entries[0].description.as_deref(), Some("Müller"), "0xFC is ü in Latin-1");
    file.truncate(file.len() - 1);
    assert_eq!(
        read_mt940(&file[..]).expect("reads")[0].closing.as_ref().map(|b| b.amount),
        Some(dec("0.00")),
        "no final newline"
    );
}

const STATEMENT: &str = ":20:REF\r\n:25:DE89370400440532013000\r\n:28C:7/1\r\n:60F:C231229EUR100,00\r\n";

/// Reversals flip the sign: `RC` takes money out, `RD` puts it back.
#[test]
fn reversals_flip_the_sign() {
    saldo_statements::require_corpus!();
    let file = format!("{STATEMENT}:61:231229RC10,00NTRFNONREF\r\n:61:231229RD4,50NTRFNONREF\r\n:61:231229CR1,NTRFNONREF\r\n:62F:C231229EUR95,50\r\n-\r\n");
    let s = read_mt940(file.as_bytes()).expect("reads");
    let amounts: Vec<Decimal> = s[0].entries.iter().map(|e| e.amount).collect();
    assert_eq!(
        amounts,
        vec![dec("-10.00"), dec("4.50"), dec("1")],
        "RC is a debit, RD a credit, CR = C + funds code R"
    );
    assert_chains("inline", &s[0]);
    assert_eq!(s[0].account.iban.as_deref(), Some("DE89370400440532013000"));
}

/// An entry date without a year takes the year nearest its value date.
#[test]
fn entry_dates_cross_the_year_boundary() {
    saldo_statements::require_corpus!();
    let file = format!("{STATEMENT}:61:2312310102D1,00NTRFNONREF\r\n:61:2401021231C1,00NTRFNONREF\r\n");
    let s = read_mt940(file.as_bytes()).expect("reads");
    let e = &s[0].entries;
    assert_eq!((e[0].value_date, e[0].booking_date), (Some(day(2023, 12, 31)), day(2024, 1, 2)), "R17");
    assert_eq!((e[1].value_date, e[1].booking_date), (Some(day(2024, 1, 2)), day(2023, 12, 31)), "R17");
}

/// SWIFT block wrappers, several statements per file, an `:86:` after the
/// closing balance (statement information, not the last entry's), ING's
/// `/CNTP/` details, and a Sparkasse `:86:` tag broken over two lines.
#[test]
fn wrappers_and_dialects() {
    saldo_statements::require_corpus!();
    let file = "{1:F01INGBNL2AXXXX0000000000}{2:I940INGBNL2AXXXXN}{4:\n\
        :20:A\n:25:NL20INGB0001234567EUR\n:28C:1\n:60F:C240101EUR10,00\n\
        :61:240101D2,50NTRFEREF//X1\n:86:/CNTP/NL08INGB0000000555/INGBNL2A/ING BANK/AMSTERDAM/REMI/USTD//Rent Jan/EREF/E-1/\n\
        :62F:C240101EUR7,50\n:86:summary\n-}\n\
        {1:F01INGBNL2AXXXX0000000000}{2:I942INGBNL2AXXXXN}{4:\n:20:B\n:25:NL20INGB0001234567\n:28C:2\n\
        :61:2401020102CR5,00N166NONREF\n:\n86:166?00GUTSCHRIFT?20SVWZ+Test\n-}";
    let s = read_mt940(file.as_bytes()).expect("reads");
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].format, s[1].format), (Format::Mt940, Format::Mt942), "{{2:I942 marks an MT942");
    assert_eq!(s[0].account.currency.as_deref(), Some("EUR"));
    let e = &s[0].entries[0];
    assert_eq!(e.counterparty_account.as_deref(), Some("NL08INGB0000000555"));
    assert_eq!(e.counterparty_bic.as_deref(), Some("INGBNL2A"));
    assert_eq!(e.counterparty_name.as_deref(), Some("ING BANK"));
    assert_eq!(e.remittance.as_deref(), Some("Rent Jan"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("E-1"));
    assert_eq!(e.bank_reference.as_deref(), Some("X1"));
    assert_eq!(s[1].entries[0].remittance.as_deref(), Some("Test"), "`:` + `86:…` is one :86:");
    assert_eq!(s[1].entries[0].description.as_deref(), Some("GUTSCHRIFT"));
}

/// Broken content is refused with its line.
#[test]
fn broken_fields_name_their_line() {
    saldo_statements::require_corpus!();
    let bad_amount = format!("{STATEMENT}:61:231229D1.000,00NTRF\r\n");
    let e = read_mt940(bad_amount.as_bytes()).expect_err("a point is no decimal comma");
    assert_eq!(e.line, Some(5), "{e}");
    let bad_date = format!("{STATEMENT}:61:231329D1,00NTRF\r\n");
    let e = read_mt940(bad_date.as_bytes()).expect_err("month 13");
    assert!(e.to_string().contains("not a date"), "{e}");
    let bad_mark = ":20:A\n:25:X\n:60F:X231229EUR1,00\n";
    assert_eq!(read_mt940(bad_mark.as_bytes()).expect_err("no C/D").line, Some(3));
    assert!(read_mt940(&b""[..]).is_err(), "an empty file has no statement");
    assert!(read_mt940(&[0xff, 0xfe, 0x00, 0x01][..]).is_err(), "binary junk has no statement");
}
