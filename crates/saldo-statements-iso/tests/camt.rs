//! ISO 20022 camt.052/053/054 reader against the genkgo/camt corpus and
//! small inline documents for the rules the corpus does not cover.

mod support;

use saldo_statements::Format;
use saldo_statements_iso::read_camt;
use support::{assert_chains, corpus, corpus_files, day, dec, Expected};

/// Every camt file of the corpus: statements and entries, or the error.
#[test]
fn every_corpus_file_is_read_or_refused_clearly() {
    saldo_statements::require_corpus!();
    let expected: &[(&str, Expected)] = &[
        ("camt052.v1.xml", Ok((1, 1))),
        ("camt052.v2.xml", Ok((1, 1))),
        ("camt052.v4.xml", Ok((1, 1))),
        ("camt052.v6.Amt-zero.xml", Ok((1, 1))),
        ("camt052.v8.xml", Ok((1, 1))),
        ("camt053.v2.all-balance-types.xml", Ok((1, 1))),
        ("camt053.v2.five.decimals.xml", Ok((1, 1))),
        ("camt053.v2.minimal.ultimate.xml", Ok((1, 1))),
        ("camt053.v2.minimal.xml", Ok((1, 1))),
        ("camt053.v2.multi.statement.xml", Ok((2, 2))),
        ("camt053.v2.with-account-name.xml", Ok((1, 1))),
        ("camt053.v2.with-party-ids.xml", Ok((1, 1))),
        ("camt053.v2.wrong.xml", Err("BkToCstmrStmt has no <Stmt>")),
        ("camt053.v3.xml", Ok((1, 1))),
        ("camt053.v4.xml", Ok((1, 1))),
        ("camt053.v8.xml", Ok((1, 1))),
        ("camt054.v2.xml", Ok((1, 1))),
        ("camt054.v4.xml", Ok((1, 1))),
        ("camt054.v8.xml", Ok((1, 1))),
    ];
    let files = corpus_files("genkgo-camt");
    assert_eq!(files.len(), expected.len(), "a corpus file was added or removed: list it here");
    for (file, want) in expected {
        let got = read_camt(&corpus(&format!("genkgo-camt/{file}"))[..]);
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

/// The multi-statement file is the one whose balances are consistent:
/// each statement's opening plus its entries is its closing (R17).
#[test]
fn a_multi_statement_file_chains_exactly() {
    saldo_statements::require_corpus!();
    let file = "camt053.v2.multi.statement.xml";
    let s = read_camt(&corpus(&format!("genkgo-camt/{file}"))[..]).expect("reads");
    for stmt in &s {
        assert_chains(file, stmt);
    }
    assert_eq!(
        s[0].closing.as_ref().map(|b| b.amount),
        s[1].opening.as_ref().map(|b| b.amount),
        "the first statement's closing amount opens the second"
    );
    let first = &s[0].entries[0];
    assert_eq!(s[0].format, Format::Camt053);
    assert_eq!(s[0].id.as_deref(), Some("253EURNL26VAYB8060476890"));
    assert_eq!(s[0].account.iban.as_deref(), Some("NL26VAYB8060476890"));
    assert_eq!(s[0].account.currency.as_deref(), Some("EUR"));
    assert_eq!(s[0].opening.as_ref().map(|b| (b.date, b.amount)), Some((day(2014, 12, 30), dec("18.15"))));
    assert_eq!(s[0].closing.as_ref().map(|b| (b.date, b.amount)), Some((day(2014, 12, 31), dec("27.00"))));
    assert_eq!((first.booking_date, first.value_date), (day(2014, 12, 31), Some(day(2015, 1, 2))));
    assert_eq!(first.amount, dec("8.85"), "CRDT is money in");
    assert_eq!(first.counterparty_name, None, "money in: the counterparty is the debtor, and there is none");
    assert_eq!(first.remittance.as_deref(), Some("Transaction Description 1"));
    assert_eq!(first.end_to_end_id.as_deref(), Some("000000001"));
    assert_eq!(first.bank_transaction_code.as_deref(), Some("544"), "proprietary code when there is no domain");
    assert_eq!(first.line, Some(66), "provenance: the line of <Ntry>");
    let last = &s[1].entries[0];
    assert_eq!(last.amount, dec("-7.00"), "DBIT is money out (R17: exact, signed)");
    assert_eq!(last.counterparty_name.as_deref(), Some("Company Name 2"), "money out: the creditor");
    assert_eq!(last.counterparty_account.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(last.remittance.as_deref(), Some("Transaction Description 2"));
}

/// camt.053 version 8: `Sts/Cd`, `DtTm` booking date, `Pty`-wrapped names,
/// `Othr/Id` account, domain codes, a debit closing balance.
#[test]
fn version_8_statement_is_mapped() {
    saldo_statements::require_corpus!();
    let s = read_camt(&corpus("genkgo-camt/camt053.v8.xml")[..]).expect("reads");
    let stmt = &s[0];
    assert_eq!(stmt.account.number.as_deref(), Some("NL26VAYB8060476890"), "Othr/Id is a number, not an IBAN");
    assert_eq!(stmt.account.owner.as_deref(), Some("FINPETROL"));
    assert_eq!(stmt.closing.as_ref().map(|b| b.amount), Some(dec("-27.00")), "a DBIT balance is negative");
    assert_eq!(stmt.closing.as_ref().and_then(|b| b.currency.as_deref()), Some("SEK"));
    let e = &stmt.entries[0];
    assert_eq!(e.booking_date, day(2014, 12, 31), "DtTm 2014-12-31T13:15:00+01:00 is the bank's 31 December (R17)");
    assert!(e.booked, "Sts/Cd BOOK is booked");
    assert_eq!(e.counterparty_name.as_deref(), Some("NAME NAME"), "money in: the debtor, inside Pty");
    assert_eq!(e.counterparty_account.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(e.structured_reference.as_deref(), Some("4654654654654654"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("MUELL/FINP/RA12345"));
    assert_eq!(e.bank_reference.as_deref(), Some("AAAASESS-FP-CN_98765/01"));
    assert_eq!(e.bank_transaction_code.as_deref(), Some("PMNT-RCDT-BOOK"));
    assert_eq!(e.line, Some(110));
}

/// camt.053 version 3 takes the bank's BIC and the agent's BIC.
#[test]
fn version_3_reads_bics() {
    saldo_statements::require_corpus!();
    let s = read_camt(&corpus("genkgo-camt/camt053.v3.xml")[..]).expect("reads");
    assert_eq!(s[0].account.bic.as_deref(), Some("KREDBEBB"));
    let e = &s[0].entries[0];
    assert_eq!(e.counterparty_bic.as_deref(), Some("KREDBEBB"), "money in: the debtor's agent");
    assert_eq!(e.amount, dec("8.85"), "the entry's amount, not the single transaction's 105.750");
}

/// Of all balance types only OPBD and CLBD are the statement's; PRCD does
/// not replace an OPBD.
#[test]
fn opening_is_opbd_and_closing_is_clbd() {
    saldo_statements::require_corpus!();
    let s = read_camt(&corpus("genkgo-camt/camt053.v2.all-balance-types.xml")[..]).expect("reads");
    assert_eq!(s[0].opening.as_ref().map(|b| b.amount), Some(dec("1.01")));
    assert_eq!(s[0].closing.as_ref().map(|b| b.amount), Some(dec("4.04")));
    assert_eq!(s[0].entries[0].amount.to_string(), "8.850", "the amount as written, exactly (R17)");
}

/// A camt.052 `PDNG` entry is not booked; version 1's `V01` message name and
/// `PrtryAcct` are understood.
#[test]
fn account_reports_keep_pending_entries_pending() {
    saldo_statements::require_corpus!();
    let s = read_camt(&corpus("genkgo-camt/camt052.v4.xml")[..]).expect("reads");
    assert_eq!(s[0].format, Format::Camt052);
    let e = &s[0].entries[0];
    assert!(!e.booked, "PDNG is pending");
    assert_eq!(e.counterparty_name.as_deref(), Some("Example Creditor 4 - V1"), "the transaction is a credit: debtor");
    assert_eq!(e.remittance.as_deref(), Some("Example Remittance - 4 - V1"));
    let v1 = read_camt(&corpus("genkgo-camt/camt052.v1.xml")[..]).expect("reads");
    assert_eq!(v1[0].account.number.as_deref(), Some("CH2801234000123456789"));
    assert_eq!(v1[0].entries[0].amount, dec("-200000"));
}

/// A camt.054 entry whose three transactions do not add up to it stays one
/// entry with its own amount, and no single payment's details (batches).
#[test]
fn a_batch_that_does_not_add_up_stays_one_entry() {
    saldo_statements::require_corpus!();
    let s = read_camt(&corpus("genkgo-camt/camt054.v4.xml")[..]).expect("reads");
    assert_eq!(s[0].format, Format::Camt054);
    assert_eq!(s[0].entries.len(), 1, "three TxDtls of 3.1 + 3.2 + 3.2 CHF are not the entry's 200000 SEK");
    let e = &s[0].entries[0];
    assert_eq!(e.amount, dec("-200000"));
    assert_eq!(e.counterparty_name, None, "a batch's payments have different creditors");
    assert_eq!(e.description.as_deref(), Some("Order"));
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><Stmt><Id>S1</Id>
<Acct><Id><IBAN>DE89 3704 0044 0532 0130 00</IBAN></Id></Acct>"#;
const TAIL: &str = "</Stmt></BkToCstmrStmt></Document>";

fn doc(body: &str) -> Vec<u8> {
    format!("{HEAD}{body}{TAIL}").into_bytes()
}

/// A batch whose transactions each carry an amount adding up exactly to the
/// entry becomes one entry per payment — nothing counted twice (R17).
#[test]
fn a_batch_that_adds_up_is_split_into_its_payments() {
    saldo_statements::require_corpus!();
    let body = r#"<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>B1</AcctSvcrRef><NtryDtls>
<TxDtls><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RltdPties><Cdtr><Nm>A</Nm></Cdtr></RltdPties></TxDtls>
<TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls><RltdPties><Cdtr><Nm>B &amp; Co</Nm></Cdtr></RltdPties>
<RmtInf><Ustrd>one</Ustrd><Ustrd>two</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>"#;
    let s = read_camt(&doc(body)[..]).expect("reads");
    let e = &s[0].entries;
    assert_eq!(e.len(), 2, "two payments that sum to the entry");
    assert_eq!((e[0].amount, e[1].amount), (dec("-10.00"), dec("-20.00")));
    assert_eq!(e.iter().map(|e| e.amount).sum::<rust_decimal::Decimal>(), dec("-30.00"), "the sum is the entry");
    assert_eq!(e[1].counterparty_name.as_deref(), Some("B & Co"), "entities are resolved");
    assert_eq!(e[1].remittance.as_deref(), Some("one two"), "Ustrd lines joined by a space");
    assert_eq!((e[0].position, e[1].position), (1, 2));
    assert_eq!(e[1].bank_reference.as_deref(), Some("B1/2"), "each payment keeps a distinct reference (R16)");
    assert_eq!(s[0].account.iban.as_deref(), Some("DE89370400440532013000"), "IBAN compacted");
}

/// A batch whose transaction amounts do not add up stays one entry.
#[test]
fn a_batch_with_a_wrong_sum_is_not_split() {
    saldo_statements::require_corpus!();
    let body = r#"<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2024-03-01</Dt></BookgDt>
<NtryDtls><TxDtls><Amt Ccy="EUR">10.00</Amt></TxDtls><TxDtls><Amt Ccy="EUR">10.00</Amt></TxDtls></NtryDtls></Ntry>"#;
    let s = read_camt(&doc(body)[..]).expect("reads");
    assert_eq!(s[0].entries.len(), 1);
    assert_eq!(s[0].entries[0].amount, dec("-30.00"));
}

/// A zero amount is a valid entry; `PDNG` is pending; a `DtTm` value date is
/// the bank's calendar day (R17); `NOTPROVIDED` is no end-to-end id; a
/// reversal indicator does not flip the sign twice.
#[test]
fn zero_pending_datetime_and_reversal() {
    saldo_statements::require_corpus!();
    let body = r#"<Ntry><Amt Ccy="EUR">0</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>PDNG</Cd></Sts>
<BookgDt><DtTm>2023-12-31T23:30:00-05:00</DtTm></BookgDt><ValDt><DtTm>2024-01-01T00:10:00+01:00</DtTm></ValDt>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId><MndtId>M-1</MndtId></Refs>
<RltdPties><UltmtDbtr><Nm>Ultimate</Nm></UltmtDbtr></RltdPties></TxDtls></NtryDtls></Ntry>"#;
    let s = read_camt(&doc(body)[..]).expect("reads");
    let e = &s[0].entries[0];
    assert_eq!(e.amount, dec("0"), "a zero amount entry is valid");
    assert!(!e.booked, "PDNG is pending");
    assert_eq!(e.booking_date, day(2023, 12, 31), "the date as the bank wrote it, not UTC (R17)");
    assert_eq!(e.value_date, Some(day(2024, 1, 1)));
    assert_eq!(e.end_to_end_id, None, "NOTPROVIDED is no id");
    assert_eq!(e.mandate.as_deref(), Some("M-1"));
    assert_eq!(e.counterparty_name.as_deref(), Some("Ultimate"), "the ultimate debtor when there is no debtor");
    let reversed = r#"<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>
<BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>"#;
    let s = read_camt(&doc(reversed)[..]).expect("reads");
    assert_eq!(s[0].entries[0].amount, dec("5.00"), "a reversed debit is booked CRDT: the indicator already says so");
}

/// Wrong documents are refused with the reason and, where known, the line.
#[test]
fn wrong_documents_are_refused_clearly() {
    saldo_statements::require_corpus!();
    let pain = br#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>"#;
    let e = read_camt(&pain[..]).expect_err("pain is not camt");
    assert!(e.to_string().contains("pain.001"), "{e}");
    let e = read_camt(&b"<html><body>hello</body></html>"[..]).expect_err("not camt");
    assert!(e.to_string().contains("<html>"), "{e}");
    let e = read_camt(&b"not xml at all"[..]).expect_err("not xml");
    assert!(!e.to_string().is_empty());
    let broken = doc(
        r#"<Ntry><Amt Ccy="EUR">1,50</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>"#,
    );
    let e = read_camt(&broken[..]).expect_err("a decimal comma is not an ISO amount");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.to_string().contains("Ntry/Amt"), "{e}");
    let no_date = doc(r#"<Ntry><Amt Ccy="EUR">1.50</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"#);
    assert!(read_camt(&no_date[..]).is_err(), "an entry needs a date");
    let cut = &doc("")[..100];
    assert!(read_camt(cut).is_err(), "a cut-off document is not well-formed");
}

/// The stream yields a statement's beginning (with its account) before its
/// entries, one item per entry, then its end; a document cut off inside a
/// statement ends with an error, not with a statement missing its end.
#[test]
fn entries_stream_one_by_one_and_a_cut_short_document_is_refused() {
    use saldo_statements::Item;
    let entry = |n: u32| {
        format!(
            r#"<Ntry><Amt Ccy="EUR">{n}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-03-0{n}</Dt></BookgDt></Ntry>"#
        )
    };
    let body: String = (1..=3).map(entry).collect();
    let items: Vec<Item> = saldo_statements_iso::camt_items(&doc(&body)[..]).collect::<Result<_, _>>().expect("reads");
    assert_eq!(items.len(), 5, "begin, three entries, end");
    match &items[0] {
        Item::Begin(s) => {
            assert_eq!(s.account.iban.as_deref(), Some("DE89370400440532013000"));
            assert!(s.entries.is_empty());
        }
        other => panic!("first item: {other:?}"),
    }
    let positions: Vec<usize> = items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(e) => Some(e.position),
            _ => None,
        })
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    assert!(matches!(items[4], Item::End { format: Format::Camt053, .. }));

    let cut = format!("{HEAD}{body}");
    let got: Vec<Result<Item, _>> = saldo_statements_iso::camt_items(cut.as_bytes()).collect();
    let err = got.last().expect("items").as_ref().expect_err("a cut-short document ends with an error");
    assert!(err.to_string().contains("cut short"), "{err}");
    assert!(read_camt(cut.as_bytes()).is_err(), "and is refused whole");
}
