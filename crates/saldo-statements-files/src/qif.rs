//! QIF, the Quicken Interchange Format, as Quicken, MS Money, GnuCash and
//! bank websites write it.
//!
//! What is read, and how:
//! - Registers `!Type:Bank`, `!Type:CCard`, `!Type:Cash`, `!Type:Oth A`,
//!   `!Type:Oth L`. An `!Account` block (`N` name, `T` type) names the
//!   account of the registers after it; each account is its own
//!   [`Statement`] (several registers of one account are joined). Without
//!   an `!Account` block the account has no name.
//! - Skipped, with a [`Note`]: investment registers (`!Type:Invst`) and the
//!   lists (`!Type:Cat`, `Class`, `Memorized`, `Security`, `Prices`, …).
//! - Records end with `^`. `D` date, `T` amount (`U`, its Quicken 2005+
//!   twin, when `T` is absent), `P` payee → counterparty, `M` memo →
//!   description. `N` (cheque number or `ATM`, `DEP` …), `L` category or
//!   `[transfer account]`, `A` address and `C` cleared status have no field
//!   and are dropped (`C` is the user's reconciliation mark in their old
//!   program, not the bank's booking: every entry is booked).
//! - Splits (`S`/`E`/`$`/`%`) are detail of one transaction: its amount is
//!   `T`, counted once; a split's own `D` line is ignored.
//! - An `Opening Balance` record (payee `Opening Balance`, category
//!   `[account]`) first in a register is the statement's opening balance,
//!   not an entry.
//! - Dates: `M/D/YY`, `M/D'YY` (Quicken's `'` marks 2000 and later),
//!   `D/M/YYYY`, `YYYY-MM-DD`, with `/`, `-` or `.` and space padding. The
//!   day/month order is an option; when not given it is told from the whole
//!   file: a first field over 12 means day first, a second field over 12
//!   month first (both: refused); with no evidence, month first (Quicken's
//!   US order). Two-digit years: with `'` they are 20YY; else 00–49 are
//!   20YY and 50–99 are 19YY. Three-digit years are C `tm_year` values
//!   (years since 1900) that Y2K-era exporters printed: `03/25/099` is
//!   1999-03-25. Text after the date (web.qif repeats the payee there) is
//!   ignored.
//! - Amounts: the decimal separator is an option; when not given it is
//!   told from the whole file (`5,762.36` says `.`, `1.234,56` says `,`;
//!   both styles in one file is refused; no evidence: `.`). The other of
//!   `.`/`,`, an apostrophe or a space group thousands.
//! - Encoding: an option; when not given UTF-8 if the bytes are valid UTF-8,
//!   else Latin-1 (MS Money's French export is ISO-8859-1).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::{AccountRef, Balance, Entry, Format, ReadError, Statement};
use serde::{Deserialize, Serialize};

use crate::text::{decimal_evidence, decode, non_empty, parse_amount, NumberStyle, TextEncoding};
use crate::{Note, Reading};

/// How to read a QIF file's dates, amounts and text; `None` means "tell
/// from the file".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QifOptions {
    /// The decimal separator of amounts: `.` or `,`.
    pub decimal_separator: Option<char>,
    /// The order of day and month in dates.
    pub date_order: Option<DateOrder>,
    /// The text encoding.
    pub encoding: Option<TextEncoding>,
}

/// The order of a QIF date's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `M/D/Y`, as Quicken and MS Money write in the US.
    MonthDay,
    /// `D/M/Y`, as most of Europe writes.
    DayMonth,
}

/// The statements of a QIF file, one per bank, card, cash or other account
/// register.
pub fn read(bytes: &[u8], options: &QifOptions) -> Result<Vec<Statement>, ReadError> {
    read_with_notes(bytes, options).map(|r| r.statements)
}

/// Whether `bytes` look like QIF (for format detection by content).
pub fn sniff(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    head.lines().any(|l| {
        let l = l.trim();
        l.starts_with("!type:") || l.starts_with("!account") || l.starts_with("!option:")
    })
}

/// [`read`], with notes on the sections skipped.
pub fn read_with_notes(bytes: &[u8], options: &QifOptions) -> Result<Reading, ReadError> {
    let encoding = options.encoding.unwrap_or_else(|| TextEncoding::sniff(bytes));
    let text = decode(bytes, encoding)?;
    let parsed = parse(&text)?;
    let style = number_style(options.decimal_separator, &parsed)?;
    let order = match options.date_order {
        Some(order) => order,
        None => date_order(&parsed)?,
    };
    let mut statements = Vec::new();
    for account in parsed.accounts {
        let mut opening = None;
        let mut entries = Vec::new();
        for (i, record) in account.records.iter().enumerate() {
            let (date_line, raw_date) =
                record.date.as_ref().ok_or_else(|| ReadError::at(record.line, "a transaction has no date (D line)"))?;
            let booking_date = date(raw_date, order).map_err(|e| ReadError::at(*date_line, e))?;
            let (amount_line, raw_amount) = record
                .amount
                .as_ref()
                .ok_or_else(|| ReadError::at(record.line, "a transaction has no amount (T line)"))?;
            let amount = parse_amount(raw_amount, style).map_err(|e| ReadError::at(*amount_line, e))?;
            let is_opening = i == 0
                && record.payee.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("opening balance"))
                && record.category.as_deref().is_some_and(|c| c.starts_with('['));
            if is_opening {
                opening = Some(Balance { date: booking_date, amount, currency: None });
                continue;
            }
            entries.push(Entry {
                position: entries.len() + 1,
                line: Some(record.line),
                booking_date,
                amount,
                counterparty_name: record.payee.clone(),
                description: record.memo.clone(),
                booked: true,
                ..Entry::default()
            });
        }
        statements.push(Statement {
            format: Format::Qif,
            id: None,
            account: AccountRef { name: account.name, ..AccountRef::default() },
            opening,
            closing: None,
            entries,
        });
    }
    if statements.is_empty() {
        return Err(ReadError::file(if parsed.notes.is_empty() {
            "no bank, card, cash or asset register (!Type:Bank …) in this QIF file".to_owned()
        } else {
            "this QIF file has no bank, card, cash or asset register, only lists or investments".to_owned()
        }));
    }
    Ok(Reading { statements, notes: parsed.notes })
}

/// One transaction's fields, as written.
#[derive(Debug, Default)]
struct Record {
    line: usize,
    date: Option<(usize, String)>,
    amount: Option<(usize, String)>,
    payee: Option<String>,
    memo: Option<String>,
    category: Option<String>,
    in_splits: bool,
    split_amounts: Vec<String>,
}

impl Record {
    fn is_empty(&self) -> bool {
        self.date.is_none() && self.amount.is_none() && self.payee.is_none() && self.memo.is_none()
    }
}

#[derive(Debug, Default)]
struct Account {
    name: Option<String>,
    records: Vec<Record>,
}

#[derive(Debug, Default)]
struct Parsed {
    accounts: Vec<Account>,
    notes: Vec<Note>,
}

enum Section {
    None,
    Register,
    AccountList,
    Skipped,
}

/// The file's registers and records, fields kept as text.
fn parse(text: &str) -> Result<Parsed, ReadError> {
    let mut parsed = Parsed::default();
    let mut section = Section::None;
    let mut current: Option<usize> = None; // index into parsed.accounts
    let mut selected_name: Option<String> = None; // from the last !Account record
    let mut pending_name: Option<String> = None;
    let mut record = Record::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let l = raw.trim_end_matches(['\r', '\n']);
        if l.trim().is_empty() {
            continue;
        }
        if let Some(header) = l.trim().strip_prefix('!') {
            flush(&mut record, current, &mut parsed);
            let header = header.trim().to_ascii_lowercase();
            let kind = header.strip_prefix("type:").map(|k| k.trim().to_owned());
            section = match (header.as_str(), kind.as_deref()) {
                (_, Some("bank" | "ccard" | "cash" | "oth a" | "oth l")) => {
                    let name = selected_name.clone();
                    let found = parsed.accounts.iter().position(|a| a.name.is_some() && a.name == name);
                    current = Some(found.unwrap_or_else(|| {
                        parsed.accounts.push(Account { name, records: Vec::new() });
                        parsed.accounts.len() - 1
                    }));
                    Section::Register
                }
                ("account", _) => Section::AccountList,
                (_, Some("invst")) => {
                    parsed.notes.push(Note::at(
                        line,
                        "investment register skipped: Saldo imports bank, card and cash accounts",
                    ));
                    Section::Skipped
                }
                (_, Some(list)) => {
                    parsed.notes.push(Note::at(line, format!("`{list}` list skipped: it holds no transactions")));
                    Section::Skipped
                }
                (h, None) if h.starts_with("option:") || h.starts_with("clear:") => continue,
                (other, None) => {
                    parsed.notes.push(Note::at(line, format!("unknown section `!{other}` skipped")));
                    Section::Skipped
                }
            };
            continue;
        }
        let mut chars = l.chars();
        let code = chars.next().unwrap_or(' ');
        let value = chars.as_str();
        match section {
            Section::None => {
                if l.trim_start().starts_with('#') {
                    continue; // a comment before the first header
                }
                return Err(ReadError::at(line, "not a QIF file: data before any `!Type:` header"));
            }
            Section::Skipped => {}
            Section::AccountList => match code {
                'N' => pending_name = non_empty(value),
                '^' => selected_name = pending_name.take(),
                _ => {}
            },
            Section::Register => {
                if record.is_empty() && record.line == 0 {
                    record.line = line;
                }
                match code {
                    '^' => flush(&mut record, current, &mut parsed),
                    'D' if !record.in_splits => record.date = Some((line, value.to_owned())),
                    'T' => record.amount = Some((line, value.to_owned())),
                    'U' if record.amount.is_none() => record.amount = Some((line, value.to_owned())),
                    'P' => record.payee = non_empty(value),
                    'M' => record.memo = non_empty(value),
                    'L' => record.category = non_empty(value),
                    'S' => record.in_splits = true,
                    '$' => record.split_amounts.push(value.to_owned()),
                    _ => {} // N, C, A, E, %, split D, unknown codes: no field
                }
            }
        }
    }
    flush(&mut record, current, &mut parsed);
    Ok(parsed)
}

/// Ends the record being read: kept if it has any field.
fn flush(record: &mut Record, account: Option<usize>, parsed: &mut Parsed) {
    let done = std::mem::take(record);
    if done.is_empty() {
        return;
    }
    if let Some(account) = account.and_then(|i| parsed.accounts.get_mut(i)) {
        account.records.push(done);
    }
}

fn number_style(decimal: Option<char>, parsed: &Parsed) -> Result<NumberStyle, ReadError> {
    let decimal = match decimal {
        Some(d) => d,
        None => {
            let mut point = None;
            let mut comma = None;
            let amounts = parsed.accounts.iter().flat_map(|a| &a.records).flat_map(|r| {
                r.amount
                    .iter()
                    .map(|(l, a)| (*l, a.as_str()))
                    .chain(r.split_amounts.iter().map(|a| (r.line, a.as_str())))
            });
            for (line, amount) in amounts {
                match decimal_evidence(amount) {
                    Some('.') => point = point.or(Some((line, amount))),
                    Some(',') => comma = comma.or(Some((line, amount))),
                    _ => {}
                }
            }
            match (point, comma) {
                (Some((l1, a1)), Some((l2, a2))) => {
                    return Err(ReadError::at(
                        l2.max(l1),
                        format!("amounts are written both as `{a1}` and `{a2}`: choose the decimal separator"),
                    ))
                }
                (None, Some(_)) => ',',
                _ => '.',
            }
        }
    };
    let thousands = if decimal == ',' { '.' } else { ',' };
    Ok(NumberStyle { decimal, thousands: Some(thousands), symbols: false })
}

/// A date's three numbers as written, and whether Quicken's `'` preceded
/// the year.
#[derive(Debug, PartialEq, Eq)]
struct DateParts {
    first: u32,
    second: u32,
    year: u32,
    year_digits: usize,
    apostrophe: bool,
    /// `YYYY-MM-DD`: the year comes first.
    year_first: bool,
}

fn date_parts(raw: &str) -> Option<DateParts> {
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    let mut apostrophe = false;
    let mut chars = raw.trim_start().chars().peekable();
    while numbers.len() < 3 {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut digits = String::new();
        while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(c);
            chars.next();
        }
        if digits.is_empty() || digits.len() > 4 {
            return None;
        }
        numbers.push((digits.parse().ok()?, digits.len()));
        if numbers.len() == 3 {
            break;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        match chars.next() {
            Some('/' | '-' | '.') => {}
            Some('\'') if numbers.len() == 2 => apostrophe = true,
            _ => return None,
        }
    }
    let [(a, a_len), (b, _), (c, c_len)] = numbers[..] else { return None };
    Some(if a_len == 4 {
        DateParts { first: b, second: c, year: a, year_digits: 4, apostrophe, year_first: true }
    } else {
        DateParts { first: a, second: b, year: c, year_digits: c_len, apostrophe, year_first: false }
    })
}

fn date_order(parsed: &Parsed) -> Result<DateOrder, ReadError> {
    let mut day_first = None;
    let mut month_first = None;
    for record in parsed.accounts.iter().flat_map(|a| &a.records) {
        let Some((line, raw)) = &record.date else { continue };
        let Some(parts) = date_parts(raw) else { continue };
        if parts.year_first {
            continue;
        }
        if parts.first > 12 {
            day_first = day_first.or(Some((*line, raw.trim().to_owned())));
        }
        if parts.second > 12 {
            month_first = month_first.or(Some((*line, raw.trim().to_owned())));
        }
    }
    match (day_first, month_first) {
        (Some((l1, d1)), Some((l2, d2))) => Err(ReadError::at(
            l1.max(l2),
            format!("dates are written both day first (`{d1}`) and month first (`{d2}`): choose the date order"),
        )),
        (Some(_), None) => Ok(DateOrder::DayMonth),
        _ => Ok(DateOrder::MonthDay),
    }
}

/// The calendar date of a `D` line (R17).
fn date(raw: &str, order: DateOrder) -> Result<NaiveDate, String> {
    let bad = || format!("`{}` is not a date", raw.trim());
    let parts = date_parts(raw).ok_or_else(bad)?;
    let year = match (parts.year_digits, parts.apostrophe) {
        (4, _) => parts.year,
        (3, _) => 1900 + parts.year,
        (_, true) => 2000 + parts.year,
        (_, false) if parts.year < 50 => 2000 + parts.year,
        (_, false) => 1900 + parts.year,
    };
    let (month, day) = match (parts.year_first, order) {
        (true, _) | (false, DateOrder::MonthDay) => (parts.first, parts.second),
        (false, DateOrder::DayMonth) => (parts.second, parts.first),
    };
    i32::try_from(year).ok().and_then(|y| NaiveDate::from_ymd_opt(y, month, day)).ok_or_else(bad)
}

/// The sum of a record's split amounts; exposed for tests that check a
/// split transaction is counted once, with its `T` amount.
#[doc(hidden)]
pub fn split_sums(bytes: &[u8], options: &QifOptions) -> Result<Vec<(usize, Decimal)>, ReadError> {
    let encoding = options.encoding.unwrap_or_else(|| TextEncoding::sniff(bytes));
    let parsed = parse(&decode(bytes, encoding)?)?;
    let style = number_style(options.decimal_separator, &parsed)?;
    let mut sums = Vec::new();
    for record in parsed.accounts.iter().flat_map(|a| &a.records) {
        if record.split_amounts.is_empty() {
            continue;
        }
        let mut sum = Decimal::ZERO;
        for amount in &record.split_amounts {
            let amount = parse_amount(amount, style).map_err(|e| ReadError::at(record.line, e))?;
            sum =
                sum.checked_add(amount).ok_or_else(|| ReadError::at(record.line, "the splits are too large to add"))?;
        }
        sums.push((record.line, sum));
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// R17: every dialect gives the calendar date it means.
    #[test]
    fn dates_in_every_dialect() {
        let md = DateOrder::MonthDay;
        assert_eq!(date("7/12/97", md), Ok(d(1997, 7, 12)));
        assert_eq!(date("2/10'2020", md), Ok(d(2020, 2, 10)));
        assert_eq!(date("1/ 5' 5", md), Ok(d(2005, 1, 5)), "Quicken pads with spaces");
        assert_eq!(date("12/31/05", md), Ok(d(2005, 12, 31)), "pivot: 00-49 is 20YY");
        assert_eq!(date("03/25/099Share Withdrawal", md), Ok(d(1999, 3, 25)), "tm_year 099 is 1999");
        assert_eq!(date("25/12/2019", DateOrder::DayMonth), Ok(d(2019, 12, 25)));
        assert_eq!(date("25.12.2019", DateOrder::DayMonth), Ok(d(2019, 12, 25)));
        assert_eq!(date("2019-12-25", DateOrder::DayMonth), Ok(d(2019, 12, 25)));
        assert!(date("13/13/2019", md).is_err());
        assert!(date("yesterday", md).is_err());
    }

    #[test]
    fn day_first_is_told_from_a_day_over_twelve_anywhere_in_the_file() {
        let file = b"!Type:Bank\nD01/02/2020\nT1.00\n^\nD25/02/2020\nT2.00\n^\n";
        let s = read(file, &QifOptions::default()).unwrap();
        assert_eq!(s[0].entries[0].booking_date, d(2020, 2, 1), "01/02 is 1 February once 25/02 is seen");
        let mixed = b"!Type:Bank\nD25/02/2020\nT1.00\n^\nD02/25/2020\nT2.00\n^\n";
        assert!(read(mixed, &QifOptions::default()).is_err(), "both orders in one file are refused");
    }

    #[test]
    fn european_amounts_are_told_from_the_file_or_chosen() {
        let file = b"!Type:Bank\nD01/02/2020\nT-1.234,56\n^\n";
        let s = read(file, &QifOptions::default()).unwrap();
        assert_eq!(s[0].entries[0].amount, Decimal::new(-123456, 2));
        let ambiguous = b"!Type:Bank\nD01/02/2020\nT1,000\n^\n";
        let opts = QifOptions { decimal_separator: Some(','), ..QifOptions::default() };
        assert_eq!(read(ambiguous, &opts).unwrap()[0].entries[0].amount, Decimal::new(1000, 3));
        assert_eq!(read(ambiguous, &QifOptions::default()).unwrap()[0].entries[0].amount, Decimal::new(1000, 0));
    }

    #[test]
    fn account_blocks_name_their_registers() {
        let file = b"!Account\nNChecking\nTBank\n^\n!Type:Bank\nD1/1/20\nT1\n^\n!Account\nNVisa\nTCCard\n^\n!Type:CCard\nD1/2/20\nT-2\n^\n";
        let s = read(file, &QifOptions::default()).unwrap();
        assert_eq!(s.len(), 2, "two accounts, two statements");
        assert_eq!(s[0].account.name.as_deref(), Some("Checking"));
        assert_eq!(s[1].account.name.as_deref(), Some("Visa"));
        assert_eq!(s[1].entries[0].amount, Decimal::new(-2, 0));
    }

    #[test]
    fn a_record_without_a_date_is_refused_with_its_line() {
        let err = read(b"!Type:Bank\nD1/1/20\nT1\n^\nT2\nPX\n^\n", &QifOptions::default()).unwrap_err();
        assert_eq!(err.line, Some(5));
    }
}
