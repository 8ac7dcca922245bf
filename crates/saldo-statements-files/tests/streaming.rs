//! The OFX, QIF and CSV readers read a file in passes instead of holding it
//! (issue 17: "a huge file streams in bounded memory"): what the whole file
//! decides is found first, every error before the first item, and the
//! entries are then read again, one statement at a time, each once and in
//! the file's order — also when a file's accounts are interleaved.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, Read};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_decimal::Decimal;
use saldo_statements::Item;
use saldo_statements_files::csv::{self, CsvProfile};
use saldo_statements_files::qif::{self, QifOptions};
use saldo_statements_files::{ofx, Reopen};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A file in memory that counts the bytes its readers take.
struct Counted {
    bytes: Vec<u8>,
    read: AtomicU64,
}

impl Counted {
    fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self { bytes: bytes.into(), read: AtomicU64::new(0) }
    }

    fn read_bytes(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

struct Counting<'a> {
    inner: &'a [u8],
    read: &'a AtomicU64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Reopen for Counted {
    fn open_at(&self, offset: u64) -> std::io::Result<Box<dyn BufRead + Send + '_>> {
        let start = usize::try_from(offset).unwrap().min(self.bytes.len());
        Ok(Box::new(std::io::BufReader::new(Counting { inner: &self.bytes[start..], read: &self.read })))
    }
}

/// Statements as the tests compare them: each account, and its entries'
/// (position, line, amount).
type Statements = Vec<(String, Vec<(usize, usize, Decimal)>)>;

/// The items of a stream, each statement as (account, entries' (position,
/// line, amount)), checking the items' shape on the way.
fn statements(items: impl Iterator<Item = Result<Item, saldo_statements::ReadError>>) -> Statements {
    let mut out: Statements = Vec::new();
    let mut open = false;
    for item in items {
        match item.unwrap() {
            Item::Begin(s) => {
                assert!(!open, "a statement begins inside another");
                assert!(s.entries.is_empty(), "a statement's entries follow its beginning");
                let a = s.account;
                out.push((a.iban.or(a.number).or(a.name).unwrap_or_default(), Vec::new()));
                open = true;
            }
            Item::Entry(e) => {
                assert!(open, "an entry outside a statement");
                out.last_mut().unwrap().1.push((e.position, e.line.unwrap(), e.amount));
            }
            Item::End { .. } => {
                assert!(open, "an end without a beginning");
                open = false;
            }
        }
    }
    assert!(!open, "the last statement is ended");
    out
}

fn csv_profile(account_column: bool) -> CsvProfile {
    let account = if account_column { r#","account_column":"Account""# } else { "" };
    serde_json::from_str(&format!(
        r#"{{"name":"t","date":"Date","date_format":"%Y-%m-%d","amount":{{"kind":"signed","column":"Amount"}},"balance":"Balance"{account}}}"#
    ))
    .unwrap()
}

/// A CSV file of `n` rows per account, accounts `A` and `B` in blocks or
/// interleaved, with a running balance per account.
fn csv_file(n: usize, interleaved: bool) -> (String, Statements) {
    let mut text = String::from("Date,Account,Amount,Balance\r\n");
    let mut expected: Statements = vec![("A".into(), Vec::new()), ("B".into(), Vec::new())];
    let mut balances = [Decimal::ZERO, Decimal::ZERO];
    let order: Vec<usize> =
        if interleaved { (0..2 * n).map(|i| i % 2).collect() } else { (0..2 * n).map(|i| i / n).collect() };
    for (row, &account) in order.iter().enumerate() {
        let k = expected[account].1.len();
        let amount = Decimal::new(i64::try_from(k * 7 % 1000).unwrap() - 400, 2);
        balances[account] += amount;
        let day = 1 + (k / 500) % 28;
        text.push_str(&format!("2024-02-{day:02},{},{amount},{}\r\n", expected[account].0, balances[account]));
        expected[account].1.push((k + 1, row + 2, amount));
    }
    (text, expected)
}

/// A CSV file's accounts come out one after the other, each row once, in
/// the file's order, with the line it is on; accounts written one after
/// the other are read in two passes, not one per account.
#[test]
fn csv_rows_of_each_account_come_once_in_order() {
    for interleaved in [false, true] {
        let (text, expected) = csv_file(3000, interleaved);
        let file = Counted::new(text);
        let stream = csv::stream(&file, &csv_profile(true)).unwrap();
        assert!(stream.notes.is_empty(), "each account's running balance adds up: {:?}", stream.notes);
        assert_eq!(statements(stream.items), expected, "interleaved: {interleaved}");
        let size = file.bytes.len() as u64;
        let passes = if interleaved { 3 } else { 2 };
        assert!(
            file.read_bytes() <= passes * size + (64 << 10),
            "{} bytes read for a file of {size} (interleaved: {interleaved})",
            file.read_bytes()
        );
    }
}

/// Each account's balances come from its own running balance, also when
/// the accounts are interleaved.
#[test]
fn csv_balances_are_each_accounts_own() {
    let (text, expected) = csv_file(50, true);
    let all = csv::read(text.as_bytes(), &csv_profile(true)).unwrap();
    for (s, (name, rows)) in all.iter().zip(&expected) {
        assert_eq!(s.account.number.as_deref(), Some(name.as_str()));
        let sum: Decimal = rows.iter().map(|r| r.2).sum();
        assert_eq!(s.opening.as_ref().map(|b| b.amount), Some(Decimal::ZERO), "{name}");
        assert_eq!(s.closing.as_ref().map(|b| b.amount), Some(sum), "{name}");
    }
}

/// Every error is found before the first item: a bad last row refuses the
/// file when it is opened, so an import never begins with part of it.
#[test]
fn an_error_at_the_end_of_a_file_is_found_before_any_item() {
    let (mut text, _) = csv_file(100, false);
    text.push_str("2024-02-31,A,1.00,1.00\r\n");
    let e = csv::stream(&text.as_bytes(), &csv_profile(true)).unwrap_err();
    assert_eq!(e.line, Some(202), "{e}");

    let mut qif = String::from("!Type:Bank\n");
    for i in 0..100 {
        qif.push_str(&format!("D1/{}/2024\nT-{i}.50\nPShop\n^\n", 1 + i % 28));
    }
    qif.push_str("D1/5/2024\nTten\n^\n");
    let e = qif::stream(&qif.as_bytes(), &QifOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(403), "{e}");

    let ofx = ofx_file(&[("111", &["-1.00", "2.00"]), ("222", &["3.00", ""])], false);
    let e = ofx::stream(&ofx.as_bytes()).unwrap_err();
    assert!(e.message.contains("TRNAMT") || e.message.contains("amount"), "{e}");
    assert!(e.line.is_some(), "the bad entry's line is named: {e}");
}

/// QIF: an account's registers are joined wherever they are in the file;
/// its first record, an opening balance, is no entry.
#[test]
fn qif_registers_of_one_account_are_joined() {
    let file = "!Account\nNChecking\nTBank\n^\n!Type:Bank\nD1/1/24\nT100.00\nPOpening Balance\nL[Checking]\n^\nD1/2/24\nT-1.00\n^\n\
                !Account\nNVisa\nTCCard\n^\n!Type:CCard\nD1/3/24\nT-2.00\n^\n\
                !Account\nNChecking\nTBank\n^\n!Type:Bank\nD1/4/24\nT-3.00\n^\nD1/5/24\nT-4.00\n^\n";
    let file = Counted::new(file);
    let s = qif::stream(&file, &QifOptions::default()).unwrap();
    let got = statements(s.items);
    assert_eq!(
        got,
        vec![
            ("Checking".into(), vec![(1, 11, dec("-1.00")), (2, 27, dec("-3.00")), (3, 30, dec("-4.00"))]),
            ("Visa".into(), vec![(1, 19, dec("-2.00"))]),
        ]
    );
    let read = qif::read(&file.bytes, &QifOptions::default()).unwrap();
    let opening = read[0].opening.as_ref().unwrap();
    assert_eq!((opening.amount, opening.date.to_string()), (dec("100.00"), "2024-01-01".into()));
    assert_eq!(read[1].opening, None);
}

/// An OFX file of one statement per account (`amounts` of its entries; an
/// empty amount is a transaction without `TRNAMT`), the account either
/// before the transactions (as the specification orders it) or after.
fn ofx_file(accounts: &[(&str, &[&str])], account_after: bool) -> String {
    let mut text = String::from("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n<BANKMSGSRSV1>\n");
    for (id, amounts) in accounts {
        let from = format!("<BANKACCTFROM>\n<BANKID>1\n<ACCTID>{id}\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n");
        text.push_str("<STMTTRNRS>\n<TRNUID>1\n<STMTRS>\n<CURDEF>EUR\n");
        if !account_after {
            text.push_str(&from);
        }
        text.push_str("<BANKTRANLIST>\n<DTSTART>20240101\n<DTEND>20240131\n");
        for (i, amount) in amounts.iter().enumerate() {
            let amount = if amount.is_empty() { String::new() } else { format!("<TRNAMT>{amount}\n") };
            text.push_str(&format!(
                "<STMTTRN>\n<TRNTYPE>OTHER\n<DTPOSTED>202401{:02}\n{amount}<FITID>{id}-{i}\n<NAME>Shop\n</STMTTRN>\n",
                i + 1
            ));
        }
        text.push_str("</BANKTRANLIST>\n");
        if account_after {
            text.push_str(&from);
        }
        text.push_str("<LEDGERBAL>\n<BALAMT>10.00\n<DTASOF>20240131\n</LEDGERBAL>\n</STMTRS>\n</STMTTRNRS>\n");
    }
    text.push_str(
        "<INVSTMTMSGSRSV1>\n<INVSTMTTRNRS>\n<INVSTMTRS>\n<INVACCTFROM>\n<BROKERID>b\n<ACCTID>999\n</INVACCTFROM>\n\
         <INVTRANLIST>\n<INVBANKTRAN>\n<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20240105\n<TRNAMT>500.00\n<FITID>x\n</STMTTRN>\n\
         <SUBACCTFUND>CASH\n</INVBANKTRAN>\n</INVTRANLIST>\n</INVSTMTRS>\n</INVSTMTTRNRS>\n</INVSTMTMSGSRSV1>\n",
    );
    text.push_str("</BANKMSGSRSV1>\n</OFX>\n");
    text
}

/// OFX: each statement's account is known when it begins, also when the
/// file writes it after the transactions; its currency is each entry's;
/// transactions outside a bank statement's list (an investment account's
/// cash) are not its entries.
#[test]
fn ofx_statements_begin_with_their_account_and_end_with_their_balance() {
    for account_after in [false, true] {
        let text = ofx_file(&[("111", &["-1.00", "2.00"]), ("222", &["3.00"])], account_after);
        let file = Counted::new(text.clone());
        let stream = ofx::stream(&file).unwrap();
        assert!(stream.notes.iter().any(|n| n.message.contains("investment account 999")), "{:?}", stream.notes);
        let items: Vec<Item> = stream.items.map(Result::unwrap).collect();
        let got = statements(items.iter().cloned().map(Ok));
        let lines = |id: &str| -> Vec<usize> {
            let needle = format!("<FITID>{id}-");
            text.lines().enumerate().filter(|(_, l)| l.starts_with(&needle)).map(|(i, _)| i - 3).collect()
        };
        let l111 = lines("111");
        let l222 = lines("222");
        assert_eq!(
            got,
            vec![
                ("111".into(), vec![(1, l111[0], dec("-1.00")), (2, l111[1], dec("2.00"))]),
                ("222".into(), vec![(1, l222[0], dec("3.00"))]),
            ],
            "account after: {account_after}"
        );
        for item in &items {
            match item {
                Item::Entry(e) => assert_eq!(e.currency.as_deref(), Some("EUR")),
                Item::End { closing, .. } => assert_eq!(closing.as_ref().map(|b| b.amount), Some(dec("10.00"))),
                Item::Begin(_) => {}
            }
        }
        assert!(file.read_bytes() <= 3 * text.len() as u64 + (64 << 10), "three passes, and the header read once");
    }
}
