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

use std::io::{BufRead, Read};

use saldo_statements::Item;

use crate::text::{decimal_evidence, is_utf8, non_empty, parse_amount, NumberStyle, TextEncoding};
use crate::{io_error, until_error, Note, Reading, Reopen, Step, Stream};

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
    stream(&bytes, options)?.into_reading()
}

/// [`read_with_notes`], streamed. The first pass reads the file's sections
/// and records as text: its accounts and where each of their registers
/// starts, what its amounts say of the decimal separator and its dates of
/// the day/month order, and each account's first record (perhaps its
/// opening balance). The records are then read again through those choices:
/// once to check every one, then account after account, register after
/// register, for the items.
pub fn stream<'a>(file: &'a dyn Reopen, options: &QifOptions) -> Result<Stream<'a>, ReadError> {
    let (mut scan, read) = scan(file, options)?;
    let notes = std::mem::take(&mut scan.notes);
    let emit = || Emit {
        file,
        read,
        accounts: scan.accounts.iter().map(|a| (a.runs.clone(), a.opening.is_some())).collect(),
        statements: scan.statements(),
        at: 0,
        begun: false,
        run: 0,
        lines: None,
        seen: 0,
        position: 0,
    };
    for item in until_error(emit()) {
        item?;
    }
    Ok(Stream { notes, items: Box::new(until_error(emit())) })
}

/// How the records' text is read: the file's encoding, and the number and
/// date styles the whole file tells.
#[derive(Clone, Copy)]
struct ReadAs {
    encoding: TextEncoding,
    style: NumberStyle,
    order: DateOrder,
}

/// The first pass, and what it tells about reading the records.
fn scan(file: &dyn Reopen, options: &QifOptions) -> Result<(Scan, ReadAs), ReadError> {
    let encoding = match options.encoding {
        Some(e) => e,
        None if is_utf8(file.open_at(0).map_err(|e| io_error(&e))?).map_err(|e| io_error(&e))? => TextEncoding::Utf8,
        None => TextEncoding::Latin1,
    };
    let mut scan = Scan::read(file, encoding)?;
    let style = scan.evidence.style(options.decimal_separator)?;
    let order = match options.date_order {
        Some(order) => order,
        None => scan.evidence.order()?,
    };
    let read = ReadAs { encoding, style, order };
    for account in &mut scan.accounts {
        if let Some(first) = account.first.take().filter(Record::is_opening) {
            let (date, amount) = first.date_and_amount(read)?;
            account.opening = Some(Balance { date, amount, currency: None });
        }
    }
    if scan.accounts.is_empty() {
        return Err(ReadError::file(if scan.notes.is_empty() {
            "no bank, card, cash or asset register (!Type:Bank …) in this QIF file".to_owned()
        } else {
            "this QIF file has no bank, card, cash or asset register, only lists or investments".to_owned()
        }));
    }
    Ok((scan, read))
}

/// One transaction's fields, as written.
#[derive(Clone, Debug, Default)]
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

    /// An `Opening Balance` record (when first in its account).
    fn is_opening(&self) -> bool {
        self.payee.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("opening balance"))
            && self.category.as_deref().is_some_and(|c| c.starts_with('['))
    }

    fn date_and_amount(&self, read: ReadAs) -> Result<(NaiveDate, Decimal), ReadError> {
        let (date_line, raw_date) =
            self.date.as_ref().ok_or_else(|| ReadError::at(self.line, "a transaction has no date (D line)"))?;
        let booking_date = date(raw_date, read.order).map_err(|e| ReadError::at(*date_line, e))?;
        let (amount_line, raw_amount) =
            self.amount.as_ref().ok_or_else(|| ReadError::at(self.line, "a transaction has no amount (T line)"))?;
        let amount = parse_amount(raw_amount, read.style).map_err(|e| ReadError::at(*amount_line, e))?;
        Ok((booking_date, amount))
    }
}

/// Longer lines than any QIF file has are cut here (bounded memory).
const MAX_LINE: u64 = 1 << 20;

/// A file's lines, decoded, each with its number.
struct Lines<'f> {
    r: Box<dyn BufRead + Send + 'f>,
    encoding: TextEncoding,
    /// The number of the next line, and the byte it starts at.
    line: usize,
    offset: u64,
    buf: Vec<u8>,
}

impl<'f> Lines<'f> {
    fn open(file: &'f dyn Reopen, encoding: TextEncoding, offset: u64, line: usize) -> Result<Self, ReadError> {
        let mut r = file.open_at(offset).map_err(|e| io_error(&e))?;
        let mut offset = offset;
        if offset == 0
            && encoding == TextEncoding::Utf8
            && r.fill_buf().map_err(|e| io_error(&e))?.starts_with(b"\xEF\xBB\xBF")
        {
            r.consume(3);
            offset = 3;
        }
        Ok(Self { r, encoding, line, offset, buf: Vec::new() })
    }

    fn next_line(&mut self) -> Result<Option<(usize, String)>, ReadError> {
        self.buf.clear();
        let n = (&mut self.r).take(MAX_LINE).read_until(b'\n', &mut self.buf).map_err(|e| io_error(&e))?;
        if n == 0 {
            return Ok(None);
        }
        let line = self.line;
        self.line += 1;
        self.offset += n as u64;
        let text = match self.encoding {
            TextEncoding::Utf8 => std::str::from_utf8(&self.buf).map(str::to_owned).map_err(|_| {
                ReadError::at(line, "the file is not valid UTF-8: choose Latin-1 or Windows-1252 as its encoding")
            })?,
            TextEncoding::Latin1 | TextEncoding::Windows1252 => {
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(&self.buf).0.into_owned()
            }
        };
        Ok(Some((line, text.trim_end_matches(['\r', '\n']).to_owned())))
    }

    /// The next record of a register, read up to its `^`; `None` at the
    /// register's end: the file's, or a header line (kept in `header`).
    fn next_record(&mut self, header: &mut Option<(usize, String)>) -> Result<Option<Record>, ReadError> {
        let mut record = Record::default();
        while let Some((line, l)) = self.next_line()? {
            if l.trim().is_empty() {
                continue;
            }
            if l.trim().starts_with('!') {
                *header = Some((line, l));
                break;
            }
            if record.is_empty() && record.line == 0 {
                record.line = line;
            }
            let mut chars = l.chars();
            let code = chars.next().unwrap_or(' ');
            let value = chars.as_str();
            match code {
                '^' if !record.is_empty() => return Ok(Some(record)),
                '^' => record = Record::default(),
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
        Ok((!record.is_empty()).then_some(record))
    }
}

/// An account of the file, as the first pass found it.
#[derive(Debug, Default)]
struct AccountScan {
    name: Option<String>,
    /// Where each of its registers' records start: byte and line.
    runs: Vec<(u64, usize)>,
    /// Its records, and its first one (an opening balance?) until that is
    /// decided.
    records: usize,
    first: Option<Record>,
    opening: Option<Balance>,
}

/// What the first pass found: the accounts, the notes, and the evidence of
/// the number and date styles (the first amount or date of each kind).
#[derive(Default)]
struct Scan {
    accounts: Vec<AccountScan>,
    notes: Vec<Note>,
    evidence: Evidence,
}

enum Section {
    None,
    Register(usize),
    AccountList,
    Skipped,
}

impl Scan {
    fn read(file: &dyn Reopen, encoding: TextEncoding) -> Result<Self, ReadError> {
        let mut scan = Self::default();
        let mut lines = Lines::open(file, encoding, 0, 1)?;
        let mut section = Section::None;
        let mut selected_name: Option<String> = None; // from the last !Account record
        let mut pending_name: Option<String> = None;
        let mut header: Option<(usize, String)> = None; // the line a register ended on
        loop {
            let next = match header.take() {
                Some(h) => Some(h),
                None => lines.next_line()?,
            };
            let Some((line, l)) = next else { break };
            if l.trim().is_empty() {
                continue;
            }
            if let Some(h) = l.trim().strip_prefix('!') {
                let h = h.trim().to_ascii_lowercase();
                let kind = h.strip_prefix("type:").map(|k| k.trim().to_owned());
                section = match (h.as_str(), kind.as_deref()) {
                    (_, Some("bank" | "ccard" | "cash" | "oth a" | "oth l")) => {
                        let name = selected_name.clone();
                        let found = scan.accounts.iter().position(|a| a.name.is_some() && a.name == name);
                        Section::Register(found.unwrap_or_else(|| {
                            scan.accounts.push(AccountScan { name, ..AccountScan::default() });
                            scan.accounts.len() - 1
                        }))
                    }
                    ("account", _) => Section::AccountList,
                    (_, Some("invst")) => {
                        scan.notes.push(Note::at(
                            line,
                            "investment register skipped: Saldo imports bank, card and cash accounts",
                        ));
                        Section::Skipped
                    }
                    (_, Some(list)) => {
                        scan.notes.push(Note::at(line, format!("`{list}` list skipped: it holds no transactions")));
                        Section::Skipped
                    }
                    (h, None) if h.starts_with("option:") || h.starts_with("clear:") => section,
                    (other, None) => {
                        scan.notes.push(Note::at(line, format!("unknown section `!{other}` skipped")));
                        Section::Skipped
                    }
                };
                if let Section::Register(account) = section {
                    // The register's records, up to the next header.
                    scan.accounts[account].runs.push((lines.offset, lines.line));
                    while let Some(record) = lines.next_record(&mut header)? {
                        scan.evidence.see(&record);
                        let a = &mut scan.accounts[account];
                        a.records += 1;
                        if a.records == 1 {
                            a.first = Some(record);
                        }
                        if header.is_some() {
                            break;
                        }
                    }
                }
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
                Section::Skipped | Section::Register(_) => {}
                Section::AccountList => match code {
                    'N' => pending_name = non_empty(value),
                    '^' => selected_name = pending_name.take(),
                    _ => {}
                },
            }
        }
        Ok(scan)
    }

    /// Each account's statement, entries left out (they are read again).
    fn statements(&self) -> Vec<Statement> {
        self.accounts
            .iter()
            .map(|a| Statement {
                format: Format::Qif,
                id: None,
                account: AccountRef { name: a.name.clone(), ..AccountRef::default() },
                opening: a.opening.clone(),
                closing: None,
                entries: Vec::new(),
            })
            .collect()
    }
}

/// The first amount that says `.` or `,` is the decimal separator, and the
/// first date that says day first or month first.
#[derive(Default)]
struct Evidence {
    point: Option<(usize, String)>,
    comma: Option<(usize, String)>,
    day_first: Option<(usize, String)>,
    month_first: Option<(usize, String)>,
}

impl Evidence {
    fn see(&mut self, r: &Record) {
        let amounts =
            r.amount.iter().map(|(l, a)| (*l, a.as_str())).chain(r.split_amounts.iter().map(|a| (r.line, a.as_str())));
        for (line, amount) in amounts {
            let slot = match decimal_evidence(amount) {
                Some('.') => &mut self.point,
                Some(',') => &mut self.comma,
                _ => continue,
            };
            slot.get_or_insert_with(|| (line, amount.to_owned()));
        }
        let Some((line, raw)) = &r.date else { return };
        let Some(parts) = date_parts(raw).filter(|p| !p.year_first) else { return };
        if parts.first > 12 {
            self.day_first.get_or_insert_with(|| (*line, raw.trim().to_owned()));
        }
        if parts.second > 12 {
            self.month_first.get_or_insert_with(|| (*line, raw.trim().to_owned()));
        }
    }

    fn style(&self, decimal: Option<char>) -> Result<NumberStyle, ReadError> {
        let decimal = match (decimal, &self.point, &self.comma) {
            (Some(d), _, _) => d,
            (None, Some((l1, a1)), Some((l2, a2))) => {
                return Err(ReadError::at(
                    *l2.max(l1),
                    format!("amounts are written both as `{a1}` and `{a2}`: choose the decimal separator"),
                ))
            }
            (None, None, Some(_)) => ',',
            (None, _, None) => '.',
        };
        let thousands = if decimal == ',' { '.' } else { ',' };
        Ok(NumberStyle { decimal, thousands: Some(thousands), symbols: false })
    }

    fn order(&self) -> Result<DateOrder, ReadError> {
        match (&self.day_first, &self.month_first) {
            (Some((l1, d1)), Some((l2, d2))) => Err(ReadError::at(
                *l1.max(l2),
                format!("dates are written both day first (`{d1}`) and month first (`{d2}`): choose the date order"),
            )),
            (Some(_), None) => Ok(DateOrder::DayMonth),
            _ => Ok(DateOrder::MonthDay),
        }
    }
}

/// The records read again: account after account, each account's
/// registers in the file's order.
struct Emit<'f> {
    file: &'f dyn Reopen,
    read: ReadAs,
    /// Each account's registers, and whether its first record is its
    /// opening balance (not an entry).
    accounts: Vec<(Vec<(u64, usize)>, bool)>,
    statements: Vec<Statement>,
    /// The account being read, whether its statement has begun, its next
    /// register and the one being read.
    at: usize,
    begun: bool,
    run: usize,
    lines: Option<Lines<'f>>,
    /// The account's records read, and entries handed over.
    seen: usize,
    position: usize,
}

impl Step for Emit<'_> {
    fn step(&mut self) -> Result<Option<Item>, ReadError> {
        let (Some((runs, opening)), Some(statement)) = (self.accounts.get(self.at), self.statements.get(self.at))
        else {
            return Ok(None);
        };
        if !self.begun {
            (self.begun, self.run, self.lines, self.seen, self.position) = (true, 0, None, 0, 0);
            return Ok(Some(Item::Begin(statement.clone())));
        }
        loop {
            let lines = match &mut self.lines {
                Some(lines) => lines,
                None => match runs.get(self.run) {
                    Some(&(offset, line)) => {
                        self.run += 1;
                        self.lines.insert(Lines::open(self.file, self.read.encoding, offset, line)?)
                    }
                    None => {
                        self.begun = false;
                        self.at += 1;
                        let opening = statement.opening.clone();
                        return Ok(Some(Item::End { format: Format::Qif, opening, closing: None }));
                    }
                },
            };
            let mut header = None;
            let record = lines.next_record(&mut header)?;
            if header.is_some() || record.is_none() {
                self.lines = None; // the register ends (after this record)
            }
            let Some(record) = record else { continue };
            self.seen += 1;
            if self.seen == 1 && *opening {
                continue;
            }
            let (booking_date, amount) = record.date_and_amount(self.read)?;
            self.position += 1;
            return Ok(Some(Item::Entry(Entry {
                position: self.position,
                line: Some(record.line),
                booking_date,
                amount,
                counterparty_name: record.payee,
                description: record.memo,
                booked: true,
                ..Entry::default()
            })));
        }
    }
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
    let file: &dyn Reopen = &bytes;
    let (scan, read) = scan(file, options)?;
    let mut sums = Vec::new();
    for &(offset, line) in scan.accounts.iter().flat_map(|a| &a.runs) {
        let mut lines = Lines::open(file, read.encoding, offset, line)?;
        let mut header = None;
        while let Some(record) = lines.next_record(&mut header)? {
            if !record.split_amounts.is_empty() {
                let mut sum = Decimal::ZERO;
                for amount in &record.split_amounts {
                    let amount = parse_amount(amount, read.style).map_err(|e| ReadError::at(record.line, e))?;
                    sum = sum
                        .checked_add(amount)
                        .ok_or_else(|| ReadError::at(record.line, "the splits are too large to add"))?;
                }
                sums.push((record.line, sum));
            }
            if header.is_some() {
                break;
            }
        }
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
